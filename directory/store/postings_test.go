package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"hostdir/directory/entry"
)

func TestChunkCodec(t *testing.T) {
	for _, ids := range [][]uint64{{1}, {1, 2, 3}, {5, 300, 70000, 1 << 40}, {7, 8}} {
		v := appendChunkValue(nil, ids)
		got, ok := appendChunkIDs(nil, ids[0], v)
		if !ok || !slices.Equal(got, ids) {
			t.Errorf("%v: decoded %v %v", ids, got, ok)
		}
	}
	for _, bad := range [][]byte{{0}, {0x80}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}} {
		if _, ok := appendChunkIDs(nil, 10, bad); ok {
			t.Errorf("%x accepted", bad)
		}
	}
}

// chunkSizes returns the number of ids of each chunk of term in the
// bucket of index def.
func chunkSizes(t *testing.T, db *DB, def *indexDef, term []byte) []int {
	t.Helper()
	var sizes []int
	err := db.bdb.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(def.bucket).Cursor()
		for k, v := c.Seek(term); k != nil && strings.HasPrefix(string(k), string(term)) && len(k) == len(term)+8; k, v = c.Next() {
			first, _ := chunkFirst(k, term)
			ids, ok := appendChunkIDs(nil, first, v)
			if !ok {
				t.Fatalf("chunk %q does not decode", k)
			}
			sizes = append(sizes, len(ids))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sizes
}

// TestPostingLists drives lists across chunk boundaries through Add,
// Modify and Delete in random order and checks searches against the
// expected sets, and Check.
func TestPostingLists(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{NoSync: true})
	populate(t, db, 1, 0)
	sc := builtin(t)
	const n = 3 * maxChunk
	r := rand.New(rand.NewPCG(1, 2))
	order := r.Perm(n)
	for _, u := range order[:n/2] {
		if err := db.Add(ctx, accountEntry(0, u)); err != nil {
			t.Fatal(err)
		}
	}
	// the rest in groups, so that one transaction inserts several ids
	rest := order[n/2:]
	errs := make(chan error, len(rest))
	for _, u := range rest {
		go func() { errs <- db.Add(ctx, accountEntry(0, u)) }()
	}
	for range rest {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	eq := db.idx.def(sc.AttributeType("objectClass"), IndexEquality)
	oc := sc.AttributeType("objectClass")
	norm, err := oc.Equality.AppendNormalize(nil, sc, []byte("JammMailAccount"))
	if err != nil {
		t.Fatal(err)
	}
	term := appendPrefix(nil, 0, norm)
	sizes := chunkSizes(t, db, eq, term)
	total := 0
	for _, s := range sizes {
		total += s
		if s > maxChunk {
			t.Errorf("chunk of %d ids", s)
		}
	}
	if total != n || len(sizes) < 2 {
		t.Errorf("chunks %v: %d ids, want %d in several chunks", sizes, total, n)
	}
	base := ndn(t, db, suffix)
	want := map[string]bool{}
	for u := 0; u < n; u++ {
		want[ndn(t, db, fmt.Sprintf("mail=user%d@domain0.com,%s", u, domainDN(0)))] = true
	}
	check := func(step string) {
		t.Helper()
		got, err := searchNDNs(t, db, SearchRequest{BaseNDN: base, Scope: ScopeSub, Filter: mustFilter(t, "(objectClass=JammMailAccount)")})
		if err != nil {
			t.Fatal(err)
		}
		var exp []string
		for k, ok := range want {
			if ok {
				exp = append(exp, k)
			}
		}
		slices.Sort(exp)
		if !slices.Equal(got, exp) {
			t.Fatalf("%s: found %d accounts, want %d", step, len(got), len(exp))
		}
		if err := db.Check(); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	check("after adds")
	// remove the class from some entries (ids leave chunks in the middle)
	// and delete others, including chunk firsts
	for i, u := range r.Perm(n)[:n/2] {
		target := ndn(t, db, fmt.Sprintf("mail=user%d@domain0.com,%s", u, domainDN(0)))
		if i%2 == 0 {
			if err := db.Delete(ctx, target); err != nil {
				t.Fatal(err)
			}
		} else {
			err := db.Modify(ctx, target, func(e *entry.Entry) error {
				for j := range e.Attrs {
					if e.Attrs[j].Type == "objectClass" {
						e.Attrs[j].Values = [][]byte{[]byte("top"), []byte("JammMailAlias")}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		want[target] = false
	}
	check("after deletes and modifies")
	// put the class back: ids go into the middle of existing chunks
	for u := 0; u < n; u++ {
		target := ndn(t, db, fmt.Sprintf("mail=user%d@domain0.com,%s", u, domainDN(0)))
		err := db.Modify(ctx, target, func(e *entry.Entry) error {
			for j := range e.Attrs {
				if e.Attrs[j].Type == "objectClass" {
					e.Attrs[j].Values = [][]byte{[]byte("top"), []byte("JammMailAccount")}
				}
			}
			return nil
		})
		if err == nil {
			want[target] = true
		} else if !errors.Is(err, ErrNoSuchObject) {
			t.Fatal(err)
		}
	}
	check("after modifies back")
}

// TestCheckFindsIndexProblems damages an index bucket behind the store's
// back and expects Check to name the problem.
func TestCheckFindsIndexProblems(t *testing.T) {
	sc := builtin(t)
	for _, tc := range []struct {
		name string
		harm func(b *bolt.Bucket, term []byte) error
		want string
	}{
		{"missing id", func(b *bolt.Bucket, term []byte) error {
			k, _ := b.Cursor().Seek(term)
			return b.Delete(append([]byte(nil), k...))
		}, "lacks id"},
		{"stale id", func(b *bolt.Bucket, term []byte) error {
			return b.Put(appendChunkKey(nil, term, 999999), nil)
		}, "stale ids"},
		{"wrong id", func(b *bolt.Bucket, term []byte) error {
			k, v := b.Cursor().Seek(term)
			k = append([]byte(nil), k...)
			v = append([]byte(nil), v...)
			if err := b.Delete(k); err != nil {
				return err
			}
			first, _ := chunkFirst(k, term)
			return b.Put(appendChunkKey(nil, term, first+100000), v)
		}, "lacks id"},
		{"malformed chunk", func(b *bolt.Bucket, term []byte) error {
			k, _ := b.Cursor().Seek(term)
			return b.Put(append([]byte(nil), k...), []byte{0})
		}, "malformed chunk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t, Options{NoSync: true})
			populate(t, db, 2, 5)
			if err := db.Check(); err != nil {
				t.Fatal(err)
			}
			d := db.idx.def(sc.AttributeType("mail"), IndexEquality)
			term := appendPrefix(nil, 0, []byte("user3@domain1.com"))
			err := rawUpdate(db, func(tx *bolt.Tx) error { return tc.harm(tx.Bucket(d.bucket), term) })
			if err != nil {
				t.Fatal(err)
			}
			err = db.Check()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check: %v, want %q", err, tc.want)
			}
		})
	}
}

// TestCheckFindsTreeProblems damages dn2id and children.
func TestCheckFindsTreeProblems(t *testing.T) {
	for _, tc := range []struct {
		name   string
		bucket []byte
		harm   func(b *bolt.Bucket) error
		want   string
	}{
		{"dn2id stale", bucketDN2ID, func(b *bolt.Bucket) error { return b.Put([]byte("cn=ghost"), idKey(77)) }, "dn2id holds"},
		{"dn2id wrong", bucketDN2ID, func(b *bolt.Bucket) error {
			k, _ := b.Cursor().Last()
			return b.Put(append([]byte(nil), k...), idKey(1))
		}, "dn2id gives"},
		{"children stale", bucketChildren, func(b *bolt.Bucket) error { return b.Put(childKey(1, "cn=ghost,"+suffix, 4242), nil) }, "missing entry"},
		{"children missing", bucketChildren, func(b *bolt.Bucket) error {
			k, _ := b.Cursor().Last()
			return b.Delete(append([]byte(nil), k...))
		}, "no children link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t, Options{NoSync: true})
			populate(t, db, 2, 5)
			if err := rawUpdate(db, func(tx *bolt.Tx) error { return tc.harm(tx.Bucket(tc.bucket)) }); err != nil {
				t.Fatal(err)
			}
			if err := db.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check: %v, want %q", err, tc.want)
			}
		})
	}
}

// TestOpenRefusesOtherFormat: a file of another format version is
// refused clearly, read-write and read-only.
func TestOpenRefusesOtherFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	sc := builtin(t)
	db, err := Open(path, sc, testIndexes, Options{Suffixes: []string{suffix}, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, db, 1, 2)
	if err := rawUpdate(db, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyVersion, []byte{1}) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, ro := range []bool{false, true} {
		_, err := Open(path, sc, testIndexes, Options{Suffixes: []string{suffix}, ReadOnly: ro})
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "format version 1") {
			t.Errorf("read-only %v: Open: %v", ro, err)
		}
	}
}

// TestBulkLoadRuns loads in several transactions, the later ones adding
// chunks to terms that earlier ones created, and checks the store.
func TestBulkLoadRuns(t *testing.T) {
	db := openTest(t, Options{NoSync: true})
	var list []*entry.Entry
	list = append(list, suffixEntry(), hostingEntry())
	for d := 0; d < 3; d++ {
		list = append(list, domainEntry(d))
		for u := 0; u < 400; u++ {
			list = append(list, accountEntry(d, u))
		}
	}
	i := 0
	n, err := db.BulkLoad(context.Background(), 77, func() (*entry.Entry, error) {
		if i == len(list) {
			return nil, nil
		}
		i++
		return list[i-1], nil
	})
	if err != nil || n != len(list) {
		t.Fatalf("BulkLoad: %d of %d: %v", n, len(list), err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	got, err := searchNDNs(t, db, SearchRequest{BaseNDN: ndn(t, db, suffix), Scope: ScopeSub, Filter: mustFilter(t, "(&(objectClass=JammMailAccount)(mail=*@domain1.com))")})
	if err != nil || len(got) != 400 {
		t.Errorf("found %d, %v", len(got), err)
	}
}

// rawUpdate runs fn in a write transaction of the store's write loop,
// behind the store's back.
func rawUpdate(db *DB, fn func(tx *bolt.Tx) error) error {
	return db.submit(context.Background(), func(w *wtx) error {
		w.dirty = true
		return fn(w.tx)
	})
}

// FuzzChunkIDs: any chunk value decodes without panicking, to strictly
// increasing ids that encode back to a value decoding to the same ids.
func FuzzChunkIDs(f *testing.F) {
	f.Add(uint64(1), []byte{})
	f.Add(uint64(7), []byte{1, 2, 0x80, 0x01})
	f.Add(uint64(1<<63), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, first uint64, v []byte) {
		ids, ok := appendChunkIDs(nil, first, v)
		if !ok {
			return
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] <= ids[i-1] {
				t.Fatalf("ids not increasing: %v", ids)
			}
		}
		again, ok := appendChunkIDs(nil, ids[0], appendChunkValue(nil, ids))
		if !ok || !slices.Equal(again, ids) {
			t.Fatalf("re-encoded %v decodes to %v %v", ids, again, ok)
		}
	})
}
