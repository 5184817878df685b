package clients

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"hostdir/internal/peers"
)

// hostdirBinary is the hostdir program TestMain builds once for all tests
// (read-only after TestMain); hostdirBuildErr says why there is none.
var (
	hostdirBinary   string
	hostdirBuildErr error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hostdir-clients-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	root, err := peers.FindRepoRoot()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		hostdirBinary, hostdirBuildErr = peers.BuildHostdir(ctx, root, dir)
		cancel()
	} else {
		hostdirBuildErr = err
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startHostdir starts `hostdir serve` with the same slapd.conf and tree as
// startSlapd (the data loaded with `hostdir import`).
func startHostdir(t *testing.T) *server {
	t.Helper()
	if hostdirBuildErr != nil {
		t.Fatalf("build hostdir: %v", hostdirBuildErr)
	}
	h := peers.StartHostdir(t, peers.HostdirOptions{
		Binary: hostdirBinary,
		Slapd: &peers.SlapdOptions{
			ExtraSchemas:   []string{jammSchema(t)},
			Indexes:        indexes,
			DatabaseConfig: howtoACL(t),
			LDIF:           treeLDIF(t),
		},
	})
	return &server{Name: "hostdir", URL: h.URL, Port: h.Port, RootDN: h.RootDN, RootPW: h.RootPW}
}
