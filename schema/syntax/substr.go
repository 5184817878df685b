package syntax

import "bytes"

// MatchSubstrings reports whether value contains initial as a prefix, then
// each piece of any in order without overlap, then final as a suffix that
// does not overlap what came before. All arguments must be canonical forms
// of the same rule (values through Normalize, pieces through
// NormalizeSubstring); nil or empty pieces are absent. The match is plain
// byte matching: for rules with insignificant space handling use
// [MatchingRule.MatchSubstrings], which adds the space semantics of
// RFC 4518 section 2.6.1.
func MatchSubstrings(value []byte, initial []byte, any [][]byte, final []byte) bool {
	if len(initial)+len(final) > len(value) {
		return false
	}
	if !bytes.HasPrefix(value, initial) || !bytes.HasSuffix(value, final) {
		return false
	}
	rest := value[len(initial) : len(value)-len(final)]
	for _, p := range any {
		if len(p) == 0 {
			continue
		}
		i := bytes.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return true
}

// MatchSubstrings reports whether a canonical value (from r.Normalize)
// matches the canonical pieces (from r.NormalizeSubstring). For the
// case-ignore and case-exact rules (and their IA5 and list forms) it
// implements RFC 4518 section 2.6.1 exactly: the value is taken with a
// SPACE at each end and each inner SPACE doubled, so "(cn=foo *)" matches
// "foo", and "(cn=*foo * bar*)" matches "foo bar". For other rules it is
// [MatchSubstrings].
func (r *MatchingRule) MatchSubstrings(value []byte, initial []byte, any [][]byte, final []byte) bool {
	if r.spaces == spaceExact || !piecesHaveSpace(initial, any, final) {
		// Pieces without spaces match the RFC form iff they match the
		// compact form: spaces are neither in them nor between them.
		return MatchSubstrings(value, initial, any, final)
	}
	var vb, pb [256]byte
	rv := appendRFCValue(vb[:0], value, r.spaces == spaceList)
	// pieces in RFC form
	buf := pb[:0]
	buf, ini := appendRFCPiece(buf, initial, SubInitial)
	var anys [][]byte
	if len(any) > 0 {
		anys = make([][]byte, 0, len(any))
	}
	for _, a := range any {
		var p []byte
		buf, p = appendRFCPiece(buf, a, SubAny)
		anys = append(anys, p)
	}
	_, fin := appendRFCPiece(buf, final, SubFinal)
	return MatchSubstrings(rv, ini, anys, fin)
}

func piecesHaveSpace(initial []byte, any [][]byte, final []byte) bool {
	if bytes.IndexByte(initial, ' ') >= 0 || bytes.IndexByte(final, ' ') >= 0 {
		return true
	}
	for _, a := range any {
		if bytes.IndexByte(a, ' ') >= 0 {
			return true
		}
	}
	return false
}

// appendRFCValue turns a compact canonical value into the RFC 4518 form:
// " " + value with inner spaces doubled + " " ("  " for the all-space
// value " "). With list, each '$'-separated line is converted on its own.
func appendRFCValue(dst, v []byte, list bool) []byte {
	if !list {
		return appendRFCLine(dst, v)
	}
	for i, line := range bytes.Split(v, []byte("$")) {
		if i > 0 {
			dst = append(dst, '$')
		}
		dst = appendRFCLine(dst, line)
	}
	return dst
}

func appendRFCLine(dst, v []byte) []byte {
	if len(v) == 1 && v[0] == ' ' {
		return append(dst, ' ', ' ')
	}
	dst = append(dst, ' ')
	for _, c := range v {
		dst = append(dst, c)
		if c == ' ' {
			dst = append(dst, ' ')
		}
	}
	return append(dst, ' ')
}

// appendRFCPiece turns a compact piece into its RFC 4518 form (initial
// pieces start with a SPACE, final pieces end with one, inner spaces are
// doubled, edge spaces stay single) and returns it as a sub-slice of the
// grown buffer. Appending never rewrites earlier bytes, so pieces returned
// earlier stay valid when buf is reallocated.
func appendRFCPiece(buf, p []byte, pos SubPos) ([]byte, []byte) {
	if len(p) == 0 {
		return buf, nil
	}
	start := len(buf)
	if len(p) == 1 && p[0] == ' ' {
		buf = append(buf, ' ')
		return buf, buf[start:len(buf):len(buf)]
	}
	if pos == SubInitial {
		buf = append(buf, ' ')
	}
	last := len(p) - 1
	for i, c := range p {
		buf = append(buf, c)
		if c == ' ' && i > 0 && i < last {
			buf = append(buf, ' ')
		}
	}
	if pos == SubFinal {
		buf = append(buf, ' ')
	}
	return buf, buf[start:len(buf):len(buf)]
}
