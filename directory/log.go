package directory

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"hostdir/directory/ldapwire"
)

// Logging follows slapd's "stats" level (loglevel 256): one line per
// connection event and per operation, for example
//
//	conn=1000 fd=12 ACCEPT from IP=127.0.0.1:40532 (IP=127.0.0.1:389)
//	conn=1000 op=0 BIND dn="cn=Manager,dc=myhosting,dc=example" method=128
//	conn=1000 op=0 RESULT tag=97 err=0 qtime=0.000004 etime=0.000069 text=
//	conn=1000 op=1 SRCH base="o=hosting,dc=myhosting,dc=example" scope=2 deref=0 filter="(mail=a@example.com)"
//	conn=1000 op=1 SRCH attr=mailbox
//	conn=1000 op=1 SEARCH RESULT tag=101 err=0 qtime=0.000009 etime=0.000078 nentries=1 text=
//	conn=1000 op=2 UNBIND
//	conn=1000 fd=12 closed
//
// The lines go to Options.LogLines when set, otherwise to the Logger at
// slog.LevelInfo with no attributes. They are built by appending into
// reused buffers, without fmt, so that logging costs little on the hot
// path. Passwords are never logged. Errors (panics, refused connections)
// go to the Logger at any level except none.

// LineWriter receives the stats lines of a Server (Options.LogLines).
type LineWriter interface {
	// WriteLine writes one log line. line has no trailing newline and is
	// only valid during the call: the server reuses it afterwards.
	// WriteLine is called from many goroutines at once and should not
	// block for long (buffer, and write elsewhere).
	WriteLine(line []byte)
}

// writeLine writes one stats line.
func (s *Server) writeLine(b []byte) {
	if s.lines != nil {
		s.lines.WriteLine(b)
		return
	}
	s.log.LogAttrs(context.Background(), slog.LevelInfo, string(b))
}

// getLineBuf returns a buffer for a line logged outside operations.
func (s *Server) getLineBuf() *[]byte {
	if v := s.linePool.Get(); v != nil {
		return v.(*[]byte)
	}
	b := make([]byte, 0, 256)
	return &b
}

// connLine logs a connection line "conn=N fd=M ...": fill appends the
// rest after the space.
func (c *conn) connLine(fill func(b []byte) []byte) {
	if !c.srv.stats {
		return
	}
	bp := c.srv.getLineBuf()
	b := append((*bp)[:0], "conn="...)
	b = strconv.AppendUint(b, c.id, 10)
	b = append(b, " fd="...)
	b = strconv.AppendInt(b, int64(c.fd), 10)
	b = append(b, ' ')
	b = fill(b)
	c.srv.writeLine(b)
	if cap(b) <= 4<<10 {
		*bp = b
		c.srv.linePool.Put(bp)
	}
}

// logf logs a stats line formatted by fmt, for the rare lines (TLS,
// errors) if stats logging is on.
func (c *conn) logf(format string, args ...any) {
	if !c.srv.stats {
		return
	}
	bp := c.srv.getLineBuf()
	b := fmt.Appendf((*bp)[:0], format, args...)
	c.srv.writeLine(b)
	if cap(b) <= 4<<10 {
		*bp = b
		c.srv.linePool.Put(bp)
	}
}

// line starts a stats line of op in op's line buffer: "conn=N op=M ".
func (op *operation) line() []byte {
	b := append(op.lbuf[:0], "conn="...)
	b = strconv.AppendUint(b, op.c.id, 10)
	b = append(b, " op="...)
	b = strconv.AppendInt(b, op.num, 10)
	return append(b, ' ')
}

// writeLine writes a line line started and keeps its buffer.
func (op *operation) writeLine(b []byte) {
	op.lbuf = b
	op.c.srv.writeLine(b)
}

// logDN logs op's first line for operations on one DN: `conn=N op=M
// VERB dn="DN"`.
func (op *operation) logDN(verb string, dn []byte) {
	b := op.line()
	b = append(b, verb...)
	b = append(b, ` dn="`...)
	b = append(b, dn...)
	b = append(b, '"')
	op.writeLine(b)
}

// logVerb logs `conn=N op=M VERB`.
func (op *operation) logVerb(verb string) {
	op.writeLine(append(op.line(), verb...))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// seconds formats a duration as slapd's qtime/etime (seconds, 6 decimals).
func seconds(d time.Duration) string {
	return string(appendSeconds(nil, d))
}

// appendSeconds appends d in seconds with 6 decimals, rounded to the
// microsecond.
func appendSeconds(b []byte, d time.Duration) []byte {
	if d < 0 {
		b = append(b, '-')
		d = -d
	}
	us := int64((d + 500*time.Nanosecond) / time.Microsecond)
	b = strconv.AppendInt(b, us/1e6, 10)
	frac := us % 1e6
	var digits [7]byte
	digits[0] = '.'
	for i := 6; i >= 1; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, digits[:]...)
}

// logResult logs the RESULT line of op.
func (op *operation) logResult(code ldapwire.ResultCode, text string) {
	c := op.c
	if !c.srv.stats {
		return
	}
	etime := c.srv.now().Sub(op.start)
	b := op.line()
	switch op.respOp {
	case ldapwire.OpSearchResultDone:
		b = append(b, "SEARCH RESULT tag="...)
		b = strconv.AppendInt(b, int64(op.respOp), 10)
	case ldapwire.OpExtendedResponse:
		b = append(b, "RESULT oid="...)
	default:
		b = append(b, "RESULT tag="...)
		b = strconv.AppendInt(b, int64(op.respOp), 10)
	}
	b = append(b, " err="...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, " qtime=0.000000 etime="...)
	b = appendSeconds(b, etime)
	if op.respOp == ldapwire.OpSearchResultDone {
		b = append(b, " nentries="...)
		b = strconv.AppendInt(b, int64(op.nentries), 10)
	}
	b = append(b, " text="...)
	b = append(b, text...)
	op.writeLine(b)
}
