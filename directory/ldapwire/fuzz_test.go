package ldapwire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// seedPDUs are representative requests for the fuzzers' seeds.
func seedPDUs(t testing.TB) [][]byte {
	return [][]byte{
		golden(t, "postfix_search.hex"),
		golden(t, "ldapsearch_search.hex"),
		golden(t, "ldapsearch_bind.hex"),
		msg(1, tl(0x60, num(3), str("cn=admin,dc=example"), prim(0x80, "secret"))),
		msg(2, tl(0x60, num(3), str(""), tl(0xa3, str("PLAIN"), str("\x00u\x00p")))),
		msg(3, []byte{0x42, 0}),
		msg(4, tl(0x63, str("dc=x"), enum(1), enum(3), num(500), num(3600), boolean(0x01),
			tl(0xa1, tl(0xa2, prim(0x87, "cn")),
				tl(0xa4, str("cn"), seq(prim(0x80, "a"), prim(0x81, "b"), prim(0x82, "d"))),
				tl(0xa5, str("uidNumber"), str("1000")), tl(0xa6, str("uidNumber"), str("2000")),
				tl(0xa8, str("cn"), str("jon")),
				tl(0xa9, prim(0x81, "caseExactMatch"), prim(0x82, "cn"), prim(0x83, "J*"), prim(0x84, "\x01")),
				tl(0xa0), prim(0x8a, "future")),
			seq(str("cn"), str("+"))), tl(0xa0, seq(str(OIDPagedResults), boolean(0xff), str("\x30\x05\x02\x01\x0a\x04\x00")))),
		msg(5, tl(0x66, str("uid=a,dc=x"), seq(seq(enum(0), seq(str("mail"), set(str("a@x"), str("b@x")))),
			seq(enum(3), seq(str("uidNumber"), set(str("1"))))))),
		msg(6, tl(0x68, str("cn=n,dc=x"), seq(seq(str("objectClass"), set(str("top"), str("person")))))),
		msg(7, prim(0x4a, "cn=n,dc=x")),
		msg(8, tl(0x6c, str("cn=a,dc=x"), str("cn=b"), boolean(0), prim(0x80, "dc=y"))),
		msg(9, tl(0x6e, str("cn=a,dc=x"), seq(str("sn"), str("Doe")))),
		msg(10, integer(0x50, 7)),
		msg(11, tl(0x77, prim(0x80, OIDPasswordModify), prim(0x81, "\x30\x05\x80\x03uid"))),
		tl4(0x30, num(12), tl4(0x63, str("dc=x"), enum(0), enum(0), num(0), num(0), boolean(0),
			tl4(0xa0, tl4(0xa3, str("a"), str("b"))), tl4(0x30))),
		msg(13, prim(0x4a, "x"), tl(0xa0), str("future")),
	}
}

// TestWriteFuzzCorpus regenerates testdata/fuzz/*/seed-* when
// LDAPWIRE_UPDATE=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("LDAPWIRE_UPDATE") != "1" {
		t.Skip("set LDAPWIRE_UPDATE=1 to rewrite the seed corpus")
	}
	for _, name := range []string{"FuzzDecode", "FuzzReader", "FuzzDecodeVsASN1BER"} {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		seeds := seedPDUs(t)
		if name == "FuzzReader" {
			seeds = append(seeds, bytes.Join(seeds, nil), []byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff}, []byte{0x30, 0x80, 0, 0})
		}
		for i, s := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// within reports whether b aliases data (or is empty).
func within(data, b []byte) bool {
	if len(b) == 0 {
		return true
	}
	for i := 0; i+len(b) <= len(data); i++ {
		if &data[i] == &b[0] {
			return true
		}
	}
	return false
}

// FuzzDecode: no input panics; errors are *Error; a decoded message's
// filter and controls re-encode and decode to the same values; its values
// alias the input; decoding is deterministic.
func FuzzDecode(f *testing.F) {
	for _, s := range seedPDUs(f) {
		f.Add(s)
	}
	big := &Decoder{MaxFilterDepth: 1 << 20, MaxFilterNodes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Message
		err := Decode(data, &m)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not *Error", err)
			}
			_ = de.Error()
			return
		}
		d1 := dump(&m)
		var m2 Message
		if err := Decode(data, &m2); err != nil || dump(&m2) != d1 {
			t.Fatalf("not deterministic")
		}
		if m.Op == OpSearchRequest {
			fl := &m.Search.Filter
			enc := AppendFilter(nil, fl)
			var g Filter
			if err := big.DecodeFilter(enc, &g); err != nil {
				t.Fatalf("re-encoded filter %x does not decode: %v", enc, err)
			}
			if !fl.Equal(&g) {
				t.Fatalf("filter round trip: %s != %s", fl.String(), g.String())
			}
			if !within(data, m.Search.BaseObject) {
				t.Fatal("baseObject does not alias the PDU")
			}
			for _, a := range m.Search.Attributes {
				if !within(data, a) {
					t.Fatal("attribute does not alias the PDU")
				}
			}
		}
		for _, a := range m.Add.Attributes {
			for _, v := range a.Values {
				if !within(data, v) {
					t.Fatal("value does not alias the PDU")
				}
			}
		}
		if len(m.Controls) > 0 {
			wire := seq(num(1), []byte{0x42, 0}, AppendControls(nil, m.Controls))
			var m3 Message
			if err := Decode(wire, &m3); err != nil {
				t.Fatalf("re-encoded controls: %v", err)
			}
			if len(m3.Controls) != len(m.Controls) {
				t.Fatal("control count changed")
			}
			for i, c := range m.Controls {
				c3 := m3.Controls[i]
				if !bytes.Equal(c.Type, c3.Type) || c.Critical != c3.Critical || c.HasValue != c3.HasValue || !bytes.Equal(c.Value, c3.Value) {
					t.Fatalf("control %d changed", i)
				}
			}
		}
	})
}

// FuzzReader: whatever the chunking, the Reader returns the same PDUs and
// the same error class; PDUs start with 0x30, respect the limit and tile
// the input.
func FuzzReader(f *testing.F) {
	seeds := seedPDUs(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add(bytes.Join(seeds, nil))
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff})
	const max = 1000
	f.Fuzz(func(t *testing.T, data []byte) {
		read := func(rd io.Reader) ([][]byte, error) {
			r := NewReader(rd, max)
			var out [][]byte
			for {
				p, err := r.ReadPDU()
				if err != nil {
					return out, err
				}
				if p[0] != 0x30 || len(p) > max+6 {
					t.Fatalf("bad PDU %x", p)
				}
				if _, _, rest, err := tlv(p); err != nil && !errors.Is(err, ErrTruncated) || err == nil && len(rest) != 0 {
					t.Fatalf("PDU %x is not one element: %v", p, err)
				}
				out = append(out, bytes.Clone(p))
			}
		}
		a, errA := read(bytes.NewReader(data))
		b, errB := read(iotest.OneByteReader(bytes.NewReader(data)))
		if len(a) != len(b) {
			t.Fatalf("%d vs %d PDUs", len(a), len(b))
		}
		for i := range a {
			if !bytes.Equal(a[i], b[i]) {
				t.Fatalf("PDU %d differs", i)
			}
		}
		if !bytes.HasPrefix(data, bytes.Join(a, nil)) {
			t.Fatal("PDUs do not tile the input")
		}
		var fa, fb *FrameError
		if errors.As(errA, &fa) != errors.As(errB, &fb) || (fa != nil && !errors.Is(errB, fa.Err)) ||
			(fa == nil && errA != errB) {
			t.Fatalf("errors differ: %v / %v", errA, errB)
		}
	})
}

// FuzzDecodeVsASN1BER compares the decoder with asn1-ber on the envelope
// and the structural parts. Deliberate differences, not reported:
//   - we refuse indefinite lengths, length fields over 4 octets, trailing
//     bytes after the message, and enforce our limits;
//   - we do not look inside elements we ignore (trailing extensions,
//     unknown filter choices, unknown bind methods, Unbind contents), so
//     when we ignored something asn1-ber may still reject its insides;
//   - asn1-ber does not check the LDAP grammar, so on its own acceptance
//     we only require that we accept the envelope.
func FuzzDecodeVsASN1BER(f *testing.F) {
	for _, s := range seedPDUs(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		var m Message
		err := Decode(data, &m)
		rd := bytes.NewReader(data)
		pkt, berErr := ber.ReadPacket(rd)
		trailing := rd.Len()
		if err == nil {
			if berErr != nil {
				if m.ignored == 0 {
					t.Fatalf("we accept, asn1-ber rejects: %v", berErr)
				}
				return
			}
			if trailing != 0 {
				t.Fatalf("we accept %d trailing bytes", trailing)
			}
			agree(t, pkt, &m)
			return
		}
		if berErr != nil || trailing != 0 || !envelopeLike(pkt) {
			return
		}
		var de *Error
		if !errors.As(err, &de) {
			t.Fatalf("error %v is not *Error", err)
		}
		if de.Op == 0 && !errors.Is(err, ErrIndefiniteLength) && !errors.Is(err, ErrLengthTooLong) {
			t.Fatalf("asn1-ber accepts the envelope, we reject it: %v", err)
		}
		if int64(de.ID) != pkt.Children[0].Value.(int64) && de.Op != 0 {
			t.Fatalf("message ID %d, asn1-ber %v", de.ID, pkt.Children[0].Value)
		}
	})
}

func ident(p *ber.Packet) byte {
	return byte(p.ClassType) | byte(p.TagType) | byte(p.Tag)
}

// envelopeLike: SEQUENCE { INTEGER (0..maxInt), [APPLICATION n] request }.
func envelopeLike(p *ber.Packet) bool {
	if ident(p) != 0x30 || len(p.Children) < 2 || ident(p.Children[0]) != 0x02 || p.Children[0].Tag >= 31 {
		return false
	}
	id, ok := p.Children[0].Value.(int64)
	if !ok || id < 0 || id > maxInt || p.Children[0].Data.Len() > 8 || p.Children[0].Data.Len() == 0 {
		return false
	}
	op := p.Children[1]
	return op.Tag < 31 && Op(ident(op)).IsRequest()
}

// agree checks what both decoders accepted.
func agree(t *testing.T, p *ber.Packet, m *Message) {
	if len(p.Children) < 2 {
		t.Fatalf("asn1-ber sees %d children", len(p.Children))
	}
	if id, _ := p.Children[0].Value.(int64); id != int64(m.ID) {
		t.Fatalf("ID %d vs asn1-ber %d", m.ID, id)
	}
	op := p.Children[1]
	if Op(ident(op)) != m.Op {
		t.Fatalf("op %v vs asn1-ber %x", m.Op, ident(op))
	}
	c := op.Children
	switch m.Op {
	case OpSearchRequest:
		if !bytes.Equal(c[0].Data.Bytes(), m.Search.BaseObject) || c[1].Value.(int64) != int64(m.Search.Scope) ||
			c[3].Value.(int64) != int64(m.Search.SizeLimit) || len(c[7].Children) != len(m.Search.Attributes) {
			t.Fatalf("search differs")
		}
		if m.ignored == 0 {
			var g Filter
			if err := (&Decoder{MaxFilterDepth: 1 << 20, MaxFilterNodes: 1 << 20}).DecodeFilter(c[6].Bytes(), &g); err != nil || !g.Equal(&m.Search.Filter) {
				t.Fatalf("filter differs: %s vs %s (%v)", m.Search.Filter.String(), g.String(), err)
			}
		}
	case OpBindRequest:
		if c[0].Value.(int64) != int64(m.Bind.Version) || !bytes.Equal(c[1].Data.Bytes(), m.Bind.Name) {
			t.Fatalf("bind differs")
		}
	case OpDelRequest:
		if !bytes.Equal(op.Data.Bytes(), m.Del) {
			t.Fatalf("delete differs")
		}
	case OpModifyRequest:
		if len(c[1].Children) != len(m.Modify.Changes) {
			t.Fatalf("modify differs")
		}
	case OpAddRequest:
		if len(c[1].Children) != len(m.Add.Attributes) {
			t.Fatalf("add differs")
		}
	case OpExtendedRequest:
		if !bytes.Equal(c[0].Data.Bytes(), m.Extended.Name) {
			t.Fatalf("extended differs")
		}
	}
	if len(m.Controls) > 0 && len(p.Children[2].Children) != len(m.Controls) {
		t.Fatalf("controls differ")
	}
}
