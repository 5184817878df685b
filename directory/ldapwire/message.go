package ldapwire

import "fmt"

// Control is a request or response control (RFC 4511 section 4.1.11).
type Control struct {
	Type     []byte // controlType (an LDAPOID)
	Critical bool   // criticality, FALSE when absent
	Value    []byte // controlValue
	HasValue bool   // whether controlValue was present (it may be present and empty)
}

// BindRequest is a decoded BindRequest (RFC 4511 section 4.2).
type BindRequest struct {
	Version int32      // 3 for LDAPv3; the server refuses what it does not support
	Name    []byte     // the DN (or, for SASL, usually empty)
	Method  AuthMethod // AuthSimple, AuthSASL, or another context tag number
	// Password is the simple [0] password (Method == AuthSimple).
	Password []byte
	// Mechanism and Credentials are the SASL [3] mechanism and credentials
	// (Method == AuthSASL); HasCredentials tells absent from empty.
	Mechanism      []byte
	Credentials    []byte
	HasCredentials bool
}

// SearchRequest is a decoded SearchRequest (RFC 4511 section 4.5.1).
type SearchRequest struct {
	BaseObject   []byte
	Scope        Scope        // 0..3, checked
	DerefAliases DerefAliases // 0..3, checked
	SizeLimit    int32        // >= 0, checked
	TimeLimit    int32        // >= 0, checked
	TypesOnly    bool
	Filter       Filter
	Attributes   [][]byte // the AttributeSelection, in request order
}

// Attribute is an attribute with its values (an AddRequest attribute or the
// modification of a Change).
type Attribute struct {
	Type   []byte
	Values [][]byte
}

// Change is one change of a ModifyRequest.
type Change struct {
	Op ModOp // ModAdd, ModDelete, ModReplace or ModIncrement (checked)
	Attribute
}

// ModifyRequest is a decoded ModifyRequest (RFC 4511 section 4.6).
type ModifyRequest struct {
	Object  []byte
	Changes []Change
}

// AddRequest is a decoded AddRequest (RFC 4511 section 4.7).
type AddRequest struct {
	Entry      []byte
	Attributes []Attribute
}

// ModifyDNRequest is a decoded ModifyDNRequest (RFC 4511 section 4.9).
type ModifyDNRequest struct {
	Entry          []byte
	NewRDN         []byte
	DeleteOldRDN   bool
	NewSuperior    []byte
	HasNewSuperior bool
}

// CompareRequest is a decoded CompareRequest (RFC 4511 section 4.10).
type CompareRequest struct {
	Entry []byte
	Attr  []byte // the AVA's attributeDesc
	Value []byte // the AVA's assertionValue
}

// ExtendedRequest is a decoded ExtendedRequest (RFC 4511 section 4.12).
type ExtendedRequest struct {
	Name     []byte // requestName
	Value    []byte // requestValue
	HasValue bool   // whether requestValue was present
}

// Message is a decoded LDAPMessage request. Decode fills the field of the
// operation named by Op and leaves the others zero.
//
// Aliasing: every []byte in a Message (DNs, attribute types, values,
// passwords, OIDs, control values, filter parts) is a subslice of the PDU
// given to Decode, capped so that appending to it copies. They are valid as
// long as the PDU is: with a Reader, until the next ReadPDU. Copy what must
// outlive that (e.g. string(m.Bind.Name) for the bound DN). The slices of
// slices (Controls, Attributes, Changes, Values, Filter.Nodes) belong to
// the Message and are reused by the next Decode into it.
//
// A Message is reusable: keep one per connection and Decode into it; after
// warm-up a typical request decodes without allocating.
type Message struct {
	ID       int32 // messageID (0..maxInt)
	Op       Op    // protocolOp
	Controls []Control

	Bind     BindRequest
	Search   SearchRequest
	Modify   ModifyRequest
	Add      AddRequest
	Del      []byte // DelRequest: the entry's DN
	ModDN    ModifyDNRequest
	Compare  CompareRequest
	Abandon  int32 // AbandonRequest: the message ID to abandon
	Extended ExtendedRequest

	vals [][]byte // backing store of the Values slices

	// ignored counts the elements Decode skipped without parsing their
	// contents (trailing extensions, unknown filter choices and
	// authentication methods, Unbind contents); the differential fuzz test
	// uses it.
	ignored int
}

// Default decoder limits.
const (
	DefaultMaxFilterDepth = 100
	DefaultMaxFilterNodes = 10000
	DefaultMaxElements    = 1 << 17
)

// Decoder holds decoding limits; the zero value uses the defaults. A
// Decoder is read-only while decoding and may be shared.
type Decoder struct {
	// MaxFilterDepth is the deepest nesting of and/or/not in a filter
	// (0: DefaultMaxFilterDepth).
	MaxFilterDepth int
	// MaxFilterNodes is the largest number of FilterNodes in a filter,
	// substring pieces included (0: DefaultMaxFilterNodes).
	MaxFilterNodes int
	// MaxElements is the largest number of controls, attributes, changes,
	// values and selected attributes in a message, which bounds the memory
	// of a Message to about 24 bytes times this (0: DefaultMaxElements).
	MaxElements int
}

func (d *Decoder) maxDepth() int {
	if d == nil || d.MaxFilterDepth <= 0 {
		return DefaultMaxFilterDepth
	}
	return d.MaxFilterDepth
}

func (d *Decoder) maxNodes() int {
	if d == nil || d.MaxFilterNodes <= 0 {
		return DefaultMaxFilterNodes
	}
	return d.MaxFilterNodes
}

func (d *Decoder) maxElems() int {
	if d == nil || d.MaxElements <= 0 {
		return DefaultMaxElements
	}
	return d.MaxElements
}

// Decode decodes pdu with the default limits; see Decoder.Decode.
func Decode(pdu []byte, m *Message) error {
	return (*Decoder)(nil).Decode(pdu, m)
}

// trimCap is the capacity above which reused slices are dropped at the
// next Decode, so that one large request does not pin memory for the life
// of a connection.
const trimCap = 1024

func trim[T any](s []T) []T {
	if cap(s) > trimCap {
		return nil
	}
	return s[:0]
}

func (m *Message) reset() {
	*m = Message{
		Controls: trim(m.Controls),
		Search: SearchRequest{
			Attributes: trim(m.Search.Attributes),
			Filter:     Filter{Nodes: trim(m.Search.Filter.Nodes), stack: trim(m.Search.Filter.stack)},
		},
		Modify: ModifyRequest{Changes: trim(m.Modify.Changes)},
		Add:    AddRequest{Attributes: trim(m.Add.Attributes)},
		vals:   trim(m.vals),
	}
}

// state is one Decode call.
type state struct {
	d     *Decoder
	m     *Message
	elems int
}

func (s *state) fail(err error, what string) error {
	return &Error{ID: s.m.ID, Op: s.m.Op, Fatal: true, Code: ProtocolError, Msg: what + ": " + err.Error(), Err: err}
}

func (s *state) badTag(got, want byte, what string) error {
	return &Error{ID: s.m.ID, Op: s.m.Op, Fatal: true, Code: ProtocolError,
		Msg: what + ": unexpected tag 0x" + hex2(got) + ", want 0x" + hex2(want), Err: ErrBadTag}
}

func (s *state) invalid(what string) error {
	return &Error{ID: s.m.ID, Op: s.m.Op, Code: ProtocolError, Msg: what, Err: ErrInvalidField}
}

func (s *state) limit(what string) error {
	return &Error{ID: s.m.ID, Op: s.m.Op, Code: AdminLimitExceeded, Msg: what, Err: ErrLimit}
}

func hex2(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

// elem splits off the next element, which must have the given tag.
func (s *state) elem(b []byte, tag byte, what string) (val, rest []byte, err error) {
	t, v, r, err := tlv(b)
	if err != nil {
		return nil, nil, s.fail(err, what)
	}
	if t != tag {
		return nil, nil, s.badTag(t, tag, what)
	}
	return v, r, nil
}

func (s *state) int(b []byte, tag byte, what string) (int32, []byte, error) {
	v, r, err := s.elem(b, tag, what)
	if err != nil {
		return 0, nil, err
	}
	x, err := parseInt(v)
	if err != nil {
		return 0, nil, s.fail(err, what)
	}
	return x, r, nil
}

func (s *state) bool(b []byte, what string) (bool, []byte, error) {
	v, r, err := s.elem(b, TagBoolean, what)
	if err != nil {
		return false, nil, err
	}
	x, err := parseBool(v)
	if err != nil {
		return false, nil, s.fail(err, what)
	}
	return x, r, nil
}

// end checks the remainder of a SEQUENCE after its known components: RFC
// 4511 section 4 says to ignore trailing components one does not recognize,
// but they must still be well-formed elements.
func (s *state) end(b []byte, what string) error {
	if len(b) == 0 {
		return nil
	}
	if err := checkTLVs(b); err != nil {
		return s.fail(err, what+": trailing components")
	}
	s.m.ignored++
	return nil
}

func (s *state) count(n int) error {
	s.elems += n
	if s.elems > s.d.maxElems() {
		return s.limit("too many elements in request")
	}
	return nil
}

// Decode decodes one LDAPMessage request (a PDU as returned by
// Reader.ReadPDU: exactly one element, nothing after it) into m,
// overwriting what m held. On error m.ID and m.Op hold what could be decoded
// and the error is an *Error telling the server how to answer.
//
// Decoding rules (RFC 4511 section 5.1 and slapd's behaviour):
//   - only definite lengths; long-form lengths of at most 4 octets, not
//     necessarily minimal; single-octet tags for LDAP elements;
//   - OCTET STRINGs must be primitive; BOOLEAN is one octet, non-zero TRUE;
//     INTEGERs may be non-minimal but must fit their range (messageID
//     0..maxInt; 0 is accepted like slapd does although RFC 4511 reserves
//     it for unsolicited notifications);
//   - trailing unknown components of a SEQUENCE are ignored (RFC 4511
//     section 4), but must be well-formed; the explicit [2] of NOT and the
//     PDU itself must hold exactly one element;
//   - an unknown Filter CHOICE decodes as FilterUnknown (Undefined);
//   - an unknown BindRequest authentication choice decodes (Method) so the
//     server can answer AuthMethodNotSupported;
//   - an invalid scope, derefAliases, size/time limit or modify operation,
//     or a misordered substring filter, is a non-fatal *Error with
//     ProtocolError; exceeded limits are non-fatal with AdminLimitExceeded;
//   - a response or unknown protocolOp is fatal (ErrUnsupportedOp).
//
// Decode does not validate LDAPString UTF-8, DN or OID syntax: that is the
// server's job.
func (d *Decoder) Decode(pdu []byte, m *Message) error {
	m.reset()
	s := state{d: d, m: m}
	tag, body, rest, err := tlv(pdu)
	if err != nil {
		return s.fail(err, "LDAPMessage")
	}
	if tag != TagSequence {
		return s.badTag(tag, TagSequence, "LDAPMessage")
	}
	if len(rest) != 0 {
		return s.fail(ErrTrailingData, "after LDAPMessage")
	}
	// slapd reads the messageID as a C int of at most four octets
	// (longer encodings, even of small values, end the connection); it
	// takes negative IDs, which RFC 4511 does not allow and hostdir
	// refuses.
	idv, b, err := s.elem(body, TagInteger, "messageID")
	if err != nil {
		e := err.(*Error)
		e.Err = fmt.Errorf("%w: %w", ErrBadMessageID, e.Err)
		return e
	}
	id, err := parseInt(idv)
	if err == nil && (id < 0 || len(idv) > 4) {
		err = ErrBadValue
	}
	if err != nil {
		return &Error{Fatal: true, Code: ProtocolError, Msg: "messageID: " + err.Error(), Err: fmt.Errorf("%w: %w", ErrBadMessageID, err)}
	}
	m.ID = id
	t, op, b, err := tlv(b)
	if err != nil {
		return s.fail(err, "protocolOp")
	}
	m.Op = Op(t)
	if len(b) > 0 && b[0] == TagControls {
		var cv []byte
		if cv, b, err = s.elem(b, TagControls, "controls"); err != nil {
			return err
		}
		if err := s.controls(cv); err != nil {
			return err
		}
	}
	if err := s.end(b, "LDAPMessage"); err != nil {
		return err
	}
	switch m.Op {
	case OpBindRequest:
		return s.bind(op)
	case OpUnbindRequest:
		if len(op) > 0 {
			m.ignored++ // NULL; contents, if any, are ignored like slapd does
		}
		return nil
	case OpSearchRequest:
		return s.search(op)
	case OpModifyRequest:
		return s.modify(op)
	case OpAddRequest:
		return s.add(op)
	case OpDelRequest:
		m.Del = op
		return nil
	case OpModifyDNRequest:
		return s.modDN(op)
	case OpCompareRequest:
		return s.compare(op)
	case OpAbandonRequest:
		// As slapd: an empty INTEGER is 0, and a negative ID (which no
		// operation has) is taken; both abandon nothing.
		x := int32(0)
		if len(op) > 0 {
			var err error
			if x, err = parseInt(op); err != nil {
				return s.fail(err, "AbandonRequest")
			}
		}
		m.Abandon = x
		return nil
	case OpExtendedRequest:
		return s.extended(op)
	}
	return &Error{ID: m.ID, Op: m.Op, Fatal: true, Code: ProtocolError,
		Msg: "unknown LDAP request " + m.Op.String(), Err: ErrUnsupportedOp}
}

func (s *state) controls(b []byte) error {
	for len(b) > 0 {
		cv, r, err := s.elem(b, TagSequence, "control")
		if err != nil {
			return err
		}
		b = r
		if err := s.count(1); err != nil {
			return err
		}
		var c Control
		if c.Type, cv, err = s.elem(cv, TagOctetString, "controlType"); err != nil {
			return err
		}
		if len(cv) > 0 && cv[0] == TagBoolean {
			if c.Critical, cv, err = s.bool(cv, "criticality"); err != nil {
				return err
			}
		}
		if len(cv) > 0 && cv[0] == TagOctetString {
			if c.Value, cv, err = s.elem(cv, TagOctetString, "controlValue"); err != nil {
				return err
			}
			c.HasValue = true
		}
		if err := s.end(cv, "control"); err != nil {
			return err
		}
		s.m.Controls = append(s.m.Controls, c)
	}
	return nil
}

func (s *state) bind(b []byte) error {
	r := &s.m.Bind
	var err error
	if r.Version, b, err = s.int(b, TagInteger, "BindRequest version"); err != nil {
		return err
	}
	if r.Name, b, err = s.elem(b, TagOctetString, "BindRequest name"); err != nil {
		return err
	}
	t, v, b, err := tlv(b)
	if err != nil {
		return s.fail(err, "BindRequest authentication")
	}
	switch {
	case t == TagAuthSimple:
		r.Method, r.Password = AuthSimple, v
	case t == TagAuthSASL:
		r.Method = AuthSASL
		if r.Mechanism, v, err = s.elem(v, TagOctetString, "SaslCredentials mechanism"); err != nil {
			return err
		}
		if len(v) > 0 && v[0] == TagOctetString {
			if r.Credentials, v, err = s.elem(v, TagOctetString, "SaslCredentials credentials"); err != nil {
				return err
			}
			r.HasCredentials = true
		}
		if err := s.end(v, "SaslCredentials"); err != nil {
			return err
		}
	case t&0xc0 == 0x80:
		r.Method = AuthMethod(t & 0x1f)
		s.m.ignored++
	default:
		return s.badTag(t, TagAuthSimple, "BindRequest authentication")
	}
	return s.end(b, "BindRequest")
}

func (s *state) search(b []byte) error {
	r := &s.m.Search
	var err error
	var x int32
	if r.BaseObject, b, err = s.elem(b, TagOctetString, "SearchRequest baseObject"); err != nil {
		return err
	}
	if x, b, err = s.int(b, TagEnumerated, "SearchRequest scope"); err != nil {
		return err
	}
	r.Scope = Scope(x)
	if x, b, err = s.int(b, TagEnumerated, "SearchRequest derefAliases"); err != nil {
		return err
	}
	r.DerefAliases = DerefAliases(x)
	if r.SizeLimit, b, err = s.int(b, TagInteger, "SearchRequest sizeLimit"); err != nil {
		return err
	}
	if r.TimeLimit, b, err = s.int(b, TagInteger, "SearchRequest timeLimit"); err != nil {
		return err
	}
	if r.TypesOnly, b, err = s.bool(b, "SearchRequest typesOnly"); err != nil {
		return err
	}
	switch {
	case r.Scope < ScopeBase || r.Scope > ScopeChildren:
		return s.invalid("invalid scope")
	case r.DerefAliases < NeverDerefAliases || r.DerefAliases > DerefAlways:
		return s.invalid("invalid deref")
	case r.SizeLimit < 0 || r.TimeLimit < 0:
		return s.invalid("invalid search limit")
	}
	_, _, rest, err := tlv(b)
	if err != nil {
		return s.fail(err, "SearchRequest filter")
	}
	if err := s.filter(&r.Filter, b[:len(b)-len(rest)]); err != nil {
		return err
	}
	av, b, err := s.elem(rest, TagSequence, "SearchRequest attributes")
	if err != nil {
		return err
	}
	for len(av) > 0 {
		var a []byte
		if a, av, err = s.elem(av, TagOctetString, "SearchRequest attribute"); err != nil {
			return err
		}
		if err := s.count(1); err != nil {
			return err
		}
		r.Attributes = append(r.Attributes, a)
	}
	return s.end(b, "SearchRequest")
}

// attribute decodes a PartialAttribute / Attribute SEQUENCE's contents.
func (s *state) attribute(b []byte, a *Attribute, what string) error {
	var err error
	if a.Type, b, err = s.elem(b, TagOctetString, what+" type"); err != nil {
		return err
	}
	vs, b, err := s.elem(b, TagSet, what+" vals")
	if err != nil {
		return err
	}
	first := len(s.m.vals)
	for len(vs) > 0 {
		var v []byte
		if v, vs, err = s.elem(vs, TagOctetString, what+" value"); err != nil {
			return err
		}
		if err := s.count(1); err != nil {
			return err
		}
		s.m.vals = append(s.m.vals, v)
	}
	n := len(s.m.vals)
	a.Values = s.m.vals[first:n:n]
	return s.end(b, what)
}

func (s *state) modify(b []byte) error {
	r := &s.m.Modify
	var err error
	if r.Object, b, err = s.elem(b, TagOctetString, "ModifyRequest object"); err != nil {
		return err
	}
	cs, b, err := s.elem(b, TagSequence, "ModifyRequest changes")
	if err != nil {
		return err
	}
	for len(cs) > 0 {
		var cv []byte
		if cv, cs, err = s.elem(cs, TagSequence, "change"); err != nil {
			return err
		}
		if err := s.count(1); err != nil {
			return err
		}
		var c Change
		var x int32
		if x, cv, err = s.int(cv, TagEnumerated, "change operation"); err != nil {
			return err
		}
		if x < 0 || x > int32(ModIncrement) {
			return s.invalid("unrecognized modify operation")
		}
		c.Op = ModOp(x)
		var av []byte
		if av, cv, err = s.elem(cv, TagSequence, "change modification"); err != nil {
			return err
		}
		if err := s.attribute(av, &c.Attribute, "modification"); err != nil {
			return err
		}
		if err := s.end(cv, "change"); err != nil {
			return err
		}
		r.Changes = append(r.Changes, c)
	}
	return s.end(b, "ModifyRequest")
}

func (s *state) add(b []byte) error {
	r := &s.m.Add
	var err error
	if r.Entry, b, err = s.elem(b, TagOctetString, "AddRequest entry"); err != nil {
		return err
	}
	as, b, err := s.elem(b, TagSequence, "AddRequest attributes")
	if err != nil {
		return err
	}
	for len(as) > 0 {
		var av []byte
		if av, as, err = s.elem(as, TagSequence, "AddRequest attribute"); err != nil {
			return err
		}
		if err := s.count(1); err != nil {
			return err
		}
		var a Attribute
		if err := s.attribute(av, &a, "attribute"); err != nil {
			return err
		}
		r.Attributes = append(r.Attributes, a)
	}
	return s.end(b, "AddRequest")
}

func (s *state) modDN(b []byte) error {
	r := &s.m.ModDN
	var err error
	if r.Entry, b, err = s.elem(b, TagOctetString, "ModifyDNRequest entry"); err != nil {
		return err
	}
	if r.NewRDN, b, err = s.elem(b, TagOctetString, "ModifyDNRequest newrdn"); err != nil {
		return err
	}
	if r.DeleteOldRDN, b, err = s.bool(b, "ModifyDNRequest deleteoldrdn"); err != nil {
		return err
	}
	if len(b) > 0 && b[0] == TagNewSuperior {
		if r.NewSuperior, b, err = s.elem(b, TagNewSuperior, "ModifyDNRequest newSuperior"); err != nil {
			return err
		}
		r.HasNewSuperior = true
	}
	return s.end(b, "ModifyDNRequest")
}

func (s *state) compare(b []byte) error {
	r := &s.m.Compare
	var err error
	if r.Entry, b, err = s.elem(b, TagOctetString, "CompareRequest entry"); err != nil {
		return err
	}
	av, b, err := s.elem(b, TagSequence, "CompareRequest ava")
	if err != nil {
		return err
	}
	if r.Attr, av, err = s.elem(av, TagOctetString, "CompareRequest attributeDesc"); err != nil {
		return err
	}
	if r.Value, av, err = s.elem(av, TagOctetString, "CompareRequest assertionValue"); err != nil {
		return err
	}
	if err := s.end(av, "CompareRequest ava"); err != nil {
		return err
	}
	return s.end(b, "CompareRequest")
}

func (s *state) extended(b []byte) error {
	r := &s.m.Extended
	var err error
	if r.Name, b, err = s.elem(b, TagExtRequestName, "ExtendedRequest requestName"); err != nil {
		return err
	}
	if len(b) > 0 && b[0] == TagExtRequestValue {
		if r.Value, b, err = s.elem(b, TagExtRequestValue, "ExtendedRequest requestValue"); err != nil {
			return err
		}
		r.HasValue = true
	}
	return s.end(b, "ExtendedRequest")
}
