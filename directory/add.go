package directory

import (
	"errors"

	"hostdir/directory/acl"
	"hostdir/directory/dn"
	"hostdir/directory/entry"
	"hostdir/directory/filter"
	"hostdir/directory/ldapwire"
	"hostdir/directory/store"
	"hostdir/schema"
)

// add runs an AddRequest.
//
// slapd's order (checked with slapd 2.5): DN syntax (34); the root DSE and
// cn=Subschema exist (68); per-attribute checks in request order:
// undefined type (17), no values (2), syntax (21), several values for a
// single-valued type (19), duplicate values (20); a DN under no suffix (53
// "no global superior knowledge"); restrictions (anonymous: 8
// "modifications require authentication"); NO-USER-MODIFICATION types
// (19 "X: no user modification allowed"); the RDN values are added to the
// entry; the schema check (65, 64); a missing parent (32 with the matched
// DN); an existing entry (68); access: write on the parent's children
// (50 "no write access to parent") and on the entry (50 "no write access
// to entry"); the assertion control (122).
func (s *Server) add(op *operation) {
	r := &op.msg.Add
	if s.stats {
		op.logDN("ADD", r.Entry)
	}
	ctl, pretty, ndn, ok := s.parseTarget(op, r.Entry)
	if !ok {
		return
	}
	switch ndn {
	case "":
		op.sendResult(ldapwire.EntryAlreadyExists, "", "root DSE already exists")
		return
	case s.subschemaNDN():
		op.sendResult(ldapwire.EntryAlreadyExists, "", "subschema subentry already exists")
		return
	}
	ne := &entry.Entry{DN: pretty, Attrs: make([]entry.Attribute, 0, len(r.Attributes)+8)}
	for _, a := range r.Attributes {
		vals := make([][]byte, len(a.Values))
		for i, v := range a.Values {
			vals[i] = append([]byte(nil), v...)
		}
		ne.Attrs = append(ne.Attrs, entry.Attribute{Type: string(a.Type), Values: vals})
	}
	// Per-attribute checks come first; class and naming checks later.
	if err := s.schema.CheckEntry(&entry.Entry{Attrs: ne.Attrs}); err != nil {
		if ce := checkErr(err); perAttrCode(ce.code) {
			op.sendResult(ce.code, "", ce.msg)
			return
		}
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
	for _, a := range ne.Attrs {
		t, _ := splitDesc(a.Type)
		if at := s.schema.AttributeType(t); at != nil && at.NoUserModification {
			op.sendResult(ldapwire.ConstraintViolation, "", a.Type+": no user modification allowed")
			return
		}
	}
	canonicalTypes(s.schema, ne)
	if err := s.schema.AddNamingValues(ne); err != nil {
		ce := checkErr(err)
		op.sendResult(ce.code, "", ce.msg)
		return
	}
	if err := s.schema.CheckEntry(ne); err != nil {
		ce := checkErr(err)
		op.sendResult(ce.code, "", ce.msg)
		return
	}
	sc, err := s.schema.StructuralClass(ne)
	if err != nil {
		ce := checkErr(err)
		op.sendResult(ce.code, "", ce.msg)
		return
	}
	if acc := s.access(op, d); !granted(acc, acl.PrivAdd) {
		if e := s.addAccess(op, d, acc, ne, ndn); e != nil {
			op.sendResult(e.code, e.matched, e.msg)
			return
		}
	}
	if ctl.assert != nil && ctl.assert.Eval(filter.Entry{E: ne, Schema: s.schema}) != filter.True {
		op.sendResult(ldapwire.AssertionFailed, "", "")
		return
	}
	if d.lastMod {
		s.addOperational(ne, sc.Name(), op.ident.dn)
	}
	if err := d.backend.Add(op, ne); err != nil {
		if errors.Is(err, store.ErrNotUnderSuffix) {
			op.sendResult(ldapwire.UnwillingToPerform, "", "no global superior knowledge")
			return
		}
		op.fail(err)
		return
	}
	op.sendResult(ldapwire.Success, "", "")
}

// addAccess checks, for a writer the rules concern, the parent (32),
// existence (68) and access (50) as back-mdb does before adding: add on
// the parent's children (the empty DN's for a suffix entry), then on the
// new entry.
func (s *Server) addAccess(op *operation, d *database, acc Access, ne *entry.Entry, ndn string) *ldapError {
	pndn := dn.ParentOf(ndn)
	pt := &op.parent
	pt.set(s.schema, nil, "")
	if !d.isSuffix(ndn) {
		p, err := d.backend.Get(op, pndn)
		if err != nil {
			code, matched, msg := op.resultOf(err)
			return &ldapError{code: code, matched: matched, msg: msg}
		}
		pt.set(s.schema, &p.Entry, pndn)
	}
	if _, err := d.backend.Get(op, ndn); err == nil {
		return lerr(ldapwire.EntryAlreadyExists, "")
	}
	if !acc.Allowed(acl.Request{Entry: pt, Attr: acl.ChildrenAttr}, acl.PrivAdd) {
		return lerr(ldapwire.InsufficientAccessRights, "no write access to parent")
	}
	t := &op.target
	t.set(s.schema, ne, ndn)
	if !acc.Allowed(acl.Request{Entry: t, Attr: acl.EntryAttr}, acl.PrivAdd) {
		return lerr(ldapwire.InsufficientAccessRights, "no write access to entry")
	}
	return nil
}

// perAttrCode reports whether a schema check code comes from the
// per-attribute checks slapd runs before anything else.
func perAttrCode(code ldapwire.ResultCode) bool {
	switch code {
	case ldapwire.UndefinedAttributeType, ldapwire.ProtocolError, ldapwire.InvalidAttributeSyntax,
		ldapwire.ConstraintViolation, ldapwire.AttributeOrValueExists:
		return true
	}
	return false
}

// checkErr converts a schema error into an LDAP error.
func checkErr(err error) *ldapError {
	var ce *schema.CheckError
	if errors.As(err, &ce) {
		return &ldapError{code: ldapwire.ResultCode(ce.Code), msg: ce.Msg}
	}
	return lerr(ldapwire.Other, err.Error())
}

// canonicalTypes renames the attributes of e to the schema's names (with
// their options, lower-cased), as slapd stores them.
func canonicalTypes(sc *schema.Schema, e *entry.Entry) {
	for i := range e.Attrs {
		e.Attrs[i].Type = canonicalDesc(sc, e.Attrs[i].Type)
	}
}

// canonicalDesc returns the schema's spelling of an attribute description.
func canonicalDesc(sc *schema.Schema, desc string) string {
	t, opts := splitDesc(desc)
	at := sc.AttributeType(t)
	if at == nil {
		return desc
	}
	if opts == "" {
		return at.Name()
	}
	return at.Name() + ";" + lowerASCII(opts)
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
