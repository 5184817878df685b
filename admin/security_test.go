package admin

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

func TestSecurity(t *testing.T) {
	eachDirectory(t, func(t *testing.T, d *directory) {
		a := newApp(t, d, func(c *Config) { c.IdleTimeout = 10 * time.Minute; c.SessionLifetime = time.Hour })
		b := a.browser(t)

		// Headers on a public page.
		st, _ := b.get("/login")
		h := b.last.Header
		for k, want := range map[string]string{
			"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
			"X-Frame-Options":         "DENY",
			"X-Content-Type-Options":  "nosniff",
			"Cache-Control":           "no-store",
			"Referrer-Policy":         "no-referrer",
		} {
			if got := h.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if st != 200 {
			t.Fatalf("login page %d", st)
		}

		// The session cookie.
		b.post("/login", url.Values{"login": {"alice@example.com"}, "password": {alicePW}})
		var cookie string
		for _, r := b.last, b.last; r != nil; r = r.Request.Response {
			for _, c := range r.Header.Values("Set-Cookie") {
				if strings.HasPrefix(c, "hostdir-session=") && !strings.Contains(c, "Max-Age=0") {
					cookie = c
				}
			}
		}
		if cookie == "" {
			t.Fatal("no session cookie")
		}
		for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
			if !strings.Contains(cookie, want) {
				t.Errorf("session cookie %q lacks %s", cookie, want)
			}
		}
		if strings.Contains(cookie, alicePW) {
			t.Error("password in the cookie")
		}

		// CSRF: a form without the token, or with another's, is refused.
		st, body := b.post("/account/password", url.Values{"csrf": {""}, "current": {alicePW}, "password": {"Brand-new-9"}, "confirm": {"Brand-new-9"}})
		expect(t, "missing CSRF token", st, body, http.StatusForbidden, "expired")
		other := a.loggedIn(t, "bob@example.com", bobPW)
		st, body = b.post("/account/password", url.Values{"csrf": {other.csrf}, "current": {alicePW}, "password": {"Brand-new-9"}, "confirm": {"Brand-new-9"}})
		expect(t, "another session's token", st, body, http.StatusForbidden, "expired")
		// A cross-site request is refused before it reaches the handler.
		req, _ := http.NewRequest(http.MethodPost, a.ts.URL+"/account/password", strings.NewReader("csrf="+b.csrf))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if st, _ := b.do(req); st != http.StatusForbidden {
			t.Errorf("cross-site post: status %d", st)
		}
		if !d.canBind(t, mailDN("alice@example.com"), alicePW) {
			t.Fatal("a refused form changed the password")
		}
		// Login CSRF: a login post without the login cookie's token.
		fresh := a.browser(t)
		st, body = fresh.post("/login", url.Values{"login": {"alice@example.com"}, "password": {alicePW}, "csrf": {"forged"}})
		expect(t, "login without token", st, body, http.StatusForbidden, "expired")

		// Escaping: a name with markup is shown as text.
		d.modify(t, mailDN("dave@example.com"), func(m *ldap.ModifyRequest) {
			m.Replace("cn", []string{`<script>alert(1)</script>`})
		})
		st, body = other.get("/domains/example.com")
		expect(t, "escaped name", st, body, 200, "&lt;script&gt;alert(1)&lt;/script&gt;")
		if strings.Contains(body, "<script") {
			t.Error("unescaped script tag")
		}

		// Idle timeout: the session ends and its password is wiped.
		a.srv.sessions.mu.Lock()
		var sess *session
		for _, s := range a.srv.sessions.m {
			if s.login == "alice@example.com" {
				sess = s
			}
		}
		a.srv.sessions.mu.Unlock()
		if sess == nil {
			t.Fatal("no session for alice")
		}
		a.clock.add(11 * time.Minute)
		a.srv.sessions.sweep()
		if st, body := b.get("/account"); st != 200 || !strings.Contains(body, `action="/login"`) {
			t.Errorf("idle session still works: %d", st)
		}
		sess.mu.Lock()
		if len(sess.password) != 0 {
			t.Error("expired session keeps its password")
		}
		sess.mu.Unlock()

		// Absolute timeout: activity does not extend a session forever.
		c := a.loggedIn(t, "alice@example.com", alicePW)
		for i := 0; i < 7; i++ {
			a.clock.add(9 * time.Minute)
			c.get("/account")
		}
		if _, body := c.get("/account"); !strings.Contains(body, `action="/login"`) {
			t.Error("session outlived its lifetime")
		}

		// Logout ends the session: the old cookie is worthless.
		e := a.loggedIn(t, "alice@example.com", alicePW)
		e.get("/account")
		cookies := e.hc.Jar.Cookies(e.lastURL())
		st, body = e.post("/logout", nil)
		expect(t, "logout", st, body, 200, "You have logged out")
		replay := a.browser(t)
		replay.hc.Jar.SetCookies(e.lastURL(), cookies)
		if _, body := replay.get("/account"); !strings.Contains(body, `action="/login"`) {
			t.Error("the cookie still works after logout")
		}

		// No password in the logs.
		if logs := a.logs.String(); strings.Contains(logs, alicePW) || strings.Contains(logs, "Brand-new-9") {
			t.Errorf("a password reached the log:\n%s", logs)
		}
		if n := a.srv.sessions.count(); n > 3 {
			t.Errorf("%d sessions left", n)
		}
	})
}

func (b *browser) lastURL() *url.URL {
	u, _ := url.Parse(b.base)
	return u
}

func TestSecureCookies(t *testing.T) {
	srv, err := New(Config{LDAPURL: "ldap://127.0.0.1:1/", Base: testBase, Secure: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rec := newRecorder()
	srv.ServeHTTP(rec, mustRequest(t, "GET", "/login"))
	c := rec.Header().Get("Set-Cookie")
	if !strings.HasPrefix(c, "__Host-hostdir-login=") || !strings.Contains(c, "Secure") {
		t.Errorf("login cookie under TLS: %q", c)
	}
	if rec.Header().Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS under TLS")
	}
}

func TestStaticAndNotFound(t *testing.T) {
	srv, err := New(Config{LDAPURL: "ldap://127.0.0.1:1/", Base: testBase})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rec := newRecorder()
	srv.ServeHTTP(rec, mustRequest(t, "GET", "/static/admin.css"))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") || rec.Body.Len() > 12000 {
		t.Errorf("css: %d %s %d bytes", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
	rec = newRecorder()
	srv.ServeHTTP(rec, mustRequest(t, "GET", "/nope"))
	if rec.Code != 404 {
		t.Errorf("unknown page: %d", rec.Code)
	}
	rec = newRecorder()
	srv.ServeHTTP(rec, mustRequest(t, "GET", "/domains"))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
		t.Errorf("logged out: %d %s", rec.Code, rec.Header().Get("Location"))
	}
}

func TestDirectoryDown(t *testing.T) {
	d := &directory{name: "down", url: "ldap://127.0.0.1:1/", rootDN: "cn=Manager,dc=myhosting,dc=example"}
	a := newApp(t, d, func(c *Config) { c.LDAPTimeout = 2 * time.Second })
	b := a.browser(t)
	st, body := b.login("alice@example.com", "x")
	expect(t, "login with the directory down", st, body, http.StatusBadGateway, "could not be reached")
}

func TestFilterRules(t *testing.T) {
	eachDirectory(t, func(t *testing.T, d *directory) {
		base := filepath.Join(t.TempDir(), "domains")
		maildir := filepath.Join(base, "example.com", "alice")
		if err := os.MkdirAll(filepath.Join(maildir, "new"), 0o700); err != nil {
			t.Fatal(err)
		}
		d.modify(t, mailDN("alice@example.com"), func(m *ldap.ModifyRequest) { m.Replace("homeDirectory", []string{base}) })
		d.modify(t, mailDN("dave@example.com"), func(m *ldap.ModifyRequest) { m.Replace("homeDirectory", []string{base}) })

		// Without a mailbox base, the editor is hidden and refused.
		plain := newApp(t, d, nil)
		pb := plain.loggedIn(t, "bob@example.com", bobPW)
		st, body := pb.get("/domains/example.com/accounts/alice")
		expect(t, "account page", st, body, 200, "Reset the password")
		if strings.Contains(body, "Filter rules") {
			t.Error("filter editor shown without --mailbox-base")
		}
		st, body = pb.post("/domains/example.com/accounts/alice/filter", url.Values{"rules": {":0\n.Spam/\n"}})
		expect(t, "filter without base", st, body, http.StatusForbidden, "mailbox base")

		a := newApp(t, d, func(c *Config) { c.MailboxBase = base })
		b := a.loggedIn(t, "bob@example.com", bobPW)
		st, body = b.get("/domains/example.com/accounts/alice")
		expect(t, "account page with filters", st, body, 200, "Filter rules", ".hostdir-filter")
		rules := ":0\r\n* ^Subject:.*viagra\r\n.Spam/"
		st, body = b.post("/domains/example.com/accounts/alice/filter", url.Values{"rules": {rules}})
		expect(t, "save rules", st, body, 200, "Filter rules of alice@example.com saved", "viagra")
		got, err := os.ReadFile(filepath.Join(maildir, ".hostdir-filter"))
		if err != nil || string(got) != ":0\n* ^Subject:.*viagra\n.Spam/\n" {
			t.Errorf("rules file %q, %v", got, err)
		}
		st, body = b.post("/domains/example.com/accounts/alice/filter", url.Values{"rules": {":0\n| /bin/rm -rf /\n"}})
		expect(t, "program in rules", st, body, http.StatusBadRequest, "not saved")
		if got2, _ := os.ReadFile(filepath.Join(maildir, ".hostdir-filter")); !bytes.Equal(got, got2) {
			t.Error("refused rules replaced the file")
		}
		st, body = b.post("/domains/example.com/accounts/dave/filter", url.Values{"rules": {":0\n.Spam/\n"}})
		expect(t, "maildir not created yet", st, body, http.StatusBadRequest, "does not exist yet")
		st, body = b.post("/domains/example.com/accounts/alice/filter", url.Values{"rules": {""}})
		expect(t, "remove rules", st, body, 200, "removed")
		if _, err := os.Stat(filepath.Join(maildir, ".hostdir-filter")); !os.IsNotExist(err) {
			t.Error("rules file still there")
		}
		// A plain user cannot write anyone's rules (not even its own:
		// the domain's postmasters do).
		al := a.loggedIn(t, "alice@example.com", alicePW)
		st, body = al.post("/domains/example.com/accounts/alice/filter", url.Values{"rules": {":0\n.X/\n"}})
		expect(t, "user writes rules", st, body, http.StatusForbidden, "Not allowed")
		// A postmaster of another domain neither.
		pm := a.loggedIn(t, "postmaster@example.org", pmOrgPW)
		st, body = pm.post("/domains/example.com/accounts/alice/filter", url.Values{"rules": {":0\n.X/\n"}})
		expect(t, "other postmaster writes rules", st, body, http.StatusForbidden, "Not allowed")
		// A mailbox pointing outside the base is refused.
		d.modify(t, mailDN("alice@example.com"), func(m *ldap.ModifyRequest) { m.Replace("mailbox", []string{"../../etc/"}) })
		st, body = b.post("/domains/example.com/accounts/alice/filter", url.Values{"rules": {":0\n.X/\n"}})
		expect(t, "escaping mailbox", st, body, http.StatusForbidden, "not below the mailbox base")
	})
}

func TestClean(t *testing.T) {
	eachDirectory(t, func(t *testing.T, d *directory) {
		base := filepath.Join(t.TempDir(), "domains")
		dirs := map[string]string{}
		for _, addr := range []string{"alice@example.com", "dave@example.com", "carol@example.org"} {
			local, dom, _ := strings.Cut(addr, "@")
			p := filepath.Join(base, dom, local)
			if err := os.MkdirAll(filepath.Join(p, "cur"), 0o700); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(p, "cur", "1.msg"), []byte("mail"), 0o600)
			dirs[addr] = p
			d.modify(t, mailDN(addr), func(m *ldap.ModifyRequest) { m.Replace("homeDirectory", []string{base}) })
		}
		// dave is marked and a postmaster; example.org is marked.
		d.modify(t, mailDN("dave@example.com"), func(m *ldap.ModifyRequest) { m.Replace("delete", []string{"TRUE"}) })
		d.modify(t, PostmasterDN(testBase, "example.com"), func(m *ldap.ModifyRequest) {
			m.Add("roleOccupant", []string{mailDN("dave@example.com")})
		})
		d.modify(t, DomainDN(testBase, "example.org"), func(m *ldap.ModifyRequest) { m.Replace("delete", []string{"TRUE"}) })

		conn := d.root(t)
		var log bytes.Buffer
		rep, err := Clean(context.Background(), conn, CleanOptions{Base: testBase, MailboxBase: base, DryRun: true, Log: &log})
		if err != nil {
			t.Fatalf("dry run: %v\n%s", err, log.String())
		}
		if rep.Maildirs != 2 || rep.Entries != 5 {
			t.Errorf("dry run report %+v\n%s", rep, log.String())
		}
		for _, p := range dirs {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("dry run removed %s", p)
			}
		}
		if d.entry(t, mailDN("dave@example.com")) == nil {
			t.Error("dry run deleted dave")
		}
		for _, want := range []string{"would remove maildir " + dirs["dave@example.com"], "would delete entry", "dry run"} {
			if !strings.Contains(log.String(), want) {
				t.Errorf("dry-run log lacks %q:\n%s", want, log.String())
			}
		}

		log.Reset()
		rep, err = Clean(context.Background(), conn, CleanOptions{Base: testBase, MailboxBase: base, Log: &log})
		if err != nil {
			t.Fatalf("clean: %v\n%s", err, log.String())
		}
		if rep.Maildirs != 2 || rep.Entries != 5 || rep.Skipped != 0 {
			t.Errorf("report %+v\n%s", rep, log.String())
		}
		for addr, p := range dirs {
			_, err := os.Stat(p)
			if keep := addr == "alice@example.com"; keep != (err == nil) {
				t.Errorf("%s maildir exists=%v", addr, err == nil)
			}
		}
		for dn, want := range map[string]bool{
			mailDN("dave@example.com"): false, mailDN("alice@example.com"): true,
			DomainDN(testBase, "example.org"): false, mailDN("carol@example.org"): false,
			PostmasterDN(testBase, "example.org"): false, DomainDN(testBase, "example.com"): true,
		} {
			if got := d.entry(t, dn) != nil; got != want {
				t.Errorf("%s exists=%v, want %v", dn, got, want)
			}
		}
		if containsDN(d.attr(t, PostmasterDN(testBase, "example.com"), "roleOccupant"), mailDN("dave@example.com")) {
			t.Error("dave is still a roleOccupant")
		}

		// A marked account whose maildir lies outside the base is kept.
		d.modify(t, mailDN("alice@example.com"), func(m *ldap.ModifyRequest) {
			m.Replace("delete", []string{"TRUE"})
			m.Replace("mailbox", []string{"../../../etc/"})
		})
		log.Reset()
		rep, err = Clean(context.Background(), conn, CleanOptions{Base: testBase, MailboxBase: base, Log: &log})
		if err == nil || rep.Skipped != 1 || d.entry(t, mailDN("alice@example.com")) == nil {
			t.Errorf("escaping maildir: err=%v report=%+v\n%s", err, rep, log.String())
		}
	})
}
