package maildir

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkDeliver measures one durable delivery of a 4 KiB message.
// "no-queue-id" is Writer.Deliver (create in tmp/, write, fsync, link into
// new/, unlink, fsync new/); "queue-id" is Writer.DeliverOnce with a fresh
// key per message, key computation included (the idempotent protocol: also
// fsync tmp/, create the marker, fsync the marker directory); "retry" is
// DeliverOnce for a message already delivered (stat, fsync new/).
func BenchmarkDeliver(b *testing.B) {
	msg := make([]byte, 4096)
	for i := range msg {
		msg[i] = 'a' + byte(i%26)
	}
	setup := func(b *testing.B) (*Writer, string) {
		base := b.TempDir()
		dir := filepath.Join(base, "example.com", "alice")
		w := New()
		if err := w.Ensure(base, dir); err != nil {
			b.Fatal(err)
		}
		return w, dir
	}
	ctx := context.Background()
	b.Run("no-queue-id", func(b *testing.B) {
		w, dir := setup(b)
		b.ReportAllocs()
		b.SetBytes(int64(len(msg)))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := w.Deliver(ctx, dir, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("queue-id", func(b *testing.B) {
		w, dir := setup(b)
		b.ReportAllocs()
		b.SetBytes(int64(len(msg)))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			key := OnceKey("4A1B2C3D4E"+strconv.Itoa(i), "alice@example.com", dir, msg)
			if _, _, err := w.DeliverOnce(ctx, dir, key, nil, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("retry", func(b *testing.B) {
		w, dir := setup(b)
		key := OnceKey("4A1B2C3D4E", "alice@example.com", dir, msg)
		if _, _, err := w.DeliverOnce(ctx, dir, key, nil, msg); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, out, err := w.DeliverOnce(ctx, dir, key, nil, msg); err != nil || out != AlreadyDelivered {
				b.Fatal(out, err)
			}
		}
	})
}

// BenchmarkOnceKey measures the key of a 4 KiB message (one SHA-256 pass).
func BenchmarkOnceKey(b *testing.B) {
	msg := make([]byte, 4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for i := 0; i < b.N; i++ {
		_ = OnceKey("4A1B2C3D4E", "alice@example.com", "/home/vmail/domains/example.com/alice", msg)
	}
}

// BenchmarkEnsureExisting measures the per-delivery check of an existing
// maildir (stats and symlink resolution).
func BenchmarkEnsureExisting(b *testing.B) {
	base := b.TempDir()
	dir := filepath.Join(base, "example.com", "alice")
	w := New()
	if err := w.Ensure(base, dir); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := w.Ensure(base, dir); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeliverInterleaved alternates a plain delivery (Deliver) and an
// idempotent one (DeliverOnce, fresh key) into two maildirs of the same
// file system and reports the mean time of each as plain-ns/msg and
// once-ns/msg: on a shared machine the load changes from second to second,
// and alternating exposes both to the same conditions, so their ratio is
// meaningful even when the absolute figures are not.
func BenchmarkDeliverInterleaved(b *testing.B) {
	base := b.TempDir()
	w := New()
	plainDir := filepath.Join(base, "example.com", "plain")
	onceDir := filepath.Join(base, "example.com", "once")
	for _, d := range []string{plainDir, onceDir} {
		if err := w.Ensure(base, d); err != nil {
			b.Fatal(err)
		}
	}
	msg := make([]byte, 4096)
	for i := range msg {
		msg[i] = 'a' + byte(i%26)
	}
	ctx := context.Background()
	var plain, once time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := w.Deliver(ctx, plainDir, msg); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		key := OnceKey("4A1B2C3D4E"+strconv.Itoa(i), "alice@example.com", onceDir, msg)
		if _, _, err := w.DeliverOnce(ctx, onceDir, key, nil, msg); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		plain += t1.Sub(t0)
		once += t2.Sub(t1)
	}
	b.ReportMetric(float64(plain.Nanoseconds())/float64(b.N), "plain-ns/msg")
	b.ReportMetric(float64(once.Nanoseconds())/float64(b.N), "once-ns/msg")
	b.ReportMetric(float64(once)/float64(plain), "once/plain")
}

// countFS counts fsyncs of directories and files.
type countFS struct {
	OS
	dirSyncs, fileSyncs atomic.Int64
}

func (c *countFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := c.OS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &countFile{File: f, c: c, dir: flag == os.O_RDONLY}, nil
}

type countFile struct {
	File
	c   *countFS
	dir bool
}

func (f *countFile) Sync() error {
	if f.dir {
		f.c.dirSyncs.Add(1)
	} else {
		f.c.fileSyncs.Add(1)
	}
	return f.File.Sync()
}

// BenchmarkDeliverOnceParallel runs idempotent deliveries (fresh key per
// message) from 8 goroutines per CPU into one maildir through one Writer,
// as the LMTP server's sessions do, and reports the fsyncs per message:
// concurrent deliveries share directory fsyncs (SyncDir's group commit);
// each message still has its own file fsync. One goroutine does 3
// directory fsyncs per message (tmp/, the marker directory, new/).
func BenchmarkDeliverOnceParallel(b *testing.B) {
	msg := make([]byte, 4096)
	for i := range msg {
		msg[i] = 'a' + byte(i%26)
	}
	base := b.TempDir()
	dir := filepath.Join(base, "example.com", "alice")
	w := New()
	cfs := &countFS{}
	w.FS = cfs
	if err := w.Ensure(base, dir); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := OnceKey("4A1B2C3D4E"+strconv.FormatInt(n.Add(1), 10), "alice@example.com", dir, msg)
			if _, _, err := w.DeliverOnce(ctx, dir, key, nil, msg); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(cfs.dirSyncs.Load())/float64(b.N), "dirfsyncs/msg")
	b.ReportMetric(float64(cfs.fileSyncs.Load())/float64(b.N), "filefsyncs/msg")
}
