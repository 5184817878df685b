package maildir

import (
	"errors"
	"io/fs"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// gateFS blocks each fsync until the test lets it end with a result.
type gateFS struct {
	OS
	started chan int   // the number of each fsync as it begins
	results chan error // what each fsync returns
	n       atomic.Int64
}

func (g *gateFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := g.OS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &gateFile{File: f, g: g}, nil
}

type gateFile struct {
	File
	g *gateFS
}

func (f *gateFile) Sync() error {
	f.g.started <- int(f.g.n.Add(1))
	return <-f.g.results
}

// TestSyncDirGroupCommit checks the group commit rules: a call never
// shares an fsync that was running when it was called; the callers that
// arrive during one fsync share the next one and get its result.
func TestSyncDirGroupCommit(t *testing.T) {
	dir := t.TempDir()
	g := &gateFS{started: make(chan int), results: make(chan error)}
	w := New()
	w.FS = g
	type result struct {
		who string
		err error
	}
	done := make(chan result, 4)
	call := func(who string) { done <- result{who, w.SyncDir(dir)} }

	go call("a")
	if n := <-g.started; n != 1 {
		t.Fatalf("first fsync is number %d", n)
	}
	// b and c arrive while fsync 1 runs: it must not answer them.
	go call("b")
	go call("c")
	time.Sleep(50 * time.Millisecond) // let b and c wait
	g.results <- nil                  // fsync 1 succeeds
	if r := <-done; r.who != "a" || r.err != nil {
		t.Fatalf("after fsync 1: %s returned %v", r.who, r.err)
	}
	if n := <-g.started; n != 2 {
		t.Fatalf("second fsync is number %d", n)
	}
	select {
	case r := <-done:
		t.Fatalf("%s returned before the fsync that began after its call ended", r.who)
	case <-time.After(50 * time.Millisecond):
	}
	g.results <- syscall.EIO // fsync 2, shared by b and c, fails
	for i := 0; i < 2; i++ {
		r := <-done
		if !errors.Is(r.err, syscall.EIO) {
			t.Errorf("%s got %v, want the shared fsync's EIO", r.who, r.err)
		}
	}
	select {
	case n := <-g.started:
		t.Fatalf("unexpected fsync %d", n)
	default:
	}
	w.syncMu.Lock()
	left := len(w.syncs)
	w.syncMu.Unlock()
	if left != 0 {
		t.Errorf("%d directory syncers left", left)
	}
	// A later call makes its own fsync.
	go call("d")
	<-g.started
	g.results <- nil
	if r := <-done; r.err != nil {
		t.Fatal(r.err)
	}
}

// TestSyncDirConcurrent runs many concurrent SyncDir calls on a few
// directories (for -race) and checks each returns.
func TestSyncDirConcurrent(t *testing.T) {
	w := New()
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if err := w.SyncDir(dirs[(i+j)%len(dirs)]); err != nil {
					t.Error(err)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	if len(w.syncs) != 0 {
		t.Errorf("%d directory syncers left", len(w.syncs))
	}
}

// TestCleanTmpDue checks the rate limit of tmp/ cleaning.
func TestCleanTmpDue(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	w := New()
	w.Now = func() time.Time { return now }
	tests := []struct {
		advance time.Duration
		dir     string
		want    bool
	}{
		{0, "/m/a", true},
		{time.Minute, "/m/a", false},
		{0, "/m/b", true},
		{TmpCleanInterval, "/m/a", true},
		{time.Second, "/m/a", false},
		{-2 * TmpCleanInterval, "/m/a", true}, // clock stepped back
	}
	for i, tc := range tests {
		now = now.Add(tc.advance)
		if got := w.CleanTmpDue(tc.dir); got != tc.want {
			t.Errorf("%d: CleanTmpDue(%s) = %v, want %v", i, tc.dir, got, tc.want)
		}
	}
}
