package clients

import (
	"context"
	"strings"
	"testing"

	"hostdir/internal/peers"
)

// postmapCase is one `postmap -q` lookup and what the HOWTO's maps must
// answer (as slapd does).
type postmapCase struct {
	name, table, key string
	want             string // expected stdout; "" with exit 1: not found
}

var postmapCases = []postmapCase{
	{"transport active domain", "transport", "example.com", "virtual:"},
	{"transport second domain", "transport", "example.org", "virtual:"},
	{"transport inactive domain", "transport", "inactive.example", ""},
	{"transport deleted domain", "transport", "deleted.example", ""},
	{"transport unknown domain", "transport", "nowhere.example", ""},
	{"transport case-insensitive", "transport", "EXAMPLE.COM", "virtual:"},
	{"account mailbox", "accounts", "alice@example.com", "example.com/alice/"},
	{"account mailbox mixed case", "accounts", "Alice@Example.COM", "example.com/alice/"},
	{"account inactive", "accounts", "carol@example.com", ""},
	{"account delete-marked", "accounts", "dave@example.com", ""},
	{"account unknown", "accounts", "nobody@example.com", ""},
	{"account needing RFC 4515 escaping", "accounts", "a*b@example.com", "example.com/a*b/"},
	{"escaped star is no wildcard", "accounts", "*@example.com", ""},
	{"escaped parenthesis", "accounts", "a)(mail=*@example.com", ""},
	{"escaped backslash", "accounts", `a\2ab@example.com`, ""},
	{"accountsmap self alias", "accountsmap", "alice@example.com", "alice@example.com"},
	{"accountsmap inactive", "accountsmap", "carol@example.com", ""},
	{"accountsmap escaped", "accountsmap", "a*b@example.com", "a*b@example.com"},
	{"alias two maildrops", "aliases", "team@example.com", "alice@example.com,bob@example.com"},
	{"alias postmaster", "aliases", "postmaster@example.com", "postmaster"},
	{"alias abuse", "aliases", "abuse@example.com", "postmaster"},
	{"alias inactive", "aliases", "oldalias@example.com", ""},
	{"alias is no account", "accounts", "team@example.com", ""},
	{"account is no alias", "aliases", "alice@example.com", ""},
	{"catch-all", "aliases", "@example.org", "postbox@example.org"},
	{"no catch-all", "aliases", "@example.com", ""},
	{"catch-all is not a wildcard", "aliases", "someone@example.org", ""},
	{"alias unknown", "aliases", "nobody@example.com", ""},
	{"account in inactive domain", "accounts", "x@inactive.example", "inactive.example/x/"},
}

// TestPostmapHowtoMaps runs postmap with the HOWTO's four ldap: tables.
func TestPostmapHowtoMaps(t *testing.T) {
	eachServer(t, func(t *testing.T, s *server) map[string]string {
		pm := peers.NewPostmap(t, s.URL, peers.HowtoLDAPTables(base))
		got := map[string]string{}
		for _, tc := range postmapCases {
			r, err := pm.Query(context.Background(), tc.table, tc.key)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			got[tc.name] = r.String()
			wantExit := 0
			if tc.want == "" {
				wantExit = 1
			}
			if r.Exit != wantExit || r.Stdout != tc.want || r.Stderr != "" {
				t.Errorf("%s: postmap -q %q %s on %s: exit %d, stdout %q, stderr %q; want exit %d, stdout %q, no stderr",
					tc.name, tc.key, tc.table, s.Name, r.Exit, r.Stdout, r.Stderr, wantExit, tc.want)
			}
		}
		return got
	})
}

// TestPostmapServerErrors checks that a server error on the search is a
// query error (Postfix defers the mail) and that a base that exists but
// matches nothing is a clean "not found".
func TestPostmapServerErrors(t *testing.T) {
	tables := []peers.LDAPTable{
		{Name: "nobase", SearchBase: "o=missing,dc=myhosting,dc=example", QueryFilter: "(mail=%s)", ResultAttribute: "mail"},
		{Name: "outside", SearchBase: "dc=elsewhere,dc=example", QueryFilter: "(mail=%s)", ResultAttribute: "mail"},
		{Name: "sizelimit", SearchBase: base, QueryFilter: "(|(mail=%s)(objectClass=JammMailAccount))", ResultAttribute: "mail",
			Extra: []string{"size_limit = 2"}},
		{Name: "emptybase", SearchBase: "jvd=inactive.example," + base, Scope: "one", QueryFilter: "(mail=%s)", ResultAttribute: "mail"},
		{Name: "basescope", SearchBase: "mail=alice@example.com,jvd=example.com," + base, Scope: "base",
			QueryFilter: "(mail=%s)", ResultAttribute: "mailbox"},
	}
	cases := []struct {
		table, key string
		wantExit   int
		wantTemp   bool
		want       string
	}{
		{"nobase", "alice@example.com", 1, true, ""},
		{"outside", "alice@example.com", 1, true, ""},
		{"sizelimit", "alice@example.com", 1, true, ""},
		{"emptybase", "alice@example.com", 1, false, ""},
		{"basescope", "alice@example.com", 0, false, "example.com/alice/"},
		{"basescope", "bob@example.com", 1, false, ""},
	}
	eachServer(t, func(t *testing.T, s *server) map[string]string {
		pm := peers.NewPostmap(t, s.URL, tables)
		got := map[string]string{}
		for _, tc := range cases {
			r, err := pm.Query(context.Background(), tc.table, tc.key)
			if err != nil {
				t.Fatalf("%s: %v", tc.table, err)
			}
			// The warning names the result code and the libldap text for
			// it: hostdir must cause the same one.
			got[tc.table+" "+tc.key] = r.String() + " " + strings.ReplaceAll(strings.TrimSpace(r.Stderr), pm.Dir, "DIR")
			if r.Exit != tc.wantExit || r.TempFail() != tc.wantTemp || r.Stdout != tc.want {
				t.Errorf("%s %q on %s: %v, stderr %q; want exit %d tempfail %v stdout %q",
					tc.table, tc.key, s.Name, r, strings.TrimSpace(r.Stderr), tc.wantExit, tc.wantTemp, tc.want)
			}
			t.Logf("%s %s %q: %v %s", s.Name, tc.table, tc.key, r, strings.TrimSpace(r.Stderr))
		}
		return got
	})
}
