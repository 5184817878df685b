package syntax

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

func noValidator(oid string) func([]byte) error {
	return func([]byte) error { return fmt.Errorf("%w %s", ErrNoValidator, oid) }
}

func validateDirectoryString(v []byte) error {
	if len(v) == 0 {
		return invalid("directoryString", "empty")
	}
	if !utf8.Valid(v) {
		return invalid("directoryString", "not valid UTF-8")
	}
	return nil
}

func validateIA5(v []byte) error {
	if len(v) == 0 {
		return invalid("IA5String", "empty")
	}
	if !isASCII(v) {
		return invalid("IA5String", "non-ASCII character")
	}
	return nil
}

// printable reports RFC 4517 PrintableCharacter.
func printable(c byte) bool {
	switch {
	case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '\'', '(', ')', '+', ',', '-', '.', '=', '/', ':', '?', ' ':
		return true
	}
	return false
}

func validatePrintable(v []byte) error {
	if len(v) == 0 {
		return invalid("printableString", "empty")
	}
	for _, c := range v {
		if !printable(c) {
			return invalid("printableString", "character %q not printable", c)
		}
	}
	return nil
}

func validateCountry(v []byte) error {
	if len(v) != 2 || !printable(v[0]) || !printable(v[1]) {
		return invalid("countryString", "need two printable characters")
	}
	return nil
}

func validateNumericString(v []byte) error {
	if len(v) == 0 {
		return invalid("numericString", "empty")
	}
	for _, c := range v {
		if c != ' ' && (c < '0' || c > '9') {
			return invalid("numericString", "character %q not a digit or space", c)
		}
	}
	return nil
}

func validateBoolean(v []byte) error {
	if string(v) != "TRUE" && string(v) != "FALSE" {
		return invalid("boolean", "must be TRUE or FALSE")
	}
	return nil
}

// validateInteger: optional '-', no leading zeros, not "-0".
func validateInteger(v []byte) error {
	d := v
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
		if len(d) == 1 && d[0] == '0' {
			return invalid("integer", "negative zero")
		}
	}
	if len(d) == 0 || !digits(d) {
		return invalid("integer", "not a decimal integer")
	}
	if len(d) > 1 && d[0] == '0' {
		return invalid("integer", "leading zero")
	}
	return nil
}

// validateBitString: ' *( "0" / "1" ) ' B.
func validateBitString(v []byte) error {
	if len(v) < 3 || v[0] != '\'' || v[len(v)-2] != '\'' || v[len(v)-1] != 'B' {
		return invalid("bitString", "expected '0101'B")
	}
	for _, c := range v[1 : len(v)-2] {
		if c != '0' && c != '1' {
			return invalid("bitString", "bit %q not 0 or 1", c)
		}
	}
	return nil
}

func validateTelephone(v []byte) error {
	if err := validatePrintable(v); err != nil {
		return invalid("telephoneNumber", "not a printable string")
	}
	return nil
}

// validateFax: telephone-number *( DOLLAR fax-parameter ); slapd checks
// that the parameters are non-empty printable strings, not their names.
func validateFax(v []byte) error {
	parts := bytes.Split(v, []byte("$"))
	for _, p := range parts {
		if err := validatePrintable(p); err != nil {
			return invalid("facsimileTelephoneNumber", "bad number or parameter")
		}
	}
	return nil
}

// validateTelex: actual-number $ country-code $ answerback, printable; slapd
// is lenient about the number of parts.
func validateTelex(v []byte) error {
	parts := bytes.Split(v, []byte("$"))
	if len(parts[0]) == 0 {
		return invalid("telexNumber", "empty number")
	}
	for _, p := range parts {
		for _, c := range p {
			if !printable(c) {
				return invalid("telexNumber", "character %q not printable", c)
			}
		}
	}
	return nil
}

func validateOtherMailbox(v []byte) error {
	if err := validateIA5(v); err != nil {
		return invalid("otherMailbox", "not an IA5 string")
	}
	return nil
}

// keystring = leadkeychar *keychar (RFC 4512 descr).
func isDescr(v []byte) bool {
	if len(v) == 0 || !isAlpha(v[0]) {
		return false
	}
	for _, c := range v[1:] {
		if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '-' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'A' <= c&^0x20 && c&^0x20 <= 'Z' }

// isNumericOID: number 1*( DOT number ), number without leading zeros.
func isNumericOID(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	for _, arc := range bytes.Split(v, []byte(".")) {
		if len(arc) == 0 || !digits(arc) || (len(arc) > 1 && arc[0] == '0') {
			return false
		}
	}
	return true
}

func validateOID(v []byte) error {
	if !isNumericOID(v) && !isDescr(v) {
		return invalid("OID", "neither a numeric OID nor a descriptor")
	}
	return nil
}

// validatePostalAddress: line *( "$" line ), lines may be empty (slapd), the
// only escapes are \24 and \5C (hex case-insensitive), UTF-8.
func validatePostalAddress(v []byte) error {
	if len(v) == 0 {
		return invalid("postalAddress", "empty")
	}
	if !utf8.Valid(v) {
		return invalid("postalAddress", "not valid UTF-8")
	}
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' {
			if i+2 >= len(v) || !(v[i+1] == '2' && v[i+2] == '4' || v[i+1] == '5' && (v[i+2] == 'C' || v[i+2] == 'c')) {
				return invalid("postalAddress", "bad escape (only \\24 and \\5C)")
			}
			i += 2
		}
	}
	return nil
}

// unescapeLine undoes the \24 and \5C escapes of a postal address line.
func unescapeLine(dst, line []byte) []byte {
	for i := 0; i < len(line); i++ {
		if line[i] == '\\' && i+2 < len(line) {
			switch {
			case line[i+1] == '2' && line[i+2] == '4':
				dst = append(dst, '$')
				i += 2
				continue
			case line[i+1] == '5' && (line[i+2] == 'C' || line[i+2] == 'c'):
				dst = append(dst, '\\')
				i += 2
				continue
			}
		}
		dst = append(dst, line[i])
	}
	return dst
}

// escapeLine applies the \24 and \5C escapes.
func escapeLine(dst, line []byte) []byte {
	for _, c := range line {
		switch c {
		case '$':
			dst = append(dst, `\24`...)
		case '\\':
			dst = append(dst, `\5C`...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

var deliveryMethods = map[string]bool{
	"any": true, "mhs": true, "physical": true, "telex": true, "teletex": true,
	"g3fax": true, "g4fax": true, "ia5": true, "videotex": true, "telephone": true,
}

// validateDeliveryMethod: pdm *( WSP "$" WSP pdm ), names case-insensitive.
func validateDeliveryMethod(v []byte) error {
	for _, p := range strings.Split(string(v), "$") {
		if !deliveryMethods[strings.ToLower(strings.Trim(p, " "))] {
			return invalid("deliveryMethod", "unknown method %q", p)
		}
	}
	return nil
}

// validateNetgroupTriple: "(" host "," user "," domain ")" (RFC 2307),
// components may be empty, no spaces.
func validateNetgroupTriple(v []byte) error {
	if len(v) < 4 || v[0] != '(' || v[len(v)-1] != ')' {
		return invalid("nisNetgroupTriple", "expected (host,user,domain)")
	}
	parts := bytes.Split(v[1:len(v)-1], []byte(","))
	if len(parts) != 3 {
		return invalid("nisNetgroupTriple", "expected three components")
	}
	for _, p := range parts {
		for _, c := range p {
			if c <= ' ' || c >= 0x7f || c == '(' || c == ')' {
				return invalid("nisNetgroupTriple", "bad character %q", c)
			}
		}
	}
	return nil
}

// validateBootParameter: key "=" server ":" path (RFC 2307); server and
// path may be empty (slapd).
func validateBootParameter(v []byte) error {
	eq := bytes.IndexByte(v, '=')
	if eq < 1 || !isASCII(v) || bytes.IndexByte(v[eq+1:], ':') < 0 {
		return invalid("bootParameter", "expected key=server:path")
	}
	for _, c := range v {
		if c < ' ' || c == 0x7f {
			return invalid("bootParameter", "control character")
		}
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexes(b []byte) bool {
	for _, c := range b {
		if !isHex(c) {
			return false
		}
	}
	return true
}

// validateUUID: RFC 4122 string form 8-4-4-4-12 hex digits.
func validateUUID(v []byte) error {
	if len(v) != 36 || v[8] != '-' || v[13] != '-' || v[18] != '-' || v[23] != '-' ||
		!hexes(v[0:8]) || !hexes(v[9:13]) || !hexes(v[14:18]) || !hexes(v[19:23]) || !hexes(v[24:]) {
		return invalid("UUID", "expected 8-4-4-4-12 hex digits")
	}
	return nil
}

// validateCSN: OpenLDAP 2.5 change sequence number,
// YYYYmmddHHMMSS.ffffffZ#cccccc#sid#mmmmmm (count, 3-digit SID and
// modifier in hex).
func validateCSN(v []byte) error {
	if len(v) != 40 || v[14] != '.' || v[21] != 'Z' || v[22] != '#' || v[29] != '#' || v[33] != '#' ||
		!hexes(v[23:29]) || !hexes(v[30:33]) || !hexes(v[34:40]) {
		return invalid("CSN", "expected YYYYmmddHHMMSS.ffffffZ#cccccc#sid#mmmmmm")
	}
	if err := validateGeneralizedTime(v[:22]); err != nil {
		return invalid("CSN", "bad time")
	}
	return nil
}

// validateSID: a CSN server ID, three hex digits.
func validateSID(v []byte) error {
	if len(v) != 3 || !hexes(v) {
		return invalid("CSN SID", "expected three hex digits")
	}
	return nil
}

// validateAuthz: OpenLDAP authz rule/ID (dn[.style]:..., u[.mech[/realm]]:...,
// group[/oc[/at]]=..., ldap:///... or *).
func validateAuthz(v []byte) error {
	s := strings.ToLower(string(v))
	if s == "*" {
		return nil
	}
	for _, p := range []string{"dn:", "dn.", "u:", "u.", "group:", "group/", "group=", "ldap:", "ldaps:", "ldapi:"} {
		if strings.HasPrefix(s, p) && (p != "dn." && p != "u." || strings.Contains(s, ":")) {
			return nil
		}
	}
	return invalid("authz", "unknown authz form")
}

// validateSubstringAssertion: RFC 4517 SubstringAssertion,
// [initial] *( "*" any ) [ "*" final ], with \2A and \5C escapes.
func validateSubstringAssertion(v []byte) error {
	_, _, _, err := ParseSubstringAssertion(v)
	return err
}

// ParseSubstringAssertion parses an RFC 4517 SubstringAssertion value
// ("ab*cd*ef", with * and \ escaped as \2A and \5C) into its pieces,
// unescaped. initial or final is nil when absent. At least one "*" is
// required and pieces between two "*" must not be empty.
func ParseSubstringAssertion(v []byte) (initial []byte, any [][]byte, final []byte, err error) {
	if !utf8.Valid(v) {
		return nil, nil, nil, invalid("substringAssertion", "not valid UTF-8")
	}
	var pieces [][]byte
	cur := []byte{}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '*':
			pieces = append(pieces, cur)
			cur = []byte{}
		case '\\':
			if i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2]) {
				return nil, nil, nil, invalid("substringAssertion", "bad escape")
			}
			cur = append(cur, unhex(v[i+1])<<4|unhex(v[i+2]))
			i += 2
		default:
			cur = append(cur, c)
		}
	}
	pieces = append(pieces, cur)
	if len(pieces) < 2 {
		return nil, nil, nil, invalid("substringAssertion", "no '*'")
	}
	for _, p := range pieces[1 : len(pieces)-1] {
		if len(p) == 0 {
			return nil, nil, nil, invalid("substringAssertion", "empty any piece")
		}
	}
	if len(pieces[0]) > 0 {
		initial = pieces[0]
	}
	if l := pieces[len(pieces)-1]; len(l) > 0 {
		final = l
	}
	if n := len(pieces) - 2; n > 0 {
		any = pieces[1 : len(pieces)-1]
	}
	if initial == nil && final == nil && any == nil {
		return nil, nil, nil, invalid("substringAssertion", "no piece")
	}
	return initial, any, final, nil
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// validateDescription is a structural check of the RFC 4512 description
// syntaxes: "(" WSP first-component ... ")" with balanced parentheses and
// quotes, where the first component is a numeric OID (or, for DIT
// structure rules, a rule ID integer).
func validateDescription(what string, ruleID bool) func([]byte) error {
	return func(v []byte) error {
		first, ok := firstComponent(v)
		if !ok {
			return invalid(what, "expected ( ... )")
		}
		if ruleID {
			if validateInteger(first) != nil || first[0] == '-' {
				return invalid(what, "first component is not a rule ID")
			}
		} else if !isNumericOID(first) {
			return invalid(what, "first component is not a numeric OID")
		}
		depth, quoted := 0, false
		for _, c := range v {
			switch {
			case c == '\'':
				quoted = !quoted
			case quoted:
			case c == '(':
				depth++
			case c == ')':
				depth--
				if depth < 0 {
					return invalid(what, "unbalanced parentheses")
				}
			}
		}
		if depth != 0 || quoted {
			return invalid(what, "unbalanced parentheses or quotes")
		}
		if !utf8.Valid(v) {
			return invalid(what, "not valid UTF-8")
		}
		return nil
	}
}

// firstComponent returns the first token of a "( token ... )" value.
func firstComponent(v []byte) ([]byte, bool) {
	s := bytes.TrimSpace(v)
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return nil, false
	}
	s = bytes.TrimLeft(s[1:], " ")
	end := bytes.IndexAny(s, " )")
	if end <= 0 {
		return nil, false
	}
	return s[:end], true
}

// splitNameUID splits a Name And Optional UID value at the last "#" that
// starts a valid bit string ending the value.
func splitNameUID(v []byte) (dn, uid []byte) {
	i := bytes.LastIndex(v, []byte("#'"))
	if i >= 0 && validateBitString(v[i+1:]) == nil {
		return v[:i], v[i+1:]
	}
	return v, nil
}
