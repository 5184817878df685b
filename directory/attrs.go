package directory

import (
	"strings"

	"hostdir/directory/acl"
	"hostdir/directory/entry"
	"hostdir/directory/ldapwire"
	"hostdir/directory/store"
	"hostdir/schema"
)

// attrSel is a search's attribute selection (RFC 4511 section 4.5.1.8,
// RFC 3673 "+", RFC 4529 "@class").
type attrSel struct {
	allUser bool // "*" or an empty list
	allOp   bool // "+"
	types   []*schema.AttributeType
	// opts holds, parallel to types, the options a description asked for
	// ("" none); hasOpts tells whether any did.
	opts    []string
	hasOpts bool
	// computed operational attributes asked for by name
	entryDN, subschemaSubentry, hasSubordinates bool
}

// reset empties s for reuse.
func (s *attrSel) reset() {
	*s = attrSel{types: s.types[:0], opts: s.opts[:0]}
}

// parse fills s from the requested descriptions. Unknown types are
// ignored, as slapd does.
func (s *attrSel) parse(sc *schema.Schema, attrs [][]byte) {
	s.reset()
	if len(attrs) == 0 {
		s.allUser = true
		return
	}
	for _, a := range attrs {
		switch {
		case len(a) == 1 && a[0] == '*':
			s.allUser = true
			continue
		case len(a) == 1 && a[0] == '+':
			s.allOp = true
			continue
		case string(a) == "1.1":
			continue
		case len(a) > 1 && a[0] == '@':
			if oc := sc.ObjectClass(string(a[1:])); oc != nil {
				for _, at := range oc.AllMust() {
					s.add(at, "")
				}
				for _, at := range oc.AllMay() {
					s.add(at, "")
				}
			}
			continue
		}
		name, opts := a, []byte(nil)
		for i, ch := range a {
			if ch == ';' {
				name, opts = a[:i], a[i+1:]
				break
			}
		}
		at := sc.AttributeType(string(name))
		if at == nil {
			continue
		}
		o := ""
		if len(opts) > 0 {
			o = normOpts(string(opts))
		}
		s.add(at, o)
	}
}

func (s *attrSel) add(at *schema.AttributeType, opts string) {
	switch {
	case at.HasName(atEntryDN):
		s.entryDN = true
	case at.HasName(atSubschemaSubentry):
		s.subschemaSubentry = true
	case at.HasName(atHasSubordinates):
		s.hasSubordinates = true
	}
	if opts != "" {
		s.hasOpts = true
	}
	s.types = append(s.types, at)
	s.opts = append(s.opts, opts)
}

// normOpts lower-cases options and drops "binary" (a transfer option).
func normOpts(o string) string {
	parts := strings.Split(strings.ToLower(o), ";")
	out := parts[:0]
	for _, p := range parts {
		if p != "" && p != "binary" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ";")
}

// storeSel returns the store's view of the selection.
func (s *attrSel) storeSel() store.AttrSelection {
	return store.AttrSelection{AllUser: s.allUser, AllOperational: s.allOp, Types: s.types}
}

// wantsComputed reports whether a computed operational attribute is
// selected.
func (s *attrSel) wantsEntryDN() bool   { return s.allOp || s.entryDN }
func (s *attrSel) wantsSubschema() bool { return s.allOp || s.subschemaSubentry }
func (s *attrSel) wantsHasSubs() bool   { return s.allOp || s.hasSubordinates }
func (s *attrSel) wantsAnyComputed() bool {
	return s.wantsEntryDN() || s.wantsSubschema() || s.wantsHasSubs()
}

// wants reports whether an attribute of type at with options opts (as
// stored, without ';') is selected.
func (s *attrSel) wants(at *schema.AttributeType, opts string) bool {
	if at == nil {
		return s.allUser
	}
	if at.IsOperational() {
		if s.allOp {
			return true
		}
	} else if s.allUser {
		return true
	}
	for i, t := range s.types {
		if !at.IsSubtypeOf(t) {
			continue
		}
		if s.opts[i] == "" || hasAllOpts(opts, s.opts[i]) {
			return true
		}
	}
	return false
}

// hasAllOpts reports whether every option of want (';'-separated,
// lower-case) is among have's (as stored; case-insensitive). A language
// tag option also matches its subtags ("lang-en" matches "lang-en-us").
func hasAllOpts(have, want string) bool {
	for _, w := range strings.Split(want, ";") {
		found := false
		for _, h := range strings.Split(have, ";") {
			h = strings.ToLower(h)
			if h == w || strings.HasPrefix(w, "lang-") && strings.HasPrefix(h, w+"-") {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// splitDesc splits an attribute description into type and options.
func splitDesc(d string) (string, string) {
	if i := strings.IndexByte(d, ';'); i >= 0 {
		return d[:i], d[i+1:]
	}
	return d, ""
}

// outName returns the attribute description to send for a stored one: the
// schema's name for the type, options as stored.
func outName(sc *schema.Schema, desc string) (string, *schema.AttributeType, string) {
	t, opts := splitDesc(desc)
	at := sc.AttributeType(t)
	if at == nil {
		return desc, nil, opts
	}
	name := at.Name()
	if name == t {
		return desc, at, opts
	}
	if opts == "" {
		return name, at, opts
	}
	return name + ";" + opts, at, opts
}

// entryOut is what appendEntry needs to write one entry.
type entryOut struct {
	dn          string // as stored (pretty)
	attrs       []entry.Attribute
	hasChildren bool
	// all is true when attrs holds every attribute of the entry (not
	// only the selected ones), so that appendEntry applies the selection.
	all bool
}

// readCheck is the read access control of appendEntry: nil when reads
// need no checks.
type readCheck struct {
	acc    Access
	e      acl.Entry
	values bool // check each value too
	vals   [][]byte
	buf    []byte
}

// canRead reports whether the attribute (and, with value, the value)
// may be read.
func (rc *readCheck) canRead(sc *schema.Schema, at *schema.AttributeType, opts string) bool {
	return at != nil && acl.CanRead(rc.acc, rc.e, at, opts, nil)
}

// readableValues returns the values of vals that may be read.
func (rc *readCheck) readableValues(sc *schema.Schema, at *schema.AttributeType, opts string, vals [][]byte) [][]byte {
	rc.vals = rc.vals[:0]
	for _, v := range vals {
		n := v
		if at.Equality != nil && at.Equality.Normalize != nil {
			var err error
			if rc.buf, err = at.Equality.AppendNormalize(rc.buf[:0], sc, v); err == nil {
				n = rc.buf
			}
		}
		if acl.CanRead(rc.acc, rc.e, at, opts, n) {
			rc.vals = append(rc.vals, v)
		}
	}
	return rc.vals
}

// appendEntry appends a SearchResultEntry for e with the selected
// attributes, leaving out those rc (nil: no checks) refuses: as slapd's
// send_search_entry, read on the attribute, then (rc.values) on each
// value; an attribute whose values are all refused is sent without values.
func (s *Server) appendEntry(op *operation, dst []byte, e *entryOut, sel *attrSel, typesOnly bool, rc *readCheck) []byte {
	dst, w := ldapwire.StartEntry(dst, op.msgID, e.dn)
	for i := range e.attrs {
		a := &e.attrs[i]
		name, at, opts := outName(s.schema, a.Type)
		if (e.all || sel.hasOpts) && !sel.wants(at, opts) {
			continue
		}
		if rc != nil && !rc.canRead(s.schema, at, opts) {
			continue
		}
		switch {
		case typesOnly:
			dst = ldapwire.AppendAttr(dst, name)
		case rc != nil && rc.values:
			dst = ldapwire.AppendAttr(dst, name, rc.readableValues(s.schema, at, opts, a.Values)...)
		default:
			dst = ldapwire.AppendAttr(dst, name, a.Values...)
		}
	}
	if sel.wantsAnyComputed() {
		add := func(name string, val string) {
			if rc != nil {
				at := s.schema.AttributeType(name)
				if !rc.canRead(s.schema, at, "") {
					return
				}
				if !typesOnly && rc.values && len(rc.readableValues(s.schema, at, "", [][]byte{[]byte(val)})) == 0 {
					dst = ldapwire.AppendAttr(dst, name)
					return
				}
			}
			if typesOnly {
				dst = ldapwire.AppendAttr(dst, name)
			} else {
				dst = ldapwire.AppendAttrString(dst, name, val)
			}
		}
		if sel.wantsEntryDN() {
			add(atEntryDN, e.dn)
		}
		if sel.wantsSubschema() {
			add(atSubschemaSubentry, schema.SubschemaDN)
		}
		if sel.wantsHasSubs() {
			v := "FALSE"
			if e.hasChildren {
				v = "TRUE"
			}
			add(atHasSubordinates, v)
		}
	}
	return w.Finish(dst)
}
