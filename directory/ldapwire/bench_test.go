package ldapwire

import (
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// BenchmarkDecodePostfixSearch decodes the PDU postmap sends for the
// HOWTO's accounts map (target: 0 allocations).
func BenchmarkDecodePostfixSearch(b *testing.B) {
	pdu := golden(b, "postfix_search.hex")
	var m Message
	b.ReportAllocs()
	b.SetBytes(int64(len(pdu)))
	for b.Loop() {
		if err := Decode(pdu, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePostfixSearchASN1BER is the same PDU through asn1-ber,
// for comparison.
func BenchmarkDecodePostfixSearchASN1BER(b *testing.B) {
	pdu := golden(b, "postfix_search.hex")
	b.ReportAllocs()
	b.SetBytes(int64(len(pdu)))
	for b.Loop() {
		if _, err := ber.DecodePacketErr(pdu); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSimpleBind(b *testing.B) {
	pdu := msg(1, tl(0x60, num(3), str("uid=user,jvd=example.com,o=hosting,dc=myhosting,dc=example"), prim(0x80, "secret")))
	var m Message
	b.ReportAllocs()
	for b.Loop() {
		if err := Decode(pdu, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSimpleBindASN1BER(b *testing.B) {
	pdu := msg(1, tl(0x60, num(3), str("uid=user,jvd=example.com,o=hosting,dc=myhosting,dc=example"), prim(0x80, "secret")))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ber.DecodePacketErr(pdu); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeEntry5Attrs appends a SearchResultEntry with 5
// attributes to a reused buffer.
func BenchmarkEncodeEntry5Attrs(b *testing.B) {
	var buf []byte
	vals := [][]byte{[]byte("JammMailAccount"), []byte("top")}
	mail := []byte("user@example.com")
	box := []byte("example.com/user/")
	b.ReportAllocs()
	for b.Loop() {
		out, e := StartEntry(buf[:0], 2, "mail=user@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example")
		out = AppendAttr(out, "objectClass", vals...)
		out = AppendAttr(out, "mail", mail)
		out = AppendAttr(out, "mailbox", box)
		out = AppendAttrString(out, "accountActive", "TRUE")
		out = AppendAttrString(out, "homeDirectory", "/home/vmail/domains")
		buf = e.Finish(out)
	}
}

func BenchmarkEncodeSearchResultDone(b *testing.B) {
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendResult(buf[:0], 2, OpSearchResultDone, Result{})
	}
}

// BenchmarkReadPDU frames pipelined Postfix searches.
func BenchmarkReadPDU(b *testing.B) {
	pdu := golden(b, "postfix_search.hex")
	src := &loopReader{pdu: pdu}
	r := NewReader(src, MaxPDUAnonymous)
	b.ReportAllocs()
	b.SetBytes(int64(len(pdu)))
	for b.Loop() {
		if _, err := r.ReadPDU(); err != nil {
			b.Fatal(err)
		}
	}
}

// loopReader returns its PDU over and over.
type loopReader struct {
	pdu []byte
	off int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.pdu[l.off:])
		n += c
		l.off = (l.off + c) % len(l.pdu)
	}
	return n, nil
}

// TestDecodeAllocs pins the 0-allocation goal for the hot path.
func TestDecodeAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	pdu := golden(t, "postfix_search.hex")
	var m Message
	var buf []byte
	n := testing.AllocsPerRun(100, func() {
		if err := Decode(pdu, &m); err != nil {
			t.Fatal(err)
		}
		out, e := StartEntry(buf[:0], m.ID, "mail=a,dc=x")
		out = AppendAttr(out, "mailbox", []byte("x/"))
		out = e.Finish(out)
		buf = AppendResult(out, m.ID, OpSearchResultDone, Result{})
	})
	if n != 0 {
		t.Errorf("%v allocations per search decode+encode, want 0", n)
	}
}
