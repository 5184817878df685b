package syntax

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Env gives syntaxes and matching rules what they need from the schema. The
// schema package implements it; tests may use a fake.
//
// The complete interface is:
//
//	type Env interface {
//		// NormalizeDN returns the normalized string form of a DN value
//		// (attribute types as lower-case OID-or-name canonical form, values
//		// normalized by their equality rule), or an error if the value is
//		// not a valid DN. The empty DN normalizes to "".
//		NormalizeDN(value string) (string, error)
//		// ResolveOID maps a descriptor (a schema name such as "cn",
//		// "jammMailAccount" or "top"; case-insensitive) or a numeric OID of
//		// an attribute type, object class, matching rule, syntax or
//		// objectidentifier macro to its numeric OID. ok is false when
//		// nothing in the schema has that name.
//		ResolveOID(name string) (oid string, ok bool)
//	}
//
// Every function of this package that takes an Env accepts nil: rules that
// need the schema (distinguishedNameMatch, uniqueMemberMatch, rdnMatch,
// certificate rules) then fail with ErrNoEnv, and objectIdentifierMatch
// falls back to lower-casing descriptors.
type Env interface {
	// NormalizeDN returns the normalized string form of a DN value, or an
	// error if the value is not a valid DN.
	NormalizeDN(value string) (string, error)
	// ResolveOID maps a descriptor or numeric OID to a numeric OID; ok is
	// false when the schema does not know the name.
	ResolveOID(name string) (oid string, ok bool)
}

// Errors. Validation and normalization errors wrap ErrInvalid (slapd
// answers them with invalidAttributeSyntax (21), "value #N invalid per
// syntax", or treats an assertion as Undefined); values of a syntax slapd
// has no validator for are refused with an error wrapping ErrNoValidator
// (slapd: "no validator for syntax <oid>", also code 21).
var (
	ErrInvalid     = errors.New("invalid per syntax")
	ErrNoValidator = errors.New("no validator for syntax")
	ErrNoEnv       = errors.New("matching rule needs the schema (nil Env)")
)

func invalid(what, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, what, fmt.Sprintf(format, args...))
}

// Syntax is an LDAP syntax (RFC 4512 section 4.1.5).
type Syntax struct {
	// OID is the numeric OID, Desc the description slapd publishes.
	OID  string
	Desc string
	// HumanReadable is false for the syntaxes slapd marks
	// X-NOT-HUMAN-READABLE 'TRUE'.
	HumanReadable bool
	// BinaryTransferRequired is true for the syntaxes slapd marks
	// X-BINARY-TRANSFER-REQUIRED 'TRUE': values must be transferred with the
	// ";binary" attribute option (slapd: "requires ;binary transfer").
	BinaryTransferRequired bool
	// Hidden is true for syntaxes slapd knows but does not list in the
	// ldapSyntaxes attribute of cn=Subschema.
	Hidden bool
	// Validate checks a value without the schema. A nil Validate accepts
	// anything. For the syntaxes slapd has no validator for, Validate
	// refuses every value with an error wrapping ErrNoValidator.
	Validate func(value []byte) error
	// ValidateEnv, when non-nil, is the full check that needs the schema
	// (DN, Name And Optional UID, RDN). Prefer [Syntax.Check].
	ValidateEnv func(env Env, value []byte) error
}

// Check validates value: with ValidateEnv when the syntax has one and env is
// not nil, otherwise with Validate.
func (s *Syntax) Check(env Env, value []byte) error {
	if s.ValidateEnv != nil && env != nil {
		return s.ValidateEnv(env, value)
	}
	if s.Validate != nil {
		return s.Validate(value)
	}
	return nil
}

// Def returns the RFC 4512 SyntaxDescription as slapd prints it in
// cn=Subschema, e.g. "( 1.3.6.1.4.1.1466.115.121.1.28 DESC 'JPEG'
// X-NOT-HUMAN-READABLE 'TRUE' )".
func (s *Syntax) Def() string {
	var b strings.Builder
	b.WriteString("( ")
	b.WriteString(s.OID)
	b.WriteString(" DESC '")
	b.WriteString(s.Desc)
	b.WriteString("' ")
	if s.BinaryTransferRequired {
		b.WriteString("X-BINARY-TRANSFER-REQUIRED 'TRUE' ")
	}
	if !s.HumanReadable {
		b.WriteString("X-NOT-HUMAN-READABLE 'TRUE' ")
	}
	b.WriteString(")")
	return b.String()
}

// Kind is what a matching rule is for.
type Kind int

// Kinds of matching rules.
const (
	Equality Kind = iota
	Ordering
	Substrings
)

// String returns "equality", "ordering" or "substrings".
func (k Kind) String() string {
	switch k {
	case Equality:
		return "equality"
	case Ordering:
		return "ordering"
	case Substrings:
		return "substrings"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// SubPos is the position of a piece in a substrings assertion.
type SubPos int

// Substring positions. The zero SubPos is not a piece position.
const (
	SubInitial SubPos = iota + 1
	SubAny
	SubFinal
)

// String returns "initial", "any" or "final".
func (p SubPos) String() string {
	switch p {
	case SubInitial:
		return "initial"
	case SubAny:
		return "any"
	case SubFinal:
		return "final"
	}
	return fmt.Sprintf("SubPos(%d)", int(p))
}

// spaceMode says how MatchingRule.MatchSubstrings treats spaces.
type spaceMode uint8

const (
	spaceExact spaceMode = iota // spaces are ordinary bytes
	spaceRFC                    // RFC 4518 insignificant space handling
	spaceList                   // as spaceRFC, per '$'-separated line
)

// MatchingRule is an LDAP matching rule (RFC 4512 section 4.1.3).
type MatchingRule struct {
	OID   string
	Names []string
	Kind  Kind
	// Syntax is the OID of the assertion syntax.
	Syntax string
	// AttrSyntaxes lists the attribute syntaxes slapd accepts the rule for
	// in an attribute type definition (empty for rules usable only in
	// extensible matches, such as integerBitAndMatch). See
	// [MatchingRule.AppliesTo].
	AttrSyntaxes []string
	// Hidden is true for rules not listed in the matchingRules attribute of
	// cn=Subschema: slapd knows but hides them or, for wordMatch,
	// keywordMatch and directoryStringFirstComponentMatch (RFC 4517), does
	// not implement them at all.
	Hidden bool
	// Normalize returns the canonical form of a value or of an assertion
	// value: for equality rules, equal canonical forms <=> the values match
	// (unless Match is set). The result never aliases value. Errors wrap
	// ErrInvalid or ErrNoEnv.
	Normalize func(env Env, value []byte) ([]byte, error)
	// AppendNormalize appends the canonical form to dst, as Normalize
	// would return it: it lets index code reuse a buffer.
	AppendNormalize func(dst []byte, env Env, value []byte) ([]byte, error)
	// Compare orders two canonical forms (ordering rules only, nil otherwise).
	Compare func(a, b []byte) int
	// NormalizeSubstring prepares one piece of a substrings assertion
	// (substrings rules only, nil otherwise). Pieces keep the edge spaces
	// RFC 4518 section 2.6.1 keeps, as one SPACE each; an initial or final
	// piece of only spaces becomes empty (it matches anything).
	NormalizeSubstring func(env Env, piece []byte, pos SubPos) ([]byte, error)
	// Match, when non-nil, decides whether an attribute value matches an
	// assertion value, both in canonical form, for rules that are not an
	// equivalence (wordMatch, keywordMatch, integerBitAndMatch,
	// integerBitOrMatch). When nil, canonical forms match iff equal.
	Match func(value, assertion []byte) bool

	spaces spaceMode
}

// Name returns the rule's first name, or its OID if it has none.
func (r *MatchingRule) Name() string {
	if len(r.Names) > 0 {
		return r.Names[0]
	}
	return r.OID
}

// Def returns the RFC 4512 MatchingRuleDescription as slapd prints it,
// e.g. "( 2.5.13.2 NAME 'caseIgnoreMatch' SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )".
func (r *MatchingRule) Def() string {
	var b strings.Builder
	b.WriteString("( ")
	b.WriteString(r.OID)
	switch len(r.Names) {
	case 0:
	case 1:
		b.WriteString(" NAME '")
		b.WriteString(r.Names[0])
		b.WriteString("'")
	default:
		b.WriteString(" NAME (")
		for _, n := range r.Names {
			b.WriteString(" '")
			b.WriteString(n)
			b.WriteString("'")
		}
		b.WriteString(" )")
	}
	b.WriteString(" SYNTAX ")
	b.WriteString(r.Syntax)
	b.WriteString(" )")
	return b.String()
}

// AppliesTo reports whether slapd accepts the rule for an attribute type of
// the given syntax (otherwise slapd says "AttributeType inappropriate
// matching rule"). Note that slapd also refuses ORDERING and SUBSTR rules
// on an attribute type without an EQUALITY rule; that check is the
// schema's.
func (r *MatchingRule) AppliesTo(syntaxOID string) bool {
	for _, s := range r.AttrSyntaxes {
		if s == syntaxOID {
			return true
		}
	}
	return false
}

// Matches normalizes an attribute value and an assertion value and reports
// whether they match under an equality rule. An error means the assertion
// (or the value) is invalid: the filter item is Undefined.
func (r *MatchingRule) Matches(env Env, value, assertion []byte) (bool, error) {
	a, err := r.Normalize(env, assertion)
	if err != nil {
		return false, fmt.Errorf("%s: assertion: %w", r.Name(), err)
	}
	v, err := r.Normalize(env, value)
	if err != nil {
		return false, fmt.Errorf("%s: value: %w", r.Name(), err)
	}
	if r.Match != nil {
		return r.Match(v, a), nil
	}
	return bytes.Equal(v, a), nil
}

// registry holds the read-only tables, built once.
type registry struct {
	syntaxes []*Syntax
	rules    []*MatchingRule
	synByOID map[string]*Syntax
	rules2   map[string]*MatchingRule // lower-case name or OID
}

var reg = buildRegistry()

func buildRegistry() *registry {
	r := &registry{
		syntaxes: syntaxTable(),
		rules:    ruleTable(),
		synByOID: map[string]*Syntax{},
		rules2:   map[string]*MatchingRule{},
	}
	for _, s := range r.syntaxes {
		if _, dup := r.synByOID[s.OID]; dup {
			panic("syntax: duplicate syntax " + s.OID)
		}
		r.synByOID[s.OID] = s
	}
	for _, m := range r.rules {
		keys := append([]string{m.OID}, m.Names...)
		for _, k := range keys {
			k = strings.ToLower(k)
			if _, dup := r.rules2[k]; dup {
				panic("syntax: duplicate matching rule " + k)
			}
			r.rules2[k] = m
		}
		if m.AppendNormalize == nil || m.Normalize == nil {
			panic("syntax: rule without normalizer " + m.OID)
		}
	}
	return r
}

// LookupSyntax returns the syntax with the given numeric OID, or nil.
func LookupSyntax(oid string) *Syntax {
	return reg.synByOID[oid]
}

// LookupRule returns the matching rule with the given name
// (case-insensitive) or numeric OID, or nil.
func LookupRule(nameOrOID string) *MatchingRule {
	if m, ok := reg.rules2[nameOrOID]; ok {
		return m
	}
	return reg.rules2[strings.ToLower(nameOrOID)]
}

// Syntaxes returns every known syntax. Those with Hidden false come in the
// order slapd lists them in cn=Subschema. The slice is a fresh copy; the
// Syntax values are shared and must not be modified.
func Syntaxes() []*Syntax {
	return append([]*Syntax(nil), reg.syntaxes...)
}

// Rules returns every known matching rule. Those with Hidden false come in
// the order slapd lists them in cn=Subschema. The slice is a fresh copy;
// the MatchingRule values are shared and must not be modified.
func Rules() []*MatchingRule {
	return append([]*MatchingRule(nil), reg.rules...)
}
