package schema

import "hostdir/schema/syntax"

// Syntax OIDs the compatibility table refers to.
const (
	oidCountryString   = "1.3.6.1.4.1.1466.115.121.1.11"
	oidPrintableString = "1.3.6.1.4.1.1466.115.121.1.44"
	oidTelephoneNumber = "1.3.6.1.4.1.1466.115.121.1.50"
)

// compatSyntaxes lists, for the matching rules slapd declares usable with
// syntaxes other than their own assertion syntax, those other syntaxes, as
// slapd 2.5 shows them in matchingRuleUse (observed with Debian's slapd
// 2.5.13 and the core, cosine, nis and inetorgperson schema). A substrings
// rule appears in matchingRuleUse only through this table: its own syntax
// is the assertion syntax.
var compatSyntaxes = map[string][]string{
	// caseIgnore/caseExact Match, OrderingMatch, SubstringsMatch.
	"2.5.13.2": {oidCountryString, oidPrintableString, oidTelephoneNumber},
	"2.5.13.3": {oidCountryString, oidPrintableString, oidTelephoneNumber},
	"2.5.13.4": {oidCountryString, oidPrintableString, oidTelephoneNumber},
	"2.5.13.5": {oidCountryString, oidPrintableString, oidTelephoneNumber},
	"2.5.13.6": {oidCountryString, oidPrintableString, oidTelephoneNumber},
	"2.5.13.7": {oidCountryString, oidPrintableString, oidTelephoneNumber},
	// caseExactIA5Match, caseIgnoreIA5Match.
	"1.3.6.1.4.1.1466.109.114.1": {oidCountryString},
	"1.3.6.1.4.1.1466.109.114.2": {oidCountryString},
	// certificateExactMatch, certificateListExactMatch.
	"2.5.13.34": {"1.3.6.1.4.1.1466.115.121.1.8"},
	"2.5.13.38": {"1.3.6.1.4.1.1466.115.121.1.9"},
	// objectIdentifierFirstComponentMatch: LDAP Syntax Description.
	"2.5.13.30": {"1.3.6.1.4.1.1466.115.121.1.54"},
	// presentationAddressMatch, protocolInformationMatch.
	"2.5.13.22": {"1.3.6.1.4.1.1466.115.121.1.43"},
	"2.5.13.24": {"1.3.6.1.4.1.1466.115.121.1.42"},
}

// hiddenFromRuleUse lists rules slapd 2.5 leaves out of matchingRuleUse
// although some attribute type has their syntax (entryUUID's and
// entryCSN's rules).
var hiddenFromRuleUse = map[string]bool{
	"1.3.6.1.1.16.2":              true, // UUIDMatch
	"1.3.6.1.1.16.3":              true, // UUIDOrderingMatch
	"1.3.6.1.4.1.4203.666.11.2.2": true, // CSNMatch
	"1.3.6.1.4.1.4203.666.11.2.3": true, // CSNOrderingMatch
	"1.3.6.1.4.1.4203.666.11.2.5": true, // CSNSIDMatch
}

// inCompat reports whether syntaxOID is in the compatible set of rule mr.
func inCompat(mr *syntax.MatchingRule, syntaxOID string) bool {
	for _, s := range compatSyntaxes[mr.OID] {
		if s == syntaxOID {
			return true
		}
	}
	return false
}

// ruleFitsSyntax reports whether an equality or ordering rule may be named
// by a type of the given syntax: package syntax's list for the rule, or the
// compatible set slapd shows.
func ruleFitsSyntax(mr *syntax.MatchingRule, syntaxOID string) bool {
	return mr.Syntax == syntaxOID || mr.AppliesTo(syntaxOID) || inCompat(mr, syntaxOID)
}

// ruleUsableWith reports whether matchingRuleUse lists type at under mr, as
// slapd computes it: the rule's own syntax for equality and ordering rules,
// or a syntax in the rule's compatible set.
func ruleUsableWith(mr *syntax.MatchingRule, at *AttributeType) bool {
	if hiddenFromRuleUse[mr.OID] {
		return false
	}
	if mr.Kind != syntax.Substrings && mr.Syntax == at.Syntax.OID {
		return true
	}
	return inCompat(mr, at.Syntax.OID)
}
