package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"hostdir/directory/config"
)

// checkUsage is printed on a command-line error.
const checkUsage = `Usage: hostdir check [-f slapd.conf] [-q] [-u] [-v]
  -f file	configuration file to check (default: hostdir's built-in configuration)
  -q		quiet: print problems only, not notices nor the success message
  -u		accepted for slaptest compatibility (hostdir never opens databases to check)
  -v		verbose: also print a summary of what was loaded
`

// Check implements `hostdir check`, hostdir's slaptest: it loads a
// slapd.conf with its includes and schema and reports every problem as
// FILE:LINE: message, and the notices (things accepted but ignored or
// replaced) as FILE:LINE: notice: message. Like slaptest, everything goes
// to stderr and a good file ends with "config file testing succeeded".
// It returns 0 only when the configuration loads without error, 1
// otherwise.
func Check(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hostdir check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("f", "", "")
	quiet := fs.Bool("q", false, "")
	fs.Bool("u", false, "")
	verbose := fs.Bool("v", false, "")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		if err == nil {
			err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "hostdir check: %v\n", err)
		}
		fmt.Fprint(stderr, checkUsage)
		return 1
	}
	if err := ctx.Err(); err != nil {
		fmt.Fprintf(stderr, "hostdir check: %v\n", err)
		return 1
	}

	var cfg *config.Config
	var err error
	if *file == "" {
		cfg, err = config.LoadDefault()
	} else {
		cfg, err = config.Load(*file)
	}
	var notices []config.Notice
	var cerr *config.Error
	switch {
	case err == nil:
		notices = cfg.Notices
	case errors.As(err, &cerr):
		notices = cerr.Notices
	}
	if !*quiet {
		for _, n := range notices {
			fmt.Fprintf(stderr, "%s:%d: notice: %s\n", n.File, n.Line, n.Msg)
		}
	}
	if err != nil {
		if cerr != nil {
			for _, le := range cerr.Errors {
				fmt.Fprintln(stderr, le.Error())
			}
			fmt.Fprintf(stderr, "hostdir check: bad configuration file (%d %s)\n", len(cerr.Errors), plural(len(cerr.Errors), "problem", "problems"))
		} else {
			fmt.Fprintf(stderr, "hostdir check: %v\n", err)
		}
		return 1
	}
	if *verbose {
		printSummary(stderr, cfg)
	}
	if !*quiet {
		fmt.Fprintln(stderr, "config file testing succeeded")
	}
	_ = stdout
	return 0
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// printSummary prints what a configuration holds.
func printSummary(w io.Writer, cfg *config.Config) {
	fmt.Fprintf(w, "%s: %d attribute types, %d object classes, %d global access rules\n",
		cfg.File, len(cfg.Schema.AttributeTypes()), len(cfg.Schema.ObjectClasses()), len(cfg.Access))
	for _, db := range cfg.Databases {
		fmt.Fprintf(w, "%s:%d: database %s: suffix %v, rootdn %q, %d indexes, %d access rules\n",
			db.File, db.Line, db.Type, db.SuffixesRaw, db.RootDNRaw, len(db.Indexes), len(db.Access))
		for _, r := range db.Access {
			fmt.Fprintf(w, "%s:%d: %s\n", r.File, r.Line, r.String())
		}
	}
}
