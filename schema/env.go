package schema

import (
	"fmt"

	"hostdir/directory/dn"
	"hostdir/schema/syntax"
)

// NormalizeDN returns slapd's normalized form of a DN value (see AttrType
// and NormalizeValue), or an error if it is not a valid DN. It makes Schema
// a syntax.Env for distinguishedNameMatch and friends.
func (s *Schema) NormalizeDN(value string) (string, error) {
	d, err := dn.Parse(value)
	if err != nil {
		return "", err
	}
	return d.Normalize(s)
}

// PrettyNormalDN parses a DN and returns slapd's pretty and normalized
// forms.
func (s *Schema) PrettyNormalDN(value string) (pretty, norm string, err error) {
	d, err := dn.Parse(value)
	if err != nil {
		return "", "", err
	}
	return d.PrettyNormal(s)
}

// AttrType implements dn.Normalizer. Both forms are the type's primary name
// as the schema spells it (its OID when it has no name): slapd writes
// "lastChange=1,dc=x" in normalized DNs too, so the normalized key is not
// lower-cased; it is the same string for every alias and OID of the type.
func (s *Schema) AttrType(name string) (pretty string, norm string, err error) {
	at := s.AttributeType(name)
	if at == nil {
		return "", "", fmt.Errorf("%s: attribute type undefined", name)
	}
	n := at.Name()
	return n, n, nil
}

// NormalizeValue implements dn.Normalizer: the value is checked against the
// type's syntax and normalized with its equality rule. A type with no
// equality rule keeps the value as given, as slapd does in DNs (such an RDN
// is refused later by CheckEntry's naming check, 64).
func (s *Schema) NormalizeValue(attrType string, value []byte) ([]byte, error) {
	at := s.AttributeType(attrType)
	if at == nil {
		return nil, fmt.Errorf("%s: attribute type undefined", attrType)
	}
	if err := at.Syntax.Check(s, value); err != nil {
		return nil, fmt.Errorf("%s: value invalid per syntax: %w", at.Name(), err)
	}
	if at.Equality == nil || at.Equality.Normalize == nil {
		return value, nil
	}
	n, err := at.Equality.Normalize(s, value)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", at.Name(), err)
	}
	return n, nil
}

// ResolveOID maps the name or OID of an attribute type, object class,
// matching rule or syntax (or an objectidentifier macro) to its numeric OID,
// for objectIdentifierMatch. ok is false for an unknown name; a numeric OID
// is returned as is.
func (s *Schema) ResolveOID(name string) (oid string, ok bool) {
	if isNumericOID(name) {
		return name, true
	}
	if at := s.AttributeType(name); at != nil {
		return at.OID, true
	}
	if oc := s.ObjectClass(name); oc != nil {
		return oc.OID, true
	}
	if mr := s.MatchingRule(name); mr != nil {
		return mr.OID, true
	}
	if oid, ok := s.expandOID(name); ok {
		return oid, true
	}
	return "", false
}

// Schema is the environment of matching rules and the DN normalizer.
var (
	_ syntax.Env    = (*Schema)(nil)
	_ dn.Normalizer = (*Schema)(nil)
)
