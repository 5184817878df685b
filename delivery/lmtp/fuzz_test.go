package lmtp

import (
	"strings"
	"testing"
)

// FuzzParseCommand feeds arbitrary lines to the command parser and the
// MAIL/RCPT argument parsers: they must not panic, and what they accept
// must be well-formed.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"LHLO mx.example", "MAIL FROM:<a@b> SIZE=10 BODY=8BITMIME", "MAIL FROM:<>", "mail from: <a@b> SMTPUTF8",
		"RCPT TO:<alice@example.com>", `RCPT TO:<"a b>c"@d>`, "RCPT TO:<@r1,@r2:a@d>", "DATA", "RSET", "NOOP",
		"QUIT", "VRFY x", "MAIL FROM:<a@b> SIZE=99999999999999999999", "RCPT TO:<a@d> NOTIFY=NEVER", "\x00", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, err := ParseCommand(line)
		if err != nil {
			return
		}
		if cmd.Verb == "" || cmd.Verb != strings.ToUpper(cmd.Verb) || strings.ContainsAny(cmd.Arg, "\r\n\x00") {
			t.Fatalf("ParseCommand(%q) = %+v", line, cmd)
		}
		for _, prefix := range []string{"FROM:", "TO:"} {
			addr, params, err := ParsePathArg(cmd.Arg, prefix)
			if err != nil {
				continue
			}
			if len(addr) > MaxPathLength || strings.HasPrefix(addr, "@") && strings.Contains(addr, ":") && addr == "" {
				t.Fatalf("ParsePathArg(%q) address %q", cmd.Arg, addr)
			}
			for _, p := range params {
				if p.Keyword == "" || p.HasValue && p.Value == "" || strings.ContainsAny(p.Keyword+p.Value, " \t") {
					t.Fatalf("ParsePathArg(%q) parameter %+v", cmd.Arg, p)
				}
			}
			if mp, err := parseMailParams(params, true); err == nil && mp.size < -1 {
				t.Fatalf("size %d", mp.size)
			}
		}
	})
}

// FuzzQueueIDFromReceived: any message; an id found is well-formed.
func FuzzQueueIDFromReceived(f *testing.F) {
	f.Add([]byte("Received: from c (localhost [127.0.0.1])\n\tby mx.test (Postfix) with ESMTP id 41A4598E4A6\n\tfor <a@b>; date\n\nx"))
	f.Add([]byte("Received: by x (Postfix, from userid 0)\r\n\tid 4cVx1Q0yZbzJrP6;\r\n\r\n"))
	f.Add([]byte("Delivered-To: a@b\n\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if id := QueueIDFromReceived(msg); id != "" && !validQueueID(id) {
			t.Fatalf("id %q", id)
		}
		_ = HasDeliveredTo(msg, "a@b")
	})
}
