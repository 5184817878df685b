package directory

import (
	"context"

	"hostdir/directory/entry"
	"hostdir/schema"
)

// Level is an access level of slapd.access(5), in increasing order; each
// level implies the ones below it.
type Level int

// Access levels.
const (
	LevelNone Level = iota
	LevelDisclose
	LevelAuth
	LevelCompare
	LevelSearch
	LevelRead
	LevelWrite
	LevelManage
)

var levelNames = [...]string{"none", "disclose", "auth", "compare", "search", "read", "write", "manage"}

// String returns the level's name as slapd.access(5) spells it.
func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "level(" + itoa(int64(l)) + ")"
}

// Pseudo-attributes of slapd's access control.
const (
	// AttrEntry is the `entry` pseudo-attribute: access to the entry itself
	// (read to return it in a search, write to add or delete it, auth or
	// more to bind as it).
	AttrEntry = "entry"
	// AttrChildren is the `children` pseudo-attribute: write on a parent's
	// children to add, delete or move entries below it.
	AttrChildren = "children"
)

// Subject is who asks for access: the connection's authorization identity
// and how it is connected.
type Subject struct {
	// DN is the bound DN as bound, NDN its normalized form; both "" when
	// anonymous.
	DN, NDN string
	// Root is true for the root DN of the database being accessed (slapd
	// grants it everything without consulting the rules; the server does
	// not call the Authorizer for it).
	Root bool
	// ConnID is the connection number of the logs.
	ConnID uint64
	// Peer is the client's address as logged ("IP=127.0.0.1:40000",
	// "PATH=/run/ldapi").
	Peer string
	// SSF is the connection's security strength factor; TransportSSF and
	// TLSSSF its parts.
	SSF, TransportSSF, TLSSSF int
}

// Anonymous reports whether the subject has not bound.
func (s *Subject) Anonymous() bool { return s.NDN == "" }

// Target is what access is asked to: an attribute (possibly one value) of
// an entry, or one of the pseudo-attributes AttrEntry and AttrChildren.
type Target struct {
	// DN is the entry's DN as stored (pretty), NDN its normalized form.
	DN, NDN string
	// Entry is the entry (with the attributes the check may need, e.g. for
	// filter= clauses); nil when it is not at hand (an entry being added is
	// given in full).
	Entry *entry.Entry
	// Attr is the attribute type; nil for the pseudo-attributes.
	Attr *schema.AttributeType
	// AttrName is the attribute description, AttrEntry or AttrChildren.
	AttrName string
	// Value is the value concerned (compare, modify add/delete of a value,
	// returned values); nil for the whole attribute.
	Value []byte
}

// Authorizer decides whether a subject has a level of access to a target.
// The server calls it where slapd checks access:
//
//   - Bind: auth on the entry's userPassword (the subject is anonymous).
//   - Search: search on each attribute the filter names, read on the entry
//     (AttrEntry) to return it, read on each attribute returned (an
//     attribute refused is left out; an entry refused is not returned).
//   - Compare: compare on the attribute and value.
//   - Add: write on the parent's AttrChildren, then on the new entry's
//     AttrEntry.
//   - Delete: write on the parent's AttrChildren, then on the entry's
//     AttrEntry.
//   - Modify: write on each attribute touched (with the value for add and
//     delete of values).
//   - ModifyDN: write on the old parent's and the new parent's
//     AttrChildren and on the entry's AttrEntry.
//   - Password Modify: write on userPassword.
//
// It is not called for the root DN of the database concerned, which slapd
// lets do anything. Implementations must be safe for concurrent use and
// fast: Access is called per entry and attribute on the search path.
type Authorizer interface {
	Access(ctx context.Context, sub *Subject, t *Target, level Level) bool
}

// DefaultAuthorizer is slapd's policy when slapd.conf has no access
// directive ("access to * by * read"): everyone, anonymous included, may
// read, search, compare and authenticate against everything (userPassword
// too); only the root DN writes.
type DefaultAuthorizer struct{}

// Access implements Authorizer.
func (DefaultAuthorizer) Access(_ context.Context, sub *Subject, _ *Target, level Level) bool {
	return level <= LevelRead || sub.Root
}

// subject returns the subject of op for database d.
func (op *operation) subject(d *database) *Subject {
	c := op.c
	return &Subject{
		DN:           op.ident.dn,
		NDN:          op.ident.ndn,
		Root:         d != nil && op.ident.root == d,
		ConnID:       c.id,
		Peer:         c.peer,
		SSF:          c.ssf,
		TransportSSF: c.transportSSF,
		TLSSSF:       c.tlsSSF,
	}
}

// allowed asks the Authorizer, short-cutting the root DN.
func (s *Server) allowed(op *operation, sub *Subject, t *Target, level Level) bool {
	if sub.Root {
		return true
	}
	if s.openRead && level <= LevelRead {
		return true
	}
	return s.authz.Access(op, sub, t, level)
}
