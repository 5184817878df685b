package acl

import (
	"fmt"
	"strconv"
	"strings"
)

// RefKind says which match of the <what> clause a substitution refers to.
type RefKind uint8

// Substitution sources.
const (
	// RefDN is a submatch of the <what> dn pattern: $n, ${n} or ${dn}.
	RefDN RefKind = iota
	// RefVal is a submatch of the <what> val.regex pattern: ${vn}.
	RefVal
)

// Part is one piece of a Template: literal text, or a reference to a
// submatch of the <what> clause.
type Part struct {
	Lit  string
	Ref  int // submatch number when IsRef
	Kind RefKind
	// IsRef is true for a submatch reference, false for literal text.
	IsRef bool
}

// Template is a pattern of a <who> clause in which $1..$9, ${n}, ${dn}
// and ${vn} are replaced by submatches of the <what> clause, and $$
// stands for a literal $ (as slapd.access(5) defines).
type Template struct {
	Raw   string
	Parts []Part
}

// HasRefs reports whether the template refers to any submatch.
func (t Template) HasRefs() bool {
	for _, p := range t.Parts {
		if p.IsRef {
			return true
		}
	}
	return false
}

// MaxRef returns the highest submatch number the template refers to for
// the given kind, or -1.
func (t Template) MaxRef(kind RefKind) int {
	m := -1
	for _, p := range t.Parts {
		if p.IsRef && p.Kind == kind && p.Ref > m {
			m = p.Ref
		}
	}
	return m
}

// Expand returns the template with references replaced by dnMatches[n]
// (for $n and ${dn}) and valMatches[n] (for ${vn}); references beyond the
// slices expand to the empty string, as slapd does.
func (t Template) Expand(dnMatches, valMatches []string) string {
	var b strings.Builder
	for _, p := range t.Parts {
		if !p.IsRef {
			b.WriteString(p.Lit)
			continue
		}
		m := dnMatches
		if p.Kind == RefVal {
			m = valMatches
		}
		if p.Ref < len(m) {
			b.WriteString(m[p.Ref])
		}
	}
	return b.String()
}

// literal returns the template with $$ turned into $ and references
// replaced by repl (used to validate a regex before its expansion).
func (t Template) literal(repl string) string {
	var b strings.Builder
	for _, p := range t.Parts {
		if p.IsRef {
			b.WriteString(repl)
		} else {
			b.WriteString(p.Lit)
		}
	}
	return b.String()
}

// parseTemplate splits s into literal parts and submatch references.
// A $ not followed by a digit, $, or {...} is kept literally (slapd keeps
// it too; in a regex it is the end anchor).
func parseTemplate(s string) (Template, error) {
	t := Template{Raw: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.Parts = append(t.Parts, Part{Lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			lit.WriteByte(c)
			continue
		}
		n := s[i+1]
		switch {
		case n == '$':
			lit.WriteByte('$')
			i++
		case n >= '0' && n <= '9':
			flush()
			t.Parts = append(t.Parts, Part{IsRef: true, Ref: int(n - '0'), Kind: RefDN})
			i++
		case n == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return Template{}, fmt.Errorf("unterminated ${ in %q", s)
			}
			body := s[i+2 : i+2+end]
			kind := RefDN
			switch {
			case strings.HasPrefix(body, "d"):
				body = body[1:]
			case strings.HasPrefix(body, "v"):
				kind = RefVal
				body = body[1:]
			}
			num, err := strconv.Atoi(body)
			if err != nil || num < 0 || num > 99 || body == "" || body[0] == '+' {
				return Template{}, fmt.Errorf("bad submatch reference %q in %q", s[i:i+3+end], s)
			}
			flush()
			t.Parts = append(t.Parts, Part{IsRef: true, Ref: num, Kind: kind})
			i += 2 + end
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return t, nil
}
