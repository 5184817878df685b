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
		from int
		eol  string
	}{
		{name: "empty", in: "", eol: "\n"},
		{name: "no trace", in: "Subject: x\n\nbody", eol: "\n"},
		{name: "postfix DR", in: "Return-Path: <s@x>\nDelivered-To: a@b\nSubject: x\n\n",
			rp: []string{"<s@x>"}, dt: []string{"a@b"}, rpE: 19, trE: 37, eol: "\n"},
		{name: "postfix DRO", in: "Return-Path: <>\nDelivered-To: a@b\nX-Original-To: c@d\nDelivered-To: e@f\nReceived: x\n",
			rp: []string{"<>"}, dt: []string{"a@b", "e@f"}, rpE: 16, trE: 71, eol: "\n"},
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
				(tc.rpE != 0 && h.ReturnPathEnd != tc.rpE) {
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
		body := msg[h.FromLine:]
		m := HeaderMode(mode % 3)
		parts := PrepareMessage(msg, sender, rcpt, m)
		out := bytes.Join(parts, nil)
		// The output is the body with at most our two header lines added,
		// Delivered-To below the leading Return-Path fields.
		rp := "Return-Path: <" + headerSafe(sender) + ">" + h.EOL
		dt := "Delivered-To: " + headerSafe(rcpt) + h.EOL
		head, tail := string(msg[h.FromLine:h.ReturnPathEnd]), string(msg[h.ReturnPathEnd:])
		candidates := []string{string(body), rp + string(body), head + dt + tail, rp + head + dt + tail}
		if !slices.Contains(candidates, string(out)) {
			t.Fatalf("unexpected output %q from %q", out, msg)
		}
		if strings.Count(string(out), "\n") > strings.Count(string(body), "\n")+2 {
			t.Fatalf("more than two lines added: %q", out)
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
