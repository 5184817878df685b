package ldapwire

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// Filter is a decoded search filter: a tree flattened in preorder. Nodes[0]
// is the root; the children of a node i are the nodes from i+1 up to
// Nodes[i].End, visited by jumping from each child c to Nodes[c].End:
//
//	for c := i + 1; c < int(f.Nodes[i].End); c = int(f.Nodes[c].End) { ... }
//
// A Filter is reused by the next Decode into the same Message.
type Filter struct {
	Nodes []FilterNode
	stack []filterFrame
}

// FilterNode is one node of a Filter. Which fields are set depends on Kind:
//
//	FilterAnd, FilterOr, FilterNot: children only (NOT has exactly one;
//	    AND and OR may have none: RFC 4526 absolute true and false)
//	FilterEqualityMatch, FilterGreaterOrEqual, FilterLessOrEqual,
//	FilterApproxMatch: Attr, Value
//	FilterPresent: Attr
//	FilterSubstrings: Attr; children FilterSubInitial (at most one, first),
//	    FilterSubAny, FilterSubFinal (at most one, last), with Value
//	FilterExtensibleMatch: Rule (may be empty), Attr (may be empty), Value,
//	    DNAttributes
//	FilterUnknown: Tag, Value (the raw contents); evaluates to Undefined
type FilterNode struct {
	Kind         FilterKind
	Tag          byte // identifier octet, for FilterUnknown
	DNAttributes bool
	End          int32 // index after the last node of this subtree
	Attr         []byte
	Value        []byte
	Rule         []byte
}

type filterFrame struct {
	node int32 // index of the composite node; -1 for the top level
	n    int32 // elements seen
	one  bool  // exactly one element expected (NOT, top level)
	rest []byte
}

// DecodeFilter decodes one encoded Filter element (e.g. the value of an
// assertion control, RFC 4528) into f, with d's limits. Its values alias b.
func (d *Decoder) DecodeFilter(b []byte, f *Filter) error {
	f.Nodes, f.stack = trim(f.Nodes), trim(f.stack)
	var m Message
	s := state{d: d, m: &m}
	return s.filter(f, b)
}

// compositeDepth returns the nesting of and/or/not in the contents b of
// an and/or/not filter, counting that filter (1 when it holds none),
// looking no deeper than limit levels (it then returns limit+1). It stops
// at the first element that is not well formed. Its stack holds one
// slice per level: at most limit+1.
func compositeDepth(b []byte, limit int) int {
	if limit < 1 {
		return limit + 1
	}
	stack := [][]byte{b}
	best := 1
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if len(*top) == 0 {
			stack = stack[:len(stack)-1]
			continue
		}
		t, v, r, err := tlv(*top)
		if err != nil {
			return best
		}
		*top = r
		switch t {
		case TagFilterAnd, TagFilterOr, TagFilterNot:
			stack = append(stack, v)
			if len(stack) > best {
				best = len(stack)
				if best > limit {
					return best
				}
			}
		}
	}
	return best
}

// filter decodes b, which must hold exactly one Filter element, into f. It
// uses an explicit stack: nesting costs no goroutine stack.
func (s *state) filter(f *Filter, b []byte) error {
	nodes, st, err := s.filterNodes(f.Nodes[:0], append(f.stack[:0], filterFrame{node: -1, one: true, rest: b}), b)
	f.Nodes, f.stack = nodes, st[:0]
	return err
}

func (s *state) filterNodes(nodes []FilterNode, st []filterFrame, b []byte) ([]FilterNode, []filterFrame, error) {
	maxDepth, maxNodes := s.d.maxDepth(), s.d.maxNodes()
	for len(st) > 0 {
		top := &st[len(st)-1]
		if len(top.rest) == 0 {
			if top.one && top.n == 0 {
				return nodes, st, s.fail(ErrTruncated, "filter: missing filter")
			}
			if top.node >= 0 {
				nodes[top.node].End = int32(len(nodes))
			}
			st = st[:len(st)-1]
			continue
		}
		if top.one && top.n > 0 {
			return nodes, st, s.fail(ErrTrailingData, "filter")
		}
		t, v, r, err := tlv(top.rest)
		if err != nil {
			return nodes, st, s.fail(err, "filter")
		}
		top.rest = r
		top.n++
		if len(nodes) >= maxNodes {
			return nodes, st, s.limit("filter has too many elements")
		}
		idx := int32(len(nodes))
		switch t {
		case TagFilterAnd, TagFilterOr, TagFilterNot:
			if len(st) > maxDepth {
				if len(st)-1+compositeDepth(v, SlapdMaxFilterDepth+1-len(st)) > SlapdMaxFilterDepth {
					return nodes, st, &Error{ID: s.m.ID, Op: s.m.Op, Fatal: true, Code: ProtocolError,
						Msg: "filter nested too deeply", Err: fmt.Errorf("%w: %w", ErrFilterDepth, ErrLimit)}
				}
				return nodes, st, s.limit("filter nested too deeply")
			}
			nodes = append(nodes, FilterNode{Kind: FilterKind(t & 0x1f)})
			st = append(st, filterFrame{node: idx, one: t == TagFilterNot, rest: v})
		case TagFilterEquality, TagFilterGE, TagFilterLE, TagFilterApprox:
			n := FilterNode{Kind: FilterKind(t & 0x1f), End: idx + 1}
			if n.Attr, v, err = s.elem(v, TagOctetString, "filter attributeDesc"); err != nil {
				return nodes, st, err
			}
			if n.Value, v, err = s.elem(v, TagOctetString, "filter assertionValue"); err != nil {
				return nodes, st, err
			}
			if err := s.end(v, "filter AttributeValueAssertion"); err != nil {
				return nodes, st, err
			}
			nodes = append(nodes, n)
		case TagFilterPresent:
			nodes = append(nodes, FilterNode{Kind: FilterPresent, End: idx + 1, Attr: v})
		case TagFilterSubstrings:
			if nodes, err = s.substrings(nodes, v, maxNodes); err != nil {
				return nodes, st, err
			}
		case TagFilterExtensible:
			n := FilterNode{Kind: FilterExtensibleMatch, End: idx + 1}
			if len(v) > 0 && v[0] == 0x81 {
				if n.Rule, v, err = s.elem(v, 0x81, "filter matchingRule"); err != nil {
					return nodes, st, err
				}
			}
			if len(v) > 0 && v[0] == 0x82 {
				if n.Attr, v, err = s.elem(v, 0x82, "filter type"); err != nil {
					return nodes, st, err
				}
			}
			if n.Value, v, err = s.elem(v, 0x83, "filter matchValue"); err != nil {
				return nodes, st, err
			}
			if len(v) > 0 && v[0] == 0x84 {
				bv, rv, err := s.elem(v, 0x84, "filter dnAttributes")
				if err != nil {
					return nodes, st, err
				}
				if n.DNAttributes, err = parseBool(bv); err != nil {
					return nodes, st, s.fail(err, "filter dnAttributes")
				}
				v = rv
			}
			if err := s.end(v, "filter MatchingRuleAssertion"); err != nil {
				return nodes, st, err
			}
			nodes = append(nodes, n)
		default:
			if t&0xc0 != 0x80 || t&0x1f <= 9 || t&0x1f == 0x1f {
				return nodes, st, s.badTag(t, TagFilterAnd, "filter")
			}
			nodes = append(nodes, FilterNode{Kind: FilterUnknown, Tag: t, End: idx + 1, Value: v})
			s.m.ignored++
		}
	}
	return nodes, st, nil
}

// substrings decodes a SubstringFilter's contents and appends its node and
// its pieces.
func (s *state) substrings(nodes []FilterNode, v []byte, maxNodes int) ([]FilterNode, error) {
	idx := len(nodes)
	n := FilterNode{Kind: FilterSubstrings}
	var err error
	if n.Attr, v, err = s.elem(v, TagOctetString, "filter substrings type"); err != nil {
		return nodes, err
	}
	ps, v, err := s.elem(v, TagSequence, "filter substrings")
	if err != nil {
		return nodes, err
	}
	if err := s.end(v, "filter SubstringFilter"); err != nil {
		return nodes, err
	}
	nodes = append(nodes, n)
	if len(ps) == 0 {
		return nodes, s.invalid("empty substrings filter")
	}
	for len(ps) > 0 {
		t, pv, r, err := tlv(ps)
		if err != nil {
			return nodes, s.fail(err, "filter substring")
		}
		ps = r
		if len(nodes) >= maxNodes {
			return nodes, s.limit("filter has too many elements")
		}
		var k FilterKind
		switch t {
		case 0x80:
			if len(nodes) != idx+1 {
				return nodes, s.invalid("initial substring not first")
			}
			k = FilterSubInitial
		case 0x81:
			k = FilterSubAny
		case 0x82:
			if len(ps) != 0 {
				return nodes, s.invalid("final substring not last")
			}
			k = FilterSubFinal
		default:
			return nodes, s.badTag(t, 0x81, "filter substring")
		}
		nodes = append(nodes, FilterNode{Kind: k, End: int32(len(nodes) + 1), Value: pv})
	}
	nodes[idx].End = int32(len(nodes))
	return nodes, nil
}

// String returns the filter in RFC 4515 string form, for logs.
func (f *Filter) String() string {
	return string(f.AppendString(nil))
}

// AppendString appends the filter in RFC 4515 string form. Assertion values
// are escaped as \xx (lower-case hex) where RFC 4515 requires it ('*', '(',
// ')', '\', NUL), and also for control characters and bytes that are not
// valid UTF-8, so the result is printable. An empty filter gives "".
func (f *Filter) AppendString(dst []byte) []byte {
	var buf [16]int32
	open := buf[:0] // End of the open composites
	nodes := f.Nodes
	for i := 0; i < len(nodes); i++ {
		for len(open) > 0 && open[len(open)-1] <= int32(i) {
			dst = append(dst, ')')
			open = open[:len(open)-1]
		}
		n := &nodes[i]
		switch n.Kind {
		case FilterAnd, FilterOr, FilterNot:
			dst = append(dst, '(', "&|!"[n.Kind])
			open = append(open, n.End)
		case FilterEqualityMatch:
			dst = appendSimple(dst, n, "=")
		case FilterGreaterOrEqual:
			dst = appendSimple(dst, n, ">=")
		case FilterLessOrEqual:
			dst = appendSimple(dst, n, "<=")
		case FilterApproxMatch:
			dst = appendSimple(dst, n, "~=")
		case FilterPresent:
			dst = append(dst, '(')
			dst = AppendEscaped(dst, n.Attr)
			dst = append(dst, "=*)"...)
		case FilterSubstrings:
			dst = append(dst, '(')
			dst = AppendEscaped(dst, n.Attr)
			dst = append(dst, '=')
			end := int(n.End)
			if end > len(nodes) {
				end = len(nodes)
			}
			j := i + 1
			if j < end && nodes[j].Kind == FilterSubInitial {
				dst = AppendEscaped(dst, nodes[j].Value)
				j++
			}
			dst = append(dst, '*')
			for ; j < end; j++ {
				dst = AppendEscaped(dst, nodes[j].Value)
				if nodes[j].Kind != FilterSubFinal {
					dst = append(dst, '*')
				}
			}
			dst = append(dst, ')')
			if end > i+1 {
				i = end - 1
			}
		case FilterExtensibleMatch:
			dst = append(dst, '(')
			dst = AppendEscaped(dst, n.Attr)
			if n.DNAttributes {
				dst = append(dst, ":dn"...)
			}
			if len(n.Rule) > 0 {
				dst = append(dst, ':')
				dst = AppendEscaped(dst, n.Rule)
			}
			dst = append(dst, ":="...)
			dst = AppendEscaped(dst, n.Value)
			dst = append(dst, ')')
		default:
			dst = append(dst, "(?=undefined)"...)
		}
	}
	for range open {
		dst = append(dst, ')')
	}
	return dst
}

func appendSimple(dst []byte, n *FilterNode, op string) []byte {
	dst = append(dst, '(')
	dst = AppendEscaped(dst, n.Attr)
	dst = append(dst, op...)
	dst = AppendEscaped(dst, n.Value)
	return append(dst, ')')
}

// AppendEscaped appends the assertion value v with RFC 4515 escaping: '*',
// '(', ')', '\\', NUL and other control bytes, DEL and bytes that are not
// UTF-8 become \xx hex pairs; valid UTF-8 is kept as it is.
func AppendEscaped(dst, v []byte) []byte {
	const digits = "0123456789abcdef"
	for i := 0; i < len(v); {
		c := v[i]
		if c >= 0x80 {
			r, size := utf8.DecodeRune(v[i:])
			if r != utf8.RuneError || size > 1 {
				dst = append(dst, v[i:i+size]...)
				i += size
				continue
			}
		} else if c >= 0x20 && c != 0x7f && c != '*' && c != '(' && c != ')' && c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		dst = append(dst, '\\', digits[c>>4], digits[c&15])
		i++
	}
	return dst
}

// AppendFilter appends the BER encoding of f (nothing if f has no nodes).
// It is the inverse of DecodeFilter for filters Decode produced.
func AppendFilter(dst []byte, f *Filter) []byte {
	type openEl struct{ end, pos int32 }
	var buf [16]openEl
	open := buf[:0]
	nodes := f.Nodes
	for i := 0; i < len(nodes); i++ {
		for len(open) > 0 && open[len(open)-1].end <= int32(i) {
			dst = closeTag(dst, int(open[len(open)-1].pos))
			open = open[:len(open)-1]
		}
		n := &nodes[i]
		switch n.Kind {
		case FilterAnd, FilterOr, FilterNot:
			var pos int
			dst, pos = openTag(dst, 0xa0|byte(n.Kind))
			open = append(open, openEl{n.End, int32(pos)})
		case FilterEqualityMatch, FilterGreaterOrEqual, FilterLessOrEqual, FilterApproxMatch:
			var pos int
			dst, pos = openTag(dst, 0xa0|byte(n.Kind))
			dst = appendBytes(dst, TagOctetString, n.Attr)
			dst = appendBytes(dst, TagOctetString, n.Value)
			dst = closeTag(dst, pos)
		case FilterPresent:
			dst = appendBytes(dst, TagFilterPresent, n.Attr)
		case FilterSubstrings:
			var pos, seq int
			dst, pos = openTag(dst, TagFilterSubstrings)
			dst = appendBytes(dst, TagOctetString, n.Attr)
			dst, seq = openTag(dst, TagSequence)
			end := int(n.End)
			if end > len(nodes) {
				end = len(nodes)
			}
			for j := i + 1; j < end; j++ {
				dst = appendBytes(dst, 0x80|byte(nodes[j].Kind&3), nodes[j].Value)
			}
			dst = closeTag(dst, seq)
			dst = closeTag(dst, pos)
			if end > i+1 {
				i = end - 1
			}
		case FilterExtensibleMatch:
			var pos int
			dst, pos = openTag(dst, TagFilterExtensible)
			if len(n.Rule) > 0 {
				dst = appendBytes(dst, 0x81, n.Rule)
			}
			if len(n.Attr) > 0 {
				dst = appendBytes(dst, 0x82, n.Attr)
			}
			dst = appendBytes(dst, 0x83, n.Value)
			if n.DNAttributes {
				dst = appendBool(dst, 0x84, true)
			}
			dst = closeTag(dst, pos)
		default:
			dst = appendBytes(dst, n.Tag, n.Value)
		}
	}
	for len(open) > 0 {
		dst = closeTag(dst, int(open[len(open)-1].pos))
		open = open[:len(open)-1]
	}
	return dst
}

// Equal reports whether f and g are the same filter.
func (f *Filter) Equal(g *Filter) bool {
	if len(f.Nodes) != len(g.Nodes) {
		return false
	}
	for i := range f.Nodes {
		a, b := &f.Nodes[i], &g.Nodes[i]
		if a.Kind != b.Kind || a.Tag != b.Tag || a.DNAttributes != b.DNAttributes || a.End != b.End ||
			!bytes.Equal(a.Attr, b.Attr) || !bytes.Equal(a.Value, b.Value) || !bytes.Equal(a.Rule, b.Rule) {
			return false
		}
	}
	return true
}
