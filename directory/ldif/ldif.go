// Package ldif reads and writes LDIF (RFC 2849) as slapadd, slapcat, ldapadd
// and ldapmodify do: content records (a DN and its attributes) and change
// records (changetype add, delete, modify, modrdn/moddn).
//
// The reader keeps attribute and value order exactly as written, folds
// continuation lines, decodes base64 values (`attr:: ...`), and refuses URL
// values (`attr:< file://...`) unless the caller allows them, so that an
// LDIF file from an untrusted source cannot read local files. Every record
// and line is bounded by the reader's limits.
//
// The writer produces the form slapcat writes: `dn:` first, base64 for values
// that are not safe strings (and always for userPassword, as OpenLDAP does),
// lines folded at 76 columns, records separated by a blank line.
package ldif

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"hostdir/directory/entry"
)

// ChangeType says what a record asks for.
type ChangeType int

// Change types of RFC 2849. A content record (no changetype line) is
// ChangeNone; ldapadd -a and slapadd treat it as an add.
const (
	ChangeNone ChangeType = iota
	ChangeAdd
	ChangeDelete
	ChangeModify
	ChangeModRDN
)

func (c ChangeType) String() string {
	switch c {
	case ChangeAdd:
		return "add"
	case ChangeDelete:
		return "delete"
	case ChangeModify:
		return "modify"
	case ChangeModRDN:
		return "modrdn"
	default:
		return "content"
	}
}

// ModOp is the operation of one modification in a changetype: modify record.
type ModOp int

// Modification operations (values as in RFC 4511 and RFC 4525).
const (
	ModAdd       ModOp = 0
	ModDelete    ModOp = 1
	ModReplace   ModOp = 2
	ModIncrement ModOp = 3
)

// Mod is one modification of a changetype: modify record.
type Mod struct {
	Op     ModOp
	Type   string
	Values [][]byte
}

// Record is one LDIF record.
type Record struct {
	// Line is the line number where the record starts (1-based).
	Line int
	// Change is ChangeNone for a content record.
	Change ChangeType
	// Entry holds the DN and, for content and add records, the attributes.
	Entry entry.Entry
	// Mods holds the modifications of a modify record.
	Mods []Mod
	// NewRDN, DeleteOldRDN and NewSuperior describe a modrdn record.
	NewRDN       string
	DeleteOldRDN bool
	NewSuperior  string
	// HasNewSuperior tells whether a newsuperior line was present.
	HasNewSuperior bool
	// Controls lists the `control:` lines of a change record, as written.
	Controls []string
}

// Error is a problem in an LDIF input, with the line it was found on.
type Error struct {
	Name string // input name, e.g. a file name
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// Default limits of a Reader.
const (
	DefaultMaxLineBytes   = 4 << 20  // one logical line (after folding)
	DefaultMaxRecordBytes = 64 << 20 // one record
)

// Reader reads LDIF records one at a time.
type Reader struct {
	// Name is used in error messages.
	Name string
	// AllowURLs permits `attr:< file:///path` values (slapadd and ldapadd
	// allow them; hostdir's import does only when asked).
	AllowURLs bool
	// MaxLineBytes and MaxRecordBytes bound memory use; zero means the defaults.
	MaxLineBytes   int
	MaxRecordBytes int

	br      *bufio.Reader
	line    int // number of the last physical line read
	pending []byte
	hasPend bool
	pendNo  int
	version bool
	eof     bool
}

// NewReader returns a Reader reading from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10)}
}

// logicalLine is one unfolded line and the physical line where it began.
type logicalLine struct {
	text []byte
	no   int
}

func (r *Reader) maxLine() int {
	if r.MaxLineBytes > 0 {
		return r.MaxLineBytes
	}
	return DefaultMaxLineBytes
}

func (r *Reader) maxRecord() int {
	if r.MaxRecordBytes > 0 {
		return r.MaxRecordBytes
	}
	return DefaultMaxRecordBytes
}

func (r *Reader) errf(line int, format string, args ...any) error {
	return &Error{Name: r.Name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// physical returns the next physical line without its line ending.
func (r *Reader) physical() ([]byte, int, error) {
	if r.hasPend {
		r.hasPend = false
		return r.pending, r.pendNo, nil
	}
	if r.eof {
		return nil, 0, io.EOF
	}
	var buf []byte
	for {
		frag, err := r.br.ReadSlice('\n')
		if len(buf)+len(frag) > r.maxLine()+2 {
			return nil, 0, r.errf(r.line+1, "line longer than %d bytes", r.maxLine())
		}
		buf = append(buf, frag...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			r.eof = true
			if len(buf) == 0 {
				return nil, 0, io.EOF
			}
		} else if err != nil {
			return nil, 0, fmt.Errorf("read ldif: %w", err)
		}
		break
	}
	r.line++
	buf = bytes.TrimSuffix(buf, []byte("\n"))
	buf = bytes.TrimSuffix(buf, []byte("\r"))
	return buf, r.line, nil
}

func (r *Reader) unread(b []byte, no int) {
	r.pending, r.pendNo, r.hasPend = b, no, true
}

// nextRecordLines collects the unfolded, comment-free lines of the next
// record. It returns io.EOF when no record is left.
func (r *Reader) nextRecordLines() ([]logicalLine, error) {
	var lines []logicalLine
	total := 0
	inComment := false
	for {
		b, no, err := r.physical()
		if err == io.EOF {
			if len(lines) == 0 {
				return nil, io.EOF
			}
			return lines, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == 0 {
			if len(lines) == 0 {
				inComment = false
				continue // blank lines between records
			}
			return lines, nil
		}
		if b[0] == ' ' {
			if inComment {
				continue
			}
			if len(lines) == 0 {
				return nil, r.errf(no, "continuation line without a line to continue")
			}
			last := &lines[len(lines)-1]
			if len(last.text)+len(b)-1 > r.maxLine() {
				return nil, r.errf(no, "line longer than %d bytes", r.maxLine())
			}
			last.text = append(last.text, b[1:]...)
			total += len(b) - 1
		} else if b[0] == '#' {
			inComment = true
			continue
		} else {
			inComment = false
			lines = append(lines, logicalLine{text: append([]byte(nil), b...), no: no})
			total += len(b)
		}
		if total > r.maxRecord() {
			return nil, r.errf(no, "record larger than %d bytes", r.maxRecord())
		}
	}
}

// splitLine parses `type: value`, `type:: base64` and `type:< url`.
func (r *Reader) splitLine(l logicalLine) (string, []byte, error) {
	i := bytes.IndexByte(l.text, ':')
	if i <= 0 {
		return "", nil, r.errf(l.no, "missing ':' after attribute description")
	}
	typ := string(l.text[:i])
	if !validAttrDesc(typ) {
		return "", nil, r.errf(l.no, "invalid attribute description %q", typ)
	}
	rest := l.text[i+1:]
	switch {
	case len(rest) > 0 && rest[0] == ':':
		enc := bytes.TrimLeft(rest[1:], " ")
		enc = bytes.TrimRight(enc, " ")
		val := make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
		n, err := base64.StdEncoding.Decode(val, enc)
		if err != nil {
			return "", nil, r.errf(l.no, "%s: invalid base64 value", typ)
		}
		return typ, val[:n], nil
	case len(rest) > 0 && rest[0] == '<':
		u := strings.TrimSpace(string(rest[1:]))
		if !r.AllowURLs {
			return "", nil, r.errf(l.no, "%s: URL values (%s) are not allowed here", typ, u)
		}
		val, err := readURL(u, r.maxLine())
		if err != nil {
			return "", nil, r.errf(l.no, "%s: %v", typ, err)
		}
		return typ, val, nil
	default:
		return typ, bytes.TrimLeft(rest, " "), nil
	}
}

func readURL(u string, limit int) ([]byte, error) {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "file" {
		return nil, fmt.Errorf("only file:// URLs are supported, got %q", u)
	}
	f, err := os.Open(p.Path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", p.Path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p.Path, err)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", p.Path, limit)
	}
	return b, nil
}

// validAttrDesc accepts an attribute description: a name or OID with options.
func validAttrDesc(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == ';' || c == '_') {
			return false
		}
	}
	return true
}

// Next returns the next record, or io.EOF when the input is exhausted.
func (r *Reader) Next() (*Record, error) {
	for {
		lines, err := r.nextRecordLines()
		if err != nil {
			return nil, err
		}
		// A leading "version: 1" may stand alone or head the first record.
		if !r.version {
			r.version = true
			typ, val, err := r.splitLine(lines[0])
			if err == nil && strings.EqualFold(typ, "version") {
				if string(val) != "1" {
					return nil, r.errf(lines[0].no, "unsupported LDIF version %q", val)
				}
				lines = lines[1:]
				if len(lines) == 0 {
					continue
				}
			}
		}
		return r.parseRecord(lines)
	}
}

func (r *Reader) parseRecord(lines []logicalLine) (*Record, error) {
	typ, val, err := r.splitLine(lines[0])
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(typ, "dn") {
		return nil, r.errf(lines[0].no, "record does not start with dn:, got %q", typ)
	}
	rec := &Record{Line: lines[0].no}
	rec.Entry.DN = string(val)
	lines = lines[1:]
	for len(lines) > 0 {
		typ, val, err := r.splitLine(lines[0])
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(typ, "control") {
			break
		}
		rec.Controls = append(rec.Controls, string(val))
		lines = lines[1:]
	}
	if len(lines) > 0 {
		typ, val, err := r.splitLine(lines[0])
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(typ, "changetype") {
			switch strings.ToLower(string(val)) {
			case "add":
				rec.Change = ChangeAdd
			case "delete":
				rec.Change = ChangeDelete
			case "modify":
				rec.Change = ChangeModify
			case "modrdn", "moddn":
				rec.Change = ChangeModRDN
			default:
				return nil, r.errf(lines[0].no, "unknown changetype %q", val)
			}
			lines = lines[1:]
		}
	}
	switch rec.Change {
	case ChangeNone, ChangeAdd:
		if err := r.parseAttrs(rec, lines); err != nil {
			return nil, err
		}
	case ChangeDelete:
		if len(lines) > 0 {
			return nil, r.errf(lines[0].no, "unexpected line in a delete record")
		}
	case ChangeModify:
		if err := r.parseMods(rec, lines); err != nil {
			return nil, err
		}
	case ChangeModRDN:
		if err := r.parseModRDN(rec, lines); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

func (r *Reader) parseAttrs(rec *Record, lines []logicalLine) error {
	for _, l := range lines {
		typ, val, err := r.splitLine(l)
		if err != nil {
			return err
		}
		if strings.EqualFold(typ, "changetype") || strings.EqualFold(typ, "dn") {
			return r.errf(l.no, "unexpected %s: line", typ)
		}
		addValue(&rec.Entry, typ, val)
	}
	return nil
}

// addValue appends val to the attribute typ, keeping first-seen order.
func addValue(e *entry.Entry, typ string, val []byte) {
	if a := e.Get(typ); a != nil {
		a.Values = append(a.Values, val)
		return
	}
	e.Attrs = append(e.Attrs, entry.Attribute{Type: typ, Values: [][]byte{val}})
}

func (r *Reader) parseMods(rec *Record, lines []logicalLine) error {
	for len(lines) > 0 {
		op, typ, err := r.splitLine(lines[0])
		if err != nil {
			return err
		}
		var m Mod
		switch strings.ToLower(op) {
		case "add":
			m.Op = ModAdd
		case "delete":
			m.Op = ModDelete
		case "replace":
			m.Op = ModReplace
		case "increment":
			m.Op = ModIncrement
		default:
			return r.errf(lines[0].no, "unknown modify operation %q", op)
		}
		m.Type = string(typ)
		if !validAttrDesc(m.Type) {
			return r.errf(lines[0].no, "invalid attribute description %q", m.Type)
		}
		start := lines[0].no
		lines = lines[1:]
		ended := false
		for len(lines) > 0 {
			if string(lines[0].text) == "-" {
				lines = lines[1:]
				ended = true
				break
			}
			at, val, err := r.splitLine(lines[0])
			if err != nil {
				return err
			}
			if !strings.EqualFold(at, m.Type) {
				return r.errf(lines[0].no, "attribute %q in a %s of %q (missing '-'?)", at, op, m.Type)
			}
			m.Values = append(m.Values, val)
			lines = lines[1:]
		}
		if !ended && len(lines) > 0 {
			return r.errf(start, "modification not terminated by '-'")
		}
		rec.Mods = append(rec.Mods, m)
	}
	return nil
}

func (r *Reader) parseModRDN(rec *Record, lines []logicalLine) error {
	seen := map[string]bool{}
	for _, l := range lines {
		typ, val, err := r.splitLine(l)
		if err != nil {
			return err
		}
		key := strings.ToLower(typ)
		if seen[key] {
			return r.errf(l.no, "%s given twice", typ)
		}
		seen[key] = true
		switch key {
		case "newrdn":
			rec.NewRDN = string(val)
		case "deleteoldrdn":
			switch string(val) {
			case "0":
				rec.DeleteOldRDN = false
			case "1":
				rec.DeleteOldRDN = true
			default:
				return r.errf(l.no, "deleteoldrdn must be 0 or 1, got %q", val)
			}
		case "newsuperior":
			rec.NewSuperior = string(val)
			rec.HasNewSuperior = true
		default:
			return r.errf(l.no, "unexpected %s: line in a modrdn record", typ)
		}
	}
	if !seen["newrdn"] {
		return r.errf(rec.Line, "modrdn record without newrdn")
	}
	if !seen["deleteoldrdn"] {
		return r.errf(rec.Line, "modrdn record without deleteoldrdn")
	}
	return nil
}

// ErrClosed is returned by a Writer used after Close.
var ErrClosed = errors.New("ldif: writer closed")

// Writer writes LDIF content records in slapcat's form.
type Writer struct {
	w *bufio.Writer
	// Wrap is the column at which lines are folded; 0 means 76, negative
	// means never fold (slapcat -o ldif-wrap=no).
	Wrap   int
	n      int
	closed bool
	buf    []byte
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 64<<10)}
}

// Write writes e as one content record.
func (w *Writer) Write(e *entry.Entry) error {
	if w.closed {
		return ErrClosed
	}
	b := w.buf[:0]
	if w.n > 0 {
		b = append(b, '\n')
	}
	b = w.appendLine(b, "dn", []byte(e.DN))
	for _, a := range e.Attrs {
		for _, v := range a.Values {
			b = w.appendLine(b, a.Type, v)
		}
	}
	w.buf = b
	w.n++
	if _, err := w.w.Write(b); err != nil {
		return fmt.Errorf("write ldif: %w", err)
	}
	return nil
}

// Close flushes buffered output.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("write ldif: %w", err)
	}
	return nil
}

func (w *Writer) appendLine(b []byte, typ string, val []byte) []byte {
	start := len(b)
	b = append(b, typ...)
	if MustBase64(typ, val) {
		b = append(b, ":: "...)
		b = base64.StdEncoding.AppendEncode(b, val)
	} else {
		b = append(b, ": "...)
		b = append(b, val...)
	}
	return w.fold(b, start)
}

// fold inserts "\n " so that no line starting at start exceeds the wrap width.
func (w *Writer) fold(b []byte, start int) []byte {
	width := w.Wrap
	if width == 0 {
		width = 76
	}
	line := b[start:]
	if width < 0 || len(line) <= width {
		return append(b, '\n')
	}
	out := append([]byte(nil), line...)
	b = b[:start]
	first := true
	for len(out) > 0 {
		n := width
		if !first {
			n = width - 1
		}
		if n > len(out) {
			n = len(out)
		}
		// Do not split a UTF-8 sequence.
		for n < len(out) && n > 1 && out[n]&0xC0 == 0x80 {
			n--
		}
		if !first {
			b = append(b, ' ')
		}
		b = append(b, out[:n]...)
		b = append(b, '\n')
		out = out[n:]
		first = false
	}
	return b
}

// MustBase64 reports whether a value must be written base64-encoded: it is
// not an RFC 2849 SAFE-STRING (a leading space, ':' or '<', a trailing space,
// a NUL, CR or LF, or a byte outside ASCII), or the type is userPassword,
// which OpenLDAP always encodes.
func MustBase64(typ string, val []byte) bool {
	if strings.EqualFold(typ, "userPassword") || strings.HasPrefix(strings.ToLower(typ), "userpassword;") {
		return true
	}
	if len(val) == 0 {
		return false
	}
	if c := val[0]; c == ' ' || c == ':' || c == '<' {
		return true
	}
	if val[len(val)-1] == ' ' {
		return true
	}
	for _, c := range val {
		if c == 0 || c == '\n' || c == '\r' || c >= 0x80 {
			return true
		}
	}
	return false
}
