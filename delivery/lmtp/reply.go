package lmtp

import (
	"strconv"
	"strings"

	"hostdir/delivery"
)

// Reply is one LMTP reply: a three-digit code and text that starts with an
// enhanced status code (RFC 3463).
type Reply struct {
	Code int
	Text string
}

// String returns the reply line without its line ending.
func (r Reply) String() string { return strconv.Itoa(r.Code) + " " + r.Text }

// exitDSN is the enhanced status code Postfix's pipe(8) gives each sysexits
// status (reference/delivery.md), used when an *Error carries none.
var exitDSN = map[int]string{
	delivery.ExitUsage:       "5.3.0",
	delivery.ExitDataErr:     "5.6.0",
	delivery.ExitNoUser:      "5.1.1",
	delivery.ExitUnavailable: "5.3.0",
	delivery.ExitSoftware:    "5.3.0",
	delivery.ExitOSErr:       "4.3.0",
	delivery.ExitCantCreat:   "5.2.0",
	delivery.ExitIOErr:       "5.3.0",
	delivery.ExitTempFail:    "4.3.0",
	delivery.ExitNoPerm:      "5.7.0",
	delivery.ExitConfig:      "5.3.5",
}

// ReplyFor maps the agent's answer for one recipient to its LMTP reply,
// keeping the outcome Postfix's pipe(8) draws from the exit status (only
// 71 and 75 defer) and the enhanced status code of the *Error:
//
//	nil                              250 2.1.5 / 2.0.0 (success)
//	temporary, DSN 4.2.2 or 4.3.1    452 DSN text (mailbox or disk full)
//	other temporary (71, 75)         451 DSN text (e.g. 4.4.3 directory down)
//	permanent, DSN 5.1.x or 5.7.x    550 DSN text (67 unknown user: 5.1.1)
//	permanent, DSN 5.2.2 or 5.3.4    552 DSN text (mailbox full, too big)
//	other permanent (64..78)         554 DSN text (e.g. 69 5.4.6 loop)
//	an exit status outside sysexits  451 4.3.0 (never bounce on own trouble)
//
// The DSN's class always follows the exit status (a temporary answer with a
// 5.x.y code becomes 4.x.y and the reverse), as Postfix's pipe(8) decides
// defer or bounce by the status alone. ok is the reply for success.
func ReplyFor(err error, ok Reply) Reply {
	if err == nil {
		return ok
	}
	e := delivery.AsError(err)
	dsn, known := exitDSN[e.Exit]
	if !known {
		e = delivery.Tempf("4.3.0", nil, "internal error: exit status %d: %s", e.Exit, e.Error())
		dsn = "4.3.0"
	}
	if validDSN(e.DSN) {
		dsn = e.DSN
	}
	temp := e.Temporary()
	if temp {
		dsn = "4" + dsn[1:]
	} else {
		dsn = "5" + dsn[1:]
	}
	text := delivery.OutputLine(dsn + " " + e.Msg)
	switch {
	case temp && (dsn == "4.2.2" || dsn == "4.3.1"):
		return Reply{452, text}
	case temp:
		return Reply{451, text}
	case strings.HasPrefix(dsn, "5.1.") || strings.HasPrefix(dsn, "5.7."):
		return Reply{550, text}
	case dsn == "5.2.2" || dsn == "5.3.4":
		return Reply{552, text}
	}
	return Reply{554, text}
}

// validDSN reports whether s is an enhanced status code class.subject.detail
// with class 2, 4 or 5 and at most three digits per part.
func validDSN(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || (parts[0] != "2" && parts[0] != "4" && parts[0] != "5") {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) == 0 || len(p) > 3 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
	}
	return true
}
