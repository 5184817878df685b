package config

import (
	"bytes"
	"fmt"
	"strings"
)

// token is one argument of a directive with the physical line it starts on.
type token struct {
	s    string
	line int
}

// logicalLine is a directive after continuation lines were joined.
type logicalLine struct {
	line int    // first physical line
	text string // joined text, before tokenizing (for schema directives)
	toks []token
}

// segment maps a byte offset of a logical line to its physical line.
type segment struct {
	off, line int
}

// lex splits a slapd.conf file into logical lines the way slapd reads it:
//
//   - A line that begins with white space continues the previous line (its
//     first white space character becomes a space).
//   - A line ending in a single backslash continues with the next line, the
//     backslash removed and nothing inserted (slapd's fp_getline does this,
//     although slapd.conf(5) does not document it).
//   - Continuations are joined before comments are recognized: a logical
//     line whose first character is '#' is a comment, as is a blank one;
//     '#' anywhere else is an ordinary character.
//   - Arguments are separated by spaces and tabs. Double quotes group an
//     argument and are removed (they may start mid-argument); a backslash
//     makes the next character literal, inside quotes or not, and is
//     removed. An unterminated quote is an error.
//
// Lines may end in CRLF. Errors (unterminated quotes) are returned with the
// lines that lexed cleanly.
func lex(data []byte) ([]logicalLine, []lineErr) {
	var out []logicalLine
	var errs []lineErr
	var cur []byte
	var segs []segment
	start := 0
	have := false
	flush := func() {
		if !have {
			return
		}
		have = false
		text := string(cur)
		t := strings.TrimLeft(text, " \t")
		if t == "" || text[0] == '#' {
			return
		}
		toks, err := tokenize(text, segs)
		if err != nil {
			errs = append(errs, lineErr{line: start, msg: err.Error()})
			return
		}
		if len(toks) == 0 {
			return
		}
		out = append(out, logicalLine{line: start, text: text, toks: toks})
	}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var raw []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			raw, data = data, nil
		}
		raw = bytes.TrimSuffix(raw, []byte("\r"))
		switch {
		case have && len(cur) > 0 && cur[len(cur)-1] == '\\' && (len(cur) < 2 || cur[len(cur)-2] != '\\'):
			cur = cur[:len(cur)-1]
			segs = append(segs, segment{off: len(cur), line: lineNo})
			cur = append(cur, raw...)
		case have && len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t'):
			segs = append(segs, segment{off: len(cur), line: lineNo})
			cur = append(cur, ' ')
			cur = append(cur, raw[1:]...)
		default:
			flush()
			have = true
			start = lineNo
			cur = append(cur[:0], raw...)
			segs = append(segs[:0], segment{off: 0, line: lineNo})
		}
	}
	flush()
	return out, errs
}

// lineAt returns the physical line of byte offset off.
func lineAt(segs []segment, off int) int {
	l := segs[0].line
	for _, s := range segs {
		if s.off > off {
			break
		}
		l = s.line
	}
	return l
}

// tokenize splits a logical line into arguments (see lex).
func tokenize(text string, segs []segment) ([]token, error) {
	var toks []token
	var b strings.Builder
	inTok, inQuote := false, false
	quoteStart, tokStart := 0, 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '"':
			if !inTok {
				inTok, tokStart = true, i
			}
			inQuote = !inQuote
			if inQuote {
				quoteStart = i
			}
		case c == '\\':
			if !inTok {
				inTok, tokStart = true, i
			}
			if i+1 < len(text) {
				i++
				b.WriteByte(text[i])
			} else {
				b.WriteByte(c)
			}
		case (c == ' ' || c == '\t') && !inQuote:
			if inTok {
				toks = append(toks, token{s: b.String(), line: lineAt(segs, tokStart)})
				b.Reset()
				inTok = false
			}
		default:
			if !inTok {
				inTok, tokStart = true, i
			}
			b.WriteByte(c)
		}
	}
	if inQuote {
		rest := text[quoteStart:]
		if len(rest) > 60 {
			rest = rest[:60] + "..."
		}
		return nil, fmt.Errorf("unterminated quoted string %s", rest)
	}
	if inTok {
		toks = append(toks, token{s: b.String(), line: lineAt(segs, tokStart)})
	}
	return toks, nil
}

// lineErr is an error on a line of the file being lexed.
type lineErr struct {
	line int
	msg  string
}
