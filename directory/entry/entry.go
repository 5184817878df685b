// Package entry holds the in-memory form of a directory entry shared by the
// schema checker, the store, LDIF and the server: a DN string as given and
// attributes with their values in stored order.
package entry

import "strings"

// Attribute is one attribute of an entry: its type as the client spelled it
// (or as the schema names it) and its values in the order they were stored.
type Attribute struct {
	Type   string
	Values [][]byte
}

// Entry is a directory entry. DN keeps the string as given; Attrs keep the
// order in which attributes were stored.
type Entry struct {
	DN    string
	Attrs []Attribute
}

// Get returns the attribute whose type equals name case-insensitively, or nil.
// It does not resolve aliases or OIDs; callers that need schema-aware lookup
// resolve the name first.
func (e *Entry) Get(name string) *Attribute {
	for i := range e.Attrs {
		if strings.EqualFold(e.Attrs[i].Type, name) {
			return &e.Attrs[i]
		}
	}
	return nil
}

// Clone returns a deep copy of e.
func (e *Entry) Clone() *Entry {
	c := &Entry{DN: e.DN, Attrs: make([]Attribute, len(e.Attrs))}
	for i, a := range e.Attrs {
		vals := make([][]byte, len(a.Values))
		for j, v := range a.Values {
			vals[j] = append([]byte(nil), v...)
		}
		c.Attrs[i] = Attribute{Type: a.Type, Values: vals}
	}
	return c
}
