package directory

import (
	"errors"
	"strings"

	"hostdir/directory/acl"
	"hostdir/directory/dn"
	"hostdir/directory/entry"
	"hostdir/directory/filter"
	"hostdir/directory/ldapwire"
	"hostdir/directory/store"
)

// modrdn runs a ModifyDNRequest.
//
// slapd's order: DN syntax (34 "invalid DN"), new RDN (34 "invalid new
// RDN"), new superior (34); the root DSE and cn=Subschema (53); a DN under
// no suffix (53 "no global superior knowledge"); a new DN in another
// database, or the rename of a suffix entry (71 "cannot rename between
// DSAs"); restrictions (8); access to the parent's children (50 "no write
// access to parent's children", checked before the entry is looked up);
// the entry (32 with the matched DN; 50 "no write access to old entry"); the new superior (32 "new superior
// not found", 53 "cannot place an entry below itself", 50 "no write access
// to new superior's children"); the assertion control (122); the new
// entry: new RDN values added, old ones removed with deleteoldrdn, schema
// check (65, 64); an existing entry at the new DN (68). Children move with
// the entry.
func (s *Server) modrdn(op *operation) {
	r := &op.msg.ModDN
	if s.stats {
		op.logDN("MODRDN", r.Entry)
	}
	ctl, _, ndn, ok := s.parseTarget(op, r.Entry)
	if !ok {
		return
	}
	rdnDN, err := dn.Parse(string(r.NewRDN))
	if err != nil || len(rdnDN.RDNs) != 1 {
		op.sendResult(ldapwire.InvalidDNSyntax, "", "invalid new RDN")
		return
	}
	newRDNPretty, newRDNNorm, err := rdnDN.PrettyNormal(s.schema)
	if err != nil {
		op.sendResult(ldapwire.InvalidDNSyntax, "", "invalid new RDN")
		return
	}
	var supPretty, supNDN string
	if r.HasNewSuperior {
		p, n, e := s.parseDN(r.NewSuperior)
		if e != nil {
			op.sendResult(ldapwire.InvalidDNSyntax, "", "invalid newSuperior")
			return
		}
		supPretty, supNDN = p, n
	}
	if ndn == "" || ndn == s.subschemaNDN() {
		op.sendResult(ldapwire.UnwillingToPerform, "", "cannot rename the root DSE")
		return
	}
	d := s.selectDB(ndn)
	if d == nil {
		op.sendResult(ldapwire.UnwillingToPerform, "", "no global superior knowledge")
		return
	}
	oldParentNDN := dn.ParentOf(ndn)
	if !r.HasNewSuperior {
		supNDN = oldParentNDN
	}
	newNDN := newRDNNorm
	if supNDN != "" {
		newNDN += "," + supNDN
	}
	if d.isSuffix(ndn) || s.selectDB(newNDN) != d {
		op.sendResult(ldapwire.AffectsMultipleDSAs, "", "cannot rename between DSAs")
		return
	}
	if e := s.checkRestrictions(op, d, kindUpdate); e != nil {
		op.sendResult(e.code, "", e.msg)
		return
	}
	// Access as back-mdb checks it: on the old parent's children write
	// when the entry stays under it, delete when it moves (a new superior
	// equal to the old parent is ignored); write on the entry; add on
	// the new superior's children; then, as the modification slapd makes
	// of the RDN values, add on the new RDN's values and, with
	// deleteoldrdn, delete on the old one's.
	acc := s.access(op, d)
	check := !granted(acc, acl.PrivWrite)
	moves := r.HasNewSuperior && supNDN != oldParentNDN
	if check {
		pt := &op.parent
		pt.set(s.schema, nil, oldParentNDN)
		if p, err := d.backend.Get(op, oldParentNDN); err == nil {
			pt.e = &p.Entry
		}
		want := acl.PrivWrite
		if moves {
			want = acl.PrivDelete
		}
		if !acc.Allowed(acl.Request{Entry: pt, Attr: acl.ChildrenAttr}, want) {
			op.sendResult(ldapwire.InsufficientAccessRights, "", "no write access to parent's children")
			return
		}
	}
	old, err := d.backend.Get(op, ndn)
	if err != nil {
		op.fail(err)
		return
	}
	t := &op.target
	t.set(s.schema, &old.Entry, ndn)
	if check && !acc.Allowed(acl.Request{Entry: t, Attr: acl.EntryAttr}, acl.PrivWrite) {
		op.sendResult(ldapwire.InsufficientAccessRights, "", "no write access to old entry")
		return
	}
	parentPretty := ""
	if r.HasNewSuperior {
		if supNDN == ndn || dn.IsUnder(supNDN, ndn) {
			op.sendResult(ldapwire.UnwillingToPerform, "", "cannot place an entry below itself")
			return
		}
		sp, err := d.backend.Get(op, supNDN)
		if err != nil {
			if errors.Is(err, store.ErrNoSuchObject) {
				op.sendResult(ldapwire.NoSuchObject, "", "new superior not found")
				return
			}
			op.fail(err)
			return
		}
		if check && moves {
			st := &op.parent
			st.set(s.schema, &sp.Entry, supNDN)
			if !acc.Allowed(acl.Request{Entry: st, Attr: acl.ChildrenAttr}, acl.PrivAdd) {
				op.sendResult(ldapwire.InsufficientAccessRights, "", "no write access to new superior's children")
				return
			}
		}
		parentPretty = sp.DN
		if supPretty != "" && parentPretty == "" {
			parentPretty = supPretty
		}
	} else {
		parentPretty = afterFirstRDN(old.DN)
	}
	newDN := newRDNPretty
	if parentPretty != "" {
		newDN += "," + parentPretty
	}
	if check && !s.rdnValuesAccess(acc, t, rdnDN.RDNs[0], old.DN, r.DeleteOldRDN) {
		op.sendResult(ldapwire.InsufficientAccessRights, "", "")
		return
	}
	err = d.backend.Rename(op, ndn, func(en *entry.Entry) error {
		if ctl.assert != nil && ctl.assert.Eval(filter.Entry{E: en, Schema: s.schema}) != filter.True {
			return lerr(ldapwire.AssertionFailed, "")
		}
		oldDN := en.DN
		oldSC := ""
		if a := findAttr(s.schema, en, s.schema.AttributeType(atStructuralObjectClass), ""); a != nil && len(a.Values) > 0 {
			oldSC = string(a.Values[0])
		}
		en.DN = newDN
		// Add the new RDN's values.
		if err := s.schema.AddNamingValues(en); err != nil {
			return checkErr(err)
		}
		if r.DeleteOldRDN {
			od, err := dn.Parse(oldDN)
			if err == nil && len(od.RDNs) > 0 {
				for _, ava := range od.RDNs[0] {
					t, _ := splitDesc(ava.Type)
					at := s.schema.AttributeType(t)
					if at == nil || inRDN(s, rdnDN.RDNs[0], ava) {
						continue
					}
					i := findAttrIndex(s.schema, en, at, "")
					if i < 0 {
						continue
					}
					a := &en.Attrs[i]
					if k := s.valueIndex(at, a.Values, []byte(ava.Value)); k >= 0 {
						a.Values = append(a.Values[:k:k], a.Values[k+1:]...)
					}
					if len(a.Values) == 0 {
						en.Attrs = append(en.Attrs[:i:i], en.Attrs[i+1:]...)
					}
				}
			}
		}
		return s.finishModified(op, d, en, oldSC)
	})
	if err != nil {
		switch {
		case errors.Is(err, store.ErrNoSuchParent) && r.HasNewSuperior:
			op.sendResult(ldapwire.NoSuchObject, "", "new superior not found")
		default:
			op.fail(err)
		}
		return
	}
	op.sendResult(ldapwire.Success, "", "")
}

// rdnValuesAccess checks the modification a rename makes of the RDN
// values of t: add on each value of the new RDN, and with deleteOld
// delete on each value of the old one (oldDN's first RDN).
func (s *Server) rdnValuesAccess(acc Access, t *aclEntry, newRDN dn.RDN, oldDN string, deleteOld bool) bool {
	check := func(rdn dn.RDN, want acl.Priv) bool {
		for _, ava := range rdn {
			name, _ := splitDesc(ava.Type)
			at := s.schema.AttributeType(name)
			if at == nil {
				continue
			}
			v := s.norm(at, []byte(ava.Value))
			if !acc.Allowed(acl.Request{Entry: t, Attr: at, Value: v}, want) {
				return false
			}
		}
		return true
	}
	if !check(newRDN, acl.PrivAdd) {
		return false
	}
	if deleteOld {
		if od, err := dn.Parse(oldDN); err == nil && len(od.RDNs) > 0 && !check(od.RDNs[0], acl.PrivDelete) {
			return false
		}
	}
	return true
}

// inRDN reports whether ava (type and value) is one of rdn's AVAs.
func inRDN(s *Server, rdn dn.RDN, ava dn.AVA) bool {
	t, _ := splitDesc(ava.Type)
	at := s.schema.AttributeType(t)
	for _, x := range rdn {
		xt, _ := splitDesc(x.Type)
		if s.schema.AttributeType(xt) != at {
			continue
		}
		if string(s.norm(at, []byte(x.Value))) == string(s.norm(at, []byte(ava.Value))) {
			return true
		}
	}
	return false
}

// afterFirstRDN returns the parent part of a pretty DN (no raw ',' inside
// values of a pretty DN).
func afterFirstRDN(p string) string {
	if i := strings.IndexByte(p, ','); i >= 0 {
		return p[i+1:]
	}
	return ""
}
