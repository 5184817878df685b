package procmail

import (
	"context"
	"fmt"
	"log/slog"
)

// FilterFile is the name of a virtual user's rule file, kept in the root of
// the user's maildir (the web admin edits it). The leading dot keeps it out
// of new/ and cur/; IMAP servers ignore it because it holds no maildir.
const FilterFile = ".hostdir-filter"

// Actions carries out what the rules decide. The engine never touches the
// file system or runs programs itself: every effect goes through Actions.
// OSActions is the real implementation.
type Actions interface {
	// DeliverFolder writes msg durably into the maildir at path (absolute
	// and clean), creating it (and, for a Maildir++ folder whose name
	// starts with '.', its maildirfolder file) when missing. It returns
	// the path of the new file.
	DeliverFolder(ctx context.Context, path string, msg []byte) (file string, err error)
	// Forward re-submits msg to f.Args through sendmail.
	Forward(ctx context.Context, f Forward, msg []byte) error
	// Pipe runs c.Line with input on its standard input and returns its
	// standard output when wantOutput is set (filters `f`, captures
	// `VAR=|`, backquotes). A non-zero exit status is an *ExitError.
	Pipe(ctx context.Context, c Command, input []byte, wantOutput bool) (output []byte, err error)
	// Log records a diagnostic. e.Logfile is the LOGFILE in effect ("" when
	// unset), which should receive the line too.
	Log(ctx context.Context, e LogEntry)
}

// Forward is a forwarding action (`! args`).
type Forward struct {
	// Args are the expanded words after `!`: addresses, and for local
	// users possibly sendmail options (words starting with '-').
	Args []string
	// Sendmail and SendmailFlags are $SENDMAIL and the words of
	// $SENDMAILFLAGS (local users; empty for virtual users, whose
	// forwards go through the delivery agent's own sendmail).
	Sendmail      string
	SendmailFlags []string
	// Env is the environment for the sendmail process.
	Env []string
}

// Command is a program to run for a local user.
type Command struct {
	// Line is the command as written (after `|`, `?` or inside
	// backquotes); it is given to Shell with "-c".
	Line string
	// Shell is $SHELL (default /bin/sh).
	Shell string
	// Dir is $MAILDIR, the working directory.
	Dir string
	// Env is the full environment: procmail exports all its variables.
	Env []string
}

// ExitError is a program's non-zero exit status.
type ExitError struct {
	Code int
}

func (e *ExitError) Error() string { return fmt.Sprintf("program exited with status %d", e.Code) }

// LogEntry is one diagnostic.
type LogEntry struct {
	// Pos is the rule that caused it (zero when none).
	Pos Pos
	// Level is the severity: Debug for VERBOSE tracing, Info for
	// deliveries, Warn for failed actions, Error for rules abandoned.
	Level slog.Level
	// Msg is the text.
	Msg string
	// Logfile is the absolute LOGFILE in effect ("" when none).
	Logfile string
	// Raw marks text written to LOGFILE as is (LOG=..., the abstract).
	Raw bool
}

// Text returns the line as written to a LOGFILE: "procmail: file:line: msg"
// (or Msg itself for raw entries).
func (e LogEntry) Text() string {
	if e.Raw {
		return e.Msg
	}
	if e.Pos.File != "" {
		return "procmail: " + e.Pos.String() + ": " + e.Msg + "\n"
	}
	return "procmail: " + e.Msg + "\n"
}
