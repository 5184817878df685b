package dn

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Parse parses a DN string (see the package documentation for the grammar).
// Errors are *SyntaxError values, matched by errors.Is(err, ErrInvalidDN).
//
// Parse allocates two slices (the RDNs and one shared backing array for all
// AVAs); types and values that need no unescaping are substrings of s.
func Parse(s string) (DN, error) {
	if s == "" {
		return DN{}, nil
	}
	// Upper bounds of the RDN and AVA counts (escaped or quoted separators and
	// option ';'s only make them larger).
	nRDN := 1 + strings.Count(s, ",") + strings.Count(s, ";")
	nAVA := nRDN + strings.Count(s, "+")
	avas := make([]AVA, 0, nAVA)
	rdns := make([]RDN, 0, nRDN)

	p := parser{s: s}
	p.skipSpace()
	if p.i == len(s) {
		return DN{}, p.errorf(0, "only white space")
	}
	for {
		first := len(avas)
		for {
			a, err := p.ava()
			if err != nil {
				return DN{}, err
			}
			avas = append(avas, a)
			if p.i < len(s) && s[p.i] == '+' {
				p.i++
				p.skipSpace()
				if p.i == len(s) {
					return DN{}, p.errorf(p.i, "missing attribute type and value after '+'")
				}
				continue
			}
			break
		}
		rdns = append(rdns, RDN(avas[first:len(avas):len(avas)]))
		if p.i == len(s) {
			break
		}
		// ava leaves p.i at the end or at a separator; '+' was handled above.
		sep := p.i
		p.i++
		p.skipSpace()
		if p.i == len(s) {
			return DN{}, p.errorf(sep, "missing RDN after %q", s[sep])
		}
	}
	return DN{RDNs: rdns, Orig: s}, nil
}

// parser is the state of one Parse call.
type parser struct {
	s string
	i int
}

func (p *parser) errorf(off int, format string, args ...any) error {
	return &SyntaxError{DN: p.s, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

// atSep reports whether p is at the end or at an RDN or AVA separator.
func (p *parser) atSep() bool {
	if p.i == len(p.s) {
		return true
	}
	c := p.s[p.i]
	return c == ',' || c == ';' || c == '+'
}

// ava parses `type = value` starting at a non-space character and leaves
// p.i at the end of the input or at a separator ("," ";" "+").
func (p *parser) ava() (AVA, error) {
	typ, err := p.attrType()
	if err != nil {
		return AVA{}, err
	}
	p.skipSpace()
	if p.i == len(p.s) {
		return AVA{}, p.errorf(p.i, "missing '=' after attribute type %q", typ)
	}
	if p.s[p.i] != '=' {
		return AVA{}, p.errorf(p.i, "unexpected %q after attribute type %q (missing '='?)", p.s[p.i], typ)
	}
	p.i++
	p.skipSpace()
	var a AVA
	a.Type = typ
	switch {
	case p.i < len(p.s) && p.s[p.i] == '#':
		a.Value, err = p.hexValue()
		a.BER = true
	case p.i < len(p.s) && p.s[p.i] == '"':
		a.Value, err = p.quotedValue()
	default:
		a.Value, err = p.stringValue()
	}
	if err != nil {
		return AVA{}, err
	}
	return a, nil
}

// attrType parses a descriptor or numeric OID with optional ";option"s.
func (p *parser) attrType() (string, error) {
	s := p.s
	start := p.i
	if p.i == len(s) {
		return "", p.errorf(p.i, "missing attribute type")
	}
	switch c := s[p.i]; {
	case isDigit(c):
		for {
			if s[p.i] == '0' {
				p.i++
				if p.i < len(s) && isDigit(s[p.i]) {
					return "", p.errorf(p.i-1, "leading zero in numeric OID")
				}
			} else {
				for p.i < len(s) && isDigit(s[p.i]) {
					p.i++
				}
			}
			if p.i < len(s) && s[p.i] == '.' {
				p.i++
				if p.i == len(s) || !isDigit(s[p.i]) {
					return "", p.errorf(p.i, "invalid numeric OID %q", s[start:p.i])
				}
				continue
			}
			break
		}
		if strings.IndexByte(s[start:p.i], '.') < 0 {
			return "", p.errorf(start, "invalid attribute type %q (a numeric OID needs a dot)", s[start:p.i])
		}
		if p.i < len(s) && isKeychar(s[p.i]) {
			return "", p.errorf(p.i, "invalid character %q in numeric OID", s[p.i])
		}
	case isAlpha(c):
		for p.i < len(s) && isKeychar(s[p.i]) {
			p.i++
		}
		if p.i < len(s) && s[p.i] == '.' && strings.EqualFold(s[start:p.i], "oid") {
			return "", p.errorf(start, `the LDAPv2 "OID." prefix is not accepted`)
		}
	case c == '=':
		return "", p.errorf(p.i, "missing attribute type before '='")
	case c == ',' || c == ';' || c == '+':
		return "", p.errorf(p.i, "empty RDN or AVA before %q", c)
	default:
		return "", p.errorf(p.i, "invalid character %q at the start of an attribute type", c)
	}
	for p.i < len(s) && s[p.i] == ';' {
		p.i++
		for p.i < len(s) && isKeychar(s[p.i]) {
			p.i++
		}
	}
	return s[start:p.i], nil
}

// hexValue parses "#" 1*(HEX HEX) and returns the decoded bytes.
func (p *parser) hexValue() (string, error) {
	s := p.s
	p.i++ // '#'
	start := p.i
	for p.i < len(s) && isHex(s[p.i]) {
		p.i++
	}
	n := p.i - start
	if n == 0 {
		return "", p.errorf(start-1, "'#' not followed by hex digits (escape a leading '#' as \\#)")
	}
	if n%2 == 1 {
		return "", p.errorf(start, "odd number of hex digits in hex value")
	}
	end := p.i
	p.skipSpace()
	if !p.atSep() {
		return "", p.errorf(p.i, "invalid character %q in hex value", s[p.i])
	}
	var b strings.Builder
	b.Grow(n / 2)
	for i := start; i < end; i += 2 {
		b.WriteByte(unhex(s[i])<<4 | unhex(s[i+1]))
	}
	return b.String(), nil
}

// quotedValue parses an RFC 1779 quoted value.
func (p *parser) quotedValue() (string, error) {
	s := p.s
	open := p.i
	p.i++
	start := p.i
	for p.i < len(s) && s[p.i] != '"' && s[p.i] != '\\' && s[p.i] != 0 {
		p.i++
	}
	var v string
	if p.i < len(s) && s[p.i] == '"' {
		v = s[start:p.i]
		p.i++
	} else {
		var b strings.Builder
		b.Grow(len(s) - start)
		b.WriteString(s[start:p.i])
		for {
			if p.i == len(s) {
				return "", p.errorf(open, "unterminated quoted value")
			}
			c := s[p.i]
			if c == '"' {
				p.i++
				break
			}
			if c == 0 {
				return "", p.errorf(p.i, "unescaped NUL in quoted value")
			}
			if c == '\\' {
				p.i++
				if p.i == len(s) {
					return "", p.errorf(p.i-1, "trailing backslash")
				}
				c = s[p.i]
			}
			b.WriteByte(c)
			p.i++
		}
		v = b.String()
	}
	p.skipSpace()
	if !p.atSep() {
		return "", p.errorf(p.i, "unexpected %q after quoted value", s[p.i])
	}
	if !utf8.ValidString(v) {
		return "", p.errorf(open, "value is not valid UTF-8")
	}
	return v, nil
}

// stringValue parses an RFC 4514 string value up to the next separator.
// Unescaped trailing white space is dropped.
func (p *parser) stringValue() (string, error) {
	s := p.s
	start := p.i
	sig := p.i // end of the significant part
scan:
	for p.i < len(s) {
		c := s[p.i]
		switch valueClass[c] {
		case 0:
			p.i++
			sig = p.i
		case classSep:
			break scan
		case classEscape:
			p.i = start
			return p.escapedStringValue()
		case classBad:
			return "", p.errorf(p.i, "unescaped %q in value", c)
		case classSpace:
			p.i++
		}
	}
	v := s[start:sig]
	if !utf8.ValidString(v) {
		return "", p.errorf(start, "value is not valid UTF-8")
	}
	return v, nil
}

// escapedStringValue is stringValue for values with backslash escapes.
func (p *parser) escapedStringValue() (string, error) {
	s := p.s
	start := p.i
	var b strings.Builder
	b.Grow(len(s) - start)
	pend := -1 // start of pending unescaped white space
	flush := func() {
		if pend >= 0 {
			b.WriteString(s[pend:p.i])
			pend = -1
		}
	}
loop:
	for p.i < len(s) {
		c := s[p.i]
		switch {
		case c == ',' || c == ';' || c == '+':
			break loop
		case c == '\\':
			flush()
			esc := p.i
			p.i++
			if p.i == len(s) {
				return "", p.errorf(esc, "trailing backslash")
			}
			d := s[p.i]
			switch {
			case isHex(d):
				if p.i+1 == len(s) || !isHex(s[p.i+1]) {
					return "", p.errorf(esc, "invalid hex escape (a backslash needs two hex digits or a special character)")
				}
				b.WriteByte(unhex(d)<<4 | unhex(s[p.i+1]))
				p.i += 2
			case isEscapable(d):
				b.WriteByte(d)
				p.i++
			default:
				return "", p.errorf(esc, "invalid escape \\%c (only \\ followed by one of ` \"#+,;<=>\\` or two hex digits)", d)
			}
		case c == '"' || c == '<' || c == '>' || c == 0:
			return "", p.errorf(p.i, "unescaped %q in value", c)
		case isSpace(c):
			if pend < 0 {
				pend = p.i
			}
			p.i++
		default:
			flush()
			b.WriteByte(c)
			p.i++
		}
	}
	v := b.String()
	if !utf8.ValidString(v) {
		return "", p.errorf(start, "value is not valid UTF-8 (check the \\XX escapes)")
	}
	return v, nil
}

// Byte classes in string values (0: an ordinary character).
const (
	classSep    = 1 + iota // , ; +
	classEscape            // \
	classBad               // must be escaped: " < > NUL
	classSpace             // white space, dropped at the end of a value
)

var valueClass = [256]uint8{
	',': classSep, ';': classSep, '+': classSep,
	'\\': classEscape,
	'"':  classBad, '<': classBad, '>': classBad, 0: classBad,
	' ': classSpace, '\t': classSpace, '\n': classSpace, '\r': classSpace,
}

func isDigit(c byte) bool     { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool     { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isKeychar(c byte) bool   { return isAlpha(c) || isDigit(c) || c == '-' }
func isHex(c byte) bool       { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
func isEscapable(c byte) bool { return strings.IndexByte(" \"#+,;<=>\\", c) >= 0 }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}
