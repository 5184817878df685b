package admin

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"hostdir/internal/peers"
)

// testBase is the HOWTO's hosting base.
const testBase = "o=hosting,dc=myhosting,dc=example"

// Passwords of testdata/acl-tree.ldif.
const (
	alicePW = "alicepw"
	bobPW   = "bobpw"
	davePW  = "davepw"
	carolPW = "carolpw"
	pmComPW = "pmcompw"
	pmOrgPW = "pmorgpw"
)

// hostdirBuild is the hostdir program TestMain builds once (read-only
// afterwards).
var hostdirBuild peers.HostdirBuild

func TestMain(m *testing.M) { os.Exit(peers.MainWithHostdir(m, "hostdir-admin-bin-", &hostdirBuild)) }

// directory is a running LDAP server with the HOWTO's rules and the ACL
// tree.
type directory struct {
	name, url      string
	rootDN, rootPW string
}

func repoFile(t testing.TB, parts ...string) string {
	return filepath.Join(append([]string{peers.RepoRoot(t)}, parts...)...)
}

// slapdOptions are the HOWTO's directory with its slapd.conf rules and
// the ACL tree, with the indexes the admin's searches use.
func slapdOptions(t testing.TB) peers.SlapdOptions {
	o := peers.HowtoACLOptions(t)
	o.Indexes = []string{"objectClass pres,eq", "mail,cn eq,sub", "jvd eq", "roleOccupant eq"}
	return o
}

// startDirectory starts Debian's slapd with the HOWTO's slapd.conf rules,
// or hostdir serving the same configuration (see peers.DirectoryKinds).
func startDirectory(t *testing.T, kind string) *directory {
	t.Helper()
	d := peers.StartDirectory(t, kind, slapdOptions(t), hostdirBuild)
	return &directory{name: d.Kind, url: d.URL, rootDN: d.RootDN, rootPW: d.RootPW}
}

// eachDirectory runs fn against a fresh directory of every kind.
func eachDirectory(t *testing.T, fn func(t *testing.T, d *directory)) {
	for _, k := range peers.DirectoryKinds {
		t.Run(k, func(t *testing.T) { fn(t, startDirectory(t, k)) })
	}
}

// root returns a connection bound as the rootdn.
func (d *directory) root(t testing.TB) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(d.url)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Bind(d.rootDN, d.rootPW); err != nil {
		t.Fatalf("bind rootdn: %v", err)
	}
	return c
}

// canBind reports whether dn binds with pw.
func (d *directory) canBind(t testing.TB, dn, pw string) bool {
	t.Helper()
	c, err := ldap.DialURL(d.url)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	return c.Bind(dn, pw) == nil
}

// entry reads one entry as the rootdn (nil when missing).
func (d *directory) entry(t testing.TB, dn string) *ldap.Entry {
	t.Helper()
	c := d.root(t)
	res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"*"}, nil))
	if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
		return nil
	}
	if err != nil {
		t.Fatalf("read %s: %v", dn, err)
	}
	return res.Entries[0]
}

func (d *directory) attr(t testing.TB, dn, name string) []string {
	t.Helper()
	e := d.entry(t, dn)
	if e == nil {
		t.Fatalf("%s: no such entry", dn)
	}
	return e.GetEqualFoldAttributeValues(name)
}

func (d *directory) modify(t testing.TB, dn string, fn func(m *ldap.ModifyRequest)) {
	t.Helper()
	m := ldap.NewModifyRequest(dn, nil)
	fn(m)
	if err := d.root(t).Modify(m); err != nil {
		t.Fatalf("modify %s: %v", dn, err)
	}
}

func mailDN(addr string) string {
	_, dom, _ := strings.Cut(addr, "@")
	return MailDN(testBase, dom, addr)
}

// clock is a settable clock for the session timeouts.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// app is the web application under test, on an httptest server.
type app struct {
	srv   *Server
	ts    *httptest.Server
	clock *clock
	logs  *peers.SyncBuffer
}

func newApp(t *testing.T, d *directory, mod func(c *Config)) *app {
	t.Helper()
	a := &app{clock: &clock{t: time.Unix(1750000000, 0)}, logs: &peers.SyncBuffer{}}
	cfg := Config{
		LDAPURL: d.url, Base: testBase, RootDN: d.rootDN,
		Logger: slog.New(slog.NewTextHandler(a.logs, nil)), Now: a.clock.now,
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	a.srv = srv
	a.ts = httptest.NewServer(srv)
	t.Cleanup(func() { a.ts.Close(); srv.Close() })
	return a
}

// browser is an HTTP client with cookies that follows redirects and
// remembers the last CSRF token it saw.
type browser struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
	last *http.Response
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (a *app) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: a.ts.URL, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

func (b *browser) do(req *http.Request) (int, string) {
	b.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.last = resp
	if m := csrfRE.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(body)
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

// post submits a form with the current CSRF token (unless vals has one).
func (b *browser) post(path string, vals url.Values) (int, string) {
	b.t.Helper()
	if vals == nil {
		vals = url.Values{}
	}
	if _, ok := vals["csrf"]; !ok {
		vals.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// login logs in and returns the status and page of the result.
func (b *browser) login(name, pw string) (int, string) {
	b.t.Helper()
	b.get("/login")
	return b.post("/login", url.Values{"login": {name}, "password": {pw}})
}

// loggedIn returns a browser logged in as name; the test fails otherwise.
func (a *app) loggedIn(t *testing.T, name, pw string) *browser {
	t.Helper()
	b := a.browser(t)
	if st, body := b.login(name, pw); st != http.StatusOK || strings.Contains(body, `action="/login"`) {
		t.Fatalf("login %s: status %d\n%s", name, st, body)
	}
	return b
}

// expect checks a response's status and that the body contains each
// string.
func expect(t *testing.T, what string, status int, body string, wantStatus int, contains ...string) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("%s: status %d, want %d\n%s", what, status, wantStatus, excerpt(body))
		return
	}
	for _, c := range contains {
		if !strings.Contains(body, c) {
			t.Errorf("%s: page lacks %q\n%s", what, c, excerpt(body))
		}
	}
}

// excerpt is the main part of a page, for failure messages.
func excerpt(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if len(body) > 3000 {
		body = body[:3000] + "..."
	}
	return body
}
