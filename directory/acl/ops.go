package acl

import "hostdir/schema"

// Checker answers single access checks; *Evaluator implements it. The
// operation checks (CanAuth, SearchBase, Modify, ...) are written over it
// so that a server can put its own per-operation checker (a wrapper, a
// test double) in the Evaluator's place.
type Checker interface {
	// Allowed reports whether the requester has every privilege of want
	// on the request's target.
	Allowed(r Request, want Priv) bool
}

// LDAP result codes the operation checks return.
const (
	ResultSuccess            = 0
	ResultNoSuchObject       = 32
	ResultInsufficientAccess = 50
)

// CanDisclose reports whether the requester may learn that e exists
// (disclose on its entry pseudo-attribute). slapd answers noSuchObject
// (32), with no matched DN, instead of an error that would reveal an
// entry the requester may not disclose.
func CanDisclose(c Checker, e Entry) bool {
	return c.Allowed(Request{Entry: e, Attr: EntryAttr}, PrivDisclose)
}

// Denied returns the result code for an operation on e refused by access
// control: insufficientAccess (50) when the requester may disclose e,
// noSuchObject (32) otherwise.
func Denied(c Checker, e Entry) int {
	if CanDisclose(c, e) {
		return ResultInsufficientAccess
	}
	return ResultNoSuchObject
}

// CanAuth is the bind check: auth on one value of the password attribute
// (userPassword) of e. slapd checks it with the connection made anonymous
// for the bind, so the Evaluator's subject should be anonymous (with the
// connection's peer and SSF). A value refused is not compared; the bind
// fails with invalidCredentials (49) when no allowed value matches.
func CanAuth(c Checker, e Entry, pw *schema.AttributeType, value []byte) bool {
	return c.Allowed(Request{Entry: e, Attr: pw, Value: value}, PrivAuth)
}

// SearchBase is the check on the base entry of a search (slapd 2.4+):
// search on its entry pseudo-attribute. It returns 0, or 32/50 as Denied.
func SearchBase(c Checker, base Entry) int {
	if c.Allowed(Request{Entry: base, Attr: EntryAttr}, PrivSearch) {
		return ResultSuccess
	}
	return Denied(c, base)
}

// CanSearch is the check of one filter component on a candidate entry:
// search on the attribute (with the assertion value, normalized, for
// equality, ordering and approximate matches; nil for presence and
// substrings). A component refused evaluates to Undefined, as slapd's
// test_filter gives it (so NOT of it is Undefined too).
func CanSearch(c Checker, e Entry, at *schema.AttributeType, options string, value []byte) bool {
	return c.Allowed(Request{Entry: e, Attr: at, Options: options, Value: value}, PrivSearch)
}

// CanReadEntry is the check before a search returns e: read on its entry
// pseudo-attribute. An entry refused is silently left out.
func CanReadEntry(c Checker, e Entry) bool {
	return c.Allowed(Request{Entry: e, Attr: EntryAttr}, PrivRead)
}

// CanRead is the check of a returned attribute (value nil) and then of
// each of its values (normalized): a refused attribute is left out, a
// refused value is left out of the attribute.
func CanRead(c Checker, e Entry, at *schema.AttributeType, options string, value []byte) bool {
	return c.Allowed(Request{Entry: e, Attr: at, Options: options, Value: value}, PrivRead)
}

// Compare is the compare check: compare on the attribute and the
// (normalized) assertion value. It returns 0, or 32/50 as Denied.
func Compare(c Checker, e Entry, at *schema.AttributeType, options string, value []byte) int {
	if c.Allowed(Request{Entry: e, Attr: at, Options: options, Value: value}, PrivCompare) {
		return ResultSuccess
	}
	return Denied(c, e)
}

// Add is the add check of back-mdb: add (=a) on the parent's children,
// then on the new entry's entry pseudo-attribute. parent is nil when the
// entry is a database suffix: then the check is on the children of the
// empty DN. It returns 0 or 50.
func Add(c Checker, parent, e Entry) int {
	if parent == nil {
		parent = rootDSE{}
	}
	if !c.Allowed(Request{Entry: parent, Attr: ChildrenAttr}, PrivAdd) {
		return ResultInsufficientAccess
	}
	if !c.Allowed(Request{Entry: e, Attr: EntryAttr}, PrivAdd) {
		return ResultInsufficientAccess
	}
	return ResultSuccess
}

// Delete is the delete check of back-mdb: delete (=z) on the parent's
// children (nil parent: the empty DN's), then on the entry. It returns 0
// or 50.
func Delete(c Checker, parent, e Entry) int {
	if parent == nil {
		parent = rootDSE{}
	}
	if !c.Allowed(Request{Entry: parent, Attr: ChildrenAttr}, PrivDelete) {
		return ResultInsufficientAccess
	}
	if !c.Allowed(Request{Entry: e, Attr: EntryAttr}, PrivDelete) {
		return ResultInsufficientAccess
	}
	return ResultSuccess
}

// ModOp is the operation of one modification.
type ModOp int

// Modification operations (RFC 4511 numbering; Increment is RFC 4525).
const (
	ModAdd       ModOp = 0
	ModDelete    ModOp = 1
	ModReplace   ModOp = 2
	ModIncrement ModOp = 3
)

// Mod is one modification of a modify request, as the access check sees
// it: values normalized by the attribute's equality rule.
type Mod struct {
	Op      ModOp
	Attr    *schema.AttributeType
	Options string
	Values  [][]byte
}

// Modify is slapd's acl_check_modlist: replace and increment need delete
// (=z) on the attribute and add (=a) on each new value; add needs add on
// each value; delete needs delete on each value (on the attribute when no
// value is given). No-user-modification attributes (set by the server)
// are not checked. e is the entry before the modification. It returns 0
// or 50.
func Modify(c Checker, e Entry, mods []Mod) int {
	for i := range mods {
		m := &mods[i]
		if m.Attr.NoUserModification {
			continue
		}
		r := Request{Entry: e, Attr: m.Attr, Options: m.Options}
		switch m.Op {
		case ModReplace, ModIncrement:
			if !c.Allowed(r, PrivDelete) {
				return ResultInsufficientAccess
			}
			fallthrough
		case ModAdd:
			for _, v := range m.Values {
				r.Value = v
				if !c.Allowed(r, PrivAdd) {
					return ResultInsufficientAccess
				}
			}
		case ModDelete:
			if len(m.Values) == 0 {
				if !c.Allowed(r, PrivDelete) {
					return ResultInsufficientAccess
				}
				continue
			}
			for _, v := range m.Values {
				r.Value = v
				if !c.Allowed(r, PrivDelete) {
					return ResultInsufficientAccess
				}
			}
		}
	}
	return ResultSuccess
}

// PasswordModify is the check of the Password Modify extended operation
// (RFC 3062), which slapd runs as an internal modify replacing the
// password attribute with the new (hashed) value: delete on the attribute
// and add on the value. It returns 0 or 50.
func PasswordModify(c Checker, e Entry, pw *schema.AttributeType, newValue []byte) int {
	return Modify(c, e, []Mod{{Op: ModReplace, Attr: pw, Values: [][]byte{newValue}}})
}

// AVA is one attribute value of an RDN, normalized.
type AVA struct {
	Attr  *schema.AttributeType
	Value []byte
}

// ModRDN is the modrdn check (slapd.access(5), OPERATION REQUIREMENTS):
// write on the entry; on the old parent's children delete when the entry
// moves under newParent, write when it stays; add on newParent's
// children; add on the values of the new RDN; and delete on the values of
// the old RDN when deleteOldRDN is set (oldRDN then holds them). Parents
// are nil for the empty DN. It returns 0 or 50.
func ModRDN(c Checker, e, oldParent, newParent Entry, newRDN, oldRDN []AVA) int {
	if !c.Allowed(Request{Entry: e, Attr: EntryAttr}, PrivWrite) {
		return ResultInsufficientAccess
	}
	if oldParent == nil {
		oldParent = rootDSE{}
	}
	want := PrivWrite
	if newParent != nil {
		want = PrivDelete
	}
	if !c.Allowed(Request{Entry: oldParent, Attr: ChildrenAttr}, want) {
		return ResultInsufficientAccess
	}
	if newParent != nil && !c.Allowed(Request{Entry: newParent, Attr: ChildrenAttr}, PrivAdd) {
		return ResultInsufficientAccess
	}
	for _, a := range newRDN {
		if !c.Allowed(Request{Entry: e, Attr: a.Attr, Value: a.Value}, PrivAdd) {
			return ResultInsufficientAccess
		}
	}
	for _, a := range oldRDN {
		if !c.Allowed(Request{Entry: e, Attr: a.Attr, Value: a.Value}, PrivDelete) {
			return ResultInsufficientAccess
		}
	}
	return ResultSuccess
}

// rootDSE is the entry with the empty DN, the parent of suffixes.
type rootDSE struct{}

func (rootDSE) NDN() string                                 { return "" }
func (rootDSE) HasValue(*schema.AttributeType, []byte) bool { return false }
func (rootDSE) HasClass(*schema.ObjectClass) bool           { return false }

// CanDisclose is the package function CanDisclose with ev as the Checker.
func (ev *Evaluator) CanDisclose(e Entry) bool { return CanDisclose(ev, e) }

// Denied is the package function Denied with ev as the Checker.
func (ev *Evaluator) Denied(e Entry) int { return Denied(ev, e) }

// CanAuth is the package function CanAuth with ev as the Checker.
func (ev *Evaluator) CanAuth(e Entry, pw *schema.AttributeType, value []byte) bool {
	return CanAuth(ev, e, pw, value)
}

// SearchBase is the package function SearchBase with ev as the Checker.
func (ev *Evaluator) SearchBase(base Entry) int { return SearchBase(ev, base) }

// CanSearch is the package function CanSearch with ev as the Checker.
func (ev *Evaluator) CanSearch(e Entry, at *schema.AttributeType, options string, value []byte) bool {
	return CanSearch(ev, e, at, options, value)
}

// CanReadEntry is the package function CanReadEntry with ev as the Checker.
func (ev *Evaluator) CanReadEntry(e Entry) bool { return CanReadEntry(ev, e) }

// CanRead is the package function CanRead with ev as the Checker.
func (ev *Evaluator) CanRead(e Entry, at *schema.AttributeType, options string, value []byte) bool {
	return CanRead(ev, e, at, options, value)
}

// Compare is the package function Compare with ev as the Checker.
func (ev *Evaluator) Compare(e Entry, at *schema.AttributeType, options string, value []byte) int {
	return Compare(ev, e, at, options, value)
}

// Add is the package function Add with ev as the Checker.
func (ev *Evaluator) Add(parent, e Entry) int { return Add(ev, parent, e) }

// Delete is the package function Delete with ev as the Checker.
func (ev *Evaluator) Delete(parent, e Entry) int { return Delete(ev, parent, e) }

// Modify is the package function Modify with ev as the Checker.
func (ev *Evaluator) Modify(e Entry, mods []Mod) int { return Modify(ev, e, mods) }

// PasswordModify is the package function PasswordModify with ev as the Checker.
func (ev *Evaluator) PasswordModify(e Entry, pw *schema.AttributeType, newValue []byte) int {
	return PasswordModify(ev, e, pw, newValue)
}

// ModRDN is the package function ModRDN with ev as the Checker.
func (ev *Evaluator) ModRDN(e, oldParent, newParent Entry, newRDN, oldRDN []AVA) int {
	return ModRDN(ev, e, oldParent, newParent, newRDN, oldRDN)
}
