package syntax

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// subValue is the "position" of a whole value (or a non-substrings
// assertion) for insignificant space handling.
const subValue SubPos = 0

// isASCII reports whether b holds only bytes below 0x80.
func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// appendPrepared appends the RFC 4518 prepared form of v (value mode when
// pos is subValue, piece mode otherwise) to dst. fold selects case folding.
func appendPrepared(dst, v []byte, fold bool, pos SubPos) ([]byte, error) {
	if isASCII(v) {
		return appendSpaced(dst, v, fold, pos), nil
	}
	p, err := prepareUnicode(v, fold)
	if err != nil {
		return dst, err
	}
	return appendSpaced(dst, p, fold, pos), nil
}

// appendSpaced performs the ASCII part of the mapping step (TAB..CR to
// SPACE, other C0 controls and DEL removed, A-Z folded when fold) together
// with insignificant space handling, and appends the result to dst. Bytes
// of multi-byte UTF-8 sequences are copied as they are.
//
// Value mode (pos == subValue): no leading or trailing spaces, inner runs
// become one SPACE, a string without non-space characters becomes " ".
// Piece mode: leading spaces are kept (as one) for any and final pieces,
// trailing spaces (as one) for initial and any pieces; an all-space piece
// becomes " " (any) or "" (initial, final: matches anything).
func appendSpaced(dst, s []byte, fold bool, pos SubPos) []byte {
	pending, leading, content := false, false, false
	for _, b := range s {
		switch {
		case b == ' ' || (b >= '\t' && b <= '\r'):
			if content {
				pending = true
			} else {
				leading = true
			}
			continue
		case b < 0x20 || b == 0x7f:
			continue
		case fold && 'A' <= b && b <= 'Z':
			b += 'a' - 'A'
		}
		if pending {
			dst = append(dst, ' ')
			pending = false
		} else if !content && leading && (pos == SubAny || pos == SubFinal) {
			dst = append(dst, ' ')
		}
		content = true
		dst = append(dst, b)
	}
	if !content {
		if pos == subValue || pos == SubAny {
			dst = append(dst, ' ')
		}
		return dst
	}
	if pending && (pos == SubInitial || pos == SubAny) {
		dst = append(dst, ' ')
	}
	return dst
}

// prepareUnicode runs the RFC 4518 steps that need Unicode tables: mapping,
// case folding (when fold), NFKC and the prohibit check. Spaces are only
// mapped, not yet handled. The steps are repeated until the string is
// stable, so that preparing a prepared string changes nothing.
func prepareUnicode(v []byte, fold bool) ([]byte, error) {
	if !utf8.Valid(v) {
		return nil, invalid("string", "not valid UTF-8")
	}
	cur := mapRunes(nil, v)
	var caser cases.Caser
	if fold {
		caser = cases.Fold()
	}
	for range 4 {
		next := cur
		if fold {
			next = caser.Bytes(next)
		}
		next = norm.NFKC.Bytes(next)
		next = mapRunes(nil, next)
		if bytes.Equal(next, cur) {
			break
		}
		cur = next
	}
	for i := 0; i < len(cur); {
		r, n := utf8.DecodeRune(cur[i:])
		if prohibited(r) {
			return nil, invalid("string", "prohibited character %U", r)
		}
		i += n
	}
	return cur, nil
}

// prohibited reports the code points RFC 4518 section 2.4 prohibits, except
// unassigned ones (see the package documentation).
func prohibited(r rune) bool {
	switch {
	case r == utf8.RuneError:
		return true
	case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE:
		return true
	case r >= 0xD800 && r <= 0xDFFF:
		return true
	}
	return unicode.Is(unicode.Co, r)
}

// mapRunes appends the RFC 4518 section 2.2 mapping of s (valid UTF-8) to dst.
func mapRunes(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRune(s[i:])
		switch {
		case r >= '\t' && r <= '\r', r == 0x85:
			dst = append(dst, ' ')
		case r < 0x20, r == 0x7f:
			// removed here, before NFKC, so that removing them cannot
			// make characters around them compose later
		case r < 0x80:
			dst = append(dst, byte(r))
		case r == 0x00AD, r == 0x1806, r == 0x034F, r >= 0x180B && r <= 0x180D,
			r >= 0xFE00 && r <= 0xFE0F, r == 0xFFFC, r == 0x200B:
			// mapped to nothing
		case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r):
			// other controls and format characters: mapped to nothing
		case unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp):
			dst = append(dst, ' ')
		default:
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}

// isHyphen reports the hyphens RFC 4518 section 2.6.3 removes from
// telephone numbers.
func isHyphen(r rune) bool {
	switch r {
	case '-', 0x058A, 0x2010, 0x2011, 0x2212, 0xFE63, 0xFF0D:
		return true
	}
	return false
}
