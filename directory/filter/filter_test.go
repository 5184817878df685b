package filter

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"hostdir/directory/entry"
	"hostdir/directory/ldapwire"
	"hostdir/schema"
)

var (
	schemaOnce sync.Once
	testSchema *schema.Schema
	schemaErr  error
)

func builtin(t testing.TB) *schema.Schema {
	t.Helper()
	schemaOnce.Do(func() { testSchema, schemaErr = schema.Builtin() })
	if schemaErr != nil {
		t.Fatalf("schema.Builtin: %v", schemaErr)
	}
	return testSchema
}

func account() *entry.Entry {
	return &entry.Entry{
		DN: "mail=Foo@Example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example",
		Attrs: []entry.Attribute{
			{Type: "objectClass", Values: [][]byte{[]byte("top"), []byte("JammMailAccount")}},
			{Type: "mail", Values: [][]byte{[]byte("Foo@Example.com")}},
			{Type: "homeDirectory", Values: [][]byte{[]byte("/home/vmail/domains")}},
			{Type: "mailbox", Values: [][]byte{[]byte("example.com/foo/")}},
			{Type: "accountActive", Values: [][]byte{[]byte("TRUE")}},
			{Type: "lastChange", Values: [][]byte{[]byte("5")}},
			{Type: "delete", Values: [][]byte{[]byte("FALSE")}},
			{Type: "cn", Values: [][]byte{[]byte("Foo  Bar"), []byte("Robert Smith")}},
			{Type: "cn;lang-de", Values: [][]byte{[]byte("Herr Foo")}},
			{Type: "uidNumber", Values: [][]byte{[]byte("1005")}},
			{Type: "description", Values: [][]byte{[]byte("a*b (c)")}},
		},
	}
}

func TestEval(t *testing.T) {
	sc := builtin(t)
	e := Entry{E: account(), Schema: sc}
	tests := []struct {
		filter string
		want   Result
	}{
		{"(objectClass=*)", True},
		{"(objectclass=JammMailAccount)", True},
		{"(objectClass=jammmailaccount)", True},
		{"(objectClass=1.3.6.1.4.1.12461.1.2.1)", True},
		{"(objectClass=JammMailAlias)", False},
		{"(objectClass=noSuchClass)", False},
		{"(mail=foo@example.com)", True},
		{"(MAIL=FOO@EXAMPLE.COM)", True},
		{"(0.9.2342.19200300.100.1.3=foo@example.com)", True},
		{"(mail=bar@example.com)", False},
		{"(accountActive=TRUE)", True},
		{"(accountActive=true)", Undefined},
		{"(!(accountActive=true))", Undefined},
		{"(delete=FALSE)", True},
		{"(lastChange=5)", Undefined},
		{"(lastChange=*)", True},
		{"(noSuchAttr=x)", Undefined},
		{"(noSuchAttr=*)", Undefined},
		{"(!(noSuchAttr=x))", Undefined},
		{"(&(objectClass=JammMailAccount)(mail=foo@example.com)(accountActive=TRUE)(delete=FALSE))", True},
		{"(&(mail=foo@example.com)(noSuchAttr=x))", Undefined},
		{"(&(mail=bar@example.com)(noSuchAttr=x))", False},
		{"(|(mail=bar@example.com)(noSuchAttr=x))", Undefined},
		{"(|(mail=foo@example.com)(noSuchAttr=x))", True},
		{"(&)", True},
		{"(|)", False},
		{"(!(&))", False},
		{"(cn=foo bar)", True},
		{"(cn=  FOO   BAR )", True},
		{"(name=foo bar)", True},
		{"(name=herr foo)", True},
		{"(cn;lang-de=herr foo)", True},
		{"(cn;lang-de=foo bar)", False},
		{"(cn;lang-fr=herr foo)", False},
		{"(cn=f*)", True},
		{"(cn=*bar)", True},
		{"(cn=*o b*)", True},
		{"(cn=*smi*)", True},
		{"(cn=x*)", False},
		{"(name=her*)", True},
		{"(mail=*@example.com)", True},
		{"(mailbox=*foo*)", Undefined}, // no SUBSTR rule
		{"(description=a\\2ab*)", True},
		{"(description=a\\2a*\\28c\\29)", True},
		{"(uidNumber>=1000)", True},
		{"(uidNumber>=1006)", False},
		{"(uidNumber<=1005)", True},
		{"(uidNumber<=999)", False},
		{"(uidNumber>=abc)", Undefined},
		{"(uidNumber=1005)", True},
		{"(mail>=a)", Undefined}, // no ORDERING rule
		{"(cn~=robert smyth)", True},
		{"(cn~=rupert)", True},
		{"(cn~=jones)", False},
		{"(uidNumber~=1005)", True},
		{"(cn:caseExactMatch:=Robert Smith)", True},
		{"(cn:caseExactMatch:=robert smith)", False},
		{"(cn:=robert smith)", True},
		{"(:caseIgnoreIA5Match:=foo@example.com)", True},
		{"(jvd:dn:=example.com)", True},
		{"(jvd:=example.com)", False},
		{"(:dn:caseIgnoreMatch:=hosting)", True},
		{"(o:dn:=HOSTING)", True},
		{"(cn:noSuchRule:=x)", Undefined},
		{"(mail:integerMatch:=5)", Undefined}, // rule does not apply
		{"(uidNumber:integerBitAndMatch:=1)", True},
		{"(uidNumber:integerBitAndMatch:=2)", False},
		{"(cn:caseIgnoreSubstringsMatch:=rob*smi*)", True},
		{"(!(cn=x))", True},
		{"(!(mail=*))", False},
	}
	for _, tt := range tests {
		f, err := Parse(tt.filter, sc)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.filter, err)
			continue
		}
		if got := f.Eval(e); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.filter, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	sc := builtin(t)
	bad := []string{
		"", "(", ")", "()", "(cn)", "(=x)", "(cn=a", "(cn=a))", "(&(cn=a)", "(!(cn=a)(cn=b))", "(!)",
		"(cn=a\\)", "(cn=a\\zz)", "(c n=a)", "(cn=(a)", "(:=x)", "(cn:dn:x:y:=a)", "((cn=a))",
		"(cn;=a)", "(1.2.=a)", "(cn=a)(cn=b)",
	}
	for _, s := range bad {
		if _, err := Parse(s, sc); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want ErrSyntax", s, err)
		}
	}
	deep := strings.Repeat("(!", MaxDepth+1) + "(cn=a)" + strings.Repeat(")", MaxDepth+1)
	if _, err := Parse(deep, sc); !errors.Is(err, ErrTooComplex) {
		t.Errorf("deep filter: %v, want ErrTooComplex", err)
	}
	wide := "(|" + strings.Repeat("(cn=a)", MaxNodes) + ")"
	if _, err := Parse(wide, sc); !errors.Is(err, ErrTooComplex) {
		t.Errorf("wide filter: %v, want ErrTooComplex", err)
	}
}

func TestString(t *testing.T) {
	sc := builtin(t)
	tests := []struct{ in, want string }{
		{"(objectclass=*)", "(objectClass=*)"},
		{"objectClass=*", "(objectClass=*)"},
		{" (& (MAIL=a\\2ab) (cn=*x*y*) ) ", "(&(mail=a\\2ab)(cn=*x*y*))"},
		{"(cn=a*)", "(cn=a*)"},
		{"(cn=*a)", "(cn=*a)"},
		{"(cn;lang-de~=x)", "(cn;lang-de~=x)"},
		{"(foo=\\28x\\29)", "(foo=\\28x\\29)"},
		{"(cn:DN:caseExactMatch:=x)", "(cn:dn:caseExactMatch:=x)"},
		{"(:dn:2.5.13.5:=x)", "(:dn:2.5.13.5:=x)"},
		{"(|(!(uidNumber>=5))(uidNumber<=2))", "(|(!(uidNumber>=5))(uidNumber<=2))"},
		{"(cn=\\*)", "(cn=\\2a)"},
	}
	for _, tt := range tests {
		f, err := Parse(tt.in, sc)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := f.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAttrs(t *testing.T) {
	sc := builtin(t)
	f, err := Parse("(&(objectClass=x)(|(mail=a)(MAIL=b)(foo=c))(!(cn=*)))", sc)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, at := range f.Attrs() {
		names = append(names, at.Name())
	}
	if got := strings.Join(names, ","); got != "objectClass,mail,cn" {
		t.Errorf("Attrs = %s", got)
	}
}

// wireFilter encodes s with the go-ldap-free path: Parse, then rebuild the
// ldapwire tree by hand for a few shapes.
func TestFromWire(t *testing.T) {
	sc := builtin(t)
	wf := &ldapwire.Filter{Nodes: []ldapwire.FilterNode{
		{Kind: ldapwire.FilterAnd, End: 7},
		{Kind: ldapwire.FilterEqualityMatch, End: 2, Attr: []byte("objectClass"), Value: []byte("JammMailAccount")},
		{Kind: ldapwire.FilterSubstrings, End: 5, Attr: []byte("cn")},
		{Kind: ldapwire.FilterSubInitial, End: 4, Value: []byte("Rob")},
		{Kind: ldapwire.FilterSubFinal, End: 5, Value: []byte("ith")},
		{Kind: ldapwire.FilterNot, End: 7},
		{Kind: ldapwire.FilterPresent, End: 7, Attr: []byte("quota")},
	}}
	f, err := FromWire(wf, sc)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.String(), "(&(objectClass=JammMailAccount)(cn=Rob*ith)(!(quota=*)))"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got := f.Eval(Entry{E: account(), Schema: sc}); got != True {
		t.Errorf("Eval = %v", got)
	}
	unk := &ldapwire.Filter{Nodes: []ldapwire.FilterNode{
		{Kind: ldapwire.FilterOr, End: 3},
		{Kind: ldapwire.FilterUnknown, Tag: 0x8b, End: 2},
		{Kind: ldapwire.FilterPresent, End: 3, Attr: []byte("mail")},
	}}
	f, err = FromWire(unk, sc)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Eval(Entry{E: account(), Schema: sc}); got != True {
		t.Errorf("Eval(unknown|mail=*) = %v", got)
	}
	if got := f.String(); got != "(|(?=undefined)(mail=*))" {
		t.Errorf("String = %q", got)
	}
	bad := &ldapwire.Filter{Nodes: []ldapwire.FilterNode{{Kind: ldapwire.FilterAnd, End: 5}}}
	if _, err := FromWire(bad, sc); !errors.Is(err, ErrSyntax) {
		t.Errorf("malformed: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	sc := builtin(t)
	for _, s := range []string{
		"(&(objectClass=JammMailAccount)(mail=a\\2ab)(accountActive=TRUE)(delete=FALSE))",
		"(|(cn=*a*b*)(!(sn=x))(uid>=3)(cn~=y)(cn:dn:caseExactMatch:=z))",
	} {
		f, err := Parse(s, sc)
		if err != nil {
			t.Fatal(err)
		}
		g, err := Parse(f.String(), sc)
		if err != nil {
			t.Fatal(err)
		}
		if f.String() != g.String() {
			t.Errorf("round trip %q -> %q", f.String(), g.String())
		}
	}
}

func TestPhonetic(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"robert", "R163"}, {"rupert", "R163"}, {"smith", "S530"}, {"smyth", "S530"},
		{"ashcraft", "A261"}, {"tymczak", "T522"}, {"pfister", "P236"}, {"a", "A000"}, {"123", "123"},
	} {
		if got := string(phonetic(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("phonetic(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

type benchView struct {
	types []*schema.AttributeType
	vals  [][][]byte
}

func (v *benchView) NumAttrs() int                                  { return len(v.types) }
func (v *benchView) AttrType(i int) (*schema.AttributeType, string) { return v.types[i], "" }
func (v *benchView) Values(i int) [][]byte                          { return v.vals[i] }
func (v *benchView) DN() string                                     { return "" }

func TestEvalNoAlloc(t *testing.T) {
	sc := builtin(t)
	e := account()
	v := &benchView{}
	for _, a := range e.Attrs[:7] {
		v.types = append(v.types, sc.AttributeType(a.Type))
		v.vals = append(v.vals, a.Values)
	}
	f, err := Parse("(&(objectClass=JammMailAccount)(mail=foo@example.com)(accountActive=TRUE)(delete=FALSE))", sc)
	if err != nil {
		t.Fatal(err)
	}
	var s Scratch
	allocs := testing.AllocsPerRun(100, func() {
		if f.EvalScratch(v, &s) != True {
			t.Fatal("not true")
		}
	})
	if allocs != 0 {
		t.Errorf("EvalScratch allocates %v times", allocs)
	}
}

func BenchmarkEvalPostfix(b *testing.B) {
	sc := builtin(b)
	e := account()
	v := &benchView{}
	for _, a := range e.Attrs[:7] {
		v.types = append(v.types, sc.AttributeType(a.Type))
		v.vals = append(v.vals, a.Values)
	}
	f, err := Parse("(&(objectClass=JammMailAccount)(mail=foo@example.com)(accountActive=TRUE)(delete=FALSE))", sc)
	if err != nil {
		b.Fatal(err)
	}
	var s Scratch
	b.ReportAllocs()
	for b.Loop() {
		f.EvalScratch(v, &s)
	}
}

func BenchmarkParsePostfix(b *testing.B) {
	sc := builtin(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("(&(objectClass=JammMailAccount)(mail=foo@example.com)(accountActive=TRUE)(delete=FALSE))", sc); err != nil {
			b.Fatal(err)
		}
	}
}

// postfixWire is the Postfix lookup filter of the HOWTO as ldapwire
// decodes it.
func postfixWire() *ldapwire.Filter {
	return &ldapwire.Filter{Nodes: []ldapwire.FilterNode{
		{Kind: ldapwire.FilterAnd, End: 5},
		{Kind: ldapwire.FilterEqualityMatch, End: 2, Attr: []byte("objectClass"), Value: []byte("JammMailAccount")},
		{Kind: ldapwire.FilterEqualityMatch, End: 3, Attr: []byte("mail"), Value: []byte("foo@example.com")},
		{Kind: ldapwire.FilterEqualityMatch, End: 4, Attr: []byte("accountActive"), Value: []byte("TRUE")},
		{Kind: ldapwire.FilterEqualityMatch, End: 5, Attr: []byte("delete"), Value: []byte("FALSE")},
	}}
}

func BenchmarkFromWirePostfix(b *testing.B) {
	sc := builtin(b)
	wf := postfixWire()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromWire(wf, sc); err != nil {
			b.Fatal(err)
		}
	}
}
