package directory

import (
	"context"
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
// The lines go to the Logger at slog.LevelInfo with no attributes.
// Passwords are never logged. Errors (panics, refused connections) are
// logged at any level except none.

// logStats writes one stats line.
func (s *Server) logStats(line string) {
	s.log.LogAttrs(context.Background(), slog.LevelInfo, line)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// seconds formats a duration as slapd's qtime/etime (seconds, 6 decimals).
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 6, 64)
}

// logResult logs the RESULT line of op.
func (op *operation) logResult(code ldapwire.ResultCode, text string) {
	c := op.c
	if !c.srv.stats {
		return
	}
	etime := seconds(c.srv.now().Sub(op.start))
	switch op.respOp {
	case ldapwire.OpSearchResultDone:
		c.logf("conn=%d op=%d SEARCH RESULT tag=%d err=%d qtime=0.000000 etime=%s nentries=%d text=%s",
			c.id, op.num, int(op.respOp), int(code), etime, op.nentries, text)
	case ldapwire.OpExtendedResponse:
		c.logf("conn=%d op=%d RESULT oid= err=%d qtime=0.000000 etime=%s text=%s",
			c.id, op.num, int(code), etime, text)
	default:
		c.logf("conn=%d op=%d RESULT tag=%d err=%d qtime=0.000000 etime=%s text=%s",
			c.id, op.num, int(op.respOp), int(code), etime, text)
	}
}
