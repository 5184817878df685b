package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
	"golang.org/x/term"

	"hostdir/admin"
)

// cleanUsage is printed on a command-line error.
const cleanUsage = `Usage: hostdir clean --ldap URI --base DN --root-dn DN [options]
	--ldap URI		the directory
	--base DN		Jamm's base, the parent of the jvd= entries
	--root-dn DN		bind as this DN (the rootdn)
	--password-file file	read the bind password from this file (first line);
				otherwise from standard input (prompted on a terminal)
	--mailbox-base dir	remove only maildirs below dir (default: below each
				account's homeDirectory)
	--ldap-ca file		CA certificates (PEM) for ldaps://
	--yes			act; without it, only show what would be done
Removes the maildirs of accounts marked for deletion, then their entries, and
domains marked for deletion with everything under them.
`

// Clean implements `hostdir clean`, Jamm's cleaner: it removes the
// maildirs of the accounts marked delete=TRUE and then their entries, and
// the domains marked delete=TRUE with everything under them. Without --yes
// it is a dry run. Each step is logged to stdout. The result is the exit
// code: 0, 1 when something failed (the rest is still done), 64 on a usage
// error.
func Clean(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var (
		url, base, rootDN, pwFile, mailboxBase, caFile string
		yes                                            bool
	)
	fs := flag.NewFlagSet("hostdir clean", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&url, "ldap", "", "")
	fs.StringVar(&base, "base", "", "")
	fs.StringVar(&rootDN, "root-dn", "", "")
	fs.StringVar(&pwFile, "password-file", "", "")
	fs.StringVar(&mailboxBase, "mailbox-base", "", "")
	fs.StringVar(&caFile, "ldap-ca", "", "")
	fs.BoolVar(&yes, "yes", false, "")
	err := fs.Parse(args)
	if err == nil {
		switch {
		case fs.NArg() > 0:
			err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
		case url == "" || base == "" || rootDN == "":
			err = errors.New("--ldap, --base and --root-dn are required")
		}
	}
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "hostdir clean: %v\n", err)
		}
		fmt.Fprint(stderr, cleanUsage)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 64
	}
	pw, err := readBindPassword(pwFile, stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "hostdir clean: %v\n", err)
		return 1
	}
	opts := []ldap.DialOpt{ldap.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second})}
	if caFile != "" {
		tc, err := ldapTLS(caFile)
		if err != nil {
			fmt.Fprintf(stderr, "hostdir clean: %v\n", err)
			return 1
		}
		opts = append(opts, ldap.DialWithTLSConfig(tc))
	}
	conn, err := ldap.DialURL(url, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "hostdir clean: %v\n", err)
		return 1
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	conn.SetTimeout(time.Minute)
	if err := conn.Bind(rootDN, pw); err != nil {
		fmt.Fprintf(stderr, "hostdir clean: bind as %s: %v\n", rootDN, err)
		return 1
	}
	_, err = admin.Clean(ctx, conn, admin.CleanOptions{Base: base, MailboxBase: mailboxBase, DryRun: !yes, Log: stdout})
	if err != nil {
		fmt.Fprintf(stderr, "hostdir clean: %v\n", err)
		return 1
	}
	return 0
}

// readBindPassword reads a password from a file (first line), or from
// stdin: prompted without echo on a terminal, else its first line.
func readBindPassword(file string, stdin io.Reader, stderr io.Writer) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimSuffix(line, "\r"), nil
	}
	if stdin == nil {
		return "", errors.New("no password: give --password-file")
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no password on standard input: give --password-file")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
