package syntax

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf8"
)

// OIDs of the syntaxes the rules refer to.
const (
	oidPrefix      = "1.3.6.1.4.1.1466.115.121.1."
	synBitString   = oidPrefix + "6"
	synBoolean     = oidPrefix + "7"
	synCertificate = oidPrefix + "8"
	synCertList    = oidPrefix + "9"
	synCountry     = oidPrefix + "11"
	synDN          = oidPrefix + "12"
	synDirString   = oidPrefix + "15"
	synDITStruct   = oidPrefix + "17"
	synGenTime     = oidPrefix + "24"
	synIA5         = oidPrefix + "26"
	synInteger     = oidPrefix + "27"
	synNameUID     = oidPrefix + "34"
	synNumeric     = oidPrefix + "36"
	synOID         = oidPrefix + "38"
	synOctet       = oidPrefix + "40"
	synPostal      = oidPrefix + "41"
	synProtoInfo   = oidPrefix + "42"
	synPresAddr    = oidPrefix + "43"
	synPrintable   = oidPrefix + "44"
	synTelephone   = oidPrefix + "50"
	synSubstring   = oidPrefix + "58"
	synUUID        = "1.3.6.1.1.16.1"
	synCSN         = "1.3.6.1.4.1.4203.666.11.2.1"
	synSID         = "1.3.6.1.4.1.4203.666.11.2.4"
	synAuthz       = "1.3.6.1.4.1.4203.666.2.7"
	synRDN         = "1.2.36.79672281.1.5.0"
	synCertExact   = "1.3.6.1.1.15.1"
	synCRLExact    = "1.3.6.1.1.15.5"
)

// descriptionSyntaxes are the RFC 4512 description syntaxes
// objectIdentifierFirstComponentMatch applies to.
var oidFirstSyntaxes = []string{
	oidPrefix + "3", oidPrefix + "16", oidPrefix + "30", oidPrefix + "31",
	oidPrefix + "35", oidPrefix + "37", synOID, oidPrefix + "54",
}

var stringSyntaxes = []string{synCountry, synDirString, synPrintable, synTelephone}

type appendFn func(dst []byte, env Env, v []byte) ([]byte, error)
type pieceFn func(dst []byte, env Env, v []byte, pos SubPos) ([]byte, error)

func newRule(oid, name string, kind Kind, syn string, attr []string, fn appendFn) *MatchingRule {
	r := &MatchingRule{OID: oid, Kind: kind, Syntax: syn, AttrSyntaxes: attr, AppendNormalize: fn}
	if name != "" {
		r.Names = []string{name}
	}
	r.Normalize = func(env Env, v []byte) ([]byte, error) {
		// room for the usual growth (integer keys, time fractions)
		out, err := fn(make([]byte, 0, len(v)+16), env, v)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	return r
}

func ordering(r *MatchingRule, cmp func(a, b []byte) int) *MatchingRule {
	r.Compare = cmp
	return r
}

func substr(r *MatchingRule, mode spaceMode, fn pieceFn) *MatchingRule {
	r.spaces = mode
	r.NormalizeSubstring = func(env Env, piece []byte, pos SubPos) ([]byte, error) {
		if pos < SubInitial || pos > SubFinal {
			return nil, invalid("substring", "bad piece position %d", int(pos))
		}
		out, err := fn(make([]byte, 0, len(piece)+1), env, piece, pos)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	return r
}

func hidden(r *MatchingRule) *MatchingRule {
	r.Hidden = true
	return r
}

// ruleTable lists the matching rules: first the ones slapd publishes, in
// its cn=Subschema order, then the hidden ones.
func ruleTable() []*MatchingRule {
	return []*MatchingRule{
		ordering(newRule("1.3.6.1.1.16.3", "UUIDOrderingMatch", Ordering, synUUID, []string{synUUID}, nUUID), bytes.Compare),
		newRule("1.3.6.1.1.16.2", "UUIDMatch", Equality, synUUID, []string{synUUID}, nUUID),
		bitRule("1.2.840.113556.1.4.804", "integerBitOrMatch", func(v, a int64) bool { return v&a != 0 }),
		bitRule("1.2.840.113556.1.4.803", "integerBitAndMatch", func(v, a int64) bool { return v&a == a }),
		substr(newRule("1.3.6.1.4.1.4203.1.2.1", "caseExactIA5SubstringsMatch", Substrings, synIA5, []string{synIA5}, nIA5(false)), spaceRFC, pIA5(false)),
		substr(newRule("1.3.6.1.4.1.1466.109.114.3", "caseIgnoreIA5SubstringsMatch", Substrings, synIA5, []string{synIA5}, nIA5(true)), spaceRFC, pIA5(true)),
		newRule("1.3.6.1.4.1.1466.109.114.2", "caseIgnoreIA5Match", Equality, synIA5, []string{synIA5}, nIA5(true)),
		newRule("1.3.6.1.4.1.1466.109.114.1", "caseExactIA5Match", Equality, synIA5, []string{synIA5}, nIA5(false)),
		newRule("2.5.13.38", "certificateListExactMatch", Equality, synCRLExact, []string{synCertList, synCRLExact}, nCRLExact),
		newRule("2.5.13.34", "certificateExactMatch", Equality, synCertExact, []string{synCertificate, synCertExact}, nCertExact),
		newRule("2.5.13.30", "objectIdentifierFirstComponentMatch", Equality, synOID, oidFirstSyntaxes, nOIDFirst),
		newRule("2.5.13.29", "integerFirstComponentMatch", Equality, synInteger, []string{synDITStruct, synInteger}, nIntegerFirst),
		ordering(newRule("2.5.13.28", "generalizedTimeOrderingMatch", Ordering, synGenTime, []string{synGenTime}, nTime), compareTime),
		newRule("2.5.13.27", "generalizedTimeMatch", Equality, synGenTime, []string{synGenTime}, nTime),
		newRule("2.5.13.23", "uniqueMemberMatch", Equality, synNameUID, []string{synNameUID}, nNameUID),
		substr(newRule("2.5.13.21", "telephoneNumberSubstringsMatch", Substrings, synSubstring, []string{synTelephone}, nTelephone), spaceExact,
			func(dst []byte, env Env, v []byte, _ SubPos) ([]byte, error) { return nTelephone(dst, env, v) }),
		newRule("2.5.13.20", "telephoneNumberMatch", Equality, synTelephone, []string{synTelephone}, nTelephone),
		substr(newRule("2.5.13.19", "octetStringSubstringsMatch", Substrings, synOctet, []string{synOctet}, nOctet), spaceExact,
			func(dst []byte, env Env, v []byte, _ SubPos) ([]byte, error) { return nOctet(dst, env, v) }),
		ordering(newRule("2.5.13.18", "octetStringOrderingMatch", Ordering, synOctet, []string{synOctet}, nOctet), bytes.Compare),
		newRule("2.5.13.17", "octetStringMatch", Equality, synOctet, []string{synOctet}, nOctet),
		newRule("2.5.13.16", "bitStringMatch", Equality, synBitString, []string{synBitString}, nBitString),
		ordering(newRule("2.5.13.15", "integerOrderingMatch", Ordering, synInteger, []string{synInteger}, nInteger), bytes.Compare),
		newRule("2.5.13.14", "integerMatch", Equality, synInteger, []string{synInteger}, nInteger),
		newRule("2.5.13.13", "booleanMatch", Equality, synBoolean, []string{synBoolean}, nBoolean),
		substr(newRule("2.5.13.12", "caseIgnoreListSubstringsMatch", Substrings, synSubstring, []string{synPostal}, nList), spaceList, pList),
		newRule("2.5.13.11", "caseIgnoreListMatch", Equality, synPostal, []string{synPostal}, nList),
		substr(newRule("2.5.13.10", "numericStringSubstringsMatch", Substrings, synSubstring, []string{synNumeric}, nNumeric), spaceExact,
			func(dst []byte, env Env, v []byte, _ SubPos) ([]byte, error) { return nNumeric(dst, env, v) }),
		ordering(newRule("2.5.13.9", "numericStringOrderingMatch", Ordering, synNumeric, []string{synNumeric}, nNumeric), bytes.Compare),
		newRule("2.5.13.8", "numericStringMatch", Equality, synNumeric, []string{synNumeric}, nNumeric),
		substr(newRule("2.5.13.7", "caseExactSubstringsMatch", Substrings, synSubstring, stringSyntaxes, nString(false)), spaceRFC, pString(false)),
		ordering(newRule("2.5.13.6", "caseExactOrderingMatch", Ordering, synDirString, stringSyntaxes, nString(false)), bytes.Compare),
		newRule("2.5.13.5", "caseExactMatch", Equality, synDirString, stringSyntaxes, nString(false)),
		substr(newRule("2.5.13.4", "caseIgnoreSubstringsMatch", Substrings, synSubstring, stringSyntaxes, nString(true)), spaceRFC, pString(true)),
		ordering(newRule("2.5.13.3", "caseIgnoreOrderingMatch", Ordering, synDirString, stringSyntaxes, nString(true)), bytes.Compare),
		newRule("2.5.13.2", "caseIgnoreMatch", Equality, synDirString, stringSyntaxes, nString(true)),
		newRule("1.2.36.79672281.1.13.3", "rdnMatch", Equality, synRDN, []string{synRDN}, nDN),
		newRule("2.5.13.1", "distinguishedNameMatch", Equality, synDN, []string{synDN}, nDN),
		newRule("2.5.13.0", "objectIdentifierMatch", Equality, synOID, []string{synOID}, nOID),

		// Known to slapd but not published.
		hidden(newRule("2.5.13.22", "presentationAddressMatch", Equality, synPresAddr, []string{synPresAddr}, nString(true))),
		hidden(newRule("2.5.13.24", "protocolInformationMatch", Equality, synProtoInfo, []string{synProtoInfo}, nString(true))),
		hidden(newRule("1.3.6.1.4.1.4203.666.11.2.2", "CSNMatch", Equality, synCSN, []string{synCSN}, nCSN)),
		hidden(ordering(newRule("1.3.6.1.4.1.4203.666.11.2.3", "CSNOrderingMatch", Ordering, synCSN, []string{synCSN}, nCSN), bytes.Compare)),
		hidden(newRule("1.3.6.1.4.1.4203.666.11.2.5", "CSNSIDMatch", Equality, synSID, []string{synCSN, synSID}, nSID)),
		hidden(newRule("1.3.6.1.4.1.4203.666.4.12", "authzMatch", Equality, synAuthz, []string{synAuthz}, nAuthz)),

		// RFC 4517 rules slapd does not implement.
		hidden(newRule("2.5.13.31", "directoryStringFirstComponentMatch", Equality, synDirString, nil, nDirStringFirst)),
		hidden(wordRule("2.5.13.32", "wordMatch")),
		hidden(wordRule("2.5.13.33", "keywordMatch")),
	}
}

// nString prepares a directory string (caseIgnore*/caseExact*).
func nString(fold bool) appendFn {
	return func(dst []byte, _ Env, v []byte) ([]byte, error) {
		return appendPrepared(dst, v, fold, subValue)
	}
}

func pString(fold bool) pieceFn {
	return func(dst []byte, _ Env, v []byte, pos SubPos) ([]byte, error) {
		return appendPrepared(dst, v, fold, pos)
	}
}

// nIA5 prepares an IA5 string: ASCII only, controls mapped, spaces handled,
// A-Z folded when fold.
func nIA5(fold bool) appendFn {
	return func(dst []byte, _ Env, v []byte) ([]byte, error) {
		if !isASCII(v) {
			return dst, invalid("IA5String", "non-ASCII character")
		}
		return appendSpaced(dst, v, fold, subValue), nil
	}
}

func pIA5(fold bool) pieceFn {
	return func(dst []byte, _ Env, v []byte, pos SubPos) ([]byte, error) {
		if !isASCII(v) {
			return dst, invalid("IA5String", "non-ASCII character")
		}
		return appendSpaced(dst, v, fold, pos), nil
	}
}

// nNumeric removes spaces; anything but digits and spaces is invalid.
func nNumeric(dst []byte, _ Env, v []byte) ([]byte, error) {
	for _, c := range v {
		switch {
		case c == ' ':
		case c >= '0' && c <= '9':
			dst = append(dst, c)
		default:
			return dst, invalid("numericString", "character %q not a digit or space", c)
		}
	}
	return dst, nil
}

// nTelephone: caseIgnore preparation, then spaces and hyphens removed.
func nTelephone(dst []byte, _ Env, v []byte) ([]byte, error) {
	if isASCII(v) {
		for _, c := range v {
			switch {
			case c <= ' ' || c == 0x7f || c == '-':
			case 'A' <= c && c <= 'Z':
				dst = append(dst, c+'a'-'A')
			default:
				dst = append(dst, c)
			}
		}
		return dst, nil
	}
	p, err := prepareUnicode(v, true)
	if err != nil {
		return dst, err
	}
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRune(p[i:])
		if r > ' ' && r != 0x7f && !isHyphen(r) {
			dst = append(dst, p[i:i+n]...)
		}
		i += n
	}
	return dst, nil
}

func nOctet(dst []byte, _ Env, v []byte) ([]byte, error) { return append(dst, v...), nil }

func nBoolean(dst []byte, _ Env, v []byte) ([]byte, error) {
	if err := validateBoolean(v); err != nil {
		return dst, err
	}
	return append(dst, v...), nil
}

func nBitString(dst []byte, _ Env, v []byte) ([]byte, error) {
	if err := validateBitString(v); err != nil {
		return dst, err
	}
	return append(dst, v...), nil
}

// nInteger encodes an integer so that canonical forms sort bytewise in
// numeric order: 0x02 for zero; 0x03, 4-byte big-endian digit count,
// digits for positive numbers; 0x01, inverted digit count, and each digit
// d written as '9'-d+'0' for negative numbers.
func nInteger(dst []byte, _ Env, v []byte) ([]byte, error) {
	if err := validateInteger(v); err != nil {
		return dst, err
	}
	return appendIntegerKey(dst, v), nil
}

func appendIntegerKey(dst, v []byte) []byte {
	switch {
	case len(v) == 1 && v[0] == '0':
		return append(dst, 0x02)
	case v[0] == '-':
		d := v[1:]
		dst = append(dst, 0x01)
		dst = binary.BigEndian.AppendUint32(dst, ^uint32(len(d)))
		for _, c := range d {
			dst = append(dst, '9'-c+'0')
		}
		return dst
	}
	dst = append(dst, 0x03)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
	return append(dst, v...)
}

func nTime(dst []byte, _ Env, v []byte) ([]byte, error) { return appendTimeCanonical(dst, v) }

func nUUID(dst []byte, _ Env, v []byte) ([]byte, error) {
	if err := validateUUID(v); err != nil {
		return dst, err
	}
	return appendLower(dst, v), nil
}

func nCSN(dst []byte, _ Env, v []byte) ([]byte, error) {
	if err := validateCSN(v); err != nil {
		return dst, err
	}
	dst = append(dst, v[:22]...) // time part, with its 'Z'
	return appendLower(dst, v[22:]), nil
}

// nSID accepts a SID or a whole CSN (whose SID it takes).
func nSID(dst []byte, _ Env, v []byte) ([]byte, error) {
	if validateCSN(v) == nil {
		v = v[30:33]
	}
	if err := validateSID(v); err != nil {
		return dst, err
	}
	return appendLower(dst, v), nil
}

func appendLower(dst, v []byte) []byte {
	for _, c := range v {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// nOID: a numeric OID as is; a descriptor resolved through env, or
// lower-cased when env is nil or does not know it.
func nOID(dst []byte, env Env, v []byte) ([]byte, error) {
	switch {
	case isNumericOID(v):
		return append(dst, v...), nil
	case isDescr(v):
		if env != nil {
			if oid, ok := env.ResolveOID(string(v)); ok {
				return append(dst, oid...), nil
			}
		}
		return appendLower(dst, v), nil
	}
	return dst, invalid("OID", "neither a numeric OID nor a descriptor")
}

// nOIDFirst takes the first component of an RFC 4512 description value, or
// an assertion OID.
func nOIDFirst(dst []byte, env Env, v []byte) ([]byte, error) {
	if f, ok := firstComponent(v); ok {
		v = f
	}
	return nOID(dst, env, v)
}

func nIntegerFirst(dst []byte, env Env, v []byte) ([]byte, error) {
	if f, ok := firstComponent(v); ok {
		v = f
	}
	return nInteger(dst, env, v)
}

func nDirStringFirst(dst []byte, env Env, v []byte) ([]byte, error) {
	return appendPrepared(dst, v, true, subValue)
}

func nDN(dst []byte, env Env, v []byte) ([]byte, error) {
	if env == nil {
		return dst, ErrNoEnv
	}
	n, err := env.NormalizeDN(string(v))
	if err != nil {
		return dst, invalid("DN", "%v", err)
	}
	return append(dst, n...), nil
}

// nNameUID: normalized DN, then "#'bits'B" if present.
func nNameUID(dst []byte, env Env, v []byte) ([]byte, error) {
	dn, uid := splitNameUID(v)
	dst, err := nDN(dst, env, dn)
	if err != nil {
		return dst, err
	}
	if uid != nil {
		dst = append(dst, '#')
		dst = append(dst, uid...)
	}
	return dst, nil
}

// nList: each line of a postal address prepared as by caseIgnoreMatch,
// lines joined by "$" with "$" and "\" escaped as \24 and \5C.
func nList(dst []byte, _ Env, v []byte) ([]byte, error) {
	if err := validatePostalAddress(v); err != nil {
		return dst, err
	}
	var buf []byte
	for i, line := range bytes.Split(v, []byte("$")) {
		if i > 0 {
			dst = append(dst, '$')
		}
		var err error
		buf, err = appendPrepared(buf[:0], unescapeLine(nil, line), true, subValue)
		if err != nil {
			return dst, err
		}
		dst = escapeLine(dst, buf)
	}
	return dst, nil
}

func pList(dst []byte, _ Env, v []byte, pos SubPos) ([]byte, error) {
	p, err := appendPrepared(nil, v, true, pos)
	if err != nil {
		return dst, err
	}
	return escapeLine(dst, p), nil
}

// nAuthz normalizes the DN of "dn:" and "dn.exact:"/"dn.base:" forms and
// keeps the others as they are.
func nAuthz(dst []byte, env Env, v []byte) ([]byte, error) {
	if err := validateAuthz(v); err != nil {
		return dst, err
	}
	s := string(v)
	for _, p := range []string{"dn:", "dn.exact:", "dn.base:"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			dst = append(dst, "dn:"...)
			return nDN(dst, env, v[len(p):])
		}
	}
	return append(dst, v...), nil
}

// bitRule builds integerBitAndMatch / integerBitOrMatch: usable only in
// extensible matches; canonical forms are decimal integers.
func bitRule(oid, name string, f func(v, a int64) bool) *MatchingRule {
	r := newRule(oid, name, Equality, synInteger, nil, func(dst []byte, _ Env, v []byte) ([]byte, error) {
		if err := validateInteger(v); err != nil {
			return dst, err
		}
		return append(dst, v...), nil
	})
	r.Match = func(value, assertion []byte) bool {
		v, err1 := strconv.ParseInt(string(value), 10, 64)
		a, err2 := strconv.ParseInt(string(assertion), 10, 64)
		return err1 == nil && err2 == nil && f(v, a)
	}
	return r
}

// wordRule builds wordMatch and keywordMatch: the prepared assertion must
// occur in the prepared value as a whole word (or run of whole words).
func wordRule(oid, name string) *MatchingRule {
	r := newRule(oid, name, Equality, synDirString, []string{synDirString}, nString(true))
	r.Match = func(value, assertion []byte) bool {
		for off := 0; off <= len(value); {
			i := bytes.Index(value[off:], assertion)
			if i < 0 {
				return false
			}
			i += off
			end := i + len(assertion)
			if (i == 0 || value[i-1] == ' ') && (end == len(value) || value[end] == ' ') {
				return true
			}
			off = i + 1
		}
		return false
	}
	return r
}
