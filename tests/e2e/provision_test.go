package e2e

import (
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hostdir/internal/peers"
)

// provisioner is how the test changes the directory, as the three roles
// of Jamm do: the site admin adds domains, a domain admin adds and
// deactivates accounts, aliases and the catch-all, and a user changes its
// own password.
type provisioner interface {
	AddDomain(t testing.TB, domain string)
	AddAccount(t testing.TB, addr, secret string)
	// AddAlias adds an alias; "@domain" sets the catch-all.
	AddAlias(t testing.TB, addr string, dests ...string)
	SetActive(t testing.TB, addr string, active bool)
	// Delete removes an alias; "@domain" removes the catch-all.
	Delete(t testing.TB, addr string)
	// ChangeOwnPassword logs in as the user with old and sets secret; an
	// error is the refusal.
	ChangeOwnPassword(t testing.TB, addr, old, secret string) error
}

// httpProvisioner drives the web admin `hostdir serve --admin-listen`
// runs, through its HTML forms as a browser without JavaScript would: the
// site admin ("root", the rootdn password) adds the domain and sets the
// password of its postmaster; the postmaster, logged in with its address,
// is the domain admin for everything in the domain; users log in with
// their own address to change their password.
type httpProvisioner struct {
	url    string // http://127.0.0.1:PORT
	rootPW string
	root   *adminClient
	// postmasters are the domain admins' sessions, by domain.
	postmasters map[string]*adminClient
	pmPW        map[string]string
}

var _ provisioner = (*httpProvisioner)(nil)

// newHTTPProvisioner provisions through h's web admin.
func newHTTPProvisioner(t testing.TB, h *peers.Hostdir) *httpProvisioner {
	t.Helper()
	if h.RootPW == "" {
		t.Fatalf("no root password in hostdir's first-start banner:\n%s", h.Output())
	}
	if h.AdminURL == "" {
		t.Fatal("hostdir runs without the web admin")
	}
	return &httpProvisioner{url: h.AdminURL, rootPW: h.RootPW,
		postmasters: map[string]*adminClient{}, pmPW: map[string]string{}}
}

// adminClient is one browser session of the web admin: a cookie jar, the
// session's CSRF token, redirects not followed (each is checked).
type adminClient struct {
	url, login string
	c          *http.Client
	csrf       string
}

func newAdminClient(t testing.TB, u string) *adminClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &adminClient{url: u, c: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is what one request got.
type response struct {
	status   int
	location string
	body     string
}

func (a *adminClient) do(t testing.TB, method, path string, form url.Values) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, a.url+path, body)
	if err != nil {
		t.Fatalf("admin: %v", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := a.c.Do(req)
	if err != nil {
		t.Fatalf("admin: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("admin: %s %s: %v", method, path, err)
	}
	return response{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b)}
}

var (
	csrfRE    = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	flashRE   = regexp.MustCompile(`class="flash (ok|error)"[^>]*>([^<]*)<`)
	messageRE = regexp.MustCompile(`(?s)<h1>([^<]*)</h1>\s*<p>([^<]*)</p>`)
)

// pageText is what a page tells the user: its flash message, or the
// heading and text of a message page.
func pageText(body string) string {
	if m := flashRE.FindStringSubmatch(body); m != nil {
		return html.UnescapeString(strings.TrimSpace(m[2]))
	}
	if m := messageRE.FindStringSubmatch(body); m != nil {
		return html.UnescapeString(strings.TrimSpace(m[1]) + ": " + strings.TrimSpace(m[2]))
	}
	return ""
}

func csrfOf(body string) string {
	if m := csrfRE.FindStringSubmatch(body); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

// logIn fills in the login form (with the login CSRF token of the login
// page) and returns the page the application lands on.
func (a *adminClient) logIn(t testing.TB, login, pw string) error {
	t.Helper()
	page := a.do(t, "GET", "/login", nil)
	tok := csrfOf(page.body)
	if page.status != http.StatusOK || tok == "" {
		t.Fatalf("admin: GET /login: %d\n%s", page.status, page.body)
	}
	r := a.do(t, "POST", "/login", url.Values{"csrf": {tok}, "login": {login}, "password": {pw}})
	if r.status != http.StatusSeeOther {
		return fmt.Errorf("web admin login as %s: %d %s", login, r.status, pageText(r.body))
	}
	// Follow the redirects to the role's first page; its forms carry
	// the session's CSRF token.
	loc := r.location
	for i := 0; i < 5 && loc != ""; i++ {
		r = a.do(t, "GET", loc, nil)
		if r.status == http.StatusOK {
			break
		}
		loc = r.location
	}
	if r.status != http.StatusOK || csrfOf(r.body) == "" {
		t.Fatalf("admin: after login as %s: %d at %s\n%s", login, r.status, loc, r.body)
	}
	a.login, a.csrf = login, csrfOf(r.body)
	t.Logf("  admin: %s logged in (landed on %s)", login, loc)
	return nil
}

// post submits a form of the application. It succeeds when the
// application redirects (303) to the page it goes back to, whose
// message is returned; otherwise the error has the page's message.
func (a *adminClient) post(t testing.TB, path string, form url.Values) (string, error) {
	t.Helper()
	form.Set("csrf", a.csrf)
	r := a.do(t, "POST", path, form)
	if r.status != http.StatusSeeOther {
		return "", fmt.Errorf("web admin: POST %s as %s: %d %s", path, a.login, r.status, pageText(r.body))
	}
	back := a.do(t, "GET", r.location, nil)
	msg := pageText(back.body)
	t.Logf("  admin: %s: POST %s -> %s: %q", a.login, path, r.location, msg)
	return msg, nil
}

// mustPost is post that fails the test on a refusal.
func (a *adminClient) mustPost(t testing.TB, path string, form url.Values) string {
	t.Helper()
	msg, err := a.post(t, path, form)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// siteAdmin is the root session, logged in on first use.
func (p *httpProvisioner) siteAdmin(t testing.TB) *adminClient {
	t.Helper()
	if p.root == nil {
		c := newAdminClient(t, p.url)
		if err := c.logIn(t, "root", p.rootPW); err != nil {
			t.Fatal(err)
		}
		p.root = c
	}
	return p.root
}

// domainAdmin is the postmaster's session of domain, logged in on first
// use with the password the site admin gave it.
func (p *httpProvisioner) domainAdmin(t testing.TB, domain string) *adminClient {
	t.Helper()
	if c := p.postmasters[domain]; c != nil {
		return c
	}
	pw, ok := p.pmPW[domain]
	if !ok {
		t.Fatalf("admin: %s was not added by this test", domain)
	}
	c := newAdminClient(t, p.url)
	if err := c.logIn(t, "postmaster@"+domain, pw); err != nil {
		t.Fatal(err)
	}
	p.postmasters[domain] = c
	return c
}

func splitAddr(addr string) (local, domain string) {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return addr, ""
	}
	return addr[:i], addr[i+1:]
}

func domainPath(domain string) string { return "/domains/" + url.PathEscape(domain) }

// AddDomain adds the domain as the site admin (the application adds its
// postmaster and abuse entries) with a postmaster password.
func (p *httpProvisioner) AddDomain(t testing.TB, domain string) {
	t.Helper()
	pw := "Post-Master-" + fmt.Sprint(time.Now().UnixNano()%100000)
	p.siteAdmin(t).mustPost(t, "/domains", url.Values{"domain": {domain}, "password": {pw}, "confirm": {pw}})
	p.pmPW[domain] = pw
}

// AddAccount adds an account as the domain admin.
func (p *httpProvisioner) AddAccount(t testing.TB, addr, secret string) {
	t.Helper()
	local, domain := splitAddr(addr)
	p.domainAdmin(t, domain).mustPost(t, domainPath(domain)+"/accounts", url.Values{
		"local": {local}, "name": {local}, "password": {secret}, "confirm": {secret}})
}

// AddAlias adds an alias, or sets the catch-all, as the domain admin.
func (p *httpProvisioner) AddAlias(t testing.TB, addr string, dests ...string) {
	t.Helper()
	local, domain := splitAddr(addr)
	if local == "" {
		p.domainAdmin(t, domain).mustPost(t, domainPath(domain)+"/catchall", url.Values{
			"destinations": {strings.Join(dests, "\n")}})
		return
	}
	p.domainAdmin(t, domain).mustPost(t, domainPath(domain)+"/aliases", url.Values{
		"local": {local}, "destinations": {strings.Join(dests, "\n")}})
}

// SetActive switches an account on or off as the domain admin (Jamm's
// "Account Is Active").
func (p *httpProvisioner) SetActive(t testing.TB, addr string, active bool) {
	t.Helper()
	local, domain := splitAddr(addr)
	p.domainAdmin(t, domain).mustPost(t, domainPath(domain)+"/accounts/"+url.PathEscape(local)+"/active",
		url.Values{"active": {fmt.Sprint(active)}, "return": {"domain"}})
}

// Delete removes an alias, or the catch-all, as the domain admin.
func (p *httpProvisioner) Delete(t testing.TB, addr string) {
	t.Helper()
	local, domain := splitAddr(addr)
	if local == "" {
		p.domainAdmin(t, domain).mustPost(t, domainPath(domain)+"/catchall", url.Values{"destinations": {""}})
		return
	}
	p.domainAdmin(t, domain).mustPost(t, domainPath(domain)+"/aliases/"+url.PathEscape(local)+"/delete",
		url.Values{"confirm": {"on"}})
}

// ChangeOwnPassword logs in as the user and changes its password on its
// own page, then logs out.
func (p *httpProvisioner) ChangeOwnPassword(t testing.TB, addr, old, secret string) error {
	t.Helper()
	c := newAdminClient(t, p.url)
	if err := c.logIn(t, addr, old); err != nil {
		return err
	}
	if _, err := c.post(t, "/account/password", url.Values{"current": {old}, "password": {secret}, "confirm": {secret}}); err != nil {
		return err
	}
	r := c.do(t, "POST", "/logout", url.Values{"csrf": {c.csrf}})
	if r.status != http.StatusSeeOther {
		return errors.New("web admin: logout: " + pageText(r.body))
	}
	return nil
}
