package ldapwire

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Hand-built BER, independent of the package's encoder.

// tl returns tag, minimal definite length and contents.
func tl(tag byte, parts ...[]byte) []byte {
	var c []byte
	for _, p := range parts {
		c = append(c, p...)
	}
	n := len(c)
	out := []byte{tag}
	switch {
	case n < 128:
		out = append(out, byte(n))
	case n < 256:
		out = append(out, 0x81, byte(n))
	case n < 65536:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, c...)
}

// tl4 is tl with a non-minimal 0x84 four-octet length, as some encoders send.
func tl4(tag byte, parts ...[]byte) []byte {
	var c []byte
	for _, p := range parts {
		c = append(c, p...)
	}
	n := len(c)
	return append([]byte{tag, 0x84, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, c...)
}

func prim(tag byte, s string) []byte { return tl(tag, []byte(s)) }
func str(s string) []byte            { return prim(0x04, s) }
func integer(tag byte, x int64) []byte {
	var b []byte
	for {
		b = append([]byte{byte(x)}, b...)
		if (x < 128 && x >= -128) || len(b) == 8 {
			break
		}
		x >>= 8
	}
	return tl(tag, b)
}
func num(x int64) []byte         { return integer(0x02, x) }
func enum(x int64) []byte        { return integer(0x0a, x) }
func boolean(v byte) []byte      { return []byte{0x01, 1, v} }
func seq(parts ...[]byte) []byte { return tl(0x30, parts...) }
func set(parts ...[]byte) []byte { return tl(0x31, parts...) }
func msg(id int64, op []byte, rest ...[]byte) []byte {
	return seq(append([][]byte{num(id), op}, rest...)...)
}
func eq(a, v string) []byte   { return tl(0xa3, str(a), str(v)) }
func and(fs ...[]byte) []byte { return tl(0xa0, fs...) }
func searchReq(filter []byte, attrs ...string) []byte {
	var as [][]byte
	for _, a := range attrs {
		as = append(as, str(a))
	}
	return tl(0x63, str("dc=example"), enum(2), enum(0), num(0), num(0), boolean(0), filter, seq(as...))
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func golden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return mustHex(t, string(b))
}

// dump renders the decoded request for comparison in tables.
func dump(m *Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %v", m.ID, m.Op)
	for _, c := range m.Controls {
		fmt.Fprintf(&b, " ctrl{%s crit=%v", c.Type, c.Critical)
		if c.HasValue {
			fmt.Fprintf(&b, " val=%x", c.Value)
		}
		b.WriteString("}")
	}
	switch m.Op {
	case OpBindRequest:
		r := &m.Bind
		fmt.Fprintf(&b, " v=%d name=%q method=%d", r.Version, r.Name, r.Method)
		switch r.Method {
		case AuthSimple:
			fmt.Fprintf(&b, " pw=%q", r.Password)
		case AuthSASL:
			fmt.Fprintf(&b, " mech=%q", r.Mechanism)
			if r.HasCredentials {
				fmt.Fprintf(&b, " creds=%q", r.Credentials)
			}
		}
	case OpSearchRequest:
		r := &m.Search
		fmt.Fprintf(&b, " base=%q scope=%d deref=%d size=%d time=%d typesOnly=%v filter=%s attrs=%q",
			r.BaseObject, r.Scope, r.DerefAliases, r.SizeLimit, r.TimeLimit, r.TypesOnly, r.Filter.String(), r.Attributes)
	case OpModifyRequest:
		fmt.Fprintf(&b, " object=%q", m.Modify.Object)
		for _, c := range m.Modify.Changes {
			fmt.Fprintf(&b, " [%d %s %q]", c.Op, c.Type, c.Values)
		}
	case OpAddRequest:
		fmt.Fprintf(&b, " entry=%q", m.Add.Entry)
		for _, a := range m.Add.Attributes {
			fmt.Fprintf(&b, " [%s %q]", a.Type, a.Values)
		}
	case OpDelRequest:
		fmt.Fprintf(&b, " dn=%q", m.Del)
	case OpModifyDNRequest:
		r := &m.ModDN
		fmt.Fprintf(&b, " entry=%q newrdn=%q deleteold=%v", r.Entry, r.NewRDN, r.DeleteOldRDN)
		if r.HasNewSuperior {
			fmt.Fprintf(&b, " newsup=%q", r.NewSuperior)
		}
	case OpCompareRequest:
		fmt.Fprintf(&b, " entry=%q %s=%q", m.Compare.Entry, m.Compare.Attr, m.Compare.Value)
	case OpAbandonRequest:
		fmt.Fprintf(&b, " abandon=%d", m.Abandon)
	case OpExtendedRequest:
		fmt.Fprintf(&b, " name=%s", m.Extended.Name)
		if m.Extended.HasValue {
			fmt.Fprintf(&b, " value=%x", m.Extended.Value)
		}
	}
	return b.String()
}
