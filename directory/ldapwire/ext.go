package ldapwire

import "fmt"

// PasswdModifyRequest is the value of a Password Modify extended request
// (RFC 3062). Its fields alias the value it was parsed from.
type PasswdModifyRequest struct {
	UserIdentity    []byte // userIdentity [0]
	OldPasswd       []byte // oldPasswd [1]
	NewPasswd       []byte // newPasswd [2]
	HasUserIdentity bool
	HasOldPasswd    bool
	HasNewPasswd    bool
}

// ParsePasswdModify decodes the requestValue of a Password Modify request.
// An absent or empty requestValue means all fields absent (change the
// session user's password to one the server generates).
func ParsePasswdModify(value []byte) (PasswdModifyRequest, error) {
	var r PasswdModifyRequest
	if len(value) == 0 {
		return r, nil
	}
	tag, b, rest, err := tlv(value)
	if err == nil && tag != TagSequence {
		err = ErrBadTag
	}
	if err == nil && len(rest) != 0 {
		err = ErrTrailingData
	}
	if err != nil {
		return r, fmt.Errorf("ldapwire: password modify request value: %w", err)
	}
	fields := [...]struct {
		tag byte
		v   *[]byte
		has *bool
	}{
		{0x80, &r.UserIdentity, &r.HasUserIdentity},
		{0x81, &r.OldPasswd, &r.HasOldPasswd},
		{0x82, &r.NewPasswd, &r.HasNewPasswd},
	}
	for _, f := range fields {
		if len(b) == 0 || b[0] != f.tag {
			continue
		}
		if _, *f.v, b, err = tlv(b); err != nil {
			return PasswdModifyRequest{}, fmt.Errorf("ldapwire: password modify request value: %w", err)
		}
		*f.has = true
	}
	if err := checkTLVs(b); err != nil {
		return PasswdModifyRequest{}, fmt.Errorf("ldapwire: password modify request value: %w", err)
	}
	return r, nil
}

// AppendPasswdModifyRequestValue appends a Password Modify requestValue
// (for clients and tests); nil fields are omitted.
func AppendPasswdModifyRequestValue(dst []byte, userIdentity, oldPasswd, newPasswd []byte) []byte {
	dst, pos := openTag(dst, TagSequence)
	if userIdentity != nil {
		dst = appendBytes(dst, 0x80, userIdentity)
	}
	if oldPasswd != nil {
		dst = appendBytes(dst, 0x81, oldPasswd)
	}
	if newPasswd != nil {
		dst = appendBytes(dst, 0x82, newPasswd)
	}
	return closeTag(dst, pos)
}

// AppendPasswdModifyResponseValue appends the responseValue of a Password
// Modify response, PasswdModifyResponseValue ::= SEQUENCE { genPasswd [0]
// OCTET STRING OPTIONAL }, with genPasswd. When the server did not generate
// a password it sends no responseValue at all (as slapd does) rather than
// calling this.
func AppendPasswdModifyResponseValue(dst, genPasswd []byte) []byte {
	dst, pos := openTag(dst, TagSequence)
	dst = appendBytes(dst, 0x80, genPasswd)
	return closeTag(dst, pos)
}

// ParsePagedResults decodes the value of a paged results control (RFC
// 2696): realSearchControlValue ::= SEQUENCE { size INTEGER (0..maxInt),
// cookie OCTET STRING }. cookie aliases value.
func ParsePagedResults(value []byte) (size int32, cookie []byte, err error) {
	var m Message
	s := state{m: &m}
	b, rest, err := s.elem(value, TagSequence, "paged results control value")
	if err == nil && len(rest) != 0 {
		err = s.fail(ErrTrailingData, "paged results control value")
	}
	if err == nil {
		size, b, err = s.int(b, TagInteger, "paged results size")
	}
	if err == nil && size < 0 {
		err = s.fail(ErrBadValue, "paged results size")
	}
	if err == nil {
		cookie, b, err = s.elem(b, TagOctetString, "paged results cookie")
	}
	if err == nil {
		err = s.end(b, "paged results control value")
	}
	if err != nil {
		return 0, nil, err
	}
	return size, cookie, nil
}

// AppendPagedResultsValue appends a paged results control value (used in
// the response control: size is the estimate, 0 if unknown; an empty cookie
// ends the paging).
func AppendPagedResultsValue(dst []byte, size int32, cookie []byte) []byte {
	dst, pos := openTag(dst, TagSequence)
	dst = appendInt(dst, TagInteger, size)
	dst = appendBytes(dst, TagOctetString, cookie)
	return closeTag(dst, pos)
}

// ParseAssertion decodes the value of an assertion control (RFC 4528), an
// encoded Filter, into f with the default limits. The filter aliases value.
func ParseAssertion(value []byte, f *Filter) error {
	return (*Decoder)(nil).DecodeFilter(value, f)
}

// ParseCancel decodes the requestValue of a Cancel extended request (RFC
// 3909): cancelRequestValue ::= SEQUENCE { cancelID MessageID }.
func ParseCancel(value []byte) (int32, error) {
	var m Message
	s := state{m: &m}
	b, rest, err := s.elem(value, TagSequence, "cancel request value")
	if err == nil && len(rest) != 0 {
		err = s.fail(ErrTrailingData, "cancel request value")
	}
	var id int32
	if err == nil {
		id, b, err = s.int(b, TagInteger, "cancelID")
	}
	if err == nil && id < 0 {
		err = s.fail(ErrBadValue, "cancelID")
	}
	if err == nil {
		err = s.end(b, "cancel request value")
	}
	return id, err
}

// AppendCancelValue appends a Cancel requestValue (for clients and tests).
func AppendCancelValue(dst []byte, id int32) []byte {
	dst, pos := openTag(dst, TagSequence)
	dst = appendInt(dst, TagInteger, id)
	return closeTag(dst, pos)
}

// ValidOID reports whether b is a numericoid (RFC 4512: number *("."
// number), numbers without leading zeros), the form LDAPOID must have.
func ValidOID(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	start := 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			n := i - start
			if n == 0 || (n > 1 && b[start] == '0') {
				return false
			}
			start = i + 1
			continue
		}
		if b[i] < '0' || b[i] > '9' {
			return false
		}
	}
	return true
}
