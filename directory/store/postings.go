package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Posting lists.
//
// An index bucket maps each term (len | [tag] | key for equality,
// substrings and approx; nothing for presence) to the sorted ids of the
// entries that have it. A term's list is cut into chunks of at most
// maxChunk ids, each one bbolt pair:
//
//	key    term | first id of the chunk (8 bytes, big-endian)
//	value  the chunk's other ids as uvarint gaps (id[i] - id[i-1] >= 1)
//
// so a term held by one entry costs one key with an empty value, and a
// term held by thousands costs a few keys of about one byte per id. The
// chunks of a term are in id order and do not overlap: a prefix cursor
// over the term yields the sorted id list that AND and OR merge.

// maxChunk is the most ids in one chunk.
const maxChunk = 256

// appendChunkKey appends term | first to dst.
func appendChunkKey(dst, term []byte, first uint64) []byte {
	dst = append(dst, term...)
	return binary.BigEndian.AppendUint64(dst, first)
}

// appendChunkValue appends the gaps of ids[1:] to dst.
func appendChunkValue(dst []byte, ids []uint64) []byte {
	for i := 1; i < len(ids); i++ {
		dst = binary.AppendUvarint(dst, ids[i]-ids[i-1])
	}
	return dst
}

// appendChunkIDs decodes a chunk starting at first with value v and
// appends its ids to dst; ok is false for a malformed value.
func appendChunkIDs(dst []uint64, first uint64, v []byte) ([]uint64, bool) {
	dst = append(dst, first)
	prev := first
	for len(v) > 0 {
		d, n := binary.Uvarint(v)
		if n <= 0 || d == 0 || prev+d < prev {
			return dst, false
		}
		prev += d
		dst = append(dst, prev)
		v = v[n:]
	}
	return dst, true
}

// chunkFirst returns the first id of chunk key k of term, ok false if k
// is not a chunk of term.
func chunkFirst(k, term []byte) (uint64, bool) {
	if len(k) != len(term)+8 || !bytes.HasPrefix(k, term) {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[len(term):]), true
}

// insertID adds id to term's list in bucket b.
func (w *wtx) insertID(b *bolt.Bucket, term []byte, id uint64) error {
	w.kbuf = appendChunkKey(w.kbuf[:0], term, id)
	c := b.Cursor()
	k, v := c.Seek(w.kbuf)
	if k != nil && bytes.Equal(k, w.kbuf) {
		return nil // id is the first of a chunk
	}
	// the chunk holding ids below id, if any
	var pk, pv []byte
	if k == nil {
		pk, pv = c.Last()
	} else {
		pk, pv = c.Prev()
	}
	if first, ok := chunkFirst(pk, term); ok {
		ids, ok := appendChunkIDs(w.ids[:0], first, pv)
		if !ok {
			return corrupt(fmt.Sprintf("index chunk %q", pk))
		}
		pos, found := slices.BinarySearch(ids, id)
		if found {
			w.ids = ids
			return nil
		}
		ids = slices.Insert(ids, pos, id)
		w.ids = ids
		return w.putChunks(b, term, ids, pos == len(ids)-1)
	}
	// id is below every chunk of the term: it joins the first one
	if first, ok := chunkFirst(k, term); ok {
		ids := append(w.ids[:0], id)
		ids, ok = appendChunkIDs(ids, first, v)
		if !ok {
			return corrupt(fmt.Sprintf("index chunk %q", k))
		}
		w.ids = ids
		if err := b.Delete(w.keep(k)); err != nil {
			return err
		}
		return w.putChunks(b, term, ids, false)
	}
	return b.Put(w.keep(w.kbuf), nil)
}

// putChunks stores ids (sorted, at most maxChunk+1) as one chunk, or as
// two when too long: appended says the last id was just added at the
// end, and then it starts a chunk of its own, so that lists growing at
// their end keep full chunks.
func (w *wtx) putChunks(b *bolt.Bucket, term []byte, ids []uint64, appended bool) error {
	if len(ids) > maxChunk {
		cut := len(ids) / 2
		if appended {
			cut = len(ids) - 1
		}
		if err := w.putChunks(b, term, ids[:cut], false); err != nil {
			return err
		}
		return w.putChunks(b, term, ids[cut:], false)
	}
	w.kbuf = appendChunkKey(w.kbuf[:0], term, ids[0])
	w.vbuf = appendChunkValue(w.vbuf[:0], ids)
	return b.Put(w.keep(w.kbuf), w.keep(w.vbuf))
}

// removeID removes id from term's list in bucket b (nothing if absent).
func (w *wtx) removeID(b *bolt.Bucket, term []byte, id uint64) error {
	w.kbuf = appendChunkKey(w.kbuf[:0], term, id)
	c := b.Cursor()
	k, v := c.Seek(w.kbuf)
	if k != nil && bytes.Equal(k, w.kbuf) {
		ids, ok := appendChunkIDs(w.ids[:0], id, v)
		w.ids = ids
		if !ok {
			return corrupt(fmt.Sprintf("index chunk %q", k))
		}
		if err := b.Delete(w.keep(k)); err != nil {
			return err
		}
		if len(ids) == 1 {
			return nil
		}
		return w.putChunks(b, term, ids[1:], false)
	}
	var pk, pv []byte
	if k == nil {
		pk, pv = c.Last()
	} else {
		pk, pv = c.Prev()
	}
	first, ok := chunkFirst(pk, term)
	if !ok {
		return nil
	}
	ids, ok := appendChunkIDs(w.ids[:0], first, pv)
	w.ids = ids
	if !ok {
		return corrupt(fmt.Sprintf("index chunk %q", pk))
	}
	pos, found := slices.BinarySearch(ids, id)
	if !found {
		return nil
	}
	ids = slices.Delete(ids, pos, pos+1)
	w.ids = ids
	return w.putChunks(b, term, ids, false)
}

// postingWriter writes sorted (term, id) pairs of one bucket as chunks,
// for bulk loads and reindexing: the ids given for a term must be above
// every id the term already has in the bucket, so that new chunks go
// after the existing ones.
type postingWriter struct {
	w    *wtx
	b    *bolt.Bucket
	term []byte
	ids  []uint64
}

// add appends (term, id); pairs come sorted by term, then id.
func (p *postingWriter) add(term []byte, id uint64) error {
	if len(p.ids) > 0 && !bytes.Equal(term, p.term) {
		if err := p.flush(); err != nil {
			return err
		}
	}
	if len(p.ids) == 0 {
		p.term = append(p.term[:0], term...)
	} else if id == p.ids[len(p.ids)-1] {
		return nil
	}
	p.ids = append(p.ids, id)
	if len(p.ids) == maxChunk {
		return p.flush()
	}
	return nil
}

// flush writes the pending chunk.
func (p *postingWriter) flush() error {
	if len(p.ids) == 0 {
		return nil
	}
	w := p.w
	w.kbuf = appendChunkKey(w.kbuf[:0], p.term, p.ids[0])
	w.vbuf = appendChunkValue(w.vbuf[:0], p.ids)
	p.ids = p.ids[:0]
	return p.b.Put(w.keep(w.kbuf), w.keep(w.vbuf))
}
