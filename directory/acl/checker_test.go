package acl_test

import (
	"testing"

	"hostdir/directory/acl"
)

// TestGrantedAndFlags checks what a server may skip: Granted (root, no
// rules), ValueRules and Groups.
func TestGrantedAndFlags(t *testing.T) {
	tests := []struct {
		rules             string
		subj              string
		granted           acl.Priv
		valueRules, group bool
	}{
		{"", anon, acl.LevelRead, false, false},
		{"", root, acl.PrivAll, false, false},
		{"access to * by * read", anon, 0, false, false},
		{"access to * by * read", root, acl.PrivAll, false, false},
		{"access to attrs=member by * selfwrite", u, 0, true, false},
		{"access to attrs=sn val=x by * read", u, 0, true, false},
		{`access to * by group.exact="cn=g,ou=g,dc=ex" write by * read`, u, 0, false, true},
	}
	for _, tt := range tests {
		p, _ := compileText(t, tt.rules)
		ev := p.NewEvaluator(acl.Subject{NDN: tt.subj}, nil)
		if got := ev.Granted(); got != tt.granted {
			t.Errorf("%q as %q: Granted %v, want %v", tt.rules, tt.subj, got, tt.granted)
		}
		if ev.ValueRules() != tt.valueRules || p.ValueRules() != tt.valueRules {
			t.Errorf("%q: ValueRules %v, want %v", tt.rules, ev.ValueRules(), tt.valueRules)
		}
		if p.Groups() != tt.group {
			t.Errorf("%q: Groups %v, want %v", tt.rules, p.Groups(), tt.group)
		}
		if ev.Policy() != p {
			t.Error("Policy")
		}
		ev.Release()
	}
}

// TestUnavailableNotCached checks that a group the Fetcher could not read
// (acl.Unavailable) does not match and is fetched again on the next check.
func TestUnavailableNotCached(t *testing.T) {
	p, sc := compileText(t, `access to * by group.exact="cn=g,ou=g,dc=ex" write by * read`)
	tr := newTree(t, sc)
	aNDN, _ := sc.NormalizeDN(a)
	uNDN, _ := sc.NormalizeDN(u)
	available := false
	calls := 0
	fetch := func(ndn string) acl.Entry {
		calls++
		if !available {
			return acl.Unavailable
		}
		return tr.fetch(ndn)
	}
	ev := p.NewEvaluator(acl.Subject{NDN: aNDN}, fetch)
	defer ev.Release()
	target := tr[uNDN]
	r := acl.Request{Entry: target, Attr: sc.AttributeType("sn")}
	if ev.Allowed(r, acl.PrivWrite) {
		t.Error("write granted while the group is unavailable")
	}
	available = true
	if !ev.Allowed(r, acl.PrivWrite) {
		t.Error("write refused once the group is available")
	}
	if !ev.Allowed(r, acl.PrivWrite) || calls != 2 {
		t.Errorf("%d fetches, want 2 (the second answer cached)", calls)
	}
}

// checkerFunc is a Checker for TestOperationChecksOverChecker.
type checkerFunc func(r acl.Request, want acl.Priv) bool

func (f checkerFunc) Allowed(r acl.Request, want acl.Priv) bool { return f(r, want) }

// TestOperationChecksOverChecker checks that the operation checks ask a
// Checker what slapd asks: privileges and pseudo-attributes.
func TestOperationChecksOverChecker(t *testing.T) {
	_, sc := compileText(t, "")
	tr := newTree(t, sc)
	uNDN, _ := sc.NormalizeDN(u)
	e := tr[uNDN]
	sn := sc.AttributeType("sn")
	type ask struct {
		attr string
		want acl.Priv
		val  bool
	}
	var asked []ask
	deny := acl.Priv(0)
	c := checkerFunc(func(r acl.Request, want acl.Priv) bool {
		asked = append(asked, ask{r.Attr.Name(), want, r.Value != nil})
		return want&deny == 0
	})
	tests := []struct {
		name string
		run  func() int
		deny acl.Priv
		want []ask
		code int
	}{
		{"search base refused, no disclose", func() int { return acl.SearchBase(c, e) }, acl.PrivSearch | acl.PrivDisclose,
			[]ask{{"entry", acl.PrivSearch, false}, {"entry", acl.PrivDisclose, false}}, 32},
		{"search base refused, disclose", func() int { return acl.SearchBase(c, e) }, acl.PrivSearch,
			[]ask{{"entry", acl.PrivSearch, false}, {"entry", acl.PrivDisclose, false}}, 50},
		{"compare", func() int { return acl.Compare(c, e, sn, "", []byte("x")) }, 0,
			[]ask{{"sn", acl.PrivCompare, true}}, 0},
		{"add", func() int { return acl.Add(c, nil, e) }, 0,
			[]ask{{"children", acl.PrivAdd, false}, {"entry", acl.PrivAdd, false}}, 0},
		{"delete refused", func() int { return acl.Delete(c, nil, e) }, acl.PrivDelete,
			[]ask{{"children", acl.PrivDelete, false}}, 50},
		{"modify replace", func() int {
			return acl.Modify(c, e, []acl.Mod{{Op: acl.ModReplace, Attr: sn, Values: [][]byte{[]byte("a")}}})
		}, 0, []ask{{"sn", acl.PrivDelete, false}, {"sn", acl.PrivAdd, true}}, 0},
	}
	for _, tt := range tests {
		asked, deny = nil, tt.deny
		if code := tt.run(); code != tt.code {
			t.Errorf("%s: %d, want %d", tt.name, code, tt.code)
		}
		if len(asked) != len(tt.want) {
			t.Errorf("%s: asked %v, want %v", tt.name, asked, tt.want)
			continue
		}
		for i := range asked {
			if asked[i] != tt.want[i] {
				t.Errorf("%s: asked %v, want %v", tt.name, asked, tt.want)
				break
			}
		}
	}
}
