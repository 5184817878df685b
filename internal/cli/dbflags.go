package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"hostdir/directory/bootstrap"
	"hostdir/directory/config"
)

// dbFlags are the options import and export share with slapadd and
// slapcat: the configuration (-f/--config, -F refused), the data
// directory override (--data), the database (-n number, -b suffix) and the
// accepted but unused ones (-d, -g, -o).
type dbFlags struct {
	file    string
	confDir string
	dataDir string
	dbNum   int
	suffix  string
	debug   string
	options []string
	verbose bool
	cont    bool
}

// register defines the shared flags on fs.
func (f *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.file, "f", "", "")
	fs.StringVar(&f.file, "config", "", "")
	fs.StringVar(&f.confDir, "F", "", "")
	fs.StringVar(&f.dataDir, "data", "", "")
	fs.IntVar(&f.dbNum, "n", -1, "")
	fs.StringVar(&f.suffix, "b", "", "")
	fs.StringVar(&f.debug, "d", "", "")
	fs.StringVar(&f.debug, "debug", "", "")
	fs.Bool("g", false, "")
	fs.Func("o", "", func(s string) error { f.options = append(f.options, s); return nil })
	fs.BoolVar(&f.verbose, "v", false, "")
	fs.BoolVar(&f.cont, "c", false, "")
}

// errConfigDir is the answer to -F: hostdir reads slapd.conf only.
var errConfigDir = errors.New("-F: cn=config (slapd.d) directories are not supported; give a slapd.conf with -f (slaptest -F DIR -f FILE converts one back)")

// open loads the configuration and selects the database the flags name.
// Notices are printed (as FILE:LINE: notice: msg) when verbose.
func (f *dbFlags) open(prog string, stderr io.Writer) (*config.Config, *config.Database, int, error) {
	if f.confDir != "" {
		return nil, nil, 0, errConfigDir
	}
	if f.dbNum == 0 {
		return nil, nil, 0, errors.New("-n 0: database 0 is cn=config, which hostdir does not have; the first database is -n 1")
	}
	if f.dbNum > 0 && f.suffix != "" {
		return nil, nil, 0, errors.New("-b and -n are mutually exclusive")
	}
	cfg, err := bootstrap.LoadConfig(f.file, f.dataDir)
	if err != nil {
		return nil, nil, 0, err
	}
	if f.verbose {
		for _, n := range cfg.Notices {
			fmt.Fprintf(stderr, "%s: %s:%d: notice: %s\n", prog, n.File, n.Line, n.Msg)
		}
	}
	n := f.dbNum
	if n < 0 {
		n = 0
	}
	d, num, err := bootstrap.SelectDatabase(cfg, n, f.suffix)
	if err != nil {
		return nil, nil, 0, err
	}
	return cfg, d, num, nil
}

// option returns the value of -o name=value ("" and false if absent).
func (f *dbFlags) option(name string) (string, bool) {
	for _, o := range f.options {
		k, v, _ := strings.Cut(o, "=")
		if strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// configError prints a configuration loading error: every FILE:LINE
// problem on its own line.
func configError(prog string, stderr io.Writer, err error) {
	var cerr *config.Error
	if errors.As(err, &cerr) {
		for _, le := range cerr.Errors {
			fmt.Fprintf(stderr, "%s: %s\n", prog, le.Error())
		}
		fmt.Fprintf(stderr, "%s: bad configuration file\n", prog)
		return
	}
	fmt.Fprintf(stderr, "%s: %v\n", prog, err)
}

// parseWrap reads slapcat's -o ldif-wrap value: "no" (never fold) or a
// column count.
func parseWrap(v string) (int, error) {
	if strings.EqualFold(v, "no") {
		return -1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 2 {
		return 0, fmt.Errorf("ldif-wrap=%s: want \"no\" or a column count >= 2", v)
	}
	return n, nil
}
