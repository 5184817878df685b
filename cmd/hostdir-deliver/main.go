// Command hostdir-deliver is hostdir's delivery agent for Postfix's pipe(8)
// transport: it reads one message on standard input and delivers it to one
// recipient's maildirs as the LDAP directory says. See package
// hostdir/delivery for the behaviour; this file only parses flags.
package main

import (
	"context"
	"flag"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"hostdir/delivery"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// headersFlag is --add-headers, --add-headers=auto|yes|no.
type headersFlag struct{ v string }

func (h *headersFlag) String() string     { return h.v }
func (h *headersFlag) Set(v string) error { h.v = v; return nil }
func (h *headersFlag) IsBoolFlag() bool   { return true }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hostdir-deliver", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		cmd     delivery.Command
		ldaps   listFlag
		opts    listFlag
		headers headersFlag
	)
	fs.StringVar(&cmd.Sender, "f", "", "envelope sender (empty: null sender)")
	fs.StringVar(&cmd.Recipient, "a", "", "envelope recipient")
	fs.StringVar(&cmd.ConfigFile, "c", "", "configuration file (key = value lines)")
	fs.Var(&ldaps, "ldap", "LDAP URI (ldap://, ldaps://, ldapi://); repeatable, tried in order")
	base := fs.String("base", "", "search base")
	bindDN := fs.String("bind-dn", "", "bind DN (default: anonymous)")
	bindPW := fs.String("bind-password-file", "", "file holding the bind password")
	mbase := fs.String("mailbox-base", "", "maildirs are DIR/<mailbox> (default: homeDirectory/<mailbox>)")
	timeout := fs.String("timeout", "", "time limit of the whole run (default 100s)")
	fs.Var(&headers, "add-headers", "add Return-Path and Delivered-To: auto, yes or no")
	fs.Var(&opts, "o", "set any configuration key: -o key=value (repeatable)")
	verbose := fs.Bool("v", false, "log each step to standard error")
	if err := fs.Parse(args); err != nil {
		return delivery.UsageError(stdin, stdout, err.Error())
	}
	if fs.NArg() > 0 {
		return delivery.UsageError(stdin, stdout, "unexpected argument "+fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	add := func(key, value string) {
		cmd.Settings = append(cmd.Settings, delivery.Setting{Key: key, Value: value})
	}
	if len(ldaps) > 0 {
		add("ldap", strings.Join(ldaps, " "))
	}
	for name, v := range map[string]*string{"base": base, "bind-dn": bindDN,
		"bind-password-file": bindPW, "mailbox-base": mbase, "timeout": timeout} {
		if set[name] {
			add(name, *v)
		}
	}
	if set["add-headers"] {
		v := headers.v
		if v == "true" {
			v = "yes"
		} else if v == "false" {
			v = "no"
		}
		add("add_headers", v)
	}
	if *verbose {
		add("verbose", "yes")
	}
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			return delivery.UsageError(stdin, stdout, "-o wants key=value, got "+o)
		}
		add(k, v)
	}
	if !set["a"] {
		return delivery.UsageError(stdin, stdout, "missing -a RECIPIENT")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return delivery.Main(ctx, cmd, stdin, stdout, stderr)
}
