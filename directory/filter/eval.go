package filter

import (
	"bytes"
	"strings"

	"hostdir/directory/dn"
	"hostdir/directory/entry"
	"hostdir/schema"
	"hostdir/schema/syntax"
)

// EntryView is what Eval needs from an entry. A store implements it over
// its encoded form so that only the attributes a filter names are decoded.
// Attributes are addressed by position 0..NumAttrs()-1.
type EntryView interface {
	// NumAttrs returns the number of attribute descriptions of the entry.
	NumAttrs() int
	// AttrType returns the resolved type of attribute i (nil when the
	// schema does not know it) and its options as stored (without the
	// leading ';', "" for none).
	AttrType(i int) (*schema.AttributeType, string)
	// Values returns the values of attribute i. The slice is only read,
	// and only until the next call to Values.
	Values(i int) [][]byte
	// DN returns the entry's DN (only used by extensible matches with
	// dnAttributes).
	DN() string
}

// Scratch holds the buffers evaluation needs to normalize entry values.
// The zero Scratch is ready to use; reuse one per goroutine to evaluate
// without allocating. It is not safe for concurrent use.
type Scratch struct {
	buf []byte
}

// Eval evaluates f on e. It allocates a Scratch; see EvalScratch.
func (f *Filter) Eval(e EntryView) Result {
	var s Scratch
	return f.EvalScratch(e, &s)
}

// EvalScratch evaluates f on e with the buffers of s.
func (f *Filter) EvalScratch(e EntryView, s *Scratch) Result {
	if len(f.nodes) == 0 {
		return Undefined
	}
	return f.eval(0, e, s)
}

func (f *Filter) eval(i int32, e EntryView, s *Scratch) Result {
	n := &f.nodes[i]
	if n.static {
		return n.res
	}
	switch n.kind {
	case And:
		r := True
		for c := i + 1; c < n.end; c = f.nodes[c].end {
			switch f.eval(c, e, s) {
			case False:
				return False
			case Undefined:
				r = Undefined
			}
		}
		return r
	case Or:
		r := False
		for c := i + 1; c < n.end; c = f.nodes[c].end {
			switch f.eval(c, e, s) {
			case True:
				return True
			case Undefined:
				r = Undefined
			}
		}
		return r
	case Not:
		if i+1 >= n.end {
			return Undefined
		}
		switch f.eval(i+1, e, s) {
		case True:
			return False
		case False:
			return True
		}
		return Undefined
	case Present:
		for a, na := 0, e.NumAttrs(); a < na; a++ {
			if n.wants(e, a) {
				return True
			}
		}
		return False
	case Extensible:
		return f.evalExtensible(n, e, s)
	}
	return f.evalValues(n, e, s)
}

// wants reports whether attribute a of e is one the item applies to.
func (n *node) wants(e EntryView, a int) bool {
	t, opts := e.AttrType(a)
	if t == nil || !t.IsSubtypeOf(n.at) {
		return false
	}
	return n.optsB == nil || hasOptions(opts, n.optsB)
}

// hasOptions reports whether every ';'-separated option of want (lower
// case) is among have's (any case).
func hasOptions(have string, want []byte) bool {
	for len(want) > 0 {
		w := want
		if i := bytes.IndexByte(want, ';'); i >= 0 {
			w, want = want[:i], want[i+1:]
		} else {
			want = nil
		}
		found := false
		h := have
		for h != "" && !found {
			o := h
			if i := strings.IndexByte(h, ';'); i >= 0 {
				o, h = h[:i], h[i+1:]
			} else {
				h = ""
			}
			found = equalFoldBytes(w, o)
		}
		if !found {
			return false
		}
	}
	return true
}

// evalValues evaluates equality, ordering, substrings and approx items.
func (f *Filter) evalValues(n *node, e EntryView, s *Scratch) Result {
	res := False
	for a, na := 0, e.NumAttrs(); a < na; a++ {
		if !n.wants(e, a) {
			continue
		}
		for _, v := range e.Values(a) {
			switch f.matchValue(n, n.at, v, s) {
			case True:
				return True
			case Undefined:
				res = Undefined
			}
		}
	}
	return res
}

// matchValue matches one attribute value of type at against item n.
func (f *Filter) matchValue(n *node, at *schema.AttributeType, v []byte, s *Scratch) Result {
	if n.oids != nil {
		if n.oids.match(v) {
			return True
		}
		return False
	}
	var err error
	switch n.kind {
	case Approx:
		s.buf, err = n.rule.AppendNormalize(s.buf[:0], f.sc, v)
		if err != nil {
			return Undefined
		}
		if approxable(n.at) {
			return boolResult(approxMatch(s.buf, n.codes))
		}
		return boolResult(bytes.Equal(s.buf, n.normB))
	case Substrings:
		s.buf, err = n.rule.AppendNormalize(s.buf[:0], f.sc, v)
		if err != nil {
			return Undefined
		}
		return boolResult(n.rule.MatchSubstrings(s.buf, n.initial, n.any, n.final))
	}
	s.buf, err = n.rule.AppendNormalize(s.buf[:0], f.sc, v)
	if err != nil {
		return Undefined
	}
	switch n.kind {
	case GreaterOrEqual:
		return boolResult(n.rule.Compare(s.buf, n.normB) >= 0)
	case LessOrEqual:
		return boolResult(n.rule.Compare(s.buf, n.normB) <= 0)
	}
	if n.rule.Match != nil {
		return boolResult(n.rule.Match(s.buf, n.normB))
	}
	if n.rule.Compare != nil {
		// an ordering rule in an extensible match: slapd matches when the
		// rule finds the values equal.
		return boolResult(n.rule.Compare(s.buf, n.normB) == 0)
	}
	return boolResult(bytes.Equal(s.buf, n.normB))
}

func boolResult(b bool) Result {
	if b {
		return True
	}
	return False
}

// evalExtensible evaluates an extensible match: on the attributes of the
// given type (or, without a type, on every attribute whose syntax the rule
// applies to), and with dnAttributes also on the AVAs of the entry's DN.
func (f *Filter) evalExtensible(n *node, e EntryView, s *Scratch) Result {
	res := False
	for a, na := 0, e.NumAttrs(); a < na; a++ {
		t, opts := e.AttrType(a)
		if !f.extApplies(n, t) || (n.optsB != nil && !hasOptions(opts, n.optsB)) {
			continue
		}
		for _, v := range e.Values(a) {
			switch f.matchExt(n, v, s) {
			case True:
				return True
			case Undefined:
				res = Undefined
			}
		}
	}
	if !n.dnAttrs {
		return res
	}
	d, err := dn.Parse(e.DN())
	if err != nil {
		return Undefined
	}
	for _, rdn := range d.RDNs {
		for _, ava := range rdn {
			name := ava.Type
			if i := strings.IndexByte(name, ';'); i >= 0 {
				name = name[:i]
			}
			t := f.sc.AttributeType(name)
			if !f.extApplies(n, t) {
				continue
			}
			switch f.matchExt(n, []byte(ava.Value), s) {
			case True:
				return True
			case Undefined:
				res = Undefined
			}
		}
	}
	return res
}

// extApplies reports whether an extensible item applies to type t.
func (f *Filter) extApplies(n *node, t *schema.AttributeType) bool {
	if t == nil {
		return false
	}
	if n.at != nil {
		return t.IsSubtypeOf(n.at)
	}
	return ruleApplies(n.rule, t.Syntax.OID)
}

func (f *Filter) matchExt(n *node, v []byte, s *Scratch) Result {
	var err error
	s.buf, err = n.rule.AppendNormalize(s.buf[:0], f.sc, v)
	if err != nil {
		return Undefined
	}
	if n.rule.Kind == syntax.Substrings {
		return boolResult(n.rule.MatchSubstrings(s.buf, n.initial, n.any, n.final))
	}
	switch {
	case n.rule.Match != nil:
		return boolResult(n.rule.Match(s.buf, n.normB))
	case n.rule.Compare != nil:
		return boolResult(n.rule.Compare(s.buf, n.normB) == 0)
	}
	return boolResult(bytes.Equal(s.buf, n.normB))
}

// Entry adapts an *entry.Entry to EntryView, resolving attribute types
// through a schema. It suits ACL checks and tests; a store should
// implement EntryView over its own encoding.
type Entry struct {
	E      *entry.Entry
	Schema *schema.Schema
}

// NumAttrs implements EntryView.
func (v Entry) NumAttrs() int { return len(v.E.Attrs) }

// AttrType implements EntryView.
func (v Entry) AttrType(i int) (*schema.AttributeType, string) {
	t := v.E.Attrs[i].Type
	opts := ""
	if k := strings.IndexByte(t, ';'); k >= 0 {
		t, opts = t[:k], t[k+1:]
	}
	return v.Schema.AttributeType(t), opts
}

// Values implements EntryView.
func (v Entry) Values(i int) [][]byte { return v.E.Attrs[i].Values }

// DN implements EntryView.
func (v Entry) DN() string { return v.E.DN }
