package ldapwire

import "errors"

// Low-level BER errors. They are wrapped in *Error (decoding) or
// *FrameError (framing) with the context where they occurred.
var (
	// ErrTruncated: an element claims more bytes than its enclosing
	// element (or the PDU) holds.
	ErrTruncated = errors.New("element length exceeds enclosing element")
	// ErrIndefiniteLength: the indefinite length form (0x80), which RFC 4511
	// section 5.1 forbids.
	ErrIndefiniteLength = errors.New("indefinite length form not allowed")
	// ErrLengthTooLong: a long-form length with more than 4 length octets,
	// or the reserved 0xff.
	ErrLengthTooLong = errors.New("length field longer than 4 octets")
	// ErrBadTag: an element has an identifier octet the grammar does not
	// allow at that place.
	ErrBadTag = errors.New("unexpected tag")
	// ErrBadValue: an element's contents are invalid for its type (an
	// INTEGER out of range, a BOOLEAN longer than one octet, ...).
	ErrBadValue = errors.New("invalid element contents")
	// ErrTrailingData: bytes after the element that must be the last one.
	ErrTrailingData = errors.New("trailing data")
)

// tlv splits the first BER element off b. val is its contents (capped so
// that appending to it cannot overwrite what follows), rest what follows it.
// High tag numbers are accepted and skipped (tag is then the first octet,
// whose low five bits are all ones, which matches no LDAP tag).
func tlv(b []byte) (tag byte, val, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, ErrTruncated
	}
	tag = b[0]
	i := 1
	if tag&0x1f == 0x1f {
		for {
			if i >= len(b) {
				return 0, nil, nil, ErrTruncated
			}
			c := b[i]
			i++
			if i == 2 && c == 0x80 {
				return 0, nil, nil, ErrBadTag // X.690 8.1.2.4.2 c: no leading zero bits
			}
			if c&0x80 == 0 {
				break
			}
			if i > 5 {
				return 0, nil, nil, ErrBadTag
			}
		}
		if i >= len(b) {
			return 0, nil, nil, ErrTruncated
		}
	}
	l := int(b[i])
	i++
	if l >= 0x80 {
		n := l & 0x7f
		switch {
		case n == 0:
			return 0, nil, nil, ErrIndefiniteLength
		case n > 4:
			return 0, nil, nil, ErrLengthTooLong
		case len(b)-i < n:
			return 0, nil, nil, ErrTruncated
		}
		l = 0
		for _, c := range b[i : i+n] {
			l = l<<8 | int(c)
		}
		i += n
	}
	if l > len(b)-i {
		return 0, nil, nil, ErrTruncated
	}
	return tag, b[i : i+l : i+l], b[i+l:], nil
}

// parseInt decodes the contents of an INTEGER or ENUMERATED (two's
// complement, big endian). Non-minimal encodings are accepted (as liblber
// does); more than 8 octets, or a value outside int32, is ErrBadValue.
func parseInt(v []byte) (int32, error) {
	if len(v) == 0 || len(v) > 8 {
		return 0, ErrBadValue
	}
	var x int64
	if v[0]&0x80 != 0 {
		x = -1
	}
	for _, c := range v {
		x = x<<8 | int64(c)
	}
	if x != int64(int32(x)) {
		return 0, ErrBadValue
	}
	return int32(x), nil
}

// parseBool decodes the contents of a BOOLEAN: exactly one octet, any
// non-zero value TRUE (BER).
func parseBool(v []byte) (bool, error) {
	if len(v) != 1 {
		return false, ErrBadValue
	}
	return v[0] != 0, nil
}

// checkTLVs reports whether b is a sequence of well-formed BER elements
// (used for trailing extension elements, which are ignored but must parse).
// End-of-contents (0x00) is refused: it belongs to indefinite lengths only.
func checkTLVs(b []byte) error {
	for len(b) > 0 {
		if b[0] == 0 {
			return ErrBadTag
		}
		var err error
		if _, _, b, err = tlv(b); err != nil {
			return err
		}
	}
	return nil
}

// lenLen returns the number of octets of the definite length encoding of n.
func lenLen(n int) int {
	switch {
	case n < 0x80:
		return 1
	case n <= 0xff:
		return 2
	case n <= 0xffff:
		return 3
	case n <= 0xffffff:
		return 4
	}
	return 5
}

// appendLen appends the minimal definite length encoding of n.
func appendLen(dst []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(dst, byte(n))
	case n <= 0xff:
		return append(dst, 0x81, byte(n))
	case n <= 0xffff:
		return append(dst, 0x82, byte(n>>8), byte(n))
	case n <= 0xffffff:
		return append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// appendString appends a primitive element with tag and contents s.
func appendString(dst []byte, tag byte, s string) []byte {
	dst = append(dst, tag)
	dst = appendLen(dst, len(s))
	return append(dst, s...)
}

// appendBytes appends a primitive element with tag and contents v.
func appendBytes(dst []byte, tag byte, v []byte) []byte {
	dst = append(dst, tag)
	dst = appendLen(dst, len(v))
	return append(dst, v...)
}

// intLen returns the number of contents octets of the minimal two's
// complement encoding of x.
func intLen(x int32) int {
	n := 1
	for x > 127 || x < -128 {
		n++
		x >>= 8
	}
	return n
}

// appendInt appends an INTEGER (or, with tag 0x0a, ENUMERATED) element.
func appendInt(dst []byte, tag byte, x int32) []byte {
	n := intLen(x)
	dst = append(dst, tag, byte(n))
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, byte(x>>(8*i)))
	}
	return dst
}

// appendBool appends a BOOLEAN; TRUE is encoded 0xff.
func appendBool(dst []byte, tag byte, b bool) []byte {
	if b {
		return append(dst, tag, 1, 0xff)
	}
	return append(dst, tag, 1, 0)
}

// openTag appends the identifier octet tag and a one-octet length placeholder,
// and returns the offset of the identifier for closeTag.
func openTag(dst []byte, tag byte) ([]byte, int) {
	return append(dst, tag, 0), len(dst)
}

// closeTag sets the length of the element opened at start to the number of
// octets appended since, moving the contents if the length needs the long
// form.
func closeTag(dst []byte, start int) []byte {
	n := len(dst) - start - 2
	if n < 0x80 {
		dst[start+1] = byte(n)
		return dst
	}
	extra := lenLen(n) - 1
	for i := 0; i < extra; i++ {
		dst = append(dst, 0)
	}
	copy(dst[start+2+extra:], dst[start+2:start+2+n])
	appendLen(dst[:start+1], n)
	return dst
}
