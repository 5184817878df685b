package procmail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"hostdir/delivery/maildir"
)

// OSActions is the real Actions: maildirs through package maildir (durable
// writes), programs through the shell, forwards through sendmail, logs to
// a slog.Logger and to LOGFILE.
type OSActions struct {
	// Writer writes the messages.
	Writer *maildir.Writer
	// Base is the directory maildirs are created below (maildir.Writer's
	// Ensure base): "/" for a local user, the parent of the mailbox for a
	// virtual user.
	Base string
	// Root, when set, confines every maildir and LOGFILE to this directory
	// also after resolving symbolic links (virtual users).
	Root string
	// Sendmail is used when Forward.Sendmail is empty (virtual users):
	// argv is Sendmail, SendmailArgs, then the addresses.
	Sendmail     string
	SendmailArgs []string
	// Logger receives every diagnostic (nil: none).
	Logger *slog.Logger
	// NoPrograms refuses Pipe (virtual users; the engine never asks).
	NoPrograms bool
	// BeforeDeliver, when set, is called before a message of size bytes is
	// written into path (quota checks); an error fails that delivery.
	BeforeDeliver func(ctx context.Context, path string, size int64) error
	// AfterDeliver, when set, is called after a successful write.
	AfterDeliver func(path string, size int64)
}

// DeliverFolder implements Actions.
func (o *OSActions) DeliverFolder(ctx context.Context, path string, msg []byte) (string, error) {
	w := o.Writer
	if w == nil {
		return "", errors.New("procmail: OSActions without a maildir writer")
	}
	if err := o.confine(path); err != nil {
		return "", err
	}
	base := o.Base
	if base == "" {
		base = "/"
	}
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		return "", fmt.Errorf("%w: %s is a file (mbox folders are not supported, use %s/)", ErrUnsupported, path, path)
	}
	if err := w.Ensure(base, path); err != nil {
		return "", err
	}
	if strings.HasPrefix(filepath.Base(path), ".") {
		mf := filepath.Join(path, "maildirfolder")
		if _, err := os.Stat(mf); errors.Is(err, fs.ErrNotExist) {
			if err := os.WriteFile(mf, nil, maildir.FileMode); err != nil {
				return "", fmt.Errorf("create %s: %w", mf, err)
			}
		}
	}
	size := int64(len(msg))
	if o.BeforeDeliver != nil {
		if err := o.BeforeDeliver(ctx, path, size); err != nil {
			return "", err
		}
	}
	name, err := w.Deliver(ctx, path, msg)
	if err != nil {
		return "", err
	}
	if o.AfterDeliver != nil {
		o.AfterDeliver(path, size)
	}
	return filepath.Join(path, "new", name), nil
}

// confine checks path against Root after resolving the symbolic links of
// its deepest existing ancestor.
func (o *OSActions) confine(path string) error {
	if o.Root == "" {
		return nil
	}
	root := filepath.Clean(o.Root)
	if !within(root, filepath.Clean(path)) {
		return fmt.Errorf("%w: %s", ErrUnsafe, path)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // created below; nothing to follow yet
		}
		return fmt.Errorf("resolve %s: %w", root, err)
	}
	p := filepath.Clean(path)
	for {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			if !within(realRoot, real) {
				return fmt.Errorf("%w: %s resolves to %s", ErrUnsafe, p, real)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("resolve %s: %w", p, err)
		}
		if p == root || p == "/" {
			return nil
		}
		p = filepath.Dir(p)
	}
}

// Forward implements Actions.
func (o *OSActions) Forward(ctx context.Context, f Forward, msg []byte) error {
	prog := f.Sendmail
	args := append([]string{}, f.SendmailFlags...)
	if prog == "" {
		prog = o.Sendmail
		args = append([]string{}, o.SendmailArgs...)
	}
	if prog == "" {
		prog = "/usr/sbin/sendmail"
		args = []string{"-oi"}
	}
	args = append(args, f.Args...)
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Stdin = bytes.NewReader(msg)
	cmd.Env = f.Env
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", prog, err, strings.TrimSpace(limitString(out.String(), 512)))
	}
	return nil
}

// Pipe implements Actions.
func (o *OSActions) Pipe(ctx context.Context, c Command, input []byte, wantOutput bool) ([]byte, error) {
	if o.NoPrograms {
		return nil, fmt.Errorf("%w: programs", ErrForbidden)
	}
	shell := c.Shell
	if shell == "" {
		shell = "/bin/sh"
	}
	cmd := exec.CommandContext(ctx, shell, "-c", c.Line)
	cmd.Dir = c.Dir
	if fi, err := os.Stat(c.Dir); err != nil || !fi.IsDir() {
		cmd.Dir = ""
	}
	cmd.Env = c.Env
	cmd.Stdin = bytes.NewReader(input)
	var out, errb bytes.Buffer
	if wantOutput {
		cmd.Stdout = &out
	} else {
		cmd.Stdout = io.Discard
	}
	cmd.Stderr = &errb
	err := cmd.Run()
	if errb.Len() > 0 && o.Logger != nil {
		o.Logger.Warn("program output", "command", c.Line, "stderr", limitString(errb.String(), 2048))
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code := ee.ExitCode()
		if code < 0 {
			code = 128
		}
		return out.Bytes(), &ExitError{Code: code}
	}
	if err != nil {
		return out.Bytes(), fmt.Errorf("run %q: %w", c.Line, err)
	}
	return out.Bytes(), nil
}

// Log implements Actions.
func (o *OSActions) Log(ctx context.Context, e LogEntry) {
	if o.Logger != nil && !e.Raw {
		attrs := []any{}
		if e.Pos.File != "" {
			attrs = append(attrs, "rule", e.Pos.String())
		}
		o.Logger.Log(ctx, e.Level, e.Msg, attrs...)
	}
	if e.Logfile == "" {
		return
	}
	if err := o.confine(e.Logfile); err != nil {
		if o.Logger != nil {
			o.Logger.Warn("LOGFILE refused", "file", e.Logfile, "error", err)
		}
		return
	}
	f, err := os.OpenFile(e.Logfile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		if o.Logger != nil {
			o.Logger.Warn("LOGFILE not writable", "file", e.Logfile, "error", err)
		}
		return
	}
	_, werr := f.WriteString(e.Text())
	cerr := f.Close()
	if (werr != nil || cerr != nil) && o.Logger != nil {
		o.Logger.Warn("LOGFILE write failed", "file", e.Logfile, "error", errors.Join(werr, cerr))
	}
}

func limitString(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
