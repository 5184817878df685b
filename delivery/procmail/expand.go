package procmail

import (
	"errors"
	"fmt"
	"strings"
)

// Lookup gives variable values for expansion. Besides ordinary names it is
// asked for the special names "#", "@", "$", "?", "_", "-", "=" and the
// digits "0"-"9".
type Lookup interface {
	Get(name string) (string, bool)
}

// ExpandOptions tune Expand.
type ExpandOptions struct {
	// Quoted treats the text as if inside double quotes (the `$`
	// condition): quotes are plain characters and a backslash only quotes
	// `$`, "`", `"`, a backslash or a newline.
	Quoted bool
	// Command runs a backquoted command and returns its standard output.
	// nil refuses backquotes (ErrForbidden).
	Command func(cmd string) (string, error)
	// DryRun checks the syntax only: no lookups, no commands.
	DryRun bool
}

// maxExpansion bounds the result of one expansion (procmail's LINEBUF
// plays the same role).
const maxExpansion = 64 << 10

// ErrTooLong reports an expansion beyond maxExpansion.
var ErrTooLong = errors.New("expansion too long")

// segment is a piece of an expanded word; split marks text that came from
// an unquoted expansion and is split on blanks into fields.
type segment struct {
	text  string
	split bool
}

// Expand expands a raw word as sh(1) would inside an assignment: quotes
// are removed, variables and backquotes substituted, nothing is split.
func Expand(word string, vars Lookup, opt ExpandOptions) (string, error) {
	segs, err := expandSegments(word, vars, opt)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(s.text)
	}
	return b.String(), nil
}

// ExpandFields expands a raw word like Expand and splits the results of
// unquoted expansions on blanks and newlines, as procmail does for the
// words of an action line.
func ExpandFields(word string, vars Lookup, opt ExpandOptions) ([]string, error) {
	segs, err := expandSegments(word, vars, opt)
	if err != nil {
		return nil, err
	}
	var fields []string
	var cur strings.Builder
	has := false
	for _, s := range segs {
		if !s.split {
			cur.WriteString(s.text)
			has = true
			continue
		}
		parts := strings.FieldsFunc(s.text, isBlank)
		if len(parts) == 0 {
			if s.text != "" && has {
				fields = append(fields, cur.String())
				cur.Reset()
				has = false
			}
			continue
		}
		if startsBlank(s.text) && has {
			fields = append(fields, cur.String())
			cur.Reset()
			has = false
		}
		for i, p := range parts {
			if i > 0 {
				fields = append(fields, cur.String())
				cur.Reset()
			}
			cur.WriteString(p)
			has = true
		}
		if endsBlank(s.text) {
			fields = append(fields, cur.String())
			cur.Reset()
			has = false
		}
	}
	if has {
		fields = append(fields, cur.String())
	}
	return fields, nil
}

func isBlank(r rune) bool { return r == ' ' || r == '\t' || r == '\n' }

func startsBlank(s string) bool { return s != "" && isBlank(rune(s[0])) }

func endsBlank(s string) bool { return s != "" && isBlank(rune(s[len(s)-1])) }

type expander struct {
	vars  Lookup
	opt   ExpandOptions
	segs  []segment
	size  int
	depth int
}

func (e *expander) add(text string, split bool) error {
	e.size += len(text)
	if e.size > maxExpansion {
		return ErrTooLong
	}
	if n := len(e.segs); n > 0 && e.segs[n-1].split == split {
		e.segs[n-1].text += text
		return nil
	}
	e.segs = append(e.segs, segment{text, split})
	return nil
}

func expandSegments(word string, vars Lookup, opt ExpandOptions) ([]segment, error) {
	e := &expander{vars: vars, opt: opt}
	if err := e.run(word, opt.Quoted); err != nil {
		return nil, err
	}
	return e.segs, nil
}

// run expands s; dq tells whether s is inside double quotes.
func (e *expander) run(s string, dq bool) error {
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > 16 {
		return fmt.Errorf("%w: expansions nested too deeply", ErrSyntax)
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				if err := e.add(`\`, false); err != nil {
					return err
				}
				i++
				continue
			}
			n := s[i+1]
			if n == '\n' {
				i += 2
				continue
			}
			if dq && strings.IndexByte("$`\"\\", n) < 0 {
				if err := e.add(s[i:i+2], false); err != nil {
					return err
				}
			} else if err := e.add(string(n), false); err != nil {
				return err
			}
			i += 2
		case c == '\'' && !dq:
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return fmt.Errorf("%w: unterminated ' quote", ErrSyntax)
			}
			if err := e.add(s[i+1:i+1+j], false); err != nil {
				return err
			}
			i += j + 2
		case c == '"' && !dq:
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return fmt.Errorf("%w: unterminated \" quote", ErrSyntax)
			}
			if err := e.run(s[i+1:j], true); err != nil {
				return err
			}
			if i+1 == j {
				// "" is an empty word, not nothing.
				if err := e.add("", false); err != nil {
					return err
				}
			}
			i = j + 1
		case c == '`':
			j := i + 1
			var cmd strings.Builder
			for j < len(s) && s[j] != '`' {
				if s[j] == '\\' && j+1 < len(s) && strings.IndexByte("$`\\", s[j+1]) >= 0 {
					j++
				}
				cmd.WriteByte(s[j])
				j++
			}
			if j >= len(s) {
				return fmt.Errorf("%w: unterminated ` quote", ErrSyntax)
			}
			i = j + 1
			if e.opt.DryRun {
				continue
			}
			if e.opt.Command == nil {
				return fmt.Errorf("%w: command substitution (`...`)", ErrForbidden)
			}
			out, err := e.opt.Command(cmd.String())
			if err != nil {
				return err
			}
			if err := e.add(strings.TrimRight(out, "\n"), !dq); err != nil {
				return err
			}
		case c == '$':
			n, err := e.dollar(s[i:], dq)
			if err != nil {
				return err
			}
			i += n
		default:
			j := i + 1
			for j < len(s) && strings.IndexByte("\\'\"`$", s[j]) < 0 {
				j++
			}
			if err := e.add(s[i:j], false); err != nil {
				return err
			}
			i = j
		}
	}
	return nil
}

// dollar expands the `$...` at the start of s and returns its length.
func (e *expander) dollar(s string, dq bool) (int, error) {
	if len(s) < 2 {
		return 1, e.add("$", false)
	}
	c := s[1]
	switch {
	case c == '{':
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return 0, fmt.Errorf("%w: missing } in ${...}", ErrSyntax)
		}
		body := s[2:end]
		i := 0
		for i < len(body) && isNameChar(body[i]) {
			i++
		}
		name := body[:i]
		if name == "" && len(body) > 0 && strings.IndexByte("#$?_-=@", body[0]) >= 0 {
			name, i = body[:1], 1
		}
		if name == "" {
			return 0, fmt.Errorf("%w: bad substitution ${%s}", ErrSyntax, abbreviate(body))
		}
		op := body[i:]
		val, set := e.get(name)
		switch {
		case op == "":
			return end + 1, e.add(val, !dq)
		case strings.HasPrefix(op, ":-"), strings.HasPrefix(op, "-"):
			colon := op[0] == ':'
			word := strings.TrimPrefix(strings.TrimPrefix(op, ":"), "-")
			if set && (!colon || val != "") {
				return end + 1, e.add(val, !dq)
			}
			return end + 1, e.run(word, dq)
		case strings.HasPrefix(op, ":+"), strings.HasPrefix(op, "+"):
			colon := op[0] == ':'
			word := strings.TrimPrefix(strings.TrimPrefix(op, ":"), "+")
			if set && (!colon || val != "") {
				return end + 1, e.run(word, dq)
			}
			return end + 1, nil
		}
		return 0, fmt.Errorf("%w: unsupported substitution ${%s}", ErrUnsupported, abbreviate(body))
	case c == '\\':
		i := 2
		for i < len(s) && isNameChar(s[i]) {
			i++
		}
		if i == 2 {
			return 2, e.add(`$\`, false)
		}
		val, _ := e.get(s[2:i])
		return i, e.add(QuoteMeta(val), false)
	case isNameStart(c):
		i := 2
		for i < len(s) && isNameChar(s[i]) {
			i++
		}
		val, _ := e.get(s[1:i])
		return i, e.add(val, !dq)
	case c >= '0' && c <= '9' || strings.IndexByte("#$?_-=@", c) >= 0:
		val, _ := e.get(s[1:2])
		return 2, e.add(val, !dq)
	}
	return 1, e.add("$", false)
}

func (e *expander) get(name string) (string, bool) {
	if e.opt.DryRun || e.vars == nil {
		return "", false
	}
	return e.vars.Get(name)
}
