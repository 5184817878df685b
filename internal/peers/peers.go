// Package peers starts real Debian programs (slapd, and later others) on
// loopback ports for tests anywhere in the repository.
//
// Every helper takes a testing.TB, works in a temporary directory, stops the
// program at t.Cleanup and shows the program's log when the test failed.
// When a program is not installed the test is skipped, unless the
// environment variable CI is "true": then the missing program is a failure.
package peers

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
// Another process may take it before the caller binds it; helpers that start
// servers retry with a new port when the bind fails.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("peers: free port: %v", err)
	}
	return port
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("listen on 127.0.0.1:0: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// RequireProgram returns the path of an installed program. When it is missing
// the test is skipped, or fails when CI=true.
func RequireProgram(t testing.TB, path string) string {
	t.Helper()
	p, err := exec.LookPath(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("peers: %s is not installed (CI=true): %v", path, err)
		}
		t.Skipf("peers: %s is not installed: %v", path, err)
	}
	return p
}

// RepoRoot returns the repository root: the nearest parent of the working
// directory holding go.mod. Tests use it to find files such as
// schema/builtin/jamm.schema or testdata/*.ldif.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("peers: getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("peers: no go.mod above the working directory")
		}
		dir = parent
	}
}

// logBuffer collects a program's output, keeping about the last megabyte;
// safe for concurrent writes.
type logBuffer struct{ SyncBuffer }

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// Keep the last megabyte at most: slapd at high debug levels is chatty.
	const max = 1 << 20
	if b.b.Len()+len(p) > max {
		keep := b.b.Bytes()
		if len(keep) > max/2 {
			keep = keep[len(keep)-max/2:]
		}
		rest := append([]byte("[... earlier output dropped ...]\n"), keep...)
		b.b.Reset()
		b.b.Write(rest)
	}
	return b.b.Write(p)
}
