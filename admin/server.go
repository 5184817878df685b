package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"
)

//go:embed templates/*.html static/admin.css
var assets embed.FS

// maxFormBytes bounds a request body (a filter file is at most
// maxFilterBytes).
const maxFormBytes = 256 << 10

// Server is the web administration: an http.Handler. Create it with New
// and call Close when done to end the sessions and stop the session
// sweeper.
type Server struct {
	cfg      Config
	handler  http.Handler
	mux      *http.ServeMux
	pages    map[string]*template.Template
	css      []byte
	cssPath  string
	sessions *sessions
	throttle *throttle
	log      *slog.Logger

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// New checks cfg and returns a Server. It does not contact the directory:
// every request connects on its own.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		sessions: newSessions(cfg.IdleTimeout, cfg.SessionLifetime, cfg.MaxSessions, cfg.Now),
		throttle: newThrottle(cfg.Now),
		log:      cfg.Logger,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if s.css, err = assets.ReadFile("static/admin.css"); err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	sum := sha256.Sum256(s.css)
	s.cssPath = "/static/admin.css?v=" + hex.EncodeToString(sum[:6])
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	s.routes()
	cop := http.NewCrossOriginProtection()
	s.handler = s.secure(cop.Handler(s.mux))
	go s.sweeper()
	return s, nil
}

// ServeHTTP serves the application.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Close ends every session, wiping the passwords, and stops the sweeper.
// The handler keeps answering (with the login page) afterwards.
func (s *Server) Close() error {
	s.stopOnce.Do(func() {
		close(s.stop)
		<-s.done
		s.sessions.endAll()
	})
	return nil
}

// sweeper ends expired sessions every minute (or every idle timeout, when
// shorter), so their passwords do not outlive them in memory.
func (s *Server) sweeper() {
	defer close(s.done)
	every := time.Minute
	if s.cfg.IdleTimeout < every {
		every = s.cfg.IdleTimeout
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.sessions.sweep()
		}
	}
}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"join": strings.Join,
		"path": url.PathEscape,
		"dests": func(csrf, action string, list []string) destForm {
			return destForm{CSRF: csrf, Action: action, Destinations: list}
		},
	}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("admin: templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "partials" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("admin: template %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// secure sets the security headers of every response and bounds bodies.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if s.cfg.Secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
			h.Set("Pragma", "no-cache")
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		next.ServeHTTP(w, r)
	})
}

// routes registers the handlers; see the package documentation of the
// report for the list.
func (s *Server) routes() {
	m := http.NewServeMux()
	s.mux = m
	m.HandleFunc("GET /{$}", s.page(s.home))
	m.HandleFunc("GET /static/admin.css", s.serveCSS)
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("POST /logout", s.logout)

	m.HandleFunc("GET /domains", s.page(s.domainsPage))
	m.HandleFunc("POST /domains", s.action(s.addDomain))
	m.HandleFunc("POST /domains/{domain}/settings", s.action(s.domainSettings))
	m.HandleFunc("GET /domains/{domain}", s.page(s.domainPage))
	m.HandleFunc("POST /domains/{domain}/accounts", s.action(s.addAccount))
	m.HandleFunc("POST /domains/{domain}/aliases", s.action(s.addAlias))
	m.HandleFunc("POST /domains/{domain}/catchall", s.action(s.setCatchAll))

	m.HandleFunc("GET /domains/{domain}/accounts/{local}", s.page(s.accountPage))
	m.HandleFunc("POST /domains/{domain}/accounts/{local}/password", s.action(s.resetPassword))
	m.HandleFunc("POST /domains/{domain}/accounts/{local}/quota", s.action(s.setQuota))
	m.HandleFunc("POST /domains/{domain}/accounts/{local}/active", s.action(s.setAccountActive))
	m.HandleFunc("POST /domains/{domain}/accounts/{local}/delete", s.action(s.markAccount))
	m.HandleFunc("POST /domains/{domain}/accounts/{local}/postmaster", s.action(s.setPostmaster))
	m.HandleFunc("POST /domains/{domain}/accounts/{local}/filter", s.action(s.saveFilter))

	m.HandleFunc("GET /domains/{domain}/aliases/{local}", s.page(s.aliasPage))
	m.HandleFunc("POST /domains/{domain}/aliases/{local}/destinations", s.action(s.aliasDestinations))
	m.HandleFunc("POST /domains/{domain}/aliases/{local}/active", s.action(s.setAliasActive))
	m.HandleFunc("POST /domains/{domain}/aliases/{local}/delete", s.action(s.deleteAlias))
	m.HandleFunc("POST /domains/{domain}/aliases/{local}/password", s.action(s.resetPassword))

	m.HandleFunc("GET /account", s.page(s.ownPage))
	m.HandleFunc("POST /account/password", s.action(s.ownPassword))
	m.HandleFunc("POST /account/destinations", s.action(s.ownDestinations))

	m.HandleFunc("/", s.notFound)
}

func (s *Server) serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(s.css)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	sess := s.current(r)
	s.render(w, r, sess, http.StatusNotFound, "message", "Page not found", messageData{
		Heading: "Page not found", Text: "There is no page at this address."})
}

// cookieName is the session cookie's name: with the __Host- prefix under
// TLS (the browser then insists on Secure, Path=/ and no Domain).
func (s *Server) cookieName() string {
	if s.cfg.Secure {
		return "__Host-hostdir-session"
	}
	return "hostdir-session"
}

func (s *Server) loginCookieName() string {
	if s.cfg.Secure {
		return "__Host-hostdir-login"
	}
	return "hostdir-login"
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.cfg.Secure, SameSite: http.SameSiteStrictMode,
	})
}

// current returns the request's live session, or nil.
func (s *Server) current(r *http.Request) *session {
	c, err := r.Cookie(s.cookieName())
	if err != nil {
		return nil
	}
	return s.sessions.get(c.Value)
}

// clientAddr is the address login throttling counts.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if s.cfg.TrustProxy {
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
				parts := strings.Split(xff[len(xff)-1], ",")
				if p := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(p) != nil {
					host = p
				}
			}
		}
	}
	return host
}

// pageFunc renders a page for a logged-in session.
type pageFunc func(w http.ResponseWriter, r *http.Request, sess *session) error

// page wraps a GET handler: it requires a session and turns errors into
// pages with the right status.
func (s *Server) page(fn pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := s.current(r)
		if sess == nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if err := fn(w, r, sess); err != nil {
			s.fail(w, r, sess, err)
		}
	}
}

// actionFunc performs a form post. It returns the page to go back to and
// the message to show there.
type actionFunc func(r *http.Request, sess *session) (back, msg string, err error)

// action wraps a POST handler: it requires a session and a valid CSRF
// token; on success it redirects (303) to back with the message; on
// failure it shows back with the error and the error's status.
func (s *Server) action(fn actionFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := s.current(r)
		if sess == nil {
			s.render(w, r, nil, http.StatusUnauthorized, "message", "Session ended", messageData{
				Heading: "Your session has ended", Text: "Log in again to continue.", Link: "/login", LinkText: "Log in"})
			return
		}
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, sess, inputErr("The form could not be read."))
			return
		}
		if !validCSRF(sess.csrf, r.PostForm.Get("csrf")) {
			s.render(w, r, sess, http.StatusForbidden, "message", "Form expired", messageData{
				Heading: "This form has expired", Text: "Go back, reload the page and try again.", Link: "/", LinkText: "Home"})
			return
		}
		back, msg, err := fn(r, sess)
		if err != nil {
			s.logChange(r, sess, err)
			if back == "" || errors.Is(err, errSessionGone) {
				s.fail(w, r, sess, err)
				return
			}
			status, text := describe(err)
			sess.setFlash("error", text)
			s.redisplay(w, r, back, status)
			return
		}
		s.logChange(r, sess, nil)
		if msg != "" {
			sess.setFlash("ok", msg)
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
}

func validCSRF(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

func (s *Server) logChange(r *http.Request, sess *session, err error) {
	if err != nil {
		s.log.Info("admin: refused", "login", sess.login, "path", r.URL.Path, "addr", s.clientAddr(r), "err", err)
		return
	}
	s.log.Info("admin: change", "login", sess.login, "path", r.URL.Path, "addr", s.clientAddr(r))
}

// statusWriter forces the status of a page shown after a failed action.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote && code == http.StatusOK {
		code = w.status
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// redisplay shows the GET page at back (with the flash just set) under
// the given status.
func (s *Server) redisplay(w http.ResponseWriter, r *http.Request, back string, status int) {
	u, err := url.Parse(back)
	if err != nil {
		u = &url.URL{Path: "/"}
	}
	g := r.Clone(r.Context())
	g.Method = http.MethodGet
	g.URL = u
	g.RequestURI = back
	g.Body = http.NoBody
	g.Form, g.PostForm = nil, nil
	g.ContentLength = 0
	s.mux.ServeHTTP(&statusWriter{ResponseWriter: w, status: status}, g)
}

// describe gives an error's HTTP status and the text shown.
func describe(err error) (int, string) {
	var in *InputError
	var ref *refusal
	switch {
	case errors.As(err, &in):
		return http.StatusBadRequest, in.Msg
	case errors.As(err, &ref):
		return http.StatusForbidden, "Not allowed: " + ref.msg
	case errors.Is(err, ErrNotAllowed):
		return http.StatusForbidden, "Not allowed: your login may not make this change."
	case errors.Is(err, ErrExists):
		return http.StatusConflict, "That address or domain already exists."
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, "Not found: the entry does not exist (any more)."
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "The request took too long."
	}
	var le *ldap.Error
	if errors.As(err, &le) {
		if le.ResultCode >= ldap.ErrorNetwork {
			return http.StatusBadGateway, "The directory could not be reached. Try again in a moment."
		}
		return http.StatusBadGateway, fmt.Sprintf("The directory refused the change: %s.",
			ldap.LDAPResultCodeMap[le.ResultCode])
	}
	return http.StatusInternalServerError, "The change could not be made; the details are in the server's log."
}

// refusal is an application rule saying no (ErrNotAllowed with a reason).
type refusal struct{ msg string }

func (r *refusal) Error() string { return "not allowed: " + r.msg }
func (r *refusal) Unwrap() error { return ErrNotAllowed }

func refuse(format string, a ...any) error { return &refusal{msg: fmt.Sprintf(format, a...)} }

// fail shows an error page for err.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, sess *session, err error) {
	if errors.Is(err, errSessionGone) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	status, text := describe(err)
	if status >= 500 {
		s.log.Warn("admin: error", "path", r.URL.Path, "err", err)
	}
	heading := http.StatusText(status)
	if status == http.StatusForbidden {
		heading = "Not allowed"
	}
	s.render(w, r, sess, status, "message", heading, messageData{Heading: heading, Text: text, Link: "/", LinkText: "Home"})
}

// destForm is the destinations editor of the alias pages.
type destForm struct {
	CSRF, Action string
	Destinations []string
}

// messageData is the "message" page.
type messageData struct {
	Heading, Text, Link, LinkText string
}

// crumb is one step of the breadcrumb trail.
type crumb struct{ Href, Text string }

// pageData is what every template receives.
type pageData struct {
	Title   string
	CSS     string
	Login   string
	Role    string
	IsSite  bool
	IsAdmin bool // site or domain admin
	CSRF    string
	Flash   *flash
	Crumbs  []crumb
	Data    any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, sess *session, status int, name, title string, data any, crumbs ...crumb) {
	t := s.pages[name]
	pd := pageData{Title: title, CSS: s.cssPath, Data: data, Crumbs: crumbs}
	if sess != nil {
		pd.Login, pd.Role, pd.CSRF = sess.login, sess.role.String(), sess.csrf
		pd.IsSite = sess.role == RoleSiteAdmin
		pd.IsAdmin = sess.role != RoleUser
		pd.Flash = sess.takeFlash()
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, pd); err != nil {
		s.log.Error("admin: template", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errSessionGone: the session's credentials no longer bind.
var errSessionGone = errors.New("session credentials no longer valid")

// connect opens a connection bound as the session's identity.
func (s *Server) connect(ctx context.Context, sess *session) (*Dir, func(), error) {
	c, closeFn, err := dial(ctx, s.cfg.LDAPURL, s.cfg.LDAPTLS, s.cfg.LDAPTimeout)
	if err != nil {
		return nil, nil, err
	}
	if err := c.Bind(sess.dn, sess.secret()); err != nil {
		closeFn()
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			s.sessions.end(sess)
			return nil, nil, errSessionGone
		}
		return nil, nil, mapLDAP("bind", err)
	}
	return &Dir{Conn: c, Base: s.cfg.Base, Now: s.cfg.Now}, closeFn, nil
}
