package directory

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"time"

	"hostdir/directory/acl"
	"hostdir/directory/entry"
	"hostdir/directory/filter"
	"hostdir/directory/ldapwire"
	"hostdir/directory/store"
)

// flushAt is the size of buffered search responses that triggers a write.
const flushAt = 32 << 10

// searchState is the per-operation state of a search (kept in a pool so
// that the search path does not allocate its callbacks).
type searchState struct {
	s         *Server
	sel       attrSel
	op        *operation
	typesOnly bool
	out       entryOut
	emitFn    func(*store.Entry) error

	// Access control; acc is nil when the subject reads everything.
	acc       Access
	f         *filter.Filter
	fe        filter.Entry
	scratch   filter.Scratch
	ae        aclEntry
	rc        readCheck
	itemFn    filter.AccessFunc // ss.filterItem, bound once
	limit     int               // size limit counted here (0: none or the store's)
	deferring bool              // entries are kept for after the store's transaction
	deferred  []store.Entry
}

// emit is the store's callback: it sends one entry, or keeps it for later
// when its access control needs an entry the store transaction must not
// read (a group entry).
func (ss *searchState) emit(se *store.Entry) error {
	op := ss.op
	if err := op.Err(); err != nil {
		return err
	}
	if ss.acc == nil {
		return ss.send(se)
	}
	if ss.deferring {
		ss.keep(se)
		return nil
	}
	op.inTx, op.fetchMissed = true, false
	ok := ss.visible(se)
	op.inTx = false
	if op.fetchMissed {
		// From now on every entry waits, to keep the store's order.
		ss.deferring = true
		ss.keep(se)
		return nil
	}
	if !ok {
		return nil
	}
	return ss.send(se)
}

// keep copies se for emitDeferred.
func (ss *searchState) keep(se *store.Entry) {
	c := se.Entry.Clone()
	ss.deferred = append(ss.deferred, store.Entry{Entry: *c, NDN: se.NDN, ID: se.ID, HasChildren: se.HasChildren})
}

// emitDeferred sends the entries keep kept, checking them now that group
// entries can be read.
func (ss *searchState) emitDeferred() error {
	for i := range ss.deferred {
		se := &ss.deferred[i]
		if err := ss.op.Err(); err != nil {
			return err
		}
		if !ss.visible(se) {
			continue
		}
		if err := ss.send(se); err != nil {
			return err
		}
	}
	return nil
}

// visible is slapd's access control of a candidate: search on each item
// of the filter it evaluates (a refused item is Undefined), then read on
// the entry.
func (ss *searchState) visible(se *store.Entry) bool {
	ss.ae.set(ss.s.schema, &se.Entry, se.NDN)
	if ss.f != nil && !granted(ss.acc, acl.PrivSearch) {
		ss.fe.E = &se.Entry
		if ss.f.EvalAccess(&ss.fe, &ss.scratch, ss.itemFn) != filter.True {
			return false
		}
	}
	return granted(ss.acc, acl.PrivRead) || acl.CanReadEntry(ss.acc, &ss.ae)
}

// filterItem is the access check of one filter item on ss.ae.
func (ss *searchState) filterItem(n filter.Node) bool {
	at := n.Type()
	if at == nil {
		return true
	}
	var v []byte
	switch n.Kind() {
	case filter.Equality, filter.GreaterOrEqual, filter.LessOrEqual, filter.Approx, filter.Extensible:
		v = n.Assertion()
	}
	return acl.CanSearch(ss.acc, &ss.ae, at, n.Options(), v)
}

// send encodes one entry.
func (ss *searchState) send(se *store.Entry) error {
	s, op := ss.s, ss.op
	if ss.limit > 0 && op.nentries >= ss.limit {
		return store.ErrSizeLimitExceeded
	}
	ss.out = entryOut{dn: se.DN, attrs: se.Attrs, hasChildren: se.HasChildren, all: ss.acc != nil}
	var rc *readCheck
	if ss.acc != nil && !granted(ss.acc, acl.PrivRead) {
		ss.ae.set(s.schema, &se.Entry, se.NDN)
		rc = &ss.rc
		rc.acc, rc.e, rc.values = ss.acc, &ss.ae, ss.acc.ValueRules()
	}
	op.buf = s.appendEntry(op, op.buf, &ss.out, &ss.sel, ss.typesOnly, rc)
	op.nentries++
	if len(op.buf) >= flushAt {
		return op.flush()
	}
	return nil
}

// pagedState is a connection's paged-results state (RFC 2696). Like slapd,
// one paged search per connection is remembered: a new paged search
// replaces it.
type pagedState struct {
	cookie uint64
	offset int    // entries already returned
	key    string // identifies the search (base, scope, filter, attributes)
}

var errPageFull = errors.New("page full")

// search runs a SearchRequest.
//
// Order as in slapd: controls (12 for an unknown critical one); base DN
// syntax (34); filter; the root DSE (base "" with base scope) and
// cn=Subschema are answered by the frontend; a base under no suffix is
// noSuchObject (32) without matchedDN; restrictions (13, 8...); the
// assertion control on the base entry (122); then the backend: a missing
// base is 32 with the matched DN; size limit 4 after the entries up to the
// limit; time limit 3.
func (s *Server) search(op *operation) {
	c := op.c
	r := &op.msg.Search
	ctl, e := s.parseControls(op)
	if e != nil {
		s.logSearch(op, nil)
		op.sendResult(e.code, "", e.msg)
		return
	}
	// The filter lives as long as op (the compiler is op's).
	f, ferr := op.fc.Compile(&r.Filter, s.schema)
	s.logSearch(op, f)
	if ferr != nil {
		if errors.Is(ferr, filter.ErrTooComplex) {
			op.sendResult(ldapwire.AdminLimitExceeded, "", "filter too complex")
		} else {
			op.sendResult(ldapwire.ProtocolError, "", "bad search filter")
		}
		return
	}
	_, ndn, e := c.parseBase(r.BaseObject)
	if e != nil {
		op.sendResult(e.code, "", e.msg)
		return
	}
	ss := s.getSearchState()
	defer s.putSearchState(ss)
	sel := &ss.sel
	sel.parse(s.schema, r.Attributes)

	if ndn == "" {
		if e := s.checkRestrictions(op, nil, kindRead); e != nil {
			op.sendResult(e.code, "", e.msg)
			return
		}
		if r.Scope != ldapwire.ScopeBase {
			op.sendResult(ldapwire.NoSuchObject, "", "")
			return
		}
		s.searchFixed(op, s.rootDSEEntry(c), "", f, sel, &ctl)
		return
	}
	if ndn == s.subschemaNDN() {
		if e := s.checkRestrictions(op, nil, kindRead); e != nil {
			op.sendResult(e.code, "", e.msg)
			return
		}
		if r.Scope == ldapwire.ScopeOne || r.Scope == ldapwire.ScopeChildren {
			op.sendResult(ldapwire.NoSuchObject, "", "")
			return
		}
		s.searchFixed(op, s.subschemaEntry(), ndn, f, sel, &ctl)
		return
	}
	d := s.selectDB(ndn)
	if d == nil {
		op.sendResult(ldapwire.NoSuchObject, "", "")
		return
	}
	if e := s.checkRestrictions(op, d, kindRead); e != nil {
		op.sendResult(e.code, "", e.msg)
		return
	}
	acc := s.access(op, d)
	if !granted(acc, acl.PrivSearch) {
		if e := s.searchBaseAccess(op, d, ndn); e != nil {
			op.sendResult(e.code, e.matched, e.msg)
			return
		}
	}
	if ctl.assert != nil {
		be, err := d.backend.Get(op, ndn)
		if err != nil {
			op.fail(err)
			return
		}
		if ctl.assert.Eval(filter.Entry{E: &be.Entry, Schema: s.schema}) != filter.True {
			op.sendResult(ldapwire.AssertionFailed, "", "")
			return
		}
	}
	size, tlim := s.sizeTimeLimits(op, d, r.SizeLimit, r.TimeLimit)
	req := store.SearchRequest{
		BaseNDN:     ndn,
		Scope:       store.Scope(r.Scope),
		Filter:      f,
		Attrs:       sel.storeSel(),
		HasChildren: sel.wantsHasSubs(),
	}
	if tlim > 0 {
		req.Deadline = op.start.Add(time.Duration(tlim) * time.Second)
	}
	ss.op, ss.typesOnly = op, r.TypesOnly
	if !granted(acc, acl.PrivSearch|acl.PrivRead) {
		// Checks need the whole entry; the selection is applied when
		// the entry is sent, and the size limit counts sent entries.
		ss.acc, ss.f = acc, f
		req.Attrs = store.AttrSelection{AllUser: true, AllOperational: true}
	}
	emit := ss.emitFn
	if ctl.paged {
		s.pagedSearch(op, d, &req, size, &ctl, ss)
		return
	}
	if ss.acc != nil {
		ss.limit = size
	} else {
		req.SizeLimit = size
	}
	err := d.backend.Search(op, req, emit)
	if err == nil && ss.deferring {
		err = ss.emitDeferred()
	}
	s.finishSearch(op, err)
}

// searchBaseAccess is the access check of a search's base entry: search
// on its entry. A refused base answers noSuchObject, or
// insufficientAccess when the subject may disclose it; a missing base
// answers noSuchObject with the matched DN the subject may disclose.
func (s *Server) searchBaseAccess(op *operation, d *database, ndn string) *ldapError {
	t := &op.target
	t.set(s.schema, nil, ndn)
	t.lazy = op
	code := acl.SearchBase(op.acc, t)
	if code == acl.ResultSuccess {
		return nil
	}
	if t.missing() {
		_, err := d.backend.Get(op, ndn)
		if err == nil {
			err = store.ErrNoSuchObject
		}
		c, m, msg := op.resultOf(err)
		return &ldapError{code: c, matched: m, msg: msg}
	}
	return &ldapError{code: ldapwire.ResultCode(code)}
}

// finishSearch sends the SearchResultDone for the store's result.
func (s *Server) finishSearch(op *operation, err error, ctrls ...ldapwire.Control) {
	if err == nil {
		// Cancelled while skipping entries: the result is incomplete.
		err = op.Err()
	}
	if err == nil {
		op.sendResult(ldapwire.Success, "", "", ctrls...)
		return
	}
	code, matched, msg := op.resultOf(err)
	op.sendResult(code, matched, msg, ctrls...)
}

// pagedSearch runs one page of a paged search. Each page re-runs the
// search and skips the entries of the earlier pages (the store returns
// entries in a stable order while the directory does not change).
func (s *Server) pagedSearch(op *operation, d *database, req *store.SearchRequest, size int, ctl *opControls, ss *searchState) {
	c := op.c
	key := pagedKey(req, op.msg.Search.Attributes)
	offset := 0
	c.mu.Lock()
	if len(ctl.cookie) > 0 {
		if len(ctl.cookie) != 8 || binary.BigEndian.Uint64(ctl.cookie) != c.paged.cookie || c.paged.key != key {
			c.mu.Unlock()
			op.sendResult(ldapwire.UnwillingToPerform, "", "paged results cookie is invalid")
			return
		}
		offset = c.paged.offset
	}
	c.paged = pagedState{}
	c.mu.Unlock()
	respCtl := func(cookie []byte) ldapwire.Control {
		return ldapwire.Control{Type: []byte(ldapwire.OIDPagedResults), HasValue: true,
			Value: ldapwire.AppendPagedResultsValue(nil, 0, cookie)}
	}
	if ctl.pageSize == 0 {
		// size 0: the client abandons the paged search.
		op.sendResult(ldapwire.Success, "", "", respCtl(nil))
		return
	}
	page := int(ctl.pageSize)
	skip := offset
	more := false
	sizeExceeded := false
	n := 0
	// step pages one matching entry the subject may see.
	step := func(e *store.Entry) error {
		if skip > 0 {
			skip--
			return nil
		}
		if n == page {
			more = true
			return errPageFull
		}
		if size > 0 && offset+n >= size {
			sizeExceeded = true
			return store.ErrSizeLimitExceeded
		}
		n++
		return ss.send(e)
	}
	req.IDOrder = true // as slapd's back-mdb pages: by entry id
	err := d.backend.Search(op, *req, func(e *store.Entry) error {
		if err := op.Err(); err != nil {
			return err
		}
		if ss.acc == nil {
			return step(e)
		}
		if ss.deferring {
			ss.keep(e)
			return nil
		}
		op.inTx, op.fetchMissed = true, false
		ok := ss.visible(e)
		op.inTx = false
		if op.fetchMissed {
			ss.deferring = true
			ss.keep(e)
			return nil
		}
		if !ok {
			return nil
		}
		return step(e)
	})
	if err == nil && ss.deferring {
		for i := range ss.deferred {
			e := &ss.deferred[i]
			if err = op.Err(); err != nil {
				break
			}
			if !ss.visible(e) {
				continue
			}
			if err = step(e); err != nil {
				break
			}
		}
	}
	if errors.Is(err, errPageFull) {
		err = nil
	}
	if err != nil || sizeExceeded {
		if sizeExceeded {
			err = store.ErrSizeLimitExceeded
		}
		s.finishSearch(op, err, respCtl(nil))
		return
	}
	var cookie []byte
	if more {
		var b [8]byte
		rand.Read(b[:])
		cookie = b[:]
		c.mu.Lock()
		c.paged = pagedState{cookie: binary.BigEndian.Uint64(b[:]), offset: offset + n, key: key}
		c.mu.Unlock()
	}
	s.finishSearch(op, nil, respCtl(cookie))
}

// pagedKey identifies a paged search so that a cookie is only accepted
// for the search that produced it.
func pagedKey(req *store.SearchRequest, attrs [][]byte) string {
	var b strings.Builder
	b.WriteString(req.BaseNDN)
	b.WriteByte(0)
	b.WriteByte(byte('0' + req.Scope))
	b.WriteByte(0)
	if req.Filter != nil {
		b.WriteString(req.Filter.String())
	}
	for _, a := range attrs {
		b.WriteByte(0)
		b.Write(bytes.ToLower(a))
	}
	return b.String()
}

// searchFixed answers a search of an entry the frontend holds (root DSE,
// subschema): base and subtree scope return it if the filter matches.
func (s *Server) searchFixed(op *operation, e *entry.Entry, ndn string, f *filter.Filter, sel *attrSel, ctl *opControls) {
	if ctl.assert != nil && ctl.assert.Eval(filter.Entry{E: e, Schema: s.schema}) != filter.True {
		op.sendResult(ldapwire.AssertionFailed, "", "")
		return
	}
	var ctrls []ldapwire.Control
	if ctl.paged {
		ctrls = append(ctrls, ldapwire.Control{Type: []byte(ldapwire.OIDPagedResults), HasValue: true,
			Value: ldapwire.AppendPagedResultsValue(nil, 0, nil)})
	}
	// The global access rules govern these entries (with none, slapd's
	// default lets everybody read them).
	acc := s.access(op, nil)
	var rc *readCheck
	match := false
	if granted(acc, acl.PrivSearch|acl.PrivRead) {
		match = f.Eval(filter.Entry{E: e, Schema: s.schema}) == filter.True
	} else {
		ss := s.getSearchState()
		defer s.putSearchState(ss)
		ss.op, ss.acc = op, acc
		// slapd's frontend sends these entries without the base check.
		ss.ae.set(s.schema, e, ndn)
		match = f.EvalAccess(filter.Entry{E: e, Schema: s.schema}, &ss.scratch, ss.itemFn) == filter.True &&
			acl.CanReadEntry(acc, &ss.ae)
		rc = &ss.rc
		rc.acc, rc.e, rc.values = acc, &ss.ae, acc.ValueRules()
	}
	if match {
		var attrs []entry.Attribute
		for _, a := range e.Attrs {
			name, opts := splitDesc(a.Type)
			if sel.wants(s.schema.AttributeType(name), opts) {
				attrs = append(attrs, a)
			}
		}
		// entryDN and subschemaSubentry are part of the fixed entries.
		selNoComputed := *sel
		selNoComputed.allOp, selNoComputed.entryDN, selNoComputed.subschemaSubentry, selNoComputed.hasSubordinates = false, false, false, false
		selNoComputed.hasOpts = false
		out := entryOut{dn: e.DN, attrs: attrs}
		op.buf = s.appendEntry(op, op.buf, &out, &selNoComputed, op.msg.Search.TypesOnly, rc)
		op.nentries++
	}
	op.sendResult(ldapwire.Success, "", "", ctrls...)
}

// logSearch logs the SRCH lines.
func (s *Server) logSearch(op *operation, f *filter.Filter) {
	if !s.stats {
		return
	}
	r := &op.msg.Search
	b := op.line()
	b = append(b, `SRCH base="`...)
	b = append(b, r.BaseObject...)
	b = append(b, `" scope=`...)
	b = strconv.AppendInt(b, int64(r.Scope), 10)
	b = append(b, " deref="...)
	b = strconv.AppendInt(b, int64(r.DerefAliases), 10)
	b = append(b, ` filter="`...)
	if f != nil {
		b = f.AppendString(b)
	} else {
		b = append(b, r.Filter.String()...)
	}
	b = append(b, '"')
	op.writeLine(b)
	if len(r.Attributes) > 0 {
		b = append(op.line(), "SRCH attr="...)
		for i, a := range r.Attributes {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, a...)
		}
		op.writeLine(b)
	}
}

// getSearchState / putSearchState pool the selection buffers.
func (s *Server) getSearchState() *searchState {
	if v := s.searchPool.Get(); v != nil {
		return v.(*searchState)
	}
	ss := &searchState{s: s}
	ss.emitFn = ss.emit
	ss.itemFn = ss.filterItem
	ss.fe.Schema = s.schema
	return ss
}

func (s *Server) putSearchState(ss *searchState) {
	ss.sel.reset()
	for i := range ss.deferred {
		ss.deferred[i] = store.Entry{}
	}
	ss.op, ss.out, ss.acc, ss.f, ss.fe.E, ss.ae, ss.rc.acc, ss.rc.e = nil, entryOut{}, nil, nil, nil, aclEntry{buf: ss.ae.buf[:0]}, nil, nil
	ss.limit, ss.deferring, ss.deferred = 0, false, ss.deferred[:0]
	s.searchPool.Put(ss)
}
