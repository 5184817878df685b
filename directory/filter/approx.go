package filter

import (
	"hostdir/schema"
)

// Approximate matching (RFC 4511 approxMatch) is left to the server. Like
// slapd's default approxMatch for directory strings, hostdir compares word
// by word with a phonetic code: an entry value matches when every word of
// the assertion has the code of some word of the value. Values are first
// normalized with the type's equality rule (so case and insignificant
// spaces do not matter). The code of a word starting with an ASCII letter
// is its Soundex code (letter and three digits: "Smith" and "Smyth" are
// both S530); other words are their own code. Types whose equality rule is
// not one of the string rules (booleans, integers, DNs...) use plain
// equality for approx, as slapd does when it has no approx rule.

// maxCode bounds the length of a word code (longer words are their own
// code up to this length).
const maxCode = 64

// approxRules are the equality rules approx matching works on by words.
var approxRules = map[string]bool{
	"2.5.13.2":                   true, // caseIgnoreMatch
	"2.5.13.5":                   true, // caseExactMatch
	"1.3.6.1.4.1.1466.109.114.1": true, // caseExactIA5Match
	"1.3.6.1.4.1.1466.109.114.2": true, // caseIgnoreIA5Match
	"2.5.13.11":                  true, // caseIgnoreListMatch
}

// approxable reports whether approx on at works by phonetic words.
func approxable(at *schema.AttributeType) bool {
	return at != nil && at.Equality != nil && approxRules[at.Equality.OID]
}

// eachWord calls fn with each space- or '$'-separated word of v.
func eachWord(v []byte, fn func(w []byte)) {
	start := -1
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == ' ' || v[i] == '$' {
			if start >= 0 {
				fn(v[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
}

// soundexDigit maps lower-case ASCII letters to Soundex digits (0: vowel
// or ignored).
var soundexDigit = [26]byte{
	// a b c d e f g h i j k l m n o p q r s t u v w x y z
	0, '1', '2', '3', 0, '1', '2', 0, 0, '2', '2', '4', '5', '5', 0, '1', '2', '6', '2', '3', 0, '1', 0, '2', 0, '2',
}

// phonetic appends the code of word w to dst.
func phonetic(dst, w []byte) []byte {
	if len(w) == 0 {
		return dst
	}
	c0 := lowerByte(w[0])
	if c0 < 'a' || c0 > 'z' {
		if len(w) > maxCode {
			w = w[:maxCode]
		}
		return append(dst, w...)
	}
	dst = append(dst, c0-'a'+'A')
	last := soundexDigit[c0-'a']
	n := 1
	for _, c := range w[1:] {
		c = lowerByte(c)
		if c < 'a' || c > 'z' {
			continue
		}
		d := soundexDigit[c-'a']
		if c == 'h' || c == 'w' {
			continue // h and w do not separate equal codes
		}
		if d != 0 && d != last {
			dst = append(dst, d)
			n++
			if n == 4 {
				return dst
			}
		}
		last = d
	}
	for ; n < 4; n++ {
		dst = append(dst, '0')
	}
	return dst
}

// ApproxKeys calls fn with each approx index key of an attribute value of
// type at: the phonetic code of each word of its equality-normalized form
// for string types, otherwise the equality canonical form. buf is a scratch
// buffer (it is returned, possibly grown, for reuse). The keys passed to fn
// are only valid during the call. An error means the value cannot be
// normalized (no keys).
func ApproxKeys(sc *schema.Schema, at *schema.AttributeType, value, buf []byte, fn func(key []byte)) ([]byte, error) {
	if at == nil || at.Equality == nil {
		return buf, nil
	}
	norm, err := at.Equality.AppendNormalize(buf[:0], sc, value)
	if err != nil {
		return buf, err
	}
	if !approxable(at) {
		fn(norm)
		return norm, nil
	}
	var code [maxCode]byte
	eachWord(norm, func(w []byte) { fn(phonetic(code[:0], w)) })
	return norm, nil
}

// approxMatch reports whether every code of the assertion is the code of
// some word of the canonical value v.
func approxMatch(v []byte, codes [][]byte) bool {
	var code [maxCode]byte
	for _, c := range codes {
		found := false
		for i := 0; i <= len(v) && !found; {
			// next word
			for i < len(v) && (v[i] == ' ' || v[i] == '$') {
				i++
			}
			j := i
			for j < len(v) && v[j] != ' ' && v[j] != '$' {
				j++
			}
			if j > i && string(phonetic(code[:0], v[i:j])) == string(c) {
				found = true
			}
			if j == i {
				break
			}
			i = j
		}
		if !found {
			return false
		}
	}
	return true
}
