package delivery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Account is a mail account entry (JammMailAccount) as the agent uses it.
type Account struct {
	// DN of the entry.
	DN string
	// Mail is the entry's mail value.
	Mail string
	// HomeDirectory and Mailbox give the maildir: HomeDirectory (or the
	// configured mailbox base) + "/" + Mailbox.
	HomeDirectory string
	Mailbox       string
	// Quota is the raw quota value ("" when absent).
	Quota string
}

// Directory answers the three questions of the HOWTO's Postfix maps. The
// LDAP type asks a directory server; tests may use a fake. Implementations
// must be safe for concurrent use. Errors mean the directory could not
// answer (the agent defers); "not found" is an empty answer.
type Directory interface {
	// Domain reports whether domain is served here: an active JammVirtualDomain
	// that is not marked for deletion, one level below the base.
	Domain(ctx context.Context, domain string) (bool, error)
	// Accounts returns the active, not delete-marked JammMailAccount
	// entries whose mail equals addr.
	Accounts(ctx context.Context, addr string) ([]Account, error)
	// Aliases returns the maildrop values of the active JammMailAlias
	// entries whose mail equals addr (a catch-all is looked up as "@domain").
	Aliases(ctx context.Context, addr string) ([]string, error)
}

// The filters of the HOWTO's Postfix maps (section 4.4.2); %s is replaced by
// the RFC 4515-escaped key.
const (
	DomainFilter  = "(&(jvd=%s)(objectClass=JammVirtualDomain)(accountActive=TRUE)(delete=FALSE))"
	AccountFilter = "(&(objectClass=JammMailAccount)(mail=%s)(accountActive=TRUE)(delete=FALSE))"
	AliasFilter   = "(&(objectClass=JammMailAlias)(mail=%s)(accountActive=TRUE))"
)

// LDAP is a Directory over LDAP (go-ldap). It keeps one connection, opened
// on first use by trying URIs in order, and reopens it after a failure.
// Operations are serialized on that connection. Each connect and each
// operation is bounded by Timeout and by the context (a cancelled context
// closes the connection, so nothing waits past it).
type LDAP struct {
	// URIs are ldap://, ldaps:// or ldapi:// URIs, tried in order.
	URIs []string
	// Base is the search base of all three lookups.
	Base string
	// BindDN and BindPassword: a simple bind when BindDN is set, else none
	// (anonymous, as the HOWTO's maps with bind = no).
	BindDN, BindPassword string
	// TLSConfig for ldaps:// (nil: system roots, server name from the URI).
	TLSConfig *tls.Config
	// Timeout bounds each connect and each operation (DefaultLDAPTimeout if 0).
	Timeout time.Duration

	mu   sync.Mutex
	conn *ldap.Conn
	uri  string
}

// NewLDAP returns an LDAP directory for the configuration, reading the bind
// password file and the CA file.
func NewLDAP(c *Config) (*LDAP, error) {
	d := &LDAP{URIs: c.LDAP, Base: c.Base, BindDN: c.BindDN, Timeout: c.LDAPTimeout}
	if c.BindDN != "" {
		if c.BindPasswordFile == "" {
			return nil, errors.New("bind_dn set without bind_password_file")
		}
		pw, err := os.ReadFile(c.BindPasswordFile)
		if err != nil {
			return nil, fmt.Errorf("read bind password: %w", err)
		}
		d.BindPassword = strings.TrimRight(string(pw), "\r\n")
	}
	if c.TLSCAFile != "" {
		pem, err := os.ReadFile(c.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("read ldap_tls_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ldap_tls_ca_file %s: no PEM certificates", c.TLSCAFile)
		}
		d.TLSConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return d, nil
}

// Close closes the connection, if open.
func (d *LDAP) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn != nil {
		err := d.conn.Close()
		d.conn = nil
		return err
	}
	return nil
}

func (d *LDAP) timeout(ctx context.Context) time.Duration {
	t := d.Timeout
	if t <= 0 {
		t = DefaultLDAPTimeout
	}
	if dl, ok := ctx.Deadline(); ok {
		if rest := time.Until(dl); rest < t {
			t = rest
		}
	}
	if t <= 0 {
		t = time.Millisecond
	}
	return t
}

// connect returns the open connection or opens one; reused says it was
// open before. Called with d.mu held.
func (d *LDAP) connect(ctx context.Context) (c *ldap.Conn, reused bool, err error) {
	if d.conn != nil && !d.conn.IsClosing() {
		return d.conn, true, nil
	}
	c, err = d.open(ctx)
	return c, false, err
}

// open dials the URIs in turn and keeps the first connection that works.
// Called with d.mu held.
func (d *LDAP) open(ctx context.Context) (*ldap.Conn, error) {
	d.conn = nil
	if len(d.URIs) == 0 {
		return nil, fmt.Errorf("%w: no LDAP URI configured", ErrDirectory)
	}
	var errs []error
	for _, uri := range d.URIs {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		c, err := d.dial(ctx, uri)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", uri, err))
			continue
		}
		d.conn, d.uri = c, uri
		return c, nil
	}
	return nil, fmt.Errorf("%w: %w", ErrDirectory, errors.Join(errs...))
}

func (d *LDAP) dial(ctx context.Context, uri string) (*ldap.Conn, error) {
	t := d.timeout(ctx)
	dialer := &net.Dialer{Timeout: t}
	if dl, ok := ctx.Deadline(); ok {
		dialer.Deadline = dl
	}
	opts := []ldap.DialOpt{ldap.DialWithDialer(dialer)}
	if d.TLSConfig != nil {
		opts = append(opts, ldap.DialWithTLSConfig(d.TLSConfig))
	}
	c, err := ldap.DialURL(uri, opts...)
	if err != nil {
		return nil, err
	}
	c.SetTimeout(t)
	if d.BindDN != "" {
		stop := context.AfterFunc(ctx, func() { c.Close() })
		err := c.Bind(d.BindDN, d.BindPassword)
		if !stop() {
			c.Close()
			return nil, ctx.Err()
		}
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("bind as %s: %w", d.BindDN, err)
		}
	}
	return c, nil
}

// search runs one search, connecting first if needed. A failed operation
// drops the connection, so the next call starts afresh. A network error
// on a connection opened by an earlier call (the server restarted, or a
// firewall dropped the idle connection: what a long-running LMTP server
// meets) is retried once on a new connection.
func (d *LDAP) search(ctx context.Context, base string, scope int, filter string, attrs []string) ([]*ldap.Entry, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, reused, err := d.connect(ctx)
	if err != nil {
		return nil, err
	}
	entries, err := d.searchOn(ctx, c, base, scope, filter, attrs)
	if err != nil && reused && ctx.Err() == nil && connectionLost(err) {
		if c, err = d.open(ctx); err != nil {
			return nil, err
		}
		entries, err = d.searchOn(ctx, c, base, scope, filter, attrs)
	}
	return entries, err
}

// connectionLost reports whether a search failed because the connection
// broke (no answer from the server, no time-out) rather than with a
// result the server sent.
func connectionLost(err error) bool {
	if strings.Contains(err.Error(), "timed out") {
		return false
	}
	var le *ldap.Error
	return !errors.As(err, &le) || le.ResultCode == ldap.ErrorNetwork
}

// searchOn runs one search on c; on failure it closes c and forgets it.
// Called with d.mu held.
func (d *LDAP) searchOn(ctx context.Context, c *ldap.Conn, base string, scope int, filter string, attrs []string) ([]*ldap.Entry, error) {
	t := d.timeout(ctx)
	c.SetTimeout(t)
	secs := int(t / time.Second)
	if secs < 1 {
		secs = 1
	}
	req := ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 0, secs, false, filter, attrs, nil)
	stop := context.AfterFunc(ctx, func() { c.Close() })
	res, err := c.Search(req)
	if !stop() {
		d.conn = nil
		return nil, fmt.Errorf("%w: %s: search %s: %w", ErrDirectory, d.uri, filter, ctx.Err())
	}
	if err != nil {
		c.Close()
		d.conn = nil
		return nil, fmt.Errorf("%w: %s: search %s: %w", ErrDirectory, d.uri, filter, err)
	}
	return res.Entries, nil
}

func attr(e *ldap.Entry, name string) string {
	v := e.GetEqualFoldAttributeValues(name)
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// Domain implements Directory.
func (d *LDAP) Domain(ctx context.Context, domain string) (bool, error) {
	es, err := d.search(ctx, d.Base, ldap.ScopeSingleLevel,
		fmt.Sprintf(DomainFilter, ldap.EscapeFilter(domain)), []string{"1.1"})
	if err != nil {
		return false, err
	}
	return len(es) > 0, nil
}

// Accounts implements Directory; entries come sorted by DN.
func (d *LDAP) Accounts(ctx context.Context, addr string) ([]Account, error) {
	es, err := d.search(ctx, d.Base, ldap.ScopeWholeSubtree,
		fmt.Sprintf(AccountFilter, ldap.EscapeFilter(addr)),
		[]string{"mail", "homeDirectory", "mailbox", "quota"})
	if err != nil {
		return nil, err
	}
	out := make([]Account, 0, len(es))
	for _, e := range es {
		out = append(out, Account{
			DN:            e.DN,
			Mail:          attr(e, "mail"),
			HomeDirectory: attr(e, "homeDirectory"),
			Mailbox:       attr(e, "mailbox"),
			Quota:         attr(e, "quota"),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DN < out[j].DN })
	return out, nil
}

// Aliases implements Directory; values of all matching entries, in the
// order of the entries sorted by DN.
func (d *LDAP) Aliases(ctx context.Context, addr string) ([]string, error) {
	es, err := d.search(ctx, d.Base, ldap.ScopeWholeSubtree,
		fmt.Sprintf(AliasFilter, ldap.EscapeFilter(addr)), []string{"maildrop"})
	if err != nil {
		return nil, err
	}
	sort.Slice(es, func(i, j int) bool { return es[i].DN < es[j].DN })
	var out []string
	for _, e := range es {
		out = append(out, e.GetEqualFoldAttributeValues("maildrop")...)
	}
	return out, nil
}
