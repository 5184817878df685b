package lmtp

import (
	"bytes"
	"strings"

	"hostdir/delivery"
)

// maxHeaderFields bounds how many header fields the server scans.
const maxHeaderFields = 1000

// headerFields calls fn with the name and unfolded value of each field of
// msg's header (up to the first empty line), until fn returns false.
func headerFields(msg []byte, fn func(name, value string) bool) {
	pos, n := 0, 0
	for pos < len(msg) && n < maxHeaderFields {
		end := bytes.IndexByte(msg[pos:], '\n')
		if end < 0 {
			end = len(msg)
		} else {
			end += pos
		}
		line := bytes.TrimRight(msg[pos:end], "\r")
		if len(line) == 0 {
			return
		}
		if line[0] == ' ' || line[0] == '\t' {
			pos = end + 1
			continue // continuation of a field already reported or garbage
		}
		// The field continues on the following lines that start with
		// white space.
		next := end + 1
		value := []string{}
		for next < len(msg) && (msg[next] == ' ' || msg[next] == '\t') {
			e := bytes.IndexByte(msg[next:], '\n')
			if e < 0 {
				e = len(msg)
			} else {
				e += next
			}
			value = append(value, string(bytes.TrimRight(msg[next:e], "\r")))
			next = e + 1
		}
		name, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return // not a header field: the body starts here
		}
		n++
		full := strings.TrimSpace(string(v) + " " + strings.Join(value, " "))
		if !fn(strings.TrimSpace(string(name)), full) {
			return
		}
		pos = next
	}
}

// QueueIDFromReceived returns the Postfix queue id named by the topmost
// Received field of msg when that field is Postfix's own ("... by HOST
// (Postfix...) ... id QUEUEID ..."), else "". Postfix's smtpd and pickup
// write this field when the message enters the queue; its LMTP client
// sends no other trace of the queue id (see the package documentation).
func QueueIDFromReceived(msg []byte) string {
	id := ""
	headerFields(msg, func(name, value string) bool {
		if !strings.EqualFold(name, "Received") {
			return true
		}
		f := strings.Fields(value)
		postfix := false
		for i, w := range f {
			if i > 0 && strings.EqualFold(f[i-1], "by") {
				// by HOST (Postfix) or (Postfix, from userid N)
				if i+1 < len(f) && strings.HasPrefix(f[i+1], "(Postfix") {
					postfix = true
				}
			}
			if postfix && strings.EqualFold(w, "id") && i+1 < len(f) {
				cand := strings.TrimRight(f[i+1], ";")
				if validQueueID(cand) {
					id = cand
				}
				break
			}
		}
		return false // only the topmost Received field counts
	})
	return id
}

// validQueueID reports whether s looks like a Postfix queue id: 6 to 32
// letters and digits (short ids are hex, long ids base-52 with a 'z').
func validQueueID(s string) bool {
	if len(s) < 6 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// HasDeliveredTo reports whether msg's header holds a Delivered-To field
// naming recipient (case-insensitively): the mail has been delivered to
// this recipient before and is looping. Postfix's pipe(8) flag D makes
// this check for the pipe mode; its LMTP client does not.
func HasDeliveredTo(msg []byte, recipient string) bool {
	want := delivery.NormalizeAddress(recipient)
	found := false
	headerFields(msg, func(name, value string) bool {
		if strings.EqualFold(name, "Delivered-To") && delivery.NormalizeAddress(value) == want {
			found = true
			return false
		}
		return true
	})
	return found
}
