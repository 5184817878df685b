package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"hostdir/directory/dn"
)

// maxProblems bounds the problems Check reports.
const maxProblems = 20

// Check verifies, in one read transaction, that the store is consistent:
// every entry decodes, dn2id maps each entry's NDN to it and holds nothing
// else, the children bucket links each entry to its (existing) parent and
// nothing else, every index key an entry should have is present, and no
// index holds a key no entry accounts for. It returns nil or an error
// listing (up to 20) problems.
func (db *DB) Check() error {
	var problems []error
	report := func(format string, args ...any) bool {
		problems = append(problems, fmt.Errorf(format, args...))
		return len(problems) < maxProblems
	}
	err := db.bdb.View(func(tx *bolt.Tx) error {
		entries := tx.Bucket(bucketEntries)
		dn2id := tx.Bucket(bucketDN2ID)
		children := tx.Bucket(bucketChildren)
		if entries == nil || dn2id == nil || children == nil {
			report("missing buckets")
			return nil
		}
		var pending []*attrDesc
		resolve := func(id uint32) (*attrDesc, error) { return db.descByID(tx, id, &pending) }
		expected := make([]int, len(db.idx.defs))
		idxBuckets := make([]*bolt.Bucket, len(db.idx.defs))
		for i, d := range db.idx.defs {
			if idxBuckets[i] = tx.Bucket(d.bucket); idxBuckets[i] == nil {
				report("index bucket %s missing", d.bucket)
				return nil
			}
		}
		var rec record
		var ks keySet
		nEntries, nChildren := 0, 0
		c := entries.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			nEntries++
			if len(k) != 8 {
				if !report("entries: bad key %x", k) {
					return nil
				}
				continue
			}
			id := binary.BigEndian.Uint64(k)
			if err := rec.decode(id, v, resolve); err != nil {
				if !report("entry %d: %v", id, err) {
					return nil
				}
				continue
			}
			for i := range rec.descs {
				if !rec.valuesOK(i) && !report("entry %d: attribute %s does not decode", id, rec.descs[i].desc) {
					return nil
				}
			}
			ndn := string(rec.ndn)
			if got := lookupID(dn2id, ndn); got != id && !report("entry %d %q: dn2id gives %d", id, ndn, got) {
				return nil
			}
			if n, err := db.normalizeDN(string(rec.dn)); err != nil || n != ndn {
				if !report("entry %d: DN %q normalizes to %q (%v), stored NDN %q", id, rec.dn, n, err, ndn) {
					return nil
				}
			}
			if children.Get(childKey(rec.parent, id)) == nil && !report("entry %d: no children link from parent %d", id, rec.parent) {
				return nil
			}
			if rec.parent == 0 {
				if !db.isSuffix(ndn) && !report("entry %d %q: no parent but not a suffix", id, ndn) {
					return nil
				}
			} else {
				ph, err := decodeHead(entries.Get(idKey(rec.parent)))
				if err != nil || string(ph.ndn) != dn.ParentOf(ndn) {
					if !report("entry %d %q: parent %d is not its parent DN", id, ndn, rec.parent) {
						return nil
					}
				}
			}
			db.entryKeys(&ks, rec.toEntry().Attrs, id)
			for _, r := range ks.refs {
				expected[r.def]++
				if k2, _ := idxBuckets[r.def].Cursor().Seek(ks.key(r)); !bytes.Equal(k2, ks.key(r)) {
					if !report("entry %d: index %s lacks key %q", id, db.idx.defs[r.def].bucket, ks.key(r)) {
						return nil
					}
				}
			}
		}
		if n := dn2id.Stats().KeyN; n != nEntries {
			report("dn2id holds %d keys for %d entries", n, nEntries)
		}
		cc := children.Cursor()
		for k, _ := cc.First(); k != nil; k, _ = cc.Next() {
			nChildren++
			if len(k) != 16 {
				report("children: bad key %x", k)
				continue
			}
			kid := entries.Get(k[8:])
			if kid == nil {
				if !report("children: link %d -> %d to a missing entry", binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(k[8:])) {
					return nil
				}
				continue
			}
			if h, err := decodeHead(kid); err == nil && h.parent != binary.BigEndian.Uint64(k) {
				if !report("children: stale link %d -> %d", binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(k[8:])) {
					return nil
				}
			}
		}
		if nChildren != nEntries {
			report("children holds %d links for %d entries", nChildren, nEntries)
		}
		for i, b := range idxBuckets {
			if n := b.Stats().KeyN; n != expected[i] {
				report("index %s holds %d keys, entries account for %d (stale keys)", db.idx.defs[i].bucket, n, expected[i])
			}
		}
		if string(tx.Bucket(bucketMeta).Get(keyIndexes)) != db.idx.signature {
			report("index configuration not recorded")
		}
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
