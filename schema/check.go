package schema

import (
	"bytes"
	"fmt"
	"strings"

	"hostdir/directory/dn"
	"hostdir/directory/entry"
)

// LDAP result codes CheckEntry and the parser's callers use.
const (
	ResultProtocolError          = 2
	ResultUndefinedAttributeType = 17
	ResultConstraintViolation    = 19
	ResultAttributeOrValueExists = 20
	ResultInvalidAttributeSyntax = 21
	ResultInvalidDNSyntax        = 34
	ResultNamingViolation        = 64
	ResultObjectClassViolation   = 65
)

// CheckError is a schema violation found in an entry, with the LDAP result
// code and the diagnostic text slapd gives for it.
type CheckError struct {
	Code int
	Msg  string
}

// Error returns the diagnostic message.
func (e *CheckError) Error() string { return e.Msg }

func checkErr(code int, format string, args ...any) *CheckError {
	return &CheckError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// AttributeDescription resolves an attribute description as a client writes
// it ("cn", "2.5.4.3", "cn;lang-en"): the type, and the options part
// (without the first ';', "" if none). Language tags (lang-*) are accepted on
// every type, "binary" only on certificate syntaxes. The error is a
// *CheckError with code 17 and slapd's text.
func (s *Schema) AttributeDescription(desc string) (*AttributeType, string, error) {
	name, opts := desc, ""
	if i := strings.IndexByte(desc, ';'); i >= 0 {
		name, opts = desc[:i], desc[i+1:]
	}
	at := s.AttributeType(name)
	if at == nil {
		return nil, "", checkErr(ResultUndefinedAttributeType, "%s: attribute type undefined", desc)
	}
	if opts != "" {
		for _, o := range strings.Split(opts, ";") {
			switch {
			case len(o) > 5 && strings.EqualFold(o[:5], "lang-"):
			case strings.EqualFold(o, "binary"):
				if !at.Syntax.BinaryTransferRequired {
					return nil, "", checkErr(ResultUndefinedAttributeType,
						"%s: option \"binary\" not supported with type", desc)
				}
			default:
				return nil, "", checkErr(ResultUndefinedAttributeType, "%s: unrecognized option", desc)
			}
		}
	}
	return at, opts, nil
}

// checkValues applies slapd's per-attribute checks (slap_mods_check) to one
// attribute: syntax of every value (21), more than one value for a
// single-valued type (19), values equal under the equality rule, or byte for
// byte without one (20). typ is the type as written, used in the messages.
// For objectClass, values must name known classes; the resolved classes are
// appended to ocs.
func (s *Schema) checkValues(typ string, at *AttributeType, vals [][]byte, ocs []*ObjectClass) ([]*ObjectClass, error) {
	if len(vals) == 0 {
		return ocs, checkErr(ResultProtocolError, "no values for attribute type")
	}
	isOC := at == s.atObjectClass
	syn := at.Syntax
	for i, v := range vals {
		if isOC {
			oc := s.ObjectClass(string(v))
			if oc == nil {
				return ocs, checkErr(ResultInvalidAttributeSyntax, "%s: value #%d invalid per syntax", typ, i)
			}
			ocs = append(ocs, oc)
			continue
		}
		if err := syn.Check(s, v); err != nil {
			return ocs, checkErr(ResultInvalidAttributeSyntax, "%s: value #%d invalid per syntax", typ, i)
		}
	}
	if len(vals) > 1 && at.SingleValue {
		return ocs, checkErr(ResultConstraintViolation, "%s: multiple values provided", typ)
	}
	if len(vals) < 2 {
		return ocs, nil
	}
	if isOC {
		n := len(ocs) - len(vals)
		for i := n; i < len(ocs); i++ {
			for j := i + 1; j < len(ocs); j++ {
				if ocs[i] == ocs[j] {
					return ocs, checkErr(ResultAttributeOrValueExists, "%s: value #%d provided more than once", typ, i-n)
				}
			}
		}
		return ocs, nil
	}
	if i, err := s.duplicateValue(at, vals); err != nil {
		return ocs, checkErr(ResultInvalidAttributeSyntax, "%s: value #%d invalid per syntax", typ, i)
	} else if i >= 0 {
		return ocs, checkErr(ResultAttributeOrValueExists, "%s: value #%d provided more than once", typ, i)
	}
	return ocs, nil
}

// duplicateValue returns the index of the first value that has an equal
// value after it (-1 if none). Values are compared by their canonical form
// under at's equality rule, or byte for byte when it has none. A value the
// rule cannot normalize is reported with an error and its index.
func (s *Schema) duplicateValue(at *AttributeType, vals [][]byte) (int, error) {
	eq := at.Equality
	if eq == nil || eq.Normalize == nil {
		for i := range vals {
			for j := i + 1; j < len(vals); j++ {
				if bytes.Equal(vals[i], vals[j]) {
					return i, nil
				}
			}
		}
		return -1, nil
	}
	var buf [8][]byte
	norm := buf[:0]
	for i, v := range vals {
		n, err := eq.Normalize(s, v)
		if err != nil {
			return i, err
		}
		norm = append(norm, n)
	}
	for i := range norm {
		for j := i + 1; j < len(norm); j++ {
			if bytes.Equal(norm[i], norm[j]) {
				return i, nil
			}
		}
	}
	return -1, nil
}

// CheckEntry checks e against the schema as slapd does when an entry is
// added or modified, and returns a *CheckError with slapd's result code and
// text, or nil. In this order:
//
// Per attribute, in entry order: undefined type or bad option (17 "foo:
// attribute type undefined"); an attribute with no values (2); a value its
// syntax refuses, or an unknown object class (21 "mail: value #0 invalid per
// syntax"); several values for a single-valued type (19 "accountActive:
// multiple values provided"); equal values (20 "jvd: value #1 provided more
// than once", the index of the first of the pair). These messages use the
// type as written.
//
// Then: the same type twice in the entry (20 "attribute 'cn' provided more
// than once"); no objectClass (65 "no objectClass attribute"); no structural
// class or two unrelated ones (65 "no structural object class provided",
// "invalid structural object class chain (A/B)"); the RDN (64: a naming type
// with no equality rule, a naming value missing from the entry); subschema
// outside subentries (65); per class, in value order, every MUST including
// inherited ones (65 "object class 'X' requires attribute 'Y'"); per
// attribute, allowed by some class (65 "attribute 'Y' not allowed"), unless
// the entry is an extensibleObject or the type is operational; ref only in
// referral entries (65). Messages after the first paragraph use the schema's
// names.
//
// Superclasses need not be listed in objectClass (slapd accepts
// "objectClass: inetOrgPerson" alone). Operational and NO-USER-MODIFICATION
// attributes are accepted: refusing them from clients is the server's job.
// Like slapd, the {len} bound of a syntax is not enforced. The RDN check is
// skipped when e.DN is empty; a DN that does not parse or names an undefined
// type gives 34 "invalid DN".
func (s *Schema) CheckEntry(e *entry.Entry) error {
	var atBuf [32]*AttributeType
	ats := atBuf[:0]
	var ocBuf [8]*ObjectClass
	ocs := ocBuf[:0]
	var err error
	for i := range e.Attrs {
		a := &e.Attrs[i]
		at, _, aerr := s.AttributeDescription(a.Type)
		if aerr != nil {
			return aerr
		}
		ats = append(ats, at)
		if ocs, err = s.checkValues(a.Type, at, a.Values, ocs); err != nil {
			return err
		}
	}
	for i := 1; i < len(e.Attrs); i++ {
		for j := 0; j < i; j++ {
			if ats[i] == ats[j] && sameOptions(e.Attrs[i].Type, e.Attrs[j].Type) {
				return checkErr(ResultAttributeOrValueExists, "attribute '%s' provided more than once", ats[i].Name())
			}
		}
	}
	return s.checkClasses(e, ats, ocs)
}

// sameOptions reports whether two descriptions of the same type have the
// same options (ignoring case and order is not attempted: options are rare).
func sameOptions(a, b string) bool {
	ia, ib := strings.IndexByte(a, ';'), strings.IndexByte(b, ';')
	if ia < 0 || ib < 0 {
		return ia < 0 && ib < 0
	}
	return equalFold(a[ia:], b[ib:])
}

// checkClasses is slapd's entry_schema_check for an entry whose attributes
// have passed the per-attribute checks; ats are the types of e.Attrs and ocs
// the classes named by objectClass, in value order.
func (s *Schema) checkClasses(e *entry.Entry, ats []*AttributeType, ocs []*ObjectClass) error {
	if !containsAT(ats, s.atObjectClass) || len(ocs) == 0 {
		return checkErr(ResultObjectClassViolation, "no objectClass attribute")
	}
	if _, err := structural(ocs); err != nil {
		return err
	}
	if err := s.checkNaming(e, ats); err != nil {
		return err
	}
	extensible := false
	for _, oc := range ocs {
		if oc == s.ocSubschema {
			return checkErr(ResultObjectClassViolation, "objectClass %q only allowed in subentries", oc.OID)
		}
		if s.ocExtensible != nil && oc.IsSubclassOf(s.ocExtensible) {
			extensible = true
		}
		for _, must := range oc.allMust {
			if !containsAT(ats, must) {
				return checkErr(ResultObjectClassViolation, "object class '%s' requires attribute '%s'",
					oc.Name(), must.Name())
			}
		}
	}
	for _, at := range ats {
		if at == s.atRef && at != nil && !s.hasClass(ocs, s.ocReferral) {
			return checkErr(ResultObjectClassViolation, "attribute \"%s\" only allowed in the referral", at.Name())
		}
		if at.Usage != UserApplications || extensible || at == s.atObjectClass {
			continue
		}
		allowed := false
		for _, oc := range ocs {
			if _, ok := oc.allowed[at]; ok {
				allowed = true
				break
			}
		}
		if !allowed {
			return checkErr(ResultObjectClassViolation, "attribute '%s' not allowed", at.Name())
		}
	}
	return nil
}

func (s *Schema) hasClass(ocs []*ObjectClass, c *ObjectClass) bool {
	if c == nil {
		return false
	}
	for _, oc := range ocs {
		if oc.IsSubclassOf(c) {
			return true
		}
	}
	return false
}

// structural finds the structural object class of a class list as slapd's
// structural_class does: the most specific structural class, all structural
// classes forming one superclass chain.
func structural(ocs []*ObjectClass) (*ObjectClass, error) {
	var sc *ObjectClass
	for _, oc := range ocs {
		if oc.Kind != Structural {
			continue
		}
		switch {
		case sc == nil:
			sc = oc
		case oc.IsSubclassOf(sc):
			sc = oc
		case sc.IsSubclassOf(oc):
		default:
			return nil, checkErr(ResultObjectClassViolation, "invalid structural object class chain (%s/%s)",
				sc.Name(), oc.Name())
		}
	}
	if sc == nil {
		return nil, checkErr(ResultObjectClassViolation, "no structural object class provided")
	}
	return sc, nil
}

// StructuralClass returns the structural object class of e (the value of
// its structuralObjectClass attribute), or a *CheckError: 65 "no objectClass
// attribute", 21 for an unknown class, 65 "no structural object class
// provided" or "invalid structural object class chain (A/B)".
func (s *Schema) StructuralClass(e *entry.Entry) (*ObjectClass, error) {
	var ocBuf [8]*ObjectClass
	ocs := ocBuf[:0]
	found := false
	for i := range e.Attrs {
		a := &e.Attrs[i]
		at, _, err := s.AttributeDescription(a.Type)
		if err != nil || at != s.atObjectClass {
			continue
		}
		found = true
		for j, v := range a.Values {
			oc := s.ObjectClass(string(v))
			if oc == nil {
				return nil, checkErr(ResultInvalidAttributeSyntax, "%s: value #%d invalid per syntax", a.Type, j)
			}
			ocs = append(ocs, oc)
		}
	}
	if !found || len(ocs) == 0 {
		return nil, checkErr(ResultObjectClassViolation, "no objectClass attribute")
	}
	return structural(ocs)
}

// checkNaming is slapd's entry_naming_check: every AVA of the entry's RDN
// must name a type with an equality rule and a value present in the entry.
func (s *Schema) checkNaming(e *entry.Entry, ats []*AttributeType) error {
	if e.DN == "" {
		return nil
	}
	d, err := dn.Parse(e.DN)
	if err != nil {
		return checkErr(ResultInvalidDNSyntax, "invalid DN")
	}
	for _, ava := range d.RDN() {
		t := ava.Type
		if k := strings.IndexByte(t, ';'); k >= 0 {
			t = t[:k]
		}
		at := s.AttributeType(t)
		if at == nil {
			return checkErr(ResultInvalidDNSyntax, "invalid DN")
		}
		if at.Equality == nil || at.Equality.Normalize == nil {
			return checkErr(ResultNamingViolation, "naming attribute '%s' has no equality matching rule", at.Name())
		}
		want, err := at.Equality.Normalize(s, []byte(ava.Value))
		if err != nil {
			return checkErr(ResultInvalidDNSyntax, "invalid DN")
		}
		present, found := false, false
		for i, x := range ats {
			if x != at {
				continue
			}
			present = true
			for _, v := range e.Attrs[i].Values {
				n, err := at.Equality.Normalize(s, v)
				if err == nil && bytes.Equal(n, want) {
					found = true
					break
				}
			}
			if found {
				break
			}
		}
		switch {
		case found:
		case !present:
			return checkErr(ResultNamingViolation, "naming attribute '%s' is not present in entry", at.Name())
		case at.SingleValue:
			return checkErr(ResultNamingViolation,
				"value of single-valued naming attribute '%s' conflicts with value present in entry", at.Name())
		default:
			return checkErr(ResultNamingViolation, "value of naming attribute '%s' is not present in entry", at.Name())
		}
	}
	return nil
}

// AddNamingValues does what slapd does to an entry being added before it
// checks it: every value of the entry's RDN missing from the entry is added
// (to the existing attribute, or as a new attribute at the end named as the
// schema names the type). It fails, changing nothing, with 34 "invalid DN"
// for a DN that does not parse or names an undefined type, 64 "naming
// attribute 'X' has no equality matching rule", or 64 "value of
// single-valued naming attribute 'X' conflicts with value present in entry".
func (s *Schema) AddNamingValues(e *entry.Entry) error {
	if e.DN == "" {
		return nil
	}
	d, err := dn.Parse(e.DN)
	if err != nil {
		return checkErr(ResultInvalidDNSyntax, "invalid DN")
	}
	type addition struct {
		at    *AttributeType
		index int // attribute of e to extend, -1 for a new one
		value []byte
	}
	var adds []addition
	for _, ava := range d.RDN() {
		t := ava.Type
		if k := strings.IndexByte(t, ';'); k >= 0 {
			t = t[:k]
		}
		at := s.AttributeType(t)
		if at == nil {
			return checkErr(ResultInvalidDNSyntax, "invalid DN")
		}
		if at.Equality == nil || at.Equality.Normalize == nil {
			return checkErr(ResultNamingViolation, "naming attribute '%s' has no equality matching rule", at.Name())
		}
		want, err := at.Equality.Normalize(s, []byte(ava.Value))
		if err != nil {
			return checkErr(ResultInvalidDNSyntax, "invalid DN")
		}
		index, found := -1, false
		for i := range e.Attrs {
			a := &e.Attrs[i]
			if x, _, err := s.AttributeDescription(a.Type); err != nil || x != at || strings.IndexByte(a.Type, ';') >= 0 {
				continue
			}
			index = i
			for _, v := range a.Values {
				if n, err := at.Equality.Normalize(s, v); err == nil && bytes.Equal(n, want) {
					found = true
					break
				}
			}
			break
		}
		if found {
			continue
		}
		if index >= 0 && at.SingleValue {
			return checkErr(ResultNamingViolation,
				"value of single-valued naming attribute '%s' conflicts with value present in entry", at.Name())
		}
		adds = append(adds, addition{at: at, index: index, value: []byte(ava.Value)})
	}
	for _, a := range adds {
		if a.index >= 0 {
			e.Attrs[a.index].Values = append(e.Attrs[a.index].Values, a.value)
			continue
		}
		if x := e.Get(a.at.Name()); x != nil {
			// Two AVAs of one new type (not valid in a DN, but be safe).
			x.Values = append(x.Values, a.value)
			continue
		}
		e.Attrs = append(e.Attrs, entry.Attribute{Type: a.at.Name(), Values: [][]byte{a.value}})
	}
	return nil
}
