package admin

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"hostdir/directory/password"
)

// domainsData is the domain list.
type domainsData struct {
	Domains []Domain
	Site    bool
}

func (s *Server) domainsPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	if sess.role == RoleUser {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return nil
	}
	d, done, err := s.connect(r.Context(), sess)
	if err != nil {
		return err
	}
	defer done()
	all, err := d.Domains(r.Context())
	if err != nil {
		return err
	}
	if sess.role != RoleSiteAdmin {
		mine, err := d.PostmasterOf(r.Context(), sess.dn)
		if err != nil {
			return err
		}
		all = slices.DeleteFunc(all, func(x Domain) bool { return !slices.Contains(mine, x.Name) })
	}
	title := "Domains"
	if sess.role != RoleSiteAdmin {
		title = "Your domains"
	}
	s.render(w, r, sess, http.StatusOK, "domains", title, domainsData{Domains: all, Site: sess.role == RoleSiteAdmin})
	return nil
}

func (s *Server) addDomain(r *http.Request, sess *session) (string, string, error) {
	back := "/domains"
	name, err := ValidDomain(r.PostForm.Get("domain"))
	if err != nil {
		return back, "", err
	}
	pw := r.PostForm.Get("password")
	if err := CheckPassword(pw, r.PostForm.Get("confirm"), "postmaster", s.cfg.MinPasswordLength); err != nil {
		return back, "", err
	}
	d, done, err := s.connect(r.Context(), sess)
	if err != nil {
		return back, "", err
	}
	defer done()
	stored := ""
	if s.cfg.PasswordHash != PasswordModifyOp {
		if stored, err = password.Hash(s.cfg.PasswordHash, []byte(pw)); err != nil {
			return back, "", err
		}
	}
	if err := d.AddDomain(r.Context(), name, stored); err != nil {
		return back, "", err
	}
	if stored == "" {
		if err := d.PasswordModify(r.Context(), PostmasterDN(s.cfg.Base, name), pw); err != nil {
			return back, "", err
		}
	}
	return "/domains/" + name, fmt.Sprintf("Domain %s added, with postmaster@%s and abuse@%s.", name, name, name), nil
}

// domainCtx is a domain opened for a request.
type domainCtx struct {
	d          *Dir
	done       func()
	dom        *Domain
	site       bool
	postmaster bool
}

// canAccounts: adding, marking and restoring accounts (editAccounts).
func (c *domainCtx) canAccounts() bool { return c.site || c.dom.EditAccounts }

// canPostmasters: appointing and removing postmasters (editPostmasters).
func (c *domainCtx) canPostmasters() bool { return c.site || c.dom.EditPostmasters }

// openDomain connects as the session and reads the domain of the path.
// With view set, only the site admin and the domain's postmasters get
// through (the pages); actions are left to the directory's rules.
func (s *Server) openDomain(r *http.Request, sess *session, view bool) (*domainCtx, error) {
	name, err := ValidDomain(r.PathValue("domain"))
	if err != nil {
		return nil, fmt.Errorf("domain %q: %w", r.PathValue("domain"), ErrNotFound)
	}
	d, done, err := s.connect(r.Context(), sess)
	if err != nil {
		return nil, err
	}
	c := &domainCtx{d: d, done: done, site: sess.role == RoleSiteAdmin}
	if c.dom, err = d.Domain(r.Context(), name); err != nil {
		done()
		return nil, err
	}
	if !c.site {
		if c.postmaster, err = d.IsPostmaster(r.Context(), name, sess.dn); err != nil {
			done()
			return nil, err
		}
		if view && !c.postmaster {
			done()
			return nil, refuse("you are not a postmaster of %s.", name)
		}
	}
	return c, nil
}

func domainPath(name string) string { return "/domains/" + url.PathEscape(name) }

// domainData is the domain page.
type domainData struct {
	View           *DomainView
	Site           bool
	CanAccounts    bool
	CanPostmasters bool
}

func (s *Server) domainPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	c, err := s.openDomain(r, sess, true)
	if err != nil {
		return err
	}
	defer c.done()
	v, err := c.d.DomainView(r.Context(), c.dom.Name)
	if err != nil {
		return err
	}
	crumbs := []crumb{{"/domains", "Domains"}, {"", c.dom.Name}}
	s.render(w, r, sess, http.StatusOK, "domain", c.dom.Name, domainData{
		View: v, Site: c.site, CanAccounts: c.canAccounts(), CanPostmasters: c.canPostmasters()}, crumbs...)
	return nil
}

func formBool(r *http.Request, name string) bool {
	v := r.PostForm.Get(name)
	return v == "on" || v == "true" || v == "1"
}

func (s *Server) domainSettings(r *http.Request, sess *session) (string, string, error) {
	name, err := ValidDomain(r.PathValue("domain"))
	if err != nil {
		return "/domains", "", fmt.Errorf("domain: %w", ErrNotFound)
	}
	back := "/domains"
	if r.PostForm.Get("back") == "domain" {
		back = domainPath(name)
	}
	if sess.role != RoleSiteAdmin {
		// The HOWTO's rules let a postmaster write its domain entry; the
		// capabilities are the site admin's to set, as in Jamm.
		return back, "", refuse("only the site admin changes a domain's settings.")
	}
	d, done, err := s.connect(r.Context(), sess)
	if err != nil {
		return back, "", err
	}
	defer done()
	f := DomainFlags{EditAccounts: formBool(r, "editAccounts"), EditPostmasters: formBool(r, "editPostmasters"),
		Active: formBool(r, "active"), Delete: formBool(r, "delete")}
	if err := d.SetDomainFlags(r.Context(), name, f); err != nil {
		return back, "", err
	}
	return back, "Settings of " + name + " saved.", nil
}

// addressExists reports whether addr is taken in the domain (an account,
// an alias or the postmaster entry).
func addressExists(ctx context.Context, d *Dir, domain, addr string) (bool, error) {
	_, err := d.FindMail(ctx, domain, addr)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (s *Server) addAccount(r *http.Request, sess *session) (string, string, error) {
	c, back, err := s.openDomainFor(r, sess)
	if err != nil {
		return back, "", err
	}
	defer c.done()
	if !c.canAccounts() {
		return back, "", refuse("adding accounts is switched off for %s (ask the site admin).", c.dom.Name)
	}
	local, err := ValidLocal(r.PostForm.Get("local"))
	if err != nil {
		return back, "", err
	}
	name, err := ValidName(r.PostForm.Get("name"))
	if err != nil {
		return back, "", err
	}
	quota, err := ValidQuota(r.PostForm.Get("quota"))
	if err != nil {
		return back, "", err
	}
	addr := local + "@" + c.dom.Name
	pw := r.PostForm.Get("password")
	if err := CheckPassword(pw, r.PostForm.Get("confirm"), addr, s.cfg.MinPasswordLength); err != nil {
		return back, "", err
	}
	if err := addressFree(r.Context(), c, addr); err != nil {
		return back, "", err
	}
	na := NewAccount{Domain: c.dom.Name, Local: local, Name: name, Quota: quota, HomeDirectory: s.cfg.HomeDirectory}
	if s.cfg.PasswordHash != PasswordModifyOp {
		if na.Password, err = password.Hash(s.cfg.PasswordHash, []byte(pw)); err != nil {
			return back, "", err
		}
	}
	if err := c.d.AddAccount(r.Context(), na); err != nil {
		return back, "", err
	}
	if na.Password == "" {
		dn := MailDN(s.cfg.Base, c.dom.Name, addr)
		if err := c.d.PasswordModify(r.Context(), dn, pw); err != nil {
			_ = c.d.Delete(r.Context(), dn)
			return back, "", err
		}
	}
	return back, "Account " + addr + " added.", nil
}

func (s *Server) addAlias(r *http.Request, sess *session) (string, string, error) {
	c, back, err := s.openDomainFor(r, sess)
	if err != nil {
		return back, "", err
	}
	defer c.done()
	local, err := ValidLocal(r.PostForm.Get("local"))
	if err != nil {
		return back, "", err
	}
	dests, err := ParseDestinations(r.PostForm.Get("destinations"))
	if err != nil {
		return back, "", err
	}
	if len(dests) == 0 {
		return back, "", inputErr("Enter at least one destination for the alias.")
	}
	addr := local + "@" + c.dom.Name
	if err := addressFree(r.Context(), c, addr); err != nil {
		return back, "", err
	}
	if err := c.d.AddAlias(r.Context(), c.dom.Name, local, dests); err != nil {
		return back, "", err
	}
	return back, "Alias " + addr + " added.", nil
}

func (s *Server) setCatchAll(r *http.Request, sess *session) (string, string, error) {
	c, back, err := s.openDomainFor(r, sess)
	if err != nil {
		return back, "", err
	}
	defer c.done()
	dests, err := ParseDestinations(r.PostForm.Get("destinations"))
	if err != nil {
		return back, "", err
	}
	addr := "@" + c.dom.Name
	cur, err := c.d.FindMail(r.Context(), c.dom.Name, addr)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return back, "", err
	}
	switch {
	case len(dests) == 0 && cur == nil:
		return back, "There is no catch-all.", nil
	case len(dests) == 0:
		if err := c.d.Delete(r.Context(), cur.DN); err != nil {
			return back, "", err
		}
		return back, "Catch-all removed: mail to unknown addresses of " + c.dom.Name + " is refused.", nil
	case cur == nil:
		err = c.d.AddAlias(r.Context(), c.dom.Name, "", dests)
	default:
		err = c.d.SetDestinations(r.Context(), cur.DN, dests)
	}
	if err != nil {
		return back, "", err
	}
	return back, "Catch-all set.", nil
}

// entryData is the account and alias pages.
type entryData struct {
	Domain         string
	Account        *Account
	Alias          *Alias
	Site           bool
	CanAccounts    bool
	CanPostmasters bool
	Self           bool
	// Filter editing (accounts, when MailboxBase allows).
	FilterOn     bool
	FilterPath   string
	Filter       string
	FilterExists bool
	FilterNote   string
}

// openEntry opens the domain and finds the path's account or alias.
func (s *Server) openEntry(r *http.Request, sess *session, view bool) (*domainCtx, *Entry, error) {
	c, err := s.openDomain(r, sess, view)
	if err != nil {
		return nil, nil, err
	}
	local, err := ValidLocal(r.PathValue("local"))
	if err != nil {
		c.done()
		return nil, nil, fmt.Errorf("address: %w", ErrNotFound)
	}
	e, err := c.d.FindMail(r.Context(), c.dom.Name, local+"@"+c.dom.Name)
	if err != nil {
		c.done()
		return nil, nil, err
	}
	return c, e, nil
}

// Kinds of entry an entry action accepts (entryRule.kind).
const (
	anyEntry = iota
	accountEntry
	aliasEntry
)

// entryRule says what an action on the path's account or alias accepts:
// kind (anyEntry, accountEntry or aliasEntry), the message refusing the
// other kind, and whether the form's "return" field may send the user back
// to the domain page (the lists there post these actions too).
type entryRule struct {
	kind     int
	wrong    string
	toDomain bool
}

// openEntryFor opens the path's entry for an action (see openEntry) and
// returns the page to go back to: the entry's page, or the domain page
// when rule.toDomain and the form ask for it. An entry of the wrong kind
// is refused; on any error nothing is left open.
func (s *Server) openEntryFor(r *http.Request, sess *session, rule entryRule) (*domainCtx, *Entry, string, error) {
	c, e, err := s.openEntry(r, sess, false)
	if err != nil {
		return nil, nil, "", err
	}
	back := entryBack(c.dom.Name, e)
	if rule.toDomain {
		back = returnTo(r, c.dom.Name, back)
	}
	if (rule.kind == accountEntry && e.Account == nil) || (rule.kind == aliasEntry && e.Alias == nil) {
		c.done()
		return nil, nil, back, inputErr("%s", rule.wrong)
	}
	return c, e, back, nil
}

// openDomainFor opens the path's domain for an action (see openDomain) and
// returns its page to go back to ("/" when it cannot be opened).
func (s *Server) openDomainFor(r *http.Request, sess *session) (*domainCtx, string, error) {
	c, err := s.openDomain(r, sess, false)
	if err != nil {
		return nil, "/", err
	}
	return c, domainPath(c.dom.Name), nil
}

// addressFree fails with ErrExists when addr is taken in c's domain.
func addressFree(ctx context.Context, c *domainCtx, addr string) error {
	taken, err := addressExists(ctx, c.d, c.dom.Name, addr)
	if err == nil && taken {
		err = fmt.Errorf("%s: %w", addr, ErrExists)
	}
	return err
}

// switched is an action's outcome after setting a flag on or off: err, or
// the message for the new state.
func switched(back string, on bool, err error, onMsg, offMsg string) (string, string, error) {
	switch {
	case err != nil:
		return back, "", err
	case on:
		return back, onMsg, nil
	default:
		return back, offMsg, nil
	}
}

func accountPath(domain, local string) string {
	return domainPath(domain) + "/accounts/" + url.PathEscape(local)
}

func aliasPath(domain, local string) string {
	return domainPath(domain) + "/aliases/" + url.PathEscape(local)
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	c, e, err := s.openEntry(r, sess, true)
	if err != nil {
		return err
	}
	defer c.done()
	if e.Account == nil {
		http.Redirect(w, r, aliasPath(c.dom.Name, e.Alias.Local), http.StatusSeeOther)
		return nil
	}
	data := entryData{Domain: c.dom.Name, Account: e.Account, Site: c.site, CanAccounts: c.canAccounts(),
		CanPostmasters: c.canPostmasters(), Self: SameDN(e.DN, sess.dn)}
	if dir, ok := s.maildirOf(e.Account); ok {
		data.FilterOn, data.FilterPath = true, dir
		text, exists, err := readFilter(dir)
		switch {
		case err != nil:
			data.FilterNote = "The rules file cannot be read: " + err.Error()
		default:
			data.Filter, data.FilterExists = text, exists
		}
	}
	crumbs := []crumb{{"/domains", "Domains"}, {domainPath(c.dom.Name), c.dom.Name}, {"", e.Account.Mail}}
	s.render(w, r, sess, http.StatusOK, "account", e.Account.Mail, data, crumbs...)
	return nil
}

func (s *Server) aliasPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	c, e, err := s.openEntry(r, sess, true)
	if err != nil {
		return err
	}
	defer c.done()
	if e.Alias == nil {
		http.Redirect(w, r, accountPath(c.dom.Name, e.Account.Local), http.StatusSeeOther)
		return nil
	}
	data := entryData{Domain: c.dom.Name, Alias: e.Alias, Site: c.site, CanAccounts: c.canAccounts(),
		CanPostmasters: c.canPostmasters(), Self: SameDN(e.DN, sess.dn)}
	crumbs := []crumb{{"/domains", "Domains"}, {domainPath(c.dom.Name), c.dom.Name}, {"", e.Alias.Mail}}
	s.render(w, r, sess, http.StatusOK, "alias", e.Alias.Mail, data, crumbs...)
	return nil
}

// entryBack is the page of an entry.
func entryBack(domain string, e *Entry) string {
	if e.Account != nil {
		return accountPath(domain, e.Account.Local)
	}
	return aliasPath(domain, e.Alias.Local)
}

// storePassword sets dn's password as the configuration says.
func (s *Server) storePassword(ctx context.Context, d *Dir, dn, secret string, account bool) error {
	if s.cfg.PasswordHash == PasswordModifyOp {
		return d.PasswordModify(ctx, dn, secret)
	}
	v, err := password.Hash(s.cfg.PasswordHash, []byte(secret))
	if err != nil {
		return err
	}
	return d.SetPassword(ctx, dn, v, account)
}

func (s *Server) resetPassword(r *http.Request, sess *session) (string, string, error) {
	c, e, back, err := s.openEntryFor(r, sess, entryRule{kind: anyEntry})
	if err != nil {
		return back, "", err
	}
	defer c.done()
	addr := r.PathValue("local") + "@" + c.dom.Name
	pw := r.PostForm.Get("password")
	if err := CheckPassword(pw, r.PostForm.Get("confirm"), addr, s.cfg.MinPasswordLength); err != nil {
		return back, "", err
	}
	if err := s.storePassword(r.Context(), c.d, e.DN, pw, e.Account != nil); err != nil {
		return back, "", err
	}
	if SameDN(e.DN, sess.dn) {
		sess.setSecret(pw)
	}
	return back, "Password of " + addr + " changed.", nil
}

func (s *Server) setQuota(r *http.Request, sess *session) (string, string, error) {
	c, e, back, err := s.openEntryFor(r, sess, entryRule{kind: accountEntry, wrong: "Only accounts have a quota."})
	if err != nil {
		return back, "", err
	}
	defer c.done()
	q, err := ValidQuota(r.PostForm.Get("quota"))
	if err != nil {
		return back, "", err
	}
	if err := c.d.SetQuota(r.Context(), e.DN, q); err != nil {
		return back, "", err
	}
	if q == "" {
		return back, "Quota of " + e.Account.Mail + " removed.", nil
	}
	return back, "Quota of " + e.Account.Mail + " set to " + q + ".", nil
}

// returnTo honours a "return" field naming the domain page.
func returnTo(r *http.Request, domain, fallback string) string {
	if r.PostForm.Get("return") == "domain" {
		return domainPath(domain)
	}
	return fallback
}

func (s *Server) setAccountActive(r *http.Request, sess *session) (string, string, error) {
	c, e, back, err := s.openEntryFor(r, sess, entryRule{kind: accountEntry, wrong: "Not an account.", toDomain: true})
	if err != nil {
		return back, "", err
	}
	defer c.done()
	on := formBool(r, "active")
	return switched(back, on, c.d.SetActive(r.Context(), e.DN, on),
		e.Account.Mail+" is active.", e.Account.Mail+" is deactivated: it receives no mail and cannot log in.")
}

func (s *Server) markAccount(r *http.Request, sess *session) (string, string, error) {
	c, e, back, err := s.openEntryFor(r, sess, entryRule{kind: accountEntry, wrong: "Not an account.", toDomain: true})
	if err != nil {
		return back, "", err
	}
	defer c.done()
	if !c.canAccounts() {
		return back, "", refuse("deleting and restoring accounts is switched off for %s (ask the site admin).", c.dom.Name)
	}
	on := formBool(r, "delete")
	return switched(back, on, c.d.SetDelete(r.Context(), e.DN, on),
		e.Account.Mail+" is marked for deletion; it is removed with its mail at the next cleaning.", e.Account.Mail+" is restored.")
}

func (s *Server) setPostmaster(r *http.Request, sess *session) (string, string, error) {
	c, e, back, err := s.openEntryFor(r, sess, entryRule{kind: accountEntry, wrong: "Only accounts can be appointed postmasters.", toDomain: true})
	if err != nil {
		return back, "", err
	}
	defer c.done()
	if !c.canPostmasters() {
		return back, "", refuse("appointing postmasters is switched off for %s (ask the site admin).", c.dom.Name)
	}
	on := formBool(r, "postmaster")
	return switched(back, on, c.d.SetPostmaster(r.Context(), c.dom.Name, e.DN, on),
		e.Account.Mail+" is now a postmaster of "+c.dom.Name+".", e.Account.Mail+" is no longer a postmaster of "+c.dom.Name+".")
}

func (s *Server) aliasDestinations(r *http.Request, sess *session) (string, string, error) {
	c, e, back, err := s.openEntryFor(r, sess, entryRule{kind: aliasEntry, wrong: "Not an alias."})
	if err != nil {
		return back, "", err
	}
	defer c.done()
	dests, err := editDestinations(e.Alias.Destinations, r.PostForm["remove"], r.PostForm.Get("add"))
	if err != nil {
		return back, "", err
	}
	if err := c.d.SetDestinations(r.Context(), e.DN, dests); err != nil {
		return back, "", err
	}
	return back, "Destinations of " + e.Alias.Mail + " saved.", nil
}

// editDestinations removes the checked destinations and adds the typed
// ones, as Jamm's alias page does. An alias keeps at least one.
func editDestinations(cur, remove []string, add string) ([]string, error) {
	added, err := ParseDestinations(add)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range cur {
		if !slices.ContainsFunc(remove, func(x string) bool { return strings.EqualFold(x, d) }) {
			out = append(out, d)
		}
	}
	for _, d := range added {
		if !slices.ContainsFunc(out, func(x string) bool { return strings.EqualFold(x, d) }) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, inputErr("An alias needs at least one destination; delete the alias instead.")
	}
	if len(out) > maxDestinations {
		return nil, inputErr("Too many destinations (at most %d).", maxDestinations)
	}
	return out, nil
}

func (s *Server) setAliasActive(r *http.Request, sess *session) (string, string, error) {
	c, e, back, err := s.openEntryFor(r, sess, entryRule{kind: aliasEntry, wrong: "Not an alias.", toDomain: true})
	if err != nil {
		return back, "", err
	}
	defer c.done()
	on := formBool(r, "active")
	return switched(back, on, c.d.SetActive(r.Context(), e.DN, on), e.Alias.Mail+" is active.", e.Alias.Mail+" is deactivated.")
}

func (s *Server) deleteAlias(r *http.Request, sess *session) (string, string, error) {
	c, e, back, err := s.openEntryFor(r, sess, entryRule{kind: aliasEntry, wrong: "Accounts are marked for deletion, not deleted."})
	if err != nil {
		return back, "", err
	}
	defer c.done()
	if e.Alias.Role == "postmaster" || e.Alias.Role == "abuse" {
		return back, "", refuse("every domain keeps its postmaster and abuse addresses (RFC 2142).")
	}
	if !formBool(r, "confirm") {
		return back, "", inputErr("Tick the box to confirm the deletion.")
	}
	if err := c.d.Delete(r.Context(), e.DN); err != nil {
		return back, "", err
	}
	return domainPath(c.dom.Name), "Alias " + e.Alias.Mail + " deleted.", nil
}

// ownData is the user's own page.
type ownData struct {
	Entry *Entry
	Mail  string
}

func (s *Server) ownPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	if sess.role == RoleSiteAdmin {
		http.Redirect(w, r, "/domains", http.StatusSeeOther)
		return nil
	}
	d, done, err := s.connect(r.Context(), sess)
	if err != nil {
		return err
	}
	defer done()
	e, err := d.ReadEntry(r.Context(), sess.dn)
	if err != nil {
		return err
	}
	s.render(w, r, sess, http.StatusOK, "own", "Your account", ownData{Entry: e, Mail: sess.login})
	return nil
}

func (s *Server) ownPassword(r *http.Request, sess *session) (string, string, error) {
	back := "/account"
	if sess.role == RoleSiteAdmin {
		return "/domains", "", refuse("the site admin's password is the rootpw of the directory's configuration.")
	}
	cur := r.PostForm.Get("current")
	if subtle.ConstantTimeCompare([]byte(cur), []byte(sess.secret())) != 1 {
		return back, "", inputErr("Your current password is not right.")
	}
	pw := r.PostForm.Get("password")
	if pw == cur {
		return back, "", inputErr("The new password is the same as the current one.")
	}
	if err := CheckPassword(pw, r.PostForm.Get("confirm"), sess.login, s.cfg.MinPasswordLength); err != nil {
		return back, "", err
	}
	d, done, err := s.connect(r.Context(), sess)
	if err != nil {
		return back, "", err
	}
	defer done()
	if err := s.storePassword(r.Context(), d, sess.dn, pw, !sess.isAlias); err != nil {
		return back, "", err
	}
	sess.setSecret(pw)
	return back, "Your password has been changed. Use the new one in your mail program too.", nil
}

func (s *Server) ownDestinations(r *http.Request, sess *session) (string, string, error) {
	back := "/account"
	if !sess.isAlias {
		return back, "", inputErr("Only an alias has destinations.")
	}
	d, done, err := s.connect(r.Context(), sess)
	if err != nil {
		return back, "", err
	}
	defer done()
	e, err := d.ReadEntry(r.Context(), sess.dn)
	if err != nil {
		return back, "", err
	}
	if e.Alias == nil {
		return back, "", inputErr("Only an alias has destinations.")
	}
	dests, err := editDestinations(e.Alias.Destinations, r.PostForm["remove"], r.PostForm.Get("add"))
	if err != nil {
		return back, "", err
	}
	if err := d.SetDestinations(r.Context(), e.DN, dests); err != nil {
		return back, "", err
	}
	return back, "Your destinations have been saved.", nil
}
