package syntax

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ApproxKey returns the approximate-match keys of a value, used for "~="
// filters and approx indexes. The algorithm:
//
//  1. Prepare the value as caseIgnoreMatch does (RFC 4518: mapping, case
//     folding, NFKC); a value that cannot be prepared has no keys.
//  2. Decompose (NFD) and drop combining marks, so "é" becomes "e".
//  3. Split into words at every character that is neither a letter nor a
//     digit.
//  4. A word made only of ASCII letters becomes its American Soundex code
//     in lower case: the first letter, then the digits of the following
//     consonants (b f p v = 1; c g j k q s x z = 2; d t = 3; l = 4;
//     m n = 5; r = 6), adjacent equal digits written once, vowels
//     (a e i o u y) separating equal digits, h and w ignored, padded with
//     "0" or cut to four characters ("robert" and "rupert" are "r163").
//     Any other word (with digits or non-Latin letters) is kept as it is,
//     prefixed with "=" so that it never equals a Soundex code.
//  5. Duplicates are dropped; keys keep the order of their first word.
//
// env is not used today; it is there so that keys may one day depend on
// the schema.
func ApproxKey(env Env, value []byte) [][]byte {
	p, err := appendPrepared(nil, value, true, subValue)
	if err != nil {
		return nil
	}
	if !isASCII(p) {
		d := norm.NFD.Bytes(p)
		p = p[:0]
		for i := 0; i < len(d); {
			r, n := utf8.DecodeRune(d[i:])
			if !unicode.Is(unicode.Mn, r) {
				p = append(p, d[i:i+n]...)
			}
			i += n
		}
	}
	var keys [][]byte
	add := func(k []byte) {
		for _, o := range keys {
			if bytes.Equal(o, k) {
				return
			}
		}
		keys = append(keys, k)
	}
	for i := 0; i < len(p); {
		// skip separators
		r, n := utf8.DecodeRune(p[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			i += n
			continue
		}
		start := i
		letters := true
		for i < len(p) {
			r, n = utf8.DecodeRune(p[i:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			if r >= utf8.RuneSelf || !isAlpha(byte(r)) {
				letters = false
			}
			i += n
		}
		w := p[start:i]
		if letters {
			add(soundex(w))
		} else {
			add(append([]byte{'='}, w...))
		}
	}
	return keys
}

// soundexCode maps a lower-case ASCII letter to its digit, '0' for vowels
// and 'y', and 0 for h and w.
func soundexCode(c byte) byte {
	switch c {
	case 'b', 'f', 'p', 'v':
		return '1'
	case 'c', 'g', 'j', 'k', 'q', 's', 'x', 'z':
		return '2'
	case 'd', 't':
		return '3'
	case 'l':
		return '4'
	case 'm', 'n':
		return '5'
	case 'r':
		return '6'
	case 'h', 'w':
		return 0
	}
	return '0'
}

// soundex codes a non-empty word of ASCII letters (already lower case).
func soundex(w []byte) []byte {
	out := make([]byte, 1, 4)
	out[0] = w[0] | 0x20
	last := soundexCode(out[0])
	for _, c := range w[1:] {
		if len(out) == 4 {
			break
		}
		code := soundexCode(c | 0x20)
		switch {
		case code == 0: // h, w: transparent
		case code == '0':
			last = '0'
		case code != last:
			out = append(out, code)
			last = code
		}
	}
	for len(out) < 4 {
		out = append(out, '0')
	}
	return out
}

// ApproxMatch reports whether value approximately matches assertion: every
// key of the assertion is a key of the value (in any order). An assertion
// without keys matches nothing.
func ApproxMatch(env Env, value, assertion []byte) bool {
	ak := ApproxKey(env, assertion)
	if len(ak) == 0 {
		return false
	}
	vk := ApproxKey(env, value)
next:
	for _, a := range ak {
		for _, v := range vk {
			if bytes.Equal(a, v) {
				continue next
			}
		}
		return false
	}
	return true
}
