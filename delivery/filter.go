package delivery

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"hostdir/delivery/maildir"
	"hostdir/delivery/procmail"
)

// FilterFile is the rule file of a virtual user, in the root of the user's
// maildir: procmail's language, applied by package procmail inside the
// maildir only (see there). The web admin edits it.
const FilterFile = procmail.FilterFile

// maxFilterFile bounds the rule file read (package procmail refuses more).
const maxFilterFile = 1 << 20

// filterActions delivers into the maildir like the agent and forwards
// through the agent's Submitter.
type filterActions struct {
	*procmail.OSActions
	submit    Submitter
	sender    string
	recipient string
}

// Forward implements procmail.Actions: the forward carries Delivered-To:
// recipient, so a loop through Postfix is caught there too.
func (f *filterActions) Forward(ctx context.Context, fw procmail.Forward, msg []byte) error {
	return f.submit.Submit(ctx, f.sender, fw.Args, PrepareForward(msg, f.recipient))
}

// filterMailbox applies m's FilterFile, when its maildir has one, to the
// prepared message (parts, with Return-Path and Delivered-To). target is
// where the message would go unfiltered (the inbox or the extension's
// folder): it is the rules' DEFAULT. handled is false when there is no rule
// file, or it cannot be read (the message is then delivered unfiltered,
// never lost). The caller has admitted the message against quota q (used
// is the usage it read); every copy the rules write is added to the
// maildir's usage (Maildir++ folders share the maildir's quota), and the
// quota warning is checked at the end.
//
// Agent.deliverMailbox calls it after choosing target and checking the
// quota, before writing. See package procmail for the rules.
func (a *Agent) filterMailbox(ctx context.Context, sender string, m Mailbox, target string, parts [][]byte, q maildir.Quota, used maildir.Usage) (handled bool, err error) {
	rcPath := filepath.Join(m.Path, FilterFile)
	f, err := os.Open(rcPath)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		a.Log.Warn("filter rules unreadable, delivering unfiltered", "file", rcPath, "error", err)
		return false, nil
	}
	rc, err := io.ReadAll(io.LimitReader(f, maxFilterFile+1))
	f.Close()
	if err != nil {
		a.Log.Warn("filter rules unreadable, delivering unfiltered", "file", rcPath, "error", err)
		return false, nil
	}
	msg := bytes.Join(parts, nil)
	w := a.Maildir
	log := a.Log.With("rules", rcPath)
	acts := &filterActions{
		OSActions: &procmail.OSActions{
			Writer:     w,
			Base:       m.Base,
			Root:       m.Path,
			Logger:     log,
			NoPrograms: true,
		},
		submit:    a.Submitter,
		sender:    sender,
		recipient: m.Address,
	}
	if !q.Unlimited() {
		acts.AfterDeliver = func(path string, size int64) {
			if err := w.AddUsage(m.Path, size, 1); err != nil {
				log.Warn("maildirsize update failed", "maildir", m.Path, "error", err)
			}
			used.Bytes += size
			used.Count++
		}
	}
	local, domain, _ := SplitAddress(m.Address)
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	cfg := procmail.Config{
		Mode:    procmail.Virtual,
		Actions: acts,
		Root:    m.Path,
		Default: target,
		Env: map[string]string{
			"RECIPIENT": m.Address,
			"SENDER":    sender,
			"EXTENSION": m.Extension,
			"USER":      local,
			"LOGNAME":   local,
			"DOMAIN":    domain,
		},
		Recipient: m.Address,
		Hostname:  w.Hostname,
		PID:       w.PID,
	}
	res, err := procmail.Run(ctx, cfg, rcPath, rc, msg)
	if err != nil {
		return true, fsError(m, err)
	}
	if res.Fallback {
		log.Warn("filter rules not applied; delivered to the inbox", "problems", len(res.Problems))
	}
	log.Debug("filtered", "address", m.Address, "deliveries", len(res.Deliveries))
	if n, err := cleanTmp(w, m.Path); err == nil && n > 0 {
		a.Log.Info("removed stale tmp files", "maildir", m.Path, "count", n)
	}
	if !q.Unlimited() {
		a.quotaWarning(ctx, m, q, used)
	}
	return true, nil
}

// LocalUsage is the synopsis of the --local mode.
const LocalUsage = `usage: hostdir-deliver --local [-a ARG] [--maildir DIR] [--rcfile FILE]
  [--timeout DURATION] [-v]
  Postfix mailbox_command mode: delivers the message on standard input for
  the user running the command to $HOME/Maildir/, applying $HOME/.procmailrc.
  -a sets $1 for the rules, as procmail's -a.`

// IsLocal reports whether a command line asks for the --local mode.
func IsLocal(args []string) bool {
	for _, a := range args {
		if a == "--local" || a == "-local" {
			return true
		}
	}
	return false
}

// LocalCommand parses a --local command line (the words after the program
// name, --local included) and runs LocalMain with the process environment.
// cmd/hostdir-deliver calls it when IsLocal(args).
func LocalCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hostdir-deliver --local", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Bool("local", true, "mailbox_command mode")
	arg1 := fs.String("a", "", "$1 for the rules")
	md := fs.String("maildir", "", "default maildir")
	rc := fs.String("rcfile", "", "rule file")
	timeout := fs.Duration("timeout", 0, "time limit")
	verbose := fs.Bool("v", false, "verbose")
	usage := func(msg string) int {
		Drain(stdin, 10*time.Second)
		fmt.Fprintf(stdout, "%s\n%s\n", OutputLine("5.3.0 hostdir-deliver: "+msg), LocalUsage)
		return ExitUsage
	}
	if err := fs.Parse(args); err != nil {
		return usage(err.Error())
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument " + fs.Arg(0))
	}
	opt := LocalOptions{Maildir: *md, RCFile: *rc, Env: os.Environ(), Timeout: *timeout, Verbose: *verbose}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "a" {
			opt.Args = []string{*arg1}
		}
	})
	return LocalMain(ctx, opt, stdin, stdout, stderr)
}

// LocalOptions configures LocalMain, the `hostdir-deliver --local` mode:
// Postfix's mailbox_command for system users, a replacement for procmail.
type LocalOptions struct {
	// Maildir is the default mailbox (default $HOME/Maildir/).
	Maildir string
	// RCFile is the rule file (default $HOME/.procmailrc; missing means
	// no rules).
	RCFile string
	// Env is the environment local(8) gives the command (HOME, USER,
	// LOGNAME, EXTENSION, RECIPIENT, SENDER, ...).
	Env []string
	// Args are $1, $2, ... for the rules (procmail -a).
	Args []string
	// Timeout bounds the run (default DefaultTimeout).
	Timeout time.Duration
	// Verbose logs every step to standard error.
	Verbose bool
}

// LocalMain delivers the message on stdin for the user running the command:
// it applies the user's procmail rules (package procmail, Mode Local:
// pipes, forwards and INCLUDERC allowed, as the user) and delivers to
// ~/Maildir/ by default. It returns the exit status for local(8): 0 (or
// the rules' EXITCODE) when delivered, 75 with a "4.x.y" line on stdout
// when the message could not be stored anywhere (Postfix retries). Problems
// in the rules never lose mail: they are logged (stderr and LOGFILE) and
// the message goes to the default mailbox.
func LocalMain(ctx context.Context, opt LocalOptions, stdin io.Reader, stdout, stderr io.Writer) (exit int) {
	defer func() {
		if r := recover(); r != nil {
			Drain(stdin, 10*time.Second)
			fmt.Fprintln(stdout, Tempf("4.3.0", nil, "internal error: panic: %v", r).Line())
			if stderr != nil {
				fmt.Fprintf(stderr, "%s\n", debug.Stack())
			}
			exit = ExitTempFail
		}
	}()
	level := slog.LevelWarn
	if opt.Verbose {
		level = slog.LevelDebug
	}
	out := stderr
	if out == nil {
		out = io.Discard
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level}))
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	env := map[string]string{}
	for _, kv := range opt.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	if env["HOME"] == "" {
		u, err := user.Current()
		if err != nil || u.HomeDir == "" {
			Drain(stdin, 10*time.Second)
			return answer(stdout, Tempf("4.3.5", err, "no HOME for the local user"))
		}
		env["HOME"] = u.HomeDir
		if env["LOGNAME"] == "" {
			env["LOGNAME"] = u.Username
		}
	}
	home := filepath.Clean(env["HOME"])
	root := opt.Maildir
	if root == "" {
		root = filepath.Join(home, "Maildir")
	}
	root = filepath.Clean(root)
	rcFile := opt.RCFile
	if rcFile == "" {
		rcFile = filepath.Join(home, ".procmailrc")
	}

	msg, err := readAll(ctx, stdin)
	if err != nil {
		return answer(stdout, Tempf("4.3.0", err, "reading the message"))
	}
	rc, err := os.ReadFile(rcFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		log.Warn("rule file unreadable, delivering to the default mailbox", "file", rcFile, "error", err)
		rc = nil
	}
	host, _ := os.Hostname()
	w := maildir.New()
	acts := &procmail.OSActions{Writer: w, Base: "/", Logger: log}
	cfg := procmail.Config{
		Mode:      procmail.Local,
		Actions:   acts,
		Root:      root,
		Env:       env,
		Args:      opt.Args,
		Recipient: env["RECIPIENT"],
		Hostname:  host,
		PID:       os.Getpid(),
	}
	res, err := procmail.Run(ctx, cfg, rcFile, rc, msg)
	if err != nil {
		if ctx.Err() != nil {
			return answer(stdout, Tempf("4.3.0", err, "delivery agent timed out"))
		}
		if maildir.IsStorageFull(err) {
			return answer(stdout, Tempf("4.3.1", err, "mail system full"))
		}
		return answer(stdout, Tempf("4.3.0", err, "maildir delivery failed"))
	}
	if res.ExitCode > 0 {
		return res.ExitCode
	}
	return ExitOK
}
