package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"hostdir/admin"
)

// adminUsage is printed on a command-line error.
const adminUsage = `Usage: hostdir admin --ldap URI --base DN [options]
	--ldap URI		the directory: ldap://host:port, ldaps://host:port or ldapi://socket
	--base DN		Jamm's base, the parent of the jvd= entries
				(the HOWTO's o=hosting,dc=myhosting,dc=example)
	--listen addr		HTTP listener (default 127.0.0.1:8080); plain HTTP only on loopback
	--tls-cert file		serve HTTPS with this certificate (PEM) ...
	--tls-key file		... and this key
	--root-dn DN		the rootdn the "root" login binds as (none: no site admin)
	--root-login name	the site admin's login name (default root)
	--password-hash s	scheme of new passwords: {SSHA} (default), {SSHA512}, {CRYPT},
				{ARGON2}, ... or "exop" to use the Password Modify operation
	--min-password n	shortest password accepted (default 8)
	--home-directory dir	homeDirectory of new accounts (default /home/vmail/domains)
	--mailbox-base dir	edit filter rules of maildirs below dir (run on the mail host)
	--ldap-ca file		CA certificates (PEM) for ldaps://
	--trust-proxy		take the client address from X-Forwarded-For of a loopback proxy
	--idle-timeout d	end sessions idle this long (default 30m)
	--session-lifetime d	end sessions this long after login (default 12h)
`

// adminOptions are the parsed options of `hostdir admin`.
type adminOptions struct {
	cfg      admin.Config
	listen   string
	certFile string
	keyFile  string
	caFile   string
}

func parseAdminArgs(args []string) (*adminOptions, error) {
	o := &adminOptions{}
	fs := flag.NewFlagSet("hostdir admin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.cfg.LDAPURL, "ldap", "", "")
	fs.StringVar(&o.cfg.Base, "base", "", "")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "")
	fs.StringVar(&o.certFile, "tls-cert", "", "")
	fs.StringVar(&o.keyFile, "tls-key", "", "")
	fs.StringVar(&o.caFile, "ldap-ca", "", "")
	fs.StringVar(&o.cfg.RootDN, "root-dn", "", "")
	fs.StringVar(&o.cfg.RootLogin, "root-login", admin.DefaultRootLogin, "")
	fs.StringVar(&o.cfg.PasswordHash, "password-hash", admin.DefaultPasswordHash, "")
	fs.IntVar(&o.cfg.MinPasswordLength, "min-password", admin.DefaultMinPassword, "")
	fs.StringVar(&o.cfg.HomeDirectory, "home-directory", admin.DefaultHomeDirectory, "")
	fs.StringVar(&o.cfg.MailboxBase, "mailbox-base", "", "")
	fs.BoolVar(&o.cfg.TrustProxy, "trust-proxy", false, "")
	fs.DurationVar(&o.cfg.IdleTimeout, "idle-timeout", admin.DefaultIdleTimeout, "")
	fs.DurationVar(&o.cfg.SessionLifetime, "session-lifetime", admin.DefaultSessionLifetime, "")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.cfg.LDAPURL == "":
		return nil, errors.New("--ldap is required")
	case o.cfg.Base == "":
		return nil, errors.New("--base is required")
	case (o.certFile == "") != (o.keyFile == ""):
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	o.cfg.Secure = o.certFile != ""
	if err := admin.CheckListenAddr(o.listen, o.cfg.Secure); err != nil {
		return nil, err
	}
	return o, nil
}

// Admin implements `hostdir admin`: the web administration (Jamm's site
// admin, domain admin and user pages) for any LDAP directory with the
// Jamm schema. It serves until ctx ends. The result is the exit code: 0,
// 1 on a runtime error, 64 on a usage error.
func Admin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseAdminArgs(args)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "hostdir admin: %v\n", err)
		}
		fmt.Fprint(stderr, adminUsage)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 64
	}
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: stderr}, nil))
	o.cfg.Logger = logger
	if o.caFile != "" {
		tc, err := ldapTLS(o.caFile)
		if err != nil {
			fmt.Fprintf(stderr, "hostdir admin: %v\n", err)
			return 1
		}
		o.cfg.LDAPTLS = tc
	}
	var tlsConf *tls.Config
	if o.certFile != "" {
		cert, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
		if err != nil {
			fmt.Fprintf(stderr, "hostdir admin: TLS certificate: %v\n", err)
			return 1
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	srv, err := admin.New(o.cfg)
	if err != nil {
		fmt.Fprintf(stderr, "hostdir admin: %v\n", err)
		return 1
	}
	defer srv.Close()
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", o.listen)
	if err != nil {
		fmt.Fprintf(stderr, "hostdir admin: %v\n", err)
		return 1
	}
	scheme := "http"
	if tlsConf != nil {
		scheme = "https"
	}
	fmt.Fprintf(stderr, "hostdir admin: serving %s://%s/ for %s (base %s)\n", scheme, l.Addr(), o.cfg.LDAPURL, o.cfg.Base)
	if err := admin.Serve(ctx, l, srv, tlsConf, logger); err != nil {
		fmt.Fprintf(stderr, "hostdir admin: %v\n", err)
		return 1
	}
	return 0
}

// ldapTLS returns a TLS configuration trusting the CA certificates of a
// PEM file.
func ldapTLS(caFile string) (*tls.Config, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--ldap-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ldap-ca %s: no certificate found", caFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}
