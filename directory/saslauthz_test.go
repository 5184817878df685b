package directory

import (
	"os"
	"regexp"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"hostdir/directory/config"
)

// authzRules sets the authz-regexp rules of the test server, each as
// match and replace.
func authzRules(t testing.TB, rules ...string) serverOpt {
	t.Helper()
	var out []config.AuthzRegexp
	for i := 0; i+1 < len(rules); i += 2 {
		re, err := regexp.Compile("(?i)" + rules[i])
		if err != nil {
			t.Fatal(err)
		}
		re.Longest()
		out = append(out, config.AuthzRegexp{Match: rules[i], Replace: rules[i+1], Regexp: re})
	}
	return func(c *config.Config, o *Options) { c.AuthzRegexps = out }
}

// TestAuthzRegexpExternal maps the peer credentials of this process with
// authz-regexp rules as slapd does, and checks the identity that results:
// Who am I? (slapd's normalized DN), the root DN's powers, modifiersName,
// and the authorization identities allowed.
func TestAuthzRegexpExternal(t *testing.T) {
	ext := peercredDN(uint32(os.Getuid()), uint32(os.Getgid()))
	extRE := `^gidNumber=[0-9]+\+uidNumber=` + itoa(int64(os.Getuid())) + `,cn=peercred,cn=external,cn=auth$`
	const rootNorm = "cn=manager,dc=myhosting,dc=example"
	const userNorm = "mail=user@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example"
	tests := []struct {
		name   string
		rules  []string
		whoami string
		// rootPowers: a modify of testBase is allowed (no access rules:
		// only the root DN writes).
		rootPowers bool
	}{
		{"no rules", nil, "dn:" + ext, false},
		{"to the root DN", []string{extRE, "CN=Manager,DC=myhosting,dc=example"}, "dn:" + rootNorm, true},
		{"first match wins", []string{"cn=peercred", "cn=nobody,dc=myhosting,dc=example", extRE, testRootDN}, "dn:cn=nobody,dc=myhosting,dc=example", false},
		{"submatches", []string{`^gidnumber=([0-9]+)\+uidnumber=([0-9]+),`, "uid=u$2,ou=G$1,dc=x"},
			"dn:uid=u" + itoa(int64(os.Getuid())) + ",ou=g" + itoa(int64(os.Getgid())) + ",dc=x", false},
		{"url one entry", []string{extRE, "ldap:///" + testBase + "??sub?(mail=user@example.com)"}, "dn:" + userNorm, false},
		{"url percent-encoded", []string{extRE, "ldap:///o=hosting,dc=myhosting,dc=example??sub?(mail=user%40example.com)"}, "dn:" + userNorm, false},
		{"url several entries", []string{extRE, "ldap:///" + testBase + "??sub?(objectClass=*)"}, "dn:" + ext, false},
		{"url no entry", []string{extRE, "ldap:///" + testBase + "??sub?(mail=nobody)"}, "dn:" + ext, false},
		{"url without filter", []string{extRE, "ldap:///" + testUser + "??base"}, "dn:" + ext, false},
		{"url with host", []string{extRE, "ldap://localhost/" + testBase + "??sub?(mail=user@example.com)"}, "dn:" + ext, false},
		{"url bad filter", []string{extRE, "ldap:///" + testBase + "??sub?(mail=user"}, "dn:" + ext, false},
		{"url base outside", []string{extRE, "ldap:///dc=elsewhere??sub?(objectClass=*)"}, "dn:" + ext, false},
		{"not a DN", []string{extRE, "not a dn", ".*", testRootDN}, "dn:" + ext, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, authzRules(t, tc.rules...))
			ts.load(t)
			u := serveLDAPI(t, ts)
			c, err := ldap.DialURL(u)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.ExternalBind(); err != nil {
				t.Fatalf("EXTERNAL bind: %v", err)
			}
			w, err := c.WhoAmI(nil)
			if err != nil || w.AuthzID != tc.whoami {
				t.Errorf("whoami = %v %v, want %s", w, err, tc.whoami)
			}
			m := ldap.NewModifyRequest(testBase, nil)
			m.Replace("description", []string{"x"})
			err = c.Modify(m)
			if tc.rootPowers != (err == nil) {
				t.Errorf("modify as %s: %v (root powers %v)", tc.whoami, err, tc.rootPowers)
			}
			if err == nil {
				res, err := search(t, c, testBase, ldap.ScopeBaseObject, "(objectClass=*)", "modifiersName")
				if err != nil || "dn:"+res.Entries[0].GetAttributeValue("modifiersName") != tc.whoami {
					t.Errorf("modifiersName: %v %v", res, err)
				}
			}
		})
	}
}

// TestAuthzRegexpAuthzID checks the authorization identities an
// EXTERNAL bind may ask for once its identity is mapped, with slapd's
// answers.
func TestAuthzRegexpAuthzID(t *testing.T) {
	ext := peercredDN(uint32(os.Getuid()), uint32(os.Getgid()))
	extRE := `^gidNumber=[0-9]+\+uidNumber=` + itoa(int64(os.Getuid())) + `,cn=peercred,cn=external,cn=auth$`
	const fail = "SASL(-14): authorization failure: "
	for _, tc := range []struct {
		name, rootRule string
		authz          string
		code           int
		msg            string
	}{
		{"same as mapped", testRootDN, "dn:" + testRootDN, 0, ""},
		{"authcid itself is mapped too", testRootDN, "dn:" + ext, 0, ""},
		{"root proxies in its database", testRootDN, "dn:cn=anyone,dc=myhosting,dc=example", 0, ""},
		{"root outside its database", testRootDN, "dn:cn=x,dc=elsewhere", 50, fail + "not authorized"},
		{"not root", "cn=nobody,dc=myhosting,dc=example", "dn:" + testRootDN, 50, fail + "not authorized"},
		{"bare DN", testRootDN, testRootDN, 50, fail + "Inappropriate authentication"},
		{"bad DN", testRootDN, "dn:bad", 50, fail + "Invalid syntax"},
		{"empty u:", testRootDN, "u:", 50, fail + "Invalid syntax"},
		{"u: name", "cn=nobody,dc=myhosting,dc=example", "u:root", 50, fail + "not authorized"},
		{"dn: empty is anonymous", testRootDN, "dn:", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, authzRules(t, extRE, tc.rootRule))
			u := serveLDAPI(t, ts)
			code, msg := resultOf(t, ldapiExchange(t, u, rawSASLBindCreds("EXTERNAL", tc.authz)))
			if code != tc.code || msg != tc.msg {
				t.Errorf("authzid %q: %d %q, want %d %q", tc.authz, code, msg, tc.code, tc.msg)
			}
		})
	}
}
