package directory

import (
	"sort"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// howtoServer is a test server under the HOWTO's access rules (2.5 form)
// with the fixture loaded and a password on the domain's postmaster.
func howtoServer(t *testing.T) *testServer {
	t.Helper()
	ts := newTestServer(t, func(cfg *configT, o *Options) { cfg.Databases[0].Access = howtoRules(t) })
	ts.load(t)
	m := ldap.NewModifyRequest("cn=postmaster,"+testDomain, nil)
	m.Replace("userPassword", []string{"pmpw"})
	if err := ts.root(t).Modify(m); err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestAccessSearch checks searches under the HOWTO's rules: what the
// anonymous Postfix lookups see, what a domain's postmaster sees through
// its group clause (entries decided after the store's transaction), and
// that filter items refused count as Undefined, also for the size limit.
func TestAccessSearch(t *testing.T) {
	ts := howtoServer(t)
	anon := ts.dial(t)
	pm := ts.bind(t, "cn=postmaster,"+testDomain, "pmpw")
	user := ts.bind(t, testUser, testUserPW)
	type result struct {
		code    int
		entries []string // "dn attr attr..." sorted
	}
	run := func(c *ldap.Conn, base string, scope, size int, filter string, paged bool, attrs ...string) result {
		req := ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, size, 0, false, filter, attrs, nil)
		var res *ldap.SearchResult
		var err error
		if paged {
			res, err = c.SearchWithPaging(req, 2)
		} else {
			res, err = c.Search(req)
		}
		var r result
		r.code = code(err)
		if res != nil {
			for _, e := range res.Entries {
				s := strings.ToLower(strings.SplitN(e.DN, ",", 2)[0])
				for _, a := range e.Attributes {
					s += " " + a.Name
				}
				r.entries = append(r.entries, s)
			}
		}
		sort.Strings(r.entries)
		return r
	}
	tests := []struct {
		name   string
		c      *ldap.Conn
		base   string
		scope  int
		size   int
		filter string
		paged  bool
		attrs  []string
		want   result
	}{
		{"postfix lookup", anon, testBase, 2, 0, "(mail=user@example.com)", false, []string{"mailbox", "userPassword"},
			result{0, []string{"mail=user@example.com mailbox"}}},
		{"anonymous may not search userPassword", anon, testBase, 2, 0, "(userPassword=*)", false, nil, result{0, nil}},
		{"refused item in an or", anon, testBase, 2, 0, "(|(userPassword=*)(mail=user@example.com))", false, []string{"1.1"},
			result{0, []string{"mail=user@example.com"}}},
		// The domain entry falls under the second rule (read for all): its
		// item is allowed, and it has no userPassword.
		{"refused item in a not", anon, testDomain, 2, 0, "(!(userPassword=*))", false, []string{"1.1"}, result{0, []string{"jvd=example.com"}}},
		{"size limit counts what is sent", anon, testBase, 2, 1, "(|(userPassword=*)(mail=user@example.com))", false, []string{"1.1"},
			result{0, []string{"mail=user@example.com"}}},
		{"self reads its password", user, testBase, 2, 0, "(userPassword=*)", false, []string{"userPassword"},
			result{0, []string{"mail=user@example.com userPassword"}}},
		{"postmaster through its group", pm, testBase, 2, 0, "(userPassword=*)", false, []string{"userPassword"},
			result{0, []string{"cn=postmaster userPassword", "mail=user@example.com userPassword"}}},
		{"postmaster, paged", pm, testDomain, 2, 0, "(objectClass=*)", true, []string{"userPassword"},
			result{0, []string{"cn=postmaster userPassword", "jvd=example.com", "mail=abuse@example.com", "mail=user@example.com userPassword"}}},
		{"anonymous, paged", anon, testDomain, 2, 0, "(|(userPassword=*)(mail=*))", true, []string{"1.1"},
			result{0, []string{"cn=postmaster", "mail=abuse@example.com", "mail=user@example.com"}}},
		{"root DSE", anon, "", 0, 0, "(objectClass=*)", false, []string{"namingContexts"},
			result{0, []string{" namingContexts"}}},
	}
	for _, tt := range tests {
		got := run(tt.c, tt.base, tt.scope, tt.size, tt.filter, tt.paged, tt.attrs...)
		if got.code != tt.want.code || strings.Join(got.entries, "|") != strings.Join(tt.want.entries, "|") {
			t.Errorf("%s: %d %q, want %d %q", tt.name, got.code, got.entries, tt.want.code, tt.want.entries)
		}
	}
}

// TestAccessWrites checks binds and updates under the HOWTO's rules.
func TestAccessWrites(t *testing.T) {
	ts := howtoServer(t)
	pmDN := "cn=postmaster," + testDomain
	if err := ts.dial(t).Bind(testUser, "wrong"); code(err) != 49 {
		t.Errorf("wrong password: %v, want 49", err)
	}
	user := ts.bind(t, testUser, testUserPW)
	pm := ts.bind(t, pmDN, "pmpw")
	desc := func(c *ldap.Conn, dn string) int {
		m := ldap.NewModifyRequest(dn, nil)
		m.Replace("description", []string{"x"})
		return code(c.Modify(m))
	}
	if got := desc(user, testUser); got != 0 {
		t.Errorf("user modifies itself: %d", got)
	}
	if got := desc(user, pmDN); got != 50 {
		t.Errorf("user modifies the postmaster: %d, want 50", got)
	}
	if got := desc(pm, testUser); got != 0 {
		t.Errorf("postmaster modifies a user: %d", got)
	}
	if got := desc(pm, testBase); got != 50 {
		t.Errorf("postmaster modifies o=hosting: %d, want 50", got)
	}
	if _, err := pm.PasswordModify(ldap.NewPasswordModifyRequest(testUser, "", "newpw")); err != nil {
		t.Errorf("postmaster sets a password: %v", err)
	}
	if _, err := user.PasswordModify(ldap.NewPasswordModifyRequest(pmDN, "", "x")); code(err) != 50 {
		t.Errorf("user sets the postmaster's password: %v, want 50", err)
	}
	ts.bind(t, testUser, "newpw")
	add := addRequest("mail=new@example.com,"+testDomain, []string{"objectClass: top", "objectClass: JammMailAccount",
		"mail: new@example.com", "homeDirectory: /home/vmail/domains", "mailbox: example.com/new/", "accountActive: TRUE",
		"lastChange: 1", "delete: FALSE"})
	if err := user.Add(add); code(err) != 50 || diag(err) != "no write access to parent" {
		t.Errorf("user adds an account: %v, want 50 no write access to parent", err)
	}
	if err := pm.Add(add); err != nil {
		t.Errorf("postmaster adds an account: %v", err)
	}
	if err := user.Del(ldap.NewDelRequest("mail=new@example.com,"+testDomain, nil)); code(err) != 50 {
		t.Errorf("user deletes an account: %v, want 50", err)
	}
	if err := pm.Del(ldap.NewDelRequest("mail=new@example.com,"+testDomain, nil)); err != nil {
		t.Errorf("postmaster deletes an account: %v", err)
	}
	if ok, err := ts.dial(t).Compare(testUser, "mail", "user@example.com"); err != nil || !ok {
		t.Errorf("anonymous compare of mail: %v %v", ok, err)
	}
	if _, err := ts.dial(t).Compare(testUser, "userPassword", "newpw"); code(err) != 50 {
		t.Errorf("anonymous compare of userPassword: %v, want 50", err)
	}
}
