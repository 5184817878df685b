package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"hostdir/directory"
	"hostdir/directory/bootstrap"
	"hostdir/directory/config"
	"hostdir/internal/peers"
)

func TestStoreFileNameShared(t *testing.T) {
	if bootstrap.DBFile != directory.StoreFileName {
		t.Errorf("bootstrap.DBFile %q != directory.StoreFileName %q: import/export and serve would use different files",
			bootstrap.DBFile, directory.StoreFileName)
	}
}

func TestParseServeArgs(t *testing.T) {
	tests := []struct {
		args   []string
		listen []string
		file   string
		err    string
	}{
		{args: nil},
		{args: []string{"-f", "x.conf", "-h", "ldap:/// ldapi:///"}, file: "x.conf", listen: []string{"ldap:///", "ldapi:///"}},
		{args: []string{"--config", "y.conf", "--listen", "ldap://127.0.0.1:1/", "--listen", "ldaps:///"}, file: "y.conf", listen: []string{"ldap://127.0.0.1:1/", "ldaps:///"}},
		{args: []string{"-d", "-1", "-u", "nobody", "-g", "nogroup", "-l", "LOCAL4", "-4", "-n", "slapd", "-o", "x=y", "-s", "0"}},
		{args: []string{"-F", "/etc/ldap/slapd.d"}, err: "cn=config"},
		{args: []string{"-r", "/chroot"}, err: "chroot is not supported"},
		{args: []string{"-T", "cat"}, err: "hostdir export (slapcat)"},
		{args: []string{"-z"}, err: "flag provided but not defined"},
		{args: []string{"x"}, err: `unexpected argument "x"`},
	}
	for _, tc := range tests {
		o, err := parseServeArgs(tc.args)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: err %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if o.file != tc.file || strings.Join(o.listen, " ") != strings.Join(tc.listen, " ") {
			t.Errorf("%v: file %q listen %q", tc.args, o.file, o.listen)
		}
	}
}

func TestParseLogLevel(t *testing.T) {
	tests := []struct {
		args []string
		want config.LogLevel
		err  bool
	}{
		{[]string{"0"}, 0, false},
		{[]string{"256"}, config.LogStats, false},
		{[]string{"stats"}, config.LogStats, false},
		{[]string{"Stats,ACL"}, config.LogStats | config.LogACL, false},
		{[]string{"stats", "conns"}, config.LogStats | config.LogConns, false},
		{[]string{"0x100"}, config.LogStats, false},
		{[]string{"-1"}, config.LogAny, false},
		{[]string{"any"}, config.LogAny, false},
		{[]string{"none"}, config.LogNone, false},
		{[]string{"bogus"}, 0, true},
		{[]string{"-2"}, 0, true},
		{[]string{"99999999999"}, 0, true},
	}
	for _, tc := range tests {
		got, err := parseLogLevel(tc.args)
		if (err != nil) != tc.err || !tc.err && got != tc.want {
			t.Errorf("parseLogLevel(%q) = %d, %v; want %d", tc.args, got, err, tc.want)
		}
	}
}

func TestListenerURL(t *testing.T) {
	tests := []struct {
		scheme string
		addr   net.Addr
		want   string
	}{
		{"ldap", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3389}, "ldap://127.0.0.1:3389/"},
		{"ldaps", &net.TCPAddr{IP: net.ParseIP("::1"), Port: 636}, "ldaps://[::1]:636/"},
		{"ldapi", &net.UnixAddr{Name: "/run/hostdir/ldapi", Net: "unix"}, "ldapi://%2Frun%2Fhostdir%2Fldapi/"},
	}
	for _, tc := range tests {
		if got := listenerURL(tc.scheme, tc.addr); got != tc.want {
			t.Errorf("listenerURL(%s, %v) = %q, want %q", tc.scheme, tc.addr, got, tc.want)
		}
	}
}

func TestLineHandler(t *testing.T) {
	var b bytes.Buffer
	l := slog.New(&lineHandler{w: &b}).With("k", "v")
	l.Info("conn=1000 op=0 UNBIND")
	l.Warn("accept error", "n", 3)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], "Z conn=1000 op=0 UNBIND k=v") || !strings.HasSuffix(lines[1], "Z WARN accept error k=v n=3") {
		t.Errorf("lines:\n%s", b.String())
	}
}

// TestServeInProcess runs Serve on the default configuration until its
// context is cancelled.
func TestServeInProcess(t *testing.T) {
	data := t.TempDir()
	port := peers.FreePort(t)
	url := fmt.Sprintf("ldap://127.0.0.1:%d/", port)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out peers.SyncBuffer
	done := make(chan int, 1)
	go func() { done <- Serve(ctx, []string{"--data", data, "-h", url, "-d", "0"}, &out, &out) }()
	// The listener is open before the first start's work is done; the
	// banner's last line says the server is ready.
	for i := 0; i < 500 && !strings.Contains(out.String(), "hostdir: try: "); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	conn, err := ldap.DialURL(url)
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, out.String())
	}
	pw := ""
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "hostdir: rootdn password (shown once): "); ok {
			pw = v
		}
	}
	if err := conn.Bind("cn=Manager,dc=myhosting,dc=example", pw); err != nil {
		t.Errorf("bind with the generated password %q: %v\n%s", pw, err, out.String())
	}
	conn.Close()
	stopServe(t, cancel, done, &out, 15*time.Second)
	if !strings.HasSuffix(out.String(), "hostdir: shutting down\nhostdir: stopped\n") {
		t.Errorf("output:\n%s", out.String())
	}
	// A second server on the data of a running one gives up clearly.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	var out2 peers.SyncBuffer
	go func() { done <- Serve(ctx2, []string{"--data", data, "-h", url, "-d", "0"}, &out2, &out2) }()
	for i := 0; i < 500 && !strings.Contains(out2.String(), "hostdir: try: "); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	var out3 peers.SyncBuffer
	code := Serve(context.Background(), []string{"--data", data, "-h", fmt.Sprintf("ldap://127.0.0.1:%d/", peers.FreePort(t)), "-d", "0"}, &out3, &out3)
	if code != 1 || !strings.Contains(out3.String(), "database is in use by another process") {
		t.Errorf("second server on the same data: exit %d:\n%s", code, out3.String())
	}
	cancel2()
	<-done
}

func TestParseServeAdminArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		err  string
	}{
		{"loopback HTTP", []string{"--admin-listen", "127.0.0.1:8080"}, ""},
		{"localhost HTTP", []string{"--admin-listen", "localhost:8080", "--admin-base", "o=hosting,dc=x"}, ""},
		{"all options", []string{"--admin-listen", "[::1]:8080", "--admin-mailbox-base", "/home/vmail/domains",
			"--admin-home-directory", "/srv/mail", "--admin-password-hash", "exop"}, ""},
		{"HTTPS anywhere", []string{"--admin-listen", "0.0.0.0:8443", "--admin-tls"}, ""},
		{"plain HTTP on all addresses", []string{"--admin-listen", "0.0.0.0:8080"}, "clear"},
		{"plain HTTP on a public address", []string{"--admin-listen", "192.0.2.1:8080"}, "--admin-tls"},
		{"no port", []string{"--admin-listen", "127.0.0.1"}, "missing port"},
		{"base without listen", []string{"--admin-base", "o=hosting,dc=x"}, "need --admin-listen"},
		{"tls without listen", []string{"--admin-tls"}, "need --admin-listen"},
		{"mailbox base without listen", []string{"--admin-mailbox-base", "/m"}, "need --admin-listen"},
		{"trust proxy without listen", []string{"--admin-trust-proxy"}, "need --admin-listen"},
		{"behind a proxy", []string{"--admin-listen", "127.0.0.1:8080", "--admin-trust-proxy"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseServeArgs(tc.args)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("err %v, want %q", err, tc.err)
			}
		})
	}
}

func TestNewWebAdmin(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeTestCert(t, dir)
	def, err := config.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	conf := func(t *testing.T, extra string) *config.Config {
		t.Helper()
		text := strings.Replace(config.Default(), "database", extra+"\ndatabase", 1)
		// bare schema names only resolve in LoadDefault: name the files
		for _, s := range []string{"core", "cosine", "nis", "inetorgperson", "jamm"} {
			text = strings.Replace(text, "include         "+s+".schema\n",
				"include "+repoFile(t, "schema/builtin/"+s+".schema")+"\n", 1)
		}
		c, err := config.Parse("test.conf", strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name     string
		cfg      *config.Config
		opts     adminServeOptions
		base     string
		rootDN   string
		hash     string
		home     string
		https    bool
		err      string
		withLeaf bool
	}{
		{name: "defaults", cfg: def, opts: adminServeOptions{listen: "127.0.0.1:0"},
			base: "o=hosting,dc=myhosting,dc=example", rootDN: "cn=Manager,dc=myhosting,dc=example", hash: "{SSHA}"},
		{name: "options", cfg: def, opts: adminServeOptions{listen: "127.0.0.1:0", base: "O=Hosting, DC=MyHosting, DC=Example",
			mailboxBase: "/srv/mail", passwordHash: "exop"},
			base: "o=Hosting,dc=MyHosting,dc=Example", rootDN: "cn=Manager,dc=myhosting,dc=example", hash: "exop", home: "/srv/mail"},
		{name: "home directory", cfg: def, opts: adminServeOptions{listen: "127.0.0.1:0", mailboxBase: "/srv/mail", homeDirectory: "/srv/home", trustProxy: true},
			base: "o=hosting,dc=myhosting,dc=example", rootDN: "cn=Manager,dc=myhosting,dc=example", hash: "{SSHA}", home: "/srv/home"},
		{name: "config's password-hash", cfg: conf(t, "password-hash {SSHA512}"), opts: adminServeOptions{listen: "127.0.0.1:0"},
			base: "o=hosting,dc=myhosting,dc=example", rootDN: "cn=Manager,dc=myhosting,dc=example", hash: "{SSHA512}"},
		{name: "cleartext password-hash is not followed", cfg: conf(t, "password-hash {CLEARTEXT}"), opts: adminServeOptions{listen: "127.0.0.1:0"},
			base: "o=hosting,dc=myhosting,dc=example", rootDN: "cn=Manager,dc=myhosting,dc=example", hash: "{SSHA}"},
		{name: "HTTPS with the config's certificate", cfg: conf(t, "TLSCertificateFile "+cert+"\nTLSCertificateKeyFile "+key),
			opts: adminServeOptions{listen: "0.0.0.0:0", tls: true},
			base: "o=hosting,dc=myhosting,dc=example", rootDN: "cn=Manager,dc=myhosting,dc=example", hash: "{SSHA}", https: true, withLeaf: true},
		{name: "certificate kept for ldaps", cfg: conf(t, "TLSCertificateFile "+cert+"\nTLSCertificateKeyFile "+key),
			opts: adminServeOptions{listen: "127.0.0.1:0"},
			base: "o=hosting,dc=myhosting,dc=example", rootDN: "cn=Manager,dc=myhosting,dc=example", hash: "{SSHA}", withLeaf: true},
		{name: "HTTPS without certificate", cfg: def, opts: adminServeOptions{listen: "0.0.0.0:0", tls: true}, err: "no TLSCertificateFile"},
		{name: "base outside the suffixes", cfg: def, opts: adminServeOptions{listen: "127.0.0.1:0", base: "o=hosting,dc=other"}, err: "not under any suffix"},
		{name: "bad base", cfg: def, opts: adminServeOptions{listen: "127.0.0.1:0", base: "not a dn"}, err: "--admin-base"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := newWebAdmin(tc.cfg, tc.opts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := w.cfg
			if c.Base != tc.base || c.RootDN != tc.rootDN || c.PasswordHash != tc.hash || c.HomeDirectory != tc.home ||
				c.MailboxBase != tc.opts.mailboxBase || c.TrustProxy != tc.opts.trustProxy || c.Secure != tc.https || (w.tls != nil) != tc.https || (w.leaf != nil) != tc.withLeaf {
				t.Errorf("got base %q rootdn %q hash %q home %q mailbox %q secure %v tls %v leaf %v",
					c.Base, c.RootDN, c.PasswordHash, c.HomeDirectory, c.MailboxBase, c.Secure, w.tls != nil, w.leaf != nil)
			}
		})
	}
}

// fakeListener is a listener with an address, for adminLDAPURL.
type fakeListener struct{ addr net.Addr }

func (f fakeListener) Accept() (net.Conn, error) { return nil, net.ErrClosed }
func (f fakeListener) Close() error              { return nil }
func (f fakeListener) Addr() net.Addr            { return f.addr }

func TestAdminLDAPURL(t *testing.T) {
	tcp := func(ip string, port int) net.Listener {
		return fakeListener{&net.TCPAddr{IP: net.ParseIP(ip), Port: port}}
	}
	unix := fakeListener{&net.UnixAddr{Name: "/run/hostdir/ldapi", Net: "unix"}}
	tests := []struct {
		name    string
		schemes []string
		ls      []net.Listener
		want    string
		ldaps   bool
	}{
		{"ldap", []string{"ldap"}, []net.Listener{tcp("127.0.0.1", 3389)}, "ldap://127.0.0.1:3389/", false},
		{"ldapi preferred", []string{"ldaps", "ldap", "ldapi"}, []net.Listener{tcp("127.0.0.1", 636), tcp("127.0.0.1", 389), unix},
			"ldapi://%2Frun%2Fhostdir%2Fldapi/", false},
		{"ldap before ldaps", []string{"ldaps", "ldap"}, []net.Listener{tcp("127.0.0.1", 636), tcp("127.0.0.1", 389)}, "ldap://127.0.0.1:389/", false},
		{"first ldap", []string{"ldap", "ldap"}, []net.Listener{tcp("127.0.0.2", 1), tcp("127.0.0.3", 2)}, "ldap://127.0.0.2:1/", false},
		{"ldaps only", []string{"ldaps"}, []net.Listener{tcp("127.0.0.1", 636)}, "ldaps://127.0.0.1:636/", true},
		{"all IPv4 addresses", []string{"ldap"}, []net.Listener{tcp("0.0.0.0", 389)}, "ldap://127.0.0.1:389/", false},
		{"all IPv6 addresses", []string{"ldap"}, []net.Listener{tcp("::", 389)}, "ldap://[::1]:389/", false},
		{"none", nil, nil, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ldaps := adminLDAPURL(tc.schemes, tc.ls)
			if got != tc.want || ldaps != tc.ldaps {
				t.Errorf("got %q %v, want %q %v", got, ldaps, tc.want, tc.ldaps)
			}
		})
	}
}

// writeTestCert writes a self-signed certificate for 127.0.0.1 and
// localhost and its key into dir.
func writeTestCert(t testing.TB, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hostdir test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// webClient is a browser without JavaScript for the web admin: a cookie
// jar, and redirects followed.
type webClient struct {
	t    testing.TB
	base string
	c    *http.Client
}

func newWebClient(t testing.TB, base string, tc *tls.Config) *webClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &webClient{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		Transport: &http.Transport{TLSClientConfig: tc}}}
}

// do sends a request and returns the final status, path and body.
func (w *webClient) do(method, path string, form url.Values) (int, string, string) {
	w.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, w.base+path, body)
	if err != nil {
		w.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := w.c.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return resp.StatusCode, resp.Request.URL.Path, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the first CSRF token of a page.
func csrf(t testing.TB, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", page)
	}
	return html.UnescapeString(m[1])
}

// login logs in through the login form and returns the landing page.
func (w *webClient) login(user, pw string) (int, string, string) {
	w.t.Helper()
	_, _, page := w.do("GET", "/login", nil)
	return w.do("POST", "/login", url.Values{"csrf": {csrf(w.t, page)}, "login": {user}, "password": {pw}})
}

// waitBanner waits until out holds the line starting with "hostdir: try: ".
// stopServe cancels a running Serve (its ctx's cancel; done receives its
// exit code) and waits at most timeout for it to return 0.
func stopServe(t testing.TB, cancel context.CancelFunc, done <-chan int, out *peers.SyncBuffer, timeout time.Duration) {
	t.Helper()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("Serve returned %d:\n%s", code, out.String())
		}
	case <-time.After(timeout):
		t.Fatal("Serve did not return after cancel")
	}
}

func waitBanner(t testing.TB, out *peers.SyncBuffer) {
	t.Helper()
	for i := 0; i < 500 && !strings.Contains(out.String(), "hostdir: try: "); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "hostdir: try: ") {
		t.Fatalf("no banner:\n%s", out.String())
	}
}

// TestServeWebAdmin runs Serve with the web admin on the default
// configuration, listening on ldap:// and ldapi://, logs in as root over
// HTTP, lists and adds a domain, and stops.
func TestServeWebAdmin(t *testing.T) {
	data := t.TempDir()
	sdir, err := os.MkdirTemp("", "ldapi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sdir) })
	sock := "ldapi://" + url.PathEscape(filepath.Join(sdir, "s"))
	ldapURL := fmt.Sprintf("ldap://127.0.0.1:%d/", peers.FreePort(t))
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out peers.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Serve(ctx, []string{"--data", data, "-h", ldapURL + " " + sock, "-d", "stats",
			"--admin-listen", addr, "--admin-mailbox-base", filepath.Join(data, "mail")}, &out, &out)
	}()
	waitBanner(t, &out)
	banner := "hostdir: web admin on http://" + addr + "/ (log in as root with the rootdn password)\n"
	if !strings.Contains(out.String(), banner) {
		t.Errorf("banner lacks %q:\n%s", banner, out.String())
	}
	pw := ""
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "hostdir: rootdn password (shown once): "); ok {
			pw = v
		}
	}

	w := newWebClient(t, "http://"+addr, nil)
	if code, _, page := w.login("root", "wrong"); code != http.StatusUnauthorized || !strings.Contains(page, "Wrong login or password") {
		t.Errorf("wrong password: %d\n%s", code, page)
	}
	code, path, page := w.login("root", pw)
	if code != http.StatusOK || path != "/domains" || !strings.Contains(page, "<h1>Domains</h1>") && !strings.Contains(page, "Domains") {
		t.Fatalf("login as root: %d %s\n%s\n%s", code, path, page, out.String())
	}
	code, path, page = w.do("POST", "/domains", url.Values{"csrf": {csrf(t, page)}, "domain": {"example.org"},
		"password": {"Post-Master-9"}, "confirm": {"Post-Master-9"}})
	if code != http.StatusOK || path != "/domains/example.org" || !strings.Contains(page, "Domain example.org added") {
		t.Errorf("add domain: %d %s\n%s", code, path, page)
	}
	if _, _, page = w.do("GET", "/domains", nil); !strings.Contains(page, "/domains/example.org") {
		t.Errorf("domain list lacks example.org:\n%s", page)
	}
	// The postmaster the site admin created logs in through the same
	// server (the admin's LDAP is ldapi://, preferred).
	pm := newWebClient(t, "http://"+addr, nil)
	if code, path, _ := pm.login("postmaster@example.org", "Post-Master-9"); code != http.StatusOK || path != "/domains/example.org" {
		t.Errorf("postmaster login: %d %s", code, path)
	}
	if !strings.Contains(out.String(), "admin: login login=root role=site") {
		t.Errorf("no login line in the log:\n%s", out.String())
	}
	if o := out.String(); !strings.Contains(o, "ACCEPT from PATH=") || strings.Contains(o, "ACCEPT from IP=") {
		t.Errorf("the web admin did not use the ldapi:// listener:\n%s", o)
	}

	stopServe(t, cancel, done, &out, 30*time.Second)
	if o := out.String(); !strings.Contains(o, "hostdir: shutting down\n") || !strings.HasSuffix(o, "hostdir: stopped\n") {
		t.Errorf("output:\n%s", out.String())
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("the web admin still listens after the server stopped")
	}
}

// TestServeWebAdminTLS runs the web admin over HTTPS with the
// configuration's certificate, on a server that listens only on
// ldaps:// (the admin trusts exactly the server's own certificate).
func TestServeWebAdminTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeTestCert(t, dir)
	var conf strings.Builder
	for _, s := range []string{"core", "cosine", "nis", "inetorgperson", "jamm"} {
		fmt.Fprintf(&conf, "include %s\n", repoFile(t, "schema/builtin/"+s+".schema"))
	}
	fmt.Fprintf(&conf, "TLSCertificateFile %s\nTLSCertificateKeyFile %s\n", cert, key)
	fmt.Fprintf(&conf, "database mdb\ndirectory %s\nsuffix \"dc=myhosting,dc=example\"\n", filepath.Join(dir, "data"))
	conf.WriteString("rootdn \"cn=Manager,dc=myhosting,dc=example\"\nrootpw Root-Secret-1\naccess to * by * read\n")
	confFile := filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(confFile, []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	ldif := writeLDIF(t, dir, "base.ldif", "dn: dc=myhosting,dc=example\nobjectClass: dcObject\nobjectClass: organization\n"+
		"dc: myhosting\no: myhosting\n\ndn: o=hosting,dc=myhosting,dc=example\nobjectClass: organization\no: hosting\n")
	if code, o, e := runImport(t, "-f", confFile, "-l", ldif); code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, o, e)
	}
	ldapsURL := fmt.Sprintf("ldaps://127.0.0.1:%d/", peers.FreePort(t))
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out peers.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Serve(ctx, []string{"-f", confFile, "-h", ldapsURL, "-d", "0", "--admin-listen", addr, "--admin-tls"}, &out, &out)
	}()
	waitBanner(t, &out)
	if want := "hostdir: web admin on https://" + addr + "/"; !strings.Contains(out.String(), want) {
		t.Errorf("banner lacks %q:\n%s", want, out.String())
	}
	pem, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	w := newWebClient(t, "https://"+addr, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	code, path, page := w.login("root", "Root-Secret-1")
	if code != http.StatusOK || path != "/domains" {
		t.Fatalf("login as root over HTTPS and ldaps: %d %s\n%s\n%s", code, path, page, out.String())
	}
	code, path, page = w.do("POST", "/domains", url.Values{"csrf": {csrf(t, page)}, "domain": {"example.net"},
		"password": {"Post-Master-9"}, "confirm": {"Post-Master-9"}})
	if code != http.StatusOK || path != "/domains/example.net" {
		t.Errorf("add domain: %d %s\n%s", code, path, page)
	}
	stopServe(t, cancel, done, &out, 30*time.Second)
}

// TestServeWebAdminListenError: an admin address already in use stops
// the server before it serves.
func TestServeWebAdminListenError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var out peers.SyncBuffer
	code := Serve(context.Background(), []string{"--data", t.TempDir(), "-h", fmt.Sprintf("ldap://127.0.0.1:%d/", peers.FreePort(t)),
		"-d", "0", "--admin-listen", l.Addr().String()}, &out, &out)
	if code != 1 || !strings.Contains(out.String(), "--admin-listen") {
		t.Errorf("exit %d:\n%s", code, out.String())
	}
}
