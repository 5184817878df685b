package procmail

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Pos is a position in a rule file.
type Pos struct {
	// File is the file name as given to Parse.
	File string
	// Line counts from 1.
	Line int
}

func (p Pos) String() string {
	if p.Line <= 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// PosError is an error at a position of a rule file.
type PosError struct {
	Pos Pos
	Err error
}

func (e *PosError) Error() string { return e.Pos.String() + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *PosError) Unwrap() error { return e.Err }

// SyntaxError lists the problems found in a rule file. A file with a
// SyntaxError is never applied.
type SyntaxError struct {
	Errors []*PosError
}

func (e *SyntaxError) Error() string {
	var b strings.Builder
	for i, pe := range e.Errors {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(pe.Error())
	}
	return b.String()
}

// Unwrap returns the individual errors.
func (e *SyntaxError) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, pe := range e.Errors {
		out[i] = pe
	}
	return out
}

// ErrSyntax is wrapped by syntax problems; ErrUnsupported by constructs this
// implementation does not support; ErrForbidden by constructs a virtual
// user's rule file may not use.
var (
	ErrSyntax      = errors.New("syntax error")
	ErrUnsupported = errors.New("unsupported")
	ErrForbidden   = errors.New("not allowed in a virtual user's rules")
)

// Mode selects what a rule file may do.
type Mode int

const (
	// Local is a system user's ~/.procmailrc: pipes, backquotes, program
	// conditions, INCLUDERC and SWITCHRC are allowed, paths are free.
	Local Mode = iota
	// Virtual is a virtual user's FilterFile: no programs, no other files,
	// every folder and the LOGFILE inside the user's maildir.
	Virtual
)

func (m Mode) String() string {
	if m == Virtual {
		return "virtual"
	}
	return "local"
}

// Item is an element of a rule file: *Assign or *Recipe.
type Item interface {
	// Position returns where the item starts.
	Position() Pos
}

// Assign is a variable assignment `NAME=value` or an unset `NAME`.
type Assign struct {
	Pos Pos
	// Name is the variable.
	Name string
	// Value is the raw (unexpanded) shell word; "" with Unset false is
	// an assignment of the empty string.
	Value string
	// Unset is true for a bare `NAME`.
	Unset bool
}

// Position implements Item.
func (a *Assign) Position() Pos { return a.Pos }

// Skip is text on an assignment line that procmail ignores ("Skipped").
type Skip struct {
	Pos  Pos
	Text string
}

// Position implements Item.
func (s *Skip) Position() Pos { return s.Pos }

// Flags are a recipe's flags.
type Flags struct {
	// H, B: search the header, the body (default H only).
	H, B bool
	// D: case-sensitive conditions.
	D bool
	// A, AS (a), Else (E), Err (e): chaining.
	A, AS, Else, Err bool
	// Head, Body (h, b): what is delivered (default both).
	Head, Body bool
	// Filter (f), Copy (c), Wait (w), WaitQuiet (W), IgnoreErr (i), Raw (r).
	Filter, Copy, Wait, WaitQuiet, IgnoreErr, Raw bool
}

// Recipe is `:0 flags [:lock]`, its conditions and its action.
type Recipe struct {
	Pos Pos
	// FlagText is the flags as written.
	FlagText string
	Flags    Flags
	// Lock is the local lockfile name ("" with HasLock: the default one).
	// Locks are accepted and ignored: maildir delivery needs none.
	Lock    string
	HasLock bool
	Conds   []*Cond
	Action  Action
}

// Position implements Item.
func (r *Recipe) Position() Pos { return r.Pos }

// CondKind is the kind of a condition.
type CondKind int

// Condition kinds.
const (
	CondRegex   CondKind = iota // `regex` on the search area
	CondVar                     // `VAR ?? regex`
	CondLess                    // `< N`
	CondGreater                 // `> N`
	CondProgram                 // `? program`
	CondExpand                  // `$ text`: expanded, then parsed again
)

// Cond is one condition line.
type Cond struct {
	Pos Pos
	// Text is the condition after `*`, weight and prefixes.
	Text     string
	Kind     CondKind
	Negate   bool
	Weighted bool
	W, X     float64
	// Regex is set for CondRegex and CondVar.
	Regex *Regex
	// Var is the variable of CondVar ("H", "B", "HB", "BH" select an area).
	Var string
	// Size is the number of CondLess and CondGreater.
	Size int64
}

// ActionKind is the kind of a recipe's action.
type ActionKind int

// Action kinds.
const (
	ActFolder  ActionKind = iota // one or more folders
	ActForward                   // `! addresses`
	ActPipe                      // `| command`, `VAR=| command`
	ActBlock                     // `{ ... }`
)

// Action is a recipe's action line or block.
type Action struct {
	Pos  Pos
	Kind ActionKind
	// Text is the raw action after `!` or `|` (the folder words for
	// ActFolder).
	Text string
	// Capture is VAR of `VAR=| command`.
	Capture string
	// Words are the raw words of ActFolder and ActForward.
	Words []string
	// Items is the block of ActBlock.
	Items []Item
}

// File is a parsed rule file.
type File struct {
	Name  string
	Mode  Mode
	Items []Item
}

// maxNesting bounds block nesting.
const maxNesting = 64

// maxFileSize bounds a rule file.
const maxFileSize = 1 << 20

// Parse parses a procmail rule file. name is used in positions. In Virtual
// mode the constructs a virtual user may not use are refused here (wrapping
// ErrForbidden), so a refused file is never partly applied. The error, if
// any, is a *SyntaxError.
func Parse(name string, src []byte, mode Mode) (*File, error) {
	p := &parser{name: name, src: string(src), line: 1, mode: mode}
	if len(src) > maxFileSize {
		return nil, &SyntaxError{Errors: []*PosError{{Pos{name, 1}, fmt.Errorf("%w: file larger than %d bytes", ErrUnsupported, maxFileSize)}}}
	}
	if strings.IndexByte(p.src, 0) >= 0 {
		return nil, &SyntaxError{Errors: []*PosError{{Pos{name, 1}, fmt.Errorf("%w: NUL byte in rule file", ErrSyntax)}}}
	}
	items := p.items(0, 0)
	if len(p.errs) > 0 {
		return nil, &SyntaxError{Errors: p.errs}
	}
	return &File{Name: name, Mode: mode, Items: items}, nil
}

type parser struct {
	name string
	src  string
	pos  int
	line int
	mode Mode
	errs []*PosError
}

// maxErrors stops parsing a hopeless file.
const maxErrors = 20

func (p *parser) errorf(line int, kind error, format string, args ...any) {
	if len(p.errs) < maxErrors {
		p.errs = append(p.errs, &PosError{Pos{p.name, line}, fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))})
	}
}

// addErr records err, marking it as a syntax error unless it already is
// one of the package's kinds.
func (p *parser) addErr(line int, err error) {
	if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrForbidden) && !errors.Is(err, ErrUnsupported) {
		err = fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	if len(p.errs) < maxErrors {
		p.errs = append(p.errs, &PosError{Pos{p.name, line}, err})
	}
}

func (p *parser) at() Pos { return Pos{p.name, p.line} }

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) advance() byte {
	c := p.src[p.pos]
	p.pos++
	if c == '\n' {
		p.line++
	}
	return c
}

// skipSpace skips blanks, newlines, backslash-newlines and comments.
func (p *parser) skipSpace() {
	for !p.eof() {
		c := p.peek()
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.advance()
		case c == '\\' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '\n':
			p.advance()
			p.advance()
		case c == '#':
			p.skipLine()
		default:
			return
		}
	}
}

// skipBlanks skips spaces and tabs on the current line.
func (p *parser) skipBlanks() {
	for !p.eof() && (p.peek() == ' ' || p.peek() == '\t' || p.peek() == '\r') {
		p.advance()
	}
}

// skipLine skips to just after the next newline.
func (p *parser) skipLine() {
	for !p.eof() {
		if p.advance() == '\n' {
			return
		}
	}
}

// rawLine returns the rest of the physical line joined with continuation
// lines (a line ending in a backslash), without the final newline. When
// trimCont is set, leading blanks of continuation lines are removed and
// the backslash-newline dropped; otherwise they are kept as written.
func (p *parser) rawLine(trimCont bool) string {
	var b strings.Builder
	for !p.eof() {
		c := p.peek()
		if c == '\n' {
			p.advance()
			break
		}
		if c == '\\' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '\n' {
			p.advance()
			p.advance()
			if trimCont {
				p.skipBlanks()
			} else {
				b.WriteString("\\\n")
			}
			continue
		}
		b.WriteByte(p.advance())
	}
	return b.String()
}

func (p *parser) items(depth, open int) []Item {
	var items []Item
	for {
		p.skipSpace()
		if p.eof() {
			if depth > 0 {
				p.errorf(open, ErrSyntax, "missing } for the block opened here")
			}
			return items
		}
		if len(p.errs) >= maxErrors {
			p.pos = len(p.src)
			return items
		}
		switch c := p.peek(); {
		case c == '}':
			if depth == 0 {
				p.errorf(p.line, ErrSyntax, "unexpected }")
				p.advance()
				continue
			}
			p.advance()
			return items
		case c == ':':
			if r := p.recipe(depth); r != nil {
				items = append(items, r)
			}
		case isNameStart(c):
			items = append(items, p.assignment(depth)...)
		default:
			line := p.line
			text := p.rawLine(true)
			p.errorf(line, ErrSyntax, "unexpected %q (neither a recipe nor an assignment)", abbreviate(text))
		}
	}
}

func isNameStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isNameChar(c byte) bool { return isNameStart(c) || (c >= '0' && c <= '9') }

// assignment parses `NAME[=value] [more words]` lines.
func (p *parser) assignment(depth int) []Item {
	pos := p.at()
	words, ok := p.words(depth)
	if !ok {
		return nil
	}
	var out []Item
	for i, w := range words {
		name, value, hasEq := splitAssign(w)
		if name == "" {
			// procmail skips what is not an assignment.
			rest := strings.Join(words[i:], " ")
			if i == 0 {
				p.errorf(pos.Line, ErrSyntax, "unexpected %q", abbreviate(rest))
				return out
			}
			out = append(out, &Skip{Pos: pos, Text: rest})
			break
		}
		a := &Assign{Pos: pos, Name: name, Value: value, Unset: !hasEq}
		if p.mode == Virtual {
			switch name {
			case "INCLUDERC", "SWITCHRC", "TRAP":
				p.errorf(pos.Line, ErrForbidden, "assignment to %s", name)
			}
			if strings.Contains(value, "`") {
				p.errorf(pos.Line, ErrForbidden, "command substitution (`...`)")
			}
		}
		if err := checkWord(value); err != nil {
			p.addErr(pos.Line, err)
		}
		out = append(out, a)
	}
	return out
}

// splitAssign splits a word `NAME=value` (or `NAME`); name is "" when the
// word is neither.
func splitAssign(w string) (name, value string, hasEq bool) {
	i := 0
	for i < len(w) && isNameChar(w[i]) {
		i++
	}
	if i == 0 || !isNameStart(w[0]) {
		return "", "", false
	}
	if i == len(w) {
		return w, "", false
	}
	if w[i] != '=' {
		return "", "", false
	}
	return w[:i], w[i+1:], true
}

// words reads shell words up to an unquoted newline (or a lone `}` inside
// a block, which is left for the caller). The blanks around the first '='
// of an assignment are removed, as procmail ignores them. Words keep their
// quotes; Expand removes them later.
func (p *parser) words(depth int) ([]string, bool) {
	var words []string
	var cur strings.Builder
	inWord := false
	startLine := p.line
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for !p.eof() {
		c := p.peek()
		switch {
		case c == '\n':
			p.advance()
			flush()
			return joinAssign(words), true
		case c == '\\' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '\n':
			p.advance()
			p.advance()
		case c == ' ' || c == '\t' || c == '\r':
			p.advance()
			flush()
		case c == '#' && !inWord:
			p.skipLine()
			flush()
			return joinAssign(words), true
		case c == '}' && !inWord && depth > 0 && p.loneBrace():
			flush()
			return joinAssign(words), true
		case c == '\'' || c == '"' || c == '`':
			inWord = true
			s, ok := p.quoted(c)
			if !ok {
				p.errorf(startLine, ErrSyntax, "unterminated %c quote", c)
				return nil, false
			}
			cur.WriteString(s)
		case c == '\\':
			inWord = true
			cur.WriteByte(p.advance())
			if !p.eof() {
				cur.WriteByte(p.advance())
			}
		case c == '$' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '{':
			inWord = true
			for !p.eof() {
				ch := p.advance()
				cur.WriteByte(ch)
				if ch == '}' || ch == '\n' {
					break
				}
			}
		default:
			inWord = true
			cur.WriteByte(p.advance())
		}
	}
	flush()
	return joinAssign(words), true
}

// loneBrace reports whether the '}' at p.pos is followed by a blank, a
// newline or the end (a word of its own).
func (p *parser) loneBrace() bool {
	if p.pos+1 >= len(p.src) {
		return true
	}
	switch p.src[p.pos+1] {
	case ' ', '\t', '\n', '\r', '#':
		return true
	}
	return false
}

// joinAssign merges `NAME`, `=`, `value` (written with blanks around '=')
// into `NAME=value`.
func joinAssign(words []string) []string {
	if len(words) >= 2 && isName(words[0]) && strings.HasPrefix(words[1], "=") {
		if words[1] == "=" {
			if len(words) >= 3 {
				return append([]string{words[0] + "=" + words[2]}, words[3:]...)
			}
			return []string{words[0] + "="}
		}
		return append([]string{words[0] + words[1]}, words[2:]...)
	}
	if len(words) >= 2 && strings.HasSuffix(words[0], "=") && isName(strings.TrimSuffix(words[0], "=")) {
		return append([]string{words[0] + words[1]}, words[2:]...)
	}
	return words
}

func isName(s string) bool {
	if s == "" || !isNameStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

// quoted reads a quoted string starting at the quote character q and
// returns it with its quotes.
func (p *parser) quoted(q byte) (string, bool) {
	var b strings.Builder
	b.WriteByte(p.advance())
	for !p.eof() {
		c := p.advance()
		if c == '\\' && q != '\'' && !p.eof() {
			b.WriteByte(c)
			b.WriteByte(p.advance())
			continue
		}
		b.WriteByte(c)
		if c == q {
			return b.String(), true
		}
	}
	return "", false
}

// checkWord checks a raw word for expansions this implementation cannot
// perform (validated again at run time).
func checkWord(w string) error {
	_, err := Expand(w, emptyLookup{}, ExpandOptions{DryRun: true})
	return err
}

type emptyLookup struct{}

func (emptyLookup) Get(string) (string, bool) { return "", false }

// recipe parses a recipe starting at ':'.
func (p *parser) recipe(depth int) *Recipe {
	r := &Recipe{Pos: p.at()}
	p.advance() // ':'
	head := p.rawLine(true)
	if i := strings.IndexByte(head, '#'); i >= 0 {
		head = head[:i]
	}
	numEnd := 0
	for numEnd < len(head) && head[numEnd] >= '0' && head[numEnd] <= '9' {
		numEnd++
	}
	if numEnd == 0 {
		p.errorf(r.Pos.Line, ErrSyntax, "recipe must start with :0")
		return nil
	}
	if n, err := strconv.Atoi(head[:numEnd]); err != nil || n != 0 {
		p.errorf(r.Pos.Line, ErrUnsupported, "old-style recipe :%s (use :0 and * conditions)", head[:numEnd])
		return nil
	}
	rest := head[numEnd:]
	flagPart, lock, hasLock := strings.Cut(rest, ":")
	r.HasLock = hasLock
	r.Lock = strings.TrimSpace(lock)
	r.FlagText = strings.Join(strings.Fields(flagPart), "")
	if !p.setFlags(r, r.FlagText) {
		return nil
	}
	if r.HasLock && strings.ContainsAny(r.Lock, " \t") {
		p.errorf(r.Pos.Line, ErrSyntax, "lockfile %q is more than one word", r.Lock)
	}
	// Conditions.
	for {
		p.skipSpace()
		if p.eof() || p.peek() != '*' {
			break
		}
		line := p.line
		p.advance()
		text := strings.TrimSpace(p.rawLine(true))
		c, err := ParseCondition(text, r.Flags.D, p.mode, false)
		if err != nil {
			p.addErr(line, err)
			continue
		}
		c.Pos = Pos{p.name, line}
		r.Conds = append(r.Conds, c)
	}
	// Action.
	if p.eof() || p.peek() == '}' || p.peek() == ':' {
		p.errorf(r.Pos.Line, ErrSyntax, "recipe has no action line")
		return nil
	}
	r.Action.Pos = p.at()
	c := p.peek()
	switch {
	case c == '{' && (p.pos+1 >= len(p.src) || strings.IndexByte(" \t\n\r", p.src[p.pos+1]) >= 0):
		if depth+1 > maxNesting {
			p.errorf(p.line, ErrUnsupported, "blocks nested deeper than %d", maxNesting)
			p.pos = len(p.src)
			return nil
		}
		open := p.line
		p.advance()
		r.Action.Kind = ActBlock
		r.Action.Items = p.items(depth+1, open)
	case c == '!':
		p.advance()
		r.Action.Kind = ActForward
		if !p.actionWords(r, depth, "forward without an address") {
			return nil
		}
	case c == '|' || capturePrefix(p.src[p.pos:]) != "":
		r.Action.Kind = ActPipe
		if c != '|' {
			r.Action.Capture = capturePrefix(p.src[p.pos:])
			for p.peek() != '|' {
				p.advance()
			}
		}
		p.advance() // '|'
		r.Action.Text = strings.TrimSpace(p.rawLine(false))
		if p.mode == Virtual {
			p.errorf(r.Action.Pos.Line, ErrForbidden, "pipe to a program (|)")
		}
		if r.Action.Text == "" {
			p.errorf(r.Action.Pos.Line, ErrUnsupported, "a pipe without a program (delivery to standard output)")
		}
	default:
		r.Action.Kind = ActFolder
		if !p.actionWords(r, depth, "empty action line") {
			return nil
		}
	}
	if r.Flags.Filter && r.Action.Kind != ActPipe {
		p.errorf(r.Pos.Line, ErrSyntax, "flag f needs a pipe action")
	}
	return r
}

// actionWords reads the words of a folder or forward action into r. It
// reports emptyMsg for an action line without words and returns false when
// the recipe must be dropped.
func (p *parser) actionWords(r *Recipe, depth int, emptyMsg string) bool {
	words, ok := p.words(depth)
	if !ok {
		return false
	}
	if len(words) == 0 {
		p.errorf(r.Action.Pos.Line, ErrSyntax, "%s", emptyMsg)
		return false
	}
	for _, w := range words {
		if err := checkWord(w); err != nil {
			p.addErr(r.Action.Pos.Line, err)
		}
		if p.mode == Virtual && strings.Contains(w, "`") {
			p.errorf(r.Action.Pos.Line, ErrForbidden, "command substitution (`...`)")
		}
	}
	r.Action.Text = strings.Join(words, " ")
	r.Action.Words = words
	return true
}

// capturePrefix returns VAR when s starts with `VAR=|` (blanks allowed
// around '=').
func capturePrefix(s string) string {
	i := 0
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	if i == 0 || !isNameStart(s[0]) {
		return ""
	}
	name := s[:i]
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i >= len(s) || s[i] != '=' {
		return ""
	}
	i++
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i >= len(s) || s[i] != '|' {
		return ""
	}
	return name
}

func (p *parser) setFlags(r *Recipe, s string) bool {
	f := &r.Flags
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'H':
			f.H = true
		case 'B':
			f.B = true
		case 'D':
			f.D = true
		case 'A':
			f.A = true
		case 'a':
			f.AS = true
		case 'E':
			f.Else = true
		case 'e':
			f.Err = true
		case 'h':
			f.Head = true
		case 'b':
			f.Body = true
		case 'f':
			f.Filter = true
		case 'c':
			f.Copy = true
		case 'w':
			f.Wait = true
		case 'W':
			f.WaitQuiet = true
		case 'i':
			f.IgnoreErr = true
		case 'r':
			f.Raw = true
		default:
			p.errorf(r.Pos.Line, ErrSyntax, "unknown flag %q", s[i])
			return false
		}
	}
	if !f.H && !f.B {
		f.H = true
	}
	if !f.Head && !f.Body {
		f.Head, f.Body = true, true
	}
	return true
}

// ParseCondition parses the text of a condition after the `*` (trimmed).
// caseSensitive is the recipe's D flag. expanded is true when text is the
// result of a `$` expansion (a second `$` is then literal text).
func ParseCondition(text string, caseSensitive bool, mode Mode, expanded bool) (*Cond, error) {
	c := &Cond{}
	if w, x, rest, ok := parseWeight(text); ok {
		c.Weighted, c.W, c.X = true, w, x
		text = rest
	}
	for {
		text = strings.TrimLeft(text, " \t")
		if strings.HasPrefix(text, "!") {
			c.Negate = !c.Negate
			text = text[1:]
			continue
		}
		break
	}
	c.Text = text
	switch {
	case strings.HasPrefix(text, "$") && !expanded:
		c.Kind = CondExpand
		c.Text = strings.TrimLeft(text[1:], " \t")
		_, err := Expand(c.Text, emptyLookup{}, ExpandOptions{DryRun: true, Quoted: true})
		if err != nil {
			return nil, err
		}
		if mode == Virtual && strings.Contains(c.Text, "`") {
			return nil, fmt.Errorf("%w: command substitution (`...`)", ErrForbidden)
		}
		return c, nil
	case strings.HasPrefix(text, "?"):
		if mode == Virtual {
			return nil, fmt.Errorf("%w: program condition (?)", ErrForbidden)
		}
		c.Kind = CondProgram
		c.Text = strings.TrimSpace(text[1:])
		if c.Text == "" {
			return nil, fmt.Errorf("%w: ? without a program", ErrSyntax)
		}
		return c, nil
	case strings.HasPrefix(text, "<") || strings.HasPrefix(text, ">"):
		if text[0] == '<' {
			c.Kind = CondLess
		} else {
			c.Kind = CondGreater
		}
		n, err := strconv.ParseInt(strings.TrimSpace(text[1:]), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%w: size condition %q wants a number of bytes", ErrSyntax, text)
		}
		c.Size = n
		return c, nil
	case strings.HasPrefix(text, `\`):
		text = text[1:]
	default:
		if name, rest, ok := varCondition(text); ok {
			c.Kind = CondVar
			c.Var = name
			text = rest
		}
	}
	if c.Kind != CondVar {
		c.Kind = CondRegex
	}
	re, err := Translate(text, caseSensitive)
	if err != nil {
		return nil, err
	}
	c.Regex = re
	return c, nil
}

// varCondition recognises `NAME ?? rest`.
func varCondition(s string) (name, rest string, ok bool) {
	i := 0
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	if i == 0 || !isNameStart(s[0]) {
		return "", "", false
	}
	j := i
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if !strings.HasPrefix(s[j:], "??") {
		return "", "", false
	}
	return s[:i], strings.TrimLeft(s[j+2:], " \t"), true
}

// parseWeight recognises a leading `w^x` followed by a blank or the end.
func parseWeight(s string) (w, x float64, rest string, ok bool) {
	i := strings.IndexByte(s, '^')
	if i <= 0 {
		return 0, 0, s, false
	}
	ws := s[:i]
	j := i + 1
	for j < len(s) && strings.IndexByte("+-.0123456789", s[j]) >= 0 {
		j++
	}
	xs := s[i+1 : j]
	if j < len(s) && s[j] != ' ' && s[j] != '\t' {
		return 0, 0, s, false
	}
	if !isNumber(ws) || !isNumber(xs) {
		return 0, 0, s, false
	}
	w, err1 := strconv.ParseFloat(ws, 64)
	x, err2 := strconv.ParseFloat(xs, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, s, false
	}
	const limit = 2147483647
	if w > limit || w < -limit || x > limit || x < -limit {
		return 0, 0, s, false
	}
	return w, x, s[j:], true
}

func isNumber(s string) bool {
	s = strings.TrimLeft(s, "+-")
	if s == "" || strings.Count(s, ".") > 1 {
		return false
	}
	digits := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			digits = true
		case s[i] == '.':
		default:
			return false
		}
	}
	return digits
}
