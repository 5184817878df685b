package directory

import (
	"hostdir/directory/acl"
	"hostdir/directory/dn"
	"hostdir/directory/filter"
	"hostdir/directory/ldapwire"
)

// delete runs a DelRequest.
//
// slapd's order: DN syntax (34); the root DSE and cn=Subschema (53
// "cannot delete the root DSE"); a DN under no suffix (53 "no global
// superior knowledge"); restrictions (8); the entry (32 with the matched
// DN); access: write on the parent's children (50 "no write access to
// parent") and on the entry (50 "no write access to entry"); the
// assertion control (122); an entry with children (66 "subordinate
// objects must be deleted first").
func (s *Server) delete(op *operation) {
	if s.stats {
		op.logDN("DEL", op.msg.Del)
	}
	ctl, _, ndn, ok := s.parseTarget(op, op.msg.Del)
	if !ok {
		return
	}
	if ndn == "" || ndn == s.subschemaNDN() {
		op.sendResult(ldapwire.UnwillingToPerform, "", "cannot delete the root DSE")
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
	acc := s.access(op, d)
	if check := !granted(acc, acl.PrivDelete); check || ctl.assert != nil {
		en, err := d.backend.Get(op, ndn)
		if err != nil {
			op.fail(err)
			return
		}
		if check {
			pndn := dn.ParentOf(ndn)
			pt := &op.parent
			pt.set(s.schema, nil, "")
			if !d.isSuffix(ndn) {
				pt.set(s.schema, nil, pndn)
				if p, err := d.backend.Get(op, pndn); err == nil {
					pt.e = &p.Entry
				}
			}
			if !acc.Allowed(acl.Request{Entry: pt, Attr: acl.ChildrenAttr}, acl.PrivDelete) {
				op.sendResult(ldapwire.InsufficientAccessRights, "", "no write access to parent")
				return
			}
			t := &op.target
			t.set(s.schema, &en.Entry, ndn)
			if !acc.Allowed(acl.Request{Entry: t, Attr: acl.EntryAttr}, acl.PrivDelete) {
				op.sendResult(ldapwire.InsufficientAccessRights, "", "no write access to entry")
				return
			}
		}
		if ctl.assert != nil && ctl.assert.Eval(filter.Entry{E: &en.Entry, Schema: s.schema}) != filter.True {
			op.sendResult(ldapwire.AssertionFailed, "", "")
			return
		}
	}
	if err := d.backend.Delete(op, ndn); err != nil {
		op.fail(err)
		return
	}
	op.sendResult(ldapwire.Success, "", "")
}
