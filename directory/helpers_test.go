package directory

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"hostdir/directory/config"
)

const (
	testSuffix = "dc=myhosting,dc=example"
	testRootDN = "cn=Manager,dc=myhosting,dc=example"
	testRootPW = "secret"
	testBase   = "o=hosting,dc=myhosting,dc=example"
	testDomain = "jvd=example.com,o=hosting,dc=myhosting,dc=example"
	testUser   = "mail=user@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example"
	testUserPW = "userpw"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is a running Server on a loopback port with the default
// configuration (HOWTO schema, suffix dc=myhosting,dc=example) and a
// fresh store in a temporary directory, without access rules.
type testServer struct {
	srv  *Server
	cfg  *config.Config
	addr string
	url  string
	logs *syncBuffer
}

type serverOpt func(cfg *config.Config, o *Options)

func testConfig(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.LoadDefault()
	if err != nil {
		t.Fatalf("LoadDefault: %v", err)
	}
	cfg.Access = nil
	for _, d := range cfg.Databases {
		d.Access = nil
		d.Directory = t.TempDir()
		d.RootPW = testRootPW
		d.DBNoSync = true
	}
	return cfg
}

func newTestServer(t testing.TB, opts ...serverOpt) *testServer {
	t.Helper()
	cfg := testConfig(t)
	logs := &syncBuffer{}
	lv := config.LogStats
	o := Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), LogLevel: &lv}
	for _, f := range opts {
		f(cfg, &o)
	}
	srv, err := Open(cfg, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := srv.EnsureSuffixes(context.Background()); err != nil {
		t.Fatalf("EnsureSuffixes: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{srv: srv, cfg: cfg, addr: l.Addr().String(), url: "ldap://" + l.Addr().String(), logs: logs}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
		if t.Failed() && testing.Verbose() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return ts
}

// dial opens an anonymous connection.
func (ts *testServer) dial(t testing.TB) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(ts.url)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.SetTimeout(10 * time.Second)
	t.Cleanup(func() { c.Close() })
	return c
}

// bind opens a connection bound as dn.
func (ts *testServer) bind(t testing.TB, dn, pw string) *ldap.Conn {
	t.Helper()
	c := ts.dial(t)
	if err := c.Bind(dn, pw); err != nil {
		t.Fatalf("bind %s: %v", dn, err)
	}
	return c
}

func (ts *testServer) root(t testing.TB) *ldap.Conn {
	return ts.bind(t, testRootDN, testRootPW)
}

// fixture is the Jamm tree of the HOWTO with one domain.
var fixture = []struct {
	dn    string
	attrs map[string][]string
	order []string
}{
	{testBase, nil, []string{"objectClass: top", "objectClass: organization", "o: hosting"}},
	{testDomain, nil, []string{"objectClass: top", "objectClass: JammVirtualDomain", "jvd: example.com",
		"accountActive: TRUE", "lastChange: 1", "delete: FALSE", "editAccounts: TRUE", "editPostmasters: TRUE",
		"postfixTransport: virtual:"}},
	{"cn=postmaster," + testDomain, nil, []string{"objectClass: top", "objectClass: JammMailAlias", "objectClass: JammPostmaster",
		"cn: postmaster", "mail: postmaster@example.com", "maildrop: postmaster", "accountActive: TRUE", "lastChange: 1",
		"roleOccupant: cn=postmaster," + testDomain}},
	{testUser, nil, []string{"objectClass: top", "objectClass: JammMailAccount", "mail: user@example.com",
		"homeDirectory: /home/vmail/domains", "mailbox: example.com/user/", "accountActive: TRUE", "lastChange: 1",
		"delete: FALSE", "userPassword: " + testUserPW}},
	{"mail=abuse@example.com," + testDomain, nil, []string{"objectClass: top", "objectClass: JammMailAlias",
		"mail: abuse@example.com", "maildrop: postmaster", "accountActive: TRUE", "lastChange: 1"}},
}

// addRequest builds an AddRequest from "type: value" lines.
func addRequest(dn string, lines []string) *ldap.AddRequest {
	r := ldap.NewAddRequest(dn, nil)
	var types []string
	vals := map[string][]string{}
	for _, l := range lines {
		t, v, _ := strings.Cut(l, ": ")
		if _, ok := vals[t]; !ok {
			types = append(types, t)
		}
		vals[t] = append(vals[t], v)
	}
	for _, t := range types {
		r.Attribute(t, vals[t])
	}
	return r
}

// load adds the fixture through LDAP as the root DN.
func (ts *testServer) load(t testing.TB) {
	t.Helper()
	c := ts.dial(t)
	if ts.srv.tls != nil {
		if err := c.StartTLS(&tls.Config{InsecureSkipVerify: true}); err != nil {
			t.Fatalf("StartTLS: %v", err)
		}
	}
	if err := c.Bind(testRootDN, testRootPW); err != nil {
		t.Fatal(err)
	}
	for _, f := range fixture {
		if err := c.Add(addRequest(f.dn, f.order)); err != nil {
			t.Fatalf("add %s: %v", f.dn, err)
		}
	}
}

// code returns the LDAP result code of err (0 for nil).
func code(err error) int {
	if err == nil {
		return 0
	}
	var le *ldap.Error
	if errors.As(err, &le) {
		return int(le.ResultCode)
	}
	return -1
}

// diag returns the diagnostic message of err.
func diag(err error) string {
	var le *ldap.Error
	if errors.As(err, &le) && le.Err != nil {
		return le.Err.Error()
	}
	return ""
}
