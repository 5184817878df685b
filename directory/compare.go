package directory

import (
	"bytes"

	"hostdir/directory/acl"
	"hostdir/directory/entry"
	"hostdir/directory/filter"
	"hostdir/directory/ldapwire"
)

// compare runs a CompareRequest: compareTrue (6), compareFalse (5),
// noSuchAttribute (16) when the entry has no value of the type (or its
// subtypes), undefinedAttributeType (17), invalidAttributeSyntax (21)
// "value does not conform to assertion syntax", inappropriateMatching (18)
// for a type without equality rule, noSuchObject (32) with the matched DN.
func (s *Server) compare(op *operation) {
	r := &op.msg.Compare
	if s.stats {
		b := append(op.line(), `CMP dn="`...)
		b = append(b, r.Entry...)
		b = append(b, `" attr="`...)
		b = append(b, r.Attr...)
		op.writeLine(append(b, '"'))
	}
	ctl, _, ndn, ok := s.parseTarget(op, r.Entry)
	if !ok {
		return
	}
	desc := string(r.Attr)
	at, opts, err := s.schema.AttributeDescription(desc)
	if err != nil {
		// slapd sends no text here.
		op.sendResult(checkErr(err).code, "", "")
		return
	}
	var en *entry.Entry
	var acc Access
	switch {
	case ndn == "":
		en = s.rootDSEEntry(op.c)
		acc = s.access(op, nil)
	case ndn == s.subschemaNDN():
		en = s.subschemaEntry()
		acc = s.access(op, nil)
	default:
		d := s.selectDB(ndn)
		if d == nil {
			op.sendResult(ldapwire.NoSuchObject, "", "")
			return
		}
		if e := s.checkRestrictions(op, d, kindCompare); e != nil {
			op.sendResult(e.code, "", e.msg)
			return
		}
		acc = s.access(op, d)
		se, err := d.backend.Get(op, ndn)
		if err != nil {
			op.fail(err)
			return
		}
		en = &se.Entry
	}
	if ctl.assert != nil && ctl.assert.Eval(filter.Entry{E: en, Schema: s.schema}) != filter.True {
		op.sendResult(ldapwire.AssertionFailed, "", "")
		return
	}
	isOC := at.HasName("objectClass")
	var want []byte
	if !isOC {
		if at.Equality == nil || at.Equality.Normalize == nil {
			op.sendResult(ldapwire.InappropriateMatching, "", "")
			return
		}
		n, err := at.Equality.Normalize(s.schema, r.Value)
		if err != nil {
			op.sendResult(ldapwire.InvalidAttributeSyntax, "", "value does not conform to assertion syntax")
			return
		}
		want = append([]byte(nil), n...)
	} else {
		want = s.norm(at, r.Value)
	}
	// compare on the attribute and value; refused: noSuchObject unless
	// the subject may disclose the entry (back-mdb's compare).
	if !granted(acc, acl.PrivCompare) {
		t := &op.target
		t.set(s.schema, en, ndn)
		if code := acl.Compare(acc, t, at, normOpts(opts), want); code != acl.ResultSuccess {
			op.sendResult(ldapwire.ResultCode(code), "", "")
			return
		}
	}
	found := false
	for _, a := range en.Attrs {
		t, o := splitDesc(a.Type)
		x := s.schema.AttributeType(t)
		if x == nil || !x.IsSubtypeOf(at) || (opts != "" && !hasAllOpts(o, normOpts(opts))) {
			continue
		}
		found = true
		for _, v := range a.Values {
			if bytes.Equal(s.norm(x, v), want) {
				op.sendResult(ldapwire.CompareTrue, "", "")
				return
			}
		}
	}
	if !found {
		// slap_compare_entry: an answer other than true or false is
		// noSuchObject unless the subject may disclose the entry.
		if !granted(acc, acl.PrivDisclose) {
			t := &op.target
			t.set(s.schema, en, ndn)
			if !acl.CanDisclose(acc, t) {
				op.sendResult(ldapwire.NoSuchObject, "", "")
				return
			}
		}
		op.sendResult(ldapwire.NoSuchAttribute, "", "")
		return
	}
	op.sendResult(ldapwire.CompareFalse, "", "")
}
