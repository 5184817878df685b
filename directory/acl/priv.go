package acl

import (
	"fmt"
	"strings"
)

// Priv is a set of access privileges as a bitmask, the form access checks
// are evaluated in. A level (read, write, ...) is a cumulative mask: each
// level holds the privileges of every lower level.
type Priv uint16

// The single privileges, named after the letters of slapd.access(5)'s
// <priv> form.
const (
	PrivDisclose Priv = 1 << iota // d: disclose information on error
	PrivAuth                      // x: use for authentication (bind)
	PrivCompare                   // c: compare
	PrivSearch                    // s: use in a search filter
	PrivRead                      // r: read
	PrivAdd                       // a: add values / entries
	PrivDelete                    // z: delete values / entries
	PrivManage                    // m: manage (bypass schema and NO-USER-MODIFICATION)

	// PrivWrite is write: add and delete (w, equivalent to az).
	PrivWrite = PrivAdd | PrivDelete
	// PrivAll holds every privilege.
	PrivAll = PrivDisclose | PrivAuth | PrivCompare | PrivSearch | PrivRead | PrivWrite | PrivManage
)

// The access levels of slapd.access(5), each implying the lower ones:
// none < disclose < auth < compare < search < read < {add, delete} < write < manage.
const (
	LevelNone     Priv = 0
	LevelDisclose      = PrivDisclose
	LevelAuth          = LevelDisclose | PrivAuth
	LevelCompare       = LevelAuth | PrivCompare
	LevelSearch        = LevelCompare | PrivSearch
	LevelRead          = LevelSearch | PrivRead
	LevelAdd           = LevelRead | PrivAdd
	LevelDelete        = LevelRead | PrivDelete
	LevelWrite         = LevelRead | PrivWrite
	LevelManage        = LevelWrite | PrivManage
)

// levels maps level names to their masks, in ascending order.
var levels = []struct {
	name string
	mask Priv
}{
	{"none", LevelNone},
	{"disclose", LevelDisclose},
	{"auth", LevelAuth},
	{"compare", LevelCompare},
	{"search", LevelSearch},
	{"read", LevelRead},
	{"add", LevelAdd},
	{"delete", LevelDelete},
	{"write", LevelWrite},
	{"manage", LevelManage},
}

// privLetters maps the letters of the <priv> form to privileges, in the
// order slapd prints them.
var privLetters = []struct {
	letter byte
	priv   Priv
}{
	{'m', PrivManage},
	{'w', PrivWrite},
	{'a', PrivAdd},
	{'z', PrivDelete},
	{'r', PrivRead},
	{'s', PrivSearch},
	{'c', PrivCompare},
	{'x', PrivAuth},
	{'d', PrivDisclose},
}

// LevelByName returns the mask of a level name (case-insensitive).
func LevelByName(name string) (Priv, bool) {
	for _, l := range levels {
		if strings.EqualFold(l.name, name) {
			return l.mask, true
		}
	}
	return 0, false
}

// String prints a mask in the <priv> letter form slapd prints (for
// example "wrscxd"), or "0" for no privileges.
func (p Priv) String() string {
	if p == 0 {
		return "0"
	}
	var b strings.Builder
	rest := p
	for _, l := range privLetters {
		if rest&l.priv == l.priv {
			b.WriteByte(l.letter)
			rest &^= l.priv
		}
	}
	return b.String()
}

// Op says how a Grant combines with the privileges granted so far.
type Op uint8

// The ways a Grant applies.
const (
	// OpLevel assigns a level (none, read, write, ...): like OpSet, but
	// written as a level name.
	OpLevel Op = iota
	// OpSet assigns exactly the given privileges (=).
	OpSet
	// OpAdd adds privileges to those granted so far (+).
	OpAdd
	// OpRemove removes privileges from those granted so far (-).
	OpRemove
)

// Grant is the <access> field of a by clause.
type Grant struct {
	Op    Op
	Privs Priv
	// Level is the level name as written (lower case) when Op is OpLevel.
	Level string
	// Self restricts the grant to operations that involve the requester's
	// own (authorization) DN as a value, as in selfwrite.
	Self bool
	// RealSelf is Self with the authentication DN (realself prefix).
	RealSelf bool
}

// Apply returns the privileges after this grant is applied to cur.
func (g Grant) Apply(cur Priv) Priv {
	switch g.Op {
	case OpAdd:
		return cur | g.Privs
	case OpRemove:
		return cur &^ g.Privs
	default:
		return g.Privs
	}
}

// String prints the grant as slapd.conf syntax.
func (g Grant) String() string {
	prefix := ""
	switch {
	case g.RealSelf:
		prefix = "realself"
	case g.Self:
		prefix = "self"
	}
	switch g.Op {
	case OpLevel:
		return prefix + g.Level
	case OpSet:
		return prefix + "=" + g.Privs.String()
	case OpAdd:
		return prefix + "+" + g.Privs.String()
	default:
		return prefix + "-" + g.Privs.String()
	}
}

// parseGrant parses an <access> field: [[real]self]{<level>|<priv>}.
// ok is false when s is not an access field at all (so the caller can
// try other interpretations); err reports a malformed one.
func parseGrant(s string) (g Grant, ok bool, err error) {
	rest := s
	low := strings.ToLower(s)
	switch {
	case strings.HasPrefix(low, "realself") && len(s) > len("realself"):
		g.RealSelf = true
		rest = s[len("realself"):]
	case strings.HasPrefix(low, "self") && len(s) > len("self"):
		g.Self = true
		rest = s[len("self"):]
	}
	if rest == "" {
		return Grant{}, false, nil
	}
	if m, found := LevelByName(rest); found {
		g.Op = OpLevel
		g.Privs = m
		g.Level = strings.ToLower(rest)
		return g, true, nil
	}
	switch rest[0] {
	case '=':
		g.Op = OpSet
	case '+':
		g.Op = OpAdd
	case '-':
		g.Op = OpRemove
	default:
		if g.Self || g.RealSelf {
			return Grant{}, true, fmt.Errorf("unknown access level %q after self", rest)
		}
		return Grant{}, false, nil
	}
	letters := rest[1:]
	if letters == "" {
		return Grant{}, true, fmt.Errorf("access %q: no privileges after %q (use 0 for none)", s, rest[:1])
	}
	if letters == "0" {
		return g, true, nil
	}
	for i := 0; i < len(letters); i++ {
		c := letters[i]
		if c == '0' {
			return Grant{}, true, fmt.Errorf("access %q: 0 must be used by itself", s)
		}
		found := false
		for _, l := range privLetters {
			if l.letter == c {
				g.Privs |= l.priv
				found = true
				break
			}
		}
		if !found {
			return Grant{}, true, fmt.Errorf("access %q: unknown privilege %q (want one of m w a z r s c x d 0)", s, string(c))
		}
	}
	return g, true, nil
}
