package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"hostdir/directory/dn"
	"hostdir/directory/entry"
	"hostdir/schema"
)

// writeOp is one write waiting for the write loop.
type writeOp struct {
	ctx  context.Context
	fn   func(w *wtx) error
	bulk bool // run alone, without fsync
	err  error
	done chan struct{}
}

// wtx is the state of one write operation inside a group transaction.
type wtx struct {
	db      *DB
	tx      *bolt.Tx
	dirty   bool // the operation has written something
	pending []*attrDesc
	buckets [6]*bolt.Bucket
	indexes []*bolt.Bucket
	ks, ks2 keySet
	buf     []byte
	rec     record
	arena   []byte // bytes handed to bbolt: never reused within the transaction
	kbuf    []byte
	vbuf    []byte
	ids     []uint64
	types   []*schema.AttributeType // of the attributes descIDs resolved

	// run, during a bulk load, collects the index, dn2id and children
	// keys of the chunk, written in key order at its end.
	run *bulkRun
}

// keep copies b into the transaction's arena: bbolt keeps references to
// the keys and values given to Put until the transaction ends, so they
// must not be overwritten by later operations of the same group.
func (w *wtx) keep(b []byte) []byte {
	if len(b) > cap(w.arena)-len(w.arena) {
		w.arena = make([]byte, 0, max(64<<10, len(b)))
	}
	lo := len(w.arena)
	w.arena = append(w.arena, b...)
	return w.arena[lo:len(w.arena):len(w.arena)]
}

const (
	bEntries = iota
	bDN2ID
	bChildren
	bAttrs
	bAttrIDs
)

func (w *wtx) b(i int) *bolt.Bucket {
	if w.buckets[i] == nil {
		name := [...][]byte{bucketEntries, bucketDN2ID, bucketChildren, bucketAttrs, bucketAttrIDs}[i]
		w.buckets[i] = w.tx.Bucket(name)
	}
	return w.buckets[i]
}

func (w *wtx) index(def int32) *bolt.Bucket {
	if w.indexes == nil {
		w.indexes = make([]*bolt.Bucket, len(w.db.idx.defs))
	}
	if w.indexes[def] == nil {
		w.indexes[def] = w.tx.Bucket(w.db.idx.defs[def].bucket)
	}
	return w.indexes[def]
}

// errRetryAlone aborts a group whose operation failed after writing.
var errRetryAlone = errors.New("store: retry alone")

// submit queues fn and waits for its result. fn runs inside a write
// transaction shared with other writes, on the goroutine of whichever
// writer commits the group. It must return an error only before its first
// mutation (w.dirty false) unless the error is fatal to the whole
// transaction.
func (db *DB) submit(ctx context.Context, fn func(w *wtx) error) error {
	return db.submitOp(&writeOp{ctx: ctx, fn: fn, done: make(chan struct{})})
}

// submitOp queues op, then either waits for the writer that holds the
// commit token to run it, or takes the token and commits the queued
// writes itself (leader/follower group commit). A lone writer thus runs
// its own transaction on its own goroutine, with no hand-off to another
// goroutine and back; concurrent writers queue while a commit is being
// synced and share the next one.
func (db *DB) submitOp(op *writeOp) error {
	if err := op.ctx.Err(); err != nil {
		return err
	}
	db.closeMu.RLock()
	if db.closed {
		db.closeMu.RUnlock()
		return ErrClosed
	}
	select {
	case db.ops <- op:
		db.closeMu.RUnlock()
	case <-op.ctx.Done():
		db.closeMu.RUnlock()
		return op.ctx.Err()
	}
	// Once queued, op is always finished promptly (a group skips ops
	// whose context is done when it picks them up), so wait for it:
	// returning early could report failure for a write that is then
	// committed.
	for {
		select {
		case <-op.done:
			return op.err
		case db.lead <- struct{}{}:
			db.leadUntilDone(op)
			return op.err
		}
	}
}

// errWritePanicked is the result of writes whose group panicked.
var errWritePanicked = errors.New("store: write panicked")

// leadUntilDone commits groups until op is finished, then releases the
// commit token. The caller holds the token. While op is not finished it
// is in the queue (only the token's holder takes ops out), so each round
// makes progress on it; when it is done, a waiting writer whose op is
// still queued takes the token next. A panic (in a caller's fn) fails
// the ops of the group and releases the token before going on up.
func (db *DB) leadUntilDone(op *writeOp) {
	defer func() {
		if r := recover(); r != nil {
			for _, o := range db.group.batch {
				if o != nil && !isDone(o) {
					o.err = fmt.Errorf("%w: %v", errWritePanicked, r)
					close(o.done)
				}
			}
			clear(db.group.batch)
			db.group.batch = db.group.batch[:0]
			<-db.lead
			panic(r)
		}
	}()
	for !isDone(op) {
		db.commitRound()
	}
	<-db.lead
}

// isDone reports whether op has finished.
func isDone(op *writeOp) bool {
	select {
	case <-op.done:
		return true
	default:
		return false
	}
}

// Group commit timing. The leader waits for more writers to join a group
// only while the group is smaller than the previous one: a lone writer
// never waits; concurrent writers, who come back right after their
// previous commit (through the network and the frontend), are gathered
// into one commit. The wait is half the duration of the previous commit
// (mostly its fsync), within [groupWaitMin, groupWaitMax]: waiting costs
// less than a commit it saves.
const (
	groupWaitMin = 200 * time.Microsecond
	groupWaitMax = 2 * time.Millisecond
)

// groupState is the state of group commits, owned by the holder of the
// commit token (db.lead).
type groupState struct {
	batch []*writeOp
	timer *time.Timer
	last  int           // size of the previous group
	wait  time.Duration // longest wait for companions
	w     *wtx          // reused by each group transaction
}

// commitRound takes the writes queued now (at least one, which must be
// there) and commits them as one group, or runs a bulk op alone. The
// caller holds the commit token.
func (db *DB) commitRound() {
	g := &db.group
	op := <-db.ops
	if op.bulk {
		db.runBulk(op)
		return
	}
	g.batch = append(g.batch[:0], op)
	waiting := false
fill:
	for len(g.batch) < db.opts.MaxBatch {
		select {
		case op = <-db.ops:
		default:
			if len(g.batch) >= g.last {
				break fill
			}
			if !waiting {
				g.timer.Reset(g.wait)
				waiting = true
			}
			select {
			case op = <-db.ops:
			case <-g.timer.C:
				waiting = false
				break fill
			}
		}
		if op.bulk {
			db.runBatch(g.batch)
			g.batch = g.batch[:0]
			db.runBulk(op)
			break fill
		}
		g.batch = append(g.batch, op)
	}
	if waiting {
		g.timer.Stop()
	}
	if len(g.batch) > 0 {
		g.last = len(g.batch)
		start := time.Now()
		db.runBatch(g.batch)
		g.wait = min(max(time.Since(start)/2, groupWaitMin), groupWaitMax)
	}
	clear(g.batch) // do not keep finished ops (and their entries) alive
}

// drain runs every queued op, each alone; the caller holds the commit
// token and the DB is closed to new writes.
func (db *DB) drain() {
	for {
		select {
		case op := <-db.ops:
			db.runOne(op)
		default:
			return
		}
	}
}

// runOne runs a single op (bulk or not).
func (db *DB) runOne(op *writeOp) {
	if op.bulk {
		db.runBulk(op)
		return
	}
	db.runBatch([]*writeOp{op})
}

// maxKeptArena is the largest arena a group transaction keeps for the
// next one; a larger one (a big group or entry) is dropped after use.
const maxKeptArena = 1 << 20

// groupWtx returns the group's wtx reset for the transaction tx. Its
// buffers are reused from one transaction to the next: bbolt holds on to
// the keys and values given to Put only until the transaction ends.
func (db *DB) groupWtx(tx *bolt.Tx) *wtx {
	w := db.group.w
	if w == nil {
		w = &wtx{db: db}
		db.group.w = w
	}
	w.tx = tx
	w.dirty = false
	w.pending = nil // handed to learn after the commit
	w.buckets = [len(w.buckets)]*bolt.Bucket{}
	clear(w.indexes)
	if cap(w.arena) > maxKeptArena {
		w.arena = nil
	}
	w.arena = w.arena[:0]
	return w
}

// releaseWtx drops the transaction's references held by the group's wtx.
func (db *DB) releaseWtx(w *wtx) {
	w.tx = nil
	w.buckets = [len(w.buckets)]*bolt.Bucket{}
	clear(w.indexes)
	w.pending = nil
}

// runBatch runs ops in one transaction; on errRetryAlone each op is rerun
// in its own transaction.
func (db *DB) runBatch(ops []*writeOp) {
	var pending []*attrDesc
	ok := 0
	err := db.bdb.Update(func(tx *bolt.Tx) error {
		w := db.groupWtx(tx)
		defer db.releaseWtx(w)
		pending, ok = nil, 0
		for _, op := range ops {
			op.err = nil
			if err := op.ctx.Err(); err != nil {
				op.err = err
				continue
			}
			w.dirty = false
			if err := op.fn(w); err != nil {
				if w.dirty {
					op.err = err
					return errRetryAlone
				}
				op.err = err
				continue
			}
			ok++
		}
		pending = w.pending
		return nil
	})
	switch {
	case errors.Is(err, errRetryAlone) && len(ops) > 1:
		for _, op := range ops {
			db.runBatch([]*writeOp{op})
		}
		return
	case errors.Is(err, errRetryAlone):
		// a single op that failed after writing: its transaction was
		// rolled back; report its own error.
		ops[0].err = fmt.Errorf("store: write rolled back: %w", ops[0].err)
	case err != nil:
		for _, op := range ops {
			if op.err == nil {
				op.err = fmt.Errorf("store: commit: %w", err)
			}
		}
	default:
		db.stats.commits.Add(1)
		db.stats.writes.Add(uint64(ok))
		db.learn(pending)
	}
	for _, op := range ops {
		close(op.done)
	}
}

// runBulk runs a bulk op alone with fsync disabled for its commits.
func (db *DB) runBulk(op *writeOp) {
	db.bdb.NoSync, db.bdb.NoGrowSync = true, true
	defer func() { db.bdb.NoSync, db.bdb.NoGrowSync = db.opts.NoSync, db.opts.NoSync }()
	op.err = errWritePanicked // unless fn returns
	defer close(op.done)
	op.err = op.fn(&wtx{db: db})
}

// descIDs returns the description ids of attrs, creating new ones, and
// sets w.types to their attribute types.
func (w *wtx) descIDs(ids []uint32, attrs []entry.Attribute) ([]uint32, error) {
	ids = ids[:0]
	w.types = w.types[:0]
	snap := w.db.dict.Load()
	for _, a := range attrs {
		if d, ok := snap.byName[a.Type]; ok {
			ids = append(ids, d.id)
			w.types = append(w.types, d.at)
			continue
		}
		d, err := w.newDescID(a.Type)
		if err != nil {
			return ids, err
		}
		ids = append(ids, d.id)
		w.types = append(w.types, d.at)
	}
	return ids, nil
}

func (w *wtx) newDescID(desc string) (*attrDesc, error) {
	for _, d := range w.pending {
		if d.desc == desc {
			return d, nil
		}
	}
	if v := w.b(bAttrs).Get([]byte(desc)); len(v) == 4 {
		d := w.db.newDesc(binary.BigEndian.Uint32(v), desc)
		w.pending = append(w.pending, d)
		return d, nil
	}
	w.dirty = true
	seq, err := w.b(bAttrs).NextSequence()
	if err != nil {
		return nil, err
	}
	if seq >= 1<<32 {
		return nil, errors.New("store: too many attribute descriptions")
	}
	var k [4]byte
	binary.BigEndian.PutUint32(k[:], uint32(seq))
	if err := w.b(bAttrs).Put([]byte(desc), k[:]); err != nil {
		return nil, err
	}
	if err := w.b(bAttrIDs).Put(k[:], []byte(desc)); err != nil {
		return nil, err
	}
	d := w.db.newDesc(uint32(seq), desc)
	w.pending = append(w.pending, d)
	return d, nil
}

func idKey(id uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], id)
	return k[:]
}

// lookupID returns the id stored for ndn (0 if none).
func lookupID(dn2id *bolt.Bucket, ndn string) uint64 {
	v := dn2id.Get([]byte(ndn))
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// matched returns the stored DN of the deepest existing ancestor of ndn.
func (db *DB) matched(tx *bolt.Tx, ndn string) string {
	dn2id := tx.Bucket(bucketDN2ID)
	entries := tx.Bucket(bucketEntries)
	for p := dn.ParentOf(ndn); p != ""; p = dn.ParentOf(p) {
		if id := lookupID(dn2id, p); id != 0 {
			if h, err := decodeHead(entries.Get(idKey(id))); err == nil {
				return string(h.dn)
			}
			return ""
		}
	}
	return ""
}

// parentFor checks where an entry with normalized DN ndn may go and
// returns its parent's id (0 for a suffix entry).
func (w *wtx) parentFor(ndn string) (uint64, error) {
	if w.db.isSuffix(ndn) {
		return 0, nil
	}
	if !w.db.underSuffix(ndn) {
		return 0, ErrNotUnderSuffix
	}
	parent := dn.ParentOf(ndn)
	if r := w.run; r != nil && r.lastParent.id != 0 && r.lastParent.ndn == parent {
		return r.lastParent.id, nil // a bulk load's entries come in runs of siblings
	}
	pid := lookupID(w.b(bDN2ID), parent)
	if pid == 0 && w.run != nil {
		pid = w.run.dnIdx[parent]
	}
	if pid != 0 && w.run != nil {
		w.run.lastParent = dnID{parent, pid}
	}
	if pid == 0 {
		return 0, &MatchedError{Err: ErrNoSuchParent, MatchedDN: w.db.matched(w.tx, ndn)}
	}
	return pid, nil
}

// Add stores a new entry. The entry is not schema-checked here (the
// frontend does that); its DN must parse and normalize with the schema.
func (db *DB) Add(ctx context.Context, e *entry.Entry) error {
	ndn, err := db.normalizeDN(e.DN)
	if err != nil {
		return err
	}
	return db.submit(ctx, func(w *wtx) error { return w.add(e, ndn) })
}

// add is Add inside the write transaction.
func (w *wtx) add(e *entry.Entry, ndn string) error {
	if lookupID(w.b(bDN2ID), ndn) != 0 || (w.run != nil && w.run.dnIdx[ndn] != 0) {
		return ErrAlreadyExists
	}
	pid, err := w.parentFor(ndn)
	if err != nil {
		return err
	}
	w.dirty = true
	id, err := w.b(bEntries).NextSequence()
	if err != nil {
		return err
	}
	ids, err := w.descIDs(nil, e.Attrs)
	if err != nil {
		return err
	}
	w.buf = appendRecord(w.buf[:0], e.DN, ndn, pid, ids, e.Attrs)
	if err := w.b(bEntries).Put(w.keep(idKey(id)), w.keep(w.buf)); err != nil {
		return err
	}
	w.db.entryKeys(&w.ks, e.Attrs, w.types)
	if r := w.run; r != nil {
		r.addDN(ndn, id)
		r.addLink(pid, ndn, id)
		r.idx.addKeys(&w.ks, id)
		return nil
	}
	if err := w.b(bDN2ID).Put([]byte(ndn), idKey(id)); err != nil {
		return err
	}
	w.kbuf = appendChildKey(w.kbuf[:0], pid, ndn, id)
	if err := w.b(bChildren).Put(w.keep(w.kbuf), nil); err != nil {
		return err
	}
	return w.putKeys(&w.ks, id)
}

// load reads and fully copies the entry with normalized DN ndn.
func (w *wtx) load(ndn string) (uint64, *entry.Entry, recordHead, error) {
	id := lookupID(w.b(bDN2ID), ndn)
	if id == 0 {
		return 0, nil, recordHead{}, &MatchedError{Err: ErrNoSuchObject, MatchedDN: w.db.matched(w.tx, ndn)}
	}
	raw := w.b(bEntries).Get(idKey(id))
	if raw == nil {
		return 0, nil, recordHead{}, corrupt(fmt.Sprintf("dn2id %q points to missing entry %d", ndn, id))
	}
	err := w.rec.decode(id, raw, func(d uint32) (*attrDesc, error) { return w.db.descByID(w.tx, d, &w.pending) })
	if err != nil {
		return 0, nil, recordHead{}, err
	}
	return id, w.rec.toEntry(), w.rec.recordHead, nil
}

// Modify runs fn on a copy of the entry with normalized DN ndn and stores
// the result, updating the indexes, in one transaction. fn runs on the
// store's write goroutine while the transaction is open: it must be quick
// and must not call the DB. fn's error aborts the modification and is
// returned as is. fn must not change the DN (ErrDNChanged). fn may be
// called again on a fresh copy if the group transaction it ran in had to
// be retried, so it must depend only on its argument.
func (db *DB) Modify(ctx context.Context, ndn string, fn func(e *entry.Entry) error) error {
	return db.submit(ctx, func(w *wtx) error {
		id, e, head, err := w.load(ndn)
		if err != nil {
			return err
		}
		w.db.entryKeys(&w.ks, e.Attrs, nil)
		oldDN := e.DN
		if err := fn(e); err != nil {
			return err
		}
		if e.DN != oldDN {
			n, err := w.db.normalizeDN(e.DN)
			if err != nil {
				return err
			}
			if n != ndn {
				return ErrDNChanged
			}
		}
		ids, err := w.descIDs(nil, e.Attrs)
		if err != nil {
			return err
		}
		w.dirty = true
		w.buf = appendRecord(w.buf[:0], e.DN, ndn, head.parent, ids, e.Attrs)
		if err := w.b(bEntries).Put(idKey(id), w.keep(w.buf)); err != nil {
			return err
		}
		w.db.entryKeys(&w.ks2, e.Attrs, nil)
		return w.diffKeys(&w.ks, &w.ks2, id)
	})
}

// Delete removes the leaf entry with normalized DN ndn.
func (db *DB) Delete(ctx context.Context, ndn string) error {
	return db.submit(ctx, func(w *wtx) error {
		id, e, head, err := w.load(ndn)
		if err != nil {
			return err
		}
		if hasChildren(w.b(bChildren), id) {
			return ErrNotAllowedOnNonLeaf
		}
		w.db.entryKeys(&w.ks, e.Attrs, nil)
		w.dirty = true
		if err := w.deleteKeys(&w.ks, id); err != nil {
			return err
		}
		if err := w.b(bEntries).Delete(idKey(id)); err != nil {
			return err
		}
		if err := w.b(bDN2ID).Delete([]byte(ndn)); err != nil {
			return err
		}
		return w.b(bChildren).Delete(childKey(head.parent, ndn, id))
	})
}

// Rename renames and/or moves the entry with normalized DN ndn: fn gets
// a copy of the entry and sets its new DN (and attributes, e.g. the new
// RDN's values); descendants move with it (their DNs are rewritten, their
// ids stay). Errors: ErrNoSuchObject, ErrAlreadyExists, ErrNoSuchParent,
// ErrNotUnderSuffix, ErrMoveUnderSelf, ErrInvalidDN, or fn's error. fn
// runs on the write goroutine and may be retried, as for Modify.
func (db *DB) Rename(ctx context.Context, ndn string, fn func(e *entry.Entry) error) error {
	return db.submit(ctx, func(w *wtx) error {
		id, e, head, err := w.load(ndn)
		if err != nil {
			return err
		}
		w.db.entryKeys(&w.ks, e.Attrs, nil)
		oldDN := e.DN
		if err := fn(e); err != nil {
			return err
		}
		newNDN, err := w.db.normalizeDN(e.DN)
		if err != nil {
			return err
		}
		pid := head.parent
		if newNDN != ndn {
			if lookupID(w.b(bDN2ID), newNDN) != 0 {
				return ErrAlreadyExists
			}
			if dn.IsUnder(dn.ParentOf(newNDN), ndn) {
				return ErrMoveUnderSelf
			}
			if pid, err = w.parentFor(newNDN); err != nil {
				return err
			}
		}
		ids, err := w.descIDs(nil, e.Attrs)
		if err != nil {
			return err
		}
		w.dirty = true
		w.buf = appendRecord(w.buf[:0], e.DN, newNDN, pid, ids, e.Attrs)
		if err := w.b(bEntries).Put(idKey(id), w.keep(w.buf)); err != nil {
			return err
		}
		w.db.entryKeys(&w.ks2, e.Attrs, nil)
		if err := w.diffKeys(&w.ks, &w.ks2, id); err != nil {
			return err
		}
		if newNDN != ndn {
			if err := w.b(bDN2ID).Delete([]byte(ndn)); err != nil {
				return err
			}
			if err := w.b(bDN2ID).Put([]byte(newNDN), idKey(id)); err != nil {
				return err
			}
		}
		if pid != head.parent || childRDN(pid, newNDN) != childRDN(head.parent, ndn) {
			if err := w.b(bChildren).Delete(childKey(head.parent, ndn, id)); err != nil {
				return err
			}
			if err := w.b(bChildren).Put(w.keep(childKey(pid, newNDN, id)), nil); err != nil {
				return err
			}
		}
		if newNDN == ndn && e.DN == oldDN {
			return nil
		}
		return w.moveSubtree(id, ndn, newNDN, e.DN)
	})
}

// moveSubtree rewrites the DN, NDN and dn2id key of every descendant of
// id, whose DN changed from oldNDN to newNDN (new DN as given: newDN).
func (w *wtx) moveSubtree(id uint64, oldNDN, newNDN, newDN string) error {
	stack := []uint64{id}
	var kids []uint64
	for len(stack) > 0 {
		parent := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		kids = kids[:0]
		c := w.b(bChildren).Cursor()
		prefix := idKey(parent)
		for k, _ := c.Seek(prefix); k != nil && isChildOf(k, prefix); k, _ = c.Next() {
			kids = append(kids, childOf(k))
		}
		for _, kid := range kids {
			raw := w.b(bEntries).Get(idKey(kid))
			h, err := decodeHead(raw)
			if err != nil {
				return err
			}
			cndn := string(h.ndn)
			if !dn.IsDescendant(cndn, oldNDN) {
				return corrupt(fmt.Sprintf("child %q not under %q", cndn, oldNDN))
			}
			rel := dn.Depth(cndn) - dn.Depth(oldNDN)
			cdn, err := dn.Parse(string(h.dn))
			if err != nil || len(cdn.RDNs) < rel {
				return corrupt(fmt.Sprintf("stored DN %q", h.dn))
			}
			nd := dn.DN{RDNs: cdn.RDNs[:rel]}.String() + "," + newDN
			nn := cndn[:len(cndn)-len(oldNDN)] + newNDN
			w.buf = w.buf[:0]
			w.buf = append(w.buf, recordVersion)
			w.buf = binary.AppendUvarint(w.buf, uint64(len(nd)))
			w.buf = append(w.buf, nd...)
			w.buf = binary.AppendUvarint(w.buf, uint64(len(nn)))
			w.buf = append(w.buf, nn...)
			w.buf = binary.BigEndian.AppendUint64(w.buf, h.parent)
			w.buf = append(w.buf, h.attrs...)
			if err := w.b(bEntries).Put(idKey(kid), w.keep(w.buf)); err != nil {
				return err
			}
			if err := w.b(bDN2ID).Delete([]byte(cndn)); err != nil {
				return err
			}
			if err := w.b(bDN2ID).Put([]byte(nn), idKey(kid)); err != nil {
				return err
			}
			stack = append(stack, kid)
		}
	}
	return nil
}

// BulkLoad adds the entries next returns (until it returns nil, nil), in
// transactions of at most txEntries entries (0: no limit but memory)
// committed without fsync, then syncs the file once. Each transaction
// writes its entries in id order and, at its end, its index terms, DNs and
// tree links in key order; a transaction also ends when what it collected
// reaches a bounded size (64 MiB), so memory stays bounded however large
// the input. It is meant for imports into a new store (slapadd): a crash
// during the load can lose or corrupt what it wrote — THIS IS UNSAFE for a
// store in service. Other writes wait while a chunk is being written. It
// stops at the first entry that fails; the entries before it stay, and n
// counts them.
func (db *DB) BulkLoad(ctx context.Context, txEntries int, next func() (*entry.Entry, error)) (n int, err error) {
	return db.BulkLoadNormalized(ctx, txEntries, func() (*entry.Entry, string, error) {
		e, err := next()
		if e == nil || err != nil {
			return e, "", err
		}
		ndn, err := db.normalizeDN(e.DN)
		if err != nil {
			return nil, "", fmt.Errorf("store: bulk load %q: %w", e.DN, err)
		}
		return e, ndn, nil
	})
}

// BulkLoadNormalized is BulkLoad for a caller that has normalized each
// entry's DN already (next returns it with the entry): it must be what
// NormalizeDN returns for e.DN (schema.PrettyNormalDN's normal form), or
// the entry cannot be found by its DN (Check reports it).
func (db *DB) BulkLoadNormalized(ctx context.Context, txEntries int, next func() (*entry.Entry, string, error)) (n int, err error) {
	if txEntries <= 0 {
		txEntries = int(^uint(0) >> 1)
	}
	done := false
	run := newBulkRun(db)
	for !done && err == nil {
		var loadErr error
		op := &writeOp{ctx: ctx, bulk: true, done: make(chan struct{})}
		op.fn = func(_ *wtx) error {
			var pending []*attrDesc
			cnt := 0
			uerr := db.bdb.Update(func(tx *bolt.Tx) error {
				w := &wtx{db: db, tx: tx, run: run}
				w.b(bEntries).FillPercent = 1
				for cnt < txEntries && run.size() < bulkRunBytes {
					if err := ctx.Err(); err != nil {
						loadErr = err
						break
					}
					e, ndn, err := next()
					if err != nil {
						loadErr = err
						break
					}
					if e == nil {
						done = true
						break
					}
					w.dirty = false
					if err = w.add(e, ndn); err != nil && w.dirty {
						return fmt.Errorf("store: bulk load %q: %w", e.DN, err)
					}
					if err != nil {
						loadErr = fmt.Errorf("store: bulk load %q: %w", e.DN, err)
						break
					}
					cnt++
				}
				pending = w.pending
				return run.flush(w)
			})
			if uerr != nil {
				return uerr
			}
			db.stats.commits.Add(1)
			db.stats.writes.Add(uint64(cnt))
			db.learn(pending)
			n += cnt
			return nil
		}
		if err = db.submitOp(op); err == nil {
			err = loadErr
		}
	}
	if serr := db.Sync(); err == nil {
		err = serr
	}
	return n, err
}
