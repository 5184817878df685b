package lmtp

import (
	"errors"
	"strconv"
	"strings"
)

// MaxPathLength bounds the text between the angle brackets of a MAIL FROM
// or RCPT TO path (RFC 5321 allows 256 octets for a path).
const MaxPathLength = 512

// Command is one parsed command line.
type Command struct {
	// Verb is the command name in upper case ("LHLO", "MAIL", ...).
	Verb string
	// Arg is the text after the verb and one space, as sent.
	Arg string
}

// Errors of the command parser; each maps to one reply.
var (
	// ErrSyntax: the line is not "VERB [ARGS]" in printable ASCII (or
	// UTF-8 in arguments).
	ErrSyntax = errors.New("syntax error")
	// ErrPath: MAIL FROM/RCPT TO without a well-formed <path>.
	ErrPath = errors.New("bad address syntax")
	// ErrParam: a malformed or unsupported MAIL/RCPT parameter.
	ErrParam = errors.New("unsupported or malformed parameter")
)

// ParseCommand splits one command line (without its line ending) into
// verb and argument. The verb is 1 to 16 ASCII letters; the line may not
// hold NUL, CR, LF or other control characters but horizontal tab.
func ParseCommand(line string) (Command, error) {
	for i := 0; i < len(line); i++ {
		if c := line[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return Command{}, ErrSyntax
		}
	}
	verb, arg, _ := strings.Cut(line, " ")
	if len(verb) == 0 || len(verb) > 16 {
		return Command{}, ErrSyntax
	}
	for i := 0; i < len(verb); i++ {
		c := verb[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return Command{}, ErrSyntax
		}
	}
	return Command{Verb: strings.ToUpper(verb), Arg: arg}, nil
}

// Param is one ESMTP parameter, KEYWORD[=VALUE]; Keyword is upper case.
type Param struct {
	Keyword, Value string
	HasValue       bool
}

// ParsePathArg parses the argument of MAIL ("FROM:<path> params") or RCPT
// ("TO:<path> params"): prefix is "FROM:" or "TO:" (case-insensitive; white
// space after the colon is tolerated). It returns the address inside the
// angle brackets without a source route ("" for "<>") and the parameters.
func ParsePathArg(arg, prefix string) (string, []Param, error) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", nil, ErrSyntax
	}
	rest := strings.TrimLeft(arg[len(prefix):], " \t")
	addr, rest, err := parsePath(rest)
	if err != nil {
		return "", nil, err
	}
	if rest != "" && rest[0] != ' ' {
		return "", nil, ErrPath
	}
	var params []Param
	for _, f := range strings.Fields(rest) {
		k, v, has := strings.Cut(f, "=")
		if k == "" || len(k) > 32 {
			return "", nil, ErrParam
		}
		for i := 0; i < len(k); i++ {
			c := k[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' && i > 0) {
				return "", nil, ErrParam
			}
		}
		if has && v == "" {
			return "", nil, ErrParam
		}
		params = append(params, Param{Keyword: strings.ToUpper(k), Value: v, HasValue: has})
		if len(params) > 16 {
			return "", nil, ErrParam
		}
	}
	return addr, params, nil
}

// parsePath reads "<...>" at the start of s, honouring quoted strings and
// backslash escapes inside them, and returns the address (source route
// removed) and the text after '>'.
func parsePath(s string) (string, string, error) {
	if !strings.HasPrefix(s, "<") {
		return "", "", ErrPath
	}
	quoted, escaped := false, false
	end := -1
	for i := 1; i < len(s) && end < 0; i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case quoted && c == '\\':
			escaped = true
		case c == '"':
			quoted = !quoted
		case !quoted && c == '>':
			end = i
		case !quoted && (c == ' ' || c == '\t' || c == '<'):
			return "", "", ErrPath
		}
	}
	if end < 0 {
		return "", "", ErrPath
	}
	addr := s[1:end]
	if len(addr) > MaxPathLength {
		return "", "", ErrPath
	}
	// A source route "@a,@b:user@d" names hosts to relay through: ignored
	// (RFC 5321, 3.3 and C).
	if strings.HasPrefix(addr, "@") {
		i := strings.IndexByte(addr, ':')
		if i < 0 {
			return "", "", ErrPath
		}
		addr = addr[i+1:]
		if addr == "" {
			return "", "", ErrPath
		}
	}
	return addr, s[end+1:], nil
}

// mailParams are the MAIL FROM parameters the server takes.
type mailParams struct {
	size     int64 // -1 when not given
	body     string
	smtputf8 bool
}

// parseMailParams checks the MAIL parameters: SIZE=n, BODY=7BIT|8BITMIME,
// SMTPUTF8 (when allowed). Anything else is ErrParam.
func parseMailParams(params []Param, utf8 bool) (mailParams, error) {
	mp := mailParams{size: -1}
	seen := map[string]bool{}
	for _, p := range params {
		if seen[p.Keyword] {
			return mp, ErrParam
		}
		seen[p.Keyword] = true
		switch p.Keyword {
		case "SIZE":
			if !p.HasValue || len(p.Value) > 18 {
				return mp, ErrParam
			}
			n, err := strconv.ParseInt(p.Value, 10, 64)
			if err != nil || n < 0 || p.Value[0] == '+' {
				return mp, ErrParam
			}
			mp.size = n
		case "BODY":
			v := strings.ToUpper(p.Value)
			if v != "7BIT" && v != "8BITMIME" {
				return mp, ErrParam
			}
			mp.body = v
		case "SMTPUTF8":
			if p.HasValue || !utf8 {
				return mp, ErrParam
			}
			mp.smtputf8 = true
		default:
			return mp, ErrParam
		}
	}
	return mp, nil
}
