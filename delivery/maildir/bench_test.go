package maildir

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkDeliver measures one durable delivery: create in tmp/, write,
// fsync, link into new/, unlink, fsync new/.
func BenchmarkDeliver(b *testing.B) {
	base := b.TempDir()
	dir := filepath.Join(base, "example.com", "alice")
	w := New()
	if err := w.Ensure(base, dir); err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 4096)
	for i := range msg {
		msg[i] = 'a' + byte(i%26)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.Deliver(ctx, dir, msg); err != nil {
			b.Fatal(err)
		}
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
