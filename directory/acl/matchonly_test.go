package acl

import "testing"

// TestMatchOnly checks that the match-only form of a dn.regex pattern
// accepts exactly the DNs the pattern does.
func TestMatchOnly(t *testing.T) {
	patterns := []string{
		".*,jvd=([^,]+),o=hosting,dc=myhosting,dc=example",
		".*jvd=([^,]+),o=hosting,dc=myhosting,dc=example",
		".+,dc=example",
		"^.*,dc=example$",
		"mail=.*",
		".*",
		"(.*),dc=example",
	}
	dns := []string{
		"",
		"dc=example",
		"o=hosting,dc=myhosting,dc=example",
		"jvd=example.com,o=hosting,dc=myhosting,dc=example",
		"mail=alice@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example",
		"MAIL=X,JVD=Y,O=HOSTING,DC=MYHOSTING,DC=EXAMPLE",
		"cn=a\nb,dc=example",
		"dc=example,uid=joe",
	}
	for _, p := range patterns {
		re, err := compileRegex(p)
		if err != nil {
			t.Fatal(err)
		}
		m := matchOnly(re)
		for _, dn := range dns {
			if got, want := m.MatchString(dn), re.MatchString(dn); got != want {
				t.Errorf("%q (as %q) on %q: %v, want %v", p, m, dn, got, want)
			}
		}
	}
}
