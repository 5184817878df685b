package maildir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestOnceKey(t *testing.T) {
	base := OnceKey("4A1B2C3D4E", "alice@example.com", "/m/alice", []byte("Subject: x\n\n"), []byte("body\n"))
	if !ValidKey(base) {
		t.Fatalf("OnceKey = %q, not a valid key", base)
	}
	tests := []struct {
		name string
		key  string
		same bool
	}{
		{"same input", OnceKey("4A1B2C3D4E", "alice@example.com", "/m/alice", []byte("Subject: x\n\n"), []byte("body\n")), true},
		{"parts split differently", OnceKey("4A1B2C3D4E", "alice@example.com", "/m/alice", []byte("Subject: x\n\nbody\n")), true},
		{"other queue id", OnceKey("4A1B2C3D4F", "alice@example.com", "/m/alice", []byte("Subject: x\n\nbody\n")), false},
		{"other recipient", OnceKey("4A1B2C3D4E", "bob@example.com", "/m/alice", []byte("Subject: x\n\nbody\n")), false},
		{"other folder", OnceKey("4A1B2C3D4E", "alice@example.com", "/m/alice/.news", []byte("Subject: x\n\nbody\n")), false},
		{"other message (queue id reused)", OnceKey("4A1B2C3D4E", "alice@example.com", "/m/alice", []byte("Subject: y\n\nbody\n")), false},
		{"fields shifted", OnceKey("4A1B2C3D4Ealice@example.com", "", "/m/alice", []byte("Subject: x\n\nbody\n")), false},
	}
	for _, tc := range tests {
		if (tc.key == base) != tc.same {
			t.Errorf("%s: key %s, base %s, want same=%v", tc.name, tc.key, base, tc.same)
		}
	}
	for _, s := range []string{"", "x", strings.Repeat("A", KeyLen), strings.Repeat("0", KeyLen-1), strings.Repeat("0", KeyLen+1), MarkerStamp} {
		if ValidKey(s) {
			t.Errorf("ValidKey(%q) = true", s)
		}
	}
}

func TestOnceNames(t *testing.T) {
	w := &Writer{Hostname: "mx/1:2", Now: func() time.Time { return time.Unix(1700000000, 123456000) }}
	key := strings.Repeat("ab", KeyLen/2)
	if got, want := w.OnceTmpName(key, 42), key+`.mx\0571\0722,S=42`; got != want {
		t.Errorf("OnceTmpName = %q, want %q", got, want)
	}
	if got, want := w.OnceNewName(key, 42), "1700000000.M123456K"+key+`.mx\0571\0722,S=42`; got != want {
		t.Errorf("OnceNewName = %q, want %q", got, want)
	}
	if n, ok := SizeFromName(w.OnceNewName(key, 42)); !ok || n != 42 {
		t.Errorf("SizeFromName = %d %v", n, ok)
	}
}

// onceMaildir returns a writer and a fresh maildir.
func onceMaildir(t testing.TB) (*Writer, string) {
	t.Helper()
	base := t.TempDir()
	dir := filepath.Join(base, "example.com", "alice")
	w := New()
	w.Hostname = "test.host"
	if err := w.Ensure(base, dir); err != nil {
		t.Fatal(err)
	}
	return w, dir
}

// readNew returns the contents of the files in dir/new.
func readNew(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "new"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, "new", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

func dirLen(dir string) int {
	ents, _ := os.ReadDir(dir)
	return len(ents)
}

func TestDeliverOnce(t *testing.T) {
	w, dir := onceMaildir(t)
	msg := []byte("Subject: once\n\nbody\n")
	key := OnceKey("Q1", "alice@example.com", dir, msg)
	ctx := context.Background()
	admitted := 0
	admit := func() error { admitted++; return nil }

	name, out, err := w.DeliverOnce(ctx, dir, key, admit, msg[:5], msg[5:])
	if err != nil || out != Written {
		t.Fatalf("first DeliverOnce = %q %v %v", name, out, err)
	}
	if !strings.Contains(name, "K"+key+".test.host,S=20") {
		t.Errorf("name %q", name)
	}
	if _, err := os.Stat(filepath.Join(dir, "new", name)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		name, out, err = w.DeliverOnce(ctx, dir, key, admit, msg)
		if err != nil || out != AlreadyDelivered || name != "" {
			t.Fatalf("repeated DeliverOnce = %q %v %v", name, out, err)
		}
	}
	if admitted != 1 {
		t.Errorf("admit called %d times, want 1", admitted)
	}
	// The user reads the message (new/ -> cur/) or deletes it: still done.
	os.RemoveAll(filepath.Join(dir, "new"))
	os.Mkdir(filepath.Join(dir, "new"), DirMode)
	if _, out, err := w.DeliverOnce(ctx, dir, key, admit, msg); err != nil || out != AlreadyDelivered {
		t.Fatalf("after the user removed it: %v %v", out, err)
	}
	if n := dirLen(filepath.Join(dir, "new")); n != 0 {
		t.Errorf("%d files in new/ after re-delivery of a deleted message", n)
	}
	// Another message (another key) is delivered.
	msg2 := []byte("Subject: twice\n\nbody\n")
	if _, out, err := w.DeliverOnce(ctx, dir, OnceKey("Q1", "alice@example.com", dir, msg2), nil, msg2); err != nil || out != Written {
		t.Fatalf("other key: %v %v", out, err)
	}
	if got := readNew(t, dir); len(got) != 1 || got[0] != string(msg2) {
		t.Errorf("new/ = %q", got)
	}
	if n := dirLen(filepath.Join(dir, "tmp")); n != 0 {
		t.Errorf("%d files left in tmp/", n)
	}
	if n := dirLen(filepath.Join(dir, MarkerDir)); n != 4 { // two markers, the anchor and the stamp
		t.Errorf("%d files in %s, want 4", n, MarkerDir)
	}
}

func TestDeliverOnceAdmitRefuses(t *testing.T) {
	w, dir := onceMaildir(t)
	msg := []byte("x\n")
	key := OnceKey("Q", "a@b", dir, msg)
	full := errors.New("mailbox full")
	if _, _, err := w.DeliverOnce(context.Background(), dir, key, func() error { return full }, msg); err != full {
		t.Fatalf("DeliverOnce = %v, want the admit error as is", err)
	}
	if dirLen(filepath.Join(dir, "new"))+dirLen(filepath.Join(dir, "tmp"))+dirLen(filepath.Join(dir, MarkerDir)) != 0 {
		t.Fatal("something was written although admit refused")
	}
	if _, _, err := w.DeliverOnce(context.Background(), dir, "../x", nil, msg); !errors.Is(err, ErrBadKey) {
		t.Fatalf("bad key: %v", err)
	}
	if _, err := w.Committed(dir, "nope"); !errors.Is(err, ErrBadKey) {
		t.Fatalf("Committed(bad key): %v", err)
	}
}

func TestDeliverOnceCompletesCommitted(t *testing.T) {
	w, dir := onceMaildir(t)
	msg := []byte("Subject: x\n\nbody\n")
	key := OnceKey("Q", "a@b", dir, msg)
	// State after a crash between the commit and the rename.
	tmp := filepath.Join(dir, "tmp", w.OnceTmpName(key, int64(len(msg))))
	os.WriteFile(tmp, msg, FileMode)
	os.Mkdir(filepath.Join(dir, MarkerDir), DirMode)
	os.WriteFile(filepath.Join(dir, MarkerDir, key), nil, FileMode)
	if ok, err := w.Committed(dir, key); !ok || err != nil {
		t.Fatalf("Committed = %v %v", ok, err)
	}
	admit := func() error { t.Error("admit called for a committed message"); return nil }
	name, out, err := w.DeliverOnce(context.Background(), dir, key, admit, msg)
	if err != nil || out != Completed || name == "" {
		t.Fatalf("DeliverOnce = %q %v %v", name, out, err)
	}
	if got := readNew(t, dir); len(got) != 1 || got[0] != string(msg) {
		t.Errorf("new/ = %q", got)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("tmp file still there: %v", err)
	}
}

// TestDeliverOnceStaleTmp: an unfinished tmp/ file of an earlier attempt
// (no marker) is replaced, not moved.
func TestDeliverOnceStaleTmp(t *testing.T) {
	w, dir := onceMaildir(t)
	msg := []byte("Subject: x\n\nbody\n")
	key := OnceKey("Q", "a@b", dir, msg)
	tmp := filepath.Join(dir, "tmp", w.OnceTmpName(key, int64(len(msg))))
	os.WriteFile(tmp, msg[:4], FileMode)
	if _, out, err := w.DeliverOnce(context.Background(), dir, key, nil, msg); err != nil || out != Written {
		t.Fatalf("DeliverOnce = %v %v", out, err)
	}
	if got := readNew(t, dir); len(got) != 1 || got[0] != string(msg) {
		t.Errorf("new/ = %q", got)
	}
}

// errKilled is what every operation returns once crashFS has "died".
var errKilled = errors.New("process killed")

// crashFS simulates a process killed before its n-th file system
// operation (1-based): that operation and all later ones do nothing and
// fail, so the state on disk is what a SIGKILL would leave. With partial,
// a write at the n-th operation writes half its data first.
type crashFS struct {
	OS
	at      int
	partial bool

	mu   sync.Mutex
	n    int
	dead bool
	ops  []string
}

func (c *crashFS) step(op, name string) (partial bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return false, errKilled
	}
	c.n++
	c.ops = append(c.ops, op+" "+name)
	if c.n == c.at {
		c.dead = true
		return c.partial && op == "write", errKilled
	}
	return false, nil
}

func (c *crashFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	if _, err := c.step("open", name); err != nil {
		return nil, err
	}
	f, err := c.OS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &crashFile{File: f, c: c, name: name}, nil
}

func (c *crashFS) Mkdir(name string, perm fs.FileMode) error {
	if _, err := c.step("mkdir", name); err != nil {
		return err
	}
	return c.OS.Mkdir(name, perm)
}

func (c *crashFS) Link(o, n string) error {
	if _, err := c.step("link", n); err != nil {
		return err
	}
	return c.OS.Link(o, n)
}

func (c *crashFS) Rename(o, n string) error {
	if _, err := c.step("rename", n); err != nil {
		return err
	}
	return c.OS.Rename(o, n)
}

func (c *crashFS) Remove(name string) error {
	if _, err := c.step("remove", name); err != nil {
		return err
	}
	return c.OS.Remove(name)
}

func (c *crashFS) Stat(name string) (fs.FileInfo, error) {
	if _, err := c.step("stat", name); err != nil {
		return nil, err
	}
	return c.OS.Stat(name)
}

func (c *crashFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if _, err := c.step("readdir", name); err != nil {
		return nil, err
	}
	return c.OS.ReadDir(name)
}

type crashFile struct {
	File
	c    *crashFS
	name string
}

func (f *crashFile) Write(p []byte) (int, error) {
	partial, err := f.c.step("write", f.name)
	if partial {
		_, _ = f.File.Write(p[:len(p)/2])
	}
	if err != nil {
		f.File.Close() // the kernel closes a killed process's files
		return 0, err
	}
	return f.File.Write(p)
}

func (f *crashFile) Sync() error {
	if _, err := f.c.step("sync", f.name); err != nil {
		f.File.Close()
		return err
	}
	return f.File.Sync()
}

func (f *crashFile) Close() error {
	if _, err := f.c.step("close", f.name); err != nil {
		f.File.Close()
		return err
	}
	return f.File.Close()
}

// TestDeliverOnceCrashEverywhere kills a delivery to a fresh maildir before
// each of its file system steps (and in the middle of each write), then
// retries with a healthy writer, as Postfix does: new/ must hold exactly
// one complete copy and tmp/ nothing, whatever the step.
func TestDeliverOnceCrashEverywhere(t *testing.T) {
	msg := bytes.Repeat([]byte("0123456789abcdef\n"), 300)
	parts := [][]byte{[]byte("Delivered-To: alice@example.com\n"), msg}
	want := string(parts[0]) + string(msg)
	type scenario struct {
		at      int
		partial bool
	}
	// Calibrate: the steps of an undisturbed first delivery.
	cal := &crashFS{}
	{
		w, dir := onceMaildir(t)
		w.FS = cal
		if _, out, err := w.DeliverOnce(context.Background(), dir, OnceKey("Q", "alice@example.com", dir, parts...), nil, parts...); err != nil || out != Written {
			t.Fatalf("calibration: %v %v", out, err)
		}
	}
	var scenarios []scenario
	for i, op := range cal.ops {
		scenarios = append(scenarios, scenario{at: i + 1})
		if strings.HasPrefix(op, "write ") {
			scenarios = append(scenarios, scenario{at: i + 1, partial: true})
		}
	}
	opNames := make([]string, len(cal.ops))
	for i, op := range cal.ops {
		opNames[i] = strings.Fields(op)[0]
	}
	t.Logf("a first idempotent delivery takes %d steps: %s", len(cal.ops), strings.Join(opNames, " "))
	for _, sc := range scenarios {
		name := fmt.Sprintf("kill-before-%02d-%s", sc.at, strings.Fields(cal.ops[sc.at-1])[0])
		if sc.partial {
			name = fmt.Sprintf("kill-in-%02d-write", sc.at)
		}
		t.Run(name, func(t *testing.T) {
			w, dir := onceMaildir(t)
			key := OnceKey("Q", "alice@example.com", dir, parts...)
			cfs := &crashFS{at: sc.at, partial: sc.partial}
			w.FS = cfs
			// Killed during the marker expiry after the delivery, the
			// attempt reports success (expiry errors are ignored) but the
			// process would die before its answer reached Postfix.
			if _, _, err := w.DeliverOnce(context.Background(), dir, key, nil, parts...); !errors.Is(err, errKilled) && !(err == nil && cfs.dead) {
				t.Fatalf("killed attempt = %v", err)
			}
			for _, m := range readNew(t, dir) {
				if m != want {
					t.Fatalf("partial message in new/ after the crash: %d bytes", len(m))
				}
			}
			before := len(readNew(t, dir))
			w.FS = OS{}
			_, out, err := w.DeliverOnce(context.Background(), dir, key, nil, parts...)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			got := readNew(t, dir)
			if len(got) != 1 || got[0] != want {
				t.Fatalf("after the retry new/ holds %d messages (want exactly one complete copy)", len(got))
			}
			if n := dirLen(filepath.Join(dir, "tmp")); n != 0 {
				t.Errorf("%d files left in tmp/", n)
			}
			if before == 1 && out != AlreadyDelivered || before == 0 && out == AlreadyDelivered {
				t.Errorf("retry outcome %v with %d copies in new/ before", out, before)
			}
			// And a further retry changes nothing.
			if _, out, err := w.DeliverOnce(context.Background(), dir, key, nil, parts...); err != nil || out != AlreadyDelivered || len(readNew(t, dir)) != 1 {
				t.Fatalf("second retry: %v %v", out, err)
			}
		})
	}
}

// TestDeliverOnceFaults injects errors at each step: before the commit
// point nothing is left; after it the marker and tmp/ file stay and the
// next attempt completes the delivery.
func TestDeliverOnceFaults(t *testing.T) {
	tests := []struct {
		name      string
		op        string
		match     string
		committed bool
	}{
		{"create tmp", "create", "/alice/tmp/", false},
		{"write tmp", "write", "/alice/tmp/", false},
		{"fsync tmp file", "sync", "/alice/tmp/", false},
		{"close tmp file", "close", "/alice/tmp/", false},
		{"fsync tmp/", "syncdir", "/alice/tmp", false},
		{"create marker dir", "mkdir", "/" + MarkerDir, false},
		{"create marker", "create", "/" + MarkerDir + "/", false},
		{"close marker", "close", "/" + MarkerDir + "/", true},
		{"fsync marker dir", "syncdir", "/" + MarkerDir, true},
		{"fsync new/", "syncdir", "/alice/new", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, dir := onceMaildir(t)
			msg := []byte("Subject: x\n\nbody\n")
			key := OnceKey("Q", "a@b", dir, msg)
			w.FS = &faultFS{op: tc.op, match: tc.match, err: syscall.EIO}
			_, _, err := w.DeliverOnce(context.Background(), dir, key, nil, msg)
			if !errors.Is(err, syscall.EIO) {
				t.Fatalf("DeliverOnce = %v, want EIO", err)
			}
			committed, _ := w.Committed(dir, key)
			if committed != tc.committed {
				t.Fatalf("committed = %v, want %v", committed, tc.committed)
			}
			if !committed && dirLen(filepath.Join(dir, "tmp"))+dirLen(filepath.Join(dir, "new")) != 0 {
				t.Fatal("files left behind by a failure before the commit point")
			}
			w.FS = OS{}
			_, out, err := w.DeliverOnce(context.Background(), dir, key, nil, msg)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if got := readNew(t, dir); len(got) != 1 || got[0] != string(msg) {
				t.Fatalf("after the retry new/ = %q (outcome %v)", got, out)
			}
		})
	}
}

func TestDeliverOnceFsyncOrder(t *testing.T) {
	w, dir := onceMaildir(t)
	ffs := &faultFS{}
	w.FS = ffs
	msg := []byte("x")
	key := OnceKey("Q", "a@b", dir, msg)
	name, _, err := w.DeliverOnce(context.Background(), dir, key, nil, msg)
	if err != nil {
		t.Fatal(err)
	}
	anchor := filepath.Join(dir, MarkerDir, AnchorPrefix+strconv.FormatInt(anchorDay(w.now()), 10))
	want := []string{
		filepath.Join(dir, "tmp", w.OnceTmpName(key, 1)),
		filepath.Join(dir, "tmp"),
		dir,    // hostdir-delivered/ created
		anchor, // the day's anchor, under its temporary name
		filepath.Join(dir, MarkerDir),
		filepath.Join(dir, "new"),
	}
	if len(ffs.syncs) == len(want) && strings.HasPrefix(ffs.syncs[3], anchor+".") {
		ffs.syncs[3] = anchor
	}
	if strings.Join(ffs.syncs, "\n") != strings.Join(want, "\n") {
		t.Fatalf("fsyncs = %q, want %q (then %s)", ffs.syncs, want, name)
	}
	// The next delivery of the day links to the anchor: no anchor fsync.
	ffs.syncs = nil
	msg2 := []byte("y")
	key2 := OnceKey("Q2", "a@b", dir, msg2)
	if _, _, err := w.DeliverOnce(context.Background(), dir, key2, nil, msg2); err != nil {
		t.Fatal(err)
	}
	want = []string{
		filepath.Join(dir, "tmp", w.OnceTmpName(key2, 1)),
		filepath.Join(dir, "tmp"),
		filepath.Join(dir, MarkerDir),
		filepath.Join(dir, "new"),
	}
	if strings.Join(ffs.syncs, "\n") != strings.Join(want, "\n") {
		t.Fatalf("second delivery: fsyncs = %q, want %q", ffs.syncs, want)
	}
}

// TestDeliverOnceMarkerLinks checks that markers are hard links to the
// day's anchor, that a marker is a file of its own when linking fails
// (EMLINK: the anchor has too many links), and that the expiry scan goes
// by the anchor's time and removes past anchors.
func TestDeliverOnceMarkerLinks(t *testing.T) {
	w, dir := onceMaildir(t)
	now := time.Now()
	w.Now = func() time.Time { return now }
	mdir := filepath.Join(dir, MarkerDir)
	anchor := filepath.Join(mdir, AnchorPrefix+strconv.FormatInt(anchorDay(now), 10))
	ino := func(p string) (uint64, uint64) {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		return st.Ino, uint64(st.Nlink)
	}
	deliver := func(q string) string {
		t.Helper()
		msg := []byte("Subject: " + q + "\n\nbody\n")
		key := OnceKey(q, "a@b", dir, msg)
		if _, out, err := w.DeliverOnce(context.Background(), dir, key, nil, msg); err != nil || out != Written {
			t.Fatalf("DeliverOnce %s: %v %v", q, out, err)
		}
		return key
	}
	k1, k2 := deliver("Q1"), deliver("Q2")
	ai, an := ino(anchor)
	for _, k := range []string{k1, k2} {
		if i, _ := ino(filepath.Join(mdir, k)); i != ai {
			t.Errorf("marker %s is not a link to the anchor", k)
		}
	}
	if an != 3 {
		t.Errorf("anchor has %d links, want 3", an)
	}
	// No temporary anchor is left.
	ents, _ := os.ReadDir(mdir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), anchor+".") {
			t.Errorf("temporary anchor %s left", e.Name())
		}
	}
	// Linking impossible: a marker of its own.
	w.FS = &faultFS{op: "link", match: "/" + MarkerDir + "/", err: syscall.EMLINK}
	k3 := deliver("Q3")
	w.FS = OS{}
	if i, n := ino(filepath.Join(mdir, k3)); i == ai || n != 1 {
		t.Errorf("marker after EMLINK: inode %d (anchor %d), %d links", i, ai, n)
	}
	if ok, err := w.Committed(dir, k3); err != nil || !ok {
		t.Errorf("Committed(k3) = %v %v", ok, err)
	}
	// Eleven days later the anchor's markers expire together; the past
	// anchor and a temporary one a crash left are removed.
	old := now.Add(-MarkerMaxAge - 24*time.Hour)
	for _, p := range []string{anchor, filepath.Join(mdir, k3)} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	stale := anchor + ".1.2"
	if err := os.WriteFile(stale, nil, FileMode); err != nil {
		t.Fatal(err)
	}
	w.Now = func() time.Time { return now.Add(2 * 24 * time.Hour) }
	_ = os.Remove(filepath.Join(mdir, MarkerStamp))
	n, err := w.ExpireMarkers(dir)
	if err != nil || n != 3 {
		t.Fatalf("ExpireMarkers = %d, %v; want 3", n, err)
	}
	ents, _ = os.ReadDir(mdir)
	if len(ents) != 1 || ents[0].Name() != MarkerStamp {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("left in %s: %q, want only %s", MarkerDir, names, MarkerStamp)
	}
}

func TestDeliverOnceConcurrentKeys(t *testing.T) {
	w, dir := onceMaildir(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				msg := []byte(fmt.Sprintf("message %d/%d\n", i, j))
				key := OnceKey(fmt.Sprintf("Q%d", j), "a@b", dir, msg)
				for k := 0; k < 2; k++ { // and its retry
					if _, _, err := w.DeliverOnce(context.Background(), dir, key, nil, msg); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := dirLen(filepath.Join(dir, "new")); n != 80 {
		t.Fatalf("%d messages, want 80", n)
	}
}

func TestExpireMarkers(t *testing.T) {
	w, dir := onceMaildir(t)
	mdir := filepath.Join(dir, MarkerDir)
	os.Mkdir(mdir, DirMode)
	now := time.Now()
	old, fresh := strings.Repeat("a", KeyLen), strings.Repeat("b", KeyLen)
	for name, age := range map[string]time.Duration{old: 11 * 24 * time.Hour, fresh: 9 * 24 * time.Hour, "unrelated": 30 * 24 * time.Hour} {
		p := filepath.Join(mdir, name)
		os.WriteFile(p, nil, FileMode)
		os.Chtimes(p, now.Add(-age), now.Add(-age))
	}
	n, err := w.ExpireMarkers(dir)
	if err != nil || n != 1 {
		t.Fatalf("ExpireMarkers = %d %v, want 1", n, err)
	}
	for name, want := range map[string]bool{old: false, fresh: true, "unrelated": true, MarkerStamp: true} {
		if _, err := os.Stat(filepath.Join(mdir, name)); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", name, err == nil, want)
		}
	}
	// Within a day: no scan, even with an expired marker.
	os.Chtimes(filepath.Join(mdir, fresh), now.Add(-20*24*time.Hour), now.Add(-20*24*time.Hour))
	if n, err := w.ExpireMarkers(dir); err != nil || n != 0 {
		t.Fatalf("second ExpireMarkers = %d %v, want 0", n, err)
	}
	// A day later it scans again.
	w.Now = func() time.Time { return now.Add(25 * time.Hour) }
	if n, err := w.ExpireMarkers(dir); err != nil || n != 1 {
		t.Fatalf("next day ExpireMarkers = %d %v, want 1", n, err)
	}
	// No marker directory at all: nothing to do.
	w2, dir2 := onceMaildir(t)
	if n, err := w2.ExpireMarkers(dir2); err != nil || n != 0 {
		t.Fatalf("without markers: %d %v", n, err)
	}
}
