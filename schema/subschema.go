package schema

import (
	"strings"

	"hostdir/directory/entry"
	"hostdir/schema/syntax"
)

// SubschemaDN is the DN of the subschema subentry, as slapd names it.
const SubschemaDN = "cn=Subschema"

// Subschema renders the subschema subentry as slapd shows it: objectClass,
// cn, ldapSyntaxes, matchingRules, matchingRuleUse, attributeTypes and
// objectClasses, with the operational structuralObjectClass, entryDN and
// subschemaSubentry. createTimestamp and modifyTimestamp are left to the
// server. The entry is new on every call; callers may modify it.
func (s *Schema) Subschema() *entry.Entry {
	e := &entry.Entry{DN: SubschemaDN}
	add := func(typ string, vals ...string) {
		a := entry.Attribute{Type: typ, Values: make([][]byte, len(vals))}
		for i, v := range vals {
			a.Values[i] = []byte(v)
		}
		e.Attrs = append(e.Attrs, a)
	}
	add("structuralObjectClass", "subentry")
	add("objectClass", "top", "subentry", "subschema", "extensibleObject")
	add("cn", "Subschema")
	add("ldapSyntaxes", s.LDAPSyntaxDescriptions()...)
	add("matchingRules", s.MatchingRuleDescriptions()...)
	add("matchingRuleUse", s.MatchingRuleUseDescriptions()...)
	ats := make([]string, len(s.ats))
	for i, at := range s.ats {
		ats[i] = at.Def
	}
	add("attributeTypes", ats...)
	ocs := make([]string, len(s.ocs))
	for i, oc := range s.ocs {
		ocs[i] = oc.Def
	}
	add("objectClasses", ocs...)
	add("entryDN", SubschemaDN)
	add("subschemaSubentry", SubschemaDN)
	return e
}

// LDAPSyntaxDescriptions returns the ldapSyntaxes values: package syntax's
// registry (without the syntaxes slapd hides), then the syntaxes of
// ldapsyntax directives.
func (s *Schema) LDAPSyntaxDescriptions() []string {
	reg := syntax.Syntaxes()
	out := make([]string, 0, len(reg)+len(s.syntaxes))
	for _, syn := range reg {
		if !syn.Hidden {
			out = append(out, syn.Def())
		}
	}
	for _, ls := range s.syntaxes {
		out = append(out, ls.def)
	}
	return out
}

// MatchingRuleDescriptions returns the matchingRules values, in the order of
// package syntax's registry, without the rules slapd hides.
func (s *Schema) MatchingRuleDescriptions() []string {
	rules := syntax.Rules()
	out := make([]string, 0, len(rules))
	for _, mr := range rules {
		if !mr.Hidden {
			out = append(out, mr.Def())
		}
	}
	return out
}

// MatchingRuleUseDescriptions returns the matchingRuleUse values as slapd
// computes them: for each rule, every attribute type (in definition order)
// whose syntax the rule applies to — not only the types that name the rule.
// Rules that apply to no type are left out.
func (s *Schema) MatchingRuleUseDescriptions() []string {
	var out []string
	for _, mr := range syntax.Rules() {
		var names []string
		for _, at := range s.ats {
			if ruleUsableWith(mr, at) {
				names = append(names, at.Name())
			}
		}
		if len(names) == 0 {
			continue
		}
		var b strings.Builder
		b.WriteString("( ")
		b.WriteString(mr.OID)
		writeNames(&b, mr.Names)
		writeOIDs(&b, "APPLIES", names)
		b.WriteString(" )")
		out = append(out, b.String())
	}
	return out
}

// RuleUse returns the attribute types a matching rule may be used with in
// an extensible-match filter (its matchingRuleUse), in definition order.
func (s *Schema) RuleUse(mr *syntax.MatchingRule) []*AttributeType {
	var out []*AttributeType
	for _, at := range s.ats {
		if ruleUsableWith(mr, at) {
			out = append(out, at)
		}
	}
	return out
}
