package schema

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestSplitLines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []logicalLine
	}{
		{"empty", "", nil},
		{"one", "objectidentifier a 1.2\n", []logicalLine{{"objectidentifier a 1.2", 1}}},
		{"no final newline", "objectidentifier a 1.2", []logicalLine{{"objectidentifier a 1.2", 1}}},
		{"continuation", "attributetype ( 1.2\n\tNAME 'x'\n  SUP name )\n",
			[]logicalLine{{"attributetype ( 1.2 NAME 'x' SUP name )", 3}}},
		{"comments and blanks", "# c\n\nobjectidentifier a 1.2\n# d\n\t still comment\nobjectidentifier b 1.3\n",
			[]logicalLine{{"objectidentifier a 1.2", 3}, {"objectidentifier b 1.3", 6}}},
		{"crlf", "objectidentifier a 1.2\r\n\tx\r\n", []logicalLine{{"objectidentifier a 1.2 x", 2}}},
		{"leading continuation ignored", "  stray\nobjectidentifier a 1.2\n", []logicalLine{{"objectidentifier a 1.2", 2}}},
		{"hash inside line kept", "attributetype ( 1.2 DESC 'a # b' )\n", []logicalLine{{"attributetype ( 1.2 DESC 'a # b' )", 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitLines([]byte(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitLines(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseAttributeTypeDescription(t *testing.T) {
	tests := []struct {
		in   string
		want rawAttr
	}{
		{"( 2.5.4.3 NAME ( 'cn' 'commonName' ) DESC 'RFC4519: common name(s)' SUP name )",
			rawAttr{oid: "2.5.4.3", names: []string{"cn", "commonName"}, desc: "RFC4519: common name(s)", hasDesc: true, sup: "name"}},
		{"(1.2.3 NAME('a''b')SUP x)",
			rawAttr{oid: "1.2.3", names: []string{"a", "b"}, sup: "x"}},
		{"( 1.2 NAME 'x' EQUALITY caseIgnoreIA5Match SUBSTR caseIgnoreIA5SubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.26{256} SINGLE-VALUE )",
			rawAttr{oid: "1.2", names: []string{"x"}, equality: "caseIgnoreIA5Match", substr: "caseIgnoreIA5SubstringsMatch",
				syntax: "1.3.6.1.4.1.1466.115.121.1.26", syntaxLen: 256, single: true}},
		{"( 1.2 SYNTAX '1.3.6.1.4.1.1466.115.121.1.15{5}' )",
			rawAttr{oid: "1.2", syntax: "1.3.6.1.4.1.1466.115.121.1.15", syntaxLen: 5}},
		{"( 1.2 NAME 'x' DESC 'it\\27s a \\5C and \\5c' OBSOLETE SUP name COLLECTIVE NO-USER-MODIFICATION USAGE dSAOperation )",
			rawAttr{oid: "1.2", names: []string{"x"}, desc: `it's a \ and \`, hasDesc: true, obsolete: true, sup: "name",
				collective: true, noUserMod: true, usage: DSAOperation}},
		{"( 1.2 NAME 'x' DESC 'x\\y' SUP name )",
			rawAttr{oid: "1.2", names: []string{"x"}, desc: `x\y`, hasDesc: true, sup: "name"}},
		{"( 1.2 SUP name X-ORIGIN 'RFC 4519' X-ORDERED ( 'VALUES' 'x' ) x-lower 'y' )",
			rawAttr{oid: "1.2", sup: "name", ext: []Extension{{"X-ORIGIN", []string{"RFC 4519"}},
				{"X-ORDERED", []string{"VALUES", "x"}}, {"x-lower", []string{"y"}}}}},
		{"( Macro:3.1 name 'lower' sup name usage directoryOperation ) trailing ignored",
			rawAttr{oid: "Macro:3.1", names: []string{"lower"}, sup: "name", usage: DirectoryOperation}},
		{"( 1.2 DESC '' SUP name )", rawAttr{oid: "1.2", hasDesc: true, sup: "name"}},
	}
	for _, tt := range tests {
		got, err := parseAttributeType(tt.in)
		if err != nil {
			t.Errorf("parseAttributeType(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("parseAttributeType(%q) =\n %#v, want\n %#v", tt.in, *got, tt.want)
		}
	}
}

func TestParseObjectClassDescription(t *testing.T) {
	tests := []struct {
		in   string
		want rawClass
	}{
		{"( 2.5.6.0 NAME 'top' ABSTRACT MUST objectClass )",
			rawClass{oid: "2.5.6.0", names: []string{"top"}, kind: Abstract, must: []string{"objectClass"}}},
		{"( 1.2 NAME 'a' SUP ( top $ person ) AUXILIARY MUST ( cn $ sn ) MAY ( ) X-ORIGIN 'x' )",
			rawClass{oid: "1.2", names: []string{"a"}, sup: []string{"top", "person"}, kind: Auxiliary,
				must: []string{"cn", "sn"}, may: []string{}, ext: []Extension{{"X-ORIGIN", []string{"x"}}}}},
		{"( 1.2 NAME 'a' DESC 'd' OBSOLETE SUP top STRUCTURAL MAY cn )",
			rawClass{oid: "1.2", names: []string{"a"}, desc: "d", hasDesc: true, obsolete: true, sup: []string{"top"},
				kind: Structural, may: []string{"cn"}}},
		{"(1.2 NAME 'a' MUST(cn$sn))",
			rawClass{oid: "1.2", names: []string{"a"}, must: []string{"cn", "sn"}}},
	}
	for _, tt := range tests {
		got, err := parseObjectClass(tt.in)
		if err != nil {
			t.Errorf("parseObjectClass(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("parseObjectClass(%q) =\n %#v, want\n %#v", tt.in, *got, tt.want)
		}
	}
}

func TestDescriptionSyntaxErrors(t *testing.T) {
	tests := []struct {
		in      string
		class   bool
		wantMsg string
	}{
		{"( 1.2 NAME 'foo' SYNTAX 1.3.6.1.4.1.1466.115.121.1.15", false, "Missing closing parenthesis before end of input"},
		{"( 1.2 NAME 'foo' BLAH SYNTAX 1.3 )", false, "Unexpected token before  SYNTAX 1.3 )"},
		{"( 1.2 NAME foo SYNTAX 1.3 )", false, "Expecting a name before  SYNTAX 1.3 )"},
		{"( 1.2 NAME 'foo' SINGLE-VALUE SINGLE-VALUE )", false, "Duplicate option before  )"},
		{"( 1.2 NAME 'foo' DESC \"x\" SUP name )", false, "Unexpected token"},
		{"( 1.2 NAME 'foo' SUP name X-A )", false, "Expecting a name before  )"},
		{"( 1.2 NAME 'foo' SUP name X-A b )", false, "Unexpected token"},
		{"( 1.2 NAME 'foo' SUP name Y-A 'b' )", false, "Unexpected token"},
		{"( 1.2 NAME 'foo' SUP ( name ) )", false, "Unexpected token"},
		{"( 1.2 NAME 'foo' SYNTAX 1.3{x} )", false, "Invalid syntax length"},
		{"( 1.2 NAME 'foo' SYNTAX 1.3{} )", false, "Invalid syntax length"},
		{"( 1.2 NAME 'foo' USAGE blah )", false, "Unexpected token"},
		{"( 1.2 NAME 'a DESC )", false, "Missing closing quote"},
		{"1.2 NAME 'foo'", false, "Unexpected token"},
		{"", false, "Unexpected token"},
		{"( 1.2 NAME 'foo' STRUCTURAL AUXILIARY )", true, "Duplicate option before  )"},
		{"( 1.2 NAME 'foo' MUST ( cn $ ) )", true, "Unexpected token before  )"},
		{"( 1.2 NAME 'foo' MUST ( cn sn ) )", true, "Unexpected token"},
		{"( 1.2 NAME 'foo' MUST 'cn' )", true, "Expecting a name"},
	}
	for _, tt := range tests {
		var err error
		if tt.class {
			_, err = parseObjectClass(tt.in)
		} else {
			_, err = parseAttributeType(tt.in)
		}
		if err == nil {
			t.Errorf("%q: no error, want %q", tt.in, tt.wantMsg)
			continue
		}
		if !strings.HasPrefix(err.Error(), tt.wantMsg) {
			t.Errorf("%q: error %q, want prefix %q", tt.in, err, tt.wantMsg)
		}
	}
}

func TestQDEscapes(t *testing.T) {
	for _, tt := range []struct{ raw, plain string }{
		{`a\27b\5Cc`, `a'b\c`},
		{`a\5cb`, `a\b`},
		{`a\zz`, `a\zz`},
		{`end\`, `end\`},
		{`\2`, `\2`},
		{`\41\42`, `AB`},
	} {
		if got := unescapeQD(tt.raw); got != tt.plain {
			t.Errorf("unescapeQD(%q) = %q, want %q", tt.raw, got, tt.plain)
		}
	}
	if got := escapeQD(`it's \ ok`); got != `it\27s \5C ok` {
		t.Errorf("escapeQD = %q", got)
	}
}

func TestMacros(t *testing.T) {
	s := New()
	file := `objectidentifier OLcfg 1.3.6.1.4.1.4203.1.12.2
objectidentifier OLcfgAt OLcfg:3
objectidentifier OLcfgOc OLcfg:4
objectidentifier myLeaf olcfgat:0.99
attributetype ( OLcfgAt:1 NAME 'testAttr' SUP name )
attributetype ( myLeaf NAME 'leafAttr' SUP name )
objectclass ( OLcfgOc:1 NAME 'testClass' SUP top AUXILIARY MAY ( testAttr $ leafAttr ) )
`
	if err := s.AddFile("m.schema", []byte(file)); err != nil {
		t.Fatal(err)
	}
	for name, oid := range map[string]string{
		"testAttr": "1.3.6.1.4.1.4203.1.12.2.3.1",
		"leafAttr": "1.3.6.1.4.1.4203.1.12.2.3.0.99",
	} {
		at := s.AttributeType(name)
		if at == nil || at.OID != oid {
			t.Errorf("%s: got %+v, want OID %s", name, at, oid)
		}
	}
	oc := s.ObjectClass("TESTCLASS")
	if oc == nil || oc.OID != "1.3.6.1.4.1.4203.1.12.2.4.1" {
		t.Fatalf("testClass: %+v", oc)
	}
	if want := "( 1.3.6.1.4.1.4203.1.12.2.4.1 NAME 'testClass' SUP top AUXILIARY MAY ( testAttr $ leafAttr ) )"; oc.Def != want {
		t.Errorf("Def = %q, want %q", oc.Def, want)
	}
	if oid, ok := s.ResolveOID("OLcfgOc"); !ok || oid != "1.3.6.1.4.1.4203.1.12.2.4" {
		t.Errorf("ResolveOID(OLcfgOc) = %q, %v", oid, ok)
	}
}

// TestFileErrors checks the messages slapd 2.5 gives (observed with
// slaptest) and the line numbers (the last line of the directive).
func TestFileErrors(t *testing.T) {
	const ds = "1.3.6.1.4.1.1466.115.121.1.15"
	tests := []struct {
		name, file, want string
	}{
		{"inappropriate rule", "# c\nattributetype ( 1.2.3.4 NAME 'foo'\n\tEQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 )\n",
			`f.schema: line 3 attributetype: AttributeType inappropriate matching rule: "caseIgnoreMatch"`},
		{"unknown syntax", "attributetype ( 1.2.3.4 NAME 'foo' SYNTAX 1.2.3.9 )",
			`f.schema: line 1 attributetype: Syntax not found: "1.2.3.9"`},
		{"syntax not an oid", "attributetype ( 1.2.3.4 NAME 'foo' SUP name SYNTAX IA5String )",
			`f.schema: line 1 attributetype: OID could not be expanded: "IA5String"`},
		{"unknown rule", "attributetype ( 1.2.3.4 NAME 'foo' EQUALITY fooMatch SYNTAX " + ds + " )",
			`f.schema: line 1 attributetype: MatchingRule not found: "fooMatch"`},
		{"unknown sup", "attributetype ( 1.2.3.4 NAME 'foo' SUP nothing )",
			`f.schema: line 1 attributetype: AttributeType not found: "nothing"`},
		{"inconsistent name", "attributetype ( 1.2.3.4 NAME 'CN' SUP name )",
			`f.schema: line 1 attributetype: Inconsistent duplicate attributeType: "CN"`},
		{"inconsistent oid", "attributetype ( 2.5.4.3 NAME 'foo' SUP name )",
			`f.schema: line 1 attributetype: Inconsistent duplicate attributeType: "2.5.4.3"`},
		{"duplicate", "attributetype ( 1.2.3.4 NAME 'foo' SUP name )\nattributetype ( 1.2.3.4 NAME 'foo' SUP name )",
			`f.schema: line 2 attributetype: Duplicate attributeType: "1.2.3.4"`},
		{"no syntax", "attributetype ( 1.2.3.4 NAME 'foo' )",
			`f.schema: line 1 attributetype: AttributeType SYNTAX or SUPerior required: "foo"`},
		{"ordering kind", "attributetype ( 1.2.3.4 NAME 'foo' SUP name ORDERING caseIgnoreMatch )",
			`f.schema: line 1 attributetype: AttributeType inappropriate matching rule: "caseIgnoreMatch"`},
		{"substr kind", "attributetype ( 1.2.3.4 NAME 'foo' SUP name SUBSTR caseIgnoreMatch )",
			`f.schema: line 1 attributetype: AttributeType inappropriate matching rule: "caseIgnoreMatch"`},
		{"substr without equality", "attributetype ( 1.2.3.4 NAME 'foo' SYNTAX " + ds + " SUBSTR caseIgnoreSubstringsMatch )",
			`f.schema: line 1 attributetype: AttributeType inappropriate matching rule: "caseIgnoreSubstringsMatch"`},
		{"ia5 rule on directory string", "attributetype ( 1.2.3.4 NAME 'foo' SYNTAX " + ds + " EQUALITY caseIgnoreIA5Match )",
			`f.schema: line 1 attributetype: AttributeType inappropriate matching rule: "caseIgnoreIA5Match"`},
		{"no-user-mod user attr", "attributetype ( 1.2.3.4 NAME 'foo' SYNTAX " + ds + " NO-USER-MODIFICATION )",
			`f.schema: line 1 attributetype: AttributeType inappropriate USAGE: "foo"`},
		{"usage differs from sup", "attributetype ( 1.2.3.4 NAME 'foo' SUP createTimestamp )",
			`f.schema: line 1 attributetype: AttributeType inappropriate USAGE: "foo"`},
		{"user operational", "attributetype ( 1.2.3.4 NAME 'foo' SYNTAX " + ds + " USAGE dSAOperation )",
			`f.schema: line 1 attributetype: "1.2.3.4" is operational`},
		{"bad name", "attributetype ( 1.2.3.4 NAME 'f_o' SUP name )",
			`f.schema: line 1 attributetype: Invalid NAME: "f_o"`},
		{"bad oid", "attributetype ( foo NAME 'foo' SUP name )",
			`f.schema: line 1 attributetype: OID could not be expanded: "foo"`},
		{"bad macro", "attributetype ( bar:1 NAME 'foo' SUP name )",
			`f.schema: line 1 attributetype: OID could not be expanded: "bar:1"`},
		{"syntax error", "attributetype ( 1.2.3.4 NAME 'foo' BLAH SYNTAX " + ds + " )",
			`f.schema: line 1 attributetype: Unexpected token before  SYNTAX ` + ds + ` )`},
		{"class unknown sup", "objectclass ( 1.2.3.4 NAME 'foo' SUP nothing )",
			`f.schema: line 1 objectclass: ObjectClass not found: "nothing"`},
		{"class unknown must", "objectclass ( 1.2.3.4 NAME 'foo' MAY ( cn $ nothing ) )",
			`f.schema: line 1 objectclass: AttributeType not found: "nothing"`},
		{"class duplicate name", "objectclass ( 1.2.3.4 NAME 'Top' )",
			`f.schema: line 1 objectclass: Inconsistent duplicate objectClass: "Top"`},
		{"class duplicate", "objectclass ( 1.2.3.4 NAME 'foo' SUP top )\nobjectclass ( 1.2.3.4 NAME 'foo' SUP top )",
			`f.schema: line 2 objectclass: Duplicate objectClass: "1.2.3.4"`},
		{"aux under structural", "objectclass ( 1.2.3.4 NAME 'foo' AUXILIARY SUP alias )",
			`f.schema: line 1 objectclass: user-defined ObjectClass has inappropriate SUPerior: "alias"`},
		{"abstract under aux", "objectclass ( 1.2.3.4 NAME 'foo' AUXILIARY SUP top MUST cn )\nobjectclass ( 1.2.3.5 NAME 'bar' ABSTRACT SUP foo )",
			`f.schema: line 2 objectclass: user-defined ObjectClass has inappropriate SUPerior: "foo"`},
		{"class operational", "objectclass ( 1.2.3.4 NAME 'foo' MUST createTimestamp )",
			`f.schema: line 1 objectclass: user-defined ObjectClass includes operational attributes: "( 1.2.3.4 NAME 'foo' MUST createTimestamp )"`},
		{"macro redefined", "objectidentifier a 1.2.3\nobjectidentifier a 1.2.4",
			`f.schema: line 2 objectidentifier: "a" previously defined "1.2.3"`},
		{"macro missing arg", "objectidentifier a",
			`f.schema: line 1: keyword <objectidentifier> missing <name> <oid> argument`},
		{"macro unknown", "objectidentifier a b:1",
			`f.schema: line 1 objectidentifier: OID b:1 not recognized`},
		{"unknown directive", "\n\nblah ( 1.2.3.4 )",
			`f.schema: line 3: unknown directive <blah> outside backend info and database definitions.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			err := s.AddFile("f.schema", []byte(tt.file))
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n %s\nwant\n %s", err, tt.want)
			}
		})
	}
}

// TestFailedDirectiveChangesNothing checks that a rejected definition leaves
// no trace.
func TestFailedDirectiveChangesNothing(t *testing.T) {
	s := New()
	n := len(s.AttributeTypes())
	if err := s.AddDirective("x", 1, "attributetype ( 1.2.3.4 NAME 'foo' EQUALITY nothing SUP name )"); err == nil {
		t.Fatal("no error")
	}
	if s.AttributeType("foo") != nil || s.AttributeType("1.2.3.4") != nil || len(s.AttributeTypes()) != n {
		t.Fatal("failed directive left a type behind")
	}
	if len(s.AttributeType("name").Subtypes()) != len(New().AttributeType("name").Subtypes()) {
		t.Fatal("failed directive changed name's subtypes")
	}
}

func TestDirectiveSpellings(t *testing.T) {
	for _, d := range []string{
		"attributetype ( 1.2.3.4 NAME 'foo' SUP name )",
		"AttributeType ( 1.2.3.4 NAME 'foo' SUP name )",
		"attribute ( 1.2.3.4 NAME 'foo' SUP name )",
		"attributeTypes: ( 1.2.3.4 NAME 'foo' SUP name )",
		"attributeTypes:( 1.2.3.4 NAME 'foo' SUP name )",
		"olcAttributeTypes: {12}( 1.2.3.4 NAME 'foo' SUP name )",
	} {
		s := New()
		if err := s.AddDirective("x", 1, d); err != nil {
			t.Errorf("%q: %v", d, err)
			continue
		}
		if s.AttributeType("foo") == nil {
			t.Errorf("%q: foo not defined", d)
		}
	}
	for kw, want := range map[string]bool{"objectclass": true, "objectClasses:": true, "ObjectIdentifier": true,
		"ldapsyntax": true, "include": false, "database": false} {
		if IsDirective(kw) != want {
			t.Errorf("IsDirective(%q) = %v", kw, !want)
		}
	}
}

func TestLDAPSyntaxDirective(t *testing.T) {
	s := New()
	file := `ldapsyntax ( 1.2.3.9.9 DESC 'my syntax' X-SUBST '1.3.6.1.4.1.1466.115.121.1.27' )
attributetype ( 1.2.3.4 NAME 'myInt' SYNTAX 1.2.3.9.9 )
`
	if err := s.AddFile("s.schema", []byte(file)); err != nil {
		t.Fatal(err)
	}
	at := s.AttributeType("myInt")
	if at.Syntax.OID != "1.2.3.9.9" {
		t.Fatalf("syntax %s", at.Syntax.OID)
	}
	if err := at.Syntax.Check(s, []byte("12")); err != nil {
		t.Errorf("12: %v", err)
	}
	if err := at.Syntax.Check(s, []byte("x")); err == nil {
		t.Errorf("x accepted by an Integer substitute")
	}
	found := false
	for _, d := range s.LDAPSyntaxDescriptions() {
		if d == "( 1.2.3.9.9 DESC 'my syntax' X-SUBST '1.3.6.1.4.1.1466.115.121.1.27' )" {
			found = true
		}
	}
	if !found {
		t.Error("ldapSyntaxes lacks the new syntax")
	}
	if err := s.AddDirective("s", 3, "ldapsyntax ( 1.2.3.9.9 DESC 'again' )"); err == nil {
		t.Error("duplicate syntax accepted")
	}
}
