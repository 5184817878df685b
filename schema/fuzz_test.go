package schema

import (
	"testing"
)

var fuzzSeeds = []string{
	"attributetype ( 1.2.3.4 NAME 'foo' DESC 'it\\27s \\5C' SUP name X-ORIGIN ( 'a' 'b' ) )\n",
	"objectidentifier A 1.2.3\nobjectidentifier B A:4\nattributetype ( B:5 NAME ( 'x' 'y' )\n\tEQUALITY caseIgnoreIA5Match\n\tSYNTAX 1.3.6.1.4.1.1466.115.121.1.26{20} SINGLE-VALUE )\nobjectclass ( B:6 NAME 'c' SUP top AUXILIARY MUST x MAY ( cn $ y ) )\n",
	"# comment\n\nobjectclass ( 1.2.3.5 NAME 'z' DESC '' OBSOLETE SUP ( top $ alias ) STRUCTURAL )\n",
	"ldapsyntax ( 1.2.3.9 DESC 'x' X-SUBST '1.3.6.1.4.1.1466.115.121.1.15' )\nattributetype ( 1.2.3.4 NAME 'q' SYNTAX 1.2.3.9 )\n",
	"attributetype (1.2.3.4 NAME('a''b')SUP name)\n",
	"attributetype ( 1.2.3.4 NAME 'foo' SYNTAX 1.3.6.1.4.1.1466.115.121.1.15\n",
	"olcAttributeTypes: {0}( 1.2.3.4 NAME 'foo' SUP name )\n",
}

// FuzzParseSchema feeds arbitrary files to AddFile. It must never panic, and
// every description it accepts must render to a Def that parses back to the
// same Def.
func FuzzParseSchema(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	base := New()
	nAT, nOC := len(base.AttributeTypes()), len(base.ObjectClasses())
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		s := New()
		_ = s.AddFile("fuzz.schema", data)
		for _, at := range s.AttributeTypes()[nAT:] {
			raw, err := parseAttributeType(at.Def)
			if err != nil {
				t.Fatalf("Def %q does not parse: %v", at.Def, err)
			}
			var syn = at.Syntax
			if raw.syntax == "" {
				syn = nil
			}
			if d := renderAttr(raw, raw.oid, syn); d != at.Def {
				t.Fatalf("Def round trip:\n %q\n %q", at.Def, d)
			}
			if s.AttributeType(at.OID) != at {
				t.Fatalf("%s not found by OID", at.OID)
			}
			for _, n := range at.Names {
				if s.AttributeType(n) != at {
					t.Fatalf("%s not found by name %q", at.OID, n)
				}
			}
		}
		for _, oc := range s.ObjectClasses()[nOC:] {
			raw, err := parseObjectClass(oc.Def)
			if err != nil {
				t.Fatalf("Def %q does not parse: %v", oc.Def, err)
			}
			if d := renderClass(raw, raw.oid); d != oc.Def {
				t.Fatalf("Def round trip:\n %q\n %q", oc.Def, d)
			}
		}
	})
}
