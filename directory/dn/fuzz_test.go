package dn

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"
)

// FuzzParse checks that Parse never panics, that what it accepts prints to a
// string that parses back to an Identical DN (and is a fixed point of
// Parse+String), that Pretty/Normalize do not panic and produce parseable
// output, and that where go-ldap's ParseDN also accepts the input both agree
// on the types and values (see differentialOK for the inputs compared).
func FuzzParse(f *testing.F) {
	for _, c := range slapdCases {
		f.Add(c.in)
	}
	for _, s := range []string{
		`cn=#04024869`, `1.3.6.1.4.1.1466.0=#04024869`, `cn="a;b" ; o="x+y"`,
		`cn=a\`, `cn=\c3`, `OID.2.5.4.3=x`, `cn=,dc=x`, `cn="a\"b"`, `cn;x=a+sn=b`,
	} {
		f.Add(s)
	}
	n := fakeSchema{}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			if d.RDNs != nil || d.Orig != "" {
				t.Fatalf("Parse(%q) failed but returned %#v", s, d)
			}
			return
		}
		str := d.String()
		d2, err := Parse(str)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but Parse(String()=%q): %v", s, str, err)
		}
		if !d2.Identical(d) {
			t.Fatalf("Parse(%q) = %#v; Parse(%q) = %#v", s, d, str, d2)
		}
		if s2 := d2.String(); s2 != str {
			t.Fatalf("String not a fixed point: %q -> %q -> %q", s, str, s2)
		}
		if p := d.Parent(); p.Orig != "" {
			q, err := Parse(p.Orig)
			if err != nil || !q.Identical(p) {
				t.Fatalf("Parse(%q).Parent().Orig = %q: %v", s, p.Orig, err)
			}
		}
		if pretty, norm, err := d.PrettyNormal(n); err == nil {
			for _, out := range []string{pretty, norm} {
				if _, err := Parse(out); err != nil {
					t.Fatalf("Parse(%q): printed %q does not parse: %v", s, out, err)
				}
			}
			if Depth(norm) != len(d.RDNs) {
				t.Fatalf("Depth(%q) = %d, want %d", norm, Depth(norm), len(d.RDNs))
			}
		}
		if differentialOK(s, d) {
			g, err := ldap.ParseDN(s)
			if err != nil {
				return
			}
			if !sameAsGoLDAP(d, g) {
				t.Fatalf("Parse(%q) = %#v, go-ldap differs: %s", s, d, g.String())
			}
		}
	})
}

// differentialOK reports whether go-ldap's ParseDN is expected to agree
// with Parse on s. go-ldap differs by design on: quoted values (it does
// not know them), hex values (it decodes the BER, Parse keeps it), white
// space other than ' ' (it does not trim TAB/CR/LF), attribute options
// (`cn;lang-en=x`: it takes ';' for an RDN separator), the all-space DN (go-ldap:
// empty DN, Parse: error), attribute types (it accepts anything and
// unescapes it, Parse keeps types as written) and input that is not UTF-8
// (it decodes the string to runes before unescaping, so `\C2` followed by a
// raw 0x96 byte gives U+FFFD where Parse gives U+0096).
func differentialOK(s string, d DN) bool {
	if strings.ContainsAny(s, "\"\t\r\n") || !utf8.ValidString(s) {
		return false
	}
	for _, r := range d.RDNs {
		for _, a := range r {
			if a.BER || strings.Contains(a.Type, ";") {
				return false
			}
		}
	}
	return true
}

func sameAsGoLDAP(d DN, g *ldap.DN) bool {
	if len(d.RDNs) != len(g.RDNs) {
		return false
	}
	for i, r := range d.RDNs {
		gr := g.RDNs[i].Attributes
		if len(r) != len(gr) {
			return false
		}
		for j, a := range r {
			if a.Type != gr[j].Type || a.Value != gr[j].Value {
				return false
			}
		}
	}
	return true
}

func TestGoLDAPAgrees(t *testing.T) {
	compared := 0
	for _, c := range slapdCases {
		d, err := Parse(c.in)
		if err != nil || !differentialOK(c.in, d) {
			continue
		}
		g, err := ldap.ParseDN(c.in)
		if err != nil {
			t.Errorf("go-ldap ParseDN(%q): %v", c.in, err)
			continue
		}
		compared++
		if !sameAsGoLDAP(d, g) {
			t.Errorf("Parse(%q) = %#v, go-ldap: %s", c.in, d.RDNs, g.String())
		}
	}
	if compared < 50 {
		t.Errorf("only %d cases compared with go-ldap", compared)
	}
}
