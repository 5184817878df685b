package directory

import (
	"bytes"

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
	c := op.c
	r := &op.msg.Compare
	if s.stats {
		c.logf("conn=%d op=%d CMP dn=\"%s\" attr=\"%s\"", c.id, op.num, string(r.Entry), string(r.Attr))
	}
	ctl, e := s.parseControls(op)
	if e != nil {
		op.sendResult(e.code, "", e.msg)
		return
	}
	_, ndn, e := s.parseDN(r.Entry)
	if e != nil {
		op.sendResult(e.code, "", e.msg)
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
	var sub *Subject
	switch {
	case ndn == "":
		en = s.rootDSEEntry()
		sub = &Subject{Root: true}
	case ndn == s.subschemaNDN():
		en = s.subschemaEntry()
		sub = &Subject{Root: true}
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
		se, err := d.backend.Get(op, ndn)
		if err != nil {
			op.fail(err)
			return
		}
		en = &se.Entry
		sub = op.subject(d)
	}
	if ctl.assert != nil && ctl.assert.Eval(filter.Entry{E: en, Schema: s.schema}) != filter.True {
		op.sendResult(ldapwire.AssertionFailed, "", "")
		return
	}
	if !s.allowed(op, sub, &Target{DN: en.DN, NDN: ndn, Entry: en, Attr: at, AttrName: desc, Value: r.Value}, LevelCompare) {
		op.sendResult(ldapwire.InsufficientAccessRights, "", "")
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
		op.sendResult(ldapwire.NoSuchAttribute, "", "")
		return
	}
	op.sendResult(ldapwire.CompareFalse, "", "")
}
