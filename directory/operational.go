package directory

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"hostdir/directory/entry"
)

// Operational attributes the server maintains (slapd's lastmod): on add,
// in this order at the end of the entry: structuralObjectClass, entryUUID,
// creatorsName, createTimestamp, entryCSN, modifiersName,
// modifyTimestamp; on modify, modrdn and password modify, entryCSN,
// modifiersName and modifyTimestamp are replaced and move to the end of
// the entry, as in slapd. entryDN, subschemaSubentry and
// hasSubordinates are computed when asked for.
const (
	atStructuralObjectClass = "structuralObjectClass"
	atEntryUUID             = "entryUUID"
	atCreatorsName          = "creatorsName"
	atCreateTimestamp       = "createTimestamp"
	atEntryCSN              = "entryCSN"
	atModifiersName         = "modifiersName"
	atModifyTimestamp       = "modifyTimestamp"
	atEntryDN               = "entryDN"
	atSubschemaSubentry     = "subschemaSubentry"
	atHasSubordinates       = "hasSubordinates"
)

// csnClock makes entryCSN values that increase strictly.
type csnClock struct {
	mu    sync.Mutex
	last  int64 // microseconds
	count int
}

// next returns slapd's CSN form for t: 20260124101010.123456Z#000000#000#000000.
func (k *csnClock) next(t time.Time) string {
	t = t.UTC()
	us := t.UnixMicro()
	k.mu.Lock()
	if us <= k.last {
		if us < k.last {
			us = k.last
		}
		k.count++
	} else {
		k.last, k.count = us, 0
	}
	cnt := k.count
	k.mu.Unlock()
	tt := time.UnixMicro(us).UTC()
	return fmt.Sprintf("%s.%06dZ#%06x#000#000000", tt.Format("20060102150405"), tt.Nanosecond()/1000, cnt)
}

// generalizedTime formats t as createTimestamp/modifyTimestamp do.
func generalizedTime(t time.Time) string {
	return t.UTC().Format("20060102150405Z")
}

// newUUID returns a new entryUUID: a time-based (version 1) UUID as
// slapd makes them, from the server's generator.
func (s *Server) newUUID() string {
	u, err := s.uuids.New()
	if err != nil {
		panic(fmt.Sprintf("directory: %v", err))
	}
	return u
}

// setAttr replaces the values of attribute name (matched
// case-insensitively, without options) in place, or appends it.
func setAttr(e *entry.Entry, name string, vals ...string) {
	bv := make([][]byte, len(vals))
	for i, v := range vals {
		bv[i] = []byte(v)
	}
	for i := range e.Attrs {
		if strings.EqualFold(e.Attrs[i].Type, name) {
			e.Attrs[i].Values = bv
			return
		}
	}
	e.Attrs = append(e.Attrs, entry.Attribute{Type: name, Values: bv})
}

// addOperational sets the operational attributes of a new entry. who is
// the pretty DN of the writer.
func (s *Server) addOperational(e *entry.Entry, structural, who string) {
	now := s.now()
	ts := generalizedTime(now)
	setAttr(e, atStructuralObjectClass, structural)
	setAttr(e, atEntryUUID, s.newUUID())
	setAttr(e, atCreatorsName, who)
	setAttr(e, atCreateTimestamp, ts)
	setAttr(e, atEntryCSN, s.csn.next(now))
	setAttr(e, atModifiersName, who)
	setAttr(e, atModifyTimestamp, ts)
}

// modifyOperational updates the operational attributes of a modified
// entry. As slapd does (its modify replaces them), entryCSN,
// modifiersName and modifyTimestamp move to the end of the entry, in
// that order, after the attributes the change added.
func (s *Server) modifyOperational(e *entry.Entry, who string) {
	now := s.now()
	removeAttrs(e, atEntryCSN, atModifiersName, atModifyTimestamp)
	setAttr(e, atEntryCSN, s.csn.next(now))
	setAttr(e, atModifiersName, who)
	setAttr(e, atModifyTimestamp, generalizedTime(now))
}

// removeAttrs removes the attributes of e with one of the names (matched
// case-insensitively, without options).
func removeAttrs(e *entry.Entry, names ...string) {
	out := e.Attrs[:0]
	for _, a := range e.Attrs {
		drop := false
		for _, n := range names {
			if strings.EqualFold(a.Type, n) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, a)
		}
	}
	clear(e.Attrs[len(out):])
	e.Attrs = out
}
