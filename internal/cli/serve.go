package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"hostdir/admin"
	"hostdir/directory"
	"hostdir/directory/bootstrap"
	"hostdir/directory/config"
	"hostdir/directory/dn"
	"hostdir/directory/password"
)

// DefaultListen is where `hostdir serve` listens with the default
// configuration: loopback and an unprivileged port, so that it runs
// without root.
const DefaultListen = "ldap://127.0.0.1:3389/"

// slapdDefaultListen is slapd's default -h, used with -f.
const slapdDefaultListen = "ldap:///"

// shutdownGrace is how long a stopping server lets operations in progress
// finish before closing their connections.
const shutdownGrace = 10 * time.Second

// serveUsage is printed on a command-line error.
const serveUsage = `Usage: hostdir serve [options]
	-f, --config file	slapd.conf (default: hostdir's built-in configuration,
				the HOWTO's, with its data in $HOSTDIR_DATA or ./hostdir-data)
	-h, --listen URLs	listener URLs, space-separated (ldap://, ldaps://, ldapi://);
				default ldap://127.0.0.1:3389/ (ldap:/// with -f)
	--data dir		database directory, overriding the configuration's
	-d, --debug level	log level (numbers or names: stats, acl, any, ...) to stderr
	-u user			run as this user once the listeners are open (when root)
	-g group		run as this group once the listeners are open (when root)
	-F dir			refused: cn=config directories are not supported
	--admin-listen addr	also serve the web admin on this HTTP address (e.g. 127.0.0.1:8080);
				plain HTTP only on loopback
	--admin-tls		serve the web admin over HTTPS with the configuration's
				TLSCertificateFile and TLSCertificateKeyFile
	--admin-base DN		Jamm's base for the web admin (default o=hosting,SUFFIX)
	--admin-home-directory dir	homeDirectory of accounts the web admin adds
				(default the --admin-mailbox-base, else /home/vmail/domains)
	--admin-mailbox-base dir	let the web admin edit filter rules of maildirs below dir
	--admin-password-hash s	scheme of passwords the web admin sets (default the
				configuration's password-hash; "exop": Password Modify)
	--admin-trust-proxy	take the client address from X-Forwarded-For of a loopback proxy
	-l facility		accepted for slapd compatibility (logs go to stderr)
	-4, -6, -n name, -o opt, -s level	accepted for slapd compatibility
`

// serveOptions are the parsed options of `hostdir serve`.
type serveOptions struct {
	file     string
	confDir  string
	listen   []string
	dataDir  string
	debug    []string
	user     string
	group    string
	chroot   string
	tool     string
	facility string
	admin    adminServeOptions
}

// adminServeOptions are the --admin-* options of `hostdir serve`.
type adminServeOptions struct {
	listen, base, homeDirectory, mailboxBase, passwordHash string
	tls, trustProxy                                        bool
}

func parseServeArgs(args []string) (*serveOptions, error) {
	o := &serveOptions{}
	fs := flag.NewFlagSet("hostdir serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.file, "f", "", "")
	fs.StringVar(&o.file, "config", "", "")
	fs.StringVar(&o.confDir, "F", "", "")
	listen := func(s string) error { o.listen = append(o.listen, strings.Fields(s)...); return nil }
	fs.Func("h", "", listen)
	fs.Func("listen", "", listen)
	fs.StringVar(&o.dataDir, "data", "", "")
	debug := func(s string) error { o.debug = append(o.debug, s); return nil }
	fs.Func("d", "", debug)
	fs.Func("debug", "", debug)
	fs.StringVar(&o.user, "u", "", "")
	fs.StringVar(&o.group, "g", "", "")
	fs.StringVar(&o.chroot, "r", "", "")
	fs.StringVar(&o.tool, "T", "", "")
	fs.StringVar(&o.facility, "l", "", "")
	fs.Bool("4", false, "")
	fs.Bool("6", false, "")
	fs.String("n", "", "")
	fs.String("o", "", "")
	fs.String("s", "", "")
	fs.String("c", "", "")
	fs.StringVar(&o.admin.listen, "admin-listen", "", "")
	fs.BoolVar(&o.admin.tls, "admin-tls", false, "")
	fs.StringVar(&o.admin.base, "admin-base", "", "")
	fs.StringVar(&o.admin.homeDirectory, "admin-home-directory", "", "")
	fs.StringVar(&o.admin.mailboxBase, "admin-mailbox-base", "", "")
	fs.StringVar(&o.admin.passwordHash, "admin-password-hash", "", "")
	fs.BoolVar(&o.admin.trustProxy, "admin-trust-proxy", false, "")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := o.admin.check(); err != nil {
		return nil, err
	}
	switch {
	case o.confDir != "":
		return nil, errConfigDir
	case o.chroot != "":
		return nil, errors.New("-r: chroot is not supported; use systemd's RootDirectory= or a container")
	case o.tool != "":
		return nil, fmt.Errorf("-T %s: slapd's tool mode: use hostdir import (slapadd), hostdir export (slapcat), hostdir check (slaptest) or hostdir passwd (slappasswd)", o.tool)
	}
	return o, nil
}

// logLevelNames are the names slapd's -d and loglevel accept.
var logLevelNames = map[string]config.LogLevel{
	"trace": config.LogTrace, "packets": config.LogPackets, "args": config.LogArgs, "conns": config.LogConns,
	"ber": config.LogBER, "filter": config.LogFilter, "config": config.LogConfig, "acl": config.LogACL,
	"stats": config.LogStats, "stats2": config.LogStats2, "shell": config.LogShell, "parse": config.LogParse,
	"sync": config.LogSync, "none": config.LogNone, "any": config.LogAny,
}

// parseLogLevel reads -d arguments: numbers (decimal, 0x hex, -1) or
// names, several joined with commas or given with several -d.
func parseLogLevel(args []string) (config.LogLevel, error) {
	var lv config.LogLevel
	for _, arg := range args {
		for _, a := range strings.FieldsFunc(arg, func(r rune) bool { return r == ',' || r == ' ' }) {
			if v, ok := logLevelNames[strings.ToLower(a)]; ok {
				lv |= v
				continue
			}
			var n int64
			var err error
			if strings.HasPrefix(a, "0x") || strings.HasPrefix(a, "0X") {
				n, err = strconv.ParseInt(a[2:], 16, 64)
			} else {
				n, err = strconv.ParseInt(a, 10, 32)
			}
			if err != nil || n < -1 || n > 0x7fffffff {
				return 0, fmt.Errorf("-d %s: unknown debug level %q", arg, a)
			}
			lv |= config.LogLevel(n)
		}
	}
	return lv, nil
}

// Serve implements `hostdir serve`, hostdir's slapd: it runs the LDAP
// server in the foreground until ctx ends (SIGINT or SIGTERM in main), then
// shuts down gracefully. With no -f it runs hostdir's default
// configuration (the HOWTO's slapd.conf, config.Default) with its data in
// $HOSTDIR_DATA or ./hostdir-data: the first start creates the HOWTO's
// base tree and a root password, printed once (only its {SSHA} hash is
// stored, in DATA/rootpw). Listeners open before the user and group change
// (-u, -g, when root), as slapd's do; the stores are opened after it.
// Messages and logs go to stderr.
func Serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const prog = "hostdir"
	o, err := parseServeArgs(args)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "hostdir serve: %v\n", err)
		}
		fmt.Fprint(stderr, serveUsage)
		return 1
	}
	if err := serve(ctx, o, stdout, stderr); err != nil {
		configError(prog, stderr, err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, o *serveOptions, stdout, stderr io.Writer) error {
	out := newLogWriter(stderr, 0) // batched: one write(2) per few ms of log lines
	defer out.Close()
	cfg, err := bootstrap.LoadConfig(o.file, o.dataDir)
	if err != nil {
		return err
	}
	for _, n := range cfg.Notices {
		fmt.Fprintf(out, "hostdir: %s:%d: notice: %s\n", n.File, n.Line, n.Msg)
	}
	level := cfg.LogLevel
	if len(o.debug) > 0 {
		if level, err = parseLogLevel(o.debug); err != nil {
			return err
		}
	}
	if o.facility != "" {
		fmt.Fprintf(out, "hostdir: -l %s: syslog is not used; logs go to stderr\n", o.facility)
	}
	listen := strings.Join(o.listen, " ")
	if listen == "" {
		listen = slapdDefaultListen
		if o.file == "" {
			listen = DefaultListen
		}
	}

	// The web admin's settings and certificate are read before the user
	// change too (key files are often readable by root only).
	var web *webAdmin
	if o.admin.listen != "" {
		if web, err = newWebAdmin(cfg, o.admin); err != nil {
			return err
		}
	}

	// Listeners first, with a server that has no database (it only
	// carries the TLS configuration for ldaps://), then the user change,
	// then the stores: slapd's order.
	lcfg := *cfg
	lcfg.Databases = nil
	lsrv, err := directory.New(&lcfg, nil, directory.Options{})
	if err != nil {
		return err
	}
	ls, err := lsrv.Listen(listen)
	if err != nil {
		return err
	}
	if web != nil {
		var lc net.ListenConfig
		if web.l, err = lc.Listen(ctx, "tcp", o.admin.listen); err != nil {
			for _, l := range ls {
				l.Close()
			}
			return fmt.Errorf("--admin-listen: %w", err)
		}
	}
	closeListeners := func() {
		for _, l := range ls {
			l.Close()
			if l.Addr().Network() == "unix" {
				os.Remove(l.Addr().String())
			}
		}
		if web != nil {
			web.l.Close()
		}
	}
	if err := dropPrivileges(o.user, o.group); err != nil {
		closeListeners()
		return err
	}

	// First start of the default configuration: root password and base tree.
	var first *bootstrap.FirstStart
	if o.file == "" {
		first, err = bootstrap.InitDefault(ctx, cfg, cfg.Databases[0], &bootstrap.Stamper{})
		if err != nil {
			closeListeners()
			if ctx.Err() != nil {
				// stopped (SIGINT, SIGTERM) while starting
				fmt.Fprintln(out, "hostdir: stopped")
				return nil
			}
			return err
		}
	}

	logger := slog.New(&lineHandler{w: out})
	srv, err := directory.Open(cfg, directory.Options{Logger: logger, LogLevel: &level, LogLines: out})
	if err != nil {
		closeListeners()
		return err
	}
	if err := writeRunFiles(cfg); err != nil {
		closeListeners()
		srv.Shutdown(context.Background())
		return err
	}
	defer removeRunFiles(cfg)

	lus, _ := directory.ParseListenURLs(listen) // Listen parsed them already
	urls := make([]string, len(ls))
	schemes := make([]string, len(ls))
	for i, l := range ls {
		schemes[i] = "ldap"
		if i < len(lus) {
			schemes[i] = lus[i].Scheme
		}
		urls[i] = listenerURL(schemes[i], l.Addr())
		fmt.Fprintf(out, "hostdir: listening on %s\n", urls[i])
	}
	var adminSrv *admin.Server
	if web != nil {
		if adminSrv, err = web.start(schemes, ls, logger); err != nil {
			closeListeners()
			srv.Shutdown(context.Background())
			return err
		}
		defer adminSrv.Close()
		fmt.Fprintf(out, "hostdir: %s\n", web.banner())
	}
	printHowToBind(out, cfg, o, first, urls)

	// The web admin stops first, when the server is asked to stop or a
	// listener fails, so that its requests in progress still reach the
	// directory.
	adminCtx, stopAdmin := context.WithCancel(ctx)
	defer stopAdmin()
	adminErr := make(chan error, 1)
	if web != nil {
		go func() { adminErr <- admin.Serve(adminCtx, web.l, adminSrv, web.tls, logger) }()
	}

	errc := make(chan error, len(ls))
	var wg sync.WaitGroup
	for _, l := range ls {
		wg.Add(1)
		go func(l net.Listener) {
			defer wg.Done()
			err := srv.Serve(ctx, l)
			if l.Addr().Network() == "unix" {
				os.Remove(l.Addr().String())
			}
			errc <- err
		}(l)
	}
	var serveErr error
	adminDone := web == nil
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		// a listener failed: stop the others too
	case err := <-adminErr:
		// the web admin's listener failed: stop everything
		adminDone = true
		serveErr = fmt.Errorf("web admin: %w", err)
	}
	fmt.Fprintln(out, "hostdir: shutting down")
	stopAdmin()
	if !adminDone {
		// admin.Serve bounds its own graceful shutdown.
		if err := <-adminErr; err != nil && serveErr == nil {
			serveErr = fmt.Errorf("web admin: %w", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	shutErr := srv.Shutdown(sctx)
	closeListeners()
	wg.Wait()
	if serveErr != nil && !errors.Is(serveErr, directory.ErrServerClosed) && !errors.Is(serveErr, context.Canceled) {
		return serveErr
	}
	if shutErr != nil {
		return fmt.Errorf("shutdown: %w", shutErr)
	}
	fmt.Fprintln(out, "hostdir: stopped")
	return nil
}

// printHowToBind prints the first-start lines (created entries, the
// password once) and the command to bind as the root DN.
func printHowToBind(w io.Writer, cfg *config.Config, o *serveOptions, first *bootstrap.FirstStart, urls []string) {
	if first != nil && len(first.Created) > 0 {
		fmt.Fprintf(w, "hostdir: first start: created %s\n", strings.Join(first.Created, ", "))
	}
	if len(urls) == 0 {
		return
	}
	url := urls[0]
	for _, u := range urls {
		if strings.HasPrefix(u, "ldap://") {
			url = u
			break
		}
	}
	for _, d := range cfg.Databases {
		if d.RootDNRaw == "" || d.RootPW == "" || len(d.SuffixesRaw) == 0 {
			continue
		}
		root, suffix := d.RootDNRaw, d.SuffixesRaw[0]
		if p, _, err := cfg.Schema.PrettyNormalDN(root); err == nil {
			root = p
		}
		if p, _, err := cfg.Schema.PrettyNormalDN(suffix); err == nil {
			suffix = p
		}
		if first != nil && first.Password != "" {
			fmt.Fprintf(w, "hostdir: rootdn password (shown once): %s\n", first.Password)
			fmt.Fprintf(w, "hostdir: try: ldapsearch -x -H %s -D %q -w %s -b %q\n", url, root, first.Password, suffix)
			continue
		}
		fmt.Fprintf(w, "hostdir: try: ldapsearch -x -H %s -D %q -W -b %q\n", url, root, suffix)
		if first != nil && o.file == "" {
			fmt.Fprintf(w, "hostdir: (-W asks for the rootdn password shown on first start; for a new one, stop the server, remove %s and start again)\n",
				filepath.Join(d.Directory, bootstrap.RootPWFile))
		}
	}
}

// listenerURL formats a listener's address as an LDAP URL.
func listenerURL(scheme string, a net.Addr) string {
	if a.Network() == "unix" {
		return "ldapi://" + strings.ReplaceAll(url.PathEscape(a.String()), "/", "%2F") + "/"
	}
	return scheme + "://" + a.String() + "/"
}

// dropPrivileges changes to group and user (names or numbers) when given.
// Only root may; it is refused otherwise, as slapd's -u/-g are.
func dropPrivileges(userName, groupName string) error {
	if userName == "" && groupName == "" {
		return nil
	}
	uid, gid := -1, -1
	if userName != "" {
		u, err := user.Lookup(userName)
		if err != nil {
			if u, err = user.LookupId(userName); err != nil {
				return fmt.Errorf("-u %s: no such user", userName)
			}
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	}
	if groupName != "" {
		g, err := user.LookupGroup(groupName)
		if err != nil {
			if g, err = user.LookupGroupId(groupName); err != nil {
				return fmt.Errorf("-g %s: no such group", groupName)
			}
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	if os.Geteuid() != 0 {
		if uid == os.Geteuid() && (gid == -1 || gid == os.Getegid()) {
			return nil
		}
		return errors.New("-u/-g: only root can change its user or group")
	}
	if gid >= 0 {
		if err := syscall.Setgroups([]int{gid}); err != nil {
			return fmt.Errorf("setgroups: %w", err)
		}
		if err := syscall.Setgid(gid); err != nil {
			return fmt.Errorf("setgid %d: %w", gid, err)
		}
	}
	if uid >= 0 {
		if err := syscall.Setuid(uid); err != nil {
			return fmt.Errorf("setuid %d: %w", uid, err)
		}
	}
	return nil
}

// writeRunFiles writes the pidfile and argsfile the configuration names.
func writeRunFiles(cfg *config.Config) error {
	if cfg.PidFile != "" {
		if err := os.WriteFile(cfg.PidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("pidfile: %w", err)
		}
	}
	if cfg.ArgsFile != "" {
		if err := os.WriteFile(cfg.ArgsFile, []byte(strings.Join(os.Args, " ")+"\n"), 0o644); err != nil {
			return fmt.Errorf("argsfile: %w", err)
		}
	}
	return nil
}

// removeRunFiles removes them at shutdown, as slapd does.
func removeRunFiles(cfg *config.Config) {
	if cfg.PidFile != "" {
		os.Remove(cfg.PidFile)
	}
	if cfg.ArgsFile != "" {
		os.Remove(cfg.ArgsFile)
	}
}

// lockedWriter serializes writes from the log handler and the banner.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// lineHandler is a slog.Handler writing one line per record, as slapd -d
// writes to stderr: a timestamp, the level when not INFO, the message and
// the attributes as key=value.
type lineHandler struct {
	w     io.Writer
	attrs []slog.Attr
}

// Enabled implements slog.Handler: the server filters by its log level.
func (h *lineHandler) Enabled(context.Context, slog.Level) bool { return true }

// Handle implements slog.Handler.
func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	b := make([]byte, 0, 128)
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	b = t.AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00 ")
	if r.Level != slog.LevelInfo {
		b = append(b, r.Level.String()...)
		b = append(b, ' ')
	}
	b = append(b, r.Message...)
	add := func(a slog.Attr) bool {
		b = append(b, ' ')
		b = append(b, a.Key...)
		b = append(b, '=')
		b = append(b, a.Value.String()...)
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	b = append(b, '\n')
	_, err := h.w.Write(b)
	return err
}

// WithAttrs implements slog.Handler.
func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &lineHandler{w: h.w, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

// WithGroup implements slog.Handler (groups are flattened).
func (h *lineHandler) WithGroup(string) slog.Handler { return h }

// check refuses --admin-* options without --admin-listen, and plain HTTP
// on anything but loopback (passwords travel in the login form).
func (a *adminServeOptions) check() error {
	if a.listen == "" {
		if a.tls || a.trustProxy || a.base != "" || a.homeDirectory != "" || a.mailboxBase != "" || a.passwordHash != "" {
			return errors.New("the --admin-* options need --admin-listen")
		}
		return nil
	}
	if err := admin.CheckListenAddr(a.listen, a.tls); err != nil {
		return fmt.Errorf("--admin-listen: %w (or give --admin-tls)", err)
	}
	return nil
}

// webAdmin is the web administration `hostdir serve` runs on its own
// HTTP listener beside the LDAP server, talking to that server over LDAP.
type webAdmin struct {
	// cfg is complete but for LDAPURL and LDAPTLS, known once the LDAP
	// listeners are open.
	cfg admin.Config
	// tls serves HTTPS (nil: plain HTTP, on loopback).
	tls *tls.Config
	// leaf is the server's own certificate (DER), the one trusted when
	// the admin must reach the server over ldaps://.
	leaf []byte
	// l is the HTTP listener.
	l net.Listener
}

// newWebAdmin works out the web admin's configuration from slapd.conf and
// the --admin-* options: Jamm's base (default "o=hosting," and the first
// suffix), the rootdn of the database holding it (the "root" login), the
// password scheme (default the configuration's password-hash) and, with
// --admin-tls, the configuration's certificate.
func newWebAdmin(cfg *config.Config, o adminServeOptions) (*webAdmin, error) {
	w := &webAdmin{}
	base := o.base
	if base == "" {
		for _, d := range cfg.Databases {
			if len(d.SuffixesRaw) > 0 {
				base = "o=hosting," + d.SuffixesRaw[0]
				break
			}
		}
		if base == "" {
			return nil, errors.New("--admin-listen: the configuration has no database suffix; give --admin-base")
		}
	}
	pretty, norm, err := cfg.Schema.PrettyNormalDN(base)
	if err != nil {
		return nil, fmt.Errorf("--admin-base %q: %w", base, err)
	}
	var db *config.Database
	for _, d := range cfg.Databases {
		for _, s := range d.Suffixes {
			if dn.IsUnder(norm, s) && db == nil {
				db = d
			}
		}
	}
	if db == nil {
		return nil, fmt.Errorf("--admin-base %s: not under any suffix of the configuration", pretty)
	}
	rootDN := ""
	if db.RootDNRaw != "" {
		rootDN = db.RootDNRaw
		if p, _, err := cfg.Schema.PrettyNormalDN(rootDN); err == nil {
			rootDN = p
		}
	}
	hash := o.passwordHash
	if hash == "" {
		hash = admin.DefaultPasswordHash
		if len(cfg.PasswordHash) > 0 && password.CanHash(cfg.PasswordHash[0]) &&
			!strings.EqualFold(cfg.PasswordHash[0], "{CLEARTEXT}") {
			hash = cfg.PasswordHash[0]
		}
	}
	home := o.homeDirectory
	if home == "" {
		home = o.mailboxBase
	}
	w.cfg = admin.Config{
		Base:          pretty,
		RootDN:        rootDN,
		PasswordHash:  hash,
		HomeDirectory: home,
		MailboxBase:   o.mailboxBase,
		Secure:        o.tls,
		TrustProxy:    o.trustProxy,
	}
	if cfg.TLS.CertificateFile != "" && cfg.TLS.CertificateKeyFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertificateFile, cfg.TLS.CertificateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS certificate: %w", err)
		}
		w.leaf = cert.Certificate[0]
		if o.tls {
			w.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
	} else if o.tls {
		return nil, errors.New("--admin-tls: the configuration has no TLSCertificateFile and TLSCertificateKeyFile")
	}
	return w, nil
}

// start points the web admin at the server's own listeners and creates
// it: ldapi:// when there is one, else the first ldap:// listener, else
// the first ldaps:// one (trusting exactly the server's certificate).
// Listeners on every address are reached on loopback.
func (w *webAdmin) start(schemes []string, ls []net.Listener, logger *slog.Logger) (*admin.Server, error) {
	u, ldaps := adminLDAPURL(schemes, ls)
	if u == "" {
		return nil, errors.New("--admin-listen: the server has no LDAP listener the web admin can use")
	}
	cfg := w.cfg
	cfg.LDAPURL = u
	if ldaps {
		if w.leaf == nil {
			return nil, errors.New("--admin-listen: ldaps:// without a TLS certificate")
		}
		cfg.LDAPTLS = pinnedTLS(w.leaf)
	}
	cfg.Logger = logger
	srv, err := admin.New(cfg)
	if err != nil {
		return nil, err
	}
	w.cfg = cfg
	return srv, nil
}

// adminLDAPURL chooses the listener the web admin uses; ldaps reports
// that it is an ldaps:// one.
func adminLDAPURL(schemes []string, ls []net.Listener) (u string, ldaps bool) {
	pick := func(scheme string) string {
		for i, l := range ls {
			if i >= len(schemes) || schemes[i] != scheme {
				continue
			}
			a := l.Addr()
			if a.Network() == "unix" {
				return listenerURL(scheme, a)
			}
			if ta, ok := a.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
				ip := net.IPv6loopback
				if ta.IP.To4() != nil {
					ip = net.IPv4(127, 0, 0, 1)
				}
				a = &net.TCPAddr{IP: ip, Port: ta.Port}
			}
			return listenerURL(scheme, a)
		}
		return ""
	}
	if u := pick("ldapi"); u != "" {
		return u, false
	}
	if u := pick("ldap"); u != "" {
		return u, false
	}
	u = pick("ldaps")
	return u, u != ""
}

// pinnedTLS is a client TLS configuration that trusts exactly one
// certificate, the server's own: the web admin dials its own process, by
// an address the certificate may not name.
func pinnedTLS(leaf []byte) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The chain and name checks are replaced by VerifyConnection's
		// comparison with the one certificate this process serves.
		InsecureSkipVerify: true, //nolint:gosec // pinned below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, leaf) {
				return errors.New("the LDAP server's certificate is not this server's own")
			}
			return nil
		},
	}
}

// banner is the line telling where the web admin is.
func (w *webAdmin) banner() string {
	scheme := "http"
	if w.tls != nil {
		scheme = "https"
	}
	how := "log in as root with the rootdn password"
	if w.cfg.RootDN == "" {
		how = "no rootdn: postmasters and users log in with their e-mail address"
	}
	return fmt.Sprintf("web admin on %s://%s/ (%s)", scheme, w.l.Addr(), how)
}
