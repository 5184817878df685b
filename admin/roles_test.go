package admin

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"hostdir/directory/password"
)

func TestLogin(t *testing.T) {
	eachDirectory(t, func(t *testing.T, d *directory) {
		d.modify(t, mailDN("dave@example.com"), func(m *ldap.ModifyRequest) {
			m.Replace("accountActive", []string{"FALSE"})
		})
		a := newApp(t, d, nil)
		tests := []struct {
			name, login, pw string
			status          int
			contains        string
		}{
			{"root is the site admin", "root", d.rootPW, 200, "Add a domain"},
			{"root with a wrong password", "root", "nope", 401, "Wrong login or password"},
			{"account is a user", "alice@example.com", alicePW, 200, "Change your password"},
			{"appointed postmaster is a domain admin", "bob@example.com", bobPW, 200, "Add an account"},
			{"postmaster entry is a domain admin", "postmaster@example.com", pmComPW, 200, "Accounts"},
			{"mail is case-insensitive", "Alice@Example.COM", alicePW, 200, "Change your password"},
			{"wrong password", "alice@example.com", "wrong", 401, "Wrong login or password"},
			{"unknown login", "nobody@example.com", "x", 401, "Wrong login or password"},
			{"alias without password", "info@example.com", "x", 401, "Wrong login or password"},
			{"inactive account", "dave@example.com", davePW, 403, "not active"},
			{"empty password", "alice@example.com", "", 401, "Wrong login or password"},
			{"filter injection", "*", "x", 401, "Wrong login or password"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				b := a.browser(t)
				st, body := b.login(tc.login, tc.pw)
				expect(t, tc.name, st, body, tc.status, tc.contains)
			})
		}
		if strings.Contains(a.logs.String(), alicePW) || strings.Contains(a.logs.String(), d.rootPW+" ") {
			t.Errorf("a password reached the log:\n%s", a.logs.String())
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	eachDirectory(t, func(t *testing.T, d *directory) {
		a := newApp(t, d, nil)
		b := a.browser(t)
		for i := 0; i < maxFailsPerUser; i++ {
			if st, _ := b.login("carol@example.org", "guess"); st != http.StatusUnauthorized {
				t.Fatalf("attempt %d: status %d", i, st)
			}
		}
		st, body := b.login("carol@example.org", carolPW)
		expect(t, "right password after 5 failures", st, body, http.StatusTooManyRequests, "Too many failed logins")
		if b.last.Header.Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
		// Another user from the same address still logs in.
		a.loggedIn(t, "alice@example.com", alicePW)
		// The window passes.
		a.clock.add(throttleWindow + time.Second)
		st, body = b.login("carol@example.org", carolPW)
		expect(t, "after the window", st, body, http.StatusOK, "Change your password")
		// Per address: 20 failures over different names block the address.
		a.clock.add(throttleWindow + time.Second)
		b2 := a.browser(t)
		for i := 0; i < maxFailsPerAddr; i++ {
			b2.login("x"+strings.Repeat("y", i)+"@example.com", "guess")
		}
		st, body = b2.login("alice@example.com", alicePW)
		expect(t, "address blocked", st, body, http.StatusTooManyRequests, "Too many failed logins")
	})
}

func TestSiteAdmin(t *testing.T) {
	eachDirectory(t, func(t *testing.T, d *directory) {
		a := newApp(t, d, nil)
		b := a.loggedIn(t, "root", d.rootPW)

		st, body := b.get("/domains")
		expect(t, "domain list", st, body, 200, "example.com", "example.org", ">3<", ">4<", ">1<", ">2<")

		// Add a domain: the three entries exactly as Jamm creates them.
		st, body = b.post("/domains", url.Values{"domain": {"New.Test"}, "password": {"Pm-secret-9"}, "confirm": {"Pm-secret-9"}})
		expect(t, "add domain", st, body, 200, "Domain new.test added", "postmaster@new.test", "abuse@new.test")
		dom := d.entry(t, DomainDN(testBase, "new.test"))
		if dom == nil {
			t.Fatal("domain entry missing")
		}
		want := map[string]string{"jvd": "new.test", "postfixTransport": "virtual:", "editAccounts": "TRUE",
			"editPostmasters": "TRUE", "accountActive": "TRUE", "delete": "FALSE", "lastChange": "1750000000"}
		for k, v := range want {
			if got := dom.GetEqualFoldAttributeValue(k); got != v {
				t.Errorf("domain %s = %q, want %q", k, got, v)
			}
		}
		pmDN := PostmasterDN(testBase, "new.test")
		pm := d.entry(t, pmDN)
		if pm == nil {
			t.Fatal("postmaster entry missing")
		}
		if oc := pm.GetEqualFoldAttributeValues("objectClass"); !slices.Equal(oc, []string{"top", "JammMailAlias", "JammPostmaster"}) {
			t.Errorf("postmaster objectClass = %v", oc)
		}
		if got := pm.GetEqualFoldAttributeValue("mail") + " " + pm.GetEqualFoldAttributeValue("maildrop") + " " +
			pm.GetEqualFoldAttributeValue("cn"); got != "postmaster@new.test postmaster postmaster" {
			t.Errorf("postmaster mail/maildrop/cn = %q", got)
		}
		if occ := pm.GetEqualFoldAttributeValues("roleOccupant"); len(occ) != 1 || !SameDN(occ[0], pmDN) {
			t.Errorf("postmaster roleOccupant = %v", occ)
		}
		if sch, _ := password.SplitScheme(pm.GetEqualFoldAttributeValue("userPassword")); sch != "{SSHA}" {
			t.Errorf("postmaster password scheme %q", sch)
		}
		abuse := d.entry(t, MailDN(testBase, "new.test", "abuse@new.test"))
		if abuse == nil || abuse.GetEqualFoldAttributeValue("maildrop") != "postmaster" ||
			!slices.Equal(abuse.GetEqualFoldAttributeValues("objectClass"), []string{"top", "JammMailAlias"}) {
			t.Errorf("abuse entry wrong: %v", abuse)
		}
		// The new postmaster can log in and sees its domain.
		p := a.loggedIn(t, "postmaster@new.test", "Pm-secret-9")
		st, body = p.get("/")
		expect(t, "new postmaster home", st, body, 200, "new.test", "Add an account")

		// Refused inputs.
		st, body = b.post("/domains", url.Values{"domain": {"example.com"}, "password": {"Pm-secret-9"}, "confirm": {"Pm-secret-9"}})
		expect(t, "add existing domain", st, body, http.StatusConflict, "already exists")
		st, body = b.post("/domains", url.Values{"domain": {"bad_domain"}, "password": {"Pm-secret-9"}, "confirm": {"Pm-secret-9"}})
		expect(t, "bad domain name", st, body, http.StatusBadRequest, "not a domain name")
		st, body = b.post("/domains", url.Values{"domain": {"ok.test"}, "password": {"short"}, "confirm": {"short"}})
		expect(t, "weak postmaster password", st, body, http.StatusBadRequest, "too short")

		// Settings: switch off editAccounts and editPostmasters.
		st, body = b.post("/domains/example.com/settings", url.Values{"active": {"on"}})
		expect(t, "settings", st, body, 200, "Settings of example.com saved")
		ddn := DomainDN(testBase, "example.com")
		if got := d.attr(t, ddn, "editAccounts")[0] + d.attr(t, ddn, "editPostmasters")[0] + d.attr(t, ddn, "accountActive")[0]; got != "FALSEFALSETRUE" {
			t.Errorf("flags = %s", got)
		}
		// Deactivating a domain deactivates its accounts and aliases.
		st, body = b.post("/domains/example.org/settings", url.Values{"editAccounts": {"on"}, "editPostmasters": {"on"}, "back": {"domain"}})
		expect(t, "deactivate domain", st, body, 200, "Settings of example.org saved", "inactive")
		for _, dn := range []string{DomainDN(testBase, "example.org"), mailDN("carol@example.org"),
			mailDN("abuse@example.org"), PostmasterDN(testBase, "example.org")} {
			if got := d.attr(t, dn, "accountActive"); got[0] != "FALSE" {
				t.Errorf("%s accountActive %v after deactivating the domain", dn, got)
			}
		}
		if a.browser(t).canLogin("carol@example.org", carolPW) {
			t.Error("carol logs in in a deactivated domain")
		}
		st, body = b.post("/domains/example.org/settings", url.Values{"active": {"on"}, "delete": {"on"}})
		expect(t, "reactivate and mark", st, body, 200, "marked for deletion")
		if got := d.attr(t, mailDN("carol@example.org"), "accountActive"); got[0] != "TRUE" {
			t.Errorf("carol accountActive %v after reactivating", got)
		}
		if got := d.attr(t, DomainDN(testBase, "example.org"), "delete"); got[0] != "TRUE" {
			t.Errorf("delete mark %v", got)
		}
		// Drill into any domain.
		st, body = b.get("/domains/example.org")
		expect(t, "drill down", st, body, 200, "carol@example.org", "Domain settings")
	})
}

// canLogin reports whether a login succeeds.
func (b *browser) canLogin(name, pw string) bool {
	st, body := b.login(name, pw)
	return st == 200 && !strings.Contains(body, `action="/login"`)
}

func TestDomainAdmin(t *testing.T) {
	eachDirectory(t, func(t *testing.T, d *directory) {
		a := newApp(t, d, nil)
		b := a.loggedIn(t, "bob@example.com", bobPW)
		st, body := b.get("/domains/example.com")
		expect(t, "domain page", st, body, 200, "alice@example.com", "info@example.com",
			"Postmaster, abuse and catch-all", "@example.com", "abuse@example.com", "Make postmaster")

		// Add an account.
		st, body = b.post("/domains/example.com/accounts", url.Values{"local": {"Eve"}, "name": {"Eve Example"},
			"password": {"Zq-pass-41"}, "confirm": {"Zq-pass-41"}, "quota": {"500M"}})
		expect(t, "add account", st, body, 200, "Account eve@example.com added")
		eve := d.entry(t, mailDN("eve@example.com"))
		if eve == nil {
			t.Fatal("eve missing")
		}
		for k, v := range map[string]string{"mail": "eve@example.com", "homeDirectory": DefaultHomeDirectory,
			"mailbox": "example.com/eve/", "accountActive": "TRUE", "delete": "FALSE", "cn": "Eve Example", "quota": "500M"} {
			if got := eve.GetEqualFoldAttributeValue(k); got != v {
				t.Errorf("eve %s = %q, want %q", k, got, v)
			}
		}
		if !d.canBind(t, eve.DN, "Zq-pass-41") {
			t.Error("eve cannot bind with her password")
		}
		st, body = b.post("/domains/example.com/accounts", url.Values{"local": {"eve"}, "password": {"Zq-pass-41"}, "confirm": {"Zq-pass-41"}})
		expect(t, "add existing account", st, body, http.StatusConflict, "already exists")
		st, body = b.post("/domains/example.com/accounts", url.Values{"local": {"postmaster"}, "password": {"Zq-pass-41"}, "confirm": {"Zq-pass-41"}})
		expect(t, "account named postmaster", st, body, http.StatusConflict, "already exists")
		st, body = b.post("/domains/example.com/accounts", url.Values{"local": {"x y"}, "password": {"Zq-pass-41"}, "confirm": {"Zq-pass-41"}})
		expect(t, "bad address", st, body, http.StatusBadRequest, "not a valid address")
		st, body = b.post("/domains/example.com/accounts", url.Values{"local": {"fred"}, "password": {"Zq-pass-41"}, "confirm": {"Eve-pass-2"}})
		expect(t, "password mismatch", st, body, http.StatusBadRequest, "do not match")

		// Add, edit and delete an alias.
		st, body = b.post("/domains/example.com/aliases", url.Values{"local": {"sales"}, "destinations": {"alice@example.com, dave@example.com\r\nout@else.where"}})
		expect(t, "add alias", st, body, 200, "Alias sales@example.com added")
		sales := mailDN("sales@example.com")
		if got := d.attr(t, sales, "maildrop"); !slices.Equal(got, []string{"alice@example.com", "dave@example.com", "out@else.where"}) {
			t.Errorf("sales maildrop %v", got)
		}
		st, body = b.post("/domains/example.com/aliases/sales/destinations", url.Values{"remove": {"dave@example.com"}, "add": {"eve@example.com"}})
		expect(t, "edit destinations", st, body, 200, "Destinations of sales@example.com saved")
		if got := d.attr(t, sales, "maildrop"); !slices.Equal(got, []string{"alice@example.com", "out@else.where", "eve@example.com"}) {
			t.Errorf("sales maildrop after edit %v", got)
		}
		st, body = b.post("/domains/example.com/aliases/sales/destinations", url.Values{"remove": {"alice@example.com", "out@else.where", "eve@example.com"}})
		expect(t, "remove every destination", st, body, http.StatusBadRequest, "at least one destination")
		st, body = b.post("/domains/example.com/aliases", url.Values{"local": {"bad"}, "destinations": {"not an address@"}})
		expect(t, "bad destination", st, body, http.StatusBadRequest, "not a valid")
		st, body = b.post("/domains/example.com/aliases/sales/active", url.Values{"active": {"false"}, "return": {"domain"}})
		expect(t, "deactivate alias", st, body, 200, "sales@example.com is deactivated")
		if got := d.attr(t, sales, "accountActive"); got[0] != "FALSE" {
			t.Errorf("sales active %v", got)
		}
		st, body = b.post("/domains/example.com/aliases/sales/delete", nil)
		expect(t, "delete unconfirmed", st, body, http.StatusBadRequest, "confirm")
		st, body = b.post("/domains/example.com/aliases/sales/delete", url.Values{"confirm": {"on"}})
		expect(t, "delete alias", st, body, 200, "Alias sales@example.com deleted")
		if d.entry(t, sales) != nil {
			t.Error("sales still there")
		}
		st, body = b.post("/domains/example.com/aliases/abuse/delete", url.Values{"confirm": {"on"}})
		expect(t, "delete abuse", st, body, http.StatusForbidden, "postmaster and abuse")

		// Catch-all: change, remove, set again.
		catch := MailDN(testBase, "example.com", "@example.com")
		st, body = b.post("/domains/example.com/catchall", url.Values{"destinations": {"dave@example.com"}})
		expect(t, "change catch-all", st, body, 200, "Catch-all set")
		if got := d.attr(t, catch, "maildrop"); !slices.Equal(got, []string{"dave@example.com"}) {
			t.Errorf("catch-all %v", got)
		}
		st, body = b.post("/domains/example.com/catchall", url.Values{"destinations": {""}})
		expect(t, "remove catch-all", st, body, 200, "Catch-all removed")
		if d.entry(t, catch) != nil {
			t.Error("catch-all still there")
		}
		st, body = b.post("/domains/example.com/catchall", url.Values{"destinations": {"alice@example.com"}})
		expect(t, "add catch-all", st, body, 200, "Catch-all set")
		if got := d.attr(t, catch, "mail"); got[0] != "@example.com" {
			t.Errorf("catch-all mail %v", got)
		}

		// Accounts: deactivate, activate, mark, restore, quota, password.
		alice := mailDN("alice@example.com")
		st, body = b.post("/domains/example.com/accounts/alice/active", url.Values{"active": {"false"}, "return": {"domain"}})
		expect(t, "deactivate account", st, body, 200, "alice@example.com is deactivated")
		if got := d.attr(t, alice, "accountActive"); got[0] != "FALSE" {
			t.Errorf("alice active %v", got)
		}
		st, body = b.post("/domains/example.com/accounts/alice/active", url.Values{"active": {"true"}})
		expect(t, "activate account", st, body, 200, "alice@example.com is active")
		st, body = b.post("/domains/example.com/accounts/dave/delete", url.Values{"delete": {"true"}, "return": {"domain"}})
		expect(t, "mark account", st, body, 200, "marked for deletion", "Restore")
		if got := d.attr(t, mailDN("dave@example.com"), "delete"); got[0] != "TRUE" {
			t.Errorf("dave delete %v", got)
		}
		st, body = b.post("/domains/example.com/accounts/dave/delete", url.Values{"delete": {"false"}})
		expect(t, "restore account", st, body, 200, "dave@example.com is restored")
		st, body = b.post("/domains/example.com/accounts/alice/quota", url.Values{"quota": {"2g"}})
		expect(t, "quota", st, body, 200, "set to 2G")
		if got := d.attr(t, alice, "quota"); got[0] != "2G" {
			t.Errorf("alice quota %v", got)
		}
		st, body = b.post("/domains/example.com/accounts/alice/quota", url.Values{"quota": {"lots"}})
		expect(t, "bad quota", st, body, http.StatusBadRequest, "not a quota")
		st, body = b.post("/domains/example.com/accounts/alice/quota", url.Values{"quota": {""}})
		expect(t, "remove quota", st, body, 200, "removed")
		if got := d.attr(t, alice, "quota"); len(got) != 0 {
			t.Errorf("alice quota %v after removal", got)
		}
		st, body = b.post("/domains/example.com/accounts/alice/password", url.Values{"password": {"Fresh-pass-7"}, "confirm": {"Fresh-pass-7"}})
		expect(t, "reset password", st, body, 200, "Password of alice@example.com changed")
		if !d.canBind(t, alice, "Fresh-pass-7") || d.canBind(t, alice, alicePW) {
			t.Error("alice's password was not reset")
		}
		st, body = b.post("/domains/example.com/accounts/alice/password", url.Values{"password": {"password"}, "confirm": {"password"}})
		expect(t, "weak reset", st, body, http.StatusBadRequest, "too common")

		// Postmasters: appoint alice, she sees the domain; remove her.
		pm := PostmasterDN(testBase, "example.com")
		st, body = b.post("/domains/example.com/accounts/alice/postmaster", url.Values{"postmaster": {"true"}, "return": {"domain"}})
		expect(t, "appoint", st, body, 200, "alice@example.com is now a postmaster")
		if !containsDN(d.attr(t, pm, "roleOccupant"), alice) {
			t.Error("alice not a roleOccupant")
		}
		al := a.loggedIn(t, "alice@example.com", "Fresh-pass-7")
		st, body = al.get("/")
		expect(t, "alice as domain admin", st, body, 200, "Add an account")
		st, body = b.post("/domains/example.com/accounts/alice/postmaster", url.Values{"postmaster": {"false"}})
		expect(t, "remove postmaster", st, body, 200, "no longer a postmaster")
		if containsDN(d.attr(t, pm, "roleOccupant"), alice) {
			t.Error("alice still a roleOccupant")
		}
		st, _ = al.get("/domains/example.com")
		if st != http.StatusForbidden {
			t.Errorf("removed postmaster sees the domain page: %d", st)
		}

		// The alias page sets a password for the alias's owner.
		st, body = b.post("/domains/example.com/aliases/info/password", url.Values{"password": {"Owner-pass-3"}, "confirm": {"Owner-pass-3"}})
		expect(t, "alias owner password", st, body, 200, "Password of info@example.com changed")
		if !d.canBind(t, mailDN("info@example.com"), "Owner-pass-3") {
			t.Error("info cannot bind")
		}
	})
}

func TestRefusals(t *testing.T) {
	eachDirectory(t, func(t *testing.T, d *directory) {
		a := newApp(t, d, nil)
		bob := a.loggedIn(t, "bob@example.com", bobPW)
		bob.get("/domains/example.com")

		// A postmaster of example.com cannot touch example.org: the
		// directory refuses (50) what the application lets through.
		tests := []struct {
			name, path string
			vals       url.Values
			status     int
		}{
			{"view other domain", "", nil, http.StatusForbidden},
			{"add account in other domain", "/domains/example.org/accounts", url.Values{"local": {"mallory"}, "password": {"Mallory-1x"}, "confirm": {"Mallory-1x"}}, http.StatusForbidden},
			{"add alias in other domain", "/domains/example.org/aliases", url.Values{"local": {"steal"}, "destinations": {"bob@example.com"}}, http.StatusForbidden},
			{"reset password in other domain", "/domains/example.org/accounts/carol/password", url.Values{"password": {"Stolen-pw-1"}, "confirm": {"Stolen-pw-1"}}, http.StatusForbidden},
			{"deactivate in other domain", "/domains/example.org/accounts/carol/active", url.Values{"active": {"false"}}, http.StatusForbidden},
			{"catch-all of other domain", "/domains/example.org/catchall", url.Values{"destinations": {"bob@example.com"}}, http.StatusForbidden},
			{"appoint self in other domain", "/domains/example.org/accounts/carol/postmaster", url.Values{"postmaster": {"true"}}, http.StatusForbidden},
			{"edit other domain's abuse", "/domains/example.org/aliases/abuse/destinations", url.Values{"add": {"bob@example.com"}}, http.StatusForbidden},
			{"add a domain", "/domains", url.Values{"domain": {"evil.test"}, "password": {"Evil-pass-1"}, "confirm": {"Evil-pass-1"}}, http.StatusForbidden},
			{"change own domain's settings", "/domains/example.com/settings", url.Values{"editAccounts": {"on"}, "editPostmasters": {"on"}, "active": {"on"}}, http.StatusForbidden},
		}
		for _, tc := range tests {
			var st int
			var body string
			if tc.path == "" {
				st, body = bob.get("/domains/example.org")
			} else {
				st, body = bob.post(tc.path, tc.vals)
			}
			expect(t, tc.name, st, body, tc.status, "Not allowed")
		}
		if !d.canBind(t, mailDN("carol@example.org"), carolPW) || d.entry(t, mailDN("mallory@example.org")) != nil ||
			d.entry(t, DomainDN(testBase, "evil.test")) != nil {
			t.Error("a refused change happened")
		}

		// A plain user can do nothing to others.
		alice := a.loggedIn(t, "alice@example.com", alicePW)
		st, body := alice.get("/domains/example.com")
		expect(t, "user views domain", st, body, http.StatusForbidden, "Not allowed")
		st, body = alice.post("/domains/example.com/accounts/dave/password", url.Values{"password": {"Stolen-pw-1"}, "confirm": {"Stolen-pw-1"}})
		expect(t, "user resets another's password", st, body, http.StatusForbidden, "Not allowed")
		st, body = alice.post("/domains/example.com/accounts", url.Values{"local": {"x1"}, "password": {"Mallory-1x"}, "confirm": {"Mallory-1x"}})
		expect(t, "user adds account", st, body, http.StatusForbidden, "Not allowed")
		st, body = alice.post("/domains/example.com/aliases/info/destinations", url.Values{"add": {"alice@example.com"}})
		expect(t, "user edits alias", st, body, http.StatusForbidden, "Not allowed")

		// editAccounts off: no adding, deleting or restoring accounts, but
		// password resets, quotas and activation still work.
		root := a.loggedIn(t, "root", d.rootPW)
		root.post("/domains/example.com/settings", url.Values{"active": {"on"}})
		st, body = bob.get("/domains/example.com")
		expect(t, "domain page without editAccounts", st, body, 200, "switched off")
		if strings.Contains(body, `action="/domains/example.com/accounts"`) || strings.Contains(body, "Make postmaster") {
			t.Error("the page offers what the flags forbid")
		}
		st, body = bob.post("/domains/example.com/accounts", url.Values{"local": {"frank"}, "password": {"Zs-pw-61"}, "confirm": {"Zs-pw-61"}})
		expect(t, "add account with editAccounts off", st, body, http.StatusForbidden, "adding accounts is switched off")
		st, body = bob.post("/domains/example.com/accounts/dave/delete", url.Values{"delete": {"true"}})
		expect(t, "delete with editAccounts off", st, body, http.StatusForbidden, "switched off")
		st, body = bob.post("/domains/example.com/accounts/dave/password", url.Values{"password": {"Zr-new-51"}, "confirm": {"Zr-new-51"}})
		expect(t, "reset with editAccounts off", st, body, 200, "Password of dave@example.com changed")
		st, body = bob.post("/domains/example.com/accounts/dave/quota", url.Values{"quota": {"1G"}})
		expect(t, "quota with editAccounts off", st, body, 200, "set to 1G")
		st, body = bob.post("/domains/example.com/accounts/alice/postmaster", url.Values{"postmaster": {"true"}})
		expect(t, "appoint with editPostmasters off", st, body, http.StatusForbidden, "appointing postmasters is switched off")
		if d.entry(t, mailDN("frank@example.com")) != nil {
			t.Error("frank was added")
		}
		// The site admin is not bound by the flags.
		st, body = root.post("/domains/example.com/accounts", url.Values{"local": {"frank"}, "password": {"Zs-pw-61"}, "confirm": {"Zs-pw-61"}})
		expect(t, "site admin adds with editAccounts off", st, body, 200, "Account frank@example.com added")
		st, body = root.post("/domains/example.com/accounts/alice/postmaster", url.Values{"postmaster": {"true"}})
		expect(t, "site admin appoints with editPostmasters off", st, body, 200, "now a postmaster")
	})
}

func TestUser(t *testing.T) {
	eachDirectory(t, func(t *testing.T, d *directory) {
		a := newApp(t, d, nil)
		alice := a.loggedIn(t, "alice@example.com", alicePW)
		st, body := alice.get("/account")
		expect(t, "own page", st, body, 200, "Change your password", "alice@example.com")
		if strings.Contains(body, "Where your mail goes") {
			t.Error("an account sees the alias editor")
		}
		cases := []struct {
			name, cur, pw, confirm string
			status                 int
			contains               string
		}{
			{"wrong current", "nope", "Brand-new-9", "Brand-new-9", 400, "current password is not right"},
			{"mismatch", alicePW, "Brand-new-9", "Brand-new-8", 400, "do not match"},
			{"too short", alicePW, "Ab1", "Ab1", 400, "too short"},
			{"one kind", alicePW, "abcdefghij", "abcdefghij", 400, "two kinds"},
			{"contains login", alicePW, "Alice-2024x", "Alice-2024x", 400, "login name"},
			{"ok", alicePW, "Brand-new-9", "Brand-new-9", 200, "Your password has been changed"},
		}
		for _, c := range cases {
			st, body := alice.post("/account/password", url.Values{"current": {c.cur}, "password": {c.pw}, "confirm": {c.confirm}})
			expect(t, c.name, st, body, c.status, c.contains)
		}
		if !d.canBind(t, mailDN("alice@example.com"), "Brand-new-9") {
			t.Error("new password does not bind")
		}
		// The session keeps working with the new password.
		st, body = alice.get("/account")
		expect(t, "after change", st, body, 200, "Change your password")
		if sch, _ := password.SplitScheme(d.attr(t, mailDN("alice@example.com"), "userPassword")[0]); sch != "{SSHA}" {
			t.Errorf("scheme %s", sch)
		}

		// An alias's owner edits its destinations.
		d.modify(t, mailDN("info@example.com"), func(m *ldap.ModifyRequest) {
			m.Replace("userPassword", []string{"Owner-pass-3"})
		})
		info := a.loggedIn(t, "info@example.com", "Owner-pass-3")
		st, body = info.get("/account")
		expect(t, "alias owner page", st, body, 200, "Where your mail goes", "dave@example.com")
		st, body = info.post("/account/destinations", url.Values{"remove": {"dave@example.com"}, "add": {"new@else.where"}})
		expect(t, "alias owner edits", st, body, 200, "Your destinations have been saved")
		if got := d.attr(t, mailDN("info@example.com"), "maildrop"); !slices.Equal(got, []string{"alice@example.com", "new@else.where"}) {
			t.Errorf("info maildrop %v", got)
		}
		st, body = alice.post("/account/destinations", url.Values{"add": {"x@y.z"}})
		expect(t, "account edits destinations", st, body, 400, "Only an alias")
	})
}

func TestPasswordModifyOp(t *testing.T) {
	eachDirectory(t, func(t *testing.T, d *directory) {
		a := newApp(t, d, func(c *Config) { c.PasswordHash = PasswordModifyOp })
		b := a.loggedIn(t, "bob@example.com", bobPW)
		st, body := b.post("/domains/example.com/accounts", url.Values{"local": {"eve"}, "password": {"Zq-pass-41"}, "confirm": {"Zq-pass-41"}})
		expect(t, "add account", st, body, 200, "Account eve@example.com added")
		st, body = b.post("/domains/example.com/accounts/alice/password", url.Values{"password": {"Fresh-pass-7"}, "confirm": {"Fresh-pass-7"}})
		expect(t, "reset", st, body, 200, "changed")
		if !d.canBind(t, mailDN("eve@example.com"), "Zq-pass-41") || !d.canBind(t, mailDN("alice@example.com"), "Fresh-pass-7") {
			t.Error("passwords set through Password Modify do not bind")
		}
		if v := d.attr(t, mailDN("alice@example.com"), "userPassword")[0]; v == "Fresh-pass-7" {
			t.Error("the directory stored the password in clear")
		}
	})
}
