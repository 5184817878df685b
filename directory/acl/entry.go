package acl

import (
	"strings"
	"sync"

	"hostdir/directory/entry"
	"hostdir/schema"
)

// NewEntry returns an Entry over e, whose normalized DN is ndn, that
// resolves attribute types and object classes through sc and normalizes
// values with the equality rules when asked. It suits tests, tools and
// servers that keep entries as *entry.Entry; e must not change while the
// Entry is in use.
func NewEntry(e *entry.Entry, ndn string, sc *schema.Schema) Entry {
	return &plainEntry{e: e, ndn: ndn, sc: sc}
}

type plainEntry struct {
	e   *entry.Entry
	ndn string
	sc  *schema.Schema

	mu   sync.Mutex
	norm map[*schema.AttributeType][][]byte // normalized values, built on demand
}

// values returns the normalized values of attribute type at (without
// options), computed once.
func (p *plainEntry) values(at *schema.AttributeType) [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if vs, ok := p.norm[at]; ok {
		return vs
	}
	var vs [][]byte
	for i := range p.e.Attrs {
		a := &p.e.Attrs[i]
		if strings.IndexByte(a.Type, ';') >= 0 || !at.HasName(a.Type) && p.sc.AttributeType(a.Type) != at {
			continue
		}
		for _, v := range a.Values {
			if at.Equality != nil && at.Equality.Normalize != nil {
				n, err := at.Equality.Normalize(p.sc, v)
				if err != nil {
					continue
				}
				v = n
			}
			vs = append(vs, v)
		}
	}
	if p.norm == nil {
		p.norm = map[*schema.AttributeType][][]byte{}
	}
	p.norm[at] = vs
	return vs
}

func (p *plainEntry) NDN() string { return p.ndn }

func (p *plainEntry) HasValue(at *schema.AttributeType, norm []byte) bool {
	for _, v := range p.values(at) {
		if string(v) == string(norm) {
			return true
		}
	}
	return false
}

func (p *plainEntry) HasClass(oc *schema.ObjectClass) bool {
	for i := range p.e.Attrs {
		a := &p.e.Attrs[i]
		if !strings.EqualFold(a.Type, "objectClass") && !strings.EqualFold(a.Type, "2.5.4.0") {
			continue
		}
		for _, v := range a.Values {
			if oc.HasName(string(v)) {
				return true
			}
			if c := p.sc.ObjectClass(string(v)); c != nil && c.IsSubclassOf(oc) {
				return true
			}
		}
	}
	return false
}

// RawEntry is implemented by Entry implementations that can give the
// *entry.Entry they stand for (with every attribute).
type RawEntry interface {
	Raw() *entry.Entry
}

// Raw returns the *entry.Entry behind an Entry made by NewEntry or
// implementing RawEntry, or nil. Filter compilers
// (Options.CompileFilter) use it to evaluate filters on such entries.
func Raw(e Entry) *entry.Entry {
	switch p := e.(type) {
	case *plainEntry:
		return p.e
	case RawEntry:
		return p.Raw()
	}
	return nil
}
