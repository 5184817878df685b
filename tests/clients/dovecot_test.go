package clients

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"hostdir/internal/peers"
)

// dovecotCase is one doveadm run: "auth" (passdb, auth_bind) or "user"
// (userdb lookup).
type dovecotCase struct {
	name, kind, user, password string
	wantExit                   int
	wantLines                  []string
}

var dovecotCases = []dovecotCase{
	{"auth ok", "auth", "alice@example.com", "secret", 0, []string{"passdb: alice@example.com auth succeeded", "user=alice@example.com"}},
	{"auth crypt", "auth", "crypt@example.com", "secret", 0, []string{"auth succeeded"}},
	{"auth escaped", "auth", "a*b@example.com", "secret", 0, []string{"auth succeeded", "user=a*b@example.com"}},
	{"auth case", "auth", "ALICE@example.com", "secret", 0, []string{"auth succeeded", "user=alice@example.com"}},
	{"auth wrong password", "auth", "alice@example.com", "wrong", 77, []string{"auth failed"}},
	{"auth inactive", "auth", "carol@example.com", "secret", 77, []string{"auth failed"}},
	{"auth delete-marked", "auth", "dave@example.com", "secret", 77, []string{"auth failed"}},
	{"auth unknown", "auth", "nobody@example.com", "secret", 77, []string{"auth failed"}},
	{"auth wildcard", "auth", "*@example.com", "secret", 77, []string{"auth failed"}},
	{"auth alias", "auth", "team@example.com", "secret", 77, []string{"auth failed"}},
	{"auth bob", "auth", "bob@example.com", "bobpass", 0, []string{"auth succeeded"}},
	{"user ok", "user", "alice@example.com", "", 0, []string{"home\t/home/vmail/domains/example.com/alice/\n", "mail\tmaildir:~/\n", "uid\t"}},
	{"user bob", "user", "bob@example.com", "", 0, []string{"home\t/home/vmail/domains/example.com/bob/\n"}},
	{"user inactive", "user", "carol@example.com", "", 67, []string{"user carol@example.com doesn't exist"}},
	{"user delete-marked", "user", "dave@example.com", "", 67, []string{"doesn't exist"}},
	{"user unknown", "user", "nobody@example.com", "", 67, []string{"doesn't exist"}},
	// A '*' makes doveadm iterate the userdb (iterate_filter) and match.
	{"user iterate domain", "user", "*@example.org", "", 0, []string{"erin@example.org\n", "postbox@example.org\n"}},
	{"user iterate escaped", "user", "a*b@example.com", "", 0, []string{"a*b@example.com\n"}},
}

// run performs one dovecotCase.
func (tc dovecotCase) run(ctx context.Context, d *peers.Dovecot) (peers.DoveadmResult, error) {
	if tc.kind == "user" {
		return d.User(ctx, tc.user)
	}
	return d.AuthTest(ctx, tc.user, tc.password)
}

// check reports how r differs from the case's expectation ("" if not).
func (tc dovecotCase) check(r peers.DoveadmResult) string {
	var bad []string
	if r.Exit != tc.wantExit {
		bad = append(bad, fmt.Sprintf("exit %d, want %d", r.Exit, tc.wantExit))
	}
	for _, l := range tc.wantLines {
		if !strings.Contains(r.Output, l) {
			bad = append(bad, fmt.Sprintf("no %q", l))
		}
	}
	if bad == nil {
		return ""
	}
	return strings.Join(bad, "; ") + "; output:\n" + r.Output
}

// TestDovecotLDAP runs Dovecot's passdb (auth_bind = yes) and userdb ldap
// drivers with doveadm, one request at a time and then many concurrently
// (Dovecot keeps several requests in flight on one LDAP connection).
func TestDovecotLDAP(t *testing.T) {
	eachServer(t, func(t *testing.T, s *server) map[string]string {
		d := peers.StartDovecot(t, peers.DovecotOptions{LDAPURL: strings.TrimSuffix(s.URL, "/")})
		ctx := context.Background()
		got := map[string]string{}
		for _, tc := range dovecotCases {
			r, err := tc.run(ctx, d)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			got[tc.name] = fmt.Sprintf("exit %d: %s", r.Exit, sortedLines(r.Output))
			if msg := tc.check(r); msg != "" {
				t.Errorf("%s on %s: %s", tc.name, s.Name, msg)
			}
		}

		// Concurrent: every case three times at once.
		var wg sync.WaitGroup
		errs := make(chan string, 3*len(dovecotCases))
		for i := 0; i < 3; i++ {
			for _, tc := range dovecotCases {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := tc.run(ctx, d)
					if err != nil {
						errs <- fmt.Sprintf("%s: %v", tc.name, err)
						return
					}
					if msg := tc.check(r); msg != "" {
						errs <- fmt.Sprintf("%s (concurrent): %s", tc.name, msg)
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Errorf("on %s: %s", s.Name, e)
		}
		return got
	})
}

// sortedLines is text's non-empty lines, sorted and joined with " | ": the
// order of an iteration is the server's entry order, which clients do not
// depend on.
func sortedLines(text string) string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, " | ")
}
