package robust

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"hostdir/internal/peers"
)

// base is the HOWTO's hosting tree; domain the test domain in it.
const (
	base   = peers.DefaultJammBase
	domain = "jvd=example.com," + base
)

// hostdirBinary is built once by TestMain (read-only afterwards);
// hostdirBuildErr says why there is none.
var (
	hostdirBinary   string
	hostdirBuildErr error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hostdir-robust-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	root, err := peers.FindRepoRoot()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		if os.Getenv("ROBUST_RACE") == "1" {
			hostdirBinary, hostdirBuildErr = buildRace(ctx, root, dir)
		} else {
			hostdirBinary, hostdirBuildErr = peers.BuildHostdir(ctx, root, dir)
		}
		cancel()
	} else {
		hostdirBuildErr = err
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildRace builds the server with the race detector (ROBUST_RACE=1): the
// attacks then also look for data races inside hostdir. Any race makes
// the server exit with status 66 and print the report.
func buildRace(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "hostdir-race")
	cmd := exec.CommandContext(ctx, filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-race", "-o", bin, "./cmd/hostdir")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -race ./cmd/hostdir: %w\n%s", err, out)
	}
	return bin, nil
}

// slapdOptions is the configuration both servers run: the HOWTO's schema
// and indexes, no access rules (everyone reads, the rootdn writes), and
// testdata/clients-tree.ldif.
func slapdOptions(t testing.TB) peers.SlapdOptions {
	t.Helper()
	root := peers.RepoRoot(t)
	ldif, err := os.ReadFile(filepath.Join(root, "testdata", "clients-tree.ldif"))
	if err != nil {
		t.Fatal(err)
	}
	return peers.SlapdOptions{
		ExtraSchemas: []string{filepath.Join(root, "schema", "builtin", "jamm.schema")},
		Indexes:      []string{"objectClass pres,eq", "mail,cn eq,sub", "jvd eq"},
		LDIF:         string(ldif),
	}
}

// target is a running server under attack.
type target struct {
	name           string
	url, addr      string
	pid            int
	rootDN, rootPW string
	// running reports whether the process is alive.
	running func() bool
	// output returns the server's log so far.
	output func() string
}

// hostdirOptions are the options startHostdir uses (Restart needs them).
func hostdirOptions(t testing.TB) peers.HostdirOptions {
	so := slapdOptions(t)
	return peers.HostdirOptions{Binary: hostdirBinary, Slapd: &so, DebugLevel: "stats"}
}

// startHostdir runs `hostdir serve` with slapdOptions.
func startHostdir(t testing.TB) (*peers.Hostdir, *target) {
	t.Helper()
	if hostdirBuildErr != nil {
		t.Fatalf("build hostdir: %v", hostdirBuildErr)
	}
	h := peers.StartHostdir(t, hostdirOptions(t))
	return h, &target{
		name: "hostdir", url: h.URL, addr: strings.TrimSuffix(strings.TrimPrefix(h.URL, "ldap://"), "/"),
		pid: h.PID(), rootDN: h.RootDN, rootPW: h.RootPW, running: h.Running, output: h.Output,
	}
}

// startSlapd runs Debian's slapd with slapdOptions, to prove the harness.
func startSlapd(t testing.TB) *target {
	t.Helper()
	s := peers.StartSlapd(t, slapdOptions(t))
	return &target{
		name: "slapd", url: s.URL, addr: strings.TrimSuffix(strings.TrimPrefix(s.URL, "ldap://"), "/"),
		pid: s.PID(), rootDN: s.RootDN, rootPW: s.RootPW, running: s.Running, output: s.Logs,
	}
}

// checkAnswers fails the test unless the server answers a normal search
// for alice on a new connection.
func checkAnswers(t testing.TB, tg *target, after string) {
	t.Helper()
	if !tg.running() {
		t.Fatalf("%s: server process died after %s", tg.name, after)
	}
	c, err := ldap.DialURL(tg.url, ldap.DialWithDialer(dialer()))
	if err != nil {
		t.Fatalf("%s: dial after %s: %v", tg.name, after, err)
	}
	defer c.Close()
	c.SetTimeout(10 * time.Second)
	r, err := c.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(mail=alice@example.com)", []string{"mailbox"}, nil))
	if err != nil {
		t.Fatalf("%s: search after %s: %v", tg.name, after, err)
	}
	if len(r.Entries) != 1 || r.Entries[0].GetAttributeValue("mailbox") != "example.com/alice/" {
		t.Fatalf("%s: search after %s: %d entries %v", tg.name, after, len(r.Entries), r.Entries)
	}
}

// rss returns the server's resident set size in bytes.
func rss(t testing.TB, tg *target) int64 {
	t.Helper()
	n, err := peers.ProcessRSS(tg.pid)
	if err != nil {
		t.Fatalf("%s: %v", tg.name, err)
	}
	return n
}

// mib formats bytes as MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// dialer bounds connection set-up.
func dialer() *net.Dialer { return &net.Dialer{Timeout: 5 * time.Second} }
