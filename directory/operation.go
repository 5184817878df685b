package directory

import (
	"context"
	"errors"
	"sync"
	"time"

	"hostdir/directory/acl"
	"hostdir/directory/filter"
	"hostdir/directory/ldapwire"
	"hostdir/directory/store"
)

// operation is one request being processed. It is its own context.Context
// (cancelled by Abandon, Cancel, Unbind and connection loss), pooled by the
// Server and reused: nothing may keep it after the request is answered.
type operation struct {
	c      *conn
	pdu    []byte
	msg    ldapwire.Message
	msgID  int32
	respOp ldapwire.Op
	num    int64 // op=N in the logs
	start  time.Time
	ident  *identity
	buf    []byte
	lbuf   []byte          // the stats line being built
	fc     filter.Compiler // compiles the search filter (kept when pooled)

	responded bool // the final response was sent (or suppressed)
	nentries  int

	// access control (see Server.access)
	subj        Subject
	acc         Access
	db          *database
	fetchFn     acl.Fetcher // op.fetchEntry, bound once
	fetched     []aclEntry  // entries fetched for group clauses
	inTx        bool        // inside a store read transaction: no fetching
	fetchMissed bool        // a fetch was refused because of inTx
	target      aclEntry    // the acl view of the operation's entry
	parent      aclEntry    // and of its parent

	// context state
	mu        sync.Mutex
	done      chan struct{}
	err       error
	abandoned bool
	cancelReq bool // a Cancel extended operation targets this op

	handedOff    bool      // under c.mu: run inline, its reader handed over (see conn.dispatch)
	finalSent    bool      // under mu: the final response was sent
	cancelDone   chan bool // receives whether the op answered canceled (set under c.mu)
	sentCanceled bool
}

// getOp returns a reset operation from the pool.
func (s *Server) getOp() *operation {
	op := s.opPool.Get().(*operation)
	if op.fetchFn == nil {
		op.fetchFn = op.fetchEntry
		op.fc.Cache = &s.filterCache
	}
	return op
}

// putOp resets op and returns it to the pool.
func (s *Server) putOp(op *operation) {
	const maxKeep = 64 << 10
	pdu, buf, lbuf := op.pdu[:0], op.buf[:0], op.lbuf[:0]
	if cap(pdu) > maxKeep {
		pdu = nil
	}
	if cap(buf) > maxKeep {
		buf = nil
	}
	if cap(lbuf) > 4<<10 {
		lbuf = nil
	}
	if op.acc != nil {
		op.acc.Release()
	}
	msg, fetchFn, fc := op.msg, op.fetchFn, op.fc
	fetched := op.fetched[:0]
	for i := range op.fetched {
		op.fetched[i] = aclEntry{}
	}
	*op = operation{pdu: pdu, buf: buf, lbuf: lbuf, msg: msg, fetchFn: fetchFn, fetched: fetched, fc: fc}
	s.opPool.Put(op)
}

// Deadline implements context.Context: operations have none (time limits
// are passed to the store explicitly).
func (op *operation) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done implements context.Context.
func (op *operation) Done() <-chan struct{} {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.done == nil {
		op.done = make(chan struct{})
		if op.err != nil {
			close(op.done)
		}
	}
	return op.done
}

// Err implements context.Context.
func (op *operation) Err() error {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.err
}

// Value implements context.Context.
func (op *operation) Value(any) any { return nil }

// cancel cancels the operation's context.
func (op *operation) cancel() {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.err != nil {
		return
	}
	op.err = context.Canceled
	if op.done != nil {
		close(op.done)
	}
}

// abandon cancels the operation and suppresses its response.
func (op *operation) abandon() {
	op.mu.Lock()
	op.abandoned = true
	op.mu.Unlock()
	op.cancel()
}

func (op *operation) isAbandoned() bool {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.abandoned
}

func (op *operation) isCancelRequested() bool {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.cancelReq
}

// flush writes the buffered responses.
func (op *operation) flush() error {
	if len(op.buf) == 0 {
		return nil
	}
	err := op.c.write(op.buf)
	op.buf = op.buf[:0]
	return err
}

// ldapError is an error carrying an LDAP result.
type ldapError struct {
	code    ldapwire.ResultCode
	matched string
	msg     string
}

func (e *ldapError) Error() string { return e.code.String() + ": " + e.msg }

func lerr(code ldapwire.ResultCode, msg string) *ldapError { return &ldapError{code: code, msg: msg} }

// sendResult sends the final LDAPResult (unless the op was abandoned) and
// logs the RESULT line.
func (op *operation) sendResult(code ldapwire.ResultCode, matched, msg string, ctrls ...ldapwire.Control) {
	op.sendResultExt(code, matched, msg, "", nil, ctrls...)
}

// sendResultExt is sendResult with the responseName and responseValue of
// an ExtendedResponse.
func (op *operation) sendResultExt(code ldapwire.ResultCode, matched, msg, name string, value []byte, ctrls ...ldapwire.Control) {
	if op.responded {
		return
	}
	op.responded = true
	op.mu.Lock()
	op.finalSent = true
	abandoned := op.abandoned
	op.mu.Unlock()
	if abandoned {
		op.buf = op.buf[:0]
		return
	}
	if code == ldapwire.Canceled {
		op.sentCanceled = true
	}
	r := ldapwire.Result{Code: code, MatchedDN: matched, Message: msg}
	switch op.respOp {
	case ldapwire.OpBindResponse:
		op.buf = ldapwire.AppendBindResponse(op.buf, op.msgID, r, nil, ctrls...)
	case ldapwire.OpExtendedResponse:
		op.buf = ldapwire.AppendExtendedResponse(op.buf, op.msgID, r, name, value, ctrls...)
	default:
		op.buf = ldapwire.AppendResult(op.buf, op.msgID, op.respOp, r, ctrls...)
	}
	op.flush()
	op.logResult(code, msg)
}

// fail answers op with the LDAP result err stands for.
func (op *operation) fail(err error) {
	code, matched, msg := op.resultOf(err)
	op.sendResult(code, matched, msg)
}

// resultOf maps an error to an LDAP result.
func (op *operation) resultOf(err error) (ldapwire.ResultCode, string, string) {
	var le *ldapError
	switch {
	case errors.As(err, &le):
		return le.code, le.matched, le.msg
	case errors.Is(err, context.Canceled):
		if op.isCancelRequested() {
			return ldapwire.Canceled, "", ""
		}
		return ldapwire.Other, "", "operation abandoned"
	case errors.Is(err, store.ErrNoSuchObject), errors.Is(err, store.ErrNoSuchParent):
		m := store.MatchedDN(err)
		if m != "" && op.maskMatched() && !op.mayDisclose(m) {
			m = ""
		}
		return ldapwire.NoSuchObject, op.c.srv.prettyMatched(m), ""
	case errors.Is(err, store.ErrAlreadyExists):
		return ldapwire.EntryAlreadyExists, "", ""
	case errors.Is(err, store.ErrNotUnderSuffix):
		return ldapwire.UnwillingToPerform, "", "no global superior knowledge"
	case errors.Is(err, store.ErrNotAllowedOnNonLeaf):
		return ldapwire.NotAllowedOnNonLeaf, "", "subordinate objects must be deleted first"
	case errors.Is(err, store.ErrMoveUnderSelf):
		return ldapwire.UnwillingToPerform, "", "cannot place an entry below itself"
	case errors.Is(err, store.ErrInvalidDN):
		return ldapwire.InvalidDNSyntax, "", "invalid DN"
	case errors.Is(err, store.ErrSizeLimitExceeded):
		return ldapwire.SizeLimitExceeded, "", ""
	case errors.Is(err, store.ErrTimeLimitExceeded):
		return ldapwire.TimeLimitExceeded, "", ""
	case errors.Is(err, store.ErrClosed):
		return ldapwire.Unavailable, "", "database closed"
	}
	op.c.srv.log.Error("conn=" + itoa(int64(op.c.id)) + " op=" + itoa(op.num) + " internal error: " + err.Error())
	return ldapwire.Other, "", "internal error"
}

// prettyMatched returns the pretty form of a matched DN from the store.
func (s *Server) prettyMatched(m string) string {
	if m == "" {
		return ""
	}
	if p, _, err := s.schema.PrettyNormalDN(m); err == nil {
		return p
	}
	return m
}

// maskMatched reports whether op's matched DN depends on disclose: for
// searches and compares (back-mdb's other operations return it to
// anybody, as slapd 2.5 does).
func (op *operation) maskMatched() bool {
	switch op.msg.Op {
	case ldapwire.OpSearchRequest, ldapwire.OpCompareRequest:
		return true
	}
	return false
}

// mayDisclose reports whether op's subject may learn that the entry dn
// (a matched DN) exists: slapd returns a matched DN only with disclose
// on the matched entry.
func (op *operation) mayDisclose(dnStr string) bool {
	acc := op.acc
	if acc == nil || granted(acc, acl.PrivDisclose) {
		return true
	}
	s := op.c.srv
	_, ndn, err := s.schema.PrettyNormalDN(dnStr)
	if err != nil || op.db == nil {
		return false
	}
	e, err := op.db.backend.Get(op, ndn)
	if err != nil {
		return false
	}
	t := &op.parent
	t.set(s.schema, &e.Entry, ndn)
	return acl.CanDisclose(acc, t)
}
