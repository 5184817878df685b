package bootstrap

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"hostdir/directory/entry"
	"hostdir/schema"
)

// AnonymousDN is the creatorsName/modifiersName slapadd writes for a
// database without a rootdn.
const AnonymousDN = "cn=anonymous"

// Names of the operational attributes Stamper adds, in slapadd's order.
const (
	AttrStructuralObjectClass = "structuralObjectClass"
	AttrEntryUUID             = "entryUUID"
	AttrCreatorsName          = "creatorsName"
	AttrCreateTimestamp       = "createTimestamp"
	AttrEntryCSN              = "entryCSN"
	AttrModifiersName         = "modifiersName"
	AttrModifyTimestamp       = "modifyTimestamp"
)

// GeneralizedTime formats t as slapd writes createTimestamp and
// modifyTimestamp: YYYYmmddHHMMSSZ in UTC.
func GeneralizedTime(t time.Time) string { return t.UTC().Format("20060102150405Z") }

// Stamper makes entryCSN and entryUUID values and adds slapadd's
// operational attributes to entries. It is safe for concurrent use: CSNs
// it makes are unique and increasing (the change count part counts
// changes within one microsecond, as slapd's does).
type Stamper struct {
	// SID is the server ID written into CSNs (slapadd -S; 0 by default).
	SID int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	last  time.Time
	count int
	// rnd buffers random bytes for entryUUIDs (one getrandom call per
	// 256 UUIDs instead of one per entry).
	rnd []byte

	types atomic.Pointer[stampTypes]
}

// stampTypes are the attribute types Stamp looks for, resolved once per
// schema.
type stampTypes struct {
	sc                                                            *schema.Schema
	structural, uuid, creators, created, csn, modifiers, modified *schema.AttributeType
}

func (s *Stamper) typesFor(sc *schema.Schema) *stampTypes {
	if t := s.types.Load(); t != nil && t.sc == sc {
		return t
	}
	t := &stampTypes{sc: sc,
		structural: sc.AttributeType(AttrStructuralObjectClass), uuid: sc.AttributeType(AttrEntryUUID),
		creators: sc.AttributeType(AttrCreatorsName), created: sc.AttributeType(AttrCreateTimestamp),
		csn: sc.AttributeType(AttrEntryCSN), modifiers: sc.AttributeType(AttrModifiersName),
		modified: sc.AttributeType(AttrModifyTimestamp)}
	s.types.Store(t)
	return t
}

// uuid returns a new random UUID, from buffered random bytes.
func (s *Stamper) uuid() (string, error) {
	s.mu.Lock()
	if len(s.rnd) < 16 {
		if cap(s.rnd) < 4096 {
			s.rnd = make([]byte, 4096)
		}
		s.rnd = s.rnd[:4096]
		if _, err := rand.Read(s.rnd); err != nil {
			s.rnd = s.rnd[:0]
			s.mu.Unlock()
			return "", fmt.Errorf("entryUUID: %w", err)
		}
	}
	var b [16]byte
	copy(b[:], s.rnd[len(s.rnd)-16:])
	clear(s.rnd[len(s.rnd)-16:])
	s.rnd = s.rnd[:len(s.rnd)-16]
	s.mu.Unlock()
	return formatUUID(b), nil
}

func (s *Stamper) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// next returns a time for a new CSN and its change count.
func (s *Stamper) next() (time.Time, int) {
	t := s.now().UTC().Truncate(time.Microsecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.After(s.last) {
		s.last, s.count = t, 0
	} else {
		s.count++
	}
	return s.last, s.count
}

// CSN returns a new change sequence number in slapd's form,
// YYYYmmddHHMMSS.uuuuuuZ#cccccc#sid#000000 (count, SID and modifier in
// hex), e.g. 20240102030405.123456Z#000000#000#000000.
func (s *Stamper) CSN() string {
	t, n := s.next()
	return FormatCSN(t, n, s.SID)
}

// FormatCSN formats a CSN for time t, change count n and server ID sid.
func FormatCSN(t time.Time, n, sid int) string {
	t = t.UTC()
	b := make([]byte, 0, 40)
	b = t.AppendFormat(b, "20060102150405")
	b = append(b, '.')
	b = appendPadded(b, uint64(t.Nanosecond()/1000), 10, 6)
	b = append(b, 'Z', '#')
	b = appendPadded(b, uint64(n), 16, 6)
	b = append(b, '#')
	b = appendPadded(b, uint64(sid), 16, 3)
	b = append(b, "#000000"...)
	return string(b)
}

// appendPadded appends v in base with leading zeros to width digits.
func appendPadded(b []byte, v uint64, base, width int) []byte {
	var d [20]byte
	s := strconv.AppendUint(d[:0], v, base)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// NewUUID returns a random (version 4) UUID in the 36-character form
// entryUUID takes, e.g. 3f1c2c1e-6f0a-4c8e-9d7b-2a1e5b8c9d0f.
func NewUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("entryUUID: %w", err)
	}
	return formatUUID(b), nil
}

// formatUUID makes random bytes a version 4 UUID in its text form.
func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// StampOptions are the options of Stamper.Stamp.
type StampOptions struct {
	// Structural adds structuralObjectClass (slapadd does so when it
	// checks the schema).
	Structural bool
	// LastMod adds entryUUID, creatorsName, createTimestamp, entryCSN,
	// modifiersName and modifyTimestamp (the database's lastmod, on by
	// default).
	LastMod bool
	// Creator is the DN written into creatorsName and modifiersName (""
	// means AnonymousDN).
	Creator string
}

// Stamp appends to e, in slapadd's order, each of the operational
// attributes opts asks for that e does not have yet: structuralObjectClass
// (computed with sc.StructuralClass), entryUUID, creatorsName,
// createTimestamp, entryCSN, modifiersName, modifyTimestamp. The two
// timestamps of one entry are equal and match its entryCSN, as slapadd
// writes them. Attribute types are found through the schema (any
// spelling or OID of the type counts as present).
func (s *Stamper) Stamp(sc *schema.Schema, e *entry.Entry, opts StampOptions) error {
	var buf [24]*schema.AttributeType
	present := buf[:0]
	for _, a := range e.Attrs {
		if at, _, err := sc.AttributeDescription(a.Type); err == nil {
			present = append(present, at)
		}
	}
	has := func(want *schema.AttributeType) bool {
		for _, at := range present {
			if at == want {
				return true
			}
		}
		return false
	}
	add := func(name, v string) {
		e.Attrs = append(e.Attrs, entry.Attribute{Type: name, Values: [][]byte{[]byte(v)}})
	}
	ty := s.typesFor(sc)
	if opts.Structural && !has(ty.structural) {
		oc, err := sc.StructuralClass(e)
		if err != nil {
			return err
		}
		add(AttrStructuralObjectClass, oc.Name())
	}
	if !opts.LastMod {
		return nil
	}
	creator := opts.Creator
	if creator == "" {
		creator = AnonymousDN
	}
	t, n := s.next()
	ts := GeneralizedTime(t)
	if !has(ty.uuid) {
		u, err := s.uuid()
		if err != nil {
			return err
		}
		add(AttrEntryUUID, u)
	}
	if !has(ty.creators) {
		add(AttrCreatorsName, creator)
	}
	if !has(ty.created) {
		add(AttrCreateTimestamp, ts)
	}
	if !has(ty.csn) {
		add(AttrEntryCSN, FormatCSN(t, n, s.SID))
	}
	if !has(ty.modifiers) {
		add(AttrModifiersName, creator)
	}
	if !has(ty.modified) {
		add(AttrModifyTimestamp, ts)
	}
	return nil
}
