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
// changes within one microsecond, as slapd's does), and so are the
// timestamps of its entryUUIDs (time-based, see UUIDGenerator).
type Stamper struct {
	// SID is the server ID written into CSNs (slapadd -S; 0 by default).
	SID int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	last  time.Time
	count int
	// uuids makes the entryUUIDs (its clock is Now, set once).
	uuids    UUIDGenerator
	uuidOnce sync.Once

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

// uuid returns a new entryUUID from the Stamper's generator.
func (s *Stamper) uuid() (string, error) {
	s.uuidOnce.Do(func() { s.uuids.Now = s.Now })
	return s.uuids.New()
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

// NewUUID returns a time-based (version 1) UUID in the 36-character form
// entryUUID takes, e.g. c7933ad2-7bfd-1041-8bc4-f91920758fed, from a
// generator of its own (a new random node and clock sequence each call).
// Use one UUIDGenerator for many UUIDs: its UUIDs are also ordered.
func NewUUID() (string, error) {
	var g UUIDGenerator
	return g.New()
}

// uuidEpoch is the distance from the UUID epoch, 1582-10-15 00:00:00
// UTC, to the Unix epoch, in 100 ns.
const uuidEpoch = 0x01B21DD213814000

// UUIDGenerator makes RFC 4122 time-based (version 1) UUIDs as slapd's
// lutil_uuidstr does for entryUUID: a 60-bit timestamp counting 100 ns
// since 1582-10-15, a clock sequence that starts random and is
// incremented for every UUID (13 bits, with the variant bits 10 as
// slapd writes them: 8000-9fff), and a random node with the multicast bit
// set (slapd's node when it reads no MAC address). Unlike slapd, the
// timestamps of one generator strictly increase: when the clock repeats
// a value or goes back, the generator uses the last timestamp plus one,
// so its UUIDs are unique and ordered by their time even then. The zero
// value is ready to use; it draws its node and clock sequence on first
// use. It is safe for concurrent use.
type UUIDGenerator struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	mu     sync.Mutex
	inited bool
	node   [6]byte
	seq    uint16
	last   uint64 // last timestamp, 100 ns since the UUID epoch
}

// New returns the next UUID in its text form.
func (g *UUIDGenerator) New() (string, error) {
	b, err := g.Next()
	if err != nil {
		return "", err
	}
	return FormatUUID(b), nil
}

// Next returns the next UUID as 16 bytes.
func (g *UUIDGenerator) Next() ([16]byte, error) {
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	t := now()
	ts := uint64(t.Unix())*10_000_000 + uint64(t.Nanosecond()/100) + uuidEpoch
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.inited {
		var r [8]byte
		if _, err := rand.Read(r[:]); err != nil {
			return [16]byte{}, fmt.Errorf("entryUUID: %w", err)
		}
		copy(g.node[:], r[:6])
		g.node[0] |= 0x01 // multicast: not a real MAC address
		g.seq = uint16(r[6])<<8 | uint16(r[7])
		g.inited = true
	}
	if ts <= g.last {
		ts = g.last + 1
	}
	g.last = ts
	g.seq++
	var b [16]byte
	tlow := uint32(ts)
	tmid := uint16(ts >> 32)
	thi := uint16(ts>>48)&0x0fff | 0x1000 // version 1
	cs := g.seq&0x1fff | 0x8000           // variant 10, as slapd
	b[0], b[1], b[2], b[3] = byte(tlow>>24), byte(tlow>>16), byte(tlow>>8), byte(tlow)
	b[4], b[5] = byte(tmid>>8), byte(tmid)
	b[6], b[7] = byte(thi>>8), byte(thi)
	b[8], b[9] = byte(cs>>8), byte(cs)
	copy(b[10:], g.node[:])
	return b, nil
}

// UUIDTime returns the time of a version 1 UUID in its text form (false
// if it is not one).
func UUIDTime(u string) (time.Time, bool) {
	if len(u) != 36 || u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-' || u[14] != '1' {
		return time.Time{}, false
	}
	h := u[15:18] + u[9:13] + u[0:8]
	ts, err := strconv.ParseUint(h, 16, 64)
	if err != nil || ts < uuidEpoch {
		return time.Time{}, false
	}
	ts -= uuidEpoch
	return time.Unix(int64(ts/10_000_000), int64(ts%10_000_000)*100).UTC(), true
}

// FormatUUID formats 16 bytes as a UUID in its text form
// (8-4-4-4-12 lower-case hex digits).
func FormatUUID(b [16]byte) string {
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
