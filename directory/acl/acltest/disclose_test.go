package acltest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"hostdir/internal/peers"
)

// discloseRules hide example.org from everyone but carol, let dave only
// learn that alice's entry exists (disclose), and give users write
// elsewhere: the cases where slapd masks errors as noSuchObject, drops
// matched DNs, leaves refused entries and filter items out.
const discloseRules = `
access to attrs=userPassword
        by self write
        by anonymous auth
        by * none

access to dn.subtree="jvd=example.org,o=hosting,dc=myhosting,dc=example"
        by dn.exact="mail=carol@example.org,jvd=example.org,o=hosting,dc=myhosting,dc=example" write
        by * none

access to dn.base="mail=alice@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example"
        by dn.exact="mail=dave@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example" =d
        by * none

access to dn.base="mail=bob@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example" attrs=entry
        by * =s

access to *
        by users write
        by * read
`

// TestDiscloseSameAsSlapd runs operations whose answers depend on
// disclose, search and read access against slapd 2.5 and hostdir with
// the same rules and tree, and compares result codes, matched DNs,
// diagnostic texts and the entries and attributes returned.
func TestDiscloseSameAsSlapd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts slapd")
	}
	sl := peers.StartSlapd(t, peers.SlapdOptions{
		ExtraSchemas:   []string{filepath.Join(TestdataDir(), "..", "schema", "builtin", "jamm.schema")},
		DatabaseConfig: discloseRules,
		LDIFFiles:      []string{filepath.Join(TestdataDir(), "acl-tree.ldif")},
	})
	b, err := os.ReadFile(filepath.Join(TestdataDir(), "howto-slapd-2.5.conf"))
	if err != nil {
		t.Fatal(err)
	}
	head := string(b)
	head = head[:strings.Index(head, "\naccess to")+1]
	conf := filepath.Join(t.TempDir(), "slapd.conf")
	if err := os.WriteFile(conf, []byte(head+discloseRules), 0o644); err != nil {
		t.Fatal(err)
	}
	hd := startHostdirConfig(t, conf)

	missingOrg := "mail=nobody@example.org," + DomainOrg
	abuseOrg := "mail=abuse@example.org," + DomainOrg
	type op struct {
		name string
		run  func(c *ldap.Conn) string
		undo func(root *ldap.Conn) error // after a success
	}
	undoDesc := func(dn string) func(root *ldap.Conn) error {
		return func(root *ldap.Conn) error {
			m := ldap.NewModifyRequest(dn, nil)
			m.Replace("description", nil)
			return root.Modify(m)
		}
	}
	result := func(err error) string {
		if err == nil {
			return "0"
		}
		if le, ok := err.(*ldap.Error); ok {
			msg := ""
			if le.Err != nil {
				msg = le.Err.Error()
			}
			return fmt.Sprintf("%d matched=%q text=%q", le.ResultCode, le.MatchedDN, msg)
		}
		return "error " + err.Error()
	}
	search := func(base string, scope, size int, filter string, attrs ...string) func(c *ldap.Conn) string {
		return func(c *ldap.Conn) string {
			res, err := c.Search(ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, size, 0, false, filter, attrs, nil))
			out := result(err)
			if res == nil {
				return out
			}
			if size > 0 {
				// Which entries come first is the store's order, not
				// access control's.
				return fmt.Sprintf("%s, %d entries", out, len(res.Entries))
			}
			var lines []string
			for _, e := range res.Entries {
				l := strings.ToLower(e.DN)
				for _, a := range e.Attributes {
					l += fmt.Sprintf(" %s(%d)", a.Name, len(a.Values))
				}
				lines = append(lines, l)
			}
			sort.Strings(lines)
			for _, l := range lines {
				out += "\n  " + l
			}
			return out
		}
	}
	modify := func(dn string) func(c *ldap.Conn) string {
		return func(c *ldap.Conn) string {
			m := ldap.NewModifyRequest(dn, nil)
			m.Replace("description", []string{"x"})
			return result(c.Modify(m))
		}
	}
	ops := []op{
		{"search-base-carol", search(Carol, ldap.ScopeBaseObject, 0, "(objectClass=*)", "mail"), nil},
		{"search-base-missing-org", search(missingOrg, ldap.ScopeBaseObject, 0, "(objectClass=*)"), nil},
		{"search-base-alice", search(Alice, ldap.ScopeBaseObject, 0, "(objectClass=*)", "mail"), nil},
		{"search-sub-hosting", search(Hosting, ldap.ScopeWholeSubtree, 0, "(objectClass=*)", "mail", "userPassword"), nil},
		{"search-sizelimit", search(Hosting, ldap.ScopeWholeSubtree, 3, "(objectClass=*)", "1.1"), nil},
		{"search-or-refused", search(DomainCom, ldap.ScopeWholeSubtree, 0, "(|(userPassword=*)(mail=bob@example.com))", "mail"), nil},
		{"search-not-refused", search(DomainCom, ldap.ScopeWholeSubtree, 0, "(!(userPassword=*))", "1.1"), nil},
		{"compare-carol", func(c *ldap.Conn) string {
			_, err := c.Compare(Carol, "mail", "carol@example.org")
			return result(err)
		}, nil},
		{"compare-alice", func(c *ldap.Conn) string {
			_, err := c.Compare(Alice, "mail", "alice@example.com")
			return result(err)
		}, nil},
		{"compare-bob-absent", func(c *ldap.Conn) string {
			_, err := c.Compare(Bob, "description", "x")
			return result(err)
		}, nil},
		{"compare-bob-false", func(c *ldap.Conn) string {
			ok, err := c.Compare(Bob, "mail", "x")
			return fmt.Sprint(ok, " ", result(err))
		}, nil},
		{"search-base-bob", search(Bob, ldap.ScopeBaseObject, 0, "(objectClass=*)", "mail"), nil},
		{"compare-missing-org", func(c *ldap.Conn) string {
			_, err := c.Compare(missingOrg, "mail", "x")
			return result(err)
		}, nil},
		{"modify-carol", modify(Carol), undoDesc(Carol)},
		{"modify-alice", modify(Alice), undoDesc(Alice)},
		{"modify-missing-org", modify(missingOrg), nil},
		{"delete-abuse-org", func(c *ldap.Conn) string { return result(c.Del(ldap.NewDelRequest(abuseOrg, nil))) },
			func(root *ldap.Conn) error {
				r := ldap.NewAddRequest(abuseOrg, nil)
				r.Attribute("objectClass", []string{"top", "JammMailAlias"})
				r.Attribute("mail", []string{"abuse@example.org"})
				r.Attribute("maildrop", []string{"postmaster"})
				r.Attribute("accountActive", []string{"TRUE"})
				r.Attribute("lastChange", []string{"1700000000"})
				return root.Add(r)
			}},
		{"delete-alice", func(c *ldap.Conn) string { return result(c.Del(ldap.NewDelRequest(Alice, nil))) }, nil},
		{"delete-missing-org", func(c *ldap.Conn) string { return result(c.Del(ldap.NewDelRequest(missingOrg, nil))) }, nil},
		{"add-under-missing-org", func(c *ldap.Conn) string {
			return result(c.Add(newAccount("mail=x@example.org," + missingOrg)))
		}, nil},
		{"modrdn-abuse-org", func(c *ldap.Conn) string {
			return result(c.ModifyDN(ldap.NewModifyDNRequest(abuseOrg, "mail=abuse2@example.org", true, "")))
		}, func(root *ldap.Conn) error {
			return root.ModifyDN(ldap.NewModifyDNRequest("mail=abuse2@example.org,"+DomainOrg, "mail=abuse@example.org", true, ""))
		}},
		{"modrdn-alice", func(c *ldap.Conn) string {
			return result(c.ModifyDN(ldap.NewModifyDNRequest(Alice, "mail=alice2@example.com", false, "")))
		}, nil},
	}
	ids := []Identity{{Name: "anonymous"}, {Name: "alice", DN: Alice}, {Name: "dave", DN: Dave}, {Name: "carol", DN: Carol}}
	for _, id := range ids {
		for _, o := range ops {
			var got [2]string
			for i, url := range []string{sl.URL, hd} {
				c := dial(t, url)
				if id.DN != "" {
					if err := c.Bind(id.DN, Passwords[id.DN]); err != nil {
						t.Fatalf("bind %s: %v", id.DN, err)
					}
				}
				got[i] = o.run(c)
				c.Close()
				if o.undo != nil && got[i] == "0" {
					root := dial(t, url)
					if err := root.Bind(RootDN, hostdirRootPW); err != nil {
						t.Fatal(err)
					}
					if err := o.undo(root); err != nil {
						t.Fatalf("undo %s: %v", o.name, err)
					}
					root.Close()
				}
			}
			if got[0] != got[1] {
				t.Errorf("%s %s:\nslapd:   %s\nhostdir: %s", id.Name, o.name, got[0], got[1])
			} else if testing.Verbose() {
				t.Logf("%s %s: %s", id.Name, o.name, got[0])
			}
		}
	}
}
