package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"
)

// Login outcomes.
var (
	errBadLogin = errors.New("wrong login or password")
	errInactive = errors.New("account inactive")
)

// loginData is the login page.
type loginData struct {
	LoginCSRF string
	Login     string
	Error     string
	Notice    string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if s.current(r) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	d := loginData{}
	if r.URL.Query().Has("bye") {
		d.Notice = "You have logged out."
	}
	s.showLogin(w, r, http.StatusOK, d)
}

// showLogin renders the login form with a fresh login CSRF token
// (double-submitted: cookie and hidden field).
func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, d loginData) {
	d.LoginCSRF = newToken()
	s.setCookie(w, s.loginCookieName(), d.LoginCSRF, 3600)
	s.render(w, r, nil, status, "login", "Log in", d)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.showLogin(w, r, http.StatusBadRequest, loginData{Error: "The form could not be read."})
		return
	}
	c, err := r.Cookie(s.loginCookieName())
	if err != nil || !validCSRF(c.Value, r.PostForm.Get("csrf")) {
		s.showLogin(w, r, http.StatusForbidden, loginData{Error: "The login form had expired. Please try again."})
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("login"))
	pw := r.PostForm.Get("password")
	addr := s.clientAddr(r)
	userKey, addrKey := "u:"+strings.ToLower(name), "a:"+addr
	if b, wait := s.throttle.blocked(addrKey, maxFailsPerAddr); b {
		s.tooMany(w, r, name, wait)
		return
	}
	if b, wait := s.throttle.blocked(userKey, maxFailsPerUser); b {
		s.tooMany(w, r, name, wait)
		return
	}
	sess, err := s.authenticate(r.Context(), name, pw)
	switch {
	case errors.Is(err, errBadLogin):
		s.throttle.failed(addrKey)
		s.throttle.failed(userKey)
		s.log.Info("admin: login failed", "login", name, "addr", addr)
		s.showLogin(w, r, http.StatusUnauthorized, loginData{Login: name, Error: "Wrong login or password."})
		return
	case errors.Is(err, errInactive):
		s.log.Info("admin: login of an inactive entry", "login", name, "addr", addr)
		s.showLogin(w, r, http.StatusForbidden, loginData{Login: name, Error: "This account is not active. Ask your postmaster."})
		return
	case err != nil:
		s.log.Warn("admin: login error", "login", name, "addr", addr, "err", err)
		s.showLogin(w, r, http.StatusBadGateway, loginData{Login: name, Error: "The directory could not be reached. Try again in a moment."})
		return
	}
	s.throttle.reset(userKey)
	tok := s.sessions.create(sess)
	s.setCookie(w, s.cookieName(), tok, 0)
	s.setCookie(w, s.loginCookieName(), "", -1)
	s.log.Info("admin: login", "login", name, "role", sess.role.String(), "addr", addr)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, name string, wait time.Duration) {
	min := int(wait.Minutes()) + 1
	w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
	s.log.Warn("admin: login throttled", "login", name, "addr", s.clientAddr(r))
	s.showLogin(w, r, http.StatusTooManyRequests, loginData{Login: name,
		Error: fmt.Sprintf("Too many failed logins. Try again in %d minute(s).", min)})
}

// authenticate checks a login as Jamm does and returns a session (not yet
// stored): RootLogin binds as RootDN; any other name is looked up by
// (mail=NAME) under Base (anonymously) and bound as that entry, which
// must be an active account or alias.
func (s *Server) authenticate(ctx context.Context, name, pw string) (*session, error) {
	if name == "" || pw == "" || len(name) > 256 || len(pw) > maxPasswordLen || !utf8.ValidString(name) {
		return nil, errBadLogin
	}
	c, closeFn, err := dial(ctx, s.cfg.LDAPURL, s.cfg.LDAPTLS, s.cfg.LDAPTimeout)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	if s.cfg.RootDN != "" && name == s.cfg.RootLogin {
		if err := c.Bind(s.cfg.RootDN, pw); err != nil {
			return nil, bindErr(err)
		}
		return &session{login: name, dn: s.cfg.RootDN, password: []byte(pw), role: RoleSiteAdmin}, nil
	}
	req := ldap.NewSearchRequest(s.cfg.Base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 2, 0, false,
		"(mail="+ldap.EscapeFilter(name)+")", []string{"objectClass", "accountActive"}, nil)
	res, err := c.Search(req)
	if err != nil {
		if ldap.IsErrorAnyOf(err, ldap.LDAPResultSizeLimitExceeded, ldap.LDAPResultNoSuchObject) {
			return nil, errBadLogin
		}
		return nil, fmt.Errorf("look up %s: %w", name, err)
	}
	if len(res.Entries) != 1 {
		return nil, errBadLogin
	}
	e := res.Entries[0]
	isAlias := hasClass(e, "JammMailAlias")
	if !isAlias && !hasClass(e, "JammMailAccount") {
		return nil, errBadLogin
	}
	if err := c.Bind(e.DN, pw); err != nil {
		return nil, bindErr(err)
	}
	if !boolAttr(e, "accountActive") {
		return nil, errInactive
	}
	d := &Dir{Conn: c, Base: s.cfg.Base}
	domains, err := d.PostmasterOf(ctx, e.DN)
	if err != nil {
		return nil, err
	}
	role := RoleUser
	if len(domains) > 0 {
		role = RoleDomainAdmin
	}
	return &session{login: strings.ToLower(name), dn: e.DN, password: []byte(pw), role: role,
		isAlias: isAlias, domains: domains}, nil
}

func bindErr(err error) error {
	if ldap.IsErrorAnyOf(err, ldap.LDAPResultInvalidCredentials, ldap.LDAPResultUnwillingToPerform,
		ldap.LDAPResultInappropriateAuthentication) {
		return errBadLogin
	}
	return fmt.Errorf("bind: %w", err)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	sess := s.current(r)
	if sess != nil {
		if err := r.ParseForm(); err != nil || !validCSRF(sess.csrf, r.PostForm.Get("csrf")) {
			s.render(w, r, sess, http.StatusForbidden, "message", "Form expired", messageData{
				Heading: "This form has expired", Text: "Reload the page and try again.", Link: "/", LinkText: "Home"})
			return
		}
		s.sessions.end(sess)
		s.log.Info("admin: logout", "login", sess.login, "addr", s.clientAddr(r))
	}
	s.setCookie(w, s.cookieName(), "", -1)
	http.Redirect(w, r, "/login?bye=1", http.StatusSeeOther)
}

// home sends each role to its first page.
func (s *Server) home(w http.ResponseWriter, r *http.Request, sess *session) error {
	switch {
	case sess.role == RoleSiteAdmin:
		http.Redirect(w, r, "/domains", http.StatusSeeOther)
	case sess.role == RoleDomainAdmin && len(sess.domains) == 1:
		http.Redirect(w, r, "/domains/"+sess.domains[0], http.StatusSeeOther)
	case sess.role == RoleDomainAdmin:
		http.Redirect(w, r, "/domains", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	}
	return nil
}
