// Package acl parses OpenLDAP-style access control directives
// (`access to <what> by <who> <access> <control> ...`, slapd.access(5))
// into typed rules ready for evaluation: regular expressions compiled,
// substitution templates split, DN patterns kept raw and (after Bind)
// normalized through the schema, access levels as privilege bitmasks.
//
// # Dialects
//
// hostdir reads both the OpenLDAP 2.0 syntax of the mail-hosting HOWTO and
// the OpenLDAP 2.5 syntax. They differ in two places, resolved so that the
// HOWTO keeps working and a 2.5 configuration means what it meant to 2.5:
//
//   - A bare `dn=<pattern>` (no style) is a regular expression in
//     OpenLDAP 2.0 and an exact DN (dn.base) since 2.1. hostdir reads it as
//     dn.regex when the pattern contains a regex metacharacter (one of
//     `*+?()[]{}|^$`), as the HOWTO's `dn=".*,jvd=([^,]+),..."`, and as
//     dn.base otherwise (where the two readings agree except that 2.0's
//     unanchored regex would also match longer DNs). Both readings set
//     DNPattern.Legacy; the regex reading also adds to Rule.Warnings.
//   - A bare `group=<pattern>` was expanded ($1 replaced by the first
//     submatch of the <what> regex) in OpenLDAP 2.0 and is matched
//     literally (group.exact) by 2.5. hostdir expands it when the pattern
//     holds a $n reference (what 2.0 did and what `.expand` does now) and
//     matches it exactly otherwise.
//
// # Regular expressions
//
// slapd compiles dn.regex patterns as POSIX extended regular expressions
// with REG_ICASE and runs them with regexec on the normalized DN: they are
// NOT anchored (slapd.access(5), CAVEATS: dn.regex="dc=example,dc=com" also
// matches "dc=example,dc=com,uid=joe"), so write ^ and $ yourself. hostdir
// compiles them with Go's regexp (RE2 syntax, case-insensitive,
// leftmost-longest as POSIX), unanchored likewise. Spaces after commas in a
// DN regex are removed, as slapd normalizes the pattern, since normalized
// DNs have none. Note that the slapd.conf lexer already removed one level
// of backslashes: a literal dot is written `\\.` in slapd.conf.
//
// In <who> clauses, $0..$9, ${n} and ${dn} refer to submatches of the
// <what> DN pattern, ${vn} to those of a val.regex pattern, and $$ is a
// literal $ (for the end anchor of a who regex).
//
// # Evaluation
//
// Compile turns a database's rules and the global ones into a Policy,
// evaluated as slapd's access_allowed: the first rule whose <what>
// matches (dn style against the normalized DN, filter=, attrs= with
// subtypes, entry, children, @class and !class, val= only when a value is
// checked), then its first matching <who>; continue goes on with the next
// clause, break with the next matching rule carrying the privileges
// along; a clause list ends with `by * none stop`, the rule list with
// `access to * by * none`; with no rules at all everybody reads. A
// Policy.NewEvaluator serves one operation: it caches per rule and entry
// the DN match, filter result and submatches, and group memberships, and
// offers slapd's operation checks (CanAuth, SearchBase, CanSearch,
// CanReadEntry, CanRead, Compare, Add, Delete, Modify, PasswordModify,
// ModRDN, CanDisclose), also as package functions over any Checker so
// that a server can substitute its own per-operation checker. Granted,
// ValueRules and Groups tell a server which checks it may skip and when
// evaluation may read group entries (a Fetcher may answer Unavailable
// when it cannot read at that moment; the answer is then not cached).
// The answers were compared with slapacl(8) and slapd 2.5
// (slapacl_test.go, package acltest, whose matrix also runs against
// hostdir itself).
package acl

import (
	"net"
	"regexp"
)

// Style is the matching style of a DN, value or string pattern.
type Style uint8

// The pattern styles of slapd.access(5).
const (
	// StyleBase matches exactly one DN (base, baseObject, exact).
	StyleBase Style = iota
	// StyleOne matches the entries immediately below the DN (one, onelevel).
	StyleOne
	// StyleSub matches the DN and everything below it (sub, subtree).
	StyleSub
	// StyleChildren matches everything below the DN, not the DN itself.
	StyleChildren
	// StyleLevel matches DNs whose Level-th ancestor is the pattern (who only).
	StyleLevel
	// StyleRegex matches with a regular expression.
	StyleRegex
	// StyleExpand matches exactly after submatch substitution.
	StyleExpand
	// StyleIP matches an IPv4 peer address under a mask (peername.ip).
	StyleIP
	// StyleIPv6 matches an IPv6 peer address under a mask (peername.ipv6).
	StyleIPv6
	// StylePath matches a named-pipe path exactly (peername.path).
	StylePath
)

// String returns the style name slapd prints.
func (s Style) String() string {
	switch s {
	case StyleBase:
		return "base"
	case StyleOne:
		return "one"
	case StyleSub:
		return "subtree"
	case StyleChildren:
		return "children"
	case StyleLevel:
		return "level"
	case StyleRegex:
		return "regex"
	case StyleExpand:
		return "expand"
	case StyleIP:
		return "ip"
	case StyleIPv6:
		return "ipv6"
	case StylePath:
		return "path"
	}
	return "unknown"
}

// Control is the <control> field of a by clause.
type Control uint8

// The controls of slapd.access(5).
const (
	// Stop ends access checking at this clause (the default).
	Stop Control = iota
	// Continue goes on with the next by clause of the same rule.
	Continue
	// Break goes on with the next rule whose <what> matches.
	Break
)

// String returns the keyword.
func (c Control) String() string {
	switch c {
	case Continue:
		return "continue"
	case Break:
		return "break"
	}
	return "stop"
}

// Rule is one `access to` directive.
type Rule struct {
	What What
	By   []Clause
	// File and Line locate the directive (set by the config loader).
	File string
	Line int
	// Warnings are remarks about legacy or deprecated syntax that was
	// accepted (the config loader reports them as notices).
	Warnings []string
}

// What is the <what> field: the conjunction of its non-empty parts.
type What struct {
	// DN selects entries by name; nil selects every entry.
	DN *DNPattern
	// Filter selects entries with an LDAP filter (RFC 4515, always with
	// its outer parentheses); empty selects every entry.
	Filter string
	// Attrs selects attributes; nil selects every attribute.
	Attrs []AttrSpec
	// Val selects one value of the single attribute in Attrs.
	Val *ValPattern
}

// DNPattern is a DN matched in a given style.
type DNPattern struct {
	Style Style
	// Level is n of level{n} (StyleLevel).
	Level int
	// Raw is the pattern as written (after the config lexer), and for
	// regexes after slapd's pattern normalization (spaces after commas
	// removed).
	Raw string
	// Template is Raw split at submatch references ($1...) for patterns
	// that are expanded before matching (Expand).
	Template Template
	// Expand is true when submatches of the <what> clause are substituted
	// into the pattern before it is matched (who regexes, ,expand).
	Expand bool
	// All is true for a pattern that matches every DN (*, .*, ^.*$ ...).
	All bool
	// Regex is the compiled pattern of StyleRegex, nil when it must be
	// expanded first (then compile Template.Expand(...) at match time).
	Regex *regexp.Regexp
	// Norm is the normalized DN of a non-regex, non-expanded pattern,
	// set by Rule.Bind; empty before.
	Norm string
	// Legacy is true for a bare dn= (no style) whose reading depends on
	// the OpenLDAP version; see the package documentation.
	Legacy bool
	// Arg is the index of the token holding the pattern in the args
	// given to Parse.
	Arg int
}

// AttrKind says what an AttrSpec names.
type AttrKind uint8

// Kinds of attrs= list members.
const (
	// AttrType is an attribute type (with options, e.g. name;x-hidden).
	AttrType AttrKind = iota
	// AttrEntry is the pseudo-attribute entry (access to the entry itself).
	AttrEntry
	// AttrChildren is the pseudo-attribute children (access to the entry's children).
	AttrChildren
	// AttrClass is every attribute allowed by an object class (@oc, or a
	// bare object class name, which slapd also accepts).
	AttrClass
	// AttrNotClass is every attribute not allowed by an object class (!oc).
	AttrNotClass
)

// AttrSpec is one member of an attrs= list.
type AttrSpec struct {
	Kind AttrKind
	// Name is the name as written (without @ or !).
	Name string
	// Canon is the schema's canonical name, set by Rule.Bind.
	Canon string
	Arg   int
}

// ValPattern is the val[/matchingRule][.style]=value part of <what>.
type ValPattern struct {
	// MatchingRule is the optional matching rule name or OID.
	MatchingRule string
	// Style is StyleBase (exact, the default), StyleRegex, or for DN-valued
	// attributes StyleOne, StyleSub, StyleChildren.
	Style Style
	Raw   string
	// Regex is the compiled pattern of StyleRegex.
	Regex *regexp.Regexp
	// Norm is the normalized DN of DN-style patterns, set by Rule.Bind.
	Norm string
	Arg  int
}

// Clause is one `by <who> <access> <control>` clause.
type Clause struct {
	Who     Who
	Access  Grant
	Control Control
	// Arg is the index of the "by" token.
	Arg int
}

// Who is the <who> field: the conjunction of its non-zero parts.
type Who struct {
	Any       bool // *
	Anonymous bool
	Users     bool
	Self      bool
	// SelfLevel is n of self.level{n} when HasSelfLevel.
	SelfLevel    int
	HasSelfLevel bool

	RealAnonymous bool
	RealUsers     bool
	RealSelf      bool

	DN     *DNPattern // dn[.style[,expand]]=
	RealDN *DNPattern // realdn[.style[,expand]]=

	DNAttr     string // dnattr=
	RealDNAttr string // realdnattr=

	Group *GroupPattern

	PeerName *StrPattern
	SockName *StrPattern
	Domain   *StrPattern
	SockURL  *StrPattern

	// Minimum security strength factors; 0 = not required.
	SSF, TransportSSF, TLSSSF, SASLSSF uint
}

// GroupPattern is group[/objectClass[/attribute]][.style]=<dn>: the
// requester's DN must be a value of Attr in the entry named by the
// pattern, which must have ObjectClass.
type GroupPattern struct {
	// ObjectClass defaults to groupOfNames, Attr to member.
	ObjectClass string
	Attr        string
	// Style is StyleBase (exact) or StyleExpand.
	Style    Style
	Raw      string
	Template Template
	// Norm is the normalized group DN of StyleBase, set by Rule.Bind.
	Norm string
	// Legacy is true for a style-less pattern with $n references, expanded
	// as OpenLDAP 2.0 did (2.5 would match it literally).
	Legacy bool
	Arg    int
}

// StrPattern is a peername, sockname, domain or sockurl pattern.
type StrPattern struct {
	// Style is StyleBase (exact), StyleRegex, StyleExpand, StyleSub
	// (domain), StyleIP, StyleIPv6 or StylePath (peername).
	Style Style
	// Expand is true when submatches are substituted before matching.
	Expand   bool
	Raw      string
	Template Template
	// Regex is the compiled pattern of StyleRegex without references.
	Regex *regexp.Regexp
	// Net and Port are the address, mask and optional port (0 = any) of
	// StyleIP and StyleIPv6.
	Net  *net.IPNet
	Port int
	Arg  int
}

// SyntaxError is a malformed access directive. Arg is the index of the
// offending token in the args given to Parse (or -1 for the directive as
// a whole), so a config loader can name its line.
type SyntaxError struct {
	Arg int
	Msg string
}

// Error returns the message.
func (e *SyntaxError) Error() string { return e.Msg }

// Resolver gives Rule.Bind the schema knowledge it needs.
type Resolver interface {
	// NormalizeDN returns the normalized form of a DN, or an error if it
	// is not a valid DN.
	NormalizeDN(dn string) (string, error)
	// AttributeType returns the canonical name of an attribute type (name
	// or OID, case-insensitive) and whether its syntax is a DN, or ok=false
	// if the schema does not define it.
	AttributeType(name string) (canon string, isDN bool, ok bool)
	// ObjectClass returns the canonical name of an object class, or
	// ok=false if the schema does not define it.
	ObjectClass(name string) (canon string, ok bool)
}
