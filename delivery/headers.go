package delivery

import (
	"bytes"
	"strings"
)

// maxTraceFields bounds how many leading header fields ScanHeaders reads.
const maxTraceFields = 100

// TopHeaders describes the trace header fields at the very top of a message:
// the run of Return-Path, Delivered-To and X-Original-To fields Postfix's
// pipe(8) flags R, D and O prepend, before any other field.
type TopHeaders struct {
	// FromLine is the length of a leading mbox "From " envelope line
	// (0 when absent); ScanHeaders reports the fields after it.
	FromLine int
	// ReturnPaths are the values (unfolded, trimmed) of the leading
	// Return-Path fields.
	ReturnPaths []string
	// DeliveredTo are the values of the leading Delivered-To fields, in order.
	DeliveredTo []string
	// ReturnPathEnd is the offset just after the Return-Path fields that
	// open the message (FromLine when there are none).
	ReturnPathEnd int
	// TraceEnd is the offset just after the leading trace run.
	TraceEnd int
	// DeliveredToStart is the offset of the first leading Delivered-To
	// field, or TraceEnd when there is none: where a delivery agent adds
	// its own Delivered-To (below Return-Path and X-Original-To, as
	// Postfix orders them).
	DeliveredToStart int
	// EOL is the line ending of the first line: "\r\n" or "\n".
	EOL string
}

// ScanHeaders reads the leading trace fields of msg. It never fails: a
// message without headers simply has none. At most 100 fields are read.
func ScanHeaders(msg []byte) (h TopHeaders) {
	h = TopHeaders{EOL: "\n"}
	if i := bytes.IndexByte(msg, '\n'); i > 0 && msg[i-1] == '\r' {
		h.EOL = "\r\n"
	}
	pos := 0
	if bytes.HasPrefix(msg, []byte("From ")) {
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			pos = i + 1
		} else {
			pos = len(msg)
		}
		h.FromLine = pos
	}
	h.ReturnPathEnd, h.TraceEnd = pos, pos
	h.DeliveredToStart = -1
	defer func() {
		if h.DeliveredToStart < 0 {
			h.DeliveredToStart = h.TraceEnd
		}
	}()
	onlyReturnPath := true
	for n := 0; n < maxTraceFields && pos < len(msg); n++ {
		end := fieldEnd(msg, pos)
		name, value, ok := bytes.Cut(msg[pos:end], []byte(":"))
		if !ok || !validFieldName(name) {
			break
		}
		switch {
		case asciiEqualFold(name, "Return-Path"):
			h.ReturnPaths = append(h.ReturnPaths, unfold(value))
			if onlyReturnPath {
				h.ReturnPathEnd = end
			}
		case asciiEqualFold(name, "Delivered-To"):
			if h.DeliveredToStart < 0 {
				h.DeliveredToStart = pos
			}
			h.DeliveredTo = append(h.DeliveredTo, unfold(value))
			onlyReturnPath = false
		case asciiEqualFold(name, "X-Original-To"):
			onlyReturnPath = false
		default:
			return h
		}
		pos = end
		h.TraceEnd = end
	}
	return h
}

// fieldEnd returns the offset after the header field starting at pos,
// including its continuation lines.
func fieldEnd(msg []byte, pos int) int {
	end := pos
	for {
		i := bytes.IndexByte(msg[end:], '\n')
		if i < 0 {
			return len(msg)
		}
		end += i + 1
		if end < len(msg) && (msg[end] == ' ' || msg[end] == '\t') {
			continue
		}
		return end
	}
}

// validFieldName: RFC 5322 ftext, printable ASCII except ':' and space.
func validFieldName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// unfold joins the lines of a field value and trims it.
func unfold(v []byte) string {
	s := strings.NewReplacer("\r\n", "", "\n", "").Replace(string(v))
	return strings.TrimSpace(s)
}

// sameAddress compares two addresses as header values (angle brackets and
// case ignored).
func sameAddress(a, b string) bool {
	return NormalizeAddress(a) == NormalizeAddress(b)
}

// PrepareMessage returns the parts of the message to store for recipient:
// the message without a leading mbox "From " line, with "Return-Path:
// <sender>" and "Delivered-To: recipient" added on top as mode says. It is
// PrepareMailbox with the recipient as the mailbox.
func PrepareMessage(msg []byte, sender, recipient string, mode HeaderMode) [][]byte {
	return PrepareMailbox(msg, sender, recipient, "", mode)
}

// PrepareMailbox returns the parts of the message to store in the mailbox
// of the address mailbox, reached from recipient (the address Postfix
// handed over) by the agent's own alias expansion: the message without a
// leading mbox "From " line, with "Return-Path: <sender>" on top and
// Delivered-To fields below the leading Return-Path and X-Original-To
// fields, as mode says.
//
// Nothing is duplicated: a Delivered-To for recipient is added only when
// the topmost leading Delivered-To is not recipient (Postfix's pipe flag D
// put it there); a Return-Path only when the message has no leading
// Return-Path (HeadersAuto) or none with this sender (HeadersYes). When
// mailbox is set and is not recipient, "Delivered-To: mailbox" goes above
// them, so the message names its final mailbox first, as virtual(8) writes
// it ("" means recipient). HeadersNo adds nothing. The parts share msg's
// memory.
func PrepareMailbox(msg []byte, sender, recipient, mailbox string, mode HeaderMode) [][]byte {
	h := ScanHeaders(msg)
	body := msg[h.FromLine:]
	if mode == HeadersNo {
		return [][]byte{body}
	}
	addRP := len(h.ReturnPaths) == 0
	if mode == HeadersYes && !addRP {
		addRP = true
		for _, rp := range h.ReturnPaths {
			if sameAddress(rp, sender) {
				addRP = false
			}
		}
	}
	addDT := len(h.DeliveredTo) == 0 || !sameAddress(h.DeliveredTo[0], recipient)
	addMB := mailbox != "" && !sameAddress(mailbox, recipient)
	parts := make([][]byte, 0, 5)
	if addRP {
		parts = append(parts, []byte("Return-Path: <"+headerSafe(sender)+">"+h.EOL))
	}
	if addDT || addMB {
		parts = append(parts, msg[h.FromLine:h.DeliveredToStart])
		if addMB {
			parts = append(parts, []byte("Delivered-To: "+headerSafe(mailbox)+h.EOL))
		}
		if addDT {
			parts = append(parts, []byte("Delivered-To: "+headerSafe(recipient)+h.EOL))
		}
		parts = append(parts, msg[h.DeliveredToStart:])
	} else {
		parts = append(parts, body)
	}
	return dropEmpty(parts)
}

// PrepareForward returns the parts of the message to re-submit on behalf of
// recipient: without a leading "From " line and leading Return-Path fields
// (the next delivery adds its own), with "Delivered-To: recipient" on top
// unless the topmost Delivered-To already names it, so a forwarding loop
// back to this recipient is caught by Postfix.
func PrepareForward(msg []byte, recipient string) [][]byte {
	h := ScanHeaders(msg)
	rest := msg[h.ReturnPathEnd:]
	h2 := ScanHeaders(rest)
	if len(h2.DeliveredTo) > 0 && sameAddress(h2.DeliveredTo[0], recipient) {
		return dropEmpty([][]byte{rest})
	}
	return dropEmpty([][]byte{[]byte("Delivered-To: " + headerSafe(recipient) + h.EOL), rest})
}

func dropEmpty(parts [][]byte) [][]byte {
	out := parts[:0]
	for _, p := range parts {
		if len(p) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// headerSafe removes CR, LF and NUL so an address cannot inject header lines.
func headerSafe(s string) string {
	if !strings.ContainsAny(s, "\r\n\x00") {
		return s
	}
	return strings.NewReplacer("\r", "", "\n", "", "\x00", "").Replace(s)
}

// partsLen sums the lengths of parts.
func partsLen(parts [][]byte) int64 {
	var n int64
	for _, p := range parts {
		n += int64(len(p))
	}
	return n
}
