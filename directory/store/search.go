package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"hostdir/directory/entry"
	"hostdir/directory/filter"
	"hostdir/schema"
)

// Scope is a search scope, numbered as in RFC 4511 (children: RFC 4512's
// subordinate subtree, 3).
type Scope int

// Search scopes.
const (
	ScopeBase     Scope = 0
	ScopeOne      Scope = 1
	ScopeSub      Scope = 2
	ScopeChildren Scope = 3
)

// AttrSelection says which attributes Search puts into the entries it
// returns. The zero AttrSelection selects none ("1.1").
type AttrSelection struct {
	// AllUser selects every user attribute ("*", or an empty list).
	AllUser bool
	// AllOperational selects every operational attribute ("+").
	AllOperational bool
	// Types selects these types and their subtypes.
	Types []*schema.AttributeType
}

// wants reports whether an attribute of type at is selected. Types the
// schema does not know count as user attributes.
func (s *AttrSelection) wants(at *schema.AttributeType) bool {
	if at == nil {
		return s.AllUser
	}
	if at.IsOperational() {
		if s.AllOperational {
			return true
		}
	} else if s.AllUser {
		return true
	}
	for _, t := range s.Types {
		if at.IsSubtypeOf(t) {
			return true
		}
	}
	return false
}

// SearchRequest is a search for Search.
type SearchRequest struct {
	// BaseNDN is the normalized DN of the base entry. "" is the root
	// above the suffixes: base scope finds nothing, one-level finds the
	// suffix entries, subtree and children find every entry.
	BaseNDN string
	Scope   Scope
	// Filter selects the entries (nil: every entry in scope). Entries
	// for which it is Undefined are not returned.
	Filter *filter.Filter
	// Attrs selects the attributes returned.
	Attrs AttrSelection
	// SizeLimit is the most entries returned (0: no limit); one more
	// match ends the search with ErrSizeLimitExceeded.
	SizeLimit int
	// Deadline ends the search with ErrTimeLimitExceeded (zero: none).
	Deadline time.Time
	// HasChildren asks for Entry.HasChildren (hasSubordinates).
	HasChildren bool
	// IDOrder returns the entries in id (add) order, never in tree walk
	// order: slapd's back-mdb does so for a paged results search.
	IDOrder bool
	// Stats, when not nil, receives how the search went.
	Stats *SearchStats
}

// SearchStats tell how a search was executed (for tests, logs, tuning).
type SearchStats struct {
	// Indexed is true when candidates came from indexes rather than from
	// walking the scope.
	Indexed bool
	// Candidates is the number of entries read and evaluated.
	Candidates int
	// Returned is the number of entries passed to fn.
	Returned int
}

// Planner limits.
const (
	// maxCandidates: an index list longer than this is not used (the
	// scope is walked instead).
	maxCandidates = 1 << 17
	// smallEnough: an AND stops consulting indexes once its candidate
	// list is this short; evaluation does the rest.
	smallEnough = 16
	// checkEvery: context and deadline are checked every so many entries.
	checkEvery = 64
)

// searcher is the reusable state of one search.
type searcher struct {
	db       *DB
	tx       *bolt.Tx
	entries  *bolt.Bucket
	children *bolt.Bucket
	rec      record
	resolve  func(uint32) (*attrDesc, error)
	scratch  filter.Scratch
	out      Entry
	attrs    []entry.Attribute
	lists    [][]uint64
	nlists   int
	stack    []uint64
	key      []byte
	// partial is set by plan when it stopped intersecting early; exact
	// makes it consult every indexed item (walkBeats).
	partial, exact bool

	idbuf [8]byte

	ctx   context.Context
	req   *SearchRequest
	reqv  SearchRequest
	fn    func(*Entry) error
	stats SearchStats
	n     int
}

func newSearcher(db *DB) any {
	s := &searcher{db: db}
	s.resolve = func(id uint32) (*attrDesc, error) { return s.db.descByID(s.tx, id, nil) }
	return s
}

// list returns an empty reusable id list.
func (s *searcher) list() []uint64 {
	if s.nlists == len(s.lists) {
		s.lists = append(s.lists, make([]uint64, 0, 16))
	}
	l := s.lists[s.nlists][:0]
	s.nlists++
	return l
}

// begin opens a read transaction for s.
func (s *searcher) begin() error {
	tx, err := s.db.bdb.Begin(false)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	s.tx = tx
	s.entries = tx.Bucket(bucketEntries)
	return nil
}

// end closes the transaction and drops references to user data.
func (s *searcher) end() {
	if s.tx != nil {
		_ = s.tx.Rollback()
	}
	s.tx, s.entries, s.children = nil, nil, nil
	s.ctx, s.req, s.fn = nil, nil, nil
	s.reqv = SearchRequest{}
	s.out = Entry{}
	clear(s.attrs)
	s.attrs = s.attrs[:0]
	s.nlists = 0
	for i := range s.rec.vals {
		s.rec.vals[i] = nil
	}
}

// Get returns a copy of the entry with normalized DN ndn, with every
// attribute and HasChildren, or a *MatchedError wrapping ErrNoSuchObject.
func (db *DB) Get(ctx context.Context, ndn string) (*Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := db.searchers.Get().(*searcher)
	defer db.searchers.Put(s)
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	id := lookupID(s.tx.Bucket(bucketDN2ID), ndn)
	if id == 0 {
		return nil, &MatchedError{Err: ErrNoSuchObject, MatchedDN: db.matched(s.tx, ndn)}
	}
	raw := s.entries.Get(idKey(id))
	if raw == nil {
		return nil, corrupt(fmt.Sprintf("dn2id %q points to missing entry %d", ndn, id))
	}
	if err := s.rec.decode(id, raw, s.resolve); err != nil {
		return nil, err
	}
	e := &Entry{Entry: *s.rec.toEntry(), NDN: string(s.rec.ndn), ID: id, HasChildren: hasChildren(s.childBucket(), id)}
	return e, nil
}

// HasChildren reports whether the entry with normalized DN ndn has
// subordinates (ErrNoSuchObject if it does not exist).
func (db *DB) HasChildren(ctx context.Context, ndn string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var has bool
	err := db.bdb.View(func(tx *bolt.Tx) error {
		id := lookupID(tx.Bucket(bucketDN2ID), ndn)
		if id == 0 {
			return &MatchedError{Err: ErrNoSuchObject, MatchedDN: db.matched(tx, ndn)}
		}
		has = hasChildren(tx.Bucket(bucketChildren), id)
		return nil
	})
	return has, err
}

// Search calls fn for each entry in the request's scope for which the
// filter is True. The *Entry passed to fn, its attribute slices and its
// values are only valid during the call (values point into the database's
// memory map; they must not be modified): fn copies what it keeps. fn
// runs inside a read transaction, so it must not write to the DB. A
// non-nil error from fn stops the search and is returned.
//
// Candidates come from indexes when the filter allows it (equality,
// presence, substrings and approx items on indexed types, combined by AND
// and OR); otherwise the scope is walked through the tree. Every candidate
// is checked against the scope and the whole filter.
//
// Entries come in the order OpenLDAP's back-mdb returns them: in id
// order, unless the scope holds fewer entries than there are candidates
// (as back-mdb counts them: an unindexed filter counts the highest id
// assigned); then in tree walk order (see walk). The candidate count can
// differ from back-mdb's for posting lists over 65536 ids (back-mdb
// turns them into id ranges), lists over the planner's limit, filters
// whose items slapd indexes differently (approx falling back to an
// equality index, ordering or extensible matches), after slapd restarts
// (it counts from the highest id left, hostdir from the highest ever
// assigned), and without an equality index on objectClass (slapd then
// counts every entry as a possible referral).
func (db *DB) Search(ctx context.Context, req SearchRequest, fn func(e *Entry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s := db.searchers.Get().(*searcher)
	defer db.searchers.Put(s)
	if err := s.begin(); err != nil {
		return err
	}
	defer s.end()
	s.reqv = req
	s.ctx, s.req, s.fn = ctx, &s.reqv, fn
	s.stats, s.n = SearchStats{}, 0
	err := s.search()
	if req.Stats != nil {
		*req.Stats = s.stats
	}
	return err
}

func (s *searcher) search() error {
	req := s.req
	var baseID uint64
	if req.BaseNDN != "" {
		baseID = lookupID(s.tx.Bucket(bucketDN2ID), req.BaseNDN)
		if baseID == 0 {
			return &MatchedError{Err: ErrNoSuchObject, MatchedDN: s.db.matched(s.tx, req.BaseNDN)}
		}
	}
	switch req.Scope {
	case ScopeBase:
		if baseID == 0 {
			return nil
		}
		return s.visit(baseID, false, baseID)
	case ScopeOne, ScopeSub, ScopeChildren:
	default:
		return fmt.Errorf("store: bad scope %d", req.Scope)
	}
	s.partial, s.exact = false, false
	if req.Filter != nil {
		if ids, ok := s.plan(req.Filter.Root(), maxCandidates); ok {
			if len(ids) < 2 || baseID == 0 || req.IDOrder || !s.walkBeats(ids, baseID) {
				s.stats.Indexed = true
				for _, id := range ids {
					if err := s.visit(id, true, baseID); err != nil {
						return err
					}
				}
				return nil
			}
			return s.walk(baseID)
		}
	}
	// no usable index: every entry is a candidate
	if req.IDOrder && baseID != 0 {
		return s.scopeInIDOrder(baseID)
	}
	if baseID != 0 && req.Scope != ScopeOne && s.db.isSuffix(req.BaseNDN) {
		if last := s.entries.Sequence(); s.countScope(baseID, last) >= last {
			return s.visitAll(baseID)
		}
	}
	return s.walk(baseID)
}

// walkBeats decides, as slapd's back-mdb does, whether the entries in
// scope are read by walking the tree (true) rather than from the
// candidates ids (false): when the scope holds fewer entries than there
// are candidates (see tree.go).
func (s *searcher) walkBeats(ids []uint64, baseID uint64) bool {
	ncand := uint64(len(ids)) + s.referrals(ids)
	nsubs := s.countScope(baseID, ncand)
	if nsubs >= ncand {
		return false
	}
	if !s.partial {
		return true
	}
	// The planner stopped intersecting early: count as slapd does.
	s.exact = true
	all, ok := s.plan(s.req.Filter.Root(), maxCandidates)
	s.exact = false
	if !ok {
		return nsubs < s.entries.Sequence()
	}
	return nsubs < uint64(len(all))+s.referrals(all)
}

// referrals returns the number of entries with objectClass referral not
// in ids (slapd adds them to the candidates unless manageDSAit). Without
// an equality index on objectClass, slapd counts every entry; hostdir
// then counts none.
func (s *searcher) referrals(ids []uint64) uint64 {
	oc := s.db.sc.AttributeType("objectClass")
	d := s.db.idx.def(oc, IndexEquality)
	if d == nil {
		return 0
	}
	refs, ok := s.scan(d, 0, []byte("referral"), maxCandidates)
	if !ok {
		return 0
	}
	n := uint64(0)
	for _, r := range refs {
		if _, found := slices.BinarySearch(ids, r); !found {
			n++
		}
	}
	return n
}

// countScope returns the number of entries in the search's scope, as
// slapd's nsubs counts it (the children of the base for one-level, the
// base and its descendants otherwise), or limit when it reaches limit.
func (s *searcher) countScope(baseID, limit uint64) uint64 {
	c := s.childBucket().Cursor()
	n := uint64(0)
	if s.req.Scope == ScopeOne {
		prefix := idKey(baseID)
		for k, _ := c.Seek(prefix); k != nil && isChildOf(k, prefix); k, _ = c.Next() {
			if n++; n >= limit {
				return n
			}
		}
		return n
	}
	n = 1
	s.stack = append(s.stack[:0], baseID)
	for len(s.stack) > 0 && n < limit {
		prefix := idKey(s.stack[len(s.stack)-1])
		s.stack = s.stack[:len(s.stack)-1]
		for k, _ := c.Seek(prefix); k != nil && isChildOf(k, prefix); k, _ = c.Next() {
			if n++; n >= limit {
				return n
			}
			s.stack = append(s.stack, childOf(k))
		}
	}
	return n
}

// scopeInIDOrder visits the entries in scope in id order: it collects
// their ids through the tree, sorts them and visits them.
func (s *searcher) scopeInIDOrder(baseID uint64) error {
	var ids []uint64
	if s.req.Scope == ScopeSub {
		ids = append(ids, baseID)
	}
	c := s.childBucket().Cursor()
	s.stack = append(s.stack[:0], baseID)
	for len(s.stack) > 0 {
		prefix := idKey(s.stack[len(s.stack)-1])
		s.stack = s.stack[:len(s.stack)-1]
		for k, _ := c.Seek(prefix); k != nil && isChildOf(k, prefix); k, _ = c.Next() {
			ids = append(ids, childOf(k))
			if s.req.Scope != ScopeOne {
				s.stack = append(s.stack, childOf(k))
			}
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := s.visit(id, false, baseID); err != nil {
			return err
		}
	}
	return nil
}

// visitAll visits every entry in id order, checking the scope.
func (s *searcher) visitAll(baseID uint64) error {
	c := s.entries.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) != 8 {
			continue
		}
		if err := s.visit(binary.BigEndian.Uint64(k), true, baseID); err != nil {
			return err
		}
	}
	return nil
}

// walk visits the scope through the tree as slapd's back-mdb does: for
// subtree scope the base first; then the children of a node in sibling
// order (the children bucket's key order), then, for each of them in that
// order that has children, the same below it (depth first; a node's
// children are all listed before any grandchild).
func (s *searcher) walk(baseID uint64) error {
	req := s.req
	if req.Scope == ScopeSub && baseID != 0 {
		if err := s.visit(baseID, false, baseID); err != nil {
			return err
		}
	}
	s.stack = append(s.stack[:0], baseID)
	for len(s.stack) > 0 {
		parent := s.stack[len(s.stack)-1]
		s.stack = s.stack[:len(s.stack)-1]
		mark := len(s.stack)
		c := s.childBucket().Cursor()
		prefix := idKey(parent)
		for k, _ := c.Seek(prefix); k != nil && isChildOf(k, prefix); k, _ = c.Next() {
			kid := childOf(k)
			if err := s.visit(kid, false, baseID); err != nil {
				return err
			}
			if req.Scope != ScopeOne {
				s.stack = append(s.stack, kid)
			}
		}
		// descend into the first sibling first
		slices.Reverse(s.stack[mark:])
	}
	return nil
}

// childBucket returns the children bucket, opened on first use.
func (s *searcher) childBucket() *bolt.Bucket {
	if s.children == nil {
		s.children = s.tx.Bucket(bucketChildren)
	}
	return s.children
}

// isUnder is dn.IsUnder for a byte-slice DN.
func isUnder(ndn []byte, base string) bool {
	switch {
	case base == "":
		return true
	case len(ndn) == len(base):
		return string(ndn) == base
	case len(ndn) < len(base):
		return false
	}
	k := len(ndn) - len(base)
	return ndn[k-1] == ',' && string(ndn[k:]) == base
}

// inScope checks an index candidate against the request's scope.
func (s *searcher) inScope(baseID uint64) bool {
	r := &s.rec
	switch s.req.Scope {
	case ScopeOne:
		return r.parent == baseID
	case ScopeSub:
		return isUnder(r.ndn, s.req.BaseNDN)
	case ScopeChildren:
		return r.id != baseID && isUnder(r.ndn, s.req.BaseNDN)
	}
	return r.id == baseID
}

// visit evaluates entry id and passes it to fn if it matches.
func (s *searcher) visit(id uint64, checkScope bool, baseID uint64) error {
	s.n++
	if s.n%checkEvery == 1 {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		if !s.req.Deadline.IsZero() && time.Now().After(s.req.Deadline) {
			return ErrTimeLimitExceeded
		}
	}
	binary.BigEndian.PutUint64(s.idbuf[:], id)
	raw := s.entries.Get(s.idbuf[:])
	if raw == nil {
		return nil // a stale index key; Check reports it
	}
	if err := s.rec.decode(id, raw, s.resolve); err != nil {
		return err
	}
	if checkScope && !s.inScope(baseID) {
		return nil
	}
	s.stats.Candidates++
	if f := s.req.Filter; f != nil && f.EvalScratch(&s.rec, &s.scratch) != filter.True {
		return nil
	}
	if s.req.SizeLimit > 0 && s.stats.Returned >= s.req.SizeLimit {
		return ErrSizeLimitExceeded
	}
	s.attrs = s.attrs[:0]
	sel := &s.req.Attrs
	for i, d := range s.rec.descs {
		if sel.wants(d.at) {
			s.attrs = append(s.attrs, entry.Attribute{Type: d.desc, Values: s.rec.Values(i)})
		}
	}
	names := string(s.rec.dn) + string(s.rec.ndn)
	s.out = Entry{
		Entry: entry.Entry{DN: names[:len(s.rec.dn)], Attrs: s.attrs},
		NDN:   names[len(s.rec.dn):],
		ID:    id,
	}
	if s.req.HasChildren {
		s.out.HasChildren = hasChildren(s.childBucket(), id)
	}
	s.stats.Returned++
	return s.fn(&s.out)
}

// plan returns the sorted candidate ids for node n, or ok=false when the
// node does not restrict candidates (or its lists would exceed limit).
func (s *searcher) plan(n filter.Node, limit int) ([]uint64, bool) {
	if r, static := n.Static(); static {
		if r == filter.True {
			return nil, false
		}
		return s.list(), true // never matches
	}
	switch n.Kind() {
	case filter.And:
		var buf [8]filter.Node
		kids := n.Children(buf[:0])
		for _, c := range kids {
			if r, static := c.Static(); static && r != filter.True {
				return s.list(), true
			}
		}
		var best []uint64
		have := false
		for rank := 0; rank <= 4; rank++ {
			for _, c := range kids {
				if planRank(c) != rank {
					continue
				}
				if have && len(best) <= smallEnough && !s.exact {
					s.partial = true
					return best, true
				}
				lim := limit
				if have && !s.exact {
					lim = min(limit, 32*len(best)+64)
				}
				l, ok := s.plan(c, lim)
				if !ok {
					if lim < limit {
						s.partial = true
					}
					continue
				}
				if !have {
					best, have = l, true
				} else {
					best = intersect(best, l)
				}
			}
		}
		return best, have
	case filter.Or:
		var buf [8]filter.Node
		out := s.list()
		for _, c := range n.Children(buf[:0]) {
			l, ok := s.plan(c, limit)
			if !ok {
				return nil, false
			}
			out = s.union(out, l)
			if len(out) > limit {
				return nil, false
			}
		}
		return out, true
	case filter.Equality:
		return s.lookupTypes(n, IndexEquality, 0, n.Assertion(), limit)
	case filter.Present:
		return s.lookupTypes(n, IndexPresence, 0, nil, limit)
	case filter.Approx:
		codes := n.ApproxKeys()
		if codes == nil {
			return s.lookupTypes(n, IndexApprox, 0, n.Assertion(), limit)
		}
		var best []uint64
		have := false
		for _, c := range codes {
			l, ok := s.lookupTypes(n, IndexApprox, 0, c, limit)
			if !ok {
				return nil, false
			}
			if !have {
				best, have = l, true
			} else {
				best = intersect(best, l)
			}
		}
		return best, have
	case filter.Substrings:
		initial, any, final := n.Substrings()
		var best []uint64
		have, failed := false, false
		subAssertionKeys(initial, any, final, func(tag byte, k []byte) {
			if failed {
				return
			}
			if have && len(best) <= smallEnough && !s.exact {
				s.partial = true
				return
			}
			l, ok := s.lookupTypes(n, IndexSubstrings, tag, k, limit)
			if !ok {
				failed = true
				return
			}
			if !have {
				best, have = l, true
			} else {
				best = intersect(best, l)
			}
		})
		if failed && !have {
			return nil, false
		}
		return best, have
	}
	return nil, false
}

// planRank orders the children of an AND: likely selective items first.
func planRank(n filter.Node) int {
	switch n.Kind() {
	case filter.Equality:
		if t := n.Type(); t != nil && t.OID == "2.5.4.0" {
			return 3 // objectClass: usually large lists
		}
		return 0
	case filter.Approx:
		return 1
	case filter.Substrings, filter.And, filter.Or:
		return 2
	case filter.Present:
		return 4
	}
	return -1 // not indexable: never consulted
}

// lookupTypes returns the ids whose values of n's type (or of a subtype)
// have key in the index of kind k. All those types must be indexed with
// the same matching rule.
func (s *searcher) lookupTypes(n filter.Node, k IndexKind, tag byte, key []byte, limit int) ([]uint64, bool) {
	at := n.Type()
	if at == nil || n.Options() != "" && k == IndexPresence {
		return nil, false
	}
	subs := at.Subtypes()
	if len(subs) == 0 {
		subs = []*schema.AttributeType{at}
	}
	var out []uint64
	for i, t := range subs {
		d := s.db.idx.def(t, k)
		if d == nil || !sameRule(t, at, k) {
			return nil, false
		}
		l, ok := s.scan(d, tag, key, limit)
		if !ok {
			return nil, false
		}
		if i == 0 {
			out = l
		} else {
			out = s.union(out, l)
		}
	}
	return out, true
}

// sameRule reports whether subtype t indexes values with at's rule.
func sameRule(t, at *schema.AttributeType, k IndexKind) bool {
	switch k {
	case IndexSubstrings:
		return t.Substr == at.Substr
	case IndexEquality, IndexApprox:
		return t.Equality == at.Equality
	}
	return true
}

// scan returns the ids of term (tag, key) in index d, or false past
// limit.
func (s *searcher) scan(d *indexDef, tag byte, key []byte, limit int) ([]uint64, bool) {
	b := s.tx.Bucket(d.bucket)
	if b == nil {
		return nil, false
	}
	out := s.list()
	var prefix []byte
	if d.kind != IndexPresence {
		s.key = appendPrefix(s.key[:0], tag, key)
		prefix = s.key
	}
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) != len(prefix)+8 {
			continue
		}
		var ok bool
		if out, ok = appendChunkIDs(out, binary.BigEndian.Uint64(k[len(prefix):]), v); !ok {
			return nil, false // a corrupt chunk: walk the scope instead (Check reports it)
		}
		if len(out) > limit {
			return nil, false
		}
	}
	return out, true
}

// intersect keeps in a the ids also in b (both sorted).
func intersect(a, b []uint64) []uint64 {
	out := a[:0]
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

// union merges two sorted lists into a new one.
func (s *searcher) union(a, b []uint64) []uint64 {
	out := s.list()
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}
