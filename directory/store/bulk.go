package store

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// bulkRunBytes bounds the memory a bulk load (or a reindex) spends on the
// index terms, DNs and links it collects before writing them: a run is
// written, in key order, when it reaches this size (and a bulk load then
// commits).
const bulkRunBytes = 64 << 20

// bulkIndex collects the (term, id) pairs of a run of entries, read in id
// order, and writes them as posting-list chunks in key order. Terms are
// interned: a pair costs 16 bytes, a distinct term its bytes once.
type bulkIndex struct {
	db    *DB
	num   map[string]uint32 // def (2 bytes) | term -> term number
	terms []string          // term number -> def | term
	pairs []termPair
	bytes int
}

type termPair struct {
	term uint32
	id   uint64
}

func newBulkIndex(db *DB) *bulkIndex {
	return &bulkIndex{db: db, num: map[string]uint32{}}
}

// size estimates the memory held.
func (b *bulkIndex) size() int { return b.bytes + 16*len(b.pairs) }

// addKeys adds id to the terms of ks. ids must come in increasing order,
// each above the ids already indexed.
func (b *bulkIndex) addKeys(ks *keySet, id uint64) {
	var tmp [2 + maxKeyLen]byte
	for _, r := range ks.refs {
		k := binary.BigEndian.AppendUint16(tmp[:0], uint16(r.def))
		k = append(k, ks.key(r)...)
		n, ok := b.num[string(k)]
		if !ok {
			n = uint32(len(b.terms))
			s := string(k)
			b.num[s] = n
			b.terms = append(b.terms, s)
			b.bytes += len(s) + 64
		}
		b.pairs = append(b.pairs, termPair{n, id})
	}
}

// flush writes the collected pairs into the index buckets (buckets[def])
// and empties b.
func (b *bulkIndex) flush(w *wtx, buckets []*bolt.Bucket) error {
	if len(b.pairs) == 0 {
		return nil
	}
	// order the terms, then place the pairs by counting sort (stable:
	// each term's ids stay in increasing order)
	order := make([]uint32, len(b.terms))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(x, y uint32) int { return strings.Compare(b.terms[x], b.terms[y]) })
	start := make([]int, len(b.terms)+1)
	for _, p := range b.pairs {
		start[p.term+1]++
	}
	// start[t+1] holds counts; turn into offsets in sorted term order
	offs := make([]int, len(b.terms))
	pos := 0
	for _, t := range order {
		offs[t] = pos
		pos += start[t+1]
	}
	ids := make([]uint64, len(b.pairs))
	for _, p := range b.pairs {
		ids[offs[p.term]] = p.id
		offs[p.term]++
	}
	b.pairs = b.pairs[:0]
	pos = 0
	for _, t := range order {
		n := start[t+1]
		list := ids[pos : pos+n]
		pos += n
		k := b.terms[t]
		def := int(binary.BigEndian.Uint16([]byte(k[:2])))
		bk := buckets[def]
		bk.FillPercent = 1
		term := []byte(k[2:])
		for len(list) > 0 {
			c := min(len(list), maxChunk)
			w.kbuf = appendChunkKey(w.kbuf[:0], term, list[0])
			w.vbuf = appendChunkValue(w.vbuf[:0], list[:c])
			if err := bk.Put(w.keep(w.kbuf), w.keep(w.vbuf)); err != nil {
				return err
			}
			list = list[c:]
		}
	}
	clear(b.num)
	b.terms = b.terms[:0]
	b.bytes = 0
	return nil
}

// bulkRun is the state of one chunk of a bulk load: the index pairs, and
// the dn2id and children keys, written in key order at the end of the
// chunk (bbolt inserts into a node in O(n): random-order inserts into a
// large bucket rewrite most of its pages).
type bulkRun struct {
	idx   *bulkIndex
	dns   []dnID
	dnIdx map[string]uint64
	links []byte  // children keys, back to back
	spans []int32 // the start of each key in links
	bytes int
	// lastParent is the parent found last (entries come in runs of
	// siblings): it saves most dn2id lookups.
	lastParent dnID
}

type dnID struct {
	ndn string
	id  uint64
}

func newBulkRun(db *DB) *bulkRun {
	return &bulkRun{idx: newBulkIndex(db), dnIdx: map[string]uint64{}}
}

func (r *bulkRun) size() int { return r.idx.size() + r.bytes + len(r.links) + 8*len(r.spans) }

// addLink records an entry's children key.
func (r *bulkRun) addLink(parent uint64, ndn string, id uint64) {
	r.spans = append(r.spans, int32(len(r.links)))
	r.links = appendChildKey(r.links, parent, ndn, id)
}

// addDN records an entry's dn2id key.
func (r *bulkRun) addDN(ndn string, id uint64) {
	r.dns = append(r.dns, dnID{ndn, id})
	r.dnIdx[ndn] = id
	r.bytes += 2*len(ndn) + 80
}

// flush writes what the run collected, in key order.
func (r *bulkRun) flush(w *wtx) error {
	buckets := make([]*bolt.Bucket, len(w.db.idx.defs))
	for i := range buckets {
		buckets[i] = w.index(int32(i))
	}
	if err := r.idx.flush(w, buckets); err != nil {
		return err
	}
	slices.SortFunc(r.dns, func(a, b dnID) int { return strings.Compare(a.ndn, b.ndn) })
	dn2id := w.b(bDN2ID)
	dn2id.FillPercent = 1
	for _, d := range r.dns {
		if err := dn2id.Put([]byte(d.ndn), w.keep(idKey(d.id))); err != nil {
			return err
		}
	}
	type span struct{ lo, hi int32 }
	keys := make([]span, len(r.spans))
	for i, lo := range r.spans {
		hi := int32(len(r.links))
		if i+1 < len(r.spans) {
			hi = r.spans[i+1]
		}
		keys[i] = span{lo, hi}
	}
	slices.SortFunc(keys, func(a, b span) int { return bytes.Compare(r.links[a.lo:a.hi], r.links[b.lo:b.hi]) })
	children := w.b(bChildren)
	children.FillPercent = 1
	for _, k := range keys {
		if err := children.Put(w.keep(r.links[k.lo:k.hi]), nil); err != nil {
			return err
		}
	}
	r.dns, r.links, r.spans, r.bytes = r.dns[:0], r.links[:0], r.spans[:0], 0
	clear(r.dnIdx)
	return nil
}
