package clients

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hostdir/internal/peers"
)

// base is the HOWTO's search base of the hosting tree.
const base = peers.DefaultJammBase

// server is a running directory loaded with testdata/clients-tree.ldif and
// the HOWTO's access rules.
type server struct {
	// Name is "slapd" or "hostdir".
	Name string
	// URL is ldap://127.0.0.1:PORT/.
	URL string
	// Port is the TCP port on 127.0.0.1.
	Port int
	// RootDN and RootPW are the HOWTO's rootdn and its password.
	RootDN, RootPW string
}

// starter starts one kind of directory server.
type starter struct {
	name  string
	start func(t *testing.T) *server
}

// starters are the servers every client test runs against, slapd first:
// slapd proves the harness, hostdir must then give the same answers.
func starters() []starter {
	return []starter{{"slapd", startSlapd}, {"hostdir", startHostdir}}
}

// treeLDIF returns testdata/clients-tree.ldif.
func treeLDIF(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(peers.RepoRoot(t), "testdata", "clients-tree.ldif"))
	if err != nil {
		t.Fatalf("read tree: %v", err)
	}
	return string(b)
}

// howtoACL returns the access rules of testdata/howto-slapd-2.5.conf (the
// HOWTO's rules as OpenLDAP 2.5 must spell them).
func howtoACL(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(peers.RepoRoot(t), "testdata", "howto-slapd-2.5.conf"))
	if err != nil {
		t.Fatalf("read slapd.conf: %v", err)
	}
	text := string(b)
	i := strings.Index(text, "\naccess to")
	if i < 0 {
		t.Fatal("howto-slapd-2.5.conf has no access rules")
	}
	return text[i+1:]
}

// jammSchema is the repository's jamm.schema.
func jammSchema(t testing.TB) string {
	return filepath.Join(peers.RepoRoot(t), "schema", "builtin", "jamm.schema")
}

// indexes are the HOWTO's indexes plus jvd, as a site would add.
var indexes = []string{"objectClass pres,eq", "mail,cn eq,sub", "jvd eq"}

// startSlapd starts Debian's slapd with the HOWTO's configuration and tree.
func startSlapd(t *testing.T) *server {
	t.Helper()
	s := peers.StartSlapd(t, peers.SlapdOptions{
		ExtraSchemas:   []string{jammSchema(t)},
		Indexes:        indexes,
		DatabaseConfig: howtoACL(t),
		LDIF:           treeLDIF(t),
	})
	return &server{Name: "slapd", URL: s.URL, Port: s.Port, RootDN: s.RootDN, RootPW: s.RootPW}
}

// eachServer runs fn as a subtest against every server in turn; fn
// returns its observations keyed by step. When both servers ran, hostdir's
// observations must equal slapd's: every difference is reported as an
// error naming the step and both answers.
func eachServer[T comparable](t *testing.T, fn func(t *testing.T, s *server) map[string]T) {
	t.Helper()
	results := map[string]map[string]T{}
	for _, st := range starters() {
		t.Run(st.name, func(t *testing.T) {
			s := st.start(t)
			results[st.name] = fn(t, s)
		})
	}
	compare(t, results["slapd"], results["hostdir"])
}

// compare reports every key whose hostdir observation differs from slapd's.
func compare[T comparable](t *testing.T, want, got map[string]T) {
	t.Helper()
	if want == nil || got == nil {
		return
	}
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("hostdir differs from slapd: %s: no observation (slapd: %v)", k, w)
		case g != w:
			t.Errorf("hostdir differs from slapd: %s:\n  slapd:   %v\n  hostdir: %v", k, w, g)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("hostdir differs from slapd: %s: only hostdir observed %v", k, g)
		}
	}
}
