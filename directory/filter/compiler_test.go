package filter

import (
	"errors"
	"fmt"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"hostdir/directory/ldapwire"
	"hostdir/schema"
)

// wireOf encodes an RFC 4515 filter with go-ldap and decodes it with
// ldapwire, as the server receives it.
func wireOf(t testing.TB, s string) *ldapwire.Filter {
	t.Helper()
	p, err := ldap.CompileFilter(s)
	if err != nil {
		t.Fatalf("CompileFilter(%q): %v", s, err)
	}
	var wf ldapwire.Filter
	if err := ldapwire.ParseAssertion(p.Bytes(), &wf); err != nil {
		t.Fatalf("ParseAssertion(%q): %v", s, err)
	}
	return &wf
}

// compilerFilters are filters of every kind, compiled one after the other
// by one Compiler.
var compilerFilters = []string{
	"(&(objectClass=JammMailAccount)(mail=foo@example.com)(accountActive=TRUE)(delete=FALSE))",
	"(objectClass=jammmailaccount)",
	"(objectClass=2.5.6.0)",
	"(objectClass=noSuchClass)",
	"(objectClass=*)",
	"(objectClass;x-opt=*)",
	"(accountActive=true)",
	"(accountActive=FALSE)",
	"(MAIL=Foo@Example.COM)",
	"(cn;lang-DE;binary=Herr Foo)",
	"(|(cn=*a*b*)(!(sn=x))(uidNumber>=3)(cn~=robbert)(cn:dn:caseExactMatch:=z))",
	"(cn=Rob*ith)",
	"(cn:caseIgnoreSubstringsMatch:=*ob*smi*)",
	"(nosuchattr=x)",
	"(&(mail=*@example.com)(cn~=smith)(description=a\\2ab \\28c\\29))",
	"(:dn:2.5.13.5:=example)",
	"(lastChange<=9)",
}

func TestCompilerMatchesFromWire(t *testing.T) {
	sc := builtin(t)
	e := Entry{E: account(), Schema: sc}
	cache := &Cache{}
	comps := []*Compiler{{}, {Cache: cache}, {Cache: cache}}
	// Twice over, so that the second round hits the cache and reuses the
	// grown buffers.
	for round := 0; round < 2; round++ {
		for _, s := range compilerFilters {
			wf := wireOf(t, s)
			want, err := FromWire(wf, sc)
			if err != nil {
				t.Fatalf("FromWire(%s): %v", s, err)
			}
			for i, c := range comps {
				got, err := c.Compile(wf, sc)
				if err != nil {
					t.Fatalf("round %d compiler %d: Compile(%s): %v", round, i, s, err)
				}
				if g, w := got.String(), want.String(); g != w {
					t.Errorf("round %d compiler %d: String %q, want %q", round, i, g, w)
				}
				if g, w := got.Eval(e), want.Eval(e); g != w {
					t.Errorf("round %d compiler %d: %s: Eval %v, want %v", round, i, s, g, w)
				}
				if g, w := fmt.Sprint(got.Attrs()), fmt.Sprint(want.Attrs()); g != w {
					t.Errorf("round %d compiler %d: %s: Attrs %s, want %s", round, i, s, g, w)
				}
				if g, w := dumpNodes(got), dumpNodes(want); g != w {
					t.Errorf("round %d compiler %d: %s: nodes\n%s\nwant\n%s", round, i, s, g, w)
				}
			}
		}
	}
}

// dumpNodes describes what planners see of a filter.
func dumpNodes(f *Filter) string {
	var out string
	var walk func(n Node, depth int)
	walk = func(n Node, depth int) {
		r, static := n.Static()
		ini, any, fin := n.Substrings()
		out += fmt.Sprintf("%*s%v static=%v/%v type=%p opts=%q assert=%q sub=%q/%q/%q approx=%q\n", depth, "", n.Kind(), static, r,
			n.Type(), n.Options(), n.Assertion(), ini, any, fin, n.ApproxKeys())
		for _, c := range n.Children(nil) {
			walk(c, depth+1)
		}
	}
	walk(f.Root(), 0)
	return out
}

func TestCompilerErrors(t *testing.T) {
	sc := builtin(t)
	c := &Compiler{Cache: &Cache{}}
	if _, err := c.Compile(&ldapwire.Filter{}, sc); !errors.Is(err, ErrSyntax) {
		t.Errorf("empty filter: %v", err)
	}
	bad := &ldapwire.Filter{Nodes: []ldapwire.FilterNode{{Kind: ldapwire.FilterAnd, End: 5}}}
	if _, err := c.Compile(bad, sc); !errors.Is(err, ErrSyntax) {
		t.Errorf("malformed: %v", err)
	}
	// Still usable after errors.
	f, err := c.Compile(wireOf(t, "(mail=x)"), sc)
	if err != nil || f.String() != "(mail=x)" {
		t.Errorf("after errors: %v %v", f, err)
	}
}

func TestCompilerNoAllocs(t *testing.T) {
	sc := builtin(t)
	wf := postfixWire()
	c := &Compiler{Cache: &Cache{}}
	if _, err := c.Compile(wf, sc); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := c.Compile(wf, sc); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Compile allocates %v times per filter", allocs)
	}
}

func TestCacheBound(t *testing.T) {
	sc := builtin(t)
	cache := &Cache{}
	c := &Compiler{Cache: cache}
	for i := 0; i < 3*MaxCacheEntries; i++ {
		s := fmt.Sprintf("(&(objectClass=x%d)(x-attr-%d=1))", i, i)
		if _, err := c.Compile(wireOf(t, s), sc); err != nil {
			t.Fatal(err)
		}
		if n := len(*cache.descs.Load()); n > MaxCacheEntries {
			t.Fatalf("%d descriptions cached", n)
		}
		if n := len(*cache.vals.Load()); n > MaxCacheEntries {
			t.Fatalf("%d values cached", n)
		}
	}
	// Another schema bypasses the cache.
	other, err := schema.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.Compile(wireOf(t, "(objectClass=JammMailAccount)"), other)
	if err != nil {
		t.Fatal(err)
	}
	if f.Root().Type() != other.AttributeType("objectClass") {
		t.Errorf("type from the other schema expected")
	}
}

func BenchmarkCompilePostfix(b *testing.B) {
	sc := builtin(b)
	wf := postfixWire()
	c := &Compiler{Cache: &Cache{}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compile(wf, sc); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range append(compilerFilters, "(&)", "(|)", "(!(cn=*))") {
		p, err := ldap.CompileFilter(s)
		if err == nil {
			f.Add(p.Bytes())
		}
	}
	sc := builtin(f)
	c := &Compiler{Cache: &Cache{}}
	e := Entry{E: account(), Schema: sc}
	f.Fuzz(func(t *testing.T, data []byte) {
		var wf ldapwire.Filter
		if ldapwire.ParseAssertion(data, &wf) != nil {
			return
		}
		want, werr := FromWire(&wf, sc)
		got, gerr := c.Compile(&wf, sc)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("FromWire error %v, Compile error %v", werr, gerr)
		}
		if werr != nil {
			return
		}
		if g, w := got.String(), want.String(); g != w {
			t.Fatalf("String %q, want %q", g, w)
		}
		if g, w := got.Eval(e), want.Eval(e); g != w {
			t.Fatalf("%s: Eval %v, want %v", want, g, w)
		}
		if g, w := dumpNodes(got), dumpNodes(want); g != w {
			t.Fatalf("nodes\n%s\nwant\n%s", g, w)
		}
	})
}
