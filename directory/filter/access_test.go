package filter

import (
	"strings"
	"testing"
)

// TestEvalAccess checks slapd's rule: an item refused search access is
// Undefined, in every position of the filter, and items not evaluated
// (after a deciding And/Or member) are not asked about.
func TestEvalAccess(t *testing.T) {
	sc := builtin(t)
	e := Entry{E: account(), Schema: sc}
	tests := []struct {
		filter  string
		refuse  string // attribute type refused (lower case), "" none
		want    Result
		asked   string // types asked about, in order
		wantVal bool   // the refused item was asked with its assertion value
	}{
		{"(mail=foo@example.com)", "", True, "mail", true},
		{"(mail=foo@example.com)", "mail", Undefined, "mail", true},
		{"(!(mail=foo@example.com))", "mail", Undefined, "mail", true},
		{"(!(mail=bar@example.com))", "", True, "mail", true},
		{"(|(mail=*)(cn=Foo Bar))", "mail", True, "mail cn", false},
		{"(|(mail=*)(cn=nobody))", "mail", Undefined, "mail cn", false},
		{"(&(mail=*)(cn=nobody))", "mail", False, "mail cn", false},
		{"(&(cn=nobody)(mail=*))", "mail", False, "cn", false},
		{"(|(cn=Foo Bar)(mail=*))", "mail", True, "cn", false},
		{"(objectClass=*)", "objectclass", Undefined, "objectClass", false},
		{"(objectClass=*)", "", True, "objectClass", false},
		{"(mail=foo*)", "mail", Undefined, "mail", false},
		{"(uidNumber>=3)", "uidnumber", Undefined, "uidNumber", true},
		{"(accountActive=true)", "", Undefined, "", false}, // static Undefined: not asked
		{"(nosuchattr=x)", "", Undefined, "", false},
	}
	for _, tt := range tests {
		f, err := Parse(tt.filter, sc)
		if err != nil {
			t.Fatalf("%s: %v", tt.filter, err)
		}
		var asked []string
		withVal := false
		access := func(n Node) bool {
			asked = append(asked, n.Type().Name())
			if strings.EqualFold(n.Type().Name(), tt.refuse) {
				withVal = n.Assertion() != nil && n.Kind() != Present && n.Kind() != Substrings
				return false
			}
			return true
		}
		var s Scratch
		if got := f.EvalAccess(e, &s, access); got != tt.want {
			t.Errorf("%s refusing %q: %v, want %v", tt.filter, tt.refuse, got, tt.want)
		}
		if got := strings.Join(asked, " "); got != tt.asked {
			t.Errorf("%s: asked about %q, want %q", tt.filter, got, tt.asked)
		}
		if tt.refuse != "" && withVal != tt.wantVal {
			t.Errorf("%s: refused item asked with value %v, want %v", tt.filter, withVal, tt.wantVal)
		}
		if got, want := f.EvalAccess(e, &s, nil), f.EvalScratch(e, &s); got != want {
			t.Errorf("%s: nil access %v, EvalScratch %v", tt.filter, got, want)
		}
		all := f.Items(func(Node) bool { return true })
		some := f.Items(access)
		if !all || (tt.refuse != "" && strings.Contains(strings.ToLower(tt.asked), tt.refuse) && some) {
			t.Errorf("%s: Items all=%v some=%v", tt.filter, all, some)
		}
	}
}

// TestEvalAccessNoAllocs checks that evaluation with an access hook does
// not allocate.
func TestEvalAccessNoAllocs(t *testing.T) {
	sc := builtin(t)
	e := &Entry{E: account(), Schema: sc}
	f, err := Parse("(&(objectClass=JammMailAccount)(|(mail=foo@example.com)(cn=x*)))", sc)
	if err != nil {
		t.Fatal(err)
	}
	var s Scratch
	access := func(Node) bool { return true }
	f.EvalAccess(e, &s, access)
	if n := testing.AllocsPerRun(100, func() { f.EvalAccess(e, &s, access) }); n != 0 {
		t.Errorf("%v allocations per evaluation", n)
	}
}
