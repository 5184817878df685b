package maildir

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestUniqueName(t *testing.T) {
	tests := []struct {
		host string
		want string
	}{
		{"mail.example.com", `^1700000000\.M123456P4242Q1\.mail\.example\.com,S=99$`},
		{"a/b:c", `^1700000000\.M123456P4242Q1\.a\\057b\\072c,S=99$`},
		{"", `^1700000000\.M123456P4242Q1\.localhost,S=99$`},
	}
	for _, tc := range tests {
		w := &Writer{Hostname: tc.host, PID: 4242, Now: func() time.Time { return time.Unix(1700000000, 123456789) }}
		got := w.UniqueName(99)
		if !regexp.MustCompile(tc.want).MatchString(got) {
			t.Errorf("UniqueName with host %q = %q, want %s", tc.host, got, tc.want)
		}
		if next := w.UniqueName(99); next == got || !strings.Contains(next, "Q2.") {
			t.Errorf("second name %q", next)
		}
	}
}

func TestJoin(t *testing.T) {
	tests := []struct {
		base, mailbox, want string
		err                 error
	}{
		{"/home/vmail/domains", "example.com/alice/", "/home/vmail/domains/example.com/alice", nil},
		{"/home/vmail/domains/", "example.com/alice", "/home/vmail/domains/example.com/alice", nil},
		{"/home/vmail", "/abs/alice/", "/home/vmail/abs/alice", nil},
		{"/home/vmail", "a//b/./c/", "/home/vmail/a/b/c", nil},
		{"/home/vmail", "../etc/", "", ErrUnsafePath},
		{"/home/vmail", "a/../../etc", "", ErrUnsafePath},
		{"/home/vmail", "a/..", "", ErrUnsafePath},
		{"/home/vmail", "", "", ErrUnsafePath},
		{"/home/vmail", "./", "", ErrUnsafePath},
		{"/home/vmail", "a\x00b/", "", ErrUnsafePath},
		{"relative", "a/", "", ErrUnsafePath},
		{"/", "a/", "/a", nil},
	}
	for _, tc := range tests {
		got, err := Join(tc.base, tc.mailbox)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("Join(%q, %q) = %q, %v; want %q, %v", tc.base, tc.mailbox, got, err, tc.want, tc.err)
		}
	}
}

func TestEnsureAndDeliver(t *testing.T) {
	base := t.TempDir()
	w := New()
	dir := filepath.Join(base, "example.com", "alice")
	if err := w.Ensure(base, dir); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"example.com", "example.com/alice", "example.com/alice/tmp", "example.com/alice/new", "example.com/alice/cur"} {
		fi, err := os.Stat(filepath.Join(base, p))
		if err != nil || !fi.IsDir() || fi.Mode().Perm() != DirMode {
			t.Errorf("%s: %v %v", p, fi, err)
		}
	}
	name, err := w.Deliver(context.Background(), dir, []byte("Subject: a\n\n"), []byte("body\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(name, ",S=17") || strings.ContainsAny(name, ":/") || strings.HasPrefix(name, ".") {
		t.Errorf("name %q", name)
	}
	fi, err := os.Stat(filepath.Join(dir, "new", name))
	if err != nil || fi.Mode().Perm() != FileMode || fi.Size() != 17 {
		t.Fatalf("stored file: %v %v", fi, err)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(ents) != 0 {
		t.Errorf("tmp/ not empty: %v", ents)
	}
	// Ensure on an existing maildir is a no-op.
	if err := w.Ensure(base, dir); err != nil {
		t.Fatal(err)
	}
}

func TestEnsureRefuses(t *testing.T) {
	base := t.TempDir()
	outside := t.TempDir()
	os.MkdirAll(filepath.Join(base, "example.com"), 0o700)
	if err := os.Symlink(outside, filepath.Join(base, "example.com", "link")); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(base, "inner"), 0o700)
	os.Symlink(filepath.Join(base, "inner"), filepath.Join(base, "example.com", "goodlink"))
	os.WriteFile(filepath.Join(base, "file"), nil, 0o600)
	tests := []struct {
		name string
		base string
		dir  string
		err  error
	}{
		{"symlink out of base", base, filepath.Join(base, "example.com", "link", "alice"), ErrUnsafePath},
		{"symlink itself out", base, filepath.Join(base, "example.com", "link"), ErrUnsafePath},
		{"symlink inside base", base, filepath.Join(base, "example.com", "goodlink", "alice"), nil},
		{"not below", base, outside, ErrUnsafePath},
		{"equal to base", base, base, ErrUnsafePath},
		{"unclean", base, base + "/a/../b", ErrUnsafePath},
		{"relative", "rel", "rel/a", ErrUnsafePath},
		{"missing base", filepath.Join(base, "nope"), filepath.Join(base, "nope", "a"), ErrNoBase},
		{"file in the way", base, filepath.Join(base, "file", "a"), nil},
	}
	w := New()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := w.Ensure(tc.base, tc.dir)
			if tc.name == "file in the way" {
				if err == nil {
					t.Fatal("no error with a file in the way")
				}
				return
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("Ensure = %v, want %v", err, tc.err)
			}
		})
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("something was created outside the base: %v", ents)
	}
}

// faultFS injects an error into the named operation on paths containing
// match, and records fsyncs.
type faultFS struct {
	OS
	op    string // "create", "write", "sync", "close", "link", "syncdir", "mkdir"
	match string
	err   error

	mu    sync.Mutex
	syncs []string
}

func (f *faultFS) fail(op, name string) error {
	if f.op == op && strings.Contains(name, f.match) {
		return f.err
	}
	return nil
}

func (f *faultFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	if flag&os.O_CREATE != 0 {
		if err := f.fail("create", name); err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
	file, err := f.OS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f, name: name}, nil
}

func (f *faultFS) Link(o, n string) error {
	if err := f.fail("link", n); err != nil {
		return &os.LinkError{Op: "link", Old: o, New: n, Err: err}
	}
	return f.OS.Link(o, n)
}

func (f *faultFS) Mkdir(n string, perm fs.FileMode) error {
	if err := f.fail("mkdir", n); err != nil {
		return &fs.PathError{Op: "mkdir", Path: n, Err: err}
	}
	return f.OS.Mkdir(n, perm)
}

type faultFile struct {
	File
	fs   *faultFS
	name string
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.fail("write", f.name); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f *faultFile) Sync() error {
	fi, _ := f.File.Stat()
	op := "sync"
	if fi != nil && fi.IsDir() {
		op = "syncdir"
	}
	if err := f.fs.fail(op, f.name); err != nil {
		return err
	}
	f.fs.mu.Lock()
	f.fs.syncs = append(f.fs.syncs, f.name)
	f.fs.mu.Unlock()
	return f.File.Sync()
}

func (f *faultFile) Close() error {
	if err := f.fs.fail("close", f.name); err != nil {
		f.File.Close()
		return err
	}
	return f.File.Close()
}

func TestDeliverFaults(t *testing.T) {
	tests := []struct {
		name  string
		op    string
		match string
		err   error
		full  bool
	}{
		{"create fails", "create", "/m/tmp/", syscall.EACCES, false},
		{"disk full on write", "write", "/m/tmp/", syscall.ENOSPC, true},
		{"quota full on write", "write", "/m/tmp/", syscall.EDQUOT, true},
		{"fsync fails", "sync", "/m/tmp/", syscall.EIO, false},
		{"close fails", "close", "/m/tmp/", syscall.EIO, false},
		{"link fails", "link", "/m/new/", syscall.EIO, false},
		{"fsync of new/ fails", "syncdir", "/m/new", syscall.EIO, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, "m")
			ffs := &faultFS{op: tc.op, match: tc.match, err: tc.err}
			w := New()
			w.FS = ffs
			if err := w.Ensure(base, dir); err != nil {
				t.Fatal(err)
			}
			_, err := w.Deliver(context.Background(), dir, []byte("hello\n"))
			if !errors.Is(err, tc.err) {
				t.Fatalf("Deliver = %v, want %v", err, tc.err)
			}
			if IsStorageFull(err) != tc.full {
				t.Errorf("IsStorageFull(%v) = %v", err, !tc.full)
			}
			for _, sub := range []string{"new", "tmp"} {
				if ents, _ := os.ReadDir(filepath.Join(dir, sub)); len(ents) != 0 {
					t.Errorf("%s/ holds %v after a failure", sub, ents)
				}
			}
		})
	}
}

func TestDeliverFsyncOrder(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "a", "b")
	ffs := &faultFS{}
	w := New()
	w.FS = ffs
	if err := w.Ensure(base, dir); err != nil {
		t.Fatal(err)
	}
	// Creating a/, a/b/, and tmp/new/cur fsyncs each parent.
	wantDirs := []string{base, filepath.Join(base, "a"), dir, dir, dir}
	if len(ffs.syncs) != len(wantDirs) {
		t.Fatalf("fsyncs while creating: %q", ffs.syncs)
	}
	for i, d := range wantDirs {
		if ffs.syncs[i] != d {
			t.Errorf("fsync %d = %s, want %s", i, ffs.syncs[i], d)
		}
	}
	ffs.syncs = nil
	name, err := w.Deliver(context.Background(), dir, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "tmp", name), filepath.Join(dir, "new")}
	if len(ffs.syncs) != 2 || ffs.syncs[0] != want[0] || ffs.syncs[1] != want[1] {
		t.Fatalf("fsyncs = %q, want %q", ffs.syncs, want)
	}
}

func TestEnsureMkdirFault(t *testing.T) {
	base := t.TempDir()
	w := New()
	w.FS = &faultFS{op: "mkdir", match: "/new", err: syscall.ENOSPC}
	err := w.Ensure(base, filepath.Join(base, "m"))
	if !IsStorageFull(err) {
		t.Fatalf("Ensure = %v", err)
	}
}

func TestDeliverCancelled(t *testing.T) {
	base := t.TempDir()
	w := New()
	dir := filepath.Join(base, "m")
	w.Ensure(base, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.Deliver(ctx, dir, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Deliver = %v", err)
	}
}

func TestDeliverConcurrent(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "m")
	w := New()
	if err := w.Ensure(base, dir); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				if _, err := w.Deliver(context.Background(), dir, []byte("x")); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if ents, _ := os.ReadDir(filepath.Join(dir, "new")); len(ents) != 80 {
		t.Fatalf("%d messages, want 80", len(ents))
	}
}

func TestCleanTmp(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "m")
	w := New()
	w.Ensure(base, dir)
	old := filepath.Join(dir, "tmp", "old")
	fresh := filepath.Join(dir, "tmp", "fresh")
	os.WriteFile(old, nil, 0o600)
	os.WriteFile(fresh, nil, 0o600)
	past := time.Now().Add(-37 * time.Hour)
	os.Chtimes(old, past, past)
	n, err := w.CleanTmp(dir, 36*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("CleanTmp = %d, %v", n, err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("fresh file removed")
	}
}

func TestFolder(t *testing.T) {
	tests := []struct{ in, want string }{
		{"news", "news"},
		{"Lists.Go", "Lists.Go"},
		{"a/b", "a_b"},
		{"..a..b..", "a.b"},
		{".hidden", "hidden"},
		{"inbox", ""},
		{"", ""},
		{"...", ""},
		{"ünï", "__n__"},
		{"a b&c", "a_b_c"},
		{strings.Repeat("x", 300), strings.Repeat("x", 100)},
	}
	for _, tc := range tests {
		if got := SanitizeFolder(tc.in); got != tc.want {
			t.Errorf("SanitizeFolder(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	base := t.TempDir()
	dir := filepath.Join(base, "m")
	w := New()
	w.Ensure(base, dir)
	if _, ok, err := w.Folder(base, dir, "news", false); ok || err != nil {
		t.Fatalf("missing folder: %v %v", ok, err)
	}
	p, ok, err := w.Folder(base, dir, "news", true)
	if !ok || err != nil || p != filepath.Join(dir, ".news") {
		t.Fatalf("create: %q %v %v", p, ok, err)
	}
	if _, err := os.Stat(filepath.Join(p, "maildirfolder")); err != nil {
		t.Error(err)
	}
	if _, _, err := w.Folder(base, dir, "../x", true); !errors.Is(err, ErrUnsafePath) {
		t.Errorf("unsafe name: %v", err)
	}
}
