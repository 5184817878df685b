package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"hostdir/directory/entry"
)

// TestLazyFreelistReopen writes with and without the lazy freelist and
// reopens in the other mode: the data and the structure survive, and
// freed pages are found again (bbolt rebuilds the freelist at Open).
func TestLazyFreelistReopen(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int64 // LazyFreelistMaxSize of each session
	}{
		{"lazy then lazy", []int64{1 << 30, 1 << 30}},
		{"lazy then synced", []int64{1 << 30, 0}},
		{"synced then lazy", []int64{0, 1 << 30}},
		{"file too large for lazy", []int64{1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.db")
			ctx := context.Background()
			n := 0
			for s, max := range tc.sizes {
				db, err := Open(path, builtin(t), testIndexes, Options{Suffixes: []string{suffix}, LazyFreelistMaxSize: max})
				if err != nil {
					t.Fatalf("session %d: Open: %v", s, err)
				}
				if s == 0 {
					for _, e := range append([]*entry.Entry{suffixEntry(), hostingEntry()}, domainEntry(0)) {
						if err := db.Add(ctx, e); err != nil {
							t.Fatal(err)
						}
					}
				}
				// writers in parallel: group commits, each with its result
				var wg sync.WaitGroup
				errs := make(chan error, 16)
				for i := 0; i < 16; i++ {
					wg.Go(func() { errs <- db.Add(ctx, accountEntry(0, 100*s+i)) })
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatal(err)
					}
				}
				n += 16
				if err := db.Delete(ctx, ndn(t, db, fmt.Sprintf("mail=user%d@domain0.com,%s", 100*s, domainDN(0)))); err != nil {
					t.Fatal(err)
				}
				n--
				if err := db.Check(); err != nil {
					t.Fatalf("session %d: Check: %v", s, err)
				}
				if err := db.Close(); err != nil {
					t.Fatal(err)
				}
			}
			db, err := Open(path, builtin(t), testIndexes, Options{Suffixes: []string{suffix}, ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			got, err := searchNDNs(t, db, SearchRequest{BaseNDN: ndn(t, db, domainDN(0)), Scope: ScopeOne, Filter: mustFilter(t, "(objectClass=*)")})
			if err != nil || len(got) != n {
				t.Fatalf("accounts after reopen: %d (%v), want %d", len(got), err, n)
			}
		})
	}
}

// TestCloseFinishesQueuedWrites closes the store while writers are
// queued: each gets either success (and its entry is stored) or ErrClosed.
func TestCloseFinishesQueuedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := Open(path, builtin(t), testIndexes, Options{Suffixes: []string{suffix}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, e := range []*entry.Entry{suffixEntry(), hostingEntry(), domainEntry(0)} {
		if err := db.Add(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	ok := make([]bool, 64)
	for i := range ok {
		wg.Go(func() {
			err := db.Add(ctx, accountEntry(0, i))
			if err != nil && err != ErrClosed {
				t.Errorf("add %d: %v", i, err)
			}
			ok[i] = err == nil
		})
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	db, err = Open(path, builtin(t), testIndexes, Options{Suffixes: []string{suffix}, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, added := range ok {
		_, err := db.Get(ctx, ndn(t, db, fmt.Sprintf("mail=user%d@domain0.com,%s", i, domainDN(0))))
		if added != (err == nil) {
			t.Errorf("account %d: acknowledged %v, stored: %v", i, added, err)
		}
	}
}

// TestPanicInModifyReleasesWrites: a Modify callback that panics fails
// its write and panics in its caller; later writes still commit.
func TestPanicInModifyReleasesWrites(t *testing.T) {
	db := openTest(t, Options{})
	ctx := context.Background()
	for _, e := range []*entry.Entry{suffixEntry(), hostingEntry(), domainEntry(0)} {
		if err := db.Add(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	target := ndn(t, db, domainDN(0))
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Error("the panic did not reach the caller")
			}
		}()
		_ = db.Modify(ctx, target, func(*entry.Entry) error { panic("boom") })
	}()
	if err := db.Add(ctx, accountEntry(0, 1)); err != nil {
		t.Fatalf("Add after a panicked write: %v", err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}
