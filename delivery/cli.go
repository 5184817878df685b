package delivery

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"time"
)

// Usage is the command synopsis printed with usage errors.
const Usage = `usage: hostdir-deliver -f SENDER -a RECIPIENT [--ldap URI]... [--base DN]
  [--bind-dn DN --bind-password-file FILE] [--mailbox-base DIR] [-c CONFIG]
  [--timeout DURATION] [--add-headers[=auto|yes|no]] [-o key=value]... [-v]
  The message is read from standard input.`

// WatchdogGrace is how long after Config.Timeout the agent answers 4.3.0 and
// exits even if a system call (an fsync on a hung disk) has not returned.
const WatchdogGrace = 5 * time.Second

// Command is a parsed command line. cmd/hostdir-deliver builds it from its
// flags; Main does everything else.
type Command struct {
	// ConfigFile is the -c file ("" for none).
	ConfigFile string
	// Sender is -f ("" is the null sender).
	Sender string
	// Recipient is -a.
	Recipient string
	// Settings come from flags and are applied after the file, so they win.
	Settings []Setting
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
