package ldapwire

// Encoding: every function appends one complete LDAPMessage to dst and
// returns the extended slice, like strconv.AppendInt. Keep one buffer per
// connection, append the responses of a request (or several), write them,
// and reset it with buf = buf[:0]. Lengths are always minimal; BOOLEAN TRUE
// is 0xff. Nothing allocates except dst's growth.

// Result is the LDAPResult of a response (RFC 4511 section 4.1.9).
type Result struct {
	Code      ResultCode
	MatchedDN string
	Message   string   // diagnosticMessage
	Referral  []string // referral [3] URIs; sent only if not empty (with Code Referral)
}

// startMessage opens the LDAPMessage SEQUENCE and appends the messageID.
func startMessage(dst []byte, id int32) ([]byte, int) {
	dst, pos := openTag(dst, TagSequence)
	return appendInt(dst, TagInteger, id), pos
}

// finishMessage appends the controls, if any, and closes the message.
func finishMessage(dst []byte, pos int, ctrls []Control) []byte {
	if len(ctrls) > 0 {
		dst = AppendControls(dst, ctrls)
	}
	return closeTag(dst, pos)
}

// AppendControls appends a [0] Controls element holding ctrls (criticality
// is sent only when TRUE, controlValue only when HasValue).
func AppendControls(dst []byte, ctrls []Control) []byte {
	dst, pos := openTag(dst, TagControls)
	for i := range ctrls {
		c := &ctrls[i]
		var cp int
		dst, cp = openTag(dst, TagSequence)
		dst = appendBytes(dst, TagOctetString, c.Type)
		if c.Critical {
			dst = appendBool(dst, TagBoolean, true)
		}
		if c.HasValue {
			dst = appendBytes(dst, TagOctetString, c.Value)
		}
		dst = closeTag(dst, cp)
	}
	return closeTag(dst, pos)
}

// appendResultFields appends the COMPONENTS OF LDAPResult.
func appendResultFields(dst []byte, r *Result) []byte {
	dst = appendInt(dst, TagEnumerated, int32(r.Code))
	dst = appendString(dst, TagOctetString, r.MatchedDN)
	dst = appendString(dst, TagOctetString, r.Message)
	if len(r.Referral) > 0 {
		var pos int
		dst, pos = openTag(dst, TagReferral)
		for _, u := range r.Referral {
			dst = appendString(dst, TagOctetString, u)
		}
		dst = closeTag(dst, pos)
	}
	return dst
}

// AppendResult appends a response whose protocolOp is just an LDAPResult:
// op is OpSearchResultDone, OpModifyResponse, OpAddResponse, OpDelResponse,
// OpModifyDNResponse or OpCompareResponse, or OpBindResponse and
// OpExtendedResponse without their optional fields (e.g. to answer a
// non-fatal *Error with ResponseOp(e.Op)).
func AppendResult(dst []byte, id int32, op Op, r Result, ctrls ...Control) []byte {
	dst, msg := startMessage(dst, id)
	dst, pos := openTag(dst, byte(op))
	dst = appendResultFields(dst, &r)
	dst = closeTag(dst, pos)
	return finishMessage(dst, msg, ctrls)
}

// AppendBindResponse appends a BindResponse; serverSaslCreds [7] is sent
// if saslCreds is not nil.
func AppendBindResponse(dst []byte, id int32, r Result, saslCreds []byte, ctrls ...Control) []byte {
	dst, msg := startMessage(dst, id)
	dst, pos := openTag(dst, byte(OpBindResponse))
	dst = appendResultFields(dst, &r)
	if saslCreds != nil {
		dst = appendBytes(dst, TagServerSaslCreds, saslCreds)
	}
	dst = closeTag(dst, pos)
	return finishMessage(dst, msg, ctrls)
}

// AppendExtendedResponse appends an ExtendedResponse; responseName [10] is
// sent if name is not empty, responseValue [11] if value is not nil (a
// non-nil empty value is sent empty).
func AppendExtendedResponse(dst []byte, id int32, r Result, name string, value []byte, ctrls ...Control) []byte {
	dst, msg := startMessage(dst, id)
	dst, pos := openTag(dst, byte(OpExtendedResponse))
	dst = appendResultFields(dst, &r)
	if name != "" {
		dst = appendString(dst, TagExtResponseName, name)
	}
	if value != nil {
		dst = appendBytes(dst, TagExtResponseValue, value)
	}
	dst = closeTag(dst, pos)
	return finishMessage(dst, msg, ctrls)
}

// AppendWhoAmIResponse appends the successful response to a Who am I?
// request (RFC 4532): no responseName, and the authzId ("dn:<DN>", or ""
// for an anonymous session) as the plain responseValue.
func AppendWhoAmIResponse(dst []byte, id int32, authzID string) []byte {
	dst, msg := startMessage(dst, id)
	dst, pos := openTag(dst, byte(OpExtendedResponse))
	dst = appendResultFields(dst, &Result{})
	dst = appendString(dst, TagExtResponseValue, authzID)
	dst = closeTag(dst, pos)
	return closeTag(dst, msg)
}

// AppendNoticeOfDisconnection appends the unsolicited Notice of
// Disconnection (RFC 4511 section 4.4.1): an ExtendedResponse with
// messageID 0 and responseName 1.3.6.1.4.1.1466.20036. code is usually
// ProtocolError (a broken PDU), Unavailable or StrongerAuthRequired. The
// server closes the connection after writing it.
func AppendNoticeOfDisconnection(dst []byte, code ResultCode, msg string) []byte {
	return AppendExtendedResponse(dst, 0, Result{Code: code, Message: msg}, OIDNoticeOfDisconnection, nil)
}

// AppendIntermediateResponse appends an IntermediateResponse (RFC 4511
// section 4.13); name [0] is sent if not empty, value [1] if not nil.
func AppendIntermediateResponse(dst []byte, id int32, name string, value []byte, ctrls ...Control) []byte {
	dst, msg := startMessage(dst, id)
	dst, pos := openTag(dst, byte(OpIntermediateResponse))
	if name != "" {
		dst = appendString(dst, TagInterResponseName, name)
	}
	if value != nil {
		dst = appendBytes(dst, TagInterResponseVal, value)
	}
	dst = closeTag(dst, pos)
	return finishMessage(dst, msg, ctrls)
}

// AppendSearchResultReference appends a SearchResultReference with the
// given URIs (RFC 4511 requires at least one).
func AppendSearchResultReference(dst []byte, id int32, uris []string, ctrls ...Control) []byte {
	dst, msg := startMessage(dst, id)
	dst, pos := openTag(dst, byte(OpSearchResultReference))
	for _, u := range uris {
		dst = appendString(dst, TagOctetString, u)
	}
	dst = closeTag(dst, pos)
	return finishMessage(dst, msg, ctrls)
}

// Entry is a SearchResultEntry being appended: StartEntry, then AppendAttr
// (or AppendAttrString) for each attribute in the order the client should
// see them, then Finish. Between StartEntry and Finish nothing else may be
// appended to the buffer. Entry records offsets, so it stays valid when the
// buffer grows.
type Entry struct {
	msg, op, attrs int
}

// StartEntry begins a SearchResultEntry for the entry dn.
func StartEntry(dst []byte, id int32, dn string) ([]byte, Entry) {
	var e Entry
	dst, e.msg = startMessage(dst, id)
	dst, e.op = openTag(dst, byte(OpSearchResultEntry))
	dst = appendString(dst, TagOctetString, dn)
	dst, e.attrs = openTag(dst, TagSequence)
	return dst, e
}

// StartEntryBytes is StartEntry with the DN as bytes.
func StartEntryBytes(dst []byte, id int32, dn []byte) ([]byte, Entry) {
	var e Entry
	dst, e.msg = startMessage(dst, id)
	dst, e.op = openTag(dst, byte(OpSearchResultEntry))
	dst = appendBytes(dst, TagOctetString, dn)
	dst, e.attrs = openTag(dst, TagSequence)
	return dst, e
}

// AppendAttr appends one PartialAttribute of an entry: its type and values
// in the order given. With no values (typesOnly) the value set is empty.
func AppendAttr(dst []byte, typ string, vals ...[]byte) []byte {
	set := 0
	for _, v := range vals {
		set += 1 + lenLen(len(v)) + len(v)
	}
	dst = append(dst, TagSequence)
	dst = appendLen(dst, 1+lenLen(len(typ))+len(typ)+1+lenLen(set)+set)
	dst = appendString(dst, TagOctetString, typ)
	dst = append(dst, TagSet)
	dst = appendLen(dst, set)
	for _, v := range vals {
		dst = appendBytes(dst, TagOctetString, v)
	}
	return dst
}

// AppendAttrString is AppendAttr with string values.
func AppendAttrString(dst []byte, typ string, vals ...string) []byte {
	set := 0
	for _, v := range vals {
		set += 1 + lenLen(len(v)) + len(v)
	}
	dst = append(dst, TagSequence)
	dst = appendLen(dst, 1+lenLen(len(typ))+len(typ)+1+lenLen(set)+set)
	dst = appendString(dst, TagOctetString, typ)
	dst = append(dst, TagSet)
	dst = appendLen(dst, set)
	for _, v := range vals {
		dst = appendString(dst, TagOctetString, v)
	}
	return dst
}

// Finish completes the entry (with its controls, if any) and returns dst.
func (e Entry) Finish(dst []byte, ctrls ...Control) []byte {
	dst = closeTag(dst, e.attrs)
	dst = closeTag(dst, e.op)
	return finishMessage(dst, e.msg, ctrls)
}
