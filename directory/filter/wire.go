package filter

import (
	"hostdir/directory/ldapwire"
	"hostdir/schema"
	"hostdir/schema/syntax"
)

// FromWire compiles a filter decoded by ldapwire against sc. The result
// does not alias f's buffers (the PDU may be reused). Unknown filter
// choices (ldapwire.FilterUnknown) become Unknown nodes, which evaluate
// to Undefined. An empty filter, or one that is not a well-formed tree,
// gives ErrSyntax; limits give ErrTooComplex.
func FromWire(f *ldapwire.Filter, sc *schema.Schema) (*Filter, error) {
	size := 0
	for i := range f.Nodes {
		size += len(f.Nodes[i].Attr) + len(f.Nodes[i].Value) + len(f.Nodes[i].Rule)
	}
	b := &builder{f: &Filter{sc: sc, nodes: make([]node, 0, len(f.Nodes)), arena: make([]byte, 0, 2*size+16)}, sc: sc, sub: -1}
	if err := b.fromWire(f); err != nil {
		return nil, err
	}
	return b.finish(), nil
}

// fromWire adds the nodes of f to b.
func (b *builder) fromWire(f *ldapwire.Filter) error {
	nodes := f.Nodes
	if len(nodes) == 0 {
		return &SyntaxError{Msg: "empty filter"}
	}
	if b.cache != nil && !b.cache.usable(b.sc) {
		b.cache = nil
	}
	var stackBuf [16]int32
	ends := stackBuf[:0]
	for i := 0; i < len(nodes); i++ {
		for len(ends) > 0 && ends[len(ends)-1] <= int32(i) {
			ends = ends[:len(ends)-1]
			b.closeComposite()
		}
		n := &nodes[i]
		if n.End <= int32(i) || int(n.End) > len(nodes) {
			return &SyntaxError{Offset: i, Msg: "malformed filter tree"}
		}
		if len(ends) > 0 && n.End > ends[len(ends)-1] {
			return &SyntaxError{Offset: i, Msg: "malformed filter tree"}
		}
		var err error
		switch n.Kind {
		case ldapwire.FilterAnd, ldapwire.FilterOr, ldapwire.FilterNot:
			k := And
			switch n.Kind {
			case ldapwire.FilterOr:
				k = Or
			case ldapwire.FilterNot:
				k = Not
			}
			err = b.openComposite(k)
			ends = append(ends, n.End)
		case ldapwire.FilterEqualityMatch:
			err = b.item(Equality, n.Attr, n.Value)
		case ldapwire.FilterGreaterOrEqual:
			err = b.item(GreaterOrEqual, n.Attr, n.Value)
		case ldapwire.FilterLessOrEqual:
			err = b.item(LessOrEqual, n.Attr, n.Value)
		case ldapwire.FilterApproxMatch:
			err = b.item(Approx, n.Attr, n.Value)
		case ldapwire.FilterPresent:
			err = b.present(n.Attr)
		case ldapwire.FilterSubstrings:
			if err = b.startSubstrings(n.Attr); err != nil {
				break
			}
			for j := i + 1; j < int(n.End) && err == nil; j++ {
				var pos syntax.SubPos
				switch nodes[j].Kind {
				case ldapwire.FilterSubInitial:
					pos = syntax.SubInitial
				case ldapwire.FilterSubAny:
					pos = syntax.SubAny
				case ldapwire.FilterSubFinal:
					pos = syntax.SubFinal
				default:
					return &SyntaxError{Offset: j, Msg: "malformed substrings"}
				}
				err = b.piece(pos, nodes[j].Value)
			}
			b.endSubstrings()
			i = int(n.End) - 1
		case ldapwire.FilterExtensibleMatch:
			err = b.extensible(n.Attr, n.Rule, n.Value, n.DNAttributes)
		default:
			err = b.unknown()
		}
		if err != nil {
			return err
		}
	}
	for range ends {
		b.closeComposite()
	}
	return nil
}
