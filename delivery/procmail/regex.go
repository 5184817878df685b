package procmail

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Macros are the special tokens procmail replaces inside a regular
// expression before compiling it (procmailrc(5), MISCELLANEOUS). Longer
// names come first so that ^TO_ is not taken for ^TO followed by "_".
var macros = [...]struct{ name, expansion string }{
	{"^TO_", `(^((Original-)?(Resent-)?(To|Cc|Bcc)|(X-Envelope|Apparently(-Resent)?)-To):(.*[^-a-zA-Z0-9_.])?)`},
	{"^TO", `(^((Original-)?(Resent-)?(To|Cc|Bcc)|(X-Envelope|Apparently(-Resent)?)-To):(.*[^a-zA-Z])?)`},
	{"^FROM_DAEMON", `(^(Mailing-List:|Precedence:.*(junk|bulk|list)|To: Multiple recipients of |(((Resent-)?(From|Sender)|X-Envelope-From):|>?From )([^>]*[^(.%@a-z0-9])?(Post(ma?(st(e?r)?|n)|office)|(send)?Mail(er)?|daemon|m(mdf|ajordomo)|n?uucp|LIST(SERV|proc)|NETSERV|o(wner|ps)|r(e(quest|sponse)|oot)|b(ounce|bs\.smtp)|echo|mirror|s(erv(ices?|er)|mtp(error)?|ystem)|A(dmin(istrator)?|MMGR|utoanswer))(([^).!:a-z0-9][-_a-z0-9]*)?[%@>	 ][^<)]*(\(.*\).*)?)?$([^>]|$)))`},
	{"^FROM_MAILER", `(^(((Resent-)?(From|Sender)|X-Envelope-From):|>?From )([^>]*[^(.%@a-z0-9])?(Post(ma(st(er)?|n)|office)|(send)?Mail(er)?|daemon|mmdf|n?uucp|ops|r(esponse|oot)|(bbs\.)?smtp(error)?|s(erv(ices?|er)|ystem)|A(dmin(istrator)?|MMGR))(([^).!:a-z0-9][-_a-z0-9]*)?[%@>	 ][^<)]*(\(.*\).*)?)?$([^>]|$))`},
}

// ExpandMacros replaces ^TO_, ^TO, ^FROM_DAEMON and ^FROM_MAILER in a
// procmail regular expression by their expansions. A macro is recognised
// only where its "^" is not escaped and not inside a bracket expression.
func ExpandMacros(re string) string {
	if !strings.Contains(re, "^") {
		return re
	}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(re); i++ {
		c := re[i]
		switch {
		case c == '\\' && i+1 < len(re):
			b.WriteByte(c)
			b.WriteByte(re[i+1])
			i++
			continue
		case inClass:
			if c == ']' {
				inClass = false
			}
			b.WriteByte(c)
			continue
		case c == '[':
			inClass = true
			b.WriteByte(c)
			// A ']' right after '[' or '[^' is literal.
			if i+1 < len(re) && re[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(re) && re[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
			continue
		case c == '^':
			done := false
			for _, m := range macros {
				if strings.HasPrefix(re[i:], m.name) {
					b.WriteString(m.expansion)
					i += len(m.name) - 1
					done = true
					break
				}
			}
			if done {
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Regex is a procmail regular expression translated to Go's RE2 syntax.
type Regex struct {
	// Source is the procmail expression as written (before macros).
	Source string
	// Test decides whether the expression matches and counts matches for
	// weighted conditions. Its quantifiers are non-greedy, which
	// approximates procmail's leftmost-shortest search.
	Test *regexp.Regexp
	// Match is set when the expression contains `\/`: group 1 is the text
	// for MATCH. The part before `\/` is non-greedy, the part after greedy,
	// as procmail assigns the longest match of the right part found after
	// the shortest left part.
	Match *regexp.Regexp

	// emptyAtEnd: the expression matches an empty line, which procmail
	// also finds after a final newline (RE2's multi-line ^ does not match
	// at the end of the text).
	emptyAtEnd bool
}

// Matches reports whether the expression matches text as procmail would.
func (r *Regex) Matches(text string) bool {
	if r.Test.MatchString(text) {
		return true
	}
	return r.emptyAtEnd && strings.HasSuffix(text, "\n")
}

// Count returns the number of matches procmail counts for a weighted
// condition (at most limit), and whether the count is infinite (an empty
// match before the end of the text: procmail's search does not advance).
func (r *Regex) Count(text string, limit int) (n int, infinite bool) {
	locs := r.Test.FindAllStringIndex(text, limit)
	for _, l := range locs {
		if l[0] == l[1] && l[0] < len(text) {
			return len(locs), true
		}
	}
	n = len(locs)
	endEmpty := n > 0 && locs[n-1][0] == len(text) && locs[n-1][1] == len(text)
	if r.emptyAtEnd && !endEmpty && len(text) > 0 && strings.HasSuffix(text, "\n") && n < limit {
		n++
	}
	return n, false
}

// maxRegexLen bounds the length of a translated expression: RE2 is linear
// in the text, but a huge program is still memory.
const maxRegexLen = 64 << 10

// ErrRegex is wrapped by every translation error.
var ErrRegex = errors.New("invalid regular expression")

// Translate translates a regular expression in procmail's egrep dialect
// (after macro expansion) into RE2 and compiles it. caseSensitive is the
// recipe's D flag. See the package documentation for the differences.
func Translate(src string, caseSensitive bool) (*Regex, error) {
	expanded := ExpandMacros(src)
	if len(expanded) > maxRegexLen {
		return nil, fmt.Errorf("%w %q: longer than %d bytes", ErrRegex, abbreviate(src), maxRegexLen)
	}
	split, err := findSplit(expanded)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrRegex, abbreviate(src), err)
	}
	prefix := "(?i)"
	if caseSensitive {
		prefix = ""
	}
	r := &Regex{Source: src}
	if split < 0 {
		t := &translator{src: expanded, lazy: true}
		out, err := t.translate(true, true)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %v", ErrRegex, abbreviate(src), err)
		}
		if r.Test, err = regexp.Compile(prefix + out); err != nil {
			return nil, fmt.Errorf("%w %q: %v", ErrRegex, abbreviate(src), err)
		}
		r.emptyAtEnd = !strings.HasPrefix(expanded, "^^") && r.Test.MatchString("")
		return r, nil
	}
	left, right := expanded[:split], expanded[split+2:]
	lt := &translator{src: left, lazy: true}
	lout, err := lt.translate(true, false)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrRegex, abbreviate(src), err)
	}
	rtLazy := &translator{src: right, lazy: true}
	routLazy, err := rtLazy.translate(!lt.consumed, true)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrRegex, abbreviate(src), err)
	}
	rt := &translator{src: right}
	rout, err := rt.translate(!lt.consumed, true)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrRegex, abbreviate(src), err)
	}
	if r.Test, err = regexp.Compile(prefix + "(?:" + lout + ")(?:" + routLazy + ")"); err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrRegex, abbreviate(src), err)
	}
	if r.Match, err = regexp.Compile(prefix + "(?:" + lout + ")(" + rout + ")"); err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrRegex, abbreviate(src), err)
	}
	r.emptyAtEnd = !strings.HasPrefix(expanded, "^^") && r.Test.MatchString("")
	return r, nil
}

// findSplit returns the offset of the first `\/` outside brackets, or -1.
// A `\/` inside parentheses is refused.
func findSplit(s string) (int, error) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) && s[i+1] == '/' {
				if depth > 0 {
					return 0, errors.New(`\/ inside parentheses is not supported`)
				}
				return i, nil
			}
			i++
		case '[':
			j, _, err := scanClass(s, i)
			if err != nil {
				return 0, err
			}
			i = j - 1
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		}
	}
	return -1, nil
}

// translator converts one procmail expression (no `\/` at top level) to RE2.
type translator struct {
	src      string
	pos      int
	lazy     bool // make quantifiers non-greedy
	consumed bool // whether the top-level sequence consumed text anywhere
	depth    int
}

// maxDepth bounds parenthesis nesting (RE2 has its own limit of 1000).
const maxDepth = 200

// translate translates the whole source. atStart tells whether nothing
// precedes it (so "^" is a start-of-line assertion); atEnd whether nothing
// follows it (so "$" may match at the end of the text).
func (t *translator) translate(atStart, atEnd bool) (string, error) {
	out, consumed, err := t.alternation(atStart, atEnd)
	if err != nil {
		return "", err
	}
	if t.pos < len(t.src) {
		return "", fmt.Errorf("unmatched ) at offset %d", t.pos)
	}
	t.consumed = consumed
	return out, nil
}

// alternation parses branches separated by '|' up to ')' or the end.
func (t *translator) alternation(atStart, atEnd bool) (string, bool, error) {
	var branches []string
	consumedAll := true
	for {
		s, consumed, err := t.sequence(atStart, atEnd)
		if err != nil {
			return "", false, err
		}
		branches = append(branches, s)
		consumedAll = consumedAll && consumed
		if t.pos < len(t.src) && t.src[t.pos] == '|' {
			t.pos++
			continue
		}
		break
	}
	return strings.Join(branches, "|"), consumedAll, nil
}

// piece is one atom of a sequence with its quantifier.
type piece struct {
	re       string
	quant    byte // 0, '*', '+', '?'
	consumes bool // the atom consumes text
	single   bool // re is one atom that can take a quantifier directly
}

func (p piece) String(lazy bool) string {
	if p.quant == 0 {
		return p.re
	}
	s := p.re
	if !p.single {
		s = "(?:" + s + ")"
	}
	s += string(p.quant)
	if lazy {
		s += "?"
	}
	return s
}

// sequence parses atoms up to '|', ')' or the end.
func (t *translator) sequence(atStart, atEnd bool) (string, bool, error) {
	var ps []piece
	start := atStart
	consumed := false
	for t.pos < len(t.src) {
		c := t.src[t.pos]
		if c == '|' || c == ')' {
			break
		}
		switch c {
		case '*', '+', '?':
			t.pos++
			if len(ps) == 0 {
				ps = append(ps, piece{re: regexp.QuoteMeta(string(c)), consumes: true, single: true})
				start, consumed = false, true
				continue
			}
			last := &ps[len(ps)-1]
			switch {
			case last.quant == 0:
				last.quant = c
			case last.quant == c && c != '*':
			default:
				last.quant = '*'
			}
			if last.quant == '*' || last.quant == '?' {
				// An optional atom no longer guarantees consumption, but
				// "^" after it is still not at the start of a line.
				last.consumes = false
			}
			continue
		case '(':
			t.pos++
			t.depth++
			if t.depth > maxDepth {
				return "", false, fmt.Errorf("parentheses nested deeper than %d", maxDepth)
			}
			inner, innerConsumed, err := t.alternation(start, atEnd)
			if err != nil {
				return "", false, err
			}
			if t.pos >= len(t.src) || t.src[t.pos] != ')' {
				return "", false, errors.New("missing )")
			}
			t.pos++
			t.depth--
			ps = append(ps, piece{re: "(?:" + inner + ")", consumes: innerConsumed, single: true})
			if innerConsumed || inner != "" {
				start = false
			}
			consumed = consumed || innerConsumed
			continue
		case '[':
			end, class, err := scanClass(t.src, t.pos)
			if err != nil {
				return "", false, err
			}
			t.pos = end
			ps = append(ps, piece{re: class, consumes: true, single: true})
			start, consumed = false, true
			continue
		case '.':
			t.pos++
			ps = append(ps, piece{re: ".", consumes: true, single: true})
			start, consumed = false, true
			continue
		case '^':
			t.pos++
			if t.pos < len(t.src) && t.src[t.pos] == '^' {
				t.pos++
				if t.pos == 2 && start {
					ps = append(ps, piece{re: `\A`})
				} else {
					ps = append(ps, piece{re: `\z`})
				}
				continue
			}
			if start {
				ps = append(ps, piece{re: `(?m:^)`, single: true})
			} else {
				ps = append(ps, piece{re: `\n`, consumes: true, single: true})
				consumed = true
			}
			continue
		case '$':
			t.pos++
			if atEnd && onlyClosing(t.src[t.pos:]) {
				ps = append(ps, piece{re: `(?:\n|\z)`, consumes: true, single: true})
			} else {
				ps = append(ps, piece{re: `\n`, consumes: true, single: true})
			}
			start, consumed = false, true
			continue
		case '\\':
			t.pos++
			if t.pos >= len(t.src) {
				ps = append(ps, piece{re: `\\`, consumes: true, single: true})
				start, consumed = false, true
				continue
			}
			e := t.src[t.pos]
			switch e {
			case '<':
				t.pos++
				ps = append(ps, piece{re: `(?:\A|[^a-zA-Z0-9_])`, consumes: true, single: true})
			case '>':
				t.pos++
				ps = append(ps, piece{re: `(?:[^a-zA-Z0-9_]|\z)`, consumes: true, single: true})
			default:
				r, n := utf8.DecodeRuneInString(t.src[t.pos:])
				t.pos += n
				ps = append(ps, piece{re: literal(r), consumes: true, single: true})
			}
			start, consumed = false, true
			continue
		}
		r, n := utf8.DecodeRuneInString(t.src[t.pos:])
		t.pos += n
		ps = append(ps, piece{re: literal(r), consumes: true, single: true})
		start, consumed = false, true
	}
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String(t.lazy))
	}
	return b.String(), consumed, nil
}

// onlyClosing reports whether s is made of ')' only (the rest of the
// expression after a "$" when that "$" ends it).
func onlyClosing(s string) bool {
	return strings.Trim(s, ")") == ""
}

// literal returns r as an RE2 literal. Invalid UTF-8 bytes in the source
// become U+FFFD, which is what RE2 also sees for them in the text.
func literal(r rune) string {
	if r < utf8.RuneSelf {
		return regexp.QuoteMeta(string(r))
	}
	return fmt.Sprintf(`\x{%x}`, r)
}

// scanClass parses a bracket expression starting at s[i] == '[' and returns
// the offset after it and its RE2 form. As in procmail, a leading ']' (after
// an optional '^') is literal, '-' first or last is literal, a backslash
// quotes the next character, there are no named classes, and a negated
// class never matches a newline.
func scanClass(s string, i int) (int, string, error) {
	j := i + 1
	neg := false
	if j < len(s) && s[j] == '^' {
		neg = true
		j++
	}
	type item struct{ lo, hi rune }
	var items []item
	first := true
	for {
		if j >= len(s) {
			return 0, "", errors.New("missing ] in bracket expression")
		}
		if s[j] == ']' && !first {
			j++
			break
		}
		first = false
		lo, n := classChar(s, j)
		j += n
		if j+1 < len(s) && s[j] == '-' && s[j+1] != ']' {
			hi, m := classChar(s, j+1)
			j += 1 + m
			if hi < lo {
				return 0, "", fmt.Errorf("invalid range %q-%q in bracket expression", lo, hi)
			}
			items = append(items, item{lo, hi})
			continue
		}
		items = append(items, item{lo, lo})
	}
	var b strings.Builder
	b.WriteByte('[')
	if neg {
		b.WriteByte('^')
	}
	for _, it := range items {
		fmt.Fprintf(&b, `\x{%x}`, it.lo)
		if it.hi != it.lo {
			fmt.Fprintf(&b, `-\x{%x}`, it.hi)
		}
	}
	if neg {
		b.WriteString(`\n`)
	}
	b.WriteByte(']')
	return j, b.String(), nil
}

// classChar decodes one character of a bracket expression at s[j].
func classChar(s string, j int) (rune, int) {
	if s[j] == '\\' && j+1 < len(s) {
		r, n := utf8.DecodeRuneInString(s[j+1:])
		return r, n + 1
	}
	return utf8.DecodeRuneInString(s[j:])
}

// QuoteMeta returns s with every character that is special in procmail's
// regular expressions preceded by a backslash, as procmail's $\VAR does.
// The result starts with "()" so that it can never form "^^" or a macro
// with what precedes it.
func QuoteMeta(s string) string {
	var b strings.Builder
	b.WriteString("()")
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(`\^$.[]|()*+?`, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func abbreviate(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
