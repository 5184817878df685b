// Package dn parses, prints and normalizes LDAP distinguished names the way
// OpenLDAP's slapd does.
//
// # Parsing
//
// Parse accepts the RFC 4514 string form plus the leniencies slapd (libldap's
// LDAP string format) accepts from older clients. The accepted grammar is:
//
//	dn        = "" / *WSP rdn *( *WSP sep *WSP rdn ) *WSP
//	sep       = "," / ";"                       ; ";" is the RFC 1779 separator
//	rdn       = ava *( *WSP "+" *WSP ava )       ; multi-valued RDN
//	ava       = type *WSP "=" *WSP value
//	type      = ( keystring / numericoid ) *( ";" *keychar )   ; options allowed
//	keystring = ALPHA *keychar                   ; keychar = ALPHA / DIGIT / "-"
//	numericoid= number 1*( "." number )          ; number = "0" / %x31-39 *DIGIT
//	value     = "#" 1*( HEX HEX )                ; hex form: BER encoding
//	          / DQUOTE *( qchar / "\" octet ) DQUOTE   ; RFC 1779 quoted form
//	          / *( char / "\" special / "\" HEX HEX )   ; RFC 4514 string form
//	special   = " " / DQUOTE / "#" / "+" / "," / ";" / "<" / "=" / ">" / "\"
//	WSP       = " " / TAB / CR / LF
//
// Details, all checked against slapd 2.5 (slapdn -v):
//   - The empty DN is exactly "" ("  " is an error).
//   - White space (space, TAB, CR, LF) around "," ";" "+" "=" and at both ends
//     is insignificant: `dc=myhosting, dc=example` is `dc=myhosting,dc=example`.
//     Unescaped trailing white space of a string value is dropped; escaped
//     white space (`\ `, `\20`) is kept. White space inside a value is kept.
//   - In the string form a raw `"`, `<`, `>` or NUL is an error; a raw `=` or a
//     `#` that is not the first character is accepted. A backslash must be
//     followed by a special character or by two hex digits (upper or lower
//     case); anything else, and a trailing backslash, is an error.
//   - In the quoted form ("Doe, Richard") every character but `"` and `\` is
//     literal and `\c` means c for any c: hex pairs are NOT decoded there
//     (slapd turns `cn="\41"` into `cn=41`). Only white space may follow the
//     closing quote.
//   - The hex form (`cn=#04024869`) is decoded to its raw BER bytes, stored in
//     Value with AVA.BER set; AVA.StringValue decodes string TLVs. slapd itself
//     rejects every hex-form value with invalidDNSyntax, so Pretty and
//     Normalize reject them too (Parse and String keep them, as RFC 4514 says).
//   - Attribute types are names or dotted OIDs (no leading zeros). The LDAPv2
//     "OID." prefix (`OID.2.5.4.3=x`) is rejected, as slapd rejects it.
//     Attribute options (`cn;lang-en=x`) are accepted and kept in AVA.Type;
//     Pretty and Normalize drop them, as slapd does.
//   - Every value (after unescaping) must be valid UTF-8. Go's utf8 rules are
//     used, so code points above U+10FFFF, which slapd lets through, are
//     rejected.
//   - An empty value (`cn=`, `cn=""`) is valid RFC 4514 syntax and Parse
//     accepts it; slapd rejects it for every attribute type, so Pretty and
//     Normalize reject it.
//   - Differences from slapd that are deliberate: slapd keeps the unescaped
//     space in `cn=a\\ ` (it takes the space for an escaped one); this package
//     follows RFC 4514 and drops it.
//
// # Printing
//
// String, Pretty and Normalize escape values in the same way, which is
// slapd's LDAPv3 output (ldap_dn2bv with LDAP_DN_FORMAT_LDAPV3), checked with
// slapdn:
//   - `,` `+` `"` `\` `<` `>` `;` `=` and NUL, anywhere in the value, become
//     `\2C` `\2B` `\22` `\5C` `\3C` `\3E` `\3B` `\3D` `\00`;
//   - a first character that is a space, `#`, TAB, LF or CR becomes `\20`,
//     `\23`, `\09`, `\0A`, `\0D`;
//   - a last character that is a space, TAB, LF or CR becomes `\20`, `\09`,
//     `\0A`, `\0D`;
//   - every other byte is written raw: inner spaces, other control
//     characters, DEL and UTF-8 sequences. (Only values that are not valid
//     UTF-8, which Parse never produces, get their bad bytes hex-escaped.)
//
// Hex escapes are always upper case, and the one-character form `\c` is never
// written. No white space is written around `,` `+` `=`.
//
// Pretty (slapd's dnPretty) spells each type as the schema's primary name and
// keeps the value as given; Normalize (slapd's dnNormalize) uses the
// Normalizer's normalized type key and the value normalized with the type's
// equality rule. Both sort the AVAs of a multi-valued RDN by the type
// string they print (byte order, like strcmp: slapd prints `sn=b+cn=a` as
// `cn=a+sn=b` in both forms) and reject an RDN that names the same type twice.
//
// Normalized (and pretty) DN strings never contain a raw "," inside a value,
// so IsUnder, ParentOf, Depth and friends work on them with plain string
// operations.
package dn

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalidDN is matched (with errors.Is) by every error this package returns
// for a DN that slapd would refuse with invalidDNSyntax.
var ErrInvalidDN = errors.New("invalid DN")

// SyntaxError describes a DN string that does not parse.
type SyntaxError struct {
	DN     string // the input
	Offset int    // byte offset of the problem in DN
	Msg    string // what is wrong
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid DN %q: %s at offset %d", e.DN, e.Msg, e.Offset)
}

// Is makes errors.Is(err, ErrInvalidDN) true for syntax errors.
func (e *SyntaxError) Is(target error) bool { return target == ErrInvalidDN }

// AVA is one attribute type and value assertion of an RDN.
type AVA struct {
	// Type is the attribute type as written (a name or a dotted OID, with any
	// ";option"s), without surrounding white space. It is not case-folded.
	Type string
	// Value is the unescaped value as given (case kept, not normalized). For a
	// hex-form value (BER set) it holds the raw bytes of the BER encoding.
	Value string
	// BER reports that the value was written in the "#hex" form.
	BER bool
}

// RDN is a relative distinguished name: one or more AVAs joined by "+".
type RDN []AVA

// DN is a parsed distinguished name. RDNs[0] is the leftmost (most specific)
// RDN; the empty DN has no RDNs.
type DN struct {
	RDNs []RDN
	// Orig is the string Parse was given ("" for the empty DN).
	Orig string
}

// Normalizer gives the schema knowledge DN pretty-printing and normalization
// need. The schema package implements it.
type Normalizer interface {
	// AttrType maps a type name or OID (without options, in any case) to the
	// schema's primary name as the schema spells it (for pretty output) and to
	// the normalized key (for the normalized form); error if undefined.
	// Note: slapd's normalized DNs spell the type as the schema does
	// (`businessCategory=x`); a lower-case norm key gives
	// `businesscategory=x` and may sort multi-valued RDNs differently.
	AttrType(name string) (pretty string, norm string, err error)
	// NormalizeValue normalizes an RDN value with the type's equality rule, or
	// returns an error if the value is not valid for the type. attrType is the
	// norm key returned by AttrType. value is a scratch copy the
	// Normalizer may modify and may return (or a slice of it); it must not be
	// kept after the call returns.
	NormalizeValue(attrType string, value []byte) ([]byte, error)
}

// IsEmpty reports whether d is the empty (root) DN.
func (d DN) IsEmpty() bool { return len(d.RDNs) == 0 }

// RDN returns the first (leftmost) RDN, or nil for the empty DN.
func (d DN) RDN() RDN {
	if len(d.RDNs) == 0 {
		return nil
	}
	return d.RDNs[0]
}

// Parent returns d without its first RDN (the empty DN for the empty DN and
// for a one-RDN DN). The parent's Orig is the rest of d.Orig after the first
// RDN separator, or "" when d.Orig does not match d.RDNs.
func (d DN) Parent() DN {
	if len(d.RDNs) <= 1 {
		return DN{}
	}
	return DN{RDNs: d.RDNs[1:], Orig: afterFirstRDN(d.Orig)}
}

// Identical reports whether d and o have the same RDNs and AVAs in the same
// order, with types equal ignoring ASCII case and values byte for byte. It
// needs no schema and is stricter than Equal (no value normalization, no type
// aliases, AVA order matters).
func (d DN) Identical(o DN) bool {
	if len(d.RDNs) != len(o.RDNs) {
		return false
	}
	for i, r := range d.RDNs {
		q := o.RDNs[i]
		if len(r) != len(q) {
			return false
		}
		for j, a := range r {
			b := q[j]
			if a.BER != b.BER || a.Value != b.Value || !strings.EqualFold(a.Type, b.Type) {
				return false
			}
		}
	}
	return true
}

// Equal reports whether a and b name the same entry: their normalized forms
// are equal. An error is returned if either DN does not normalize.
func Equal(a, b DN, n Normalizer) (bool, error) {
	na, err := a.Normalize(n)
	if err != nil {
		return false, err
	}
	nb, err := b.Normalize(n)
	if err != nil {
		return false, err
	}
	return na == nb, nil
}

// StringValue returns the value as a string. For an ordinary AVA that is
// Value. For a hex-form AVA it is the content of the BER encoding when that
// encoding is one primitive universal string TLV (OCTET STRING, UTF8String,
// NumericString, PrintableString, T61String, IA5String, VisibleString) with a
// definite length and nothing after it; otherwise ok is false.
func (a AVA) StringValue() (s string, ok bool) {
	if !a.BER {
		return a.Value, true
	}
	v := a.Value
	if len(v) < 2 {
		return "", false
	}
	tag := v[0]
	switch tag {
	case 0x04, 0x0C, 0x12, 0x13, 0x14, 0x16, 0x1A:
	default:
		return "", false
	}
	l, rest := int(v[1]), v[2:]
	if l >= 0x80 {
		n := l & 0x7F
		if n == 0 || n > 4 || len(rest) < n {
			return "", false // indefinite or oversized length
		}
		l = 0
		for i := 0; i < n; i++ {
			l = l<<8 | int(rest[i])
		}
		rest = rest[n:]
	}
	if l != len(rest) {
		return "", false
	}
	if tag == 0x0C && !utf8.ValidString(rest) {
		return "", false
	}
	return rest, true
}

// afterFirstRDN returns what follows the first RDN separator of a DN string
// that Parse accepted, without leading white space; "" if there is none.
func afterFirstRDN(s string) string {
	inType := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inType {
			if c == '=' {
				inType = false
				// skip white space, then a quoted value as a whole
				j := i + 1
				for j < len(s) && isSpace(s[j]) {
					j++
				}
				if j < len(s) && s[j] == '"' {
					j++
					for j < len(s) && s[j] != '"' {
						if s[j] == '\\' {
							j++
						}
						j++
					}
					i = j // at the closing quote
				}
			}
			continue
		}
		switch c {
		case '\\':
			i++
		case '+':
			inType = true
		case ',', ';':
			j := i + 1
			for j < len(s) && isSpace(s[j]) {
				j++
			}
			return s[j:]
		}
	}
	return ""
}

// isSpace reports whether c is white space slapd skips around DN syntax.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
