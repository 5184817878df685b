// Package filter compiles LDAP search filters (RFC 4511 section 4.5.1,
// RFC 4515 string form) against a schema and evaluates them with the
// three-valued logic of RFC 4511: True, False or Undefined.
//
// # Compilation
//
// Parse (RFC 4515 text, for ACLs, tools and tests) and FromWire (the tree
// the ldapwire decoder produces) both build a *Filter: every attribute
// description is resolved through the schema (names, OIDs, options such as
// ";lang-en" or ";binary" kept aside) and every assertion value is
// normalized once by the matching rule the item uses. Items that can never
// be True or False are fixed to Undefined at compile time, as slapd does:
//   - an attribute type the schema does not know;
//   - equality or approx on a type without an EQUALITY rule (so
//     "(lastChange=5)" matches nothing), ordering without ORDERING,
//     substrings without SUBSTR;
//   - an assertion value the rule refuses ("(accountActive=true)": boolean
//     values are only TRUE and FALSE);
//   - an extensible match naming an unknown rule, or a rule that does not
//     apply to the type's syntax.
//
// A Compiler does what FromWire does into buffers it reuses, with an
// optional Cache (shared by a server's compilers) of resolved attribute
// descriptions and normalized object identifiers and booleans: the
// search hot path compiles "(&(objectClass=JammMailAccount)(mail=...)
// (accountActive=TRUE)(delete=FALSE))" without allocating.
//
// "(objectClass=*)" is always True. objectClass equality uses
// objectIdentifierMatch, so "(objectClass=jammMailAccount)" matches the
// stored value "JammMailAccount" and the class's OID. A filter on a type
// also matches its subtypes through SUP: "(name=x)" matches cn and sn.
// Options in a filter's description must all be present on the entry's
// attribute ("(cn;lang-en=x)" does not match a plain cn); ";binary" is a
// transfer option and is ignored for matching.
//
// # Evaluation
//
// Eval works on an EntryView, which lets a store hand over the values of
// one attribute at a time without decoding the whole entry. EvalScratch
// takes a Scratch with the buffers value normalization needs, so that the
// search hot path does not allocate.
//
// # Limits
//
// Parse and FromWire refuse filters nested deeper than MaxDepth or with
// more than MaxNodes nodes (substring pieces included), with ErrTooComplex.
package filter

import (
	"errors"
	"fmt"

	"hostdir/schema"
	"hostdir/schema/syntax"
)

// Limits of a compiled filter.
const (
	// MaxDepth is the deepest nesting of AND, OR and NOT accepted.
	MaxDepth = 100
	// MaxNodes is the largest number of nodes (items, composites and
	// substring pieces) accepted.
	MaxNodes = 10000
)

// Errors. Parse errors are *SyntaxError values, which match ErrSyntax.
var (
	// ErrSyntax is matched by every error Parse returns for text that is
	// not an RFC 4515 filter.
	ErrSyntax = errors.New("filter: bad search filter")
	// ErrTooComplex is returned for filters beyond MaxDepth or MaxNodes.
	ErrTooComplex = errors.New("filter: search filter too complex")
)

// SyntaxError describes a filter string that does not parse.
type SyntaxError struct {
	Filter string // the input
	Offset int    // byte offset of the problem
	Msg    string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("filter: bad search filter %q: %s at offset %d", e.Filter, e.Msg, e.Offset)
}

// Is makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// Kind is the kind of a filter node.
type Kind int

// Node kinds, in the order of the RFC 4511 Filter CHOICE.
const (
	And Kind = iota
	Or
	Not
	Equality
	Substrings
	GreaterOrEqual
	LessOrEqual
	Present
	Approx
	Extensible
	// Unknown is a filter choice this package does not know (a future
	// CHOICE from the wire); it evaluates to Undefined.
	Unknown
)

var kindNames = [...]string{"and", "or", "not", "equality", "substrings", "greaterOrEqual",
	"lessOrEqual", "present", "approx", "extensible", "unknown"}

// String returns the RFC 4511 name of the kind ("equality", ...).
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Result is the value of a filter on an entry (RFC 4511 section 4.5.1.7).
type Result int8

// The three results. The zero Result is False.
const (
	False Result = iota
	True
	Undefined
)

// String returns "FALSE", "TRUE" or "UNDEFINED".
func (r Result) String() string {
	switch r {
	case False:
		return "FALSE"
	case True:
		return "TRUE"
	}
	return "UNDEFINED"
}

// Filter is a compiled search filter: attribute types resolved through the
// schema, assertion values normalized by their matching rules, ready to
// evaluate and to plan. It is immutable once built and safe for concurrent
// use.
type Filter struct {
	sc    *schema.Schema
	nodes []node // preorder; nodes[0] is the root
	arena []byte // bytes of every node's strings and values
	attrs []*schema.AttributeType
	vals  [][]byte // backing of the nodes' any and codes
}

// span is a byte range of a Filter's arena.
type span struct{ lo, hi int32 }

// node is one node of a compiled filter.
type node struct {
	kind Kind
	end  int32 // index after the last node of this subtree

	// static nodes evaluate to res whatever the entry.
	static  bool
	res     Result
	dnAttrs bool
	isOC    bool // objectClass type: "(objectClass=*)" is always True

	at   *schema.AttributeType // nil: undefined type (or no type in an extensible match)
	rule *syntax.MatchingRule  // the rule the item uses

	desc, opts, ruleName, raw, norm span
	// piece range in Filter.pieces for substrings; approx codes range for approx.
	p0, p1 int32

	// set by finish from the spans above
	descB, optsB, rawB, normB, ruleB []byte
	initial, final                   []byte
	any                              [][]byte
	codes                            [][]byte // approx: assertion word codes
	oids                             *oidMatch
	subRaw                           []piece
}

// piece is one piece of a substrings assertion.
type piece struct {
	pos       syntax.SubPos
	raw, norm span
	rawB      []byte
	normB     []byte
}

// Schema returns the schema the filter was compiled with.
func (f *Filter) Schema() *schema.Schema { return f.sc }

// Attrs returns the distinct attribute types the filter names, in order of
// first appearance (undefined types are left out). ACL checks need search
// access to each. The slice is shared: do not modify it.
func (f *Filter) Attrs() []*schema.AttributeType { return f.attrs }

// Root returns the root node, for planners.
func (f *Filter) Root() Node { return Node{f: f, i: 0} }

// Node is a read-only handle on one node of a Filter, used by query
// planners such as the store's.
type Node struct {
	f *Filter
	i int32
}

func (n Node) n() *node { return &n.f.nodes[n.i] }

// Kind returns the node's kind.
func (n Node) Kind() Kind { return n.n().kind }

// Children appends the node's children (AND, OR, NOT) to dst.
func (n Node) Children(dst []Node) []Node {
	nd := n.n()
	switch nd.kind {
	case And, Or, Not:
	default:
		return dst
	}
	for c := n.i + 1; c < nd.end; c = n.f.nodes[c].end {
		dst = append(dst, Node{f: n.f, i: c})
	}
	return dst
}

// Static reports whether the node's value is the same for every entry
// (undefined type, missing rule, invalid assertion, unknown choice), and
// that value. Composites are never static.
func (n Node) Static() (Result, bool) {
	nd := n.n()
	return nd.res, nd.static
}

// Type returns the node's attribute type (nil for composites, for
// undefined types and for extensible matches without a type).
func (n Node) Type() *schema.AttributeType { return n.n().at }

// Options returns the attribute options the node requires (lower-cased,
// ';'-separated, without "binary"; "" for none).
func (n Node) Options() string { return string(n.n().optsB) }

// Rule returns the matching rule the node uses (nil for composites,
// presence and static nodes).
func (n Node) Rule() *syntax.MatchingRule { return n.n().rule }

// Assertion returns the normalized assertion value: the equality rule's
// canonical form for Equality and Approx, the ordering rule's for
// GreaterOrEqual and LessOrEqual, the named rule's for Extensible.
func (n Node) Assertion() []byte { return n.n().normB }

// Substrings returns the normalized pieces of a Substrings node (initial
// and final nil when absent). The slices are shared: do not modify them.
func (n Node) Substrings() (initial []byte, any [][]byte, final []byte) {
	nd := n.n()
	return nd.initial, nd.any, nd.final
}

// ApproxKeys returns the phonetic codes of the assertion's words of an
// Approx node on a string type (nil when the approx match falls back to
// equality: then Assertion is the equality key). See AppendApproxKeys.
func (n Node) ApproxKeys() [][]byte { return n.n().codes }

// DNAttributes reports an extensible match's dnAttributes flag.
func (n Node) DNAttributes() bool { return n.n().dnAttrs }
