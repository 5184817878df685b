package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"

	"hostdir/directory/entry"
	"hostdir/directory/filter"
	"hostdir/schema"
)

// IndexKind is a set of index kinds (slapd's "index attr pres,eq,sub,approx").
type IndexKind uint8

// Index kinds.
const (
	IndexPresence IndexKind = 1 << iota
	IndexEquality
	IndexSubstrings
	IndexApprox
)

var kindLetters = [4]string{"pres", "eq", "sub", "approx"}

// String returns the kinds as slapd.conf writes them ("pres,eq").
func (k IndexKind) String() string {
	var parts []string
	for i, l := range kindLetters {
		if k&(1<<i) != 0 {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, ",")
}

// IndexSpec asks for indexes on one attribute type.
type IndexSpec struct {
	// Attr is the attribute type's name or OID.
	Attr string
	// Kinds are the index kinds to maintain.
	Kinds IndexKind
}

// Substring index parameters, slapd's defaults: keys for initial and
// final pieces of 2 to 4 bytes (index_substr_if_minlen/maxlen), keys for
// every 4-byte window of a value (index_substr_any_len), looked up every
// 2 bytes of an assertion piece (index_substr_any_step).
const (
	subIfMin   = 2
	subIfMax   = 4
	subAnyLen  = 4
	subAnyStep = 2
	// maxKeyLen is the longest index key; longer keys are truncated (the
	// index then returns a superset, filtered by evaluation).
	maxKeyLen = 255
)

// Substring key tags.
const (
	tagInitial = 'i'
	tagAny     = 'a'
	tagFinal   = 'f'
)

// indexDef is one index bucket.
type indexDef struct {
	num    int
	at     *schema.AttributeType
	kind   IndexKind // one bit
	bucket []byte
}

// indexConfig is the resolved index configuration.
type indexConfig struct {
	defs      []*indexDef
	byType    map[*schema.AttributeType]*[4]*indexDef
	signature string
}

func kindBit(k IndexKind) int {
	for i := 0; i < 4; i++ {
		if k == 1<<i {
			return i
		}
	}
	return -1
}

func newIndexConfig(sc *schema.Schema, specs []IndexSpec) (*indexConfig, error) {
	kinds := map[*schema.AttributeType]IndexKind{}
	var order []*schema.AttributeType
	for _, s := range specs {
		at := sc.AttributeType(s.Attr)
		if at == nil {
			return nil, fmt.Errorf("store: index %s: attribute type undefined", s.Attr)
		}
		if s.Kinds&(IndexEquality|IndexApprox) != 0 && at.Equality == nil {
			return nil, fmt.Errorf("store: index %s: no equality matching rule", s.Attr)
		}
		if s.Kinds&IndexSubstrings != 0 && (at.Substr == nil || at.Substr.NormalizeSubstring == nil) {
			return nil, fmt.Errorf("store: index %s: no substrings matching rule", s.Attr)
		}
		if s.Kinds == 0 || s.Kinds&^(IndexPresence|IndexEquality|IndexSubstrings|IndexApprox) != 0 {
			return nil, fmt.Errorf("store: index %s: bad kinds %d", s.Attr, s.Kinds)
		}
		if _, ok := kinds[at]; !ok {
			order = append(order, at)
		}
		kinds[at] |= s.Kinds
	}
	sort.Slice(order, func(i, j int) bool { return order[i].OID < order[j].OID })
	ic := &indexConfig{byType: map[*schema.AttributeType]*[4]*indexDef{}}
	var sig []string
	for _, at := range order {
		k := kinds[at]
		sig = append(sig, at.OID+"="+k.String())
		slot := new([4]*indexDef)
		for b := 0; b < 4; b++ {
			if k&(1<<b) == 0 {
				continue
			}
			d := &indexDef{num: len(ic.defs), at: at, kind: 1 << b, bucket: []byte("i:" + at.OID + ":" + kindLetters[b])}
			ic.defs = append(ic.defs, d)
			slot[b] = d
		}
		ic.byType[at] = slot
	}
	ic.signature = "v2|" + strings.Join(sig, ";")
	return ic, nil
}

// def returns the index of kind k on at, or nil.
func (ic *indexConfig) def(at *schema.AttributeType, k IndexKind) *indexDef {
	slot := ic.byType[at]
	if slot == nil {
		return nil
	}
	return slot[kindBit(k)]
}

// keySet is a set of index terms (len | [tag] | key, or empty for
// presence), each with the index it belongs to.
type keySet struct {
	buf  []byte
	refs []keyRef
	tmp  []byte
}

type keyRef struct {
	def    int32
	lo, hi int32
}

func (ks *keySet) reset() { ks.buf, ks.refs = ks.buf[:0], ks.refs[:0] }

func (ks *keySet) key(r keyRef) []byte { return ks.buf[r.lo:r.hi:r.hi] }

// appendPrefix appends the term of key (with optional tag) to dst.
func appendPrefix(dst []byte, tag byte, key []byte) []byte {
	n := len(key)
	if tag != 0 {
		n++
	}
	if n > maxKeyLen {
		n = maxKeyLen
	}
	dst = append(dst, byte(n))
	if tag != 0 {
		dst = append(dst, tag)
		n--
	}
	return append(dst, key[:n]...)
}

func (ks *keySet) add(def int, tag byte, key []byte) {
	lo := int32(len(ks.buf))
	ks.buf = appendPrefix(ks.buf, tag, key)
	ks.refs = append(ks.refs, keyRef{int32(def), lo, int32(len(ks.buf))})
}

func (ks *keySet) addPres(def int) {
	lo := int32(len(ks.buf))
	ks.refs = append(ks.refs, keyRef{int32(def), lo, lo})
}

// entryKeys computes the index terms of an entry into ks (sorted by
// index and term, without duplicates). types, when not nil, holds the
// attribute type of each attribute (nil: look them up by name).
func (db *DB) entryKeys(ks *keySet, attrs []entry.Attribute, types []*schema.AttributeType) {
	ks.reset()
	for i, a := range attrs {
		var at *schema.AttributeType
		if types != nil {
			at = types[i]
		} else {
			name := a.Type
			if i := strings.IndexByte(name, ';'); i >= 0 {
				name = name[:i]
			}
			at = db.sc.AttributeType(name)
		}
		db.attrKeys(ks, at, a.Values)
	}
	ks.sortDedupe()
}

// recordKeys computes the index terms of a decoded record into ks.
func (db *DB) recordKeys(ks *keySet, r *record) {
	ks.reset()
	for i, d := range r.descs {
		if d.at != nil && db.idx.byType[d.at] != nil {
			db.attrKeys(ks, d.at, r.Values(i))
		}
	}
	ks.sortDedupe()
}

// attrKeys adds the terms of the values of an attribute of type at.
func (db *DB) attrKeys(ks *keySet, at *schema.AttributeType, values [][]byte) {
	slot := db.idx.byType[at]
	if at == nil || slot == nil {
		return
	}
	if d := slot[0]; d != nil && len(values) > 0 {
		ks.addPres(d.num)
	}
	for _, v := range values {
		var err error
		if d := slot[1]; d != nil {
			ks.tmp, err = at.Equality.AppendNormalize(ks.tmp[:0], db.sc, v)
			if err == nil {
				ks.add(d.num, 0, ks.tmp)
			}
		}
		if d := slot[2]; d != nil {
			ks.tmp, err = at.Substr.AppendNormalize(ks.tmp[:0], db.sc, v)
			if err == nil {
				subValueKeys(ks.tmp, func(tag byte, k []byte) { ks.add(d.num, tag, k) })
			}
		}
		if d := slot[3]; d != nil {
			ks.tmp, _ = filter.ApproxKeys(db.sc, at, v, ks.tmp, func(k []byte) { ks.add(d.num, 0, k) })
		}
	}
}

func (ks *keySet) sortDedupe() {
	slices.SortFunc(ks.refs, func(a, b keyRef) int {
		if a.def != b.def {
			return int(a.def - b.def)
		}
		return bytes.Compare(ks.key(a), ks.key(b))
	})
	out := ks.refs[:0]
	for i, r := range ks.refs {
		if i > 0 && r.def == out[len(out)-1].def && bytes.Equal(ks.key(r), ks.key(out[len(out)-1])) {
			continue
		}
		out = append(out, r)
	}
	ks.refs = out
}

// subValueKeys calls fn with the substring index keys of a normalized value.
func subValueKeys(v []byte, fn func(tag byte, k []byte)) {
	for l := subIfMin; l <= subIfMax && l <= len(v); l++ {
		fn(tagInitial, v[:l])
		fn(tagFinal, v[len(v)-l:])
	}
	for i := 0; i+subAnyLen <= len(v); i++ {
		fn(tagAny, v[i:i+subAnyLen])
	}
}

// subAssertionKeys calls fn with the lookup keys of normalized substring
// pieces (edge spaces trimmed: RFC 4518 keeps them in pieces, but the
// stored keys come from the compact value form).
func subAssertionKeys(initial []byte, any [][]byte, final []byte, fn func(tag byte, k []byte)) {
	initial = bytes.TrimRight(initial, " ")
	final = bytes.TrimLeft(final, " ")
	if len(initial) >= subIfMin {
		fn(tagInitial, initial[:min(len(initial), subIfMax)])
	}
	if len(final) >= subIfMin {
		fn(tagFinal, final[len(final)-min(len(final), subIfMax):])
	}
	anyKeys := func(p []byte) {
		if len(p) < subAnyLen {
			return
		}
		for i := 0; ; i += subAnyStep {
			if i+subAnyLen > len(p) {
				fn(tagAny, p[len(p)-subAnyLen:])
				return
			}
			fn(tagAny, p[i:i+subAnyLen])
			if i+subAnyLen == len(p) {
				return
			}
		}
	}
	if len(initial) > subIfMax {
		anyKeys(initial)
	}
	for _, p := range any {
		anyKeys(bytes.Trim(p, " "))
	}
	if len(final) > subIfMax {
		anyKeys(final)
	}
}

// putKeys adds id to the lists of ks's terms.
func (w *wtx) putKeys(ks *keySet, id uint64) error {
	for _, r := range ks.refs {
		if err := w.insertID(w.index(r.def), ks.key(r), id); err != nil {
			return fmt.Errorf("store: index %s: %w", w.db.idx.defs[r.def].bucket, err)
		}
	}
	return nil
}

// deleteKeys removes id from the lists of ks's terms.
func (w *wtx) deleteKeys(ks *keySet, id uint64) error {
	for _, r := range ks.refs {
		if err := w.removeID(w.index(r.def), ks.key(r), id); err != nil {
			return fmt.Errorf("store: index %s: %w", w.db.idx.defs[r.def].bucket, err)
		}
	}
	return nil
}

// diffKeys removes id from the terms of old not in new and adds it to
// those of new not in old (both sorted).
func (w *wtx) diffKeys(old, new *keySet, id uint64) error {
	i, j := 0, 0
	cmp := func(a, b keyRef) int {
		if a.def != b.def {
			return int(a.def - b.def)
		}
		return bytes.Compare(old.key(a), new.key(b))
	}
	for i < len(old.refs) || j < len(new.refs) {
		var c int
		switch {
		case i == len(old.refs):
			c = 1
		case j == len(new.refs):
			c = -1
		default:
			c = cmp(old.refs[i], new.refs[j])
		}
		switch {
		case c < 0:
			if err := w.removeID(w.index(old.refs[i].def), old.key(old.refs[i]), id); err != nil {
				return fmt.Errorf("store: index: %w", err)
			}
			i++
		case c > 0:
			if err := w.insertID(w.index(new.refs[j].def), new.key(new.refs[j]), id); err != nil {
				return fmt.Errorf("store: index: %w", err)
			}
			j++
		default:
			i++
			j++
		}
	}
	return nil
}

// Reindex rebuilds every index from the entries, in one transaction.
func (db *DB) Reindex(ctx context.Context) error {
	return db.submit(ctx, func(w *wtx) error {
		w.dirty = true
		return db.reindexTx(w.tx)
	})
}

// reindexTx drops every index bucket and rebuilds the configured ones.
func (db *DB) reindexTx(tx *bolt.Tx) error {
	var drop [][]byte
	if err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if bytes.HasPrefix(name, []byte("i:")) {
			drop = append(drop, append([]byte(nil), name...))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, name := range drop {
		if err := tx.DeleteBucket(name); err != nil {
			return fmt.Errorf("store: reindex: drop %s: %w", name, err)
		}
	}
	buckets := make([]*bolt.Bucket, len(db.idx.defs))
	for i, d := range db.idx.defs {
		b, err := tx.CreateBucket(d.bucket)
		if err != nil {
			return fmt.Errorf("store: reindex: create %s: %w", d.bucket, err)
		}
		buckets[i] = b
	}
	var pending []*attrDesc
	resolve := func(id uint32) (*attrDesc, error) { return db.descByID(tx, id, &pending) }
	var rec record
	var ks keySet
	w := &wtx{db: db, tx: tx}
	run := newBulkIndex(db)
	c := tx.Bucket(bucketEntries).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		id := binary.BigEndian.Uint64(k)
		if err := rec.decode(id, v, resolve); err != nil {
			return fmt.Errorf("store: reindex: entry %d: %w", id, err)
		}
		db.recordKeys(&ks, &rec)
		run.addKeys(&ks, id)
		if run.size() >= bulkRunBytes {
			if err := run.flush(w, buckets); err != nil {
				return fmt.Errorf("store: reindex: %w", err)
			}
		}
	}
	if err := run.flush(w, buckets); err != nil {
		return fmt.Errorf("store: reindex: %w", err)
	}
	return tx.Bucket(bucketMeta).Put(keyIndexes, []byte(db.idx.signature))
}
