package peers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Paths of the Debian slapd programs and files StartSlapd uses.
const (
	SlapdPath   = "/usr/sbin/slapd"
	SlapaddPath = "/usr/sbin/slapadd"
	// SlapdModulePath is where Debian installs back_mdb and the overlays.
	SlapdModulePath = "/usr/lib/ldap"
	// DebianSchemaDir holds core.schema, cosine.schema, nis.schema, ...
	DebianSchemaDir = "/etc/ldap/schema"
)

// DefaultSchemas returns the schema files the HOWTO's slapd.conf includes
// before jamm.schema: core, cosine, nis and inetorgperson from Debian.
func DefaultSchemas() []string {
	names := []string{"core", "cosine", "nis", "inetorgperson"}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = filepath.Join(DebianSchemaDir, n+".schema")
	}
	return out
}

// DefaultIndexes are the HOWTO's index lines (section 4.3.1).
var DefaultIndexes = []string{"objectClass pres,eq", "mail,cn eq,sub"}

// SlapdOptions describe the slapd.conf StartSlapd writes. The zero value gives
// the HOWTO's database: suffix dc=myhosting,dc=example, rootdn
// cn=Manager,dc=myhosting,dc=example with password "secret", Debian's core,
// cosine, nis and inetorgperson schemas, the HOWTO's indexes, no ACLs (slapd's
// default: read access for all) and an empty database.
type SlapdOptions struct {
	// Suffix of the mdb database; default "dc=myhosting,dc=example".
	Suffix string
	// RootDN; default "cn=Manager," + Suffix.
	RootDN string
	// RootPW as written into slapd.conf (clear text or {SSHA}...); default "secret".
	RootPW string
	// Schemas to include, in order; nil means DefaultSchemas().
	Schemas []string
	// ExtraSchemas are included after Schemas (e.g. the repository's jamm.schema).
	ExtraSchemas []string
	// Indexes are "attrs kinds" lines for the index directive; nil means DefaultIndexes.
	Indexes []string
	// Modules are loaded besides back_mdb (e.g. "memberof").
	Modules []string
	// GlobalConfig is raw slapd.conf text placed before the database section
	// (e.g. "sizelimit 10", "loglevel stats").
	GlobalConfig string
	// DatabaseConfig is raw slapd.conf text placed at the end of the database
	// section: ACLs ("access to ..."), limits, overlays.
	DatabaseConfig string
	// Databases are further mdb databases after the first one, each with
	// its own suffix, rootdn and rootpw (and no indexes).
	Databases []SlapdDatabase
	// LDIF is loaded with slapadd before slapd starts.
	LDIF string
	// LDIFFiles are loaded with slapadd, in order, after LDIF.
	LDIFFiles []string
	// LDAPI makes slapd listen on a unix socket too (Slapd.LDAPIURL).
	LDAPI bool
	// DebugLevel is the argument of slapd -d; default "0" (foreground, quiet).
	// "stats" or "-1" help when a test fails.
	DebugLevel string
	// StartTimeout bounds the wait until slapd answers; default 15s.
	StartTimeout time.Duration
}

// SlapdDatabase is one more mdb database of SlapdOptions.Databases.
type SlapdDatabase struct {
	// Suffix of the database. Required.
	Suffix string
	// RootDN; default "cn=Manager," + Suffix.
	RootDN string
	// RootPW as written into slapd.conf; default "secret".
	RootPW string
}

// withDefaults fills in the defaults the SlapdOptions fields document.
func (o SlapdOptions) withDefaults() SlapdOptions {
	if o.Suffix == "" {
		o.Suffix = "dc=myhosting,dc=example"
	}
	if o.RootDN == "" {
		o.RootDN = "cn=Manager," + o.Suffix
	}
	if o.RootPW == "" {
		o.RootPW = "secret"
	}
	if o.Schemas == nil {
		o.Schemas = DefaultSchemas()
	}
	if o.Indexes == nil {
		o.Indexes = DefaultIndexes
	}
	if o.DebugLevel == "" {
		o.DebugLevel = "0"
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 15 * time.Second
	}
	dbs := make([]SlapdDatabase, len(o.Databases))
	for i, db := range o.Databases {
		if db.RootDN == "" {
			db.RootDN = "cn=Manager," + db.Suffix
		}
		if db.RootPW == "" {
			db.RootPW = "secret"
		}
		dbs[i] = db
	}
	o.Databases = dbs
	return o
}

// Slapd is a running slapd started by StartSlapd.
type Slapd struct {
	// URL is ldap://127.0.0.1:PORT/.
	URL string
	// LDAPIURL is the ldapi:// URL of the unix socket ("" unless LDAPI was set).
	LDAPIURL string
	// Port is the TCP port on 127.0.0.1.
	Port int
	// Dir is the temporary directory with slapd.conf, the database and logs.
	Dir string
	// ConfigPath is the generated slapd.conf.
	ConfigPath string
	// Suffix, RootDN and RootPW repeat the effective options.
	Suffix, RootDN, RootPW string

	proc *proc
}

// StartSlapd writes a slapd.conf from opts into a temporary directory, loads
// the LDIF with slapadd, starts slapd on a free loopback port and waits until
// it answers an LDAP search of the root DSE. slapd is stopped at t.Cleanup;
// its output is logged when the test failed. Without /usr/sbin/slapd the test
// is skipped (or fails when CI=true).
func StartSlapd(t testing.TB, opts SlapdOptions) *Slapd {
	t.Helper()
	RequireProgram(t, SlapdPath)
	RequireProgram(t, SlapaddPath)
	opts = opts.withDefaults()

	dir := t.TempDir()
	s := &Slapd{Dir: dir, Suffix: opts.Suffix, RootDN: opts.RootDN, RootPW: opts.RootPW}
	dbDir := filepath.Join(dir, "db")
	if err := os.Mkdir(dbDir, 0o700); err != nil {
		t.Fatalf("peers: %v", err)
	}
	var sock string
	if opts.LDAPI {
		sock = ldapiSocket(t)
		s.LDAPIURL = "ldapi://" + url.PathEscape(sock)
	}
	s.ConfigPath = filepath.Join(dir, "slapd.conf")
	if err := writeSlapdConf(s.ConfigPath, opts, dir, dbDir); err != nil {
		t.Fatalf("peers: %v", err)
	}

	for _, l := range ldifFiles(t, dir, opts) {
		out, err := exec.Command(SlapaddPath, "-f", s.ConfigPath, "-l", l).CombinedOutput()
		if err != nil {
			t.Fatalf("peers: slapadd -l %s: %v\n%s\nslapd.conf:\n%s", l, err, out, readFile(s.ConfigPath))
		}
	}

	lastErr := onFreePort(t, func(_, port int) (bool, error) {
		err := s.start(opts, port, sock)
		// Retry only an early exit (such as a port taken meanwhile).
		return !s.Running() && errors.Is(err, errExited), err
	})
	if lastErr == nil {
		t.Cleanup(func() {
			s.Stop()
			if t.Failed() {
				t.Logf("slapd output (%s):\n%s", s.URL, s.Logs())
			}
		})
		return s
	}
	// slapd -d 0 prints nothing; slaptest says what is wrong with the config.
	test, _ := exec.Command(SlapdPath, "-Tt", "-f", s.ConfigPath).CombinedOutput()
	t.Fatalf("peers: slapd did not start: %v\nslapd.conf:\n%s\noutput:\n%s\nslaptest:\n%s",
		lastErr, readFile(s.ConfigPath), s.Logs(), test)
	return nil
}

// ldapiSocket returns the path of a unix socket in a new directory removed
// at t.Cleanup. A unix socket path must stay under about 100 bytes;
// t.TempDir() paths carry the test name and can be longer.
func ldapiSocket(t testing.TB) string {
	t.Helper()
	sdir, err := os.MkdirTemp("", "ldapi")
	if err != nil {
		t.Fatalf("peers: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(sdir) })
	return filepath.Join(sdir, "s")
}

// ldifFiles returns the LDIF files to load for opts, in order: opts.LDIF
// (written into dir) first, then opts.LDIFFiles.
func ldifFiles(t testing.TB, dir string, opts SlapdOptions) []string {
	t.Helper()
	var ldifs []string
	if opts.LDIF != "" {
		p := filepath.Join(dir, "load.ldif")
		if err := os.WriteFile(p, []byte(opts.LDIF), 0o600); err != nil {
			t.Fatalf("peers: %v", err)
		}
		ldifs = append(ldifs, p)
	}
	return append(ldifs, opts.LDIFFiles...)
}

// writeSlapdConf writes slapdConf's text to path and makes the
// directories of opts.Databases (dir/db1, dir/db2, ...).
func writeSlapdConf(path string, opts SlapdOptions, dir, dbDir string) error {
	for i := range opts.Databases {
		if err := os.MkdirAll(extraDBDir(dir, i), 0o700); err != nil {
			return fmt.Errorf("database directory: %w", err)
		}
	}
	if err := os.WriteFile(path, []byte(slapdConf(opts, dir, dbDir)), 0o600); err != nil {
		return fmt.Errorf("write slapd.conf: %w", err)
	}
	return nil
}

// extraDBDir is the directory of opts.Databases[i].
func extraDBDir(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("db%d", i+1)) }

func readFile(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// slapdConf renders the configuration text.
func slapdConf(opts SlapdOptions, dir, dbDir string) string {
	var b strings.Builder
	b.WriteString("# generated by hostdir/internal/peers\n")
	for _, s := range append(append([]string(nil), opts.Schemas...), opts.ExtraSchemas...) {
		fmt.Fprintf(&b, "include %s\n", quoteConf(s))
	}
	fmt.Fprintf(&b, "pidfile %s\n", quoteConf(filepath.Join(dir, "slapd.pid")))
	fmt.Fprintf(&b, "argsfile %s\n", quoteConf(filepath.Join(dir, "slapd.args")))
	fmt.Fprintf(&b, "modulepath %s\n", SlapdModulePath)
	b.WriteString("moduleload back_mdb\n")
	for _, m := range opts.Modules {
		fmt.Fprintf(&b, "moduleload %s\n", m)
	}
	if opts.GlobalConfig != "" {
		b.WriteString(strings.TrimRight(opts.GlobalConfig, "\n") + "\n")
	}
	b.WriteString("\ndatabase mdb\n")
	b.WriteString("maxsize 268435456\n")
	fmt.Fprintf(&b, "suffix %s\n", quoteConf(opts.Suffix))
	fmt.Fprintf(&b, "rootdn %s\n", quoteConf(opts.RootDN))
	fmt.Fprintf(&b, "rootpw %s\n", quoteConf(opts.RootPW))
	fmt.Fprintf(&b, "directory %s\n", quoteConf(dbDir))
	for _, ix := range opts.Indexes {
		fmt.Fprintf(&b, "index %s\n", ix)
	}
	if opts.DatabaseConfig != "" {
		b.WriteString(strings.TrimRight(opts.DatabaseConfig, "\n") + "\n")
	}
	for i, db := range opts.Databases {
		b.WriteString("\ndatabase mdb\n")
		b.WriteString("maxsize 268435456\n")
		fmt.Fprintf(&b, "suffix %s\n", quoteConf(db.Suffix))
		fmt.Fprintf(&b, "rootdn %s\n", quoteConf(db.RootDN))
		fmt.Fprintf(&b, "rootpw %s\n", quoteConf(db.RootPW))
		fmt.Fprintf(&b, "directory %s\n", quoteConf(extraDBDir(dir, i)))
	}
	return b.String()
}

// quoteConf quotes a slapd.conf argument.
func quoteConf(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// start runs slapd on port and waits until it answers.
func (s *Slapd) start(opts SlapdOptions, port int, sock string) error {
	s.Port = port
	s.URL = fmt.Sprintf("ldap://127.0.0.1:%d/", port)
	urls := s.URL
	if sock != "" {
		urls += " " + s.LDAPIURL
	}
	p, err := startProc(exec.Command(SlapdPath, "-f", s.ConfigPath, "-h", urls, "-d", opts.DebugLevel), false)
	if err != nil {
		return err
	}
	s.proc = p
	// An anonymous root DSE search answers once slapd is ready.
	ctx, cancel := context.WithTimeout(context.Background(), opts.StartTimeout)
	defer cancel()
	if err := p.waitReady(ctx, 20*time.Millisecond, func(context.Context) error { return pingURL(s.URL) }); err != nil {
		s.Stop()
		return fmt.Errorf("slapd on %s: %w", s.URL, err)
	}
	return nil
}

// Logs returns what slapd wrote to stdout and stderr so far.
func (s *Slapd) Logs() string { return s.proc.output() }

// Stop terminates slapd (SIGTERM, then SIGKILL after 5s) and waits for it.
// Calling Stop more than once is harmless; tests call it to make the
// directory unreachable.
func (s *Slapd) Stop() { s.proc.stop(5 * time.Second) }

// Running reports whether the slapd process is still alive.
func (s *Slapd) Running() bool { return s.proc.running() }

// Bind opens a connection to s.URL bound as the rootdn; closed at t.Cleanup.
func (s *Slapd) Bind(t testing.TB) *ldap.Conn {
	t.Helper()
	return bindURL(t, s.URL, s.RootDN, s.RootPW)
}

// bindURL opens a connection to u bound as dn; closed at t.Cleanup.
func bindURL(t testing.TB, u, dn, pw string) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(u, ldap.DialWithDialer(shortDialer()))
	if err != nil {
		t.Fatalf("peers: dial %s: %v", u, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetTimeout(10 * time.Second)
	if err := c.Bind(dn, pw); err != nil {
		t.Fatalf("peers: bind %s: %v", dn, err)
	}
	return c
}

// PortString is Port as a string, for configs that want "host:port" parts.
func (s *Slapd) PortString() string { return strconv.Itoa(s.Port) }

func shortDialer() *net.Dialer { return &net.Dialer{Timeout: 2 * time.Second} }
