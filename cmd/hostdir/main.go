// Command hostdir is the directory server for mail hosts and its tools.
//
//	hostdir serve   [-f slapd.conf] [-h URLs] [-d level]   run the LDAP server
//	hostdir check   -f slapd.conf                          check a configuration (like slaptest)
//	hostdir passwd  [-s secret] [-h {SCHEME}] [-T file]    hash a password (like slappasswd)
//	hostdir import  [-f slapd.conf] -l file.ldif           load LDIF offline (like slapadd)
//	hostdir export  [-f slapd.conf] [-l file.ldif]         dump LDIF (like slapcat)
//
// The command only dispatches; each subcommand lives in package internal/cli.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"hostdir/internal/cli"
)

// command is one subcommand: its one-line summary and its entry point.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"serve": {"run the LDAP server (like slapd)", func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return cli.Serve(ctx, args, stdout, stderr)
		}},
		"check": {"check a slapd.conf and its schema (like slaptest)", func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return cli.Check(ctx, args, stdout, stderr)
		}},
		"admin":  {"run the web administration (Jamm's site, domain and user admin)", cli.Admin},
		"clean":  {"remove delete-marked accounts and domains (Jamm's cleaner)", cli.Clean},
		"passwd": {"hash a password for userPassword or rootpw (like slappasswd)", cli.Passwd},
		"import": {"load LDIF into a database while the server is stopped (like slapadd)", cli.Import},
		"export": {"dump a database as LDIF (like slapcat)", func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return cli.Export(ctx, args, stdout, stderr)
		}},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hostdir COMMAND [options]")
	fmt.Fprintln(w, "commands:")
	for _, name := range []string{"serve", "check", "passwd", "import", "export", "admin", "clean"} {
		if c, ok := commands()[name]; ok {
			fmt.Fprintf(w, "  %-8s %s\n", name, c.summary)
		}
	}
	fmt.Fprintln(w, "Run 'hostdir COMMAND -help' for the options of a command.")
}

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(64)
	}
	name := os.Args[1]
	if name == "-h" || name == "-help" || name == "--help" || name == "help" {
		usage(os.Stdout)
		return
	}
	c, ok := commands()[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "hostdir: unknown command %q\n", name)
		usage(os.Stderr)
		os.Exit(64)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := c.run(ctx, os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
