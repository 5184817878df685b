package schema

import (
	"os"
	"strings"
	"testing"
)

// TestDefsMatchSlapd compares the canonical descriptions of everything
// Debian's core, cosine, nis and inetorgperson files and jamm.schema define
// with the attributeTypes and objectClasses values Debian's slapd 2.5.13
// published in cn=Subschema for the same files
// (testdata/slapd-subschema.txt, captured with ldapsearch).
func TestDefsMatchSlapd(t *testing.T) {
	s := debianSchema(t)
	data, err := os.ReadFile("testdata/slapd-subschema.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, l := range strings.Split(string(data), "\n") {
		typ, d, ok := strings.Cut(l, ": ")
		if !ok {
			continue
		}
		if f := strings.Fields(d); len(f) > 1 {
			want[typ+" "+f[1]] = d
		}
	}
	sys := New()
	n := 0
	for _, at := range s.AttributeTypes() {
		if sys.AttributeType(at.OID) != nil {
			continue // system.schema's wording is its own
		}
		n++
		if w := want["attributeTypes "+at.OID]; w != at.Def {
			t.Errorf("attribute type %s:\n ours  %s\n slapd %s", at.Name(), at.Def, w)
		}
	}
	for _, oc := range s.ObjectClasses() {
		if sys.ObjectClass(oc.OID) != nil {
			continue
		}
		n++
		if w := want["objectClasses "+oc.OID]; w != oc.Def {
			t.Errorf("object class %s:\n ours  %s\n slapd %s", oc.Name(), oc.Def, w)
		}
	}
	if n < 190 {
		t.Errorf("only %d definitions compared", n)
	}
}
