package peers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// BuildHostdir builds the hostdir command (./cmd/hostdir of the module
// whose root is repoRoot) into dir and returns the binary's path. Test
// packages call it once, from TestMain, and pass the path in
// HostdirOptions.Binary.
func BuildHostdir(ctx context.Context, repoRoot, dir string) (string, error) {
	bin := filepath.Join(dir, "hostdir")
	goTool := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			goTool = "/usr/local/go/bin/go"
		}
	}
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./cmd/hostdir")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/hostdir: %w\n%s", err, out)
	}
	return bin, nil
}

// FindRepoRoot returns the nearest parent of the working directory that
// holds go.mod (RepoRoot without a testing.TB, for TestMain).
func FindRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("peers: no go.mod above the working directory")
		}
		dir = parent
	}
}

// HostdirOptions describe the `hostdir serve` StartHostdir runs. The zero
// value (with Binary set) runs hostdir's built-in default configuration
// (no -f) with a fresh data directory: its first start creates the
// HOWTO's base tree and a root password, which StartHostdir reads from
// the banner into Hostdir.RootPW.
type HostdirOptions struct {
	// Binary is the hostdir program (see BuildHostdir); "" builds one into
	// the test's temporary directory (slow: prefer building once).
	Binary string
	// Slapd, when not nil, makes StartHostdir write the same slapd.conf
	// StartSlapd writes for these options (schemas, suffix, rootdn/rootpw,
	// indexes, GlobalConfig, DatabaseConfig) and load its LDIF and
	// LDIFFiles with `hostdir import`: the hostdir twin of a StartSlapd.
	Slapd *SlapdOptions
	// Config is slapd.conf text to run when Slapd is nil ("" runs the
	// built-in default configuration).
	Config string
	// DataDir is the database directory (--data); "" makes a new one in
	// the test's temporary directory. Give the DataDir of a stopped
	// Hostdir to start it again on the same data.
	DataDir string
	// LDIFFiles are loaded with `hostdir import` before the server starts
	// (after Slapd.LDIF and Slapd.LDIFFiles).
	LDIFFiles []string
	// LDAPI adds an ldapi:// listener (Hostdir.LDAPIURL); LDAPS an
	// ldaps:// one on another free port (Hostdir.LDAPSURL; the
	// configuration must have TLS certificate directives).
	LDAPI, LDAPS bool
	// Admin runs the web admin too (--admin-listen on another free
	// loopback port, plain HTTP; Hostdir.AdminURL). Further --admin-*
	// options go in Args.
	Admin bool
	// DebugLevel is the argument of -d; default "stats".
	DebugLevel string
	// Env is added to the server's environment.
	Env []string
	// Args are extra arguments of `hostdir serve`.
	Args []string
	// StartTimeout bounds the wait until the server answers; default 20s.
	StartTimeout time.Duration
}

// Hostdir is a running `hostdir serve` started by StartHostdir.
type Hostdir struct {
	// URL is ldap://127.0.0.1:PORT/; LDAPSURL and LDAPIURL are set when
	// asked for.
	URL, LDAPSURL, LDAPIURL string
	// AdminURL is the web admin, http://127.0.0.1:PORT (no trailing
	// slash), when HostdirOptions.Admin asked for it.
	AdminURL string
	// Port, LDAPSPort and AdminPort are the TCP ports on 127.0.0.1.
	Port, LDAPSPort, AdminPort int
	// Dir is the temporary directory (configuration, logs); DataDir the
	// database directory (--data); ConfigPath the slapd.conf ("" for the
	// default configuration).
	Dir, DataDir, ConfigPath string
	// Binary is the hostdir program.
	Binary string
	// Suffix, RootDN and RootPW (clear text) of the database.
	Suffix, RootDN, RootPW string

	proc *proc
}

// StartHostdir starts `hostdir serve` on free loopback ports with a
// temporary data directory and waits until it answers a root DSE search.
// The server is stopped (SIGTERM) at t.Cleanup; its output is logged when
// the test failed.
func StartHostdir(t testing.TB, opts HostdirOptions) *Hostdir {
	t.Helper()
	if opts.DebugLevel == "" {
		opts.DebugLevel = "stats"
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 20 * time.Second
	}
	dir := t.TempDir()
	h := &Hostdir{Dir: dir, DataDir: opts.DataDir, Binary: opts.Binary}
	if h.DataDir == "" {
		h.DataDir = filepath.Join(dir, "data")
	}
	if h.Binary == "" {
		bin, err := BuildHostdir(context.Background(), RepoRoot(t), dir)
		if err != nil {
			t.Fatalf("peers: %v", err)
		}
		h.Binary = bin
	}
	var ldifs []string
	switch {
	case opts.Slapd != nil:
		so := opts.Slapd.withDefaults()
		h.Suffix, h.RootDN, h.RootPW = so.Suffix, so.RootDN, so.RootPW
		h.ConfigPath = filepath.Join(dir, "slapd.conf")
		if err := writeSlapdConf(h.ConfigPath, so, dir, h.DataDir); err != nil {
			t.Fatalf("peers: %v", err)
		}
		ldifs = ldifFiles(t, dir, so)
	case opts.Config != "":
		h.ConfigPath = filepath.Join(dir, "slapd.conf")
		if err := os.WriteFile(h.ConfigPath, []byte(opts.Config), 0o600); err != nil {
			t.Fatalf("peers: %v", err)
		}
	default:
		h.Suffix, h.RootDN = "dc=myhosting,dc=example", "cn=Manager,dc=myhosting,dc=example"
	}
	ldifs = append(ldifs, opts.LDIFFiles...)
	confArgs := []string{"--data", h.DataDir}
	if h.ConfigPath != "" {
		confArgs = append([]string{"-f", h.ConfigPath}, confArgs...)
	}
	for _, l := range ldifs {
		cmd := exec.Command(h.Binary, append(append([]string{"import"}, confArgs...), "-l", l)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("peers: hostdir import -l %s: %v\n%s", l, err, out)
		}
	}
	if opts.LDAPI {
		h.LDAPIURL = "ldapi://" + strings.ReplaceAll(url.PathEscape(ldapiSocket(t)), "/", "%2F")
	}
	lastErr := onFreePort(t, func(_, port int) (bool, error) {
		var err error
		h.Port = port
		h.URL = fmt.Sprintf("ldap://127.0.0.1:%d/", port)
		urls := []string{h.URL}
		if opts.LDAPS {
			if h.LDAPSPort, err = freePort(); err != nil {
				t.Fatalf("peers: %v", err)
			}
			h.LDAPSURL = fmt.Sprintf("ldaps://127.0.0.1:%d/", h.LDAPSPort)
			urls = append(urls, h.LDAPSURL)
		}
		if h.LDAPIURL != "" {
			urls = append(urls, h.LDAPIURL)
		}
		args := append([]string{"serve"}, confArgs...)
		args = append(args, "-h", strings.Join(urls, " "), "-d", opts.DebugLevel)
		if opts.Admin {
			if h.AdminPort, err = freePort(); err != nil {
				t.Fatalf("peers: %v", err)
			}
			h.AdminURL = fmt.Sprintf("http://127.0.0.1:%d", h.AdminPort)
			args = append(args, "--admin-listen", fmt.Sprintf("127.0.0.1:%d", h.AdminPort))
		}
		args = append(args, opts.Args...)
		err = h.start(args, opts)
		return !h.Running() && errors.Is(err, errExited), err
	})
	if lastErr == nil {
		t.Cleanup(func() {
			h.Stop()
			if t.Failed() {
				t.Logf("hostdir output (%s):\n%s", h.URL, h.Output())
			}
		})
		// The server answers once its banner is written, but the
		// pipe may not have been copied into the log buffer yet.
		want := "hostdir: listening on " + h.URL
		if opts.Admin {
			// printed after the listeners
			want = "hostdir: web admin on " + h.AdminURL + "/"
		}
		if h.ConfigPath == "" {
			want = "hostdir: try: "
		}
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(h.Output(), want) && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if opts.Admin && !strings.Contains(h.Output(), "hostdir: web admin on "+h.AdminURL+"/") {
			t.Fatalf("peers: no web admin on %s in the banner:\n%s", h.AdminURL, h.Output())
		}
		if h.ConfigPath == "" {
			h.RootPW = bannerValue(h.Output(), "hostdir: rootdn password (shown once): ")
		}
		return h
	}
	t.Fatalf("peers: hostdir did not start: %v\noutput:\n%s", lastErr, h.Output())
	return nil
}

// bannerValue returns the rest of the first output line that starts with
// prefix.
func bannerValue(out, prefix string) string {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// start runs the server with args and waits until it answers a root DSE
// search.
func (h *Hostdir) start(args []string, opts HostdirOptions) error {
	cmd := exec.Command(h.Binary, args...)
	cmd.Dir = h.Dir
	cmd.Env = append(os.Environ(), opts.Env...)
	p, err := startProc(cmd, false)
	if err != nil {
		return err
	}
	h.proc = p
	ctx, cancel := context.WithTimeout(context.Background(), opts.StartTimeout)
	defer cancel()
	if err := p.waitReady(ctx, 20*time.Millisecond, func(context.Context) error { return pingURL(h.URL) }); err != nil {
		h.Stop()
		return fmt.Errorf("hostdir on %s: %w", h.URL, err)
	}
	return nil
}

// pingURL searches the root DSE anonymously.
func pingURL(u string) error {
	c, err := ldap.DialURL(u, ldap.DialWithDialer(shortDialer()))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetTimeout(2 * time.Second)
	_, err = c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		0, 2, false, "(objectClass=*)", []string{"namingContexts"}, nil))
	return err
}

// Output returns what the server printed so far (banner and logs).
func (h *Hostdir) Output() string { return h.proc.output() }

// Stop sends SIGTERM (SIGKILL after 10s) and waits for the process.
// Calling it more than once is harmless.
func (h *Hostdir) Stop() { h.proc.stop(10 * time.Second) }

// Pid returns the server's process id.
func (h *Hostdir) Pid() int { return h.proc.pid() }

// Wait waits for the process to end and returns its exit error.
func (h *Hostdir) Wait() error { return h.proc.wait() }

// Running reports whether the server process is alive.
func (h *Hostdir) Running() bool { return h.proc.running() }

// Bind opens a connection to h.URL bound as the root DN; closed at
// t.Cleanup.
func (h *Hostdir) Bind(t testing.TB) *ldap.Conn {
	t.Helper()
	return bindURL(t, h.URL, h.RootDN, h.RootPW)
}
