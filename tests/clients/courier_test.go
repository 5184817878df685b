package clients

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"hostdir/internal/peers"
)

// courierCase is one authtest run and the lines its output must hold.
// With newPassword set, authtest changes the password (authldap modifies
// userPassword bound as the user).
type courierCase struct {
	name, user, password, newPassword string
	wantExit                          int
	wantLines                         []string
}

var courierCases = []courierCase{
	{"login", "alice@example.com", "secret", "", 0, []string{
		"Authentication succeeded.",
		"Authenticated: alice@example.com",
		"Home Directory: /home/vmail/domains",
		"Maildir: example.com/alice/",
	}},
	{"login crypt", "crypt@example.com", "secret", "", 0, []string{"Maildir: example.com/crypt/"}},
	{"login escaped", "a*b@example.com", "secret", "", 0, []string{"Maildir: example.com/a*b/"}},
	{"login mixed case", "Alice@Example.com", "secret", "", 0, []string{"Home Directory: /home/vmail/domains"}},
	{"lookup only", "bob@example.com", "", "", 0, []string{"Maildir: example.com/bob/"}},
	{"wrong password", "alice@example.com", "wrong", "", 1, []string{"Authentication FAILED"}},
	{"other's password", "bob@example.com", "secret", "", 1, []string{"Authentication FAILED"}},
	{"inactive", "carol@example.com", "secret", "", 1, []string{"Authentication FAILED"}},
	{"delete-marked", "dave@example.com", "secret", "", 1, []string{"Authentication FAILED"}},
	{"alias", "team@example.com", "secret", "", 1, []string{"Authentication FAILED"}},
	{"unknown", "nobody@example.com", "secret", "", 1, []string{"Authentication FAILED: Operation not permitted"}},
	{"wildcard", "*", "secret", "", 1, []string{"Authentication FAILED"}},
	{"second login", "bob@example.com", "bobpass", "", 0, []string{"Maildir: example.com/bob/"}},
	// authldap changes a password by binding as the user and replacing
	// userPassword hashed like the old value, which it must read on the
	// lookup connection. The HOWTO's rules give anonymous only auth on
	// userPassword, so with slapd authtest reports the change as refused
	// and sends no modify; the old password stays valid.
	{"change password", "bob@example.com", "bobpass", "bobnew", 1, []string{"Authentication FAILED: Operation not permitted"}},
	{"old password after change", "bob@example.com", "bobpass", "", 0, []string{"Maildir: example.com/bob/"}},
	{"new password after change", "bob@example.com", "bobnew", "", 1, []string{"Authentication FAILED"}},
}

// TestCourierAuthLDAP runs Courier's authdaemond with authldap configured as
// the HOWTO says (LDAP_AUTHBIND 1) and asks it with authtest.
func TestCourierAuthLDAP(t *testing.T) {
	peers.RequireProgram(t, peers.AuthdaemondPath)
	eachServer(t, func(t *testing.T, s *server) map[string]string {
		c := peers.StartCourier(t, peers.CourierOptions{LDAPURL: strings.TrimSuffix(s.URL, "/")})
		got := map[string]string{}
		for _, tc := range courierCases {
			r, err := c.AuthTest(context.Background(), tc.user, tc.password, tc.newPassword)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			got[tc.name] = normalizeAuthtest(r)
			t.Logf("%s %s: %s", s.Name, tc.name, got[tc.name])
			if r.Exit != tc.wantExit {
				t.Errorf("%s: authtest %s on %s: exit %d, want %d; output:\n%s", tc.name, tc.user, s.Name, r.Exit, tc.wantExit, r.Output)
			}
			for _, l := range tc.wantLines {
				if !strings.Contains(r.Output, l) {
					t.Errorf("%s: authtest %s on %s: output lacks %q:\n%s", tc.name, tc.user, s.Name, l, r.Output)
				}
			}
		}
		return got
	})
}

// normalizeAuthtest is authtest's output with runs of spaces collapsed.
func normalizeAuthtest(r peers.AuthResult) string {
	var lines []string
	for _, l := range strings.Split(r.Output, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	return fmt.Sprintf("%s | exit %d", strings.Join(lines, " | "), r.Exit)
}
