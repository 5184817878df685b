package directory

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"strings"
	"time"

	"hostdir/directory/entry"
	"hostdir/directory/filter"
	"hostdir/directory/ldapwire"
	"hostdir/directory/store"
	"hostdir/schema"
)

// flushAt is the size of buffered search responses that triggers a write.
const flushAt = 32 << 10

// searchState is the per-operation state of a search (kept in a pool so
// that the search path does not allocate its callback).
type searchState struct {
	s           *Server
	sel         attrSel
	op          *operation
	sub         *Subject // nil when reads need no checks
	typesOnly   bool
	filterAttrs []*schema.AttributeType
	out         entryOut
	emitFn      func(*store.Entry) error
}

// emit encodes one entry returned by the store.
func (ss *searchState) emit(se *store.Entry) error {
	s, op, sub := ss.s, ss.op, ss.sub
	if err := op.Err(); err != nil {
		return err
	}
	if sub != nil && !sub.Root {
		t := Target{DN: se.DN, NDN: se.NDN, Entry: &se.Entry, AttrName: AttrEntry}
		if !s.authz.Access(op, sub, &t, LevelRead) {
			return nil
		}
		for _, at := range ss.filterAttrs {
			t := Target{DN: se.DN, NDN: se.NDN, Entry: &se.Entry, Attr: at, AttrName: at.Name()}
			if !s.authz.Access(op, sub, &t, LevelSearch) {
				return nil
			}
		}
	}
	ss.out = entryOut{dn: se.DN, attrs: se.Attrs, hasChildren: se.HasChildren, full: &se.Entry, ndn: se.NDN}
	op.buf = s.appendEntry(op, op.buf, &ss.out, &ss.sel, ss.typesOnly, sub)
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
	f, ferr := filter.FromWire(&r.Filter, s.schema)
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
		s.searchFixed(op, s.rootDSEEntry(), "", f, sel, &ctl)
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
	var sub *Subject
	if !s.openRead {
		sub = op.subject(d)
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
	ss.op, ss.sub, ss.typesOnly, ss.filterAttrs = op, sub, r.TypesOnly, nil
	if sub != nil && !sub.Root {
		ss.filterAttrs = f.Attrs()
	}
	emit := ss.emitFn
	if ctl.paged {
		s.pagedSearch(op, d, &req, size, &ctl, emit)
		return
	}
	req.SizeLimit = size
	err := d.backend.Search(op, req, emit)
	s.finishSearch(op, err)
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
func (s *Server) pagedSearch(op *operation, d *database, req *store.SearchRequest, size int, ctl *opControls, emit func(*store.Entry) error) {
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
	err := d.backend.Search(op, *req, func(e *store.Entry) error {
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
		return emit(e)
	})
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
	if f.Eval(filter.Entry{E: e, Schema: s.schema}) == filter.True {
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
		out := entryOut{dn: e.DN, attrs: attrs, ndn: ndn}
		// fixed entries are readable by all: no access checks (nil subject)
		op.buf = s.appendEntry(op, op.buf, &out, &selNoComputed, op.msg.Search.TypesOnly, nil)
		op.nentries++
	}
	op.sendResult(ldapwire.Success, "", "", ctrls...)
}

// logSearch logs the SRCH lines.
func (s *Server) logSearch(op *operation, f *filter.Filter) {
	if !s.stats {
		return
	}
	c := op.c
	r := &op.msg.Search
	fs := ""
	if f != nil {
		fs = f.String()
	} else {
		fs = r.Filter.String()
	}
	c.logf("conn=%d op=%d SRCH base=\"%s\" scope=%d deref=%d filter=\"%s\"",
		c.id, op.num, string(r.BaseObject), r.Scope, r.DerefAliases, fs)
	if len(r.Attributes) > 0 {
		var b strings.Builder
		for i, a := range r.Attributes {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.Write(a)
		}
		c.logf("conn=%d op=%d SRCH attr=%s", c.id, op.num, b.String())
	}
}

// getSearchState / putSearchState pool the selection buffers.
func (s *Server) getSearchState() *searchState {
	if v := s.searchPool.Get(); v != nil {
		return v.(*searchState)
	}
	ss := &searchState{s: s}
	ss.emitFn = ss.emit
	return ss
}

func (s *Server) putSearchState(ss *searchState) {
	ss.sel.reset()
	ss.op, ss.sub, ss.filterAttrs, ss.out = nil, nil, nil, entryOut{}
	s.searchPool.Put(ss)
}
