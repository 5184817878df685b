package delivery

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"
)

// Usage is the command synopsis printed with usage errors.
const Usage = `usage: hostdir-deliver -f SENDER -a RECIPIENT [-q QUEUEID] [--ldap URI]... [--base DN]
  [--bind-dn DN --bind-password-file FILE] [--mailbox-base DIR] [-c CONFIG]
  [--timeout DURATION] [--add-headers[=auto|yes|no]] [-o key=value]... [-v]
  The message is read from standard input. Postfix's pipe(8) should pass
  -q ${queue_id} (also --queue-id): a retry after a crash then never
  delivers a second copy.`

// WatchdogGrace is how long after Config.Timeout the agent answers 4.3.0 and
// exits even if a system call (an fsync on a hung disk) has not returned.
const WatchdogGrace = 5 * time.Second

// Command is a parsed command line. cmd/hostdir-deliver builds it with
// ParseArgs; Main does everything else.
type Command struct {
	// ConfigFile is the -c file ("" for none).
	ConfigFile string
	// Sender is -f ("" is the null sender).
	Sender string
	// Recipient is -a.
	Recipient string
	// Settings come from flags and are applied after the file, so they win.
	Settings []Setting
	// Prepare, when not nil, is called with the Agent Main built, before
	// the delivery: the hook for tests to inject faults (for example a
	// maildir.FS that kills the process at a chosen step) into the real
	// command path.
	Prepare func(*Agent)
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// headersFlag is --add-headers, --add-headers=auto|yes|no.
type headersFlag struct{ v string }

func (h *headersFlag) String() string     { return h.v }
func (h *headersFlag) Set(v string) error { h.v = v; return nil }
func (h *headersFlag) IsBoolFlag() bool   { return true }

// stringFlag is a string flag that records whether it was given.
type stringFlag struct {
	v   string
	set bool
}

func (s *stringFlag) String() string     { return s.v }
func (s *stringFlag) Set(v string) error { s.v, s.set = v, true; return nil }

// ParseArgs parses the command line of hostdir-deliver (see Usage; flags
// may be written with one or two dashes) into a Command. Every flag but -c,
// -f and -a becomes a Setting, so flags and the -c file share one meaning.
// The error text is meant for UsageError.
func ParseArgs(args []string) (Command, error) {
	fs := flag.NewFlagSet("hostdir-deliver", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		cmd     Command
		ldaps   listFlag
		opts    listFlag
		headers headersFlag
		queueID stringFlag
	)
	fs.StringVar(&cmd.Sender, "f", "", "envelope sender (empty: null sender)")
	fs.StringVar(&cmd.Recipient, "a", "", "envelope recipient")
	fs.StringVar(&cmd.ConfigFile, "c", "", "configuration file (key = value lines)")
	fs.Var(&queueID, "q", "Postfix queue id (${queue_id}): makes retries idempotent")
	fs.Var(&queueID, "queue-id", "same as -q")
	fs.Var(&ldaps, "ldap", "LDAP URI (ldap://, ldaps://, ldapi://); repeatable, tried in order")
	named := []struct{ flag, key, usage string }{
		{"base", "base", "search base"},
		{"bind-dn", "bind_dn", "bind DN (default: anonymous)"},
		{"bind-password-file", "bind_password_file", "file holding the bind password"},
		{"mailbox-base", "mailbox_base", "maildirs are DIR/<mailbox> (default: homeDirectory/<mailbox>)"},
		{"timeout", "timeout", "time limit of the whole run (default 100s)"},
	}
	values := make([]*string, len(named))
	for i, n := range named {
		values[i] = fs.String(n.flag, "", n.usage)
	}
	fs.Var(&headers, "add-headers", "add Return-Path and Delivered-To: auto, yes or no")
	fs.Var(&opts, "o", "set any configuration key: -o key=value (repeatable)")
	verbose := fs.Bool("v", false, "log each step to standard error")
	if err := fs.Parse(args); err != nil {
		return Command{}, err
	}
	if fs.NArg() > 0 {
		return Command{}, fmt.Errorf("unexpected argument %s", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	add := func(key, value string) {
		cmd.Settings = append(cmd.Settings, Setting{Key: key, Value: value})
	}
	if len(ldaps) > 0 {
		add("ldap", strings.Join(ldaps, " "))
	}
	for i, n := range named {
		if set[n.flag] {
			add(n.key, *values[i])
		}
	}
	if queueID.set {
		add("queue_id", queueID.v)
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
			return Command{}, fmt.Errorf("-o wants key=value, got %s", o)
		}
		add(k, v)
	}
	if !set["a"] {
		return Command{}, errors.New("missing -a RECIPIENT")
	}
	return cmd, nil
}

// Main runs one delivery as Postfix's pipe(8) calls it and returns the exit
// status. It reads the whole message from stdin before answering, even when
// it fails early, prints at most one line (starting with the enhanced status
// code) to stdout when it fails, and logs to stderr only in verbose mode. A
// panic anywhere is answered as a temporary failure; the run is bounded by
// Config.Timeout (plus WatchdogGrace for hung system calls).
func Main(ctx context.Context, cmd Command, stdin io.Reader, stdout, stderr io.Writer) (exit int) {
	drained := false
	drain := func() {
		if !drained {
			drained = true
			Drain(stdin, 10*time.Second)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			drain()
			e := Tempf("4.3.0", nil, "internal error: panic: %v", r)
			fmt.Fprintln(stdout, e.Line())
			if stderr != nil {
				fmt.Fprintf(stderr, "%s\n", debug.Stack())
			}
			exit = ExitTempFail
		}
	}()

	cfg := DefaultConfig()
	if cmd.ConfigFile != "" {
		if err := cfg.LoadFile(cmd.ConfigFile); err != nil {
			drain()
			return answer(stdout, Tempf("4.3.5", err, "configuration error"))
		}
	}
	for _, s := range cmd.Settings {
		if err := cfg.Set(s.Key, s.Value); err != nil {
			drain()
			return UsageError(nil, stdout, err.Error())
		}
	}
	if NormalizeAddress(cmd.Recipient) == "" {
		drain()
		return UsageError(nil, stdout, "missing recipient (-a)")
	}
	var log *slog.Logger
	if cfg.Verbose && stderr != nil {
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}

	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	done := make(chan *Error, 1)
	go func() {
		done <- run(ctx, cfg, cmd, stdin, log)
	}()
	watchdog := time.NewTimer(cfg.Timeout + WatchdogGrace)
	defer watchdog.Stop()
	select {
	case e := <-done:
		return answer(stdout, e)
	case <-watchdog.C:
		return answer(stdout, Tempf("4.3.0", nil, "delivery agent timed out after %s", cfg.Timeout))
	}
}

// run reads the message and delivers it; it recovers its own panics.
func run(ctx context.Context, cfg Config, cmd Command, stdin io.Reader, log *slog.Logger) (res *Error) {
	defer func() {
		if r := recover(); r != nil {
			res = Tempf("4.3.0", nil, "internal error: panic: %v", r)
		}
	}()
	msg, err := readAll(ctx, stdin)
	if err != nil {
		return Tempf("4.3.0", err, "reading the message")
	}
	a, err := New(cfg, log)
	if err != nil {
		return Tempf("4.3.5", err, "configuration error")
	}
	defer a.Close()
	if cmd.Prepare != nil {
		cmd.Prepare(a)
	}
	return AsError(a.Deliver(ctx, cmd.Sender, cmd.Recipient, msg))
}

// readAll reads r to the end; ctx's end abandons the read.
func readAll(ctx context.Context, r io.Reader) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- result{nil, fmt.Errorf("internal error: panic: %v", p)}
			}
		}()
		b, err := io.ReadAll(r)
		ch <- result{b, err}
	}()
	select {
	case res := <-ch:
		return res.b, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// answer prints e's line (nothing on success) and returns the exit status.
func answer(stdout io.Writer, e *Error) int {
	if e == nil {
		return ExitOK
	}
	fmt.Fprintln(stdout, e.Line())
	return e.Exit
}

// UsageError drains stdin (when not nil), prints "5.3.0 msg" and the usage
// text, and returns ExitUsage.
func UsageError(stdin io.Reader, stdout io.Writer, msg string) int {
	if stdin != nil {
		Drain(stdin, 10*time.Second)
	}
	fmt.Fprintf(stdout, "%s\n%s\n", OutputLine("5.3.0 hostdir-deliver: "+msg), Usage)
	return ExitUsage
}

// Drain reads r to the end or for at most d, so a writer (Postfix) never
// sees a broken pipe before the answer.
func Drain(r io.Reader, d time.Duration) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { _ = recover() }() // a broken reader is as good as drained
		_, _ = io.Copy(io.Discard, r)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}
