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
	"syscall"
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

// errExited: slapd ended before it answered.
var errExited = errors.New("slapd exited before answering")

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

	cmd  *exec.Cmd
	logs *logBuffer
	done chan struct{}
	err  error // process exit status, valid after done is closed
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
	if opts.Suffix == "" {
		opts.Suffix = "dc=myhosting,dc=example"
	}
	if opts.RootDN == "" {
		opts.RootDN = "cn=Manager," + opts.Suffix
	}
	if opts.RootPW == "" {
		opts.RootPW = "secret"
	}
	if opts.Schemas == nil {
		opts.Schemas = DefaultSchemas()
	}
	if opts.Indexes == nil {
		opts.Indexes = DefaultIndexes
	}
	if opts.DebugLevel == "" {
		opts.DebugLevel = "0"
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 15 * time.Second
	}

	dir := t.TempDir()
	s := &Slapd{Dir: dir, Suffix: opts.Suffix, RootDN: opts.RootDN, RootPW: opts.RootPW}
	dbDir := filepath.Join(dir, "db")
	if err := os.Mkdir(dbDir, 0o700); err != nil {
		t.Fatalf("peers: %v", err)
	}
	var sock string
	if opts.LDAPI {
		// A unix socket path must stay under about 100 bytes; t.TempDir()
		// paths carry the test name and can be longer.
		sdir, err := os.MkdirTemp("", "ldapi")
		if err != nil {
			t.Fatalf("peers: %v", err)
		}
		t.Cleanup(func() { os.RemoveAll(sdir) })
		sock = filepath.Join(sdir, "s")
		s.LDAPIURL = "ldapi://" + url.PathEscape(sock)
	}
	s.ConfigPath = filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(s.ConfigPath, []byte(slapdConf(opts, dir, dbDir)), 0o600); err != nil {
		t.Fatalf("peers: write slapd.conf: %v", err)
	}

	ldifs := opts.LDIFFiles
	if opts.LDIF != "" {
		p := filepath.Join(dir, "load.ldif")
		if err := os.WriteFile(p, []byte(opts.LDIF), 0o600); err != nil {
			t.Fatalf("peers: %v", err)
		}
		ldifs = append([]string{p}, ldifs...)
	}
	for _, l := range ldifs {
		out, err := exec.Command(SlapaddPath, "-f", s.ConfigPath, "-l", l).CombinedOutput()
		if err != nil {
			t.Fatalf("peers: slapadd -l %s: %v\n%s\nslapd.conf:\n%s", l, err, out, readFile(s.ConfigPath))
		}
	}

	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("peers: %v", err)
		}
		lastErr = s.start(opts, port, sock)
		if lastErr == nil {
			t.Cleanup(func() {
				s.Stop()
				if t.Failed() {
					t.Logf("slapd output (%s):\n%s", s.URL, s.Logs())
				}
			})
			return s
		}
		if s.Running() || !errors.Is(lastErr, errExited) {
			break // not an early exit (such as a port taken meanwhile): do not retry
		}
	}
	// slapd -d 0 prints nothing; slaptest says what is wrong with the config.
	test, _ := exec.Command(SlapdPath, "-Tt", "-f", s.ConfigPath).CombinedOutput()
	t.Fatalf("peers: slapd did not start: %v\nslapd.conf:\n%s\noutput:\n%s\nslaptest:\n%s",
		lastErr, readFile(s.ConfigPath), s.Logs(), test)
	return nil
}

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
	s.logs = &logBuffer{}
	s.done = make(chan struct{})
	s.cmd = exec.Command(SlapdPath, "-f", s.ConfigPath, "-h", urls, "-d", opts.DebugLevel)
	s.cmd.Stdout = s.logs
	s.cmd.Stderr = s.logs
	// Own process group, so a stop signal reaches nothing else.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", SlapdPath, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), opts.StartTimeout)
	defer cancel()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return err
	}
	return nil
}

// waitReady retries an anonymous root DSE search until it succeeds, slapd
// exits or ctx ends.
func (s *Slapd) waitReady(ctx context.Context) error {
	for {
		err := s.ping()
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("%w: %v", errExited, s.err)
		case <-ctx.Done():
			return fmt.Errorf("slapd did not answer on %s: %v (%w)", s.URL, err, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *Slapd) ping() error {
	c, err := ldap.DialURL(s.URL, ldap.DialWithDialer(shortDialer()))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetTimeout(2 * time.Second)
	_, err = c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		0, 2, false, "(objectClass=*)", []string{"namingContexts"}, nil))
	return err
}

// Logs returns what slapd wrote to stdout and stderr so far.
func (s *Slapd) Logs() string {
	if s.logs == nil {
		return ""
	}
	return s.logs.String()
}

// Stop terminates slapd (SIGTERM, then SIGKILL after 5s) and waits for it.
// Calling Stop more than once is harmless; tests call it to make the
// directory unreachable.
func (s *Slapd) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Running reports whether the slapd process is still alive.
func (s *Slapd) Running() bool {
	if s.done == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Bind opens a connection to s.URL bound as the rootdn; closed at t.Cleanup.
func (s *Slapd) Bind(t testing.TB) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(s.URL, ldap.DialWithDialer(shortDialer()))
	if err != nil {
		t.Fatalf("peers: dial %s: %v", s.URL, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetTimeout(10 * time.Second)
	if err := c.Bind(s.RootDN, s.RootPW); err != nil {
		t.Fatalf("peers: bind %s: %v", s.RootDN, err)
	}
	return c
}

// PortString is Port as a string, for configs that want "host:port" parts.
func (s *Slapd) PortString() string { return strconv.Itoa(s.Port) }

func shortDialer() *net.Dialer { return &net.Dialer{Timeout: 2 * time.Second} }
