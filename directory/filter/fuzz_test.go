package filter

import (
	"errors"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"(&(objectClass=JammMailAccount)(mail=a\\2ab)(accountActive=TRUE)(delete=FALSE))",
		"(|(cn=*a*b*)(!(sn=x))(uid>=3)(cn~=y)(cn:dn:caseExactMatch:=z))",
		"(:dn:2.5.13.5:=x)", "uid=x", "(&)", "(|)", "(cn=\\*\\(\\))", "(cn;lang-de=*)",
		"(cn:caseIgnoreSubstringsMatch:=a*b\\2a*c)", "(foo=bar)",
	} {
		f.Add(s)
	}
	sc := builtin(f)
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := Parse(s, sc)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrTooComplex) {
				t.Fatalf("Parse(%q): unexpected error type %v", s, err)
			}
			return
		}
		out := flt.String()
		g, err := Parse(out, sc)
		if err != nil {
			t.Fatalf("Parse(String()) of %q = %q: %v", s, out, err)
		}
		if g.String() != out {
			t.Fatalf("String not stable: %q -> %q -> %q", s, out, g.String())
		}
		_ = flt.Eval(Entry{E: account(), Schema: sc})
	})
}
