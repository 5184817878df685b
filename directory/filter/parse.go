package filter

import (
	"bytes"
	"errors"

	"hostdir/schema"
	"hostdir/schema/syntax"
)

// Parse compiles an RFC 4515 filter string against sc.
//
// Besides RFC 4515 it accepts what libldap accepts from ldapsearch and
// slapd.conf: a single item without parentheses ("uid=x"), white space
// between the filters of a list and around the whole filter, the RFC 4526
// absolute filters "(&)" and "(|)", the RFC 1960 escapes "\*", "\(", "\)"
// and "\\", and a case-insensitive ":DN". Errors match ErrSyntax (or are
// ErrTooComplex).
func Parse(s string, sc *schema.Schema) (*Filter, error) {
	p := parser{s: s, b: newBuilder(sc, 8)}
	p.skipSpace()
	if p.pos < len(s) && s[p.pos] != '(' {
		// bare item
		end := len(s)
		for end > p.pos && isSpace(s[end-1]) {
			end--
		}
		if err := p.item(p.pos, end); err != nil {
			return nil, err
		}
		p.pos = len(s)
	} else if err := p.filter(); err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(s) {
		return nil, p.errorf(p.pos, "unexpected text after the filter")
	}
	return p.b.finish(), nil
}

type parser struct {
	s   string
	pos int
	b   *builder
	buf []byte // unescaped values
	seg [][2]int
}

func (p *parser) errorf(off int, msg string) error {
	return &SyntaxError{Filter: p.s, Offset: off, Msg: msg}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) skipSpace() {
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
}

// limit turns builder limit errors into parse errors at the position.
func (p *parser) limit(err error) error {
	if errors.Is(err, ErrTooComplex) {
		return err
	}
	return p.errorf(p.pos, err.Error())
}

// filter parses "(" filtercomp ")" at p.pos.
func (p *parser) filter() error {
	s := p.s
	if p.pos >= len(s) || s[p.pos] != '(' {
		return p.errorf(p.pos, "expected '('")
	}
	p.pos++
	p.skipSpace()
	if p.pos >= len(s) {
		return p.errorf(p.pos, "unexpected end of filter")
	}
	switch c := s[p.pos]; c {
	case '&', '|', '!':
		k := And
		switch c {
		case '|':
			k = Or
		case '!':
			k = Not
		}
		p.pos++
		if err := p.b.openComposite(k); err != nil {
			return p.limit(err)
		}
		n := 0
		for {
			p.skipSpace()
			if p.pos >= len(s) {
				return p.errorf(p.pos, "unexpected end of filter")
			}
			if s[p.pos] == ')' {
				break
			}
			if k == Not && n == 1 {
				return p.errorf(p.pos, "NOT takes exactly one filter")
			}
			if err := p.filter(); err != nil {
				return err
			}
			n++
		}
		if k == Not && n != 1 {
			return p.errorf(p.pos, "NOT takes exactly one filter")
		}
		p.pos++
		p.b.closeComposite()
		return nil
	case '(':
		return p.errorf(p.pos, "unexpected '('")
	}
	start := p.pos
	end := start
	for end < len(s) && s[end] != ')' {
		if s[end] == '(' {
			return p.errorf(end, "unescaped '(' in value")
		}
		end++
	}
	if end == len(s) {
		return p.errorf(end, "missing ')'")
	}
	if err := p.item(start, end); err != nil {
		return err
	}
	p.pos = end + 1
	return nil
}

// item parses the item s[start:end] (without parentheses).
func (p *parser) item(start, end int) error {
	s := p.s[start:end]
	eq := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '=' {
			eq = i
			break
		}
		if s[i] == '(' || s[i] == ')' {
			return p.errorf(start+i, "unexpected parenthesis")
		}
	}
	if eq <= 0 {
		return p.errorf(start, "missing attribute or '='")
	}
	value := s[eq+1:]
	var err error
	switch s[eq-1] {
	case '~', '>', '<':
		k := Approx
		switch s[eq-1] {
		case '>':
			k = GreaterOrEqual
		case '<':
			k = LessOrEqual
		}
		attr := s[:eq-1]
		if !validDesc(attr) {
			return p.errorf(start, "bad attribute description")
		}
		v, err := p.unescape(start+eq+1, value)
		if err != nil {
			return err
		}
		err = p.b.item(k, []byte(attr), v)
		return p.wrap(err)
	case ':':
		return p.extensible(start, s[:eq-1], value, start+eq+1)
	}
	attr := s[:eq]
	if !validDesc(attr) {
		return p.errorf(start, "bad attribute description")
	}
	if value == "*" {
		return p.wrap(p.b.present([]byte(attr)))
	}
	if !hasUnescapedStar(value) {
		v, err := p.unescape(start+eq+1, value)
		if err != nil {
			return err
		}
		return p.wrap(p.b.item(Equality, []byte(attr), v))
	}
	// substrings
	if err = p.b.startSubstrings([]byte(attr)); err != nil {
		return p.wrap(err)
	}
	off := start + eq + 1
	pieces := splitStar(value, p.seg[:0])
	p.seg = pieces
	for i, r := range pieces {
		raw := value[r[0]:r[1]]
		pos := syntax.SubAny
		switch {
		case i == 0:
			pos = syntax.SubInitial
		case i == len(pieces)-1:
			pos = syntax.SubFinal
		}
		if raw == "" {
			continue
		}
		v, err := p.unescape(off+r[0], raw)
		if err != nil {
			return err
		}
		if err := p.b.piece(pos, v); err != nil {
			return p.wrap(err)
		}
	}
	p.b.endSubstrings()
	return nil
}

func (p *parser) wrap(err error) error {
	if err == nil {
		return nil
	}
	return p.limit(err)
}

// extensible parses "attr[:dn][:rule]" or "[:dn]:rule" (left, before
// ":=") and the value.
func (p *parser) extensible(start int, left, value string, voff int) error {
	var attr, rule string
	dnAttrs := false
	parts := splitColon(left)
	attr = parts[0]
	rest := parts[1:]
	if len(rest) > 0 && equalFoldBytes([]byte(rest[0]), "dn") {
		dnAttrs = true
		rest = rest[1:]
	}
	switch len(rest) {
	case 0:
	case 1:
		rule = rest[0]
		if !validOIDOrName(rule) {
			return p.errorf(start, "bad matching rule")
		}
	default:
		return p.errorf(start, "bad extensible match")
	}
	if attr == "" && rule == "" {
		return p.errorf(start, "extensible match needs a type or a matching rule")
	}
	if attr != "" && !validDesc(attr) {
		return p.errorf(start, "bad attribute description")
	}
	v, err := p.unescape(voff, value)
	if err != nil {
		return err
	}
	return p.wrap(p.b.extensible([]byte(attr), []byte(rule), v, dnAttrs))
}

func splitColon(s string) []string {
	var out []string
	for {
		i := bytes.IndexByte([]byte(s), ':')
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
}

// unescape decodes RFC 4515 escapes of v (at offset off) into p.buf.
func (p *parser) unescape(off int, v string) ([]byte, error) {
	out, bad := unescapeInto(p.buf[:0], v)
	if bad >= 0 {
		return nil, p.errorf(off+bad, "bad escape or character in value")
	}
	p.buf = out
	return out, nil
}

// unescapeInto appends the unescaped v to dst; bad is the offset of an
// invalid escape or character, or -1.
func unescapeInto(dst []byte, v string) (out []byte, bad int) {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '\\':
			if i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]) {
				dst = append(dst, unhex(v[i+1])<<4|unhex(v[i+2]))
				i += 2
				continue
			}
			if i+1 < len(v) {
				switch v[i+1] {
				case '*', '(', ')', '\\':
					dst = append(dst, v[i+1])
					i++
					continue
				}
			}
			return dst, i
		case '(', ')', 0:
			return dst, i
		}
		dst = append(dst, c)
	}
	return dst, -1
}

// unescapeValue decodes \XX escapes of a substring assertion piece.
func unescapeValue(dst, v []byte) ([]byte, bool) {
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' {
			if i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]) {
				dst = append(dst, unhex(v[i+1])<<4|unhex(v[i+2]))
				i += 2
				continue
			}
			return dst, false
		}
		dst = append(dst, v[i])
	}
	return dst, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// hasUnescapedStar reports whether v contains a '*' not preceded by '\'.
func hasUnescapedStar(v string) bool {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '*':
			return true
		}
	}
	return false
}

// splitStar returns the ranges of v between unescaped '*'.
func splitStar(v string, dst [][2]int) [][2]int {
	start := 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '*':
			dst = append(dst, [2]int{start, i})
			start = i + 1
		}
	}
	if start > len(v) {
		start = len(v)
	}
	return append(dst, [2]int{start, len(v)})
}

// validDesc checks an attribute description: a name or numeric OID, then
// options, all of ALPHA DIGIT '-' (and '.' for OIDs).
func validDesc(s string) bool {
	if s == "" {
		return false
	}
	name := s
	if i := bytes.IndexByte([]byte(s), ';'); i >= 0 {
		name = s[:i]
		for _, o := range bytes.Split([]byte(s[i+1:]), []byte(";")) {
			if len(o) == 0 {
				return false
			}
			for _, c := range o {
				if !isKeychar(c) {
					return false
				}
			}
		}
	}
	return validOIDOrName(name)
}

func isKeychar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-'
}

func validOIDOrName(s string) bool {
	if s == "" {
		return false
	}
	if s[0] >= '0' && s[0] <= '9' {
		for i := 0; i < len(s); i++ {
			if c := s[i]; (c < '0' || c > '9') && c != '.' {
				return false
			}
		}
		return s[len(s)-1] != '.'
	}
	for i := 0; i < len(s); i++ {
		if !isKeychar(s[i]) {
			return false
		}
	}
	return true
}
