package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseError reports a schema definition that could not be loaded, naming the
// file and line like slapd does. Line is the last physical line of the
// (possibly continued) directive, as slapd counts it; Directive is the
// directive keyword as written ("attributetype", "objectclass", ...), empty
// when the directive itself could not be recognised.
type ParseError struct {
	File      string
	Line      int
	Directive string
	Msg       string
}

// Error formats the error as slapd prints it, for example
// `core.schema: line 12 attributetype: AttributeType inappropriate matching rule: "caseIgnoreMatch"`.
func (e *ParseError) Error() string {
	if e.Directive == "" {
		return fmt.Sprintf("%s: line %d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: line %d %s: %s", e.File, e.Line, e.Directive, e.Msg)
}

// Extension is an X- extension of a schema description (for example
// X-ORIGIN 'RFC 4519'), kept as written so cn=Subschema can show it.
type Extension struct {
	Name   string
	Values []string
}

// rawAttr is an attribute type description as parsed, before references
// are resolved.
type rawAttr struct {
	oid        string // as written (may be a macro)
	names      []string
	desc       string
	hasDesc    bool
	obsolete   bool
	sup        string
	equality   string
	ordering   string
	substr     string
	syntax     string // as written, without the length
	syntaxLen  int
	single     bool
	collective bool
	noUserMod  bool
	usage      Usage
	ext        []Extension
}

// rawClass is an object class description as parsed.
type rawClass struct {
	oid      string
	names    []string
	desc     string
	hasDesc  bool
	obsolete bool
	sup      []string
	kind     ClassKind
	must     []string
	may      []string
	ext      []Extension
}

// rawSyntax is an ldapSyntax description as parsed.
type rawSyntax struct {
	oid     string
	desc    string
	hasDesc bool
	ext     []Extension
}

// descError is a syntax error inside a description, with the unparsed rest
// of the input as slapd shows it ("Unexpected token before  SUP name )").
type descError struct {
	what string
	rest string
}

func (e *descError) Error() string {
	if e.rest == "" && e.what == "Missing closing parenthesis" {
		return e.what + " before end of input"
	}
	return e.what + " before " + e.rest
}

// token kinds of the RFC 4512 description lexer.
const (
	tokEOF = iota
	tokLParen
	tokRParen
	tokDollar
	tokQuoted
	tokWord
)

// lexer splits an RFC 4512 description into tokens.
type lexer struct {
	s   string
	pos int
	// after the last token: rest of input for error messages
}

type token struct {
	kind int
	val  string
	end  int // offset just after the token
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func (l *lexer) next() (token, error) {
	for l.pos < len(l.s) && isSpace(l.s[l.pos]) {
		l.pos++
	}
	if l.pos >= len(l.s) {
		return token{kind: tokEOF, end: l.pos}, nil
	}
	c := l.s[l.pos]
	switch c {
	case '(':
		l.pos++
		return token{kind: tokLParen, val: "(", end: l.pos}, nil
	case ')':
		l.pos++
		return token{kind: tokRParen, val: ")", end: l.pos}, nil
	case '$':
		l.pos++
		return token{kind: tokDollar, val: "$", end: l.pos}, nil
	case '\'':
		start := l.pos + 1
		end := strings.IndexByte(l.s[start:], '\'')
		if end < 0 {
			return token{}, &descError{what: "Missing closing quote", rest: l.s[l.pos:]}
		}
		raw := l.s[start : start+end]
		l.pos = start + end + 1
		return token{kind: tokQuoted, val: unescapeQD(raw), end: l.pos}, nil
	}
	start := l.pos
	for l.pos < len(l.s) {
		c := l.s[l.pos]
		if isSpace(c) || c == '(' || c == ')' || c == '$' || c == '\'' {
			break
		}
		l.pos++
	}
	return token{kind: tokWord, val: l.s[start:l.pos], end: l.pos}, nil
}

// rest returns the unparsed input after position p, for error messages.
func (l *lexer) rest(p int) string {
	if p > len(l.s) {
		p = len(l.s)
	}
	return l.s[p:]
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// unescapeQD decodes the RFC 4512 escapes of a qdstring (\27 for a quote,
// \5C for a backslash; any \HH pair is decoded). A backslash not followed by
// two hex digits is kept as is, as slapd does.
func unescapeQD(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+2 < len(s) && hexVal(s[i+1]) >= 0 && hexVal(s[i+2]) >= 0 {
			b.WriteByte(byte(hexVal(s[i+1])<<4 | hexVal(s[i+2])))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// escapeQD encodes a string for a qdstring: ' as \27 and \ as \5C.
func escapeQD(s string) string {
	if !strings.ContainsAny(s, `'\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			b.WriteString(`\27`)
		case '\\':
			b.WriteString(`\5C`)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// validDescr reports whether s is an RFC 4512 descr: ALPHA *( ALPHA / DIGIT / "-" ).
func validDescr(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '-' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// numericOIDError checks s as a numericoid; it returns "" when s is valid,
// or slapd's complaint. Leading zeros are accepted, as slapd does.
func numericOIDError(s string) string {
	if s == "" {
		return "Expecting digit"
	}
	prevDot := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			prevDot = false
		case c == '.':
			if prevDot {
				return "Expecting digit"
			}
			prevDot = true
		default:
			return "Unexpected character"
		}
	}
	if prevDot {
		return "Expecting digit"
	}
	return ""
}

func isNumericOID(s string) bool { return numericOIDError(s) == "" }

// descParser parses one RFC 4512 description.
type descParser struct {
	lx  lexer
	tok token
	// prevEnd is the end of the token before tok, for "before" messages.
	prevEnd int
}

func (p *descParser) advance() error {
	p.prevEnd = p.tok.end
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *descParser) fail(what string) error {
	if p.tok.kind == tokEOF {
		return &descError{what: "Missing closing parenthesis"}
	}
	if p.tok.kind == tokRParen {
		// slapd shows the input from just before a misplaced ")".
		return &descError{what: what, rest: p.lx.rest(p.prevEnd)}
	}
	return &descError{what: what, rest: p.lx.rest(p.tok.end)}
}

// open consumes "(" and the OID.
func (p *descParser) open(s string) (string, error) {
	p.lx = lexer{s: s}
	if err := p.advance(); err != nil {
		return "", err
	}
	if p.tok.kind != tokLParen {
		return "", &descError{what: "Unexpected token", rest: s}
	}
	if err := p.advance(); err != nil {
		return "", err
	}
	if p.tok.kind != tokWord && p.tok.kind != tokQuoted {
		return "", p.fail("Expecting an OID")
	}
	oid := p.tok.val
	if err := p.advance(); err != nil {
		return "", err
	}
	return oid, nil
}

// qdescrs parses NAME's argument: 'a' or ( 'a' 'b' ).
func (p *descParser) qdescrs() ([]string, error) {
	return p.quotedList("Expecting a name", "Expecting a name", "Expecting a name")
}

// qdstrings parses an extension's values: 'a' or ( 'a' 'b' ).
func (p *descParser) qdstrings() ([]string, error) {
	return p.quotedList("Expecting a quoted string", "Unexpected token", "")
}

// quotedList parses 'a' or ( 'a' 'b' ), with slapd's messages: empty for
// "( )", inList for anything but a quoted string inside the list, and
// bare for a token that starts neither form ("" means "Expecting a name"
// before ")" or the end and "Unexpected token" otherwise).
func (p *descParser) quotedList(empty, inList, bare string) ([]string, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	switch p.tok.kind {
	case tokQuoted:
		v := p.tok.val
		return []string{v}, p.advance()
	case tokLParen:
		var out []string
		for {
			if err := p.advance(); err != nil {
				return nil, err
			}
			switch p.tok.kind {
			case tokQuoted:
				out = append(out, p.tok.val)
			case tokRParen:
				if len(out) == 0 {
					return nil, p.fail(empty)
				}
				return out, p.advance()
			default:
				return nil, p.fail(inList)
			}
		}
	}
	if bare != "" {
		return nil, p.fail(bare)
	}
	if p.tok.kind == tokRParen || p.tok.kind == tokEOF {
		return nil, p.fail("Expecting a name")
	}
	return nil, p.fail("Unexpected token")
}

// qdstring parses DESC's argument.
func (p *descParser) qdstring() (string, error) {
	if err := p.advance(); err != nil {
		return "", err
	}
	if p.tok.kind != tokQuoted {
		return "", p.fail("Unexpected token")
	}
	v := p.tok.val
	return v, p.advance()
}

// woid parses a single oid (descr or numericoid).
func (p *descParser) woid() (string, error) {
	if err := p.advance(); err != nil {
		return "", err
	}
	if p.tok.kind != tokWord {
		return "", p.fail("Unexpected token")
	}
	v := p.tok.val
	return v, p.advance()
}

// oids parses oid / ( oid *( $ oid ) ); an empty list "( )" is accepted.
func (p *descParser) oids() ([]string, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	switch p.tok.kind {
	case tokWord:
		v := p.tok.val
		return []string{v}, p.advance()
	case tokLParen:
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tokRParen {
			return []string{}, p.advance()
		}
		var out []string
		for {
			if p.tok.kind != tokWord {
				return nil, p.fail("Unexpected token")
			}
			out = append(out, p.tok.val)
			if err := p.advance(); err != nil {
				return nil, err
			}
			switch p.tok.kind {
			case tokRParen:
				return out, p.advance()
			case tokDollar:
				if err := p.advance(); err != nil {
					return nil, err
				}
			default:
				return nil, p.fail("Unexpected token")
			}
		}
	}
	return nil, p.fail("Expecting a name")
}

// keyword reads the option keyword of a description at the current token,
// upper-cased; done is set at the closing parenthesis. A keyword seen
// before (X- extensions excepted) is "Duplicate option".
func (p *descParser) keyword(seen map[string]bool) (kw string, done bool, err error) {
	if p.tok.kind == tokRParen {
		return "", true, nil
	}
	if p.tok.kind != tokWord {
		return "", false, p.fail("Unexpected token")
	}
	kw = strings.ToUpper(p.tok.val)
	if !strings.HasPrefix(kw, "X-") {
		if seen[kw] {
			return "", false, p.fail("Duplicate option")
		}
		seen[kw] = true
	}
	return kw, false, nil
}

// flag consumes a keyword with no argument.
func (p *descParser) flag(set *bool) error {
	if *set {
		return p.fail("Duplicate option")
	}
	*set = true
	return p.advance()
}

// extension parses an X- extension, or fails for any other keyword.
func (p *descParser) extension(kw string) (Extension, error) {
	if len(kw) < 3 || (kw[0] != 'X' && kw[0] != 'x') || kw[1] != '-' {
		return Extension{}, p.fail("Unexpected token")
	}
	vals, err := p.qdstrings()
	if err != nil {
		return Extension{}, err
	}
	return Extension{Name: kw, Values: vals}, nil
}

// parseAttributeType parses an RFC 4512 AttributeTypeDescription.
func parseAttributeType(s string) (*rawAttr, error) {
	var p descParser
	oid, err := p.open(s)
	if err != nil {
		return nil, err
	}
	a := &rawAttr{oid: oid}
	seen := map[string]bool{}
	for {
		kw, done, err := p.keyword(seen)
		if err != nil {
			return nil, err
		}
		if done {
			return a, nil
		}
		switch kw {
		case "NAME":
			if a.names, err = p.qdescrs(); err != nil {
				return nil, err
			}
		case "DESC":
			if a.desc, err = p.qdstring(); err != nil {
				return nil, err
			}
			a.hasDesc = true
		case "OBSOLETE":
			err = p.flag(&a.obsolete)
		case "SUP":
			a.sup, err = p.woid()
		case "EQUALITY":
			a.equality, err = p.woid()
		case "ORDERING":
			a.ordering, err = p.woid()
		case "SUBSTR":
			a.substr, err = p.woid()
		case "SYNTAX":
			err = p.syntax(a)
		case "SINGLE-VALUE":
			err = p.flag(&a.single)
		case "COLLECTIVE":
			err = p.flag(&a.collective)
		case "NO-USER-MODIFICATION":
			err = p.flag(&a.noUserMod)
		case "USAGE":
			var u string
			if u, err = p.woid(); err == nil {
				var ok bool
				if a.usage, ok = parseUsage(u); !ok {
					return nil, &descError{what: "Unexpected token", rest: p.lx.rest(p.prevEnd)}
				}
			}
		default:
			var x Extension
			if x, err = p.extension(p.tok.val); err == nil {
				a.ext = append(a.ext, x)
			}
		}
		if err != nil {
			return nil, err
		}
	}
}

// syntax parses SYNTAX's noidlen argument: numericoid [ "{" len "}" ],
// quoted or not.
func (p *descParser) syntax(a *rawAttr) error {
	if err := p.advance(); err != nil {
		return err
	}
	if p.tok.kind != tokWord && p.tok.kind != tokQuoted {
		return p.fail("Unexpected token")
	}
	v := p.tok.val
	if i := strings.IndexByte(v, '{'); i >= 0 {
		if !strings.HasSuffix(v, "}") || i+2 > len(v)-1 {
			return &descError{what: "Invalid syntax length", rest: p.lx.rest(p.prevEnd)}
		}
		n, err := strconv.Atoi(v[i+1 : len(v)-1])
		if err != nil || n < 0 || v[i+1] == '+' || v[i+1] == '-' {
			return &descError{what: "Invalid syntax length", rest: p.lx.rest(p.prevEnd)}
		}
		a.syntaxLen = n
		v = v[:i]
	}
	a.syntax = v
	return p.advance()
}

func parseUsage(s string) (Usage, bool) {
	switch strings.ToLower(s) {
	case "userapplications":
		return UserApplications, true
	case "directoryoperation":
		return DirectoryOperation, true
	case "distributedoperation":
		return DistributedOperation, true
	case "dsaoperation":
		return DSAOperation, true
	}
	return 0, false
}

// parseObjectClass parses an RFC 4512 ObjectClassDescription.
func parseObjectClass(s string) (*rawClass, error) {
	var p descParser
	oid, err := p.open(s)
	if err != nil {
		return nil, err
	}
	c := &rawClass{oid: oid}
	seen := map[string]bool{}
	kindSet := false
	for {
		kw, done, err := p.keyword(seen)
		if err != nil {
			return nil, err
		}
		if done {
			return c, nil
		}
		switch kw {
		case "NAME":
			c.names, err = p.qdescrs()
		case "DESC":
			c.desc, err = p.qdstring()
			c.hasDesc = true
		case "OBSOLETE":
			err = p.flag(&c.obsolete)
		case "SUP":
			c.sup, err = p.oids()
		case "ABSTRACT", "STRUCTURAL", "AUXILIARY":
			if kindSet {
				return nil, p.fail("Duplicate option")
			}
			kindSet = true
			switch kw {
			case "ABSTRACT":
				c.kind = Abstract
			case "AUXILIARY":
				c.kind = Auxiliary
			default:
				c.kind = Structural
			}
			err = p.advance()
		case "MUST":
			c.must, err = p.oids()
		case "MAY":
			c.may, err = p.oids()
		default:
			var x Extension
			if x, err = p.extension(p.tok.val); err == nil {
				c.ext = append(c.ext, x)
			}
		}
		if err != nil {
			return nil, err
		}
	}
}

// parseSyntaxDesc parses an RFC 4512 SyntaxDescription.
func parseSyntaxDesc(s string) (*rawSyntax, error) {
	var p descParser
	oid, err := p.open(s)
	if err != nil {
		return nil, err
	}
	r := &rawSyntax{oid: oid}
	for {
		if p.tok.kind == tokRParen {
			return r, nil
		}
		if p.tok.kind != tokWord {
			return nil, p.fail("Unexpected token")
		}
		switch strings.ToUpper(p.tok.val) {
		case "DESC":
			if r.hasDesc {
				return nil, p.fail("Duplicate option")
			}
			r.desc, err = p.qdstring()
			r.hasDesc = true
		default:
			var x Extension
			if x, err = p.extension(p.tok.val); err == nil {
				r.ext = append(r.ext, x)
			}
		}
		if err != nil {
			return nil, err
		}
	}
}

// logicalLine is one directive of a schema file with continuation lines
// joined; line is the number of its last physical line.
type logicalLine struct {
	text string
	line int
}

// splitLines splits a slapd configuration/schema file into logical lines: a
// line starting with white space continues the previous one; lines starting
// with '#' and empty lines are skipped (a continuation line after a comment
// belongs to the comment, as in slapd).
func splitLines(data []byte) []logicalLine {
	var out []logicalLine
	var cur strings.Builder
	curLine := 0
	have := false
	flush := func() {
		if have {
			t := strings.TrimSpace(cur.String())
			if t != "" && t[0] != '#' {
				out = append(out, logicalLine{text: t, line: curLine})
			}
		}
		cur.Reset()
		have = false
	}
	lineNo := 0
	s := string(data)
	for len(s) > 0 {
		var l string
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			l, s = s[:i], s[i+1:]
		} else {
			l, s = s, ""
		}
		lineNo++
		l = strings.TrimSuffix(l, "\r")
		if l != "" && isSpace(l[0]) {
			if have {
				cur.WriteByte(' ')
				cur.WriteString(strings.TrimLeft(l, " \t\r\f\v"))
				curLine = lineNo
			}
			continue
		}
		flush()
		if l == "" {
			continue
		}
		cur.WriteString(l)
		curLine = lineNo
		have = true
	}
	flush()
	return out
}
