package admin

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"hostdir/directory/password"
)

// PasswordModifyOp is the Config.PasswordHash value that makes the
// application set passwords through the LDAP Password Modify extended
// operation (RFC 3062), letting the directory hash them.
const PasswordModifyOp = "exop"

// Defaults of the Config fields left zero.
const (
	DefaultRootLogin       = "root"
	DefaultPasswordHash    = "{SSHA}"
	DefaultHomeDirectory   = "/home/vmail/domains"
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultSessionLifetime = 12 * time.Hour
	DefaultMaxSessions     = 10000
	DefaultMinPassword     = 8
	DefaultLDAPTimeout     = 15 * time.Second
)

// Config configures a Server. LDAPURL and Base are required.
type Config struct {
	// LDAPURL is the directory: ldap://host:port, ldaps://host:port or
	// ldapi://socket.
	LDAPURL string
	// LDAPTLS is the TLS configuration for ldaps:// (nil: system roots).
	LDAPTLS *tls.Config
	// LDAPTimeout bounds each LDAP operation; default DefaultLDAPTimeout.
	LDAPTimeout time.Duration

	// Base is Jamm's search base, the parent of the jvd= entries (the
	// HOWTO's o=hosting,dc=myhosting,dc=example).
	Base string
	// RootLogin is the login name that binds as RootDN; default "root".
	RootLogin string
	// RootDN is the rootdn the site admin binds as; empty disables the
	// site admin login.
	RootDN string

	// PasswordHash is the scheme of new userPassword values ("{SSHA}",
	// "{SSHA512}", "{CRYPT}", "{ARGON2}", ...; default "{SSHA}"), or
	// PasswordModifyOp to let the directory hash them.
	PasswordHash string
	// MinPasswordLength is the shortest password accepted; default 8.
	MinPasswordLength int

	// HomeDirectory is the homeDirectory of new accounts; default
	// "/home/vmail/domains". New mailboxes are "domain/local/" below it.
	HomeDirectory string
	// MailboxBase enables the editing of virtual users' filter rules
	// (the file .hostdir-filter in homeDirectory/mailbox) when the
	// application runs on the mail host: only maildirs below this
	// directory are touched. Empty hides the feature.
	MailboxBase string

	// Secure marks the cookies Secure (with the __Host- prefix) and sends
	// Strict-Transport-Security: set it when serving over TLS.
	Secure bool
	// TrustProxy takes the client address from the last X-Forwarded-For
	// value when the connection comes from a loopback address (a reverse
	// proxy on the same host); used for login throttling and logs.
	TrustProxy bool

	// IdleTimeout ends a session unused for this long; default 30 minutes.
	IdleTimeout time.Duration
	// SessionLifetime ends every session this long after login; default
	// 12 hours.
	SessionLifetime time.Duration
	// MaxSessions bounds the number of live sessions; default 10000.
	MaxSessions int

	// Logger receives one line per login, logout and change (never a
	// password); nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

// withDefaults validates c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	if c.LDAPURL == "" {
		return c, errors.New("admin: no LDAP URL")
	}
	if c.Base == "" {
		return c, errors.New("admin: no base DN")
	}
	if _, err := ldap.ParseDN(c.Base); err != nil {
		return c, fmt.Errorf("admin: base DN %q: %w", c.Base, err)
	}
	if c.RootDN != "" {
		if _, err := ldap.ParseDN(c.RootDN); err != nil {
			return c, fmt.Errorf("admin: root DN %q: %w", c.RootDN, err)
		}
	}
	if c.RootLogin == "" {
		c.RootLogin = DefaultRootLogin
	}
	if c.PasswordHash == "" {
		c.PasswordHash = DefaultPasswordHash
	}
	if c.PasswordHash != PasswordModifyOp && !password.CanHash(c.PasswordHash) {
		return c, fmt.Errorf("admin: password hash %q: unknown scheme", c.PasswordHash)
	}
	if strings.EqualFold(c.PasswordHash, "{CLEARTEXT}") {
		return c, errors.New("admin: password hash {CLEARTEXT} would store passwords in clear text")
	}
	if c.MinPasswordLength <= 0 {
		c.MinPasswordLength = DefaultMinPassword
	}
	if c.HomeDirectory == "" {
		c.HomeDirectory = DefaultHomeDirectory
	}
	if !filepath.IsAbs(c.HomeDirectory) {
		return c, fmt.Errorf("admin: home directory %q is not absolute", c.HomeDirectory)
	}
	if c.MailboxBase != "" {
		if !filepath.IsAbs(c.MailboxBase) {
			return c, fmt.Errorf("admin: mailbox base %q is not absolute", c.MailboxBase)
		}
		c.MailboxBase = filepath.Clean(c.MailboxBase)
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.SessionLifetime <= 0 {
		c.SessionLifetime = DefaultSessionLifetime
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = DefaultMaxSessions
	}
	if c.LDAPTimeout <= 0 {
		c.LDAPTimeout = DefaultLDAPTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}
