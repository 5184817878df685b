package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"hostdir/internal/peers"
)

// bins are the programs TestMain built: hostdir and hostdir-deliver, in a
// directory every user may traverse (the vmail user runs the agent).
var bins struct {
	dir, hostdir, deliver string
	err                   error
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "hostdir-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	bins.dir = dir
	bins.err = build(dir)
	return m.Run()
}

// BinEnv names an environment variable: a directory holding prebuilt
// hostdir and hostdir-deliver programs to test instead of building them.
const BinEnv = "HOSTDIR_E2E_BIN"

// build compiles both commands into dir (or copies them from $BinEnv).
func build(dir string) error {
	if src := os.Getenv(BinEnv); src != "" {
		for _, name := range []string{"hostdir", "hostdir-deliver"} {
			b, err := os.ReadFile(filepath.Join(src, name))
			if err != nil {
				return fmt.Errorf("%s: %w", BinEnv, err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o755); err != nil {
				return err
			}
		}
		bins.hostdir, bins.deliver = filepath.Join(dir, "hostdir"), filepath.Join(dir, "hostdir-deliver")
		return nil
	}
	root, err := peers.FindRepoRoot()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if bins.hostdir, err = peers.BuildHostdir(ctx, root, dir); err != nil {
		return err
	}
	goTool := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			goTool = "/usr/local/go/bin/go"
		}
	}
	bins.deliver = filepath.Join(dir, "hostdir-deliver")
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bins.deliver, "./cmd/hostdir-deliver")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/hostdir-deliver: %w\n%s", err, out)
	}
	return nil
}

// requireBinaries fails the test when the build in TestMain failed.
func requireBinaries(t testing.TB) {
	t.Helper()
	if bins.err != nil {
		t.Fatalf("building the commands: %v", bins.err)
	}
}
