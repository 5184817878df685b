package peers

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// HostdirBuild is the hostdir program a test package builds once, in
// TestMain (see MainWithHostdir); read-only afterwards.
type HostdirBuild struct {
	// Binary is the built program ("" when Err is set).
	Binary string
	// Err says why there is no program.
	Err error
}

// Require returns the program. Without one the test is skipped, or fails
// when CI=true.
func (b HostdirBuild) Require(t testing.TB) string {
	t.Helper()
	if b.Err != nil {
		skipOrFail(t, "build hostdir: %v", b.Err)
	}
	return b.Binary
}

// MainWithHostdir is the body of a TestMain: it builds ./cmd/hostdir into
// a new temporary directory (named after pattern, as os.MkdirTemp does),
// stores the outcome in *build, runs the tests and removes the directory.
// It returns the exit code for os.Exit.
func MainWithHostdir(m *testing.M, pattern string, build *HostdirBuild) int {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if root, err := FindRepoRoot(); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		build.Binary, build.Err = BuildHostdir(ctx, root, dir)
		cancel()
	} else {
		build.Err = err
	}
	return m.Run()
}

// HowtoACLOptions returns the SlapdOptions of the HOWTO's hosting
// directory with its access rules: jamm.schema after the default schemas,
// the "access to" rules of the repository's testdata/howto-slapd-2.5.conf
// and the tree of testdata/acl-tree.ldif.
func HowtoACLOptions(t testing.TB) SlapdOptions {
	t.Helper()
	root := RepoRoot(t)
	conf, err := os.ReadFile(filepath.Join(root, "testdata", "howto-slapd-2.5.conf"))
	if err != nil {
		t.Fatalf("peers: %v", err)
	}
	i := strings.Index(string(conf), "\naccess to")
	if i < 0 {
		t.Fatalf("peers: no access rules in howto-slapd-2.5.conf")
	}
	return SlapdOptions{
		ExtraSchemas:   []string{filepath.Join(root, "schema", "builtin", "jamm.schema")},
		DatabaseConfig: string(conf)[i+1:],
		LDIFFiles:      []string{filepath.Join(root, "testdata", "acl-tree.ldif")},
	}
}

// DirectoryKinds are the LDAP servers StartDirectory runs: Debian's slapd
// and hostdir.
var DirectoryKinds = []string{"slapd", "hostdir"}

// Directory is a running LDAP server started by StartDirectory.
type Directory struct {
	// Kind is "slapd" or "hostdir".
	Kind string
	// URL is ldap://127.0.0.1:PORT/.
	URL string
	// RootDN and RootPW (clear text) of the database.
	RootDN, RootPW string
}

// StartDirectory starts a directory of the kind ("slapd": StartSlapd with
// opts; "hostdir": StartHostdir with the same slapd.conf, running
// build's program, which must be there).
func StartDirectory(t testing.TB, kind string, opts SlapdOptions, build HostdirBuild) Directory {
	t.Helper()
	switch kind {
	case "slapd":
		s := StartSlapd(t, opts)
		return Directory{Kind: kind, URL: s.URL, RootDN: s.RootDN, RootPW: s.RootPW}
	case "hostdir":
		h := StartHostdir(t, HostdirOptions{Binary: build.Require(t), Slapd: &opts})
		return Directory{Kind: kind, URL: h.URL, RootDN: h.RootDN, RootPW: h.RootPW}
	default:
		t.Fatalf("peers: unknown directory kind %q", kind)
		return Directory{}
	}
}

// SyncBuffer is a bytes.Buffer safe for concurrent writes: the sink of a
// server's output in a test. The zero value is ready to use.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
