package directory

import (
	"io"
	"net"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"hostdir/directory/config"
	"hostdir/directory/ldapwire"
)

// configT is config.Config, short for option functions in tests.
type configT = config.Config

// envelope wraps a protocolOp (and controls) into an LDAPMessage.
func envelope(id int64, op *ber.Packet, ctrls ...*ber.Packet) []byte {
	m := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAPMessage")
	m.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, "id"))
	m.AppendChild(op)
	if len(ctrls) > 0 {
		cs := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "controls")
		for _, c := range ctrls {
			cs.AppendChild(c)
		}
		m.AppendChild(cs)
	}
	return m.Bytes()
}

func octet(s string) *ber.Packet {
	return ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, s, "")
}

func rawBindID(id int64, version int64, dn, pw string) []byte {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 0, nil, "bind")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, version, ""))
	op.AppendChild(octet(dn))
	op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, pw, ""))
	return envelope(id, op)
}

func rawBind(version int64, dn, pw string) []byte { return rawBindID(1, version, dn, pw) }

func rawSASLBind(mech string) []byte {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 0, nil, "bind")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 3, ""))
	op.AppendChild(octet(""))
	sasl := ber.Encode(ber.ClassContext, ber.TypeConstructed, 3, nil, "sasl")
	sasl.AppendChild(octet(mech))
	op.AppendChild(sasl)
	return envelope(1, op)
}

// rawSASLBindCreds encodes a SASL bind with credentials (absent when creds
// is empty).
func rawSASLBindCreds(mech, creds string) []byte {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 0, nil, "bind")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 3, ""))
	op.AppendChild(octet(""))
	sasl := ber.Encode(ber.ClassContext, ber.TypeConstructed, 3, nil, "sasl")
	sasl.AppendChild(octet(mech))
	if creds != "" {
		sasl.AppendChild(octet(creds))
	}
	op.AppendChild(sasl)
	return envelope(1, op)
}

// rawSearch encodes a search with an equality filter (or present when
// value is "*").
func rawSearch(id int64, base string, scope int64, attr, value string, attrs ...string) []byte {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 3, nil, "search")
	op.AppendChild(octet(base))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, scope, ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, 0, ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 0, ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 0, ""))
	op.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, false, ""))
	if value == "*" {
		op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 7, attr, ""))
	} else {
		f := ber.Encode(ber.ClassContext, ber.TypeConstructed, 3, nil, "eq")
		f.AppendChild(octet(attr))
		f.AppendChild(octet(value))
		op.AppendChild(f)
	}
	as := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "attrs")
	for _, a := range attrs {
		as.AppendChild(octet(a))
	}
	op.AppendChild(as)
	return envelope(id, op)
}

// rawSearchFilter encodes a search with an RFC 4515 filter.
func rawSearchFilter(t testing.TB, id int64, base string, scope int64, flt string, attrs ...string) []byte {
	t.Helper()
	fp, err := ldap.CompileFilter(flt)
	if err != nil {
		t.Fatalf("CompileFilter(%q): %v", flt, err)
	}
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 3, nil, "search")
	op.AppendChild(octet(base))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, scope, ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, 0, ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 0, ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 0, ""))
	op.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, false, ""))
	op.AppendChild(fp)
	as := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "attrs")
	for _, a := range attrs {
		as.AppendChild(octet(a))
	}
	op.AppendChild(as)
	return envelope(id, op)
}

func rawAbandon(id, target int64) []byte {
	return envelope(id, ber.NewInteger(ber.ClassApplication, ber.TypePrimitive, 16, target, "abandon"))
}

func rawUnbind(id int64) []byte {
	return envelope(id, ber.Encode(ber.ClassApplication, ber.TypePrimitive, 2, nil, "unbind"))
}

func rawExtended(id int64, oid string, value []byte) []byte {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 23, nil, "ext")
	op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, oid, ""))
	if value != nil {
		op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 1, string(value), ""))
	}
	return envelope(id, op)
}

// rawConn is a raw TCP connection to the test server.
type rawConn struct {
	t  testing.TB
	nc net.Conn
}

func (ts *testServer) raw(t testing.TB) *rawConn {
	t.Helper()
	return dialRaw(t, "tcp", ts.addr)
}

// dialRaw opens a raw connection to addr.
func dialRaw(t testing.TB, network, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc}
}

func (r *rawConn) send(b ...[]byte) {
	r.t.Helper()
	var all []byte
	for _, x := range b {
		all = append(all, x...)
	}
	if _, err := r.nc.Write(all); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// recv reads one LDAPMessage (nil at EOF).
func (r *rawConn) recv() *ber.Packet {
	r.t.Helper()
	r.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	p, err := ber.ReadPacket(r.nc)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		r.t.Fatalf("read: %v", err)
	}
	return p
}

// closed reports whether the server closed the connection.
func (r *rawConn) closed() bool {
	r.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [1]byte
	_, err := r.nc.Read(b[:])
	return err != nil
}

// rawExchange sends one PDU on a new connection and returns the response.
func (ts *testServer) rawExchange(t testing.TB, pdu []byte) *ber.Packet {
	t.Helper()
	r := ts.raw(t)
	r.send(pdu)
	p := r.recv()
	if p == nil {
		t.Fatal("connection closed without a response")
	}
	return p
}

// msgID, opTag and resultOf pick apart a response.
func msgID(p *ber.Packet) int64 { return p.Children[0].Value.(int64) }
func opTag(p *ber.Packet) ldapwire.Op {
	c := p.Children[1]
	b := byte(c.ClassType) | byte(c.TagType) | byte(c.Tag)
	return ldapwire.Op(b)
}

func resultOf(t testing.TB, p *ber.Packet) (int, string) {
	t.Helper()
	op := p.Children[1]
	if len(op.Children) < 3 {
		t.Fatalf("not an LDAPResult: %s", ber.DecodeString(op.Data.Bytes()))
	}
	return int(op.Children[0].Value.(int64)), string(op.Children[2].Data.Bytes())
}
