package peers

import (
	"testing"

	"github.com/go-ldap/ldap/v3"
)

const testLDIF = `dn: dc=myhosting,dc=example
objectClass: top
objectClass: domain
dc: myhosting

dn: o=hosting,dc=myhosting,dc=example
objectClass: top
objectClass: organization
o: hosting
`

func TestStartSlapd(t *testing.T) {
	tests := []struct {
		name  string
		opts  SlapdOptions
		ldapi bool
	}{
		{name: "tcp", opts: SlapdOptions{LDIF: testLDIF}},
		{name: "ldapi", opts: SlapdOptions{LDIF: testLDIF, LDAPI: true}, ldapi: true},
		{name: "acl", opts: SlapdOptions{LDIF: testLDIF, DatabaseConfig: "access to * by * read"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := StartSlapd(t, tc.opts)
			urls := []string{s.URL}
			if tc.ldapi {
				if s.LDAPIURL == "" {
					t.Fatal("LDAPIURL empty")
				}
				urls = append(urls, s.LDAPIURL)
			}
			for _, u := range urls {
				c, err := ldap.DialURL(u)
				if err != nil {
					t.Fatalf("dial %s: %v", u, err)
				}
				res, err := c.Search(ldap.NewSearchRequest("o=hosting,dc=myhosting,dc=example",
					ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false, "(o=hosting)", nil, nil))
				c.Close()
				if err != nil || len(res.Entries) != 1 {
					t.Fatalf("search via %s: %v %v", u, res, err)
				}
			}
			c := s.Bind(t)
			if _, err := c.WhoAmI(nil); err != nil {
				t.Fatalf("whoami: %v", err)
			}
			s.Stop()
			if s.Running() {
				t.Fatal("still running after Stop")
			}
			s.Stop() // idempotent
		})
	}
}

func TestFreePort(t *testing.T) {
	seen := map[int]bool{}
	for i := 0; i < 5; i++ {
		p := FreePort(t)
		if p <= 0 || p > 65535 {
			t.Fatalf("port %d", p)
		}
		seen[p] = true
	}
}
