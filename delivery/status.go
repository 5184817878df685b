package delivery

import (
	"errors"
	"fmt"
	"strings"
)

// Exit statuses (sysexits.h) as Postfix's pipe(8) reads them. Only
// ExitOSErr and ExitTempFail defer; every other non-zero status bounces.
const (
	ExitOK          = 0
	ExitUsage       = 64 // 5.3.0
	ExitDataErr     = 65 // 5.6.0
	ExitNoUser      = 67 // 5.1.1
	ExitUnavailable = 69 // 5.3.0
	ExitSoftware    = 70 // 5.3.0
	ExitOSErr       = 71 // 4.3.0, deferred
	ExitCantCreat   = 73 // 5.2.0
	ExitIOErr       = 74 // 5.3.0
	ExitTempFail    = 75 // 4.3.0, deferred
	ExitNoPerm      = 77 // 5.7.0
	ExitConfig      = 78 // 5.3.5
)

// MaxOutput bounds what the agent prints: Postfix keeps up to 4096 bytes of
// a pipe command's output as the DSN text.
const MaxOutput = 1024

// Error is any outcome but success: the exit status for Postfix and the text
// that starts with the enhanced status code (RFC 3463) Postfix puts into the
// DSN. Every error the agent returns is an *Error; an error of another type
// reaching the top is an internal error and answered as a temporary failure.
type Error struct {
	// Exit is the sysexits status.
	Exit int
	// DSN is the enhanced status code, e.g. "4.4.3" or "5.1.1"; its class
	// agrees with Exit (4 for 71/75, 5 otherwise).
	DSN string
	// Msg is the text after the code.
	Msg string
	// Err is the cause, if any (for errors.Is/As and logs).
	Err error
}

// Error returns "DSN Msg".
func (e *Error) Error() string { return e.DSN + " " + e.Msg }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether Postfix will defer (and retry) the message.
func (e *Error) Temporary() bool { return e.Exit == ExitTempFail || e.Exit == ExitOSErr }

// Line is the single line to print for Postfix: "DSN Msg" with control
// characters replaced and cut to MaxOutput bytes.
func (e *Error) Line() string {
	return OutputLine(e.DSN + " " + e.Msg)
}

// OutputLine makes s a single printable line of at most MaxOutput bytes.
func OutputLine(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= MaxOutput-4 {
			b.WriteString("...")
			break
		}
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Tempf returns a temporary failure (exit 75) with the given DSN code.
func Tempf(dsn string, cause error, format string, args ...any) *Error {
	return &Error{Exit: ExitTempFail, DSN: dsn, Msg: withCause(fmt.Sprintf(format, args...), cause), Err: cause}
}

// Permf returns a permanent failure (a bounce) with the given exit status
// and DSN code.
func Permf(exit int, dsn string, format string, args ...any) *Error {
	return &Error{Exit: exit, DSN: dsn, Msg: fmt.Sprintf(format, args...)}
}

func withCause(msg string, cause error) string {
	if cause == nil {
		return msg
	}
	return msg + ": " + cause.Error()
}

// AsError turns any error into an *Error: an *Error in the chain is
// returned as it is, anything else becomes a temporary failure "4.3.0
// internal error" (the agent never bounces because of its own trouble).
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Tempf("4.3.0", err, "internal error")
}

// Errors returned by the resolver; the agent maps them to exit statuses.
var (
	// ErrUnknownUser: the address is not a mailbox or alias here (5.1.1, 67).
	ErrUnknownUser = errors.New("unknown user")
	// ErrLoop: alias expansion only loops back (5.4.6).
	ErrLoop = errors.New("mail forwarding loop")
	// ErrExpansionLimit: nesting or expansion size over the limits (4.3.5,
	// deferred as Postfix's cleanup does).
	ErrExpansionLimit = errors.New("unreasonable virtual alias expansion")
	// ErrDirectory: the directory could not be asked (4.4.3, deferred).
	ErrDirectory = errors.New("directory unavailable")
	// ErrBadEntry: an entry the resolver cannot use (4.3.5, deferred until
	// an administrator repairs it).
	ErrBadEntry = errors.New("unusable directory entry")
)
