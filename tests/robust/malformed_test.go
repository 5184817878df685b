package robust

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BER helpers, enough to write LDAP requests (and broken ones) by hand.

// tlv encodes one element with a definite length.
func tlv(tag byte, content ...[]byte) []byte {
	body := bytes.Join(content, nil)
	return append(append([]byte{tag}, berLength(len(body))...), body...)
}

// berLength encodes a definite length (short or long form).
func berLength(n int) []byte {
	if n < 0x80 {
		return []byte{byte(n)}
	}
	var b []byte
	for ; n > 0; n >>= 8 {
		b = append([]byte{byte(n)}, b...)
	}
	return append([]byte{0x80 | byte(len(b))}, b...)
}

func berInt(tag byte, v int) []byte {
	b := []byte{byte(v)}
	for v >>= 8; v > 0; v >>= 8 {
		b = append([]byte{byte(v)}, b...)
	}
	if b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return tlv(tag, b)
}

func octets(tag byte, s string) []byte { return tlv(tag, []byte(s)) }

// message wraps a protocol op into an LDAPMessage with the message ID.
func message(id int, op []byte) []byte { return tlv(0x30, berInt(0x02, id), op) }

// searchOp is a SearchRequest for base, subtree, with the encoded filter.
func searchOp(base string, filter []byte, attrs ...string) []byte {
	var as [][]byte
	for _, a := range attrs {
		as = append(as, octets(0x04, a))
	}
	return tlv(0x63, octets(0x04, base), berInt(0x0a, 2), berInt(0x0a, 0), berInt(0x02, 0), berInt(0x02, 0),
		tlv(0x01, []byte{0}), filter, tlv(0x30, as...))
}

// presentFilter is (attr=*).
func presentFilter(attr string) []byte { return octets(0x87, attr) }

// equalityFilter is (attr=value).
func equalityFilter(attr, value string) []byte {
	return tlv(0xa3, octets(0x04, attr), octets(0x04, value))
}

// nestedNot wraps f in n NOT filters.
func nestedNot(f []byte, n int) []byte {
	for i := 0; i < n; i++ {
		f = tlv(0xa2, f)
	}
	return f
}

// anonBind is an anonymous simple BindRequest.
func anonBind(id int) []byte {
	return message(id, tlv(0x60, berInt(0x02, 3), octets(0x04, ""), octets(0x80, "")))
}

// aliceSearch is a valid search for alice's mailbox.
func aliceSearch(id int) []byte {
	return message(id, searchOp(base, equalityFilter("mail", "alice@example.com"), "mailbox"))
}

// reply is one LDAPMessage read back: its protocol op tag and, for result
// ops, the result code (-1 otherwise).
type reply struct {
	op   byte
	code int
}

func (r reply) String() string {
	if r.code >= 0 {
		return fmt.Sprintf("op 0x%02x code %d", r.op, r.code)
	}
	return fmt.Sprintf("op 0x%02x", r.op)
}

// outcome is what a server did with one malformed input.
type outcome struct {
	replies []reply
	// closed: the server closed the connection (EOF or reset) before the
	// deadline; otherwise it was still open.
	closed bool
	err    string
}

func (o outcome) String() string {
	var rs []string
	for _, r := range o.replies {
		rs = append(rs, r.String())
	}
	state := "left open"
	if o.closed {
		state = "closed"
	}
	s := fmt.Sprintf("replies [%s], %s", strings.Join(rs, "; "), state)
	if o.err != "" {
		s += " (" + o.err + ")"
	}
	return s
}

// readReplies reads LDAPMessages until the connection closes or wait
// passes without data.
func readReplies(c net.Conn, wait time.Duration) outcome {
	var o outcome
	buf := make([]byte, 0, 4096)
	tmp := make([]byte, 4096)
	for {
		_ = c.SetReadDeadline(time.Now().Add(wait))
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		for {
			r, used, ok := parseReply(buf)
			if !ok {
				break
			}
			o.replies = append(o.replies, r)
			buf = buf[used:]
		}
		if err != nil {
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
			case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
				o.closed = true
			default:
				o.closed = true
				o.err = err.Error()
			}
			if len(buf) > 0 {
				o.err += fmt.Sprintf(" %d unparsed bytes", len(buf))
			}
			return o
		}
	}
}

// parseReply decodes one LDAPMessage at the start of b (only its op tag
// and result code); ok is false when b holds no complete message.
func parseReply(b []byte) (reply, int, bool) {
	tag, body, used, ok := readTLV(b)
	if !ok || tag != 0x30 {
		return reply{}, 0, false
	}
	_, _, n, ok := readTLV(body) // messageID
	if !ok {
		return reply{}, 0, false
	}
	opTag, op, _, ok := readTLV(body[n:])
	if !ok {
		return reply{}, 0, false
	}
	r := reply{op: opTag, code: -1}
	switch opTag {
	case 0x61, 0x65, 0x67, 0x69, 0x6b, 0x6d, 0x6f, 0x78:
		if t, v, _, ok := readTLV(op); ok && t == 0x0a && len(v) > 0 {
			r.code = int(v[len(v)-1])
		}
	}
	return r, used, true
}

// readTLV splits one definite-length element off b.
func readTLV(b []byte) (tag byte, body []byte, used int, ok bool) {
	if len(b) < 2 {
		return 0, nil, 0, false
	}
	tag = b[0]
	n, i := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 || len(b) < 2+k {
			return 0, nil, 0, false
		}
		n = 0
		for _, x := range b[2 : 2+k] {
			n = n<<8 | int(x)
		}
		i += k
	}
	if len(b) < i+n {
		return 0, nil, 0, false
	}
	return tag, b[i : i+n], i + n, true
}

// malformedCase is one attack on a fresh connection.
type malformedCase struct {
	name string
	// send is written at once; closeWrite then half-closes the connection.
	send       []byte
	closeWrite bool
	// hang leaves the connection open (and unread) until the end of the
	// suite instead of waiting for the server's answer.
	hang bool
	// wantClosed: hostdir must close the connection (the design's "a
	// protocolError and a closed connection for a broken PDU").
	wantClosed bool
	// wantReplies are op tags hostdir's replies must start with.
	wantReplies []byte
}

func malformedCases() []malformedCase {
	valid := aliceSearch(2)
	deep := message(3, searchOp(base, nestedNot(presentFilter("objectClass"), 10000)))
	deepAnd := func(n int) []byte {
		f := presentFilter("objectClass")
		for i := 0; i < n; i++ {
			f = tlv(0xa0, f)
		}
		return f
	}
	wide := make([][]byte, 20000)
	for i := range wide {
		wide[i] = presentFilter("mail")
	}
	return []malformedCase{
		{name: "bad first byte", send: []byte("\x31\x05\x02\x01\x01\x42\x00"), wantClosed: true},
		{name: "http request", send: []byte("GET / HTTP/1.0\r\nHost: x\r\n\r\n"), wantClosed: true},
		{name: "huge length 4-byte", send: []byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01}, wantClosed: true},
		{name: "huge length 8-byte", send: []byte{0x30, 0x88, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, wantClosed: true},
		{name: "indefinite length", send: []byte{0x30, 0x80, 0x02, 0x01, 0x01, 0x42, 0x00, 0x00, 0x00}, wantClosed: true},
		{name: "length over the anonymous limit", send: append([]byte{0x30, 0x84, 0x00, 0x10, 0x00, 0x00}, bytes.Repeat([]byte{0x04}, 1000)...), wantClosed: true},
		{name: "empty sequence", send: []byte{0x30, 0x00}, wantClosed: true},
		{name: "message id too long", send: tlv(0x30, tlv(0x02, bytes.Repeat([]byte{0x7f}, 9)), []byte{0x42, 0x00}), wantClosed: true},
		{name: "negative message id", send: tlv(0x30, []byte{0x02, 0x01, 0xff}, tlv(0x60, berInt(0x02, 3), octets(0x04, ""), octets(0x80, ""))), wantClosed: true},
		{name: "unknown op", send: message(4, tlv(0x7e, []byte("x"))), wantClosed: true},
		{name: "inner length beyond outer", send: tlv(0x30, berInt(0x02, 5), []byte{0x63, 0x84, 0x00, 0x00, 0xff, 0xff, 0x04, 0x00}), wantClosed: true},
		{name: "truncated search then close", send: valid[:len(valid)-7], closeWrite: true, wantClosed: true},
		{name: "truncated header then close", send: []byte{0x30, 0x82, 0x01}, closeWrite: true, wantClosed: true},
		{name: "deep filter 10000 NOTs", send: deep},
		{name: "deep filter 1000 ANDs", send: message(5, searchOp(base, deepAnd(1000)))},
		{name: "wide filter 20000 ORs", send: message(6, searchOp(base, tlv(0xa1, wide...)))},
		{name: "garbage after valid search", send: append(append([]byte{}, valid...), []byte("\x31\x05\x02\x01\x01\x42\x00garbage")...),
			wantClosed: true, wantReplies: []byte{0x64, 0x65}},
		{name: "valid bind, then truncated", send: append(anonBind(1), aliceSearch(2)[:10]...), closeWrite: true,
			wantClosed: true, wantReplies: []byte{0x61}},
		{name: "half-sent PDU left hanging", send: valid[:len(valid)/2], hang: true},
		{name: "big claim left hanging", send: []byte{0x30, 0x83, 0x03, 0xff, 0x00, 0x02, 0x01, 0x01}, hang: true},
	}
}

// TestMalformedPDUs sends every malformed case on its own connection. After
// each the server must still answer a normal search on a new connection,
// and at the end its RSS must have grown by less than 64 MiB. Runs against
// slapd (to prove the harness: it must survive every case) and hostdir,
// which must also close the connection where the case says so; what each
// server answered is logged.
func TestMalformedPDUs(t *testing.T) {
	for _, kind := range []string{"slapd", "hostdir"} {
		t.Run(kind, func(t *testing.T) {
			var tg *target
			if kind == "slapd" {
				tg = startSlapd(t)
			} else {
				_, tg = startHostdir(t)
			}
			checkAnswers(t, tg, "start")
			before := rss(t, tg)
			var hanging []net.Conn
			defer func() {
				for _, c := range hanging {
					c.Close()
				}
			}()
			for _, tc := range malformedCases() {
				if len(tc.send) == 0 {
					continue
				}
				c, err := net.DialTimeout("tcp", tg.addr, 5*time.Second)
				if err != nil {
					t.Fatalf("%s: dial: %v", tc.name, err)
				}
				if _, err := c.Write(tc.send); err != nil {
					t.Logf("%s: write: %v", tc.name, err)
				}
				if tc.closeWrite {
					_ = c.(*net.TCPConn).CloseWrite()
				}
				if tc.hang {
					hanging = append(hanging, c)
					checkAnswers(t, tg, tc.name)
					t.Logf("%s %-34s left hanging; RSS %s", kind, tc.name, mib(rss(t, tg)))
					continue
				}
				o := readReplies(c, 2*time.Second)
				c.Close()
				t.Logf("%s %-34s %v; RSS %s", kind, tc.name, o, mib(rss(t, tg)))
				if kind == "slapd" {
					// slapd proves the harness: it must survive, but
					// how it answers is only logged.
					checkAnswers(t, tg, tc.name)
					continue
				}
				if tc.wantClosed && !o.closed {
					t.Errorf("%s: %s: connection left open: %v", kind, tc.name, o)
				}
				for i, op := range tc.wantReplies {
					if i >= len(o.replies) || o.replies[i].op != op {
						t.Errorf("%s: %s: replies %v, want ops starting % x", kind, tc.name, o, tc.wantReplies)
						break
					}
				}
				checkAnswers(t, tg, tc.name)
			}
			// Many connections each holding a big half-sent PDU.
			for i := 0; i < 100; i++ {
				c, err := net.DialTimeout("tcp", tg.addr, 5*time.Second)
				if err != nil {
					t.Fatalf("hanging %d: dial: %v", i, err)
				}
				hanging = append(hanging, c)
				claim := append([]byte{0x30, 0x83, 0x03, 0xff, 0x00}, bytes.Repeat([]byte{0x04}, 8192)...)
				if _, err := c.Write(claim); err != nil {
					t.Logf("hanging %d: write: %v", i, err)
				}
			}
			checkAnswers(t, tg, "100 hanging big PDUs")
			after := rss(t, tg)
			t.Logf("%s RSS before %s, after the suite %s", kind, mib(before), mib(after))
			if after-before > 64<<20 {
				t.Errorf("%s: RSS grew from %s to %s", kind, mib(before), mib(after))
			}
			if t.Failed() && os.Getenv("ROBUST_SHOW_LOG") != "" {
				t.Logf("server output:\n%s", tg.output())
			}
		})
	}
}
