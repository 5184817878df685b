package directory

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"hostdir/directory/acl"
	"hostdir/directory/entry"
	"hostdir/directory/filter"
	"hostdir/directory/ldapwire"
	"hostdir/schema"
)

// integerSyntax is the OID of the INTEGER syntax, the only one increment
// applies to.
const integerSyntax = "1.3.6.1.4.1.1466.115.121.1.27"

// modify runs a ModifyRequest.
//
// slapd's order: DN syntax (34); the root DSE and cn=Subschema are not
// modifiable (53); per change: undefined type (17), add/increment without
// values (2), value syntax (21); a DN under no suffix (53); restrictions
// (8); NO-USER-MODIFICATION (19); then, in one transaction: the entry
// (32 with matched DN), the assertion control (122), write access to each
// attribute (50), the changes in order (20 value exists, 16 no such value
// or attribute, 19 increment of a non-integer), the schema check of the
// result (65, 64, 19), a structural class change (69). A modify is all or
// nothing.
func (s *Server) modify(op *operation) {
	r := &op.msg.Modify
	if s.stats {
		op.logDN("MOD", r.Object)
		b := append(op.line(), "MOD attr="...)
		for i, ch := range r.Changes {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, ch.Type...)
		}
		op.writeLine(b)
	}
	ctl, _, ndn, ok := s.parseTarget(op, r.Object)
	if !ok {
		return
	}
	switch ndn {
	case "":
		op.sendResult(ldapwire.UnwillingToPerform, "", "modify upon the root DSE not supported")
		return
	case s.subschemaNDN():
		op.sendResult(ldapwire.UnwillingToPerform, "", "modification of subschema subentry not supported")
		return
	}
	mods, e := s.checkMods(r.Changes)
	if e != nil {
		op.sendResult(e.code, "", e.msg)
		return
	}
	d := s.selectDB(ndn)
	if d == nil {
		op.sendResult(ldapwire.UnwillingToPerform, "", "no global superior knowledge")
		return
	}
	if e := s.checkRestrictions(op, d, kindUpdate); e != nil {
		op.sendResult(e.code, "", e.msg)
		return
	}
	for _, m := range mods {
		if m.at.NoUserModification {
			op.sendResult(ldapwire.ConstraintViolation, "", m.desc+": no user modification allowed")
			return
		}
	}
	acc := s.access(op, d)
	check := !granted(acc, acl.PrivWrite)
	var amods []acl.Mod
	if check {
		amods = make([]acl.Mod, len(mods))
		for i, m := range mods {
			am := acl.Mod{Op: acl.ModOp(m.op), Attr: m.at, Options: m.opts}
			for _, v := range m.vals {
				am.Values = append(am.Values, append([]byte(nil), s.norm(m.at, v)...))
			}
			amods[i] = am
		}
	}
	err := s.checkedModify(op, d, ndn, check, func(en *entry.Entry) error {
		if ctl.assert != nil && ctl.assert.Eval(filter.Entry{E: en, Schema: s.schema}) != filter.True {
			return lerr(ldapwire.AssertionFailed, "")
		}
		if check {
			t := &op.target
			t.set(s.schema, en, ndn)
			if acl.Modify(acc, t, amods) != acl.ResultSuccess {
				return lerr(ldapwire.InsufficientAccessRights, "")
			}
		}
		return nil
	}, func(en *entry.Entry) error {
		oldSC := ""
		if a := findAttr(s.schema, en, s.schema.AttributeType(atStructuralObjectClass), ""); a != nil && len(a.Values) > 0 {
			oldSC = string(a.Values[0])
		}
		for _, m := range mods {
			if e := s.applyMod(en, m); e != nil {
				return e
			}
		}
		return s.finishModified(op, d, en, oldSC)
	})
	if err != nil {
		op.fail(err)
		return
	}
	op.sendResult(ldapwire.Success, "", "")
}

// errEntryChanged reports that an entry changed between its access
// check and its modification.
var errEntryChanged = errors.New("entry changed since its access check")

// checkedModify modifies the entry ndn of d with change, after pre has
// accepted it. pre makes the checks that come before the change in
// slapd's order (assertion, access control). With readFirst, pre runs
// on the entry read outside the store's write transaction (access
// control may read group entries, which the transaction must not) and
// the change is made only if the entry is still the same, retrying
// otherwise; without, pre runs inside the transaction.
func (s *Server) checkedModify(op *operation, d *database, ndn string, readFirst bool, pre, change func(en *entry.Entry) error) error {
	if !readFirst {
		return d.backend.Modify(op, ndn, func(en *entry.Entry) error {
			if err := pre(en); err != nil {
				return err
			}
			return change(en)
		})
	}
	for attempt := 0; ; attempt++ {
		before, err := d.backend.Get(op, ndn)
		if err != nil {
			return err
		}
		if err := pre(&before.Entry); err != nil {
			return err
		}
		err = d.backend.Modify(op, ndn, func(en *entry.Entry) error {
			if !sameEntry(en, &before.Entry) {
				return errEntryChanged
			}
			return change(en)
		})
		if !errors.Is(err, errEntryChanged) || attempt == 10 {
			return err
		}
	}
}

// sameEntry reports whether a and b have the same DN, attributes and
// values, in the same order.
func sameEntry(a, b *entry.Entry) bool {
	if a.DN != b.DN || len(a.Attrs) != len(b.Attrs) {
		return false
	}
	for i := range a.Attrs {
		x, y := &a.Attrs[i], &b.Attrs[i]
		if x.Type != y.Type || len(x.Values) != len(y.Values) {
			return false
		}
		for k := range x.Values {
			if !bytes.Equal(x.Values[k], y.Values[k]) {
				return false
			}
		}
	}
	return true
}

// finishModified checks a modified entry against the schema and updates
// its operational attributes.
func (s *Server) finishModified(op *operation, d *database, en *entry.Entry, oldSC string) error {
	if err := s.schema.CheckEntry(en); err != nil {
		ce := checkErr(err)
		// slapd's entry_schema_check words a single-valued type with
		// several values (the request itself gave one value each).
		if typ, ok := strings.CutSuffix(ce.msg, ": multiple values provided"); ok && ce.code == ldapwire.ConstraintViolation {
			t, _ := splitDesc(typ)
			if at := s.schema.AttributeType(t); at != nil {
				typ = at.Name()
			}
			ce.msg = "attribute '" + typ + "' cannot have multiple values"
		}
		return ce
	}
	sc, err := s.schema.StructuralClass(en)
	if err != nil {
		return checkErr(err)
	}
	if oldSC != "" && !strings.EqualFold(oldSC, sc.Name()) {
		if old := s.schema.ObjectClass(oldSC); old != sc {
			return lerr(ldapwire.ObjectClassModsProhibited,
				fmt.Sprintf("structural object class modification from '%s' to '%s' not allowed", oldSC, sc.Name()))
		}
	}
	if d.lastMod {
		s.modifyOperational(en, op.ident.dn)
	}
	return nil
}

// mod is one checked change.
type mod struct {
	op   ldapwire.ModOp
	desc string // as the client wrote it
	name string // canonical description
	opts string
	at   *schema.AttributeType
	vals [][]byte // copies
}

// checkMods is slapd's slap_mods_check for a ModifyRequest.
func (s *Server) checkMods(changes []ldapwire.Change) ([]mod, *ldapError) {
	mods := make([]mod, 0, len(changes))
	for _, ch := range changes {
		desc := string(ch.Type)
		at, _, err := s.schema.AttributeDescription(desc)
		if err != nil {
			return nil, checkErr(err)
		}
		m := mod{op: ch.Op, desc: desc, name: canonicalDesc(s.schema, desc), at: at}
		_, m.opts = splitDesc(m.name)
		switch {
		case ch.Op == ldapwire.ModAdd && len(ch.Values) == 0:
			return nil, lerr(ldapwire.ProtocolError, "modify/add: "+desc+": no values given")
		case ch.Op == ldapwire.ModIncrement && len(ch.Values) == 0:
			return nil, lerr(ldapwire.ProtocolError, "modify/increment: "+desc+": no values given")
		case ch.Op == ldapwire.ModIncrement && len(ch.Values) > 1:
			return nil, lerr(ldapwire.ProtocolError, "modify/increment: "+desc+": multiple values given")
		}
		isOC := at.HasName("objectClass")
		for i, v := range ch.Values {
			if isOC {
				if ch.Op != ldapwire.ModDelete && s.schema.ObjectClass(string(v)) == nil {
					return nil, lerr(ldapwire.InvalidAttributeSyntax, fmt.Sprintf("%s: value #%d invalid per syntax", desc, i))
				}
			} else if ch.Op != ldapwire.ModIncrement && at.Syntax != nil {
				if err := at.Syntax.Check(s.schema, v); err != nil {
					return nil, lerr(ldapwire.InvalidAttributeSyntax, fmt.Sprintf("%s: value #%d invalid per syntax", desc, i))
				}
			}
			m.vals = append(m.vals, append([]byte(nil), v...))
		}
		// slap_mods_check's rough single-value check (adds only; a replace
		// is left to the schema check of the result).
		if len(m.vals) > 1 && ch.Op == ldapwire.ModAdd && at.SingleValue {
			return nil, lerr(ldapwire.ConstraintViolation, desc+": multiple values provided")
		}
		if len(m.vals) > 1 && ch.Op != ldapwire.ModDelete {
			if i := s.dupIndex(at, m.vals); i >= 0 {
				return nil, lerr(ldapwire.AttributeOrValueExists,
					fmt.Sprintf("%s: value #%d provided more than once", desc, i))
			}
		}
		mods = append(mods, m)
	}
	return mods, nil
}

// norm returns the equality-normalized form of v (v itself when the type
// has no equality rule or the rule refuses it).
func (s *Server) norm(at *schema.AttributeType, v []byte) []byte {
	if at.HasName("objectClass") {
		if oc := s.schema.ObjectClass(string(v)); oc != nil {
			return []byte(oc.OID)
		}
		return bytes.ToLower(v)
	}
	if at.Equality == nil || at.Equality.Normalize == nil {
		return v
	}
	n, err := at.Equality.Normalize(s.schema, v)
	if err != nil {
		return v
	}
	return n
}

// dupIndex returns the index of the first value equal to a later one.
func (s *Server) dupIndex(at *schema.AttributeType, vals [][]byte) int {
	ns := make([][]byte, len(vals))
	for i, v := range vals {
		ns[i] = append([]byte(nil), s.norm(at, v)...)
	}
	for i := range ns {
		for j := i + 1; j < len(ns); j++ {
			if bytes.Equal(ns[i], ns[j]) {
				return i
			}
		}
	}
	return -1
}

// findAttr returns the attribute of e with type at and exactly the options
// opts ("" none), or nil.
func findAttr(sc *schema.Schema, e *entry.Entry, at *schema.AttributeType, opts string) *entry.Attribute {
	if at == nil {
		return nil
	}
	i := findAttrIndex(sc, e, at, opts)
	if i < 0 {
		return nil
	}
	return &e.Attrs[i]
}

func findAttrIndex(sc *schema.Schema, e *entry.Entry, at *schema.AttributeType, opts string) int {
	for i := range e.Attrs {
		t, o := splitDesc(e.Attrs[i].Type)
		if strings.EqualFold(o, opts) && sc.AttributeType(t) == at {
			return i
		}
	}
	return -1
}

// applyMod applies one change to e (slapd's modify_*_values).
func (s *Server) applyMod(e *entry.Entry, m mod) error {
	i := findAttrIndex(s.schema, e, m.at, m.opts)
	switch m.op {
	case ldapwire.ModAdd:
		if i < 0 {
			e.Attrs = append(e.Attrs, entry.Attribute{Type: m.name, Values: m.vals})
			return nil
		}
		a := &e.Attrs[i]
		for k, v := range m.vals {
			if s.valueIndex(m.at, a.Values, v) >= 0 {
				return lerr(ldapwire.AttributeOrValueExists, fmt.Sprintf("modify/add: %s: value #%d already exists", m.desc, k))
			}
		}
		a.Values = append(a.Values, m.vals...)
	case ldapwire.ModDelete:
		if i < 0 {
			return lerr(ldapwire.NoSuchAttribute, "modify/delete: "+m.desc+": no such attribute")
		}
		if len(m.vals) == 0 {
			e.Attrs = append(e.Attrs[:i], e.Attrs[i+1:]...)
			return nil
		}
		a := &e.Attrs[i]
		for _, v := range m.vals {
			k := s.valueIndex(m.at, a.Values, v)
			if k < 0 {
				return lerr(ldapwire.NoSuchAttribute, "modify/delete: "+m.desc+": no such value")
			}
			a.Values = append(a.Values[:k], a.Values[k+1:]...)
		}
		if len(a.Values) == 0 {
			e.Attrs = append(e.Attrs[:i], e.Attrs[i+1:]...)
		}
	case ldapwire.ModReplace:
		if i >= 0 {
			e.Attrs = append(e.Attrs[:i], e.Attrs[i+1:]...)
		}
		if len(m.vals) > 0 {
			e.Attrs = append(e.Attrs, entry.Attribute{Type: m.name, Values: m.vals})
		}
	case ldapwire.ModIncrement:
		if i < 0 {
			return lerr(ldapwire.NoSuchAttribute, "modify/increment: "+m.desc+": no such attribute")
		}
		if m.at.Syntax == nil || m.at.Syntax.OID != integerSyntax {
			return lerr(ldapwire.ConstraintViolation, m.desc+": attribute syntax inappropriate for increment")
		}
		delta, ok := new(big.Int).SetString(strings.TrimSpace(string(m.vals[0])), 10)
		if !ok {
			return lerr(ldapwire.InvalidAttributeSyntax, m.desc+": value #0 invalid per syntax")
		}
		a := &e.Attrs[i]
		nv := make([][]byte, len(a.Values))
		for k, v := range a.Values {
			x, ok := new(big.Int).SetString(strings.TrimSpace(string(v)), 10)
			if !ok {
				return lerr(ldapwire.ConstraintViolation, m.desc+": attribute value not an integer")
			}
			nv[k] = []byte(x.Add(x, delta).String())
		}
		a.Values = nv
	default:
		return lerr(ldapwire.ProtocolError, "unrecognized modify operation")
	}
	return nil
}

// valueIndex returns the index of the value of vals equal to v under the
// type's equality rule (bytewise without one), or -1.
func (s *Server) valueIndex(at *schema.AttributeType, vals [][]byte, v []byte) int {
	nv := append([]byte(nil), s.norm(at, v)...)
	for i, x := range vals {
		if bytes.Equal(s.norm(at, x), nv) {
			return i
		}
	}
	return -1
}
