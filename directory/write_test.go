package directory

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

func TestAdd(t *testing.T) {
	ts := newTestServer(t)
	ts.load(t)
	root := ts.root(t)
	anon := ts.dial(t)
	user := ts.bind(t, testUser, testUserPW)
	acct := func(local string, extra ...string) []string {
		return append([]string{"objectClass: top", "objectClass: JammMailAccount", "mail: " + local + "@example.com",
			"homeDirectory: /home/vmail/domains", "mailbox: example.com/" + local + "/", "accountActive: TRUE",
			"lastChange: 1", "delete: FALSE"}, extra...)
	}
	tests := []struct {
		name  string
		conn  *ldap.Conn
		dn    string
		attrs []string
		code  int
		diag  string
	}{
		{"ok", root, "mail=new@example.com," + testDomain, acct("new"), 0, ""},
		{"exists", root, testUser, acct("user"), 68, ""},
		{"exists other spelling", root, "MAIL=user@example.com, jvd=example.com,o=hosting,dc=myhosting,dc=example", acct("user"), 68, ""},
		{"no parent", root, "mail=x@example.com,jvd=nope.com," + testBase, acct("x"), 32, ""},
		{"outside suffixes", root, "cn=x,dc=other", []string{"objectClass: person", "cn: x", "sn: x"}, 53, "no global superior knowledge"},
		{"anonymous", anon, "mail=a1@example.com," + testDomain, acct("a1"), 8, "modifications require authentication"},
		{"anonymous outside", anon, "cn=x,dc=other", []string{"objectClass: person", "cn: x", "sn: x"}, 53, "no global superior knowledge"},
		{"user without access", user, "mail=a2@example.com," + testDomain, acct("a2"), 50, "no write access to parent"},
		{"user exists", user, testUser, acct("user"), 68, ""},
		{"missing must", root, "mail=a3@example.com," + testDomain,
			[]string{"objectClass: JammMailAccount", "mail: a3@example.com"}, 65, "object class 'JammMailAccount' requires attribute 'homeDirectory'"},
		{"not allowed", root, "mail=a4@example.com," + testDomain, acct("a4", "jvd: x"), 65, "attribute 'jvd' not allowed"},
		{"undefined type", root, "mail=a5@example.com," + testDomain, acct("a5", "fooBar: x"), 17, "fooBar: attribute type undefined"},
		{"bad boolean", root, "mail=a6@example.com," + testDomain,
			[]string{"objectClass: JammMailAccount", "mail: a6@example.com", "homeDirectory: /h", "mailbox: m",
				"accountActive: yes", "lastChange: 1", "delete: FALSE"}, 21, "accountActive: value #0 invalid per syntax"},
		{"two values single-valued", root, "mail=a7@example.com," + testDomain, acct("a7", "quota: 1", "quota: 2"), 19, ""},
		{"no user modification", root, "mail=a8@example.com," + testDomain, acct("a8", "entryUUID: 597ae2f6-16a6-1027-98f4-abcdefabcdef"), 19,
			"entryUUID: no user modification allowed"},
		{"bad DN", root, "foo", acct("a9"), 34, "invalid DN"},
		{"root DSE", root, "", acct("a9"), 68, ""},
		{"RDN value added", root, "mail=rdn@example.com," + testDomain,
			[]string{"objectClass: JammMailAlias", "maildrop: x", "accountActive: TRUE", "lastChange: 1"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.conn.Add(addRequest(tt.dn, tt.attrs))
			if code(err) != tt.code {
				t.Fatalf("add: %v, want %d", err, tt.code)
			}
			if tt.diag != "" && diag(err) != tt.diag {
				t.Errorf("diagnostic %q, want %q", diag(err), tt.diag)
			}
		})
	}
	// matched DN on a missing parent
	err := root.Add(addRequest("mail=x@example.com,jvd=nope.com,"+testBase, acct("x")))
	if le, ok := err.(*ldap.Error); !ok || le.MatchedDN != testBase {
		t.Errorf("matched DN: %#v", err)
	}
	res, err := search(t, root, "mail=rdn@example.com,"+testDomain, ldap.ScopeBaseObject, "(objectClass=*)", "mail")
	if err != nil || res.Entries[0].GetAttributeValue("mail") != "rdn@example.com" {
		t.Errorf("RDN value not added: %v %v", res, err)
	}
}

func TestOperationalAttributes(t *testing.T) {
	ts := newTestServer(t)
	ts.load(t)
	c := ts.dial(t)
	res, err := search(t, c, testUser, ldap.ScopeBaseObject, "(objectClass=*)")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range attrNames(res.Entries[0]) {
		if a == "entryUUID" || a == "createTimestamp" {
			t.Errorf("operational attribute %s returned without request", a)
		}
	}
	res, err = search(t, c, testUser, ldap.ScopeBaseObject, "(objectClass=*)", "+")
	if err != nil {
		t.Fatal(err)
	}
	e := res.Entries[0]
	want := []string{"structuralObjectClass", "entryUUID", "creatorsName", "createTimestamp", "entryCSN",
		"modifiersName", "modifyTimestamp", "entryDN", "subschemaSubentry", "hasSubordinates"}
	if got := attrNames(e); !reflect.DeepEqual(got, want) {
		t.Fatalf("+: %v, want %v", got, want)
	}
	checks := map[string]string{
		"structuralObjectClass": `^JammMailAccount$`,
		"entryUUID":             `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`,
		"creatorsName":          `^cn=Manager,dc=myhosting,dc=example$`,
		"createTimestamp":       `^\d{14}Z$`,
		"entryCSN":              `^\d{14}\.\d{6}Z#[0-9a-f]{6}#000#000000$`,
		"entryDN":               "^" + regexp.QuoteMeta(testUser) + "$",
		"subschemaSubentry":     `^cn=Subschema$`,
		"hasSubordinates":       `^FALSE$`,
	}
	for a, re := range checks {
		if v := e.GetAttributeValue(a); !regexp.MustCompile(re).MatchString(v) {
			t.Errorf("%s = %q, want %s", a, v, re)
		}
	}
	res, _ = search(t, c, testDomain, ldap.ScopeBaseObject, "(objectClass=*)", "hasSubordinates", "1.1")
	if got := res.Entries[0].GetAttributeValue("hasSubordinates"); got != "TRUE" {
		t.Errorf("hasSubordinates of the domain = %q", got)
	}
	// * and a named operational attribute: user attributes then it.
	res, _ = search(t, c, testUser, ldap.ScopeBaseObject, "(objectClass=*)", "*", "entryUUID")
	names := attrNames(res.Entries[0])
	if names[len(names)-1] != "entryUUID" || names[0] != "objectClass" {
		t.Errorf("* entryUUID: %v", names)
	}
	// typesOnly
	r := ldap.NewSearchRequest(testUser, ldap.ScopeBaseObject, 0, 0, 0, true, "(objectClass=*)", []string{"mail"}, nil)
	res, err = c.Search(r)
	if err != nil || len(res.Entries[0].Attributes) != 1 || len(res.Entries[0].Attributes[0].Values) != 0 {
		t.Errorf("typesOnly: %v %v", res, err)
	}
	// attribute names in the schema's spelling; OIDs select too
	res, _ = search(t, c, testUser, ldap.ScopeBaseObject, "(objectClass=*)", "MAILBOX", "0.9.2342.19200300.100.1.3")
	if got := attrNames(res.Entries[0]); !reflect.DeepEqual(got, []string{"mail", "mailbox"}) {
		t.Errorf("names: %v", got)
	}
}

func TestModify(t *testing.T) {
	ts := newTestServer(t)
	ts.load(t)
	root := ts.root(t)
	anon := ts.dial(t)
	self := ts.bind(t, testUser, testUserPW)
	mod := func(dn string, f func(m *ldap.ModifyRequest)) *ldap.ModifyRequest {
		m := ldap.NewModifyRequest(dn, nil)
		f(m)
		return m
	}
	tests := []struct {
		name string
		conn *ldap.Conn
		req  *ldap.ModifyRequest
		code int
		diag string
	}{
		{"replace", root, mod(testUser, func(m *ldap.ModifyRequest) { m.Replace("quota", []string{"100M"}) }), 0, ""},
		{"add value exists", root, mod(testUser, func(m *ldap.ModifyRequest) { m.Add("mail", []string{"USER@example.com"}) }), 20,
			"modify/add: mail: value #0 already exists"},
		{"delete missing value", root, mod(testUser, func(m *ldap.ModifyRequest) { m.Delete("cn", []string{"nope"}) }), 16,
			"modify/delete: cn: no such attribute"},
		{"delete missing value of present attribute", root, mod(testUser, func(m *ldap.ModifyRequest) { m.Delete("quota", []string{"nope"}) }), 16,
			"modify/delete: quota: no such value"},
		{"delete MUST", root, mod(testUser, func(m *ldap.ModifyRequest) { m.Delete("homeDirectory", nil) }), 65,
			"object class 'JammMailAccount' requires attribute 'homeDirectory'"},
		{"delete RDN value", root, mod(testUser, func(m *ldap.ModifyRequest) { m.Replace("mail", []string{"other@example.com"}) }), 64, ""},
		{"undefined", root, mod(testUser, func(m *ldap.ModifyRequest) { m.Replace("fooBar", []string{"x"}) }), 17, "fooBar: attribute type undefined"},
		{"no user modification", root, mod(testUser, func(m *ldap.ModifyRequest) { m.Replace("entryUUID", []string{"597ae2f6-16a6-1027-98f4-abcdefabcdef"}) }), 19,
			"entryUUID: no user modification allowed"},
		{"all or nothing", root, mod(testUser, func(m *ldap.ModifyRequest) {
			m.Replace("quota", []string{"5G"})
			m.Add("mail", []string{"user@example.com"})
		}), 20, ""},
		{"missing entry", root, mod("mail=x@example.com,"+testDomain, func(m *ldap.ModifyRequest) { m.Replace("quota", []string{"1"}) }), 32, ""},
		{"anonymous", anon, mod(testUser, func(m *ldap.ModifyRequest) { m.Replace("quota", []string{"1"}) }), 8, "modifications require authentication"},
		{"self without access", self, mod(testUser, func(m *ldap.ModifyRequest) { m.Replace("quota", []string{"1"}) }), 50, ""},
		{"outside", root, mod("cn=x,dc=other", func(m *ldap.ModifyRequest) { m.Replace("quota", []string{"1"}) }), 53, "no global superior knowledge"},
		{"increment non-integer", root, mod(testUser, func(m *ldap.ModifyRequest) { m.Increment("quota", "1") }), 19,
			"quota: attribute syntax inappropriate for increment"},
		{"increment", root, mod(testUser, func(m *ldap.ModifyRequest) { m.Increment("lastChange", "41") }), 0, ""},
		{"replace with no values removes", root, mod(testUser, func(m *ldap.ModifyRequest) { m.Replace("userPassword", nil) }), 0, ""},
		{"replace absent with no values", root, mod(testUser, func(m *ldap.ModifyRequest) { m.Replace("description", nil) }), 0, ""},
		{"bad syntax", root, mod(testUser, func(m *ldap.ModifyRequest) { m.Replace("accountActive", []string{"yes"}) }), 21, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.conn.Modify(tt.req)
			if code(err) != tt.code {
				t.Fatalf("modify: %v, want %d", err, tt.code)
			}
			if tt.diag != "" && diag(err) != tt.diag {
				t.Errorf("diagnostic %q, want %q", diag(err), tt.diag)
			}
		})
	}
	res, err := search(t, root, testUser, ldap.ScopeBaseObject, "(objectClass=*)", "quota", "lastChange", "userPassword", "modifiersName")
	if err != nil {
		t.Fatal(err)
	}
	e := res.Entries[0]
	if e.GetAttributeValue("quota") != "100M" || e.GetAttributeValue("lastChange") != "42" || len(e.GetAttributeValues("userPassword")) != 0 {
		t.Errorf("after modifies: quota %q lastChange %q userPassword %v", e.GetAttributeValue("quota"),
			e.GetAttributeValue("lastChange"), e.GetAttributeValues("userPassword"))
	}
	if e.GetAttributeValue("modifiersName") != testRootDN {
		t.Errorf("modifiersName %q", e.GetAttributeValue("modifiersName"))
	}
}

func TestDeleteModRDNCompare(t *testing.T) {
	ts := newTestServer(t)
	ts.load(t)
	root := ts.root(t)
	anon := ts.dial(t)
	user := ts.bind(t, testUser, testUserPW)

	if err := root.Del(ldap.NewDelRequest(testDomain, nil)); code(err) != 66 {
		t.Errorf("delete non-leaf: %v", err)
	}
	if err := root.Del(ldap.NewDelRequest("mail=x@example.com,"+testDomain, nil)); code(err) != 32 {
		t.Errorf("delete missing: %v", err)
	}
	if err := anon.Del(ldap.NewDelRequest(testUser, nil)); code(err) != 8 {
		t.Errorf("anonymous delete: %v", err)
	}
	if err := user.Del(ldap.NewDelRequest(testUser, nil)); code(err) != 50 || diag(err) != "no write access to parent" {
		t.Errorf("user delete: %v", err)
	}
	if err := root.Del(ldap.NewDelRequest("", nil)); code(err) != 53 {
		t.Errorf("delete root DSE: %v", err)
	}

	abuse := "mail=abuse@example.com," + testDomain
	tests := []struct {
		name string
		req  *ldap.ModifyDNRequest
		code int
		diag string
	}{
		{"exists", ldap.NewModifyDNRequest(abuse, "cn=postmaster", false, ""), 68, ""},
		{"outside", ldap.NewModifyDNRequest(abuse, "cn=x", false, "dc=other"), 71, "cannot rename between DSAs"},
		{"suffix", ldap.NewModifyDNRequest(testSuffix, "dc=x", false, ""), 71, "cannot rename between DSAs"},
		{"new superior missing", ldap.NewModifyDNRequest(abuse, "mail=abuse@example.com", false, "jvd=nope.com,"+testBase), 32, "new superior not found"},
		{"below itself", ldap.NewModifyDNRequest(testDomain, "jvd=x.com", false, "mail=abuse@example.com,"+testDomain), 53, "cannot place an entry below itself"},
		{"missing", ldap.NewModifyDNRequest("mail=zz@example.com,"+testDomain, "mail=yy@example.com", false, ""), 32, ""},
		{"bad new RDN", ldap.NewModifyDNRequest(abuse, "foo=bar", false, ""), 34, "invalid new RDN"},
		{"keep old RDN", ldap.NewModifyDNRequest(abuse, "mail=abuse2@example.com", false, ""), 0, ""},
		{"delete old RDN", ldap.NewModifyDNRequest("mail=abuse2@example.com,"+testDomain, "mail=abuse3@example.com", true, ""), 0, ""},
		{"subtree move", ldap.NewModifyDNRequest(testDomain, "jvd=example.org", false, ""), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := root.ModifyDN(tt.req)
			if code(err) != tt.code {
				t.Fatalf("modrdn: %v, want %d", err, tt.code)
			}
			if tt.diag != "" && diag(err) != tt.diag {
				t.Errorf("diagnostic %q, want %q", diag(err), tt.diag)
			}
		})
	}
	newDomain := "jvd=example.org," + testBase
	res, err := search(t, root, "mail=abuse3@example.com,"+newDomain, ldap.ScopeBaseObject, "(objectClass=*)", "mail", "jvd")
	if err != nil {
		t.Fatalf("moved entry: %v", err)
	}
	if got := res.Entries[0].GetAttributeValues("mail"); !reflect.DeepEqual(got, []string{"abuse@example.com", "abuse3@example.com"}) {
		t.Errorf("mail after renames: %v", got)
	}
	res, err = search(t, root, newDomain, ldap.ScopeBaseObject, "(objectClass=*)", "jvd")
	if err != nil || !reflect.DeepEqual(res.Entries[0].GetAttributeValues("jvd"), []string{"example.com", "example.org"}) {
		t.Errorf("domain after rename: %v %v", res, err)
	}
	if err := anon.ModifyDN(ldap.NewModifyDNRequest(newDomain, "jvd=x.org", false, "")); code(err) != 8 {
		t.Errorf("anonymous modrdn: %v", err)
	}
	if err := user.ModifyDN(ldap.NewModifyDNRequest("mail=user@example.com,"+newDomain, "mail=u2@example.com", false, "")); code(err) != 50 {
		t.Errorf("user modrdn: %v", err)
	}

	// compare
	u := "mail=user@example.com," + newDomain
	cmp := []struct {
		dn, attr, val string
		code          int
	}{
		{u, "mail", "USER@example.com", 6},
		{u, "mail", "x@example.com", 5},
		{u, "quota", "1", 16},
		{u, "fooBar", "1", 17},
		{u, "accountActive", "yes", 21},
		{u, "lastChange", "1", 18},
		{"mail=zz@example.com," + newDomain, "mail", "x", 32},
		{"", "objectClass", "top", 6},
		{"cn=Subschema", "cn", "subschema", 6},
	}
	for _, tt := range cmp {
		req := ldap.CompareRequest{DN: tt.dn, Attribute: tt.attr, Value: tt.val}
		_, err := anon.Compare(req.DN, req.Attribute, req.Value)
		got := code(err)
		if err == nil {
			ok, _ := anon.Compare(req.DN, req.Attribute, req.Value)
			got = 5
			if ok {
				got = 6
			}
		}
		if got != tt.code {
			t.Errorf("compare %s %s=%s: %v (%d), want %d", tt.dn, tt.attr, tt.val, err, got, tt.code)
		}
	}
}

func TestPasswordModifyAndWhoAmI(t *testing.T) {
	ts := newTestServer(t)
	ts.load(t)
	root := ts.root(t)
	anon := ts.dial(t)
	if _, err := anon.PasswordModify(ldap.NewPasswordModifyRequest("", "", "x")); code(err) != 8 ||
		diag(err) != "only authenticated users may change passwords" {
		t.Errorf("anonymous password modify: %v", err)
	}
	res, err := root.PasswordModify(ldap.NewPasswordModifyRequest(testUser, "", ""))
	if err != nil || len(res.GeneratedPassword) != generatedLength {
		t.Fatalf("generated password: %v %+v", err, res)
	}
	if err := ts.dial(t).Bind(testUser, res.GeneratedPassword); err != nil {
		t.Errorf("bind with generated password: %v", err)
	}
	if _, err := root.PasswordModify(ldap.NewPasswordModifyRequest(testUser, "", "newpw")); err != nil {
		t.Fatal(err)
	}
	sr, _ := search(t, root, testUser, ldap.ScopeBaseObject, "(objectClass=*)", "userPassword")
	if v := sr.Entries[0].GetAttributeValue("userPassword"); !strings.HasPrefix(v, "{SSHA}") {
		t.Errorf("stored password %q not {SSHA}", v)
	}
	user := ts.bind(t, testUser, "newpw")
	if _, err := user.PasswordModify(ldap.NewPasswordModifyRequest("", "wrong", "x")); code(err) != 53 {
		t.Errorf("wrong old password: %v", err)
	}
	if _, err := user.PasswordModify(ldap.NewPasswordModifyRequest("", "newpw", "x")); code(err) != 50 {
		t.Errorf("self change without access rules: %v", err)
	}
	if _, err := root.PasswordModify(ldap.NewPasswordModifyRequest("mail=zz@example.com,"+testDomain, "", "x")); code(err) != 32 {
		t.Errorf("missing entry: %v", err)
	}
	if _, err := root.PasswordModify(ldap.NewPasswordModifyRequest("foo", "", "x")); code(err) != 21 {
		t.Errorf("bad DN: %v", err)
	}
	w, err := anon.WhoAmI(nil)
	if err != nil || w.AuthzID != "" {
		t.Errorf("anonymous whoami: %v %q", err, w)
	}
	// unknown extended operation
	_, err = root.Extended(ldap.NewExtendedRequest("1.2.3.4", nil))
	if code(err) != 2 || diag(err) != "unsupported extended operation" {
		t.Errorf("unknown extended operation: %v", err)
	}
}

// TestLastModOrder checks slapd's attribute order after a change: the
// replaced or added attributes, then entryCSN, modifiersName and
// modifyTimestamp at the end (slapd replaces them on every write).
func TestLastModOrder(t *testing.T) {
	ts := newTestServer(t)
	ts.load(t)
	root := ts.root(t)
	tail := []string{"entryCSN", "modifiersName", "modifyTimestamp"}
	order := func(dn string) []string {
		t.Helper()
		res, err := search(t, root, dn, ldap.ScopeBaseObject, "(objectClass=*)", "*", "entryCSN", "modifiersName", "modifyTimestamp", "createTimestamp")
		if err != nil {
			t.Fatal(err)
		}
		return attrNames(res.Entries[0])
	}
	check := func(what, dn string, before ...string) {
		t.Helper()
		got := order(dn)
		want := append(append([]string(nil), before...), tail...)
		if len(got) < len(want) || !reflect.DeepEqual(got[len(got)-len(want):], want) {
			t.Errorf("%s: attributes %v, want them to end with %v", what, got, want)
		}
		if !slices.Contains(got, "createTimestamp") {
			t.Errorf("%s: createTimestamp lost: %v", what, got)
		}
	}
	m := ldap.NewModifyRequest(testUser, nil)
	m.Replace("quota", []string{"10M"})
	if err := root.Modify(m); err != nil {
		t.Fatal(err)
	}
	check("modify", testUser, "quota")
	m = ldap.NewModifyRequest(testUser, nil)
	m.Add("description", []string{"d"})
	if err := root.Modify(m); err != nil {
		t.Fatal(err)
	}
	check("second modify", testUser, "quota", "description")
	if _, err := root.PasswordModify(ldap.NewPasswordModifyRequest(testUser, "", "newpw")); err != nil {
		t.Fatal(err)
	}
	check("password modify", testUser, "quota", "description", "userPassword")
	if err := root.ModifyDN(ldap.NewModifyDNRequest("mail=abuse@example.com,"+testDomain, "cn=abuse", false, "")); err != nil {
		t.Fatal(err)
	}
	check("modrdn", "cn=abuse,"+testDomain, "cn")
}
