package delivery

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestScanHeaders(t *testing.T) {
	tests := []struct {
		name string
		in   string
		rp   []string
		dt   []string
		rpE  int
		trE  int
		dtS  int // DeliveredToStart; checked when not 0
		from int
		eol  string
	}{
		{name: "empty", in: "", eol: "\n"},
		{name: "no trace", in: "Subject: x\n\nbody", eol: "\n"},
		{name: "postfix DR", in: "Return-Path: <s@x>\nDelivered-To: a@b\nSubject: x\n\n",
			rp: []string{"<s@x>"}, dt: []string{"a@b"}, rpE: 19, trE: 37, eol: "\n"},
		{name: "postfix DRO", in: "Return-Path: <>\nDelivered-To: a@b\nX-Original-To: c@d\nDelivered-To: e@f\nReceived: x\n",
			rp: []string{"<>"}, dt: []string{"a@b", "e@f"}, rpE: 16, trE: 71, dtS: 16, eol: "\n"},
		{name: "postfix ORD order", in: "Return-Path: <>\nX-Original-To: c@d\nDelivered-To: e@f\nReceived: x\n",
			rp: []string{"<>"}, dt: []string{"e@f"}, rpE: 16, trE: 53, dtS: 35, eol: "\n"},
		{name: "X-Original-To only", in: "X-Original-To: c@d\nSubject: x\n", trE: 19, dtS: 19, eol: "\n"},
		{name: "folded and case", in: "delivered-TO:\n  a@b\nX: y\n", dt: []string{"a@b"}, trE: 20, eol: "\n"},
		{name: "crlf", in: "Delivered-To: a@b\r\n\r\n", dt: []string{"a@b"}, trE: 19, eol: "\r\n"},
		{name: "from line", in: "From s@x Mon Jan 1 00:00:00 2024\nReturn-Path: <s@x>\n\n",
			rp: []string{"<s@x>"}, from: 33, rpE: 52, trE: 52, eol: "\n"},
		{name: "no newline", in: "Delivered-To: a@b", dt: []string{"a@b"}, trE: 17, eol: "\n"},
		{name: "body only", in: "\nDelivered-To: a@b\n", eol: "\n"},
		{name: "bad name", in: "Deliv ered-To: a@b\n", eol: "\n"},
		{name: "trace after other", in: "Subject: x\nDelivered-To: a@b\n", eol: "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := ScanHeaders([]byte(tc.in))
			if !slices.Equal(h.ReturnPaths, tc.rp) || !slices.Equal(h.DeliveredTo, tc.dt) ||
				h.FromLine != tc.from || h.EOL != tc.eol || h.TraceEnd != tc.trE ||
				(tc.rpE != 0 && h.ReturnPathEnd != tc.rpE) || (tc.dtS != 0 && h.DeliveredToStart != tc.dtS) {
				t.Fatalf("ScanHeaders = %+v", h)
			}
		})
	}
}

func TestPrepareForward(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Return-Path: <s@x>\nDelivered-To: a@b\nSubject: x\n\nbody\n", "Delivered-To: a@b\nSubject: x\n\nbody\n"},
		{"Subject: x\n\nbody\n", "Delivered-To: a@b\nSubject: x\n\nbody\n"},
		{"Return-Path: <s@x>\nDelivered-To: other@b\nSubject: x\n\n", "Delivered-To: a@b\nDelivered-To: other@b\nSubject: x\n\n"},
		{"From s@x date\nSubject: x\n\n", "Delivered-To: a@b\nSubject: x\n\n"},
	}
	for _, tc := range tests {
		got := string(bytes.Join(PrepareForward([]byte(tc.in), "a@b"), nil))
		if got != tc.want {
			t.Errorf("PrepareForward(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPrepareMailbox(t *testing.T) {
	tests := []struct {
		name, in, rcpt, mailbox string
		mode                    HeaderMode
		want                    string
	}{
		{"postfix DR, agent expanded an alias", "Return-Path: <s@x>\nDelivered-To: team@d\nSubject: x\n\n", "team@d", "alice@d", HeadersAuto,
			"Return-Path: <s@x>\nDelivered-To: alice@d\nDelivered-To: team@d\nSubject: x\n\n"},
		{"postfix DOR, as virtual(8) orders", "Return-Path: <s@x>\nX-Original-To: team@d\nDelivered-To: team@d\nSubject: x\n\n", "team@d", "alice@d", HeadersAuto,
			"Return-Path: <s@x>\nX-Original-To: team@d\nDelivered-To: alice@d\nDelivered-To: team@d\nSubject: x\n\n"},
		{"mailbox is the recipient", "Return-Path: <s@x>\nDelivered-To: alice@d\nSubject: x\n\n", "alice@d", "ALICE@d", HeadersAuto,
			"Return-Path: <s@x>\nDelivered-To: alice@d\nSubject: x\n\n"},
		{"standalone", "Subject: x\n\n", "team@d", "alice@d", HeadersAuto,
			"Return-Path: <s@x>\nDelivered-To: alice@d\nDelivered-To: team@d\nSubject: x\n\n"},
		{"never", "Subject: x\n\n", "team@d", "alice@d", HeadersNo, "Subject: x\n\n"},
	}
	for _, tc := range tests {
		got := string(bytes.Join(PrepareMailbox([]byte(tc.in), "s@x", tc.rcpt, tc.mailbox, tc.mode), nil))
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestHeaderInjection(t *testing.T) {
	got := string(bytes.Join(PrepareMessage([]byte("Subject: x\n\n"), "a@b\nX-Evil: 1", "c@d\r\nX-Evil: 2", HeadersYes), nil))
	if strings.Count(got, "\n") != 4 || strings.Contains(got, "\nX-Evil") {
		t.Fatalf("injected: %q", got)
	}
}

// FuzzHeaders checks the header scan and the message preparation on
// arbitrary messages and addresses: offsets stay in range, the message
// body is never altered, and only the agent's own header lines are added.
func FuzzHeaders(f *testing.F) {
	f.Add([]byte("Return-Path: <s@x>\nDelivered-To: a@b\nSubject: x\n\nbody\n"), "s@x", "a@b", uint8(0))
	f.Add([]byte("From s@x Mon\r\nDelivered-To:\r\n a@b\r\n\r\n"), "", "A@B", uint8(1))
	f.Add([]byte("X-Original-To: q\nReturn-Path: <>\n"), "s\n", "r\r\n", uint8(2))
	f.Add([]byte(""), "", "", uint8(0))
	f.Add([]byte("\n\n\n"), "a", "b", uint8(1))
	f.Add([]byte("Return-Path: <s@x>\nX-Original-To: team@d\nDelivered-To: team@d\n\nbody\n"), "s@x", "team@d", uint8(3))
	f.Fuzz(func(t *testing.T, msg []byte, sender, rcpt string, mode uint8) {
		h := ScanHeaders(msg)
		if h.FromLine < 0 || h.FromLine > h.ReturnPathEnd || h.ReturnPathEnd > h.TraceEnd || h.TraceEnd > len(msg) {
			t.Fatalf("offsets %+v for %d bytes", h, len(msg))
		}
		if h.EOL != "\n" && h.EOL != "\r\n" {
			t.Fatalf("EOL %q", h.EOL)
		}
		if len(h.ReturnPaths)+len(h.DeliveredTo) > maxTraceFields {
			t.Fatalf("too many fields")
		}
		if h.DeliveredToStart < h.ReturnPathEnd || h.DeliveredToStart > h.TraceEnd {
			t.Fatalf("DeliveredToStart %d outside %d..%d", h.DeliveredToStart, h.ReturnPathEnd, h.TraceEnd)
		}
		body := msg[h.FromLine:]
		m := HeaderMode(mode % 3)
		// Every other mode value also names a final mailbox.
		mailbox := ""
		if mode/3%2 == 1 {
			mailbox = "final-" + rcpt
		}
		parts := PrepareMailbox(msg, sender, rcpt, mailbox, m)
		out := bytes.Join(parts, nil)
		// The output is the body with at most our three header lines added,
		// the Delivered-To fields where the leading ones start (or below
		// the trace fields).
		rp := "Return-Path: <" + headerSafe(sender) + ">" + h.EOL
		dt := "Delivered-To: " + headerSafe(rcpt) + h.EOL
		mb := ""
		if mailbox != "" {
			mb = "Delivered-To: " + headerSafe(mailbox) + h.EOL
		}
		head, tail := string(msg[h.FromLine:h.DeliveredToStart]), string(msg[h.DeliveredToStart:])
		var candidates []string
		for _, r := range []string{"", rp} {
			candidates = append(candidates, r+string(body), r+head+dt+tail, r+head+mb+tail, r+head+mb+dt+tail)
		}
		if !slices.Contains(candidates, string(out)) {
			t.Fatalf("unexpected output %q from %q", out, msg)
		}
		if strings.Count(string(out), "\n") > strings.Count(string(body), "\n")+3 {
			t.Fatalf("more than three lines added: %q", out)
		}
		// (Unless the trace fields above run into the end of the message
		// without a line end: such a message has no header to speak of.)
		terminated := head == "" || strings.HasSuffix(head, "\n")
		if mailbox != "" && m != HeadersNo && !sameAddress(mailbox, rcpt) && terminated {
			if got := ScanHeaders(out).DeliveredTo; len(got) == 0 || !sameAddress(got[0], headerSafe(mailbox)) {
				t.Fatalf("the final mailbox is not the first Delivered-To: %q", out)
			}
		}
		if m == HeadersNo && len(out) != len(body) {
			t.Fatalf("HeadersNo added headers")
		}
		fwd := bytes.Join(PrepareForward(msg, rcpt), nil)
		if !bytes.HasSuffix(fwd, msg[h.ReturnPathEnd:]) {
			t.Fatalf("forward lost content")
		}
	})
}
