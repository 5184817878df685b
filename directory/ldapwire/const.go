package ldapwire

import "strconv"

// Op identifies an LDAP operation by the identifier octet of its protocolOp
// element exactly as it appears on the wire (class APPLICATION, the
// constructed bit where RFC 4511 defines a SEQUENCE, and the tag number).
// The zero Op means "no operation decoded".
type Op byte

// Operation identifiers (RFC 4511 section 4.2 ff.).
const (
	OpBindRequest           Op = 0x60 // [APPLICATION 0] SEQUENCE
	OpBindResponse          Op = 0x61 // [APPLICATION 1] SEQUENCE
	OpUnbindRequest         Op = 0x42 // [APPLICATION 2] NULL
	OpSearchRequest         Op = 0x63 // [APPLICATION 3] SEQUENCE
	OpSearchResultEntry     Op = 0x64 // [APPLICATION 4] SEQUENCE
	OpSearchResultDone      Op = 0x65 // [APPLICATION 5] LDAPResult
	OpModifyRequest         Op = 0x66 // [APPLICATION 6] SEQUENCE
	OpModifyResponse        Op = 0x67 // [APPLICATION 7] LDAPResult
	OpAddRequest            Op = 0x68 // [APPLICATION 8] SEQUENCE
	OpAddResponse           Op = 0x69 // [APPLICATION 9] LDAPResult
	OpDelRequest            Op = 0x4a // [APPLICATION 10] LDAPDN
	OpDelResponse           Op = 0x6b // [APPLICATION 11] LDAPResult
	OpModifyDNRequest       Op = 0x6c // [APPLICATION 12] SEQUENCE
	OpModifyDNResponse      Op = 0x6d // [APPLICATION 13] LDAPResult
	OpCompareRequest        Op = 0x6e // [APPLICATION 14] SEQUENCE
	OpCompareResponse       Op = 0x6f // [APPLICATION 15] LDAPResult
	OpAbandonRequest        Op = 0x50 // [APPLICATION 16] MessageID
	OpSearchResultReference Op = 0x73 // [APPLICATION 19] SEQUENCE OF URI
	OpExtendedRequest       Op = 0x77 // [APPLICATION 23] SEQUENCE
	OpExtendedResponse      Op = 0x78 // [APPLICATION 24] SEQUENCE
	OpIntermediateResponse  Op = 0x79 // [APPLICATION 25] SEQUENCE
)

var opNames = map[Op]string{
	OpBindRequest:           "BindRequest",
	OpBindResponse:          "BindResponse",
	OpUnbindRequest:         "UnbindRequest",
	OpSearchRequest:         "SearchRequest",
	OpSearchResultEntry:     "SearchResultEntry",
	OpSearchResultDone:      "SearchResultDone",
	OpModifyRequest:         "ModifyRequest",
	OpModifyResponse:        "ModifyResponse",
	OpAddRequest:            "AddRequest",
	OpAddResponse:           "AddResponse",
	OpDelRequest:            "DelRequest",
	OpDelResponse:           "DelResponse",
	OpModifyDNRequest:       "ModifyDNRequest",
	OpModifyDNResponse:      "ModifyDNResponse",
	OpCompareRequest:        "CompareRequest",
	OpCompareResponse:       "CompareResponse",
	OpAbandonRequest:        "AbandonRequest",
	OpSearchResultReference: "SearchResultReference",
	OpExtendedRequest:       "ExtendedRequest",
	OpExtendedResponse:      "ExtendedResponse",
	OpIntermediateResponse:  "IntermediateResponse",
}

// String returns the RFC 4511 name of the operation, or "Op(0x..)".
func (o Op) String() string {
	if s, ok := opNames[o]; ok {
		return s
	}
	return "Op(0x" + strconv.FormatUint(uint64(o), 16) + ")"
}

// IsRequest reports whether o is an operation a client may send.
func (o Op) IsRequest() bool {
	switch o {
	case OpBindRequest, OpUnbindRequest, OpSearchRequest, OpModifyRequest,
		OpAddRequest, OpDelRequest, OpModifyDNRequest, OpCompareRequest,
		OpAbandonRequest, OpExtendedRequest:
		return true
	}
	return false
}

// ResponseOp returns the operation that carries the final result of request
// o (BindResponse for BindRequest, SearchResultDone for SearchRequest, ...),
// and 0 for Unbind, Abandon and anything that is not a request: those get no
// response.
func ResponseOp(o Op) Op {
	switch o {
	case OpBindRequest:
		return OpBindResponse
	case OpSearchRequest:
		return OpSearchResultDone
	case OpModifyRequest:
		return OpModifyResponse
	case OpAddRequest:
		return OpAddResponse
	case OpDelRequest:
		return OpDelResponse
	case OpModifyDNRequest:
		return OpModifyDNResponse
	case OpCompareRequest:
		return OpCompareResponse
	case OpExtendedRequest:
		return OpExtendedResponse
	}
	return 0
}

// ResultCode is an LDAPResult resultCode (RFC 4511 section 4.1.9 and
// appendix A, plus the codes of RFC 3909, RFC 4528 and RFC 4370).
type ResultCode int32

// Result codes.
const (
	Success                      ResultCode = 0
	OperationsError              ResultCode = 1
	ProtocolError                ResultCode = 2
	TimeLimitExceeded            ResultCode = 3
	SizeLimitExceeded            ResultCode = 4
	CompareFalse                 ResultCode = 5
	CompareTrue                  ResultCode = 6
	AuthMethodNotSupported       ResultCode = 7
	StrongerAuthRequired         ResultCode = 8
	Referral                     ResultCode = 10
	AdminLimitExceeded           ResultCode = 11
	UnavailableCriticalExtension ResultCode = 12
	ConfidentialityRequired      ResultCode = 13
	SaslBindInProgress           ResultCode = 14
	NoSuchAttribute              ResultCode = 16
	UndefinedAttributeType       ResultCode = 17
	InappropriateMatching        ResultCode = 18
	ConstraintViolation          ResultCode = 19
	AttributeOrValueExists       ResultCode = 20
	InvalidAttributeSyntax       ResultCode = 21
	NoSuchObject                 ResultCode = 32
	AliasProblem                 ResultCode = 33
	InvalidDNSyntax              ResultCode = 34
	AliasDereferencingProblem    ResultCode = 36
	InappropriateAuthentication  ResultCode = 48
	InvalidCredentials           ResultCode = 49
	InsufficientAccessRights     ResultCode = 50
	Busy                         ResultCode = 51
	Unavailable                  ResultCode = 52
	UnwillingToPerform           ResultCode = 53
	LoopDetect                   ResultCode = 54
	NamingViolation              ResultCode = 64
	ObjectClassViolation         ResultCode = 65
	NotAllowedOnNonLeaf          ResultCode = 66
	NotAllowedOnRDN              ResultCode = 67
	EntryAlreadyExists           ResultCode = 68
	ObjectClassModsProhibited    ResultCode = 69
	AffectsMultipleDSAs          ResultCode = 71
	Other                        ResultCode = 80
	Canceled                     ResultCode = 118 // RFC 3909
	NoSuchOperation              ResultCode = 119 // RFC 3909
	TooLate                      ResultCode = 120 // RFC 3909
	CannotCancel                 ResultCode = 121 // RFC 3909
	AssertionFailed              ResultCode = 122 // RFC 4528
	AuthorizationDenied          ResultCode = 123 // RFC 4370
)

var resultNames = map[ResultCode]string{
	Success: "success", OperationsError: "operationsError", ProtocolError: "protocolError",
	TimeLimitExceeded: "timeLimitExceeded", SizeLimitExceeded: "sizeLimitExceeded",
	CompareFalse: "compareFalse", CompareTrue: "compareTrue",
	AuthMethodNotSupported: "authMethodNotSupported", StrongerAuthRequired: "strongerAuthRequired",
	Referral: "referral", AdminLimitExceeded: "adminLimitExceeded",
	UnavailableCriticalExtension: "unavailableCriticalExtension",
	ConfidentialityRequired:      "confidentialityRequired", SaslBindInProgress: "saslBindInProgress",
	NoSuchAttribute: "noSuchAttribute", UndefinedAttributeType: "undefinedAttributeType",
	InappropriateMatching: "inappropriateMatching", ConstraintViolation: "constraintViolation",
	AttributeOrValueExists: "attributeOrValueExists", InvalidAttributeSyntax: "invalidAttributeSyntax",
	NoSuchObject: "noSuchObject", AliasProblem: "aliasProblem", InvalidDNSyntax: "invalidDNSyntax",
	AliasDereferencingProblem:   "aliasDereferencingProblem",
	InappropriateAuthentication: "inappropriateAuthentication", InvalidCredentials: "invalidCredentials",
	InsufficientAccessRights: "insufficientAccessRights", Busy: "busy", Unavailable: "unavailable",
	UnwillingToPerform: "unwillingToPerform", LoopDetect: "loopDetect",
	NamingViolation: "namingViolation", ObjectClassViolation: "objectClassViolation",
	NotAllowedOnNonLeaf: "notAllowedOnNonLeaf", NotAllowedOnRDN: "notAllowedOnRDN",
	EntryAlreadyExists: "entryAlreadyExists", ObjectClassModsProhibited: "objectClassModsProhibited",
	AffectsMultipleDSAs: "affectsMultipleDSAs", Other: "other",
	Canceled: "canceled", NoSuchOperation: "noSuchOperation", TooLate: "tooLate",
	CannotCancel: "cannotCancel", AssertionFailed: "assertionFailed",
	AuthorizationDenied: "authorizationDenied",
}

// String returns the RFC 4511 name of the code, or its number.
func (c ResultCode) String() string {
	if s, ok := resultNames[c]; ok {
		return s
	}
	return "resultCode(" + strconv.Itoa(int(c)) + ")"
}

// Scope is a SearchRequest scope.
type Scope int32

// Search scopes. ScopeChildren (subordinateSubtree, 3) is the OpenLDAP
// extension slapd accepts.
const (
	ScopeBase     Scope = 0
	ScopeOne      Scope = 1
	ScopeSub      Scope = 2
	ScopeChildren Scope = 3
)

// DerefAliases is a SearchRequest derefAliases value.
type DerefAliases int32

// derefAliases values.
const (
	NeverDerefAliases   DerefAliases = 0
	DerefInSearching    DerefAliases = 1
	DerefFindingBaseObj DerefAliases = 2
	DerefAlways         DerefAliases = 3
)

// ModOp is a ModifyRequest change operation.
type ModOp int32

// Modify operations (RFC 4511 section 4.6; increment is RFC 4525).
const (
	ModAdd       ModOp = 0
	ModDelete    ModOp = 1
	ModReplace   ModOp = 2
	ModIncrement ModOp = 3
)

// AuthMethod is the context tag number of the BindRequest authentication
// CHOICE.
type AuthMethod byte

// Authentication choices. Other tag numbers (1 and 2 were Kerberos v4 in
// LDAPv2) decode into BindRequest.Method unchanged; the server answers them
// with AuthMethodNotSupported, as slapd does.
const (
	AuthSimple AuthMethod = 0
	AuthSASL   AuthMethod = 3
)

// FilterKind is the type of a FilterNode: the context tag number of the
// Filter CHOICE (RFC 4511 section 4.5.1), or one of the pseudo kinds for
// substring pieces and unknown choices.
type FilterKind byte

// Filter kinds.
const (
	FilterAnd             FilterKind = 0 // and [0] SET OF Filter
	FilterOr              FilterKind = 1 // or [1] SET OF Filter
	FilterNot             FilterKind = 2 // not [2] Filter
	FilterEqualityMatch   FilterKind = 3 // equalityMatch [3] AttributeValueAssertion
	FilterSubstrings      FilterKind = 4 // substrings [4] SubstringFilter
	FilterGreaterOrEqual  FilterKind = 5 // greaterOrEqual [5] AttributeValueAssertion
	FilterLessOrEqual     FilterKind = 6 // lessOrEqual [6] AttributeValueAssertion
	FilterPresent         FilterKind = 7 // present [7] AttributeDescription
	FilterApproxMatch     FilterKind = 8 // approxMatch [8] AttributeValueAssertion
	FilterExtensibleMatch FilterKind = 9 // extensibleMatch [9] MatchingRuleAssertion

	// FilterSubInitial, FilterSubAny and FilterSubFinal are the children of
	// a FilterSubstrings node, one per substring, in wire order.
	FilterSubInitial FilterKind = 0x40 // initial [0]
	FilterSubAny     FilterKind = 0x41 // any [1]
	FilterSubFinal   FilterKind = 0x42 // final [2]

	// FilterUnknown is a Filter CHOICE this package does not know (a
	// context tag above 9, from a future extension). RFC 4511 section
	// 4.5.1.7 makes it Undefined, and slapd evaluates it so; Value holds
	// the element's raw contents and Tag its identifier octet.
	FilterUnknown FilterKind = 0x7f
)

// Identifier octets of the Filter CHOICE elements on the wire.
const (
	TagFilterAnd        = 0xa0
	TagFilterOr         = 0xa1
	TagFilterNot        = 0xa2
	TagFilterEquality   = 0xa3
	TagFilterSubstrings = 0xa4
	TagFilterGE         = 0xa5
	TagFilterLE         = 0xa6
	TagFilterPresent    = 0x87
	TagFilterApprox     = 0xa8
	TagFilterExtensible = 0xa9
)

// Identifier octets of universal types and of the context-tagged fields of
// LDAP messages.
const (
	TagBoolean     = 0x01
	TagInteger     = 0x02
	TagOctetString = 0x04
	TagNull        = 0x05
	TagEnumerated  = 0x0a
	TagSequence    = 0x30
	TagSet         = 0x31

	TagControls          = 0xa0 // LDAPMessage controls [0]
	TagReferral          = 0xa3 // LDAPResult referral [3]
	TagAuthSimple        = 0x80 // BindRequest simple [0]
	TagAuthSASL          = 0xa3 // BindRequest sasl [3]
	TagServerSaslCreds   = 0x87 // BindResponse serverSaslCreds [7]
	TagNewSuperior       = 0x80 // ModifyDNRequest newSuperior [0]
	TagExtRequestName    = 0x80 // ExtendedRequest requestName [0]
	TagExtRequestValue   = 0x81 // ExtendedRequest requestValue [1]
	TagExtResponseName   = 0x8a // ExtendedResponse responseName [10]
	TagExtResponseValue  = 0x8b // ExtendedResponse responseValue [11]
	TagInterResponseName = 0x80 // IntermediateResponse responseName [0]
	TagInterResponseVal  = 0x81 // IntermediateResponse responseValue [1]
)

// Well-known OIDs of extended operations, controls and features.
const (
	OIDStartTLS                = "1.3.6.1.4.1.1466.20037"  // RFC 4511 section 4.14
	OIDNoticeOfDisconnection   = "1.3.6.1.4.1.1466.20036"  // RFC 4511 section 4.4.1
	OIDWhoAmI                  = "1.3.6.1.4.1.4203.1.11.3" // RFC 4532
	OIDPasswordModify          = "1.3.6.1.4.1.4203.1.11.1" // RFC 3062
	OIDCancel                  = "1.3.6.1.1.8"             // RFC 3909
	OIDPagedResults            = "1.2.840.113556.1.4.319"  // RFC 2696
	OIDManageDsaIT             = "2.16.840.1.113730.3.4.2" // RFC 3296
	OIDAssertion               = "1.3.6.1.1.12"            // RFC 4528
	OIDAllOperationalAttrs     = "1.3.6.1.4.1.4203.1.5.1"  // RFC 3673 feature ("+")
	OIDAbsoluteTrueFalse       = "1.3.6.1.4.1.4203.1.5.3"  // RFC 4526 feature
	OIDModifyIncrement         = "1.3.6.1.1.14"            // RFC 4525 feature
	OIDAttributesByObjectClass = "1.3.6.1.4.1.4203.1.5.2"  // RFC 4529 feature ("@class")
)

// PDU size limits: the largest message body (the LDAPMessage contents after
// its tag and length octets) slapd accepts by default before and after a
// successful bind (sockbuf_max_incoming and sockbuf_max_incoming_auth).
const (
	MaxPDUAnonymous     = 262143
	MaxPDUAuthenticated = 4194303
)

// maxInt is RFC 4511's maxInt (2^31 - 1).
const maxInt = 2147483647
