package browser

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"hostdir/admin"
	"hostdir/internal/peers"
)

const base = "o=hosting,dc=myhosting,dc=example"

// hostdirBuild is the hostdir program TestMain builds once (read-only
// afterwards).
var hostdirBuild peers.HostdirBuild

func TestMain(m *testing.M) { os.Exit(peers.MainWithHostdir(m, "hostdir-browser-bin-", &hostdirBuild)) }

// chromium returns the browser's path; skipped without it (unless CI).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (CI=true)")
	}
	t.Skip("chromium is not installed")
	return ""
}

// startDirectory starts Debian's slapd with the HOWTO's slapd.conf rules
// and the ACL tree, or hostdir serving the same configuration.
func startDirectory(t *testing.T, kind string) peers.Directory {
	return peers.StartDirectory(t, kind, peers.HowtoACLOptions(t), hostdirBuild)
}

// screenshots is where the run's screenshots go: $HOSTDIR_SCREENSHOTS or
// a temporary directory.
func screenshots(t *testing.T) string {
	dir := os.Getenv("HOSTDIR_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// flow drives one page through the admin's forms.
type flow struct {
	t    *testing.T
	ctx  context.Context
	p    *Page
	app  string
	shot string
	kind string
	n    int
}

func (f *flow) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *flow) open(path string) { f.t.Helper(); f.must(f.p.Navigate(f.ctx, f.app+path)) }

func (f *flow) fill(fields ...string) {
	f.t.Helper()
	for i := 0; i+1 < len(fields); i += 2 {
		f.must(f.p.Fill(f.ctx, fields[i], fields[i+1]))
	}
}

func (f *flow) click(sel string) { f.t.Helper(); f.must(f.p.Click(f.ctx, sel)) }

// see checks that the page shows every string.
func (f *flow) see(want ...string) {
	f.t.Helper()
	text, err := f.p.Text(f.ctx)
	f.must(err)
	for _, w := range want {
		if !strings.Contains(text, w) {
			f.t.Fatalf("page lacks %q:\n%s", w, text)
		}
	}
}

func (f *flow) screenshot(name string) {
	f.t.Helper()
	f.n++
	path := filepath.Join(f.shot, fmt.Sprintf("%s-%02d-%s.png", f.kind, f.n, name))
	f.must(f.p.Screenshot(f.ctx, path))
	f.t.Logf("screenshot %s", path)
}

func (f *flow) login(name, pw string) {
	f.t.Helper()
	f.open("/login")
	f.fill("#login", name, "#password", pw)
	f.click("form[action='/login'] button[type=submit]")
}

func (f *flow) logout() {
	f.t.Helper()
	f.click("form.logout button")
	f.see("You have logged out")
}

func TestRolesInBrowser(t *testing.T) {
	path := chromium(t)
	for _, kind := range peers.DirectoryKinds {
		t.Run(kind, func(t *testing.T) {
			d := startDirectory(t, kind)
			srv, err := admin.New(admin.Config{LDAPURL: d.URL, Base: base, RootDN: d.RootDN})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(srv)
			t.Cleanup(func() { ts.Close(); srv.Close() })

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			ch, err := StartChrome(ctx, path, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer ch.Stop()
			p, err := ch.NewPage(ctx)
			if err != nil {
				t.Fatalf("%v\n%s", err, ch.Logs())
			}
			if err := p.SetViewport(ctx, 1280, 900, false); err != nil {
				t.Fatal(err)
			}
			f := &flow{t: t, ctx: ctx, p: p, app: ts.URL, shot: screenshots(t), kind: kind}

			// The login page: no scripts, the skip link comes first.
			f.open("/login")
			f.screenshot("login")
			var nScripts int
			f.must(p.Eval(ctx, "document.scripts.length", &nScripts))
			if nScripts != 0 {
				t.Errorf("%d scripts on the login page", nScripts)
			}
			var unlabeled int
			f.must(p.Eval(ctx, `[...document.querySelectorAll('input:not([type=hidden]),textarea')].filter(e => !e.labels || e.labels.length === 0).length`, &unlabeled))
			if unlabeled != 0 {
				t.Errorf("%d form fields without a label", unlabeled)
			}

			// Site admin adds a domain.
			f.login("root", d.RootPW)
			f.see("Domains", "example.com", "example.org", "Add a domain")
			f.screenshot("site-domains")
			// Keyboard: the first Tab on a page reaches the skip link.
			f.must(p.PressTab(ctx))
			var focused string
			f.must(p.Eval(ctx, "document.activeElement.className", &focused))
			if focused != "skip" {
				t.Errorf("first Tab focuses %q, want the skip link", focused)
			}
			f.fill("#domain", "shop.test", "#dpw", "Shop-admin-7", "#dconfirm", "Shop-admin-7")
			f.click("form[action='/domains'] button[type=submit]")
			f.see("Domain shop.test added", "postmaster@shop.test", "abuse@shop.test")
			f.screenshot("site-domain-added")
			f.logout()

			// The domain's postmaster adds an account and an alias and
			// resets the account's password.
			f.login("postmaster@shop.test", "Shop-admin-7")
			f.see("shop.test", "Add an account", "Add an alias")
			f.fill("#local", "anna", "#name", "Anna Example", "#apw", "First-pass-1", "#aconfirm", "First-pass-1", "#quota", "1G")
			f.click("form[action='/domains/shop.test/accounts'] button[type=submit]")
			f.see("Account anna@shop.test added", "anna@shop.test", "Anna Example")
			f.fill("#alocal", "sales", "#dests", "anna@shop.test\nboss@example.com")
			f.click("form[action='/domains/shop.test/aliases'] button[type=submit]")
			f.see("Alias sales@shop.test added", "anna@shop.test, boss@example.com")
			f.screenshot("domain-admin")
			f.open("/domains/shop.test/accounts/anna")
			f.fill("#npw", "Second-pass-2", "#nconfirm", "Second-pass-2")
			f.click("form[action$='/password'] button[type=submit]")
			f.see("Password of anna@shop.test changed")
			f.screenshot("domain-admin-reset")
			// The same domain page on a phone.
			f.must(p.SetViewport(ctx, 390, 844, true))
			f.open("/domains/shop.test")
			f.screenshot("domain-admin-phone")
			f.must(p.SetViewport(ctx, 1280, 900, false))
			f.logout()

			// The user changes its own password.
			f.login("anna@shop.test", "Second-pass-2")
			f.see("Your account", "Change your password")
			f.fill("#cur", "Second-pass-2", "#npw", "Third-pass-3", "#nconfirm", "Third-pass-3")
			f.click("form[action='/account/password'] button[type=submit]")
			f.see("Your password has been changed")
			f.screenshot("user-password")
			f.logout()

			// The directory holds what the pages said.
			c, err := ldap.DialURL(d.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Bind("mail=anna@shop.test,jvd=shop.test,"+base, "Third-pass-3"); err != nil {
				t.Errorf("anna's final password does not bind: %v", err)
			}
			if err := c.Bind(d.RootDN, d.RootPW); err != nil {
				t.Fatal(err)
			}
			res, err := c.Search(ldap.NewSearchRequest("mail=sales@shop.test,jvd=shop.test,"+base, ldap.ScopeBaseObject,
				ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"maildrop"}, nil))
			if err != nil || len(res.Entries) != 1 || len(res.Entries[0].GetAttributeValues("maildrop")) != 2 {
				t.Errorf("sales alias: %v", err)
			}
		})
	}
}
