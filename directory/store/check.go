package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"

	"hostdir/directory/dn"
)

// maxProblems bounds the problems Check reports.
const maxProblems = 20

// Check verifies, in one read transaction, that the store is consistent:
// every entry decodes, dn2id maps each entry's NDN to it and holds nothing
// else, the children bucket links each entry to its (existing) parent and
// nothing else, every index holds exactly the (term, id) pairs the entries
// account for, and every index chunk is well formed. It returns nil or an
// error listing (up to 20) problems.
//
// The buckets are compared with the entries by order-independent sums of
// keyed hashes (a fresh random key per call), in sequential passes; only
// when a sum differs does Check look up each expected key to name the
// missing ones.
func (db *DB) Check() error {
	var problems []error
	report := func(format string, args ...any) bool {
		problems = append(problems, fmt.Errorf(format, args...))
		return len(problems) < maxProblems
	}
	err := db.bdb.View(func(tx *bolt.Tx) error {
		c := &checker{db: db, tx: tx, seed: maphash.MakeSeed()}
		c.report = func(format string, args ...any) bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.stopped.Load() {
				return false
			}
			if !report(format, args...) {
				c.stopped.Store(true)
				return false
			}
			return true
		}
		c.run()
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("store: check: %w", errors.Join(problems...))
	}
	return nil
}

// msum is a multiset digest: the count and the sum of the hashes of its
// elements.
type msum struct{ n, sum uint64 }

func (m *msum) add(h uint64) { m.n++; m.sum += h }

type checker struct {
	db     *DB
	tx     *bolt.Tx
	seed   maphash.Seed
	report func(format string, args ...any) bool
	h      maphash.Hash

	mu      sync.Mutex // serializes report
	stopped atomic.Bool

	entries, dn2id, children *bolt.Bucket
	idx                      []*bolt.Bucket
	wantDN, wantLinks        msum
	wantIdx                  []msum
}

func (c *checker) hash(def int, a []byte, id uint64) uint64 {
	c.h.Reset()
	var b [10]byte
	binary.BigEndian.PutUint16(b[:], uint16(def))
	binary.BigEndian.PutUint64(b[2:], id)
	c.h.Write(b[:])
	c.h.Write(a)
	return c.h.Sum64()
}

func (c *checker) run() {
	c.h.SetSeed(c.seed)
	tx, db := c.tx, c.db
	c.entries, c.dn2id, c.children = tx.Bucket(bucketEntries), tx.Bucket(bucketDN2ID), tx.Bucket(bucketChildren)
	if c.entries == nil || c.dn2id == nil || c.children == nil {
		c.report("missing buckets")
		return
	}
	c.idx = make([]*bolt.Bucket, len(db.idx.defs))
	c.wantIdx = make([]msum, len(db.idx.defs))
	for i, d := range db.idx.defs {
		if c.idx[i] = tx.Bucket(d.bucket); c.idx[i] == nil {
			c.report("index bucket %s missing", d.bucket)
			return
		}
	}
	if !c.checkEntries() {
		return
	}
	// dn2id
	var got msum
	cur := c.dn2id.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if len(v) != 8 {
			if !c.report("dn2id: %q: bad value %x", k, v) {
				return
			}
			continue
		}
		got.add(c.hash(-1, k, binary.BigEndian.Uint64(v)))
	}
	if got != c.wantDN && !c.diagnoseDN2ID(got) {
		return
	}
	// children
	got = msum{}
	cur = c.children.Cursor()
	for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
		if _, _, _, ok := childKeyParts(k); !ok {
			if !c.report("children: bad key %x", k) {
				return
			}
			continue
		}
		got.add(c.hash(-2, k, 0))
	}
	if got != c.wantLinks && !c.diagnoseChildren(got) {
		return
	}
	// indexes
	for i, b := range c.idx {
		got, ok := c.sumIndex(i, b)
		if !ok {
			return
		}
		if got != c.wantIdx[i] && !c.diagnoseIndex(i, got) {
			return
		}
	}
	if string(tx.Bucket(bucketMeta).Get(keyIndexes)) != db.idx.signature {
		c.report("index configuration not recorded")
	}
}

// checkEntries decodes every entry, checks its DN and parent, and adds
// what the other buckets must hold to the digests. false: stop. The
// cursor walk and the parent checks run here; decoding, normalizing and
// computing index terms run on worker goroutines (GOMAXPROCS of them, at
// most 4), which share nothing with the transaction but its memory map.
func (c *checker) checkEntries() bool {
	db := c.db
	if err := c.learnAll(); err != nil {
		c.report("attribute descriptions: %v", err)
		return false
	}
	nw := min(max(runtime.GOMAXPROCS(0), 1), 4)
	jobs := make(chan []checkJob, 2*nw)
	parts := make([]checkPart, nw)
	var wg sync.WaitGroup
	for i := range parts {
		p := &parts[i]
		p.want = make([]msum, len(db.idx.defs))
		p.h.SetSeed(c.seed)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range jobs {
				for _, j := range batch {
					if !c.stopped.Load() {
						c.checkEntry(p, j)
					}
				}
			}
		}()
	}
	var lastParent uint64
	var lastParentNDN string
	batch := make([]checkJob, 0, 256)
	cur := c.entries.Cursor()
	for k, v := cur.First(); k != nil && !c.stopped.Load(); k, v = cur.Next() {
		if len(k) != 8 {
			c.report("entries: bad key %x", k)
			continue
		}
		id := binary.BigEndian.Uint64(k)
		h, err := decodeHead(v)
		if err != nil {
			c.report("entry %d: %v", id, err)
			continue
		}
		if h.parent != 0 {
			if h.parent != lastParent {
				lastParent, lastParentNDN = h.parent, "\x00"
				if ph, err := decodeHead(c.entries.Get(idKey(h.parent))); err == nil {
					lastParentNDN = string(ph.ndn)
				}
			}
			if lastParentNDN != dn.ParentOf(string(h.ndn)) {
				c.report("entry %d %q: parent %d is not its parent DN", id, h.ndn, h.parent)
			}
		}
		batch = append(batch, checkJob{id, v})
		if len(batch) == cap(batch) {
			jobs <- batch
			batch = make([]checkJob, 0, 256)
		}
	}
	jobs <- batch
	close(jobs)
	wg.Wait()
	for _, p := range parts {
		c.wantDN.n += p.dn.n
		c.wantDN.sum += p.dn.sum
		c.wantLinks.n += p.links.n
		c.wantLinks.sum += p.links.sum
		for i, m := range p.want {
			c.wantIdx[i].n += m.n
			c.wantIdx[i].sum += m.sum
		}
	}
	return !c.stopped.Load()
}

// checkJob is an entry for a Check worker.
type checkJob struct {
	id  uint64
	raw []byte
}

// checkPart is a Check worker's state and digests.
type checkPart struct {
	h         maphash.Hash
	rec       record
	ks        keySet
	dn, links msum
	want      []msum
	kbuf      []byte
}

func (p *checkPart) hash(def int, a []byte, id uint64) uint64 {
	p.h.Reset()
	var b [10]byte
	binary.BigEndian.PutUint16(b[:], uint16(def))
	binary.BigEndian.PutUint64(b[2:], id)
	p.h.Write(b[:])
	p.h.Write(a)
	return p.h.Sum64()
}

// checkEntry checks one entry on a worker.
func (c *checker) checkEntry(p *checkPart, j checkJob) {
	db := c.db
	snap := db.dict.Load()
	resolve := func(id uint32) (*attrDesc, error) {
		if int(id) < len(snap.byID) && snap.byID[id] != nil {
			return snap.byID[id], nil
		}
		return nil, fmt.Errorf("%w: unknown attribute description id %d", ErrCorrupt, id)
	}
	rec, id := &p.rec, j.id
	if err := rec.decode(id, j.raw, resolve); err != nil {
		c.report("entry %d: %v", id, err)
		return
	}
	for i := range rec.descs {
		if !rec.valuesOK(i) {
			c.report("entry %d: attribute %s does not decode", id, rec.descs[i].desc)
		}
	}
	ndn := string(rec.ndn)
	p.dn.add(p.hash(-1, rec.ndn, id))
	p.kbuf = appendChildKey(p.kbuf[:0], rec.parent, ndn, id)
	p.links.add(p.hash(-2, p.kbuf, 0))
	if n, err := db.normalizeDN(string(rec.dn)); err != nil || n != ndn {
		c.report("entry %d: DN %q normalizes to %q (%v), stored NDN %q", id, rec.dn, n, err, ndn)
	}
	if rec.parent == 0 && !db.isSuffix(ndn) {
		c.report("entry %d %q: no parent but not a suffix", id, ndn)
	}
	db.recordKeys(&p.ks, rec)
	for _, r := range p.ks.refs {
		p.want[r.def].add(p.hash(int(r.def), p.ks.key(r), id))
	}
	for i := range rec.vals {
		rec.vals[i] = nil
	}
}

// learnAll adds every stored attribute description to the shared
// snapshot.
func (c *checker) learnAll() error {
	b := c.tx.Bucket(bucketAttrIDs)
	if b == nil {
		return errors.New("bucket attrids missing")
	}
	snap := c.db.dict.Load()
	var ds []*attrDesc
	err := b.ForEach(func(k, v []byte) error {
		if len(k) != 4 {
			return fmt.Errorf("bad key %x", k)
		}
		id := binary.BigEndian.Uint32(k)
		if int(id) < len(snap.byID) && snap.byID[id] != nil {
			return nil
		}
		ds = append(ds, c.db.newDesc(id, string(v)))
		return nil
	})
	c.db.learn(ds)
	return err
}

// sumIndex digests the pairs of index i and checks its chunks.
func (c *checker) sumIndex(i int, b *bolt.Bucket) (msum, bool) {
	var got msum
	var prevTerm []byte
	var prevLast uint64
	var ids []uint64
	name := c.db.idx.defs[i].bucket
	cur := b.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if len(k) < 8 {
			if !c.report("index %s: bad key %q", name, k) {
				return got, false
			}
			continue
		}
		term := k[:len(k)-8]
		first := binary.BigEndian.Uint64(k[len(term):])
		var ok bool
		ids, ok = appendChunkIDs(ids[:0], first, v)
		if !ok || len(ids) > maxChunk {
			if !c.report("index %s: malformed chunk %q", name, k) {
				return got, false
			}
			continue
		}
		if bytes.Equal(term, prevTerm) && first <= prevLast {
			if !c.report("index %s: chunk %q overlaps the one before", name, k) {
				return got, false
			}
		}
		prevTerm = append(prevTerm[:0], term...)
		prevLast = ids[len(ids)-1]
		for _, id := range ids {
			got.add(c.hash(i, term, id))
		}
	}
	return got, true
}

// diagnoseDN2ID names the entries whose dn2id key is missing or wrong.
func (c *checker) diagnoseDN2ID(got msum) bool {
	cur := c.entries.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		h, err := decodeHead(v)
		if err != nil || len(k) != 8 {
			continue
		}
		id := binary.BigEndian.Uint64(k)
		if got := lookupID(c.dn2id, string(h.ndn)); got != id && !c.report("entry %d %q: dn2id gives %d", id, h.ndn, got) {
			return false
		}
	}
	if got.n != c.wantDN.n {
		return c.report("dn2id holds %d keys for %d entries", got.n, c.wantDN.n)
	}
	return c.report("dn2id holds keys no entry accounts for")
}

// diagnoseChildren names the missing and stale tree links.
func (c *checker) diagnoseChildren(got msum) bool {
	cur := c.entries.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		h, err := decodeHead(v)
		if err != nil || len(k) != 8 {
			continue
		}
		id := binary.BigEndian.Uint64(k)
		if c.children.Get(childKey(h.parent, string(h.ndn), id)) == nil && !c.report("entry %d %q: no children link from parent %d", id, h.ndn, h.parent) {
			return false
		}
	}
	cc := c.children.Cursor()
	for k, _ := cc.First(); k != nil; k, _ = cc.Next() {
		parent, rdn, child, ok := childKeyParts(k)
		if !ok {
			continue
		}
		kid := c.entries.Get(idKey(child))
		if kid == nil {
			if !c.report("children: link %d -> %d to a missing entry", parent, child) {
				return false
			}
			continue
		}
		if h, err := decodeHead(kid); err == nil && !bytes.Equal(k, childKey(h.parent, string(h.ndn), child)) {
			if !c.report("children: stale link %d -> %d (%q)", parent, child, rdn) {
				return false
			}
		}
	}
	if got.n != c.wantLinks.n {
		return c.report("children holds %d links for %d entries", got.n, c.wantLinks.n)
	}
	return true
}

// diagnoseIndex names the ids missing from index i.
func (c *checker) diagnoseIndex(i int, got msum) bool {
	db := c.db
	var pending []*attrDesc
	resolve := func(id uint32) (*attrDesc, error) { return db.descByID(c.tx, id, &pending) }
	var rec record
	var ks keySet
	name := db.idx.defs[i].bucket
	cur := c.entries.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if len(k) != 8 {
			continue
		}
		id := binary.BigEndian.Uint64(k)
		if rec.decode(id, v, resolve) != nil {
			continue
		}
		db.recordKeys(&ks, &rec)
		for _, r := range ks.refs {
			if int(r.def) == i && !indexHas(c.idx[i], ks.key(r), id) {
				if !c.report("entry %d: index %s lacks id %d under key %q", id, name, id, ks.key(r)) {
					return false
				}
			}
		}
	}
	if got.n != c.wantIdx[i].n {
		return c.report("index %s holds %d ids, entries account for %d (stale ids)", name, got.n, c.wantIdx[i].n)
	}
	return c.report("index %s holds ids no entry accounts for", name)
}

// indexHas reports whether term's list in b holds id.
func indexHas(b *bolt.Bucket, term []byte, id uint64) bool {
	cur := b.Cursor()
	seek := appendChunkKey(nil, term, id)
	k, v := cur.Seek(seek)
	if bytes.Equal(k, seek) {
		return true
	}
	if k == nil {
		k, v = cur.Last()
	} else {
		k, v = cur.Prev()
	}
	first, ok := chunkFirst(k, term)
	if !ok {
		return false
	}
	ids, _ := appendChunkIDs(nil, first, v)
	_, found := slices.BinarySearch(ids, id)
	return found
}
