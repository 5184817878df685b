package bench

import (
	"errors"
	"fmt"
)

// LDAP protocol operation tags (RFC 4511, [APPLICATION n]).
const (
	tagBindRequest    = 0x60
	tagBindResponse   = 0x61
	tagUnbindRequest  = 0x42
	tagSearchRequest  = 0x63
	tagSearchEntry    = 0x64
	tagSearchDone     = 0x65
	tagSearchRef      = 0x73
	tagModifyRequest  = 0x66
	tagModifyResponse = 0x67
	tagAddRequest     = 0x68
	tagAddResponse    = 0x69
	tagExtendedResp   = 0x78
)

// Universal and context tags used in requests.
const (
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagEnumerated  = 0x0a
	tagBoolean     = 0x01
	tagSequence    = 0x30
	tagSet         = 0x31
	tagFilterAnd   = 0xa0
	tagFilterEq    = 0xa3
	tagAuthSimple  = 0x80
)

// Search scopes.
const (
	scopeBase = 0
	scopeOne  = 1
	scopeSub  = 2
)

// appendLen appends a BER definite length.
func appendLen(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n <= 0xff:
		return append(b, 0x81, byte(n))
	case n <= 0xffff:
		return append(b, 0x82, byte(n>>8), byte(n))
	case n <= 0xffffff:
		return append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		return append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// appendString appends a primitive element holding s.
func appendString(b []byte, tag byte, s string) []byte {
	b = append(b, tag)
	b = appendLen(b, len(s))
	return append(b, s...)
}

// appendInt appends an INTEGER or ENUMERATED in minimal two's complement.
func appendInt(b []byte, tag byte, v int64) []byte {
	n := 1
	for n < 8 {
		// Enough bytes when v fits in n bytes as a signed number.
		lim := int64(1) << (8*n - 1)
		if v >= -lim && v < lim {
			break
		}
		n++
	}
	b = append(b, tag, byte(n))
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// openTag starts a constructed element; closeTag finishes it. The length is
// written once the content is known, moving the content if it needs more
// than the one byte reserved.
func openTag(b []byte, tag byte) ([]byte, int) {
	b = append(b, tag, 0)
	return b, len(b)
}

// closeTag sets the length of the element opened at start (as returned by openTag).
func closeTag(b []byte, start int) []byte {
	n := len(b) - start
	if n < 0x80 {
		b[start-1] = byte(n)
		return b
	}
	var lb [5]byte
	l := appendLen(lb[:0], n)
	extra := len(l) - 1
	for range extra {
		b = append(b, 0)
	}
	copy(b[start+extra:], b[start:start+n])
	copy(b[start-1:], l)
	return b
}

// appendMessage appends an LDAPMessage with the given ID around an
// already encoded protocol operation.
func appendMessage(b []byte, id int32, op []byte) []byte {
	var idb [8]byte
	ib := appendInt(idb[:0], tagInteger, int64(id))
	b = append(b, tagSequence)
	b = appendLen(b, len(ib)+len(op))
	b = append(b, ib...)
	return append(b, op...)
}

// appendBind appends a simple BindRequest (version 3).
func appendBind(b []byte, dn, password string) []byte {
	b, p := openTag(b, tagBindRequest)
	b = appendInt(b, tagInteger, 3)
	b = appendString(b, tagOctetString, dn)
	b = appendString(b, tagAuthSimple, password)
	return closeTag(b, p)
}

// eq is one equality assertion of an AND filter.
type eq struct{ attr, value string }

// appendSearch appends a SearchRequest with an AND of equality assertions
// as its filter (the shape of every mail client query here), no size or
// time limit, derefAliases never.
func appendSearch(b []byte, base string, scope int, filter []eq, attrs []string) []byte {
	b, p := openTag(b, tagSearchRequest)
	b = appendString(b, tagOctetString, base)
	b = appendInt(b, tagEnumerated, int64(scope))
	b = appendInt(b, tagEnumerated, 0)
	b = appendInt(b, tagInteger, 0)
	b = appendInt(b, tagInteger, 0)
	b = append(b, tagBoolean, 1, 0)
	b, f := openTag(b, tagFilterAnd)
	for _, a := range filter {
		var q int
		b, q = openTag(b, tagFilterEq)
		b = appendString(b, tagOctetString, a.attr)
		b = appendString(b, tagOctetString, a.value)
		b = closeTag(b, q)
	}
	b = closeTag(b, f)
	b, s := openTag(b, tagSequence)
	for _, a := range attrs {
		b = appendString(b, tagOctetString, a)
	}
	b = closeTag(b, s)
	return closeTag(b, p)
}

// attr is one attribute of an add or one modification of a modify.
type attr struct {
	typ  string
	vals []string
}

// appendModifyReplace appends a ModifyRequest replacing each attribute.
func appendModifyReplace(b []byte, dn string, attrs []attr) []byte {
	b, p := openTag(b, tagModifyRequest)
	b = appendString(b, tagOctetString, dn)
	b, chs := openTag(b, tagSequence)
	for _, a := range attrs {
		var c int
		b, c = openTag(b, tagSequence)
		b = appendInt(b, tagEnumerated, 2) // replace
		b = appendAttr(b, a)
		b = closeTag(b, c)
	}
	b = closeTag(b, chs)
	return closeTag(b, p)
}

// appendAdd appends an AddRequest.
func appendAdd(b []byte, dn string, attrs []attr) []byte {
	b, p := openTag(b, tagAddRequest)
	b = appendString(b, tagOctetString, dn)
	b, l := openTag(b, tagSequence)
	for _, a := range attrs {
		b = appendAttr(b, a)
	}
	b = closeTag(b, l)
	return closeTag(b, p)
}

// appendAttr appends a PartialAttribute / Attribute.
func appendAttr(b []byte, a attr) []byte {
	b, p := openTag(b, tagSequence)
	b = appendString(b, tagOctetString, a.typ)
	b, s := openTag(b, tagSet)
	for _, v := range a.vals {
		b = appendString(b, tagOctetString, v)
	}
	b = closeTag(b, s)
	return closeTag(b, p)
}

// appendUnbind appends an UnbindRequest.
func appendUnbind(b []byte) []byte { return append(b, tagUnbindRequest, 0) }

// response is the envelope of one server message: what the load generator
// looks at.
type response struct {
	ID   int32
	Op   byte
	Code int    // resultCode of LDAPResult responses; 0 for entries
	DN   []byte // objectName of a SearchResultEntry (points into the message)
}

// errMalformed is returned for a response the generator cannot read.
var errMalformed = errors.New("malformed LDAP response")

// tlv splits one BER element off b: its tag, its content and the rest.
func tlv(b []byte) (tag byte, val, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errMalformed
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, fmt.Errorf("%w: multi-byte tag", errMalformed)
	}
	n := int(b[1])
	i := 2
	if n >= 0x80 {
		k := n & 0x7f
		if k == 0 || k > 4 || len(b) < 2+k {
			return 0, nil, nil, fmt.Errorf("%w: bad length", errMalformed)
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		i += k
	}
	if n < 0 || n > len(b)-i {
		return 0, nil, nil, fmt.Errorf("%w: truncated element", errMalformed)
	}
	return tag, b[i : i+n], b[i+n:], nil
}

// parseInt reads a BER INTEGER/ENUMERATED content of at most 4 bytes.
func parseInt(v []byte) (int64, error) {
	if len(v) == 0 || len(v) > 4 {
		return 0, fmt.Errorf("%w: integer of %d bytes", errMalformed, len(v))
	}
	x := int64(int8(v[0]))
	for _, c := range v[1:] {
		x = x<<8 | int64(c)
	}
	return x, nil
}

// parseResponse reads the envelope of one LDAPMessage (a whole PDU, as
// readPDU returns it).
func parseResponse(msg []byte) (response, error) {
	var r response
	tag, body, rest, err := tlv(msg)
	if err != nil {
		return r, err
	}
	if tag != tagSequence || len(rest) != 0 {
		return r, fmt.Errorf("%w: not an LDAPMessage", errMalformed)
	}
	tag, idv, body, err := tlv(body)
	if err != nil {
		return r, err
	}
	if tag != tagInteger {
		return r, fmt.Errorf("%w: no message ID", errMalformed)
	}
	id, err := parseInt(idv)
	if err != nil {
		return r, err
	}
	r.ID = int32(id)
	tag, op, _, err := tlv(body)
	if err != nil {
		return r, err
	}
	r.Op = tag
	switch tag {
	case tagSearchEntry:
		t, dn, _, err := tlv(op)
		if err != nil {
			return r, err
		}
		if t != tagOctetString {
			return r, fmt.Errorf("%w: entry without objectName", errMalformed)
		}
		r.DN = dn
	case tagSearchRef:
	case tagBindResponse, tagSearchDone, tagModifyResponse, tagAddResponse, tagExtendedResp,
		0x6b, 0x6d, 0x6f: // delete, modDN, compare responses
		t, cv, _, err := tlv(op)
		if err != nil {
			return r, err
		}
		if t != tagEnumerated {
			return r, fmt.Errorf("%w: result without resultCode", errMalformed)
		}
		c, err := parseInt(cv)
		if err != nil {
			return r, err
		}
		r.Code = int(c)
	default:
		return r, fmt.Errorf("%w: unexpected operation tag 0x%02x", errMalformed, tag)
	}
	return r, nil
}
