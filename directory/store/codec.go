package store

import (
	"encoding/binary"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"hostdir/directory/entry"
	"hostdir/schema"
)

// attrDesc is an attribute description as stored in entries ("cn",
// "cn;lang-de", "CN"...), numbered in the attrs bucket, with its type
// resolved through the schema (nil if the schema does not know it).
type attrDesc struct {
	id   uint32
	desc string
	at   *schema.AttributeType
	opts string
}

// dictSnap is an immutable snapshot of the known descriptions. It only
// holds committed descriptions; it is replaced (copy on write) when new
// ones are learnt.
type dictSnap struct {
	byID   []*attrDesc
	byName map[string]*attrDesc
}

func (db *DB) newDesc(id uint32, desc string) *attrDesc {
	d := &attrDesc{id: id, desc: desc}
	name := desc
	if i := strings.IndexByte(desc, ';'); i >= 0 {
		name, d.opts = desc[:i], desc[i+1:]
	}
	d.at = db.sc.AttributeType(name)
	return d
}

// learn adds committed descriptions to the snapshot.
func (db *DB) learn(ds []*attrDesc) {
	if len(ds) == 0 {
		return
	}
	for {
		old := db.dict.Load()
		snap := &dictSnap{byID: append([]*attrDesc(nil), old.byID...), byName: make(map[string]*attrDesc, len(old.byName)+len(ds))}
		for k, v := range old.byName {
			snap.byName[k] = v
		}
		for _, d := range ds {
			for int(d.id) >= len(snap.byID) {
				snap.byID = append(snap.byID, nil)
			}
			if snap.byID[d.id] == nil {
				snap.byID[d.id] = d
				snap.byName[d.desc] = d
			}
		}
		if db.dict.CompareAndSwap(old, snap) {
			return
		}
	}
}

// descByID resolves a description id inside tx. Descriptions read in a
// read-only transaction are committed and go into the shared snapshot;
// those read in a write transaction go into *pending (nil for read-only).
func (db *DB) descByID(tx *bolt.Tx, id uint32, pending *[]*attrDesc) (*attrDesc, error) {
	snap := db.dict.Load()
	if int(id) < len(snap.byID) && snap.byID[id] != nil {
		return snap.byID[id], nil
	}
	if pending != nil {
		for _, d := range *pending {
			if d.id == id {
				return d, nil
			}
		}
	}
	var k [4]byte
	binary.BigEndian.PutUint32(k[:], id)
	v := tx.Bucket(bucketAttrIDs).Get(k[:])
	if v == nil {
		return nil, fmt.Errorf("%w: unknown attribute description id %d", ErrCorrupt, id)
	}
	d := db.newDesc(id, string(v))
	if pending != nil {
		*pending = append(*pending, d)
	} else {
		db.learn([]*attrDesc{d})
	}
	return d, nil
}

// Record layout:
//
//	version byte (1)
//	uvarint len(DN), DN as given
//	uvarint len(NDN), NDN
//	parent id, 8 bytes big-endian
//	uvarint number of attributes n
//	n x (description id uint32 LE, offset uint32 LE of the attribute's
//	     values, relative to the values area)
//	values area: for each attribute: uvarint count, count x (uvarint len, bytes)
const recordVersion = 1

// appendRecord appends the encoding of an entry to dst.
func appendRecord(dst []byte, dnStr, ndn string, parent uint64, ids []uint32, attrs []entry.Attribute) []byte {
	dst = append(dst, recordVersion)
	dst = binary.AppendUvarint(dst, uint64(len(dnStr)))
	dst = append(dst, dnStr...)
	dst = binary.AppendUvarint(dst, uint64(len(ndn)))
	dst = append(dst, ndn...)
	dst = binary.BigEndian.AppendUint64(dst, parent)
	return appendAttrs(dst, ids, attrs)
}

// appendAttrs appends the attribute part (count, header, values area).
func appendAttrs(dst []byte, ids []uint32, attrs []entry.Attribute) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(attrs)))
	hdr := len(dst)
	dst = append(dst, make([]byte, 8*len(attrs))...)
	base := len(dst)
	for i, a := range attrs {
		binary.LittleEndian.PutUint32(dst[hdr+8*i:], ids[i])
		binary.LittleEndian.PutUint32(dst[hdr+8*i+4:], uint32(len(dst)-base))
		dst = binary.AppendUvarint(dst, uint64(len(a.Values)))
		for _, v := range a.Values {
			dst = binary.AppendUvarint(dst, uint64(len(v)))
			dst = append(dst, v...)
		}
	}
	return dst
}

// recordHead holds the fixed part of a decoded record.
type recordHead struct {
	dn, ndn []byte
	parent  uint64
	attrs   []byte // from the attribute count on
}

func corrupt(what string) error { return fmt.Errorf("%w: %s", ErrCorrupt, what) }

// uvarint reads a uvarint from b.
func uvarint(b []byte) (uint64, []byte, bool) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, false
	}
	return v, b[n:], true
}

// lenBytes reads a uvarint length and that many bytes.
func lenBytes(b []byte) ([]byte, []byte, bool) {
	n, b, ok := uvarint(b)
	if !ok || n > uint64(len(b)) {
		return nil, nil, false
	}
	return b[:n:n], b[n:], true
}

// decodeHead decodes the fixed part of a record.
func decodeHead(raw []byte) (recordHead, error) {
	var h recordHead
	if len(raw) == 0 || raw[0] != recordVersion {
		return h, corrupt("record version")
	}
	b := raw[1:]
	var ok bool
	if h.dn, b, ok = lenBytes(b); !ok {
		return h, corrupt("record DN")
	}
	if h.ndn, b, ok = lenBytes(b); !ok {
		return h, corrupt("record NDN")
	}
	if len(b) < 8 {
		return h, corrupt("record parent")
	}
	h.parent = binary.BigEndian.Uint64(b)
	h.attrs = b[8:]
	return h, nil
}

// record is a decoded entry: the head eagerly, the attribute header
// resolved, values decoded lazily per attribute. It implements
// filter.EntryView. A record is reused from entry to entry.
type record struct {
	id uint64
	recordHead
	descs []*attrDesc
	offs  []uint32
	area  []byte

	// lazily decoded values: spans[i] indexes vals; lo < 0 means not yet.
	spans []valSpan
	vals  [][]byte
}

type valSpan struct{ lo, hi int32 }

// decode fills r from raw, resolving description ids with resolve.
func (r *record) decode(id uint64, raw []byte, resolve func(uint32) (*attrDesc, error)) error {
	h, err := decodeHead(raw)
	if err != nil {
		return err
	}
	r.id, r.recordHead = id, h
	n, b, ok := uvarint(h.attrs)
	if !ok || n > uint64(len(b))/8 {
		return corrupt("attribute count")
	}
	r.descs, r.offs, r.spans, r.vals = r.descs[:0], r.offs[:0], r.spans[:0], r.vals[:0]
	for i := 0; i < int(n); i++ {
		d, err := resolve(binary.LittleEndian.Uint32(b[8*i:]))
		if err != nil {
			return err
		}
		r.descs = append(r.descs, d)
		r.offs = append(r.offs, binary.LittleEndian.Uint32(b[8*i+4:]))
		r.spans = append(r.spans, valSpan{-1, -1})
	}
	r.area = b[8*n:]
	return nil
}

// NumAttrs implements filter.EntryView.
func (r *record) NumAttrs() int { return len(r.descs) }

// AttrType implements filter.EntryView.
func (r *record) AttrType(i int) (*schema.AttributeType, string) {
	d := r.descs[i]
	return d.at, d.opts
}

// Values implements filter.EntryView. The values alias the record's
// bytes; a corrupt attribute yields no values (Check reports it).
func (r *record) Values(i int) [][]byte {
	s := r.spans[i]
	if s.lo >= 0 {
		return r.vals[s.lo:s.hi]
	}
	lo := int32(len(r.vals))
	if off := r.offs[i]; int(off) <= len(r.area) {
		b := r.area[off:]
		if n, b2, ok := uvarint(b); ok && n <= uint64(len(b2)) {
			b = b2
			for j := uint64(0); j < n; j++ {
				var v []byte
				if v, b, ok = lenBytes(b); !ok {
					r.vals = r.vals[:lo]
					break
				}
				r.vals = append(r.vals, v)
			}
		}
	}
	r.spans[i] = valSpan{lo, int32(len(r.vals))}
	return r.vals[lo:len(r.vals):len(r.vals)]
}

// DN implements filter.EntryView.
func (r *record) DN() string { return string(r.dn) }

// valuesOK reports whether attribute i decodes completely (for Check).
func (r *record) valuesOK(i int) bool {
	off := r.offs[i]
	if int(off) > len(r.area) {
		return false
	}
	n, b, ok := uvarint(r.area[off:])
	if !ok {
		return false
	}
	for j := uint64(0); j < n; j++ {
		if _, b, ok = lenBytes(b); !ok {
			return false
		}
	}
	return true
}

// toEntry copies the whole record into a fresh entry.
func (r *record) toEntry() *entry.Entry {
	e := &entry.Entry{DN: string(r.dn), Attrs: make([]entry.Attribute, len(r.descs))}
	for i, d := range r.descs {
		vs := r.Values(i)
		cp := make([][]byte, len(vs))
		for j, v := range vs {
			cp[j] = append([]byte(nil), v...)
		}
		e.Attrs[i] = entry.Attribute{Type: d.desc, Values: cp}
	}
	return e
}
