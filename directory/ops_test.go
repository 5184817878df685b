package directory

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

func search(t *testing.T, c *ldap.Conn, base string, scope int, filter string, attrs ...string) (*ldap.SearchResult, error) {
	t.Helper()
	return c.Search(ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil))
}

func attrNames(e *ldap.Entry) []string {
	var out []string
	for _, a := range e.Attributes {
		out = append(out, a.Name)
	}
	return out
}

func TestRootDSE(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	tests := []struct {
		attrs []string
		want  []string
	}{
		{nil, []string{"objectClass"}},
		{[]string{"*"}, []string{"objectClass"}},
		{[]string{"+"}, []string{"structuralObjectClass", "namingContexts", "supportedControl", "supportedExtension",
			"supportedFeatures", "supportedLDAPVersion", "entryDN", "subschemaSubentry"}},
		{[]string{"namingContexts", "supportedLDAPVersion"}, []string{"namingContexts", "supportedLDAPVersion"}},
		{[]string{"1.1"}, nil},
	}
	for _, tt := range tests {
		res, err := search(t, c, "", ldap.ScopeBaseObject, "(objectClass=*)", tt.attrs...)
		if err != nil {
			t.Fatalf("%v: %v", tt.attrs, err)
		}
		if len(res.Entries) != 1 || res.Entries[0].DN != "" {
			t.Fatalf("%v: entries %v", tt.attrs, res.Entries)
		}
		if got := attrNames(res.Entries[0]); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%v: attributes %v, want %v", tt.attrs, got, tt.want)
		}
	}
	res, _ := search(t, c, "", ldap.ScopeBaseObject, "(objectClass=*)", "+", "*")
	e := res.Entries[0]
	if got := e.GetAttributeValues("namingContexts"); !reflect.DeepEqual(got, []string{testSuffix}) {
		t.Errorf("namingContexts %v", got)
	}
	if got := e.GetAttributeValue("subschemaSubentry"); got != "cn=Subschema" {
		t.Errorf("subschemaSubentry %q", got)
	}
	if got := e.GetAttributeValues("objectClass"); !reflect.DeepEqual(got, []string{"top", "OpenLDAProotDSE"}) {
		t.Errorf("objectClass %v", got)
	}
	// scope one on the root: noSuchObject, as slapd
	if _, err := search(t, c, "", ldap.ScopeSingleLevel, "(objectClass=*)"); code(err) != 32 {
		t.Errorf("one-level search of the root: %v, want 32", err)
	}
	// a filter that does not match
	res, err := search(t, c, "", ldap.ScopeBaseObject, "(objectClass=foo)")
	if err != nil || len(res.Entries) != 0 {
		t.Errorf("non-matching root DSE search: %v %v", res, err)
	}
}

func TestSubschema(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	res, err := search(t, c, "cn=Subschema", ldap.ScopeBaseObject, "(objectClass=subschema)")
	if err != nil {
		t.Fatal(err)
	}
	if got := attrNames(res.Entries[0]); !reflect.DeepEqual(got, []string{"objectClass", "cn"}) {
		t.Errorf("user attributes %v", got)
	}
	res, err = search(t, c, "CN=subschema", ldap.ScopeBaseObject, "(objectClass=*)", "+")
	if err != nil {
		t.Fatal(err)
	}
	e := res.Entries[0]
	if e.DN != "cn=Subschema" {
		t.Errorf("DN %q", e.DN)
	}
	want := []string{"structuralObjectClass", "createTimestamp", "modifyTimestamp", "ldapSyntaxes", "matchingRules",
		"matchingRuleUse", "attributeTypes", "objectClasses", "entryDN", "subschemaSubentry"}
	if got := attrNames(e); !reflect.DeepEqual(got, want) {
		t.Errorf("operational attributes %v, want %v", got, want)
	}
	found := false
	for _, v := range e.GetAttributeValues("objectClasses") {
		if strings.Contains(v, "JammMailAccount") {
			found = true
		}
	}
	if !found {
		t.Error("objectClasses lacks JammMailAccount")
	}
	if _, err := search(t, c, "cn=Subschema", ldap.ScopeSingleLevel, "(objectClass=*)"); code(err) != 32 {
		t.Errorf("one-level search of cn=Subschema: %v", err)
	}
}

func TestBind(t *testing.T) {
	ts := newTestServer(t, func(cfg *configT, o *Options) {})
	ts.load(t)
	tests := []struct {
		name     string
		dn, pw   string
		code     int
		diag     string
		whoami   string
		unauthOK bool
	}{
		{"anonymous", "", "", 0, "", "", true},
		{"root", testRootDN, testRootPW, 0, "", "dn:" + testRootDN, false},
		{"root spelled differently", "CN=Manager, DC=myhosting,dc=example", testRootPW, 0, "", "dn:cn=Manager,dc=myhosting,dc=example", false},
		{"root wrong password", testRootDN, "bad", 49, "", "", false},
		{"user", testUser, testUserPW, 0, "", "dn:" + testUser, false},
		{"user wrong password", testUser, "bad", 49, "", "", false},
		{"unknown DN", "mail=nobody@example.com," + testDomain, "x", 49, "", "", false},
		{"outside suffixes", "cn=x,dc=other", "x", 49, "", "", false},
		{"entry without password", testDomain, "x", 49, "", "", false},
		{"DN without password", testUser, "", 53, "unauthenticated bind (DN with no password) disallowed", "", true},
		{"bad DN", "foo", "x", 34, "invalid DN", "", false},
		{"credentials without DN", "", "x", 49, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ts.dial(t)
			var err error
			if tt.unauthOK {
				err = c.UnauthenticatedBind(tt.dn)
			} else {
				err = c.Bind(tt.dn, tt.pw)
			}
			if code(err) != tt.code {
				t.Fatalf("bind: %v, want code %d", err, tt.code)
			}
			if tt.diag != "" && diag(err) != tt.diag {
				t.Errorf("diagnostic %q, want %q", diag(err), tt.diag)
			}
			if err != nil {
				return
			}
			res, err := c.WhoAmI(nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.AuthzID != tt.whoami {
				t.Errorf("whoami %q, want %q", res.AuthzID, tt.whoami)
			}
		})
	}
}

func TestBindVersionAndSASL(t *testing.T) {
	ts := newTestServer(t)
	// LDAPv2 bind: protocolError unless allow bind_v2.
	b := rawBind(2, "", "")
	resp := ts.rawExchange(t, b)
	if c, msg := resultOf(t, resp); c != 2 || msg != "historical protocol version requested, use LDAPv3 instead" {
		t.Errorf("LDAPv2 bind: %d %q", c, msg)
	}
	// SASL
	resp = ts.rawExchange(t, rawSASLBind("PLAIN"))
	if c, msg := resultOf(t, resp); c != 7 || !strings.HasPrefix(msg, "SASL(-4): no mechanism available") {
		t.Errorf("SASL bind: %d %q", c, msg)
	}
	ts2 := newTestServer(t, func(cfg *configT, o *Options) { cfg.Allow = append(cfg.Allow, "bind_v2") })
	if c, msg := resultOf(t, ts2.rawExchange(t, rawBind(2, "", ""))); c != 0 {
		t.Errorf("LDAPv2 bind with allow bind_v2: %d %q", c, msg)
	}
}

func TestSearchBasics(t *testing.T) {
	ts := newTestServer(t)
	ts.load(t)
	c := ts.dial(t)
	tests := []struct {
		name   string
		base   string
		scope  int
		filter string
		attrs  []string
		code   int
		dns    []string
	}{
		{"postfix lookup", testBase, ldap.ScopeWholeSubtree, "(&(mail=user@example.com)(accountActive=TRUE))", []string{"mailbox"}, 0, []string{testUser}},
		{"case-insensitive mail", testBase, ldap.ScopeWholeSubtree, "(mail=USER@Example.COM)", nil, 0, []string{testUser}},
		{"boolean true is undefined", testBase, ldap.ScopeWholeSubtree, "(accountActive=true)", nil, 0, nil},
		{"not undefined is undefined", testDomain, ldap.ScopeSingleLevel, "(!(accountActive=true))", nil, 0, nil},
		{"no equality rule", testBase, ldap.ScopeWholeSubtree, "(lastChange=1)", nil, 0, nil},
		{"base", testUser, ldap.ScopeBaseObject, "(objectClass=*)", nil, 0, []string{testUser}},
		{"one", testDomain, ldap.ScopeSingleLevel, "(objectClass=JammMailAlias)", nil, 0,
			[]string{"cn=postmaster," + testDomain, "mail=abuse@example.com," + testDomain}},
		{"children", testBase, ldap.ScopeChildren, "(jvd=*)", nil, 0, []string{testDomain}},
		{"sub includes base", testDomain, ldap.ScopeWholeSubtree, "(jvd=example.com)", nil, 0, []string{testDomain}},
		{"pretty base", "JVD=example.com, O=hosting,DC=myhosting,dc=example", ldap.ScopeBaseObject, "(objectClass=*)", nil, 0, []string{testDomain}},
		{"missing base", "jvd=nope.com," + testBase, ldap.ScopeWholeSubtree, "(objectClass=*)", nil, 32, nil},
		{"outside", "dc=other", ldap.ScopeWholeSubtree, "(objectClass=*)", nil, 32, nil},
		{"bad base", "foo", ldap.ScopeWholeSubtree, "(objectClass=*)", nil, 34, nil},
		{"undefined type base", "foo=bar," + testSuffix, ldap.ScopeWholeSubtree, "(objectClass=*)", nil, 34, nil},
		{"extensible", testBase, ldap.ScopeWholeSubtree, "(mail:caseIgnoreIA5Match:=user@example.com)", nil, 0, []string{testUser}},
		{"substring", testBase, ldap.ScopeWholeSubtree, "(mail=us*@example.*)", nil, 0, []string{testUser}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := search(t, c, tt.base, tt.scope, tt.filter, tt.attrs...)
			if code(err) != tt.code {
				t.Fatalf("search: %v, want %d", err, tt.code)
			}
			if err != nil {
				return
			}
			var dns []string
			for _, e := range res.Entries {
				dns = append(dns, e.DN)
			}
			sort.Strings(dns)
			want := append([]string(nil), tt.dns...)
			sort.Strings(want)
			if !reflect.DeepEqual(dns, want) {
				t.Errorf("DNs %v, want %v", dns, want)
			}
		})
	}
}
