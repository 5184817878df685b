package acltest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hostdir/directory"
	"hostdir/directory/config"
	"hostdir/directory/ldif"
	"hostdir/directory/store"
)

// hostdirRootPW is the root password the in-process servers use (the
// HOWTO's rootpw is a hash whose clear text the tests do not know).
const hostdirRootPW = "secret"

// startHostdir starts a hostdir server on a loopback port configured by
// the HOWTO config name (its access rules as written), with a fresh store
// in a temporary directory holding testdata/acl-tree.ldif, and returns
// its URL.
func startHostdir(t *testing.T, name string) string {
	t.Helper()
	return startHostdirConfig(t, filepath.Join(TestdataDir(), name))
}

// startHostdirConfig is startHostdir with the config file at path.
func startHostdirConfig(t *testing.T, path string) string {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	dc := cfg.Databases[0]
	dc.Directory = t.TempDir()
	dc.RootPW = hostdirRootPW
	dc.DBNoSync = true
	db, err := directory.OpenStore(cfg, dc)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(TestdataDir(), "acl-tree.ldif"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := ldif.NewReader(f)
	ctx := context.Background()
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		e := &rec.Entry
		if err := directory.PrepareEntry(cfg.Schema, e, directory.PrepareOptions{Creator: dc.RootDNRaw}); err != nil {
			t.Fatalf("%s: %v", e.DN, err)
		}
		if err := db.Add(ctx, e); err != nil {
			t.Fatalf("add %s: %v", e.DN, err)
		}
	}
	none := config.LogLevel(0)
	srv, err := directory.New(cfg, []store.Backend{db}, directory.Options{
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		LogLevel:      &none,
		CloseBackends: true,
	})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, directory.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return "ldap://" + l.Addr().String()
}

// TestHostdirMatrix runs the matrix against hostdir itself, configured
// with the HOWTO's slapd.conf in its 2.0 text and in its 2.5 form, and
// compares every cell (result code, attributes returned, DNs found) with
// what slapd 2.5 answered (testdata/acl-matrix-slapd.golden).
func TestHostdirMatrix(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(TestdataDir(), goldenName))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(Identities)*len(Ops) {
		t.Fatalf("golden has %d cells, want %d", len(want), len(Identities)*len(Ops))
	}
	for _, name := range []string{"howto-slapd.conf", "howto-slapd-2.5.conf"} {
		t.Run(name, func(t *testing.T) {
			got := RunMatrix(t, startHostdir(t, name), hostdirRootPW)
			if len(got) != len(want) {
				t.Errorf("%d cells, want %d", len(got), len(want))
			}
			diffs := Diff("slapd", want, "hostdir", got)
			for _, d := range diffs {
				t.Error(d)
			}
			t.Logf("%d cells compared, %d differences", len(got), len(diffs))
		})
	}
}
