package schema

import (
	"hostdir/schema/syntax"
)

// Usage is the USAGE of an attribute type (RFC 4512 section 4.1.2).
type Usage int

// The attribute usages. Every usage but UserApplications makes the type
// operational.
const (
	UserApplications Usage = iota
	DirectoryOperation
	DistributedOperation
	DSAOperation
)

// String returns the usage as RFC 4512 spells it ("dSAOperation", ...).
func (u Usage) String() string {
	switch u {
	case DirectoryOperation:
		return "directoryOperation"
	case DistributedOperation:
		return "distributedOperation"
	case DSAOperation:
		return "dSAOperation"
	}
	return "userApplications"
}

// ClassKind is the kind of an object class. The zero value is Structural,
// the default of RFC 4512.
type ClassKind int

// The object class kinds.
const (
	Structural ClassKind = iota
	Abstract
	Auxiliary
)

// String returns the RFC 4512 keyword of the kind ("STRUCTURAL", ...).
func (k ClassKind) String() string {
	switch k {
	case Abstract:
		return "ABSTRACT"
	case Auxiliary:
		return "AUXILIARY"
	}
	return "STRUCTURAL"
}

// AttributeType is a loaded attribute type. Its fields are read-only: the
// schema owns them and shares them between goroutines.
type AttributeType struct {
	OID      string
	Names    []string // as the schema spells them; Names[0] is the primary name
	Desc     string   // unescaped
	Obsolete bool
	Sup      *AttributeType

	// Equality, Ordering and Substr are the effective matching rules: the
	// type's own or, when it names none, its superior's (nil: none).
	Equality, Ordering, Substr *syntax.MatchingRule
	// Syntax is the effective syntax (own or inherited); never nil.
	Syntax *syntax.Syntax
	// SyntaxLen is the {len} bound of the effective syntax (0: none). Like
	// slapd, hostdir does not enforce it.
	SyntaxLen int

	SingleValue        bool
	Collective         bool
	NoUserModification bool
	Usage              Usage
	Extensions         []Extension // X- extensions, as written

	// Def is the canonical RFC 4512 description, as cn=Subschema shows it.
	Def string

	index   int              // definition order
	subtree []*AttributeType // this type and every type below it through SUP
}

// Name returns the primary name of the type, or its OID if it has none.
func (a *AttributeType) Name() string {
	if len(a.Names) > 0 {
		return a.Names[0]
	}
	return a.OID
}

// IsOperational reports whether the type's usage is not userApplications.
func (a *AttributeType) IsOperational() bool { return a.Usage != UserApplications }

// IsSubtypeOf reports whether a is b or derives from b through SUP.
func (a *AttributeType) IsSubtypeOf(b *AttributeType) bool {
	for t := a; t != nil; t = t.Sup {
		if t == b {
			return true
		}
	}
	return false
}

// Subtypes returns a and every type derived from it through SUP, in
// definition order (a first). A filter on "name" matches cn, sn, ... through
// this list. The slice is shared: do not modify it.
func (a *AttributeType) Subtypes() []*AttributeType { return a.subtree }

// HasName reports whether name is one of a's names or its OID, ignoring case.
func (a *AttributeType) HasName(name string) bool {
	if equalFold(name, a.OID) {
		return true
	}
	for _, n := range a.Names {
		if equalFold(name, n) {
			return true
		}
	}
	return false
}

// ObjectClass is a loaded object class. Its fields are read-only.
type ObjectClass struct {
	OID      string
	Names    []string
	Desc     string
	Obsolete bool
	Sup      []*ObjectClass
	Kind     ClassKind
	// Must and May are the class's own lists, in definition order.
	Must, May  []*AttributeType
	Extensions []Extension
	// Def is the canonical RFC 4512 description, as cn=Subschema shows it.
	Def string

	index   int
	allMust []*AttributeType
	allMay  []*AttributeType
	allowed map[*AttributeType]struct{} // allMust and allMay
	supers  []*ObjectClass              // the class itself and all its superclasses
}

// Name returns the primary name of the class, or its OID if it has none.
func (c *ObjectClass) Name() string {
	if len(c.Names) > 0 {
		return c.Names[0]
	}
	return c.OID
}

// AllMust returns the attribute types the class requires, its own first and
// then those inherited through SUP, without duplicates. The slice is shared:
// do not modify it.
func (c *ObjectClass) AllMust() []*AttributeType { return c.allMust }

// AllMay returns the attribute types the class allows besides AllMust, own
// first then inherited, without duplicates and without the types of AllMust.
// The slice is shared: do not modify it.
func (c *ObjectClass) AllMay() []*AttributeType { return c.allMay }

// Allows reports whether the class (with its superclasses) requires or allows
// attribute type at.
func (c *ObjectClass) Allows(at *AttributeType) bool {
	_, ok := c.allowed[at]
	return ok
}

// IsSubclassOf reports whether c is o or derives from o through SUP.
func (c *ObjectClass) IsSubclassOf(o *ObjectClass) bool {
	for _, s := range c.supers {
		if s == o {
			return true
		}
	}
	return false
}

// HasName reports whether name is one of c's names or its OID, ignoring case.
func (c *ObjectClass) HasName(name string) bool {
	if equalFold(name, c.OID) {
		return true
	}
	for _, n := range c.Names {
		if equalFold(name, n) {
			return true
		}
	}
	return false
}

// equalFold compares ASCII case-insensitively (schema names are ASCII).
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x != y && lowerByte(x) != lowerByte(y) {
			return false
		}
	}
	return true
}

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// lowerASCII lower-cases ASCII letters, returning s itself (no allocation)
// when it has no upper-case letter.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lowerByte(b[j])
			}
			return string(b)
		}
	}
	return s
}
