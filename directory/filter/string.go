package filter

import (
	"hostdir/directory/ldapwire"
)

// String returns the filter in RFC 4515 form, as slapd logs it: attribute
// types spelled with the schema's primary name (options kept, as given),
// assertion values as the client gave them, escaped where RFC 4515 requires
// it and also for control characters and bytes that are not UTF-8.
// Unknown filter choices print as "(?=undefined)", as in slapd's logs.
func (f *Filter) String() string {
	return string(f.AppendString(nil))
}

// AppendString appends String's result to dst.
func (f *Filter) AppendString(dst []byte) []byte {
	if len(f.nodes) == 0 {
		return dst
	}
	return f.appendNode(dst, 0)
}

func (f *Filter) appendNode(dst []byte, i int32) []byte {
	n := &f.nodes[i]
	switch n.kind {
	case And, Or, Not:
		dst = append(dst, '(', "&|!"[n.kind])
		for c := i + 1; c < n.end; c = f.nodes[c].end {
			dst = f.appendNode(dst, c)
		}
		return append(dst, ')')
	case Unknown:
		return append(dst, "(?=undefined)"...)
	}
	dst = append(dst, '(')
	dst = n.appendDesc(dst)
	switch n.kind {
	case Equality:
		dst = append(dst, '=')
		dst = ldapwire.AppendEscaped(dst, n.rawB)
	case GreaterOrEqual:
		dst = append(dst, ">="...)
		dst = ldapwire.AppendEscaped(dst, n.rawB)
	case LessOrEqual:
		dst = append(dst, "<="...)
		dst = ldapwire.AppendEscaped(dst, n.rawB)
	case Approx:
		dst = append(dst, "~="...)
		dst = ldapwire.AppendEscaped(dst, n.rawB)
	case Present:
		dst = append(dst, "=*"...)
	case Substrings:
		dst = append(dst, '=')
		ps := n.subRaw
		if len(ps) > 0 && ps[0].pos == 1 {
			dst = ldapwire.AppendEscaped(dst, ps[0].rawB)
			ps = ps[1:]
		}
		dst = append(dst, '*')
		for _, p := range ps {
			dst = ldapwire.AppendEscaped(dst, p.rawB)
			if p.pos != 3 {
				dst = append(dst, '*')
			}
		}
	case Extensible:
		if n.dnAttrs {
			dst = append(dst, ":dn"...)
		}
		if len(n.ruleB) > 0 {
			dst = append(dst, ':')
			dst = append(dst, n.ruleB...)
		}
		dst = append(dst, ":="...)
		dst = ldapwire.AppendEscaped(dst, n.rawB)
	}
	return append(dst, ')')
}

// appendDesc appends the attribute description: the primary name of a
// known type with the options as given, or the description as given.
func (n *node) appendDesc(dst []byte) []byte {
	if n.at == nil {
		return append(dst, n.descB...)
	}
	dst = append(dst, n.at.Name()...)
	for i, c := range n.descB {
		if c == ';' {
			return append(dst, n.descB[i:]...)
		}
	}
	return dst
}
