package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"hostdir/directory/dn"
)

// The children bucket.
//
// A key links a parent to a child:
//
//	parent id (8 bytes) | len(nRDN) (2 bytes) | nRDN | child id (8 bytes)
//
// with an empty value. nRDN is the child's normalized RDN (for an entry
// without parent, a suffix, its whole normalized DN), its length capped at
// 0xFFFF and its bytes at maxRDNKey. A cursor over a parent's prefix thus
// yields its children in slapd back-mdb's sibling order (normalized RDN by
// length, then bytes), the order of its dn2id database, which one-level
// searches and tree walks follow.

// maxRDNKey is the most nRDN bytes a children key holds (bbolt keys are
// at most 32 KiB); siblings whose nRDNs agree on their first maxRDNKey
// bytes and have the same length are ordered by id.
const maxRDNKey = 1024

// childRDN returns the part of ndn a children key holds: its first RDN,
// or all of it for an entry without parent.
func childRDN(parent uint64, ndn string) string {
	if parent == 0 {
		return ndn
	}
	rdn, _ := dn.SplitRDN(ndn)
	return rdn
}

// appendChildKey appends the children key of child (normalized DN ndn)
// under parent to dst.
func appendChildKey(dst []byte, parent uint64, ndn string, child uint64) []byte {
	rdn := childRDN(parent, ndn)
	dst = binary.BigEndian.AppendUint64(dst, parent)
	dst = binary.BigEndian.AppendUint16(dst, uint16(min(len(rdn), 0xFFFF)))
	dst = append(dst, rdn[:min(len(rdn), maxRDNKey)]...)
	return binary.BigEndian.AppendUint64(dst, child)
}

// childKey returns the children key of child under parent.
func childKey(parent uint64, ndn string, child uint64) []byte {
	return appendChildKey(make([]byte, 0, 18+min(len(ndn), maxRDNKey)), parent, ndn, child)
}

// minChildKey is the length of the shortest children key.
const minChildKey = 8 + 2 + 8

// childKeyParts splits a children key; ok is false for a malformed one.
func childKeyParts(k []byte) (parent uint64, rdn []byte, child uint64, ok bool) {
	if len(k) < minChildKey {
		return 0, nil, 0, false
	}
	n := int(binary.BigEndian.Uint16(k[8:]))
	rdn = k[10 : len(k)-8]
	if len(rdn) != min(n, maxRDNKey) {
		return 0, nil, 0, false
	}
	return binary.BigEndian.Uint64(k), rdn, binary.BigEndian.Uint64(k[len(k)-8:]), true
}

// childOf returns the child id of a children key (whose length was
// checked by the cursor loop).
func childOf(k []byte) uint64 { return binary.BigEndian.Uint64(k[len(k)-8:]) }

// isChildOf reports whether children key k is under the 8-byte prefix.
func isChildOf(k, prefix []byte) bool {
	return len(k) >= minChildKey && bytes.Equal(k[:8], prefix)
}

// hasChildren reports whether id has children.
func hasChildren(children *bolt.Bucket, id uint64) bool {
	prefix := idKey(id)
	k, _ := children.Cursor().Seek(prefix)
	return k != nil && isChildOf(k, prefix)
}

// rebuildChildren replaces the children bucket with keys computed from
// the entries (in one pass, written in key order): the migration from
// format version 2, whose keys were parent | child.
func rebuildChildren(tx *bolt.Tx) error {
	if err := tx.DeleteBucket(bucketChildren); err != nil && err != bolt.ErrBucketNotFound {
		return fmt.Errorf("store: rebuild children: %w", err)
	}
	b, err := tx.CreateBucket(bucketChildren)
	if err != nil {
		return fmt.Errorf("store: rebuild children: %w", err)
	}
	var keys [][]byte
	c := tx.Bucket(bucketEntries).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			return fmt.Errorf("store: rebuild children: bad entry key %x", k)
		}
		h, err := decodeHead(v)
		if err != nil {
			return fmt.Errorf("store: rebuild children: entry %x: %w", k, err)
		}
		keys = append(keys, childKey(h.parent, string(h.ndn), binary.BigEndian.Uint64(k)))
	}
	slices.SortFunc(keys, bytes.Compare)
	b.FillPercent = 1
	for _, k := range keys {
		if err := b.Put(k, nil); err != nil {
			return fmt.Errorf("store: rebuild children: %w", err)
		}
	}
	return nil
}
