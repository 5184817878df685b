//go:build profile

// The in-process profiling benchmarks import the server package; the build
// tag keeps go test ./bench independent of it:
//
//	go test -tags profile -run '^$' -bench HostdirLookup -benchtime 200000x -cpuprofile cpu.out ./bench

package bench

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hostdir/directory"
	"hostdir/directory/bootstrap"
	"hostdir/directory/config"
)

// inProcess loads a tree with the hostdir binary and serves it from this
// process, so that go test -cpuprofile profiles the server (its functions
// are in package directory and below; the generator's are in bench).
func inProcess(b *testing.B, tree Tree) string {
	b.Helper()
	needProgram(b, DebianSchemaDir+"/nis.schema")
	ctx := context.Background()
	dir := b.TempDir()
	root, err := FindModuleRoot(".")
	if err != nil {
		b.Fatal(err)
	}
	bin, err := BuildHostdir(ctx, root, dir)
	if err != nil {
		b.Fatal(err)
	}
	conf, err := WriteConfig(filepath.Join(dir, "srv"), ConfigOptions{})
	if err != nil {
		b.Fatal(err)
	}
	s := &session{o: Options{Tree: tree}, dir: dir}
	ldif, err := s.writeTree(&tree, "tree.ldif", true)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := (serverSpec{name: Hostdir, bin: bin}).load(ctx, conf, ldif, ""); err != nil {
		b.Fatal(err)
	}
	cfg, err := bootstrap.LoadConfig(conf, "")
	if err != nil {
		b.Fatal(err)
	}
	level := config.LogLevel(0)
	srv, err := directory.Open(cfg, directory.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), LogLevel: &level})
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(sctx, l)
	}()
	b.Cleanup(func() {
		cancel()
		shut, c2 := context.WithTimeout(context.Background(), 10*time.Second)
		defer c2()
		_ = srv.Shutdown(shut)
		l.Close()
		<-done
	})
	return l.Addr().String()
}

// benchOnline runs b.N operations of workload w over conns connections.
func benchOnline(b *testing.B, addr string, tree *Tree, w string, conns int) {
	if _, err := tree.hash(0); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	setup, op := setupFor(w), opFor(w)
	workers := make([]*worker, conns)
	for i := range workers {
		c, err := dial(ctx, addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		if err := setup(c); err != nil {
			b.Fatal(err)
		}
		workers[i] = &worker{c: c, rng: rand.New(rand.NewPCG(uint64(i), 1)), tree: tree, id: i, tag: "b"}
	}
	var left atomic.Int64
	left.Store(int64(b.N))
	var failed atomic.Value
	b.ResetTimer()
	var wg sync.WaitGroup
	for _, wk := range workers {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if err := op(wk); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkHostdirLookup profiles hostdir under the Postfix lookup of a
// 100 x 100 tree, 8 connections, server in this process:
//
//	go test -tags profile -run '^$' -bench HostdirLookup -benchtime 200000x -cpuprofile cpu.out ./bench
//	go tool pprof -top -focus 'hostdir/directory' bench.test cpu.out
func BenchmarkHostdirLookup(b *testing.B) {
	tree := Tree{Domains: 100, Accounts: 100}
	addr := inProcess(b, tree)
	benchOnline(b, addr, &tree, WorkLookup, 8)
}

// BenchmarkHostdirLogin is BenchmarkHostdirLookup for the Dovecot login.
func BenchmarkHostdirLogin(b *testing.B) {
	tree := Tree{Domains: 100, Accounts: 100}
	addr := inProcess(b, tree)
	benchOnline(b, addr, &tree, WorkLogin, 8)
}

// BenchmarkHostdirModify1 profiles hostdir under the modify-1 workload
// (one rootdn writer, durable commits), server in this process:
//
//	go test -tags profile -run '^$' -bench HostdirModify1 -benchtime 20000x -cpuprofile cpu.out ./bench
func BenchmarkHostdirModify1(b *testing.B) {
	tree := Tree{Domains: 100, Accounts: 100}
	addr := inProcess(b, tree)
	benchOnline(b, addr, &tree, WorkModify1, 1)
}

// BenchmarkHostdirModify8 is BenchmarkHostdirModify1 with 8 writers.
func BenchmarkHostdirModify8(b *testing.B) {
	tree := Tree{Domains: 100, Accounts: 100}
	addr := inProcess(b, tree)
	benchOnline(b, addr, &tree, WorkModify8, 8)
}

// BenchmarkHostdirAdd1 profiles hostdir under the add-1 workload.
func BenchmarkHostdirAdd1(b *testing.B) {
	tree := Tree{Domains: 100, Accounts: 100}
	addr := inProcess(b, tree)
	benchOnline(b, addr, &tree, WorkAdd1, 1)
}
