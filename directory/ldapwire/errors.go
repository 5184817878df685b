package ldapwire

import (
	"errors"
	"fmt"
)

// Decoding error classes, wrapped by *Error.
var (
	// ErrUnsupportedOp: the protocolOp is not a request (a response or
	// IntermediateResponse sent by a client, or an unknown tag). slapd
	// answers "unknown LDAP request" with a Notice of Disconnection.
	ErrUnsupportedOp = errors.New("not an LDAP request")
	// ErrLimit: a decoder limit (filter depth, filter nodes, element count)
	// was exceeded.
	ErrLimit = errors.New("decoder limit exceeded")
	// ErrInvalidField: a field decoded fine but has a value the protocol
	// does not allow (unknown scope, derefAliases or modify operation,
	// negative limit).
	ErrInvalidField = errors.New("invalid field value")
	// ErrBadMessageID: the messageID is not an INTEGER of at most four
	// octets in 0..maxInt. It comes with ErrBadValue (or the framing
	// error) and is always Fatal. slapd closes such a connection without
	// a Notice of Disconnection: it cannot tell which message it read.
	ErrBadMessageID = errors.New("bad messageID")
	// ErrFilterDepth: a filter (of a search or an assertion control) is
	// nested more than SlapdMaxFilterDepth levels. It comes with ErrLimit
	// and is Fatal: slapd sends a Notice of Disconnection (protocolError,
	// "filter nested too deeply") and closes the connection. (Nesting
	// beyond the Decoder's MaxFilterDepth but within SlapdMaxFilterDepth
	// is a non-fatal ErrLimit: adminLimitExceeded.)
	ErrFilterDepth = errors.New("filter nested too deeply")
)

// SlapdMaxFilterDepth is the deepest filter nesting slapd 2.5 decodes:
// 1000 levels of and/or/not around an item; one more and it disconnects.
const SlapdMaxFilterDepth = 1000

// Error is a request that could not be decoded.
//
// If Fatal, the message is malformed (or not a request): the server should
// send a Notice of Disconnection (AppendNoticeOfDisconnection with
// ProtocolError) and close the connection, as slapd does on "decoding
// error". Otherwise the envelope was sound and ID and Op are valid: the
// server should answer the operation with Code and Msg as diagnostic
// message (e.g. AppendResult(dst, e.ID, ResponseOp(e.Op), Result{Code:
// e.Code, Message: e.Msg})) and carry on with the connection.
type Error struct {
	ID    int32      // messageID; 0 if it could not be decoded
	Op    Op         // protocolOp; 0 if it could not be decoded
	Fatal bool       // the connection must be closed
	Code  ResultCode // result code to answer with when !Fatal
	Msg   string     // diagnostic: where and what
	Err   error      // the class: ErrTruncated, ErrBadTag, ErrLimit, ...
}

// Error implements error.
func (e *Error) Error() string {
	if e.Op != 0 {
		return fmt.Sprintf("ldapwire: message %d (%v): %s", e.ID, e.Op, e.Msg)
	}
	return "ldapwire: " + e.Msg
}

// Unwrap returns the error class.
func (e *Error) Unwrap() error { return e.Err }
