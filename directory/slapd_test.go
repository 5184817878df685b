package directory

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"hostdir/internal/peers"
)

// TestSameAsSlapd runs the same operations against slapd (Debian's, with
// the HOWTO's schema and no access rules) and hostdir, and compares result
// codes, diagnostic messages, matched DNs and returned entries.
func TestSameAsSlapd(t *testing.T) {
	sl := peers.StartSlapd(t, peers.SlapdOptions{
		ExtraSchemas: []string{filepath.Join(peers.RepoRoot(t), "schema", "builtin", "jamm.schema")},
	})
	ts := newTestServer(t)
	type target struct {
		name string
		url  string
	}
	targets := []target{{"slapd", sl.URL}, {"hostdir", ts.url}}
	conns := map[string]map[string]*ldap.Conn{}
	for _, tg := range targets {
		dial := func(dn, pw string) *ldap.Conn {
			c, err := ldap.DialURL(tg.url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			if dn != "" {
				if err := c.Bind(dn, pw); err != nil {
					t.Fatalf("%s: bind %s: %v", tg.name, dn, err)
				}
			}
			return c
		}
		root := dial(testRootDN, testRootPW)
		base, _ := BaseEntry(ts.srv.schema, testSuffix)
		var lines []string
		for _, a := range base.Attrs {
			for _, v := range a.Values {
				lines = append(lines, a.Type+": "+string(v))
			}
		}
		if err := root.Add(addRequest(testSuffix, lines)); err != nil && code(err) != 68 {
			t.Fatalf("%s: add suffix: %v", tg.name, err)
		}
		for _, f := range fixture {
			if err := root.Add(addRequest(f.dn, f.order)); err != nil {
				t.Fatalf("%s: add %s: %v", tg.name, f.dn, err)
			}
		}
		conns[tg.name] = map[string]*ldap.Conn{"root": root, "anon": dial("", ""), "user": dial(testUser, testUserPW)}
	}
	acct := func(local string, extra ...string) []string {
		return append([]string{"objectClass: top", "objectClass: JammMailAccount", "mail: " + local + "@example.com",
			"homeDirectory: /home/vmail/domains", "mailbox: example.com/" + local + "/", "accountActive: TRUE",
			"lastChange: 1", "delete: FALSE"}, extra...)
	}
	modify := func(dn string, f func(m *ldap.ModifyRequest)) func(c *ldap.Conn) (string, error) {
		return func(c *ldap.Conn) (string, error) {
			m := ldap.NewModifyRequest(dn, nil)
			f(m)
			return "", c.Modify(m)
		}
	}
	searchOp := func(base string, scope int, filter string, attrs ...string) func(c *ldap.Conn) (string, error) {
		return func(c *ldap.Conn) (string, error) {
			res, err := c.Search(ldap.NewSearchRequest(base, scope, 0, 0, 0, false, filter, attrs, nil))
			if res == nil {
				return "", err
			}
			var b strings.Builder
			for _, e := range res.Entries {
				fmt.Fprintf(&b, "dn: %s\n", e.DN)
				for _, a := range e.Attributes {
					switch a.Name {
					case "entryUUID", "createTimestamp", "modifyTimestamp", "entryCSN", "userPassword":
						fmt.Fprintf(&b, "%s: <%d>\n", a.Name, len(a.Values))
						continue
					}
					fmt.Fprintf(&b, "%s: %v\n", a.Name, a.Values)
				}
			}
			return b.String(), err
		}
	}
	ops := []struct {
		name string
		who  string
		run  func(c *ldap.Conn) (string, error)
	}{
		{"add ok", "root", func(c *ldap.Conn) (string, error) {
			return "", c.Add(addRequest("mail=new@example.com,"+testDomain, acct("new")))
		}},
		{"add exists", "root", func(c *ldap.Conn) (string, error) { return "", c.Add(addRequest(testUser, acct("user"))) }},
		{"add no parent", "root", func(c *ldap.Conn) (string, error) {
			return "", c.Add(addRequest("mail=x@example.com,jvd=nope.com,"+testBase, acct("x")))
		}},
		{"add outside", "root", func(c *ldap.Conn) (string, error) {
			return "", c.Add(addRequest("cn=x,dc=other", []string{"objectClass: person", "cn: x", "sn: x"}))
		}},
		{"add anonymous", "anon", func(c *ldap.Conn) (string, error) {
			return "", c.Add(addRequest("mail=a@example.com,"+testDomain, acct("a")))
		}},
		{"add user", "user", func(c *ldap.Conn) (string, error) {
			return "", c.Add(addRequest("mail=a@example.com,"+testDomain, acct("a")))
		}},
		{"add user exists", "user", func(c *ldap.Conn) (string, error) { return "", c.Add(addRequest(testUser, acct("user"))) }},
		{"add missing must", "root", func(c *ldap.Conn) (string, error) {
			return "", c.Add(addRequest("mail=b@example.com,"+testDomain, []string{"objectClass: JammMailAccount", "mail: b@example.com"}))
		}},
		{"add not allowed", "root", func(c *ldap.Conn) (string, error) {
			return "", c.Add(addRequest("mail=c@example.com,"+testDomain, acct("c", "jvd: x")))
		}},
		{"add undefined", "root", func(c *ldap.Conn) (string, error) {
			return "", c.Add(addRequest("mail=d@example.com,"+testDomain, acct("d", "fooBar: x")))
		}},
		{"add bad boolean", "root", func(c *ldap.Conn) (string, error) {
			return "", c.Add(addRequest("mail=e@example.com,"+testDomain, []string{"objectClass: JammMailAccount", "mail: e@example.com",
				"homeDirectory: /h", "mailbox: m", "accountActive: yes", "lastChange: 1", "delete: FALSE"}))
		}},
		{"add single-valued twice", "root", func(c *ldap.Conn) (string, error) {
			return "", c.Add(addRequest("mail=f@example.com,"+testDomain, acct("f", "quota: 1", "quota: 2")))
		}},
		{"add no user modification", "root", func(c *ldap.Conn) (string, error) {
			return "", c.Add(addRequest("mail=g@example.com,"+testDomain, acct("g", "creatorsName: cn=x")))
		}},
		{"modify add existing", "root", modify(testUser, func(m *ldap.ModifyRequest) { m.Add("mail", []string{"USER@example.com"}) })},
		{"modify delete missing value", "root", modify(testUser, func(m *ldap.ModifyRequest) { m.Delete("mailbox", []string{"nope"}) })},
		{"modify delete missing attr", "root", modify(testUser, func(m *ldap.ModifyRequest) { m.Delete("quota", nil) })},
		{"modify delete MUST", "root", modify(testUser, func(m *ldap.ModifyRequest) { m.Delete("homeDirectory", nil) })},
		{"modify RDN value", "root", modify(testUser, func(m *ldap.ModifyRequest) { m.Replace("mail", []string{"o@example.com"}) })},
		{"modify undefined", "root", modify(testUser, func(m *ldap.ModifyRequest) { m.Replace("fooBar", []string{"x"}) })},
		{"modify nousermod", "root", modify(testUser, func(m *ldap.ModifyRequest) { m.Replace("entryUUID", []string{"597ae2f6-16a6-1027-98f4-abcdefabcdef"}) })},
		{"modify anonymous", "anon", modify(testUser, func(m *ldap.ModifyRequest) { m.Replace("quota", []string{"1"}) })},
		{"modify self", "user", modify(testUser, func(m *ldap.ModifyRequest) { m.Replace("quota", []string{"1"}) })},
		{"modify missing", "root", modify("mail=zz@example.com,"+testDomain, func(m *ldap.ModifyRequest) { m.Replace("quota", []string{"1"}) })},
		{"modify outside", "root", modify("cn=x,dc=other", func(m *ldap.ModifyRequest) { m.Replace("quota", []string{"1"}) })},
		{"modify increment non-integer", "root", modify(testUser, func(m *ldap.ModifyRequest) { m.Increment("mailbox", "1") })},
		{"modify replace ok", "root", modify(testUser, func(m *ldap.ModifyRequest) { m.Replace("quota", []string{"100M"}) })},
		{"delete non-leaf", "root", func(c *ldap.Conn) (string, error) { return "", c.Del(ldap.NewDelRequest(testDomain, nil)) }},
		{"delete missing", "root", func(c *ldap.Conn) (string, error) {
			return "", c.Del(ldap.NewDelRequest("mail=zz@example.com,"+testDomain, nil))
		}},
		{"delete user", "user", func(c *ldap.Conn) (string, error) {
			return "", c.Del(ldap.NewDelRequest("mail=abuse@example.com,"+testDomain, nil))
		}},
		{"delete root DSE", "root", func(c *ldap.Conn) (string, error) { return "", c.Del(ldap.NewDelRequest("", nil)) }},
		{"modrdn exists", "root", func(c *ldap.Conn) (string, error) {
			return "", c.ModifyDN(ldap.NewModifyDNRequest("mail=abuse@example.com,"+testDomain, "cn=postmaster", false, ""))
		}},
		{"modrdn outside", "root", func(c *ldap.Conn) (string, error) {
			return "", c.ModifyDN(ldap.NewModifyDNRequest("mail=abuse@example.com,"+testDomain, "cn=x", false, "dc=other"))
		}},
		{"modrdn missing superior", "root", func(c *ldap.Conn) (string, error) {
			return "", c.ModifyDN(ldap.NewModifyDNRequest("mail=abuse@example.com,"+testDomain, "mail=abuse@example.com", false, "jvd=x.com,"+testBase))
		}},
		{"modrdn user", "user", func(c *ldap.Conn) (string, error) {
			return "", c.ModifyDN(ldap.NewModifyDNRequest("mail=abuse@example.com,"+testDomain, "mail=x@example.com", false, ""))
		}},
		{"modrdn keep old", "root", func(c *ldap.Conn) (string, error) {
			return "", c.ModifyDN(ldap.NewModifyDNRequest("mail=abuse@example.com,"+testDomain, "mail=abuse2@example.com", false, ""))
		}},
		{"after modrdn", "anon", searchOp("mail=abuse2@example.com,"+testDomain, 0, "(objectClass=*)", "mail")},
		{"compare true", "anon", func(c *ldap.Conn) (string, error) {
			ok, err := c.Compare(testUser, "mail", "USER@example.com")
			return fmt.Sprint(ok), err
		}},
		{"compare no attr", "anon", func(c *ldap.Conn) (string, error) { _, err := c.Compare(testUser, "description", "x"); return "", err }},
		{"compare undefined", "anon", func(c *ldap.Conn) (string, error) { _, err := c.Compare(testUser, "fooBar", "x"); return "", err }},
		{"compare missing", "anon", func(c *ldap.Conn) (string, error) {
			_, err := c.Compare("mail=zz@example.com,"+testDomain, "mail", "x")
			return "", err
		}},
		{"search postfix", "anon", searchOp(testBase, 2, "(&(mail=user@example.com)(accountActive=TRUE))", "mailbox", "homeDirectory")},
		{"search all user attrs", "anon", searchOp(testUser, 0, "(objectClass=*)")},
		{"search operational", "anon", searchOp(testUser, 0, "(objectClass=*)", "+")},
		{"search pretty base", "anon", searchOp("JVD=example.com, O=hosting,DC=myhosting,dc=example", 0, "(objectClass=*)", "1.1")},
		{"search missing base", "anon", searchOp("jvd=nope.com,"+testBase, 2, "(objectClass=*)")},
		{"search outside", "anon", searchOp("dc=other", 2, "(objectClass=*)")},
		{"search bad base", "anon", searchOp("foo", 2, "(objectClass=*)")},
		{"search undefined boolean", "anon", searchOp(testBase, 2, "(accountActive=true)")},
		{"search no equality", "anon", searchOp(testBase, 2, "(lastChange=1)")},
		{"search root DSE", "anon", searchOp("", 0, "(objectClass=*)")},
		{"search root one", "anon", searchOp("", 1, "(objectClass=*)")},
		{"search subschema", "anon", searchOp("cn=Subschema", 0, "(objectClass=*)")},
		{"bind empty password", "anon", func(c *ldap.Conn) (string, error) { return "", c.UnauthenticatedBind(testUser) }},
		{"bind wrong", "anon", func(c *ldap.Conn) (string, error) { return "", c.Bind(testUser, "x") }},
		{"bind bad DN", "anon", func(c *ldap.Conn) (string, error) { return "", c.Bind("foo", "x") }},
		{"whoami", "root", func(c *ldap.Conn) (string, error) { r, err := c.WhoAmI(nil); return fmt.Sprint(r), err }},
		{"passwd anonymous", "anon", func(c *ldap.Conn) (string, error) {
			_, err := c.PasswordModify(ldap.NewPasswordModifyRequest("", "", "x"))
			return "", err
		}},
		{"passwd self", "user", func(c *ldap.Conn) (string, error) {
			_, err := c.PasswordModify(ldap.NewPasswordModifyRequest("", "", "x"))
			return "", err
		}},
		{"passwd missing", "root", func(c *ldap.Conn) (string, error) {
			_, err := c.PasswordModify(ldap.NewPasswordModifyRequest("mail=zz@example.com,"+testDomain, "", "x"))
			return "", err
		}},
		{"unknown extended", "anon", func(c *ldap.Conn) (string, error) {
			_, err := c.Extended(ldap.NewExtendedRequest("1.2.3.4", nil))
			return "", err
		}},
	}
	for _, op := range ops {
		var got [2]string
		for i, tg := range targets {
			out, err := op.run(conns[tg.name][op.who])
			matched := ""
			if le, ok := err.(*ldap.Error); ok {
				matched = le.MatchedDN
			}
			got[i] = fmt.Sprintf("code=%d diag=%q matched=%q\n%s", code(err), diag(err), matched, out)
		}
		if !reflect.DeepEqual(got[0], got[1]) {
			t.Errorf("%s:\nslapd:   %s\nhostdir: %s", op.name, got[0], got[1])
		}
	}
}
