package robust

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// Protocol edge cases, written by hand as raw PDUs and sent to slapd and
// to hostdir with the same configuration: each server's full answer
// (message IDs, operations, result codes, diagnostic messages, Notice of
// Disconnection, whether the connection stays usable) must be the same,
// except where hostdir keeps a safety limit slapd does not have (see
// edgeCase.differs).

// edgeReply is one LDAPMessage a server sent back, decoded far enough to
// compare: message ID, operation tag, and for results the code, matched
// DN and diagnostic message, and for extended responses the name.
type edgeReply struct {
	id      int64
	op      byte
	code    int
	matched string
	diag    string
	name    string
}

func (r edgeReply) String() string {
	s := fmt.Sprintf("id=%d op=0x%02x", r.id, r.op)
	if r.code >= 0 {
		s += fmt.Sprintf(" code=%d", r.code)
		if r.matched != "" {
			s += fmt.Sprintf(" matched=%q", r.matched)
		}
		s += fmt.Sprintf(" diag=%q", r.diag)
	}
	if r.name != "" {
		s += " name=" + r.name
	}
	return s
}

// edgeOutcome is what a server did with one case: its replies, and
// whether it closed the connection.
type edgeOutcome struct {
	replies []edgeReply
	closed  bool
}

func (o edgeOutcome) String() string {
	var rs []string
	for _, r := range o.replies {
		rs = append(rs, r.String())
	}
	state := "open"
	if o.closed {
		state = "closed"
	}
	return "[" + strings.Join(rs, "; ") + "] " + state
}

// berIntValue decodes a two's complement INTEGER body.
func berIntValue(b []byte) int64 {
	if len(b) == 0 || len(b) > 8 {
		return 0
	}
	v := int64(int8(b[0]))
	for _, x := range b[1:] {
		v = v<<8 | int64(x)
	}
	return v
}

// parseEdgeReply decodes one LDAPMessage at the start of b.
func parseEdgeReply(b []byte) (edgeReply, int, bool) {
	tag, body, used, ok := readTLV(b)
	if !ok || tag != 0x30 {
		return edgeReply{}, 0, false
	}
	_, idb, n, ok := readTLV(body)
	if !ok {
		return edgeReply{}, 0, false
	}
	opTag, op, _, ok := readTLV(body[n:])
	if !ok {
		return edgeReply{}, 0, false
	}
	r := edgeReply{id: berIntValue(idb), op: opTag, code: -1}
	switch opTag {
	case 0x61, 0x65, 0x67, 0x69, 0x6b, 0x6d, 0x6f, 0x78:
		t, v, k, ok := readTLV(op)
		if !ok || t != 0x0a {
			break
		}
		r.code = int(berIntValue(v))
		op = op[k:]
		if _, v, k, ok = readTLV(op); ok {
			r.matched = string(v)
			op = op[k:]
		}
		if _, v, k, ok = readTLV(op); ok {
			r.diag = string(v)
			op = op[k:]
		}
		for len(op) > 0 {
			t, v, k, ok := readTLV(op)
			if !ok {
				break
			}
			if t == 0x8a {
				r.name = string(v)
			}
			op = op[k:]
		}
	}
	return r, used, true
}

// exchange writes send on a new connection to addr and reads the
// replies until one answers the request with a final result (or wait
// passes in silence: Abandon and Unbind have no answer). It then writes
// the probe, a normal search, and reads until the probe is answered: the
// connection works. Reading stops early when the server closes the
// connection. (The probe is not sent with the case because slapd runs
// pipelined requests concurrently: the order of their answers would
// vary.)
func exchange(t *testing.T, addr string, send []byte, wait time.Duration) edgeOutcome {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	var o edgeOutcome
	var buf []byte
	tmp := make([]byte, 4096)
	// read reads until done says so (true) or the connection ends or
	// wait passes in silence (false).
	read := func(done func(edgeReply) bool) bool {
		for {
			_ = c.SetReadDeadline(time.Now().Add(wait))
			n, err := c.Read(tmp)
			buf = append(buf, tmp[:n]...)
			for {
				r, used, ok := parseEdgeReply(buf)
				if !ok {
					break
				}
				o.replies = append(o.replies, r)
				buf = buf[used:]
				if done(r) {
					return true
				}
			}
			if err != nil {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					// EOF, a reset, or any other end of the connection
					o.closed = true
				}
				return false
			}
		}
	}
	if _, err := c.Write(send); err != nil {
		t.Logf("write: %v", err)
	}
	read(func(r edgeReply) bool {
		return r.id != 0 && isFinal(r.op) || r.id == 0 && r.op != 0x78 && isFinal(r.op)
	})
	if o.closed {
		return o
	}
	if _, err := c.Write(probe()); err != nil {
		t.Logf("write probe: %v", err)
	}
	read(func(r edgeReply) bool { return r.id == probeID && r.op == 0x65 })
	return o
}

// isFinal reports whether op is a response that ends an operation (not a
// search result entry or reference, nor an intermediate response).
func isFinal(op byte) bool { return op != 0x64 && op != 0x73 && op != 0x79 }

// rawMessage is an LDAPMessage with a message ID given as the bytes of
// its INTEGER body (to send IDs out of range).
func rawMessage(id []byte, op []byte, controls ...[]byte) []byte {
	parts := [][]byte{tlv(0x02, id), op}
	if len(controls) > 0 {
		parts = append(parts, tlv(0xa0, controls...))
	}
	return tlv(0x30, parts...)
}

// control is a Control with an optional criticality and no value.
func control(oid string, critical bool) []byte {
	if critical {
		return tlv(0x30, octets(0x04, oid), tlv(0x01, []byte{0xff}))
	}
	return tlv(0x30, octets(0x04, oid))
}

// bindOp is a simple BindRequest with version v.
func bindOp(v int, name, pw string) []byte {
	return tlv(0x60, berInt(0x02, v), octets(0x04, name), octets(0x80, pw))
}

// extendedOp is an ExtendedRequest with the OID and no value.
func extendedOp(oid string) []byte { return tlv(0x77, octets(0x80, oid)) }

// baseSearch reads the base entry (only 1.1).
func baseSearch(filter []byte) []byte {
	return tlv(0x63, octets(0x04, base), berInt(0x0a, 0), berInt(0x0a, 0), berInt(0x02, 0), berInt(0x02, 0),
		tlv(0x01, []byte{0}), filter, tlv(0x30, octets(0x04, "1.1")))
}

// nestedAnd wraps f in n AND filters.
func nestedAnd(f []byte, n int) []byte {
	for i := 0; i < n; i++ {
		f = tlv(0xa0, f)
	}
	return f
}

// edgeCase is one exchange. After send is answered, a normal search
// with message ID probeID shows whether the connection still works.
type edgeCase struct {
	name string
	send []byte
	// differs, when not empty, says why hostdir answers differently from
	// slapd on purpose (a safety limit); the outcomes are then only
	// logged.
	differs string
}

// probe is the search sent after each case (message ID 99).
func probe() []byte { return message(probeID, baseSearch(presentFilter("objectClass"))) }

// probeID is the message ID of the probe.
const probeID = 99

// Reasons for the answers hostdir gives differently on purpose.
const (
	// negativeID: slapd reads the messageID as a C int and answers a
	// request with ID -1 or -2^31 under that ID. RFC 4511 has MessageID
	// ::= INTEGER (0..maxInt); hostdir refuses such a message (and
	// TestMalformedPDUs requires it to close the connection): it closes
	// the connection without a notice, as slapd does for IDs it cannot
	// read (five octets or more, >= 2^31).
	negativeID = "negative messageID refused (RFC 4511: 0..maxInt)"
	// filterDepth: hostdir keeps its decoder limit of 100 nested
	// and/or/not (ldapwire.DefaultMaxFilterDepth) and answers a deeper
	// search adminLimitExceeded (11) "filter nested too deeply" on an open
	// connection; slapd evaluates filters up to 1000 levels. Beyond 1000
	// (ldapwire.SlapdMaxFilterDepth) both send a Notice of Disconnection,
	// protocolError "filter nested too deeply", and close.
	filterDepth = "filter depth limit 100 kept (slapd: 1000)"
)

func edgeCases() []edgeCase {
	id := func(b ...byte) []byte { return b }
	search := baseSearch(presentFilter("objectClass"))
	oc := presentFilter("objectClass")
	cases := []edgeCase{
		{name: "message id 0 search", send: rawMessage(id(0), search)},
		{name: "message id 0 bind", send: rawMessage(id(0), bindOp(3, "", ""))},
		{name: "message id -1", send: rawMessage(id(0xff), search), differs: negativeID},
		{name: "message id -2^31", send: rawMessage(id(0x80, 0, 0, 0), search), differs: negativeID},
		{name: "message id 2^31-1", send: rawMessage(id(0x7f, 0xff, 0xff, 0xff), search)},
		{name: "message id 2^31", send: rawMessage(id(0x00, 0x80, 0, 0, 0), search)},
		{name: "message id 2^32+1", send: rawMessage(id(0x01, 0, 0, 0, 1), search)},
		{name: "message id 5 bytes 0", send: rawMessage(id(0, 0, 0, 0, 5), search)},
		{name: "unknown application tag constructed", send: message(4, tlv(0x7e, octets(0x04, "x")))},
		{name: "unknown application tag primitive", send: message(4, tlv(0x5e, []byte("x")))},
		{name: "application 30 empty", send: message(4, tlv(0x7e))},
		{name: "response op as request", send: message(4, tlv(0x61, berInt(0x0a, 0), octets(0x04, ""), octets(0x04, "")))},
		{name: "intermediate response as request", send: message(4, tlv(0x79))},
		{name: "context tag as op", send: message(4, tlv(0xa3))},
		{name: "bind version 4", send: message(1, bindOp(4, "", ""))},
		{name: "bind version 1", send: message(1, bindOp(1, "", ""))},
		{name: "bind version 0", send: message(1, bindOp(0, "", ""))},
		{name: "bind version 127", send: message(1, bindOp(127, "", ""))},
		{name: "bind version 128", send: message(1, bindOp(128, "", ""))},
		{name: "bind version -1", send: message(1, tlv(0x60, tlv(0x02, []byte{0xff}), octets(0x04, ""), octets(0x80, "")))},
		{name: "abandon unknown id", send: message(5, tlv(0x50, []byte{0x33}))},
		{name: "abandon id 0", send: message(5, tlv(0x50, []byte{0x00}))},
		{name: "abandon negative id", send: message(5, tlv(0x50, []byte{0xff}))},
		{name: "abandon empty id", send: message(5, tlv(0x50))},
		{name: "extended unknown oid", send: message(6, extendedOp("1.2.3.4.5.6.7"))},
		{name: "extended unknown oid with value", send: message(6, tlv(0x77, octets(0x80, "1.2.3.4.5.6.7"), octets(0x81, "v")))},
		{name: "extended empty oid", send: message(6, tlv(0x77, octets(0x80, "")))},
		{name: "extended no oid", send: message(6, tlv(0x77))},
		{name: "critical unknown control on search", send: tlv(0x30, berInt(0x02, 7), search, tlv(0xa0, control("1.2.3.4.5", true)))},
		{name: "non-critical unknown control on search", send: tlv(0x30, berInt(0x02, 7), search, tlv(0xa0, control("1.2.3.4.5", false)))},
		{name: "critical unknown control on bind", send: tlv(0x30, berInt(0x02, 7), bindOp(3, "", ""), tlv(0xa0, control("1.2.3.4.5", true)))},
		{name: "critical unknown control on extended", send: tlv(0x30, berInt(0x02, 7), extendedOp("1.3.6.1.4.1.4203.1.11.3"), tlv(0xa0, control("1.2.3.4.5", true)))},
		{name: "critical unknown control on abandon", send: tlv(0x30, berInt(0x02, 7), tlv(0x50, []byte{0x33}), tlv(0xa0, control("1.2.3.4.5", true)))},
		{name: "critical unknown control on unbind", send: tlv(0x30, berInt(0x02, 7), tlv(0x42), tlv(0xa0, control("1.2.3.4.5", true)))},
		{name: "critical flag false spelled out", send: tlv(0x30, berInt(0x02, 7), search, tlv(0xa0, tlv(0x30, octets(0x04, "1.2.3.4.5"), tlv(0x01, []byte{0}))))},
	}
	for _, n := range []int{99, 100, 101, 500, 1000, 1001, 5000} {
		differs := ""
		if n > 100 && n <= 1000 {
			differs = filterDepth
		}
		cases = append(cases,
			edgeCase{name: fmt.Sprintf("filter %d NOTs", n), send: message(8, baseSearch(nestedNot(oc, n))), differs: differs},
			edgeCase{name: fmt.Sprintf("filter %d ANDs", n), send: message(8, baseSearch(nestedAnd(oc, n))), differs: differs})
	}
	return cases
}

// TestEdgeCasesLikeSlapd sends every edge case, followed by a normal
// search, on its own connection to slapd and to hostdir, and compares
// what they answer.
func TestEdgeCasesLikeSlapd(t *testing.T) {
	sl := startSlapd(t)
	_, hd := startHostdir(t)
	for _, tc := range edgeCases() {
		want := exchange(t, sl.addr, tc.send, time.Second)
		got := exchange(t, hd.addr, tc.send, time.Second)
		t.Logf("%-40s slapd   %v", tc.name, want)
		if want.String() == got.String() {
			continue
		}
		t.Logf("%-40s hostdir %v", tc.name, got)
		if tc.differs != "" {
			t.Logf("%s: differs on purpose: %s", tc.name, tc.differs)
			continue
		}
		t.Errorf("%s:\nslapd   %v\nhostdir %v", tc.name, want, got)
	}
	checkAnswers(t, sl, "edge cases")
	checkAnswers(t, hd, "edge cases")
}
