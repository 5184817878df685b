// Package store is hostdir's storage: the Backend interface the LDAP
// frontend needs, and DB, its implementation on bbolt (go.etcd.io/bbolt).
//
// # Layout
//
// One bbolt file holds, all written in the same transaction for each
// operation, so that indexes never disagree with the entries:
//
//	meta      format version, the index configuration last built
//	entries   id (uint64 big-endian) -> encoded entry
//	dn2id     normalized DN -> id
//	children  parent id | len(nRDN) (2 bytes) | nRDN | child id -> empty
//	          (parent 0: suffix entries; tree.go): children in slapd's
//	          sibling order
//	attrs     attribute description as stored -> description id (uint32)
//	attrids   description id -> description
//	i:<oid>:<kind>   one bucket per configured (attribute type, index kind):
//	          term | first id (8 bytes) -> the other ids of the chunk as
//	          uvarint gaps; term: empty for presence, len | [tag] | key
//	          for equality, substrings (tags i, a, f) and approx
//
// An encoded entry holds its DN as given, its normalized DN, its parent's
// id, and a header of (description id, offset) pairs in front of the
// values, so Search decodes only the attributes a request selects and its
// filter names. Every entry stores its full DN: a rename of a subtree
// rewrites the DN part of each descendant (its attributes are copied as
// they are) and its dn2id key, all in one transaction. Subtree renames are
// rare in a mail directory; reads, the hot path, never walk parents.
//
// An index holds a posting list per term, the sorted ids of the entries
// with that term, cut into chunks of at most 256 ids (postings.go): a
// prefix cursor over the term yields the sorted id list, and AND
// intersects and OR unites such lists by merging. Terms are prefixed by
// their length (values over 255 bytes are truncated: the index then gives
// a superset, and every candidate is checked by evaluating the filter).
// A term shared by thousands of entries (objectClass: top, a domain's
// substrings) costs about a byte per entry; one held by a single entry
// costs one key.
//
// # Bulk loads
//
// BulkLoad (hostdir import) writes entries in id order and collects their
// index terms, DNs and tree links; at the end of each transaction (or
// when they reach 64 MiB) it sorts them and writes each bucket in key
// order, a term's ids as full chunks, with pages filled completely.
//
// # Writes
//
// Writes are grouped into one bbolt transaction and one fsync (group
// commit, leader/follower): a writer queues its operation and, if no
// commit is running, takes the commit token and commits what is queued
// on its own goroutine; writers that arrive while a commit is being
// synced queue up and share the next one. A lone writer never waits for
// companions and never hands its operation to another goroutine. Each
// caller gets its own result; a write that fails its checks writes
// nothing and does not affect the others in its group.
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"hostdir/directory/dn"
	"hostdir/directory/entry"
	"hostdir/directory/filter"
	"hostdir/schema"
)

// Backend is what the frontend needs from storage. Implementations: bbolt (DB).
type Backend interface {
	// Get returns the entry with normalized DN ndn, or ErrNoSuchObject.
	Get(ctx context.Context, ndn string) (*Entry, error)
	// Add stores e (its DN given, normalized form computed by the store with the schema);
	// ErrAlreadyExists, ErrNoSuchParent (with the matched DN), ErrNotUnderSuffix.
	Add(ctx context.Context, e *entry.Entry) error
	// Modify runs fn on a copy of the current entry inside one write transaction and
	// stores the result (indexes updated in the same transaction); fn's error aborts.
	Modify(ctx context.Context, ndn string, fn func(e *entry.Entry) error) error
	// Delete removes a leaf; ErrNotAllowedOnNonLeaf for an entry with children.
	Delete(ctx context.Context, ndn string) error
	// Rename moves/renames an entry (modrdn with optional newSuperior): fn computes the new
	// entry (DN and attributes) from the old inside the transaction; children move with it.
	Rename(ctx context.Context, ndn string, fn func(e *entry.Entry) error) error
	// Search calls fn for each entry in scope matching f, planning from indexes;
	// only attributes selected by req.Attrs are decoded. fn returning an error stops.
	Search(ctx context.Context, req SearchRequest, fn func(e *Entry) error) error
	Close() error
}

// Entry is a stored entry as the store returns it.
type Entry struct {
	entry.Entry
	// NDN is the normalized DN.
	NDN string
	// ID is the entry's id in this store (stable across renames).
	ID uint64
	// HasChildren reports whether the entry has subordinates (computed by
	// Get, and by Search when SearchRequest.HasChildren is set).
	HasChildren bool
}

// Errors. Errors that carry a matched DN are *MatchedError values that
// match these with errors.Is.
var (
	// ErrNoSuchObject: the entry (or a search base) does not exist (32).
	ErrNoSuchObject = errors.New("store: no such object")
	// ErrNoSuchParent: the parent of an entry to add, or a rename's new
	// superior, does not exist (slapd answers noSuchObject, 32).
	ErrNoSuchParent = errors.New("store: parent does not exist")
	// ErrAlreadyExists: an entry with that DN exists (68).
	ErrAlreadyExists = errors.New("store: entry already exists")
	// ErrNotUnderSuffix: the DN is under none of the store's suffixes
	// (slapd: unwillingToPerform, 53, "no global superior knowledge").
	ErrNotUnderSuffix = errors.New("store: DN not under a suffix")
	// ErrNotAllowedOnNonLeaf: delete of an entry with children (66).
	ErrNotAllowedOnNonLeaf = errors.New("store: entry has children")
	// ErrMoveUnderSelf: a rename's new superior is the entry or below it
	// (the frontend answers unwillingToPerform, 53).
	ErrMoveUnderSelf = errors.New("store: new superior is the entry or one of its descendants")
	// ErrDNChanged: a Modify callback changed the entry's DN.
	ErrDNChanged = errors.New("store: modify changed the DN")
	// ErrInvalidDN: a DN that does not parse or normalize (34).
	ErrInvalidDN = errors.New("store: invalid DN")
	// ErrSizeLimitExceeded: Search found more entries than SizeLimit (4);
	// fn has been called for SizeLimit entries.
	ErrSizeLimitExceeded = errors.New("store: size limit exceeded")
	// ErrTimeLimitExceeded: Search passed its Deadline (3).
	ErrTimeLimitExceeded = errors.New("store: time limit exceeded")
	// ErrClosed: the DB is closed.
	ErrClosed = errors.New("store: closed")
	// ErrCorrupt: an encoded entry or key does not decode.
	ErrCorrupt = errors.New("store: corrupt data")
	// ErrFormat: Open found a file written in another format version.
	ErrFormat = errors.New("store: incompatible file format")
)

// MatchedError is ErrNoSuchObject or ErrNoSuchParent with the DN of the
// deepest existing ancestor of the DN asked for (as stored; "" if none),
// which slapd returns as matchedDN.
type MatchedError struct {
	Err       error
	MatchedDN string
}

// Error implements error.
func (e *MatchedError) Error() string {
	if e.MatchedDN == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("%v (matched %q)", e.Err, e.MatchedDN)
}

// Unwrap returns Err.
func (e *MatchedError) Unwrap() error { return e.Err }

// MatchedDN returns the matched DN carried by err, or "".
func MatchedDN(err error) string {
	var m *MatchedError
	if errors.As(err, &m) {
		return m.MatchedDN
	}
	return ""
}

// Options configure a DB. The zero Options are safe defaults.
type Options struct {
	// Suffixes are the DNs of the naming contexts: an entry whose DN is a
	// suffix needs no parent; every other entry must be under a suffix
	// (ErrNotUnderSuffix) and have its parent stored. With no suffixes,
	// any one-RDN entry may be added without parent.
	Suffixes []string
	// NoSync skips fsync after each commit: an acknowledged write can be
	// lost, and the file corrupted, on a crash or power loss.
	// THIS IS UNSAFE: for tests and one-shot imports only.
	NoSync bool
	// Timeout bounds the wait for the file lock held by another process
	// (0: wait forever).
	Timeout time.Duration
	// MaxBatch is the most writes grouped into one commit (0: 512).
	MaxBatch int
	// InitialMmapSize is passed to bbolt (0: bbolt's default).
	InitialMmapSize int
	// ReadOnly opens the file read-only (writes fail with bbolt's error).
	ReadOnly bool
	// LazyFreelistMaxSize, when positive, makes a file of at most this
	// many bytes at Open (or a new one) skip writing bbolt's freelist at
	// each commit (bbolt's NoFreelistSync): one page less to write and
	// no encoding of the free page list per commit, about a sixth of the
	// CPU of a small modify. Durability is unchanged (the freelist is
	// derived data); the cost is at the next Open, which rebuilds the
	// freelist by reading every page of the file: about 80 ms for 100,000
	// entries (230 MiB) from the page cache, more from a cold disk. A
	// larger file keeps the freelist written, so that it opens at once.
	LazyFreelistMaxSize int64
}

// lazyFreelist decides bbolt's NoFreelistSync for Open (see
// Options.LazyFreelistMaxSize).
func lazyFreelist(path string, opts Options) bool {
	if opts.LazyFreelistMaxSize <= 0 || opts.ReadOnly {
		return false
	}
	st, err := os.Stat(path)
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	return st.Size() <= opts.LazyFreelistMaxSize
}

// DB is the bbolt implementation of Backend. It is safe for concurrent use.
type DB struct {
	bdb  *bolt.DB
	sc   *schema.Schema
	opts Options

	suffixes []string // normalized
	idx      *indexConfig

	dict atomic.Pointer[dictSnap]

	ops     chan *writeOp
	lead    chan struct{} // the commit token: held by the writer committing a group
	group   groupState    // owned by the token's holder
	closeMu sync.RWMutex
	closed  bool

	stats struct {
		commits, writes atomic.Uint64
	}

	searchers sync.Pool
}

// Stats are counters of a DB since Open.
type Stats struct {
	// Commits is the number of write transactions committed.
	Commits uint64
	// Writes is the number of write operations that succeeded.
	Writes uint64
}

// Stats returns the DB's counters.
func (db *DB) Stats() Stats {
	return Stats{Commits: db.stats.commits.Load(), Writes: db.stats.writes.Load()}
}

// formatVersion is the version of the file layout: 3 keys the children
// bucket by parent, child RDN and child (2 had parent | child keys; Open
// migrates such a file in place), 2 stores index posting lists in chunks
// (1 had one key per term and id).
const formatVersion = 3

// migratableVersion is the older format Open converts (read-write only).
const migratableVersion = 2

var (
	bucketMeta     = []byte("meta")
	bucketEntries  = []byte("entries")
	bucketDN2ID    = []byte("dn2id")
	bucketChildren = []byte("children")
	bucketAttrs    = []byte("attrs")
	bucketAttrIDs  = []byte("attrids")
	keyVersion     = []byte("version")
	keyIndexes     = []byte("indexes")
)

// Open opens (creating if needed) the store at path with schema sc and
// the index configuration indexes. When the index configuration differs
// from the one the file was built with, every index is rebuilt before Open
// returns.
func Open(path string, sc *schema.Schema, indexes []IndexSpec, opts Options) (*DB, error) {
	if sc == nil {
		return nil, errors.New("store: nil schema")
	}
	ic, err := newIndexConfig(sc, indexes)
	if err != nil {
		return nil, err
	}
	db := &DB{sc: sc, opts: opts, idx: ic}
	for _, s := range opts.Suffixes {
		n, err := db.normalizeDN(s)
		if err != nil {
			return nil, fmt.Errorf("store: suffix %q: %w", s, err)
		}
		db.suffixes = append(db.suffixes, n)
	}
	bopts := &bolt.Options{
		Timeout:         opts.Timeout,
		NoSync:          opts.NoSync,
		NoGrowSync:      opts.NoSync,
		InitialMmapSize: opts.InitialMmapSize,
		ReadOnly:        opts.ReadOnly,
		FreelistType:    bolt.FreelistMapType,
		NoFreelistSync:  lazyFreelist(path, opts),
	}
	bdb, err := bolt.Open(path, 0o600, bopts)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.bdb = bdb
	db.dict.Store(&dictSnap{byName: map[string]*attrDesc{}})
	initFn := db.init
	if opts.ReadOnly {
		initFn = db.checkVersion
	}
	if err := initFn(); err != nil {
		bdb.Close()
		return nil, err
	}
	if db.opts.MaxBatch <= 0 {
		db.opts.MaxBatch = 512
	}
	db.ops = make(chan *writeOp, 4*db.opts.MaxBatch)
	db.lead = make(chan struct{}, 1)
	db.group = groupState{batch: make([]*writeOp, 0, db.opts.MaxBatch), timer: time.NewTimer(time.Hour), last: 1, wait: groupWaitMin}
	db.group.timer.Stop()
	db.searchers.New = func() any { return newSearcher(db) }
	return db, nil
}

// checkVersion refuses a read-only file of another format version.
func (db *DB) checkVersion() error {
	return db.bdb.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return fmt.Errorf("%w: no meta bucket (not a hostdir store)", ErrFormat)
		}
		return versionOK(meta.Get(keyVersion))
	})
}

// versionOK checks a stored format version.
func versionOK(v []byte) error {
	if len(v) != 1 || v[0] != formatVersion {
		hint := "export the directory with the hostdir that wrote it (hostdir export), then import it into a new file (hostdir import)"
		if len(v) == 1 && v[0] == migratableVersion {
			hint = "opening it read-write converts it in place; or " + hint
		}
		return fmt.Errorf("%w: the file has format version %s, this hostdir reads version %d (%s)", ErrFormat, fmtVersion(v), formatVersion, hint)
	}
	return nil
}

// init creates the buckets, checks the format version and rebuilds the
// indexes if their configuration changed.
func (db *DB) init() error {
	return db.bdb.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketEntries, bucketDN2ID, bucketChildren, bucketAttrs, bucketAttrIDs} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("store: create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(keyVersion); {
		case v == nil:
			if err := meta.Put(keyVersion, []byte{formatVersion}); err != nil {
				return err
			}
		case len(v) == 1 && v[0] == migratableVersion:
			// version 2 -> 3: only the children keys changed
			if err := rebuildChildren(tx); err != nil {
				return err
			}
			if err := meta.Put(keyVersion, []byte{formatVersion}); err != nil {
				return err
			}
		default:
			if err := versionOK(v); err != nil {
				return err
			}
		}
		if string(meta.Get(keyIndexes)) != db.idx.signature {
			return db.reindexTx(tx)
		}
		for _, d := range db.idx.defs {
			if tx.Bucket(d.bucket) == nil {
				return db.reindexTx(tx)
			}
		}
		return nil
	})
}

// fmtVersion formats a stored version value for messages.
func fmtVersion(v []byte) string {
	if len(v) == 1 {
		return fmt.Sprint(v[0])
	}
	return fmt.Sprintf("%x", v)
}

// Close stops accepting writes, waits for queued writes to finish, and
// closes the file.
func (db *DB) Close() error {
	db.closeMu.Lock()
	if db.closed {
		db.closeMu.Unlock()
		return nil
	}
	db.closed = true
	db.closeMu.Unlock()
	// No write is queued from now on: take the commit token for good
	// (after the group being committed, if any) and finish what is queued.
	db.lead <- struct{}{}
	db.drain()
	if err := db.bdb.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Sync forces an fsync of the file (after writes made with NoSync).
func (db *DB) Sync() error {
	if err := db.bdb.Sync(); err != nil {
		return fmt.Errorf("store: sync: %w", err)
	}
	return nil
}

// Schema returns the schema the DB was opened with.
func (db *DB) Schema() *schema.Schema { return db.sc }

// normalizeDN parses and normalizes a DN with the schema.
func (db *DB) normalizeDN(s string) (string, error) {
	d, err := dn.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidDN, err)
	}
	n, err := d.Normalize(db.sc)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidDN, err)
	}
	return n, nil
}

// NormalizeDN returns the normalized form of a DN, as the store keys it.
func (db *DB) NormalizeDN(s string) (string, error) { return db.normalizeDN(s) }

// isSuffix reports whether ndn is one of the suffixes (or, with none
// configured, has one RDN).
func (db *DB) isSuffix(ndn string) bool {
	if len(db.suffixes) == 0 {
		return dn.Depth(ndn) == 1
	}
	for _, s := range db.suffixes {
		if s == ndn {
			return true
		}
	}
	return false
}

// underSuffix reports whether ndn is below one of the suffixes.
func (db *DB) underSuffix(ndn string) bool {
	if len(db.suffixes) == 0 {
		return true
	}
	for _, s := range db.suffixes {
		if dn.IsUnder(ndn, s) {
			return true
		}
	}
	return false
}

var _ Backend = (*DB)(nil)
var _ filter.EntryView = (*record)(nil)
