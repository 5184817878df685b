package acl

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"

	"hostdir/schema"
)

// Pseudo-attributes of slapd.access(5) as attribute types, to name in
// checks: EntryAttr is access to the entry itself, ChildrenAttr access to
// its children (add and delete below it). They are not in any schema and
// must not be modified.
var (
	EntryAttr    = &schema.AttributeType{OID: "1.3.6.1.4.1.4203.1.3.1", Names: []string{"entry"}}
	ChildrenAttr = &schema.AttributeType{OID: "1.3.6.1.4.1.4203.1.3.2", Names: []string{"children"}}
)

// Subject is the requester of an operation, as the <who> clauses see it.
type Subject struct {
	// NDN is the normalized authorization DN; "" is anonymous.
	NDN string
	// RealNDN is the normalized authentication DN for the real* clauses;
	// "" means the same as NDN (hostdir has no proxy authorization).
	RealNDN string
	// PeerName is the peer as slapd prints it: "IP=127.0.0.1:40000",
	// "IP=[::1]:40000" or "PATH=/run/slapd/ldapi".
	PeerName string
	// Peer is the peer address of a TCP connection (zero otherwise), for
	// peername.ip and peername.ipv6.
	Peer netip.AddrPort
	// SockName, SockURL and Domain are the listener's name, the URL the
	// client connected to, and the peer's host name (slapd leaves it empty
	// unless reverse lookups are on).
	SockName, SockURL, Domain string
	// Security strength factors of the connection.
	SSF, TransportSSF, TLSSSF, SASLSSF uint
}

func (s *Subject) realNDN() string {
	if s.RealNDN != "" {
		return s.RealNDN
	}
	return s.NDN
}

// Entry is what the evaluator needs to know of an entry. The server
// implements it over its stored form; NewEntry gives one over an
// *entry.Entry.
type Entry interface {
	// NDN returns the entry's normalized DN (the form regexes are matched
	// against and DN patterns compared with).
	NDN() string
	// HasValue reports whether the entry holds, in attribute type at
	// itself (no options), a value whose normalized form (by at's
	// equality rule) is norm.
	HasValue(at *schema.AttributeType, norm []byte) bool
	// HasClass reports whether the entry's objectClass holds oc or a
	// subclass of it.
	HasClass(oc *schema.ObjectClass) bool
}

// FilterFunc evaluates a `filter=` of a <what> clause on an entry: true
// when the filter is True (False and Undefined both do not match).
type FilterFunc func(e Entry) bool

// Fetcher returns the entry with normalized DN ndn, or nil if there is
// none. The evaluator calls it for group entries; it reads the store
// without access checks, as slapd's backend_group does.
type Fetcher func(ndn string) Entry

// Options are what Compile needs besides the rules and the schema.
type Options struct {
	// RootDN is the database's normalized root DN ("" for none): it
	// bypasses every rule (IsRoot).
	RootDN string
	// CompileFilter turns the text of a filter= into a FilterFunc; rules
	// with filter= fail to compile when it is nil.
	CompileFilter func(filter string) (FilterFunc, error)
	// NormalizeDN normalizes DNs expanded from templates at evaluation
	// time (group/...expand=, dn.exact,expand=); nil means the schema's.
	NormalizeDN func(dn string) (string, error)
	// DefaultAccess is the access everybody has when there are no rules
	// at all; zero means LevelRead, slapd's default.
	DefaultAccess Priv
}

// Policy is a compiled list of access rules: a database's rules followed
// by the global ones, evaluated as slapd does. It is read-only and safe
// for concurrent use; per-operation state lives in an Evaluator.
type Policy struct {
	rules   []crule
	noRules bool
	// valueRules is true when some rule can decide differently for one
	// value than for its attribute (val=, selfwrite and the like).
	valueRules bool
	// groups is true when some clause is a group clause (which fetches
	// entries through the Fetcher).
	groups    bool
	dflt      Priv
	rootDN    string
	normalize func(string) (string, error)
	pool      sync.Pool

	// dnCache memoizes normalize for DNs expanded from templates (group
	// DNs: one per domain in the HOWTO), up to maxDNCache entries.
	dnMu    sync.RWMutex
	dnCache map[string]string
}

// maxDNCache bounds Policy.dnCache.
const maxDNCache = 1 << 14

// normalizeExpanded normalizes an expanded DN through the policy's cache.
func (p *Policy) normalizeExpanded(b []byte) (string, error) {
	p.dnMu.RLock()
	n, ok := p.dnCache[string(b)]
	p.dnMu.RUnlock()
	if ok {
		return n, nil
	}
	s := string(b)
	n, err := p.normalize(s)
	if err != nil {
		return "", err
	}
	p.dnMu.Lock()
	if len(p.dnCache) < maxDNCache {
		p.dnCache[s] = n
	}
	p.dnMu.Unlock()
	return n, nil
}

// crule is a compiled rule.
type crule struct {
	src *Rule
	// what
	dn        *cdn // nil: every entry
	filter    FilterFunc
	attrs     []cattr // nil: every attribute
	val       *cval
	by        []cclause
	subNeeded bool // some clause refers to $n of the dn pattern
}

type cdn struct {
	style Style
	level int
	norm  string
	re    *regexp.Regexp
	// match is re for matching only (no submatches): re without a
	// leading .*, which an unanchored match does not need and which makes
	// Go's matcher try every split of the DN.
	match  *regexp.Regexp
	tmpl   Template
	expand bool
	all    bool
}

type cattr struct {
	kind AttrKind
	at   *schema.AttributeType // AttrType, AttrEntry, AttrChildren
	opts []string              // lower-cased options the description must carry
	oc   *schema.ObjectClass   // AttrClass, AttrNotClass
	ext  bool                  // oc is extensibleObject
}

type cval struct {
	style Style
	at    *schema.AttributeType
	norm  []byte // exact / DN styles: normalized pattern
	re    *regexp.Regexp
}

type cclause struct {
	who     cwho
	grant   Grant
	control Control
}

type cwho struct {
	any, anonymous, users, self      bool
	realAnonymous, realUsers, realSf bool
	selfLevel                        int
	dn, realDN                       *cdn
	dnAttr, realDNAttr               *schema.AttributeType
	group                            *cgroup
	peer, sock, domain, sockURL      *cstr
	ssf, tssf, tlsssf, saslssf       uint
}

type cgroup struct {
	oc     *schema.ObjectClass
	at     *schema.AttributeType
	norm   string
	tmpl   Template
	expand bool
}

type cstr struct {
	p *StrPattern
}

// Compile compiles a database's rules followed by the global ones
// (slapd appends the global list to every database's list). Rules must
// have been bound (Rule.Bind) against sc, as the config loader does. With
// no rules at all the policy grants Options.DefaultAccess (read) to
// everybody; otherwise the list ends with an implicit `access to * by *
// none`.
func Compile(dbRules, globalRules []Rule, sc *schema.Schema, opts Options) (*Policy, error) {
	p := &Policy{rootDN: opts.RootDN, normalize: opts.NormalizeDN, dflt: opts.DefaultAccess, dnCache: map[string]string{}}
	if p.normalize == nil {
		p.normalize = sc.NormalizeDN
	}
	if p.dflt == 0 {
		p.dflt = LevelRead
	}
	all := make([]*Rule, 0, len(dbRules)+len(globalRules))
	for i := range dbRules {
		all = append(all, &dbRules[i])
	}
	for i := range globalRules {
		all = append(all, &globalRules[i])
	}
	p.noRules = len(all) == 0
	var errs []error
	for _, r := range all {
		cr, err := compileRule(r, sc, opts)
		if err != nil {
			where := ""
			if r.File != "" {
				where = fmt.Sprintf("%s:%d: ", r.File, r.Line)
			}
			errs = append(errs, fmt.Errorf("%saccess rule %q: %w", where, r.String(), err))
			continue
		}
		p.rules = append(p.rules, cr)
		if r.What.Val != nil {
			p.valueRules = true
		}
		for k := range r.By {
			if g := r.By[k].Access; g.Self || g.RealSelf {
				p.valueRules = true
			}
			if r.By[k].Who.Group != nil {
				p.groups = true
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	n := len(p.rules)
	p.pool.New = func() any {
		return &Evaluator{p: p, state: make([]ruleState, n)}
	}
	return p, nil
}

func compileRule(r *Rule, sc *schema.Schema, opts Options) (crule, error) {
	cr := crule{src: r}
	w := &r.What
	if w.DN != nil && !w.DN.All {
		d, err := compileDN(w.DN, sc, opts, false)
		if err != nil {
			return cr, err
		}
		cr.dn = d
	}
	if w.Filter != "" {
		if opts.CompileFilter == nil {
			return cr, fmt.Errorf("filter=%s: no filter compiler", w.Filter)
		}
		f, err := opts.CompileFilter(w.Filter)
		if err != nil {
			return cr, fmt.Errorf("filter=%s: %w", w.Filter, err)
		}
		cr.filter = f
	}
	if w.Attrs != nil {
		cr.attrs = make([]cattr, 0, len(w.Attrs))
		for _, a := range w.Attrs {
			ca, err := compileAttr(a, sc)
			if err != nil {
				return cr, err
			}
			cr.attrs = append(cr.attrs, ca)
		}
	}
	if v := w.Val; v != nil {
		cv := &cval{style: v.Style, re: v.Regex}
		if len(cr.attrs) == 1 {
			cv.at = cr.attrs[0].at
		}
		if cv.at == nil {
			return cr, fmt.Errorf("val needs a single attribute type in attrs")
		}
		switch v.Style {
		case StyleRegex:
		case StyleOne, StyleSub, StyleChildren:
			n, err := sc.NormalizeDN(v.Raw)
			if err != nil {
				return cr, fmt.Errorf("val DN %q: %w", v.Raw, err)
			}
			cv.norm = []byte(n)
		default:
			mr := cv.at.Equality
			if v.MatchingRule != "" {
				mr = sc.MatchingRule(v.MatchingRule)
				if mr == nil {
					return cr, fmt.Errorf("val: unknown matching rule %q", v.MatchingRule)
				}
			}
			if mr == nil || mr.Normalize == nil {
				cv.norm = []byte(v.Raw)
			} else {
				n, err := mr.Normalize(sc, []byte(v.Raw))
				if err != nil {
					return cr, fmt.Errorf("val %q: %w", v.Raw, err)
				}
				cv.norm = n
			}
		}
		cr.val = cv
	}
	for _, c := range r.By {
		cc, err := compileClause(&c, sc, opts)
		if err != nil {
			return cr, err
		}
		if cc.needsDNSubmatches() {
			cr.subNeeded = true
		}
		cr.by = append(cr.by, cc)
	}
	return cr, nil
}

func compileDN(d *DNPattern, sc *schema.Schema, opts Options, who bool) (*cdn, error) {
	c := &cdn{style: d.Style, level: d.Level, re: d.Regex, tmpl: d.Template, expand: d.Expand, all: d.All}
	if c.all {
		return c, nil
	}
	switch {
	case d.Style == StyleRegex:
		if c.re == nil && !c.expand {
			re, err := compileRegex(d.Raw)
			if err != nil {
				return nil, err
			}
			c.re = re
		}
		if c.re != nil {
			c.match = matchOnly(c.re)
		}
	case d.Expand:
		if len(c.tmpl.Parts) == 0 && d.Raw != "" {
			t, err := parseTemplate(d.Raw)
			if err != nil {
				return nil, err
			}
			c.tmpl = t
		}
	default:
		n := d.Norm
		if n == "" && d.Raw != "" {
			var err error
			n, err = sc.NormalizeDN(d.Raw)
			if err != nil {
				return nil, fmt.Errorf("DN %q: %w", d.Raw, err)
			}
		}
		c.norm = n
	}
	return c, nil
}

func compileAttr(a AttrSpec, sc *schema.Schema) (cattr, error) {
	ca := cattr{kind: a.Kind}
	switch a.Kind {
	case AttrEntry:
		ca.at = EntryAttr
	case AttrChildren:
		ca.at = ChildrenAttr
	case AttrType:
		name := a.Canon
		if name == "" {
			name = a.Name
		}
		base, opts, _ := strings.Cut(name, ";")
		at := sc.AttributeType(base)
		if at == nil {
			// A class name in attrs= is @class (slapd).
			if oc := sc.ObjectClass(base); oc != nil && opts == "" {
				ca.kind, ca.oc = AttrClass, oc
				ca.ext = oc.HasName("extensibleObject")
				return ca, nil
			}
			return ca, fmt.Errorf("attrs: undefined attribute type %q", base)
		}
		ca.at = at
		if opts != "" {
			for _, o := range strings.Split(opts, ";") {
				ca.opts = append(ca.opts, strings.ToLower(o))
			}
		}
	case AttrClass, AttrNotClass:
		name := a.Canon
		if name == "" {
			name = a.Name
		}
		oc := sc.ObjectClass(name)
		if oc == nil {
			return ca, fmt.Errorf("attrs: undefined object class %q", name)
		}
		ca.oc = oc
		ca.ext = oc.HasName("extensibleObject")
	}
	return ca, nil
}

func compileClause(c *Clause, sc *schema.Schema, opts Options) (cclause, error) {
	w := &c.Who
	cc := cclause{grant: c.Access, control: c.Control}
	cw := &cc.who
	cw.any, cw.anonymous, cw.users, cw.self = w.Any, w.Anonymous, w.Users, w.Self
	cw.realAnonymous, cw.realUsers, cw.realSf = w.RealAnonymous, w.RealUsers, w.RealSelf
	if w.HasSelfLevel {
		cw.selfLevel = w.SelfLevel
	}
	var err error
	if w.DN != nil {
		if cw.dn, err = compileDN(w.DN, sc, opts, true); err != nil {
			return cc, err
		}
	}
	if w.RealDN != nil {
		if cw.realDN, err = compileDN(w.RealDN, sc, opts, true); err != nil {
			return cc, err
		}
	}
	dnAttr := func(name string) (*schema.AttributeType, error) {
		at := sc.AttributeType(name)
		if at == nil {
			return nil, fmt.Errorf("dnattr: undefined attribute type %q", name)
		}
		return at, nil
	}
	if w.DNAttr != "" {
		if cw.dnAttr, err = dnAttr(w.DNAttr); err != nil {
			return cc, err
		}
	}
	if w.RealDNAttr != "" {
		if cw.realDNAttr, err = dnAttr(w.RealDNAttr); err != nil {
			return cc, err
		}
	}
	if g := w.Group; g != nil {
		cg := &cgroup{oc: sc.ObjectClass(g.ObjectClass), at: sc.AttributeType(g.Attr), tmpl: g.Template, expand: g.Style == StyleExpand}
		if cg.oc == nil {
			return cc, fmt.Errorf("group: undefined object class %q", g.ObjectClass)
		}
		if cg.at == nil {
			return cc, fmt.Errorf("group: undefined attribute type %q", g.Attr)
		}
		if !cg.expand {
			cg.norm = g.Norm
			if cg.norm == "" && g.Raw != "" {
				if cg.norm, err = sc.NormalizeDN(g.Raw); err != nil {
					return cc, fmt.Errorf("group DN %q: %w", g.Raw, err)
				}
			}
		}
		cw.group = cg
	}
	str := func(p *StrPattern) *cstr {
		if p == nil {
			return nil
		}
		return &cstr{p: p}
	}
	cw.peer, cw.sock, cw.domain, cw.sockURL = str(w.PeerName), str(w.SockName), str(w.Domain), str(w.SockURL)
	cw.ssf, cw.tssf, cw.tlsssf, cw.saslssf = w.SSF, w.TransportSSF, w.TLSSSF, w.SASLSSF
	return cc, nil
}

func (c *cclause) needsDNSubmatches() bool {
	w := &c.who
	for _, d := range []*cdn{w.dn, w.realDN} {
		if d != nil && (d.expand || d.style == StyleRegex) && d.tmpl.HasRefs() {
			return true
		}
	}
	if w.group != nil && w.group.expand {
		return true
	}
	for _, s := range []*cstr{w.peer, w.sock, w.domain, w.sockURL} {
		if s != nil && s.p.Expand {
			return true
		}
	}
	return false
}

// IsRoot reports whether ndn is the database's root DN, which slapd lets
// do anything without looking at the rules. The server decides this
// itself (it knows the bind was made with rootpw); IsRoot is for
// convenience.
func (p *Policy) IsRoot(ndn string) bool { return ndn != "" && ndn == p.rootDN }

// Rules returns the number of compiled rules (database and global).
func (p *Policy) Rules() int { return len(p.rules) }

// ValueRules reports whether some rule can decide differently for one
// value of an attribute than for the attribute as a whole (a val= clause
// or a self-prefixed access such as selfwrite). Without such rules a
// server may skip the per-value read checks of returned attributes.
func (p *Policy) ValueRules() bool { return p.valueRules }

// Groups reports whether some clause is a group clause, whose evaluation
// may call the Fetcher.
func (p *Policy) Groups() bool { return p.groups }

// NewEvaluator returns an evaluator for one operation of subject s;
// fetch reads group entries (nil: group clauses never match). Release
// it when the operation ends. Evaluators are pooled: getting one does
// not allocate in the steady state.
func (p *Policy) NewEvaluator(s Subject, fetch Fetcher) *Evaluator {
	ev := p.pool.Get().(*Evaluator)
	ev.subj = s
	ev.fetch = fetch
	ev.root = p.IsRoot(s.NDN)
	ev.subjB = append(ev.subjB[:0], s.NDN...)
	return ev
}

// Release returns the evaluator to its policy's pool. It must not be
// used afterwards.
func (ev *Evaluator) Release() {
	ev.Reset()
	ev.groups = ev.groups[:0]
	ev.subj = Subject{}
	ev.fetch = nil
	ev.p.pool.Put(ev)
}

// ruleState caches, for the current entry, what a rule's dn pattern and
// filter gave.
type ruleState struct {
	dn, filter uint8 // 0 unknown, 1 match, 2 no match
	subs       []int // submatch indices of the dn regex (nil: not computed)
}

type groupResult struct {
	ndn    string
	oc     *schema.ObjectClass
	at     *schema.AttributeType
	member bool
}

// Evaluator checks access for one operation: one requester, many
// checks. It caches per rule, for the entry last checked, whether the
// rule's dn pattern and filter match and the regex submatches, and per
// group DN whether the requester is a member. It is not safe for
// concurrent use.
type Evaluator struct {
	p      *Policy
	subj   Subject
	fetch  Fetcher
	root   bool
	entNDN string
	state  []ruleState
	groups []groupResult
	buf    []byte
	subjB  []byte // subj.NDN as bytes, for HasValue
}

// Subject returns the requester the evaluator checks for.
func (ev *Evaluator) Subject() *Subject { return &ev.subj }

// Policy returns the policy the evaluator evaluates.
func (ev *Evaluator) Policy() *Policy { return ev.p }

// Granted returns the privileges the requester has on every target
// whatever the rules say: everything for the root DN, the default access
// (read) when there are no rules at all, none otherwise. A server may
// skip the checks of privileges it holds.
func (ev *Evaluator) Granted() Priv {
	switch {
	case ev.root:
		return PrivAll
	case ev.p.noRules:
		return ev.p.dflt
	}
	return 0
}

// ValueRules is Policy.ValueRules of the evaluator's policy.
func (ev *Evaluator) ValueRules() bool { return ev.p.valueRules }

// Unavailable is what a Fetcher returns when it cannot read the entry
// now (for example while the server is inside a store transaction that
// must not open another): the group clause then does not match, and its
// answer is not cached, so that a later check of the same group (after
// the caller has made reading possible again) fetches it.
var Unavailable Entry = unavailable{}

type unavailable struct{}

func (unavailable) NDN() string                                 { return "" }
func (unavailable) HasValue(*schema.AttributeType, []byte) bool { return false }
func (unavailable) HasClass(*schema.ObjectClass) bool           { return false }

// Reset drops the per-entry caches. Call it when an entry the evaluator
// already saw changed within the operation (filters are cached by DN).
func (ev *Evaluator) Reset() {
	ev.entNDN = ""
	for i := range ev.state {
		ev.state[i] = ruleState{}
	}
}

// Request is one access check: access to Attr (an attribute type,
// EntryAttr or ChildrenAttr) of Entry, optionally to one Value.
type Request struct {
	Entry Entry
	Attr  *schema.AttributeType
	// Options are the options of the attribute description ("lang-en",
	// ";"-separated), "" for none.
	Options string
	// Value is one value, normalized by Attr's equality rule (raw when it
	// has none), or nil for the attribute as a whole.
	Value []byte
}

// Allowed reports whether the requester has every privilege of want
// (e.g. PrivRead, PrivAuth, PrivWrite) on the request's target.
func (ev *Evaluator) Allowed(r Request, want Priv) bool {
	if ev.root {
		return true
	}
	// slapd: no-user-modification operational attributes are not subject
	// to write checks (their values come from the server).
	if want&^PrivWrite == 0 && want != 0 && r.Attr.NoUserModification && r.Attr != EntryAttr && r.Attr != ChildrenAttr {
		return true
	}
	m, ok := ev.Mask(r)
	return ok && m&want == want
}

// Mask returns the privileges the requester has on the request's target,
// as slapd's access_allowed_mask computes them; ok is false when no rule
// decided (every matching rule ended in break), which denies everything.
func (ev *Evaluator) Mask(r Request) (Priv, bool) {
	if ev.root {
		return LevelManage, true
	}
	p := ev.p
	if p.noRules {
		return p.dflt, true
	}
	ndn := r.Entry.NDN()
	if ndn != ev.entNDN || len(ev.state) != len(p.rules) {
		ev.Reset()
		ev.entNDN = ndn
	}
	var mask Priv
	for i := range p.rules {
		cr := &p.rules[i]
		if !ev.whatMatches(i, cr, &r) {
			continue
		}
		ctl, m := ev.clauses(i, cr, &r, mask)
		mask = m
		if ctl != Break {
			return mask, true
		}
	}
	return 0, false
}

// whatMatches reports whether rule i's <what> selects the request.
func (ev *Evaluator) whatMatches(i int, cr *crule, r *Request) bool {
	if cr.attrs != nil && !attrIn(r.Attr, r.Options, cr.attrs) {
		return false
	}
	if cr.val != nil && (r.Value == nil || !cr.val.match(r.Value)) {
		return false
	}
	st := &ev.state[i]
	if cr.dn != nil {
		if st.dn == 0 {
			st.dn = 2
			if dnMatch(cr.dn, ev.entNDN) {
				st.dn = 1
			}
		}
		if st.dn != 1 {
			return false
		}
	}
	if cr.filter != nil {
		if st.filter == 0 {
			st.filter = 2
			if cr.filter(r.Entry) {
				st.filter = 1
			}
		}
		if st.filter != 1 {
			return false
		}
	}
	return true
}

// matchOnly returns a regular expression that matches the same strings
// as the unanchored re: re itself, or re without its leading .* or .+
// turned into . (a common way of writing "ends with" in slapd.conf).
func matchOnly(re *regexp.Regexp) *regexp.Regexp {
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil || t.Op != syntax.OpConcat || len(t.Sub) < 2 {
		return re
	}
	first := t.Sub[0]
	if first.Op != syntax.OpStar && first.Op != syntax.OpPlus || len(first.Sub) != 1 {
		return re
	}
	if any := first.Sub[0].Op; any != syntax.OpAnyChar && any != syntax.OpAnyCharNotNL {
		return re
	}
	rest := &syntax.Regexp{Op: syntax.OpConcat, Flags: t.Flags, Sub: t.Sub[1:]}
	if first.Op == syntax.OpPlus {
		rest.Sub = append([]*syntax.Regexp{first.Sub[0]}, t.Sub[1:]...)
	}
	m, err := regexp.Compile(rest.String())
	if err != nil {
		return re
	}
	return m
}

// dnMatch matches a <what> dn pattern against a normalized DN.
func dnMatch(d *cdn, ndn string) bool {
	if d.style == StyleRegex {
		return d.match.MatchString(ndn)
	}
	return dnStyleMatch(d.style, d.level, d.norm, ndn)
}

// dnStyleMatch matches ndn against the normalized DN pat in a non-regex
// style, as slapd compares normalized DN strings.
func dnStyleMatch(style Style, level int, pat, ndn string) bool {
	dl, pl := len(ndn), len(pat)
	if dl < pl || ndn[dl-pl:] != pat {
		return false
	}
	sepOK := func() bool { return pl == 0 || ndn[dl-pl-1] == ',' }
	switch style {
	case StyleBase:
		return dl == pl
	case StyleOne:
		if dl == pl || !sepOK() {
			return false
		}
		sep := 0
		if pl > 0 {
			sep = 1
		}
		return rdnLen(ndn)+pl+sep == dl
	case StyleSub:
		return dl == pl || sepOK()
	case StyleChildren:
		return dl > pl && sepOK()
	case StyleLevel:
		if level == 0 {
			return dl == pl
		}
		if dl == pl || !sepOK() {
			return false
		}
		cur := ndn
		for ; level > 0; level-- {
			if cur == "" {
				return false
			}
			cur = parentDN(cur)
			if len(cur) < pl {
				return false
			}
		}
		return len(cur) == pl
	}
	return false
}

// rdnLen returns the length of the first RDN of a normalized DN.
func rdnLen(ndn string) int {
	for i := 0; i < len(ndn); i++ {
		switch ndn[i] {
		case '\\':
			i++
		case ',':
			return i
		}
	}
	return len(ndn)
}

// parentDN returns the parent of a normalized DN ("" for a one-RDN DN).
func parentDN(ndn string) string {
	n := rdnLen(ndn)
	if n >= len(ndn) {
		return ""
	}
	return ndn[n+1:]
}

// attrIn is slapd's ad_inlist: whether the description (at, opts) is in
// an attrs= list.
func attrIn(at *schema.AttributeType, opts string, list []cattr) bool {
	for i := range list {
		a := &list[i]
		switch a.kind {
		case AttrType, AttrEntry, AttrChildren:
			if at == a.at || (a.kind == AttrType && at.IsSubtypeOf(a.at)) {
				if len(a.opts) == 0 || hasOpts(opts, a.opts) {
					return true
				}
			}
		case AttrClass:
			if a.ext || classAllows(a.oc, at) {
				return true
			}
		case AttrNotClass:
			if !a.ext && !classAllows(a.oc, at) {
				return true
			}
		}
	}
	return false
}

func classAllows(oc *schema.ObjectClass, at *schema.AttributeType) bool {
	for t := at; t != nil; t = t.Sup {
		if oc.Allows(t) {
			return true
		}
	}
	return false
}

// hasOpts reports whether the ;-separated options have every one of want
// (lower-case), case-insensitively.
func hasOpts(opts string, want []string) bool {
	for _, w := range want {
		found := false
		for rest := opts; rest != "" && !found; {
			var o string
			o, rest, _ = strings.Cut(rest, ";")
			found = strings.EqualFold(o, w)
		}
		if !found {
			return false
		}
	}
	return true
}

// match checks a value against a val= pattern.
func (v *cval) match(val []byte) bool {
	switch v.style {
	case StyleRegex:
		return v.re.Match(val)
	case StyleOne, StyleSub, StyleChildren:
		return dnStyleMatch(v.style, 0, string(v.norm), string(val))
	default:
		return string(val) == string(v.norm)
	}
}

// clauses runs rule i's <who> clauses from mask; it returns the control
// that ended them and the resulting mask (slapd's slap_acl_mask).
func (ev *Evaluator) clauses(i int, cr *crule, r *Request, mask Priv) (Control, Priv) {
	for k := range cr.by {
		c := &cr.by[k]
		if (c.grant.Self || c.grant.RealSelf) && !ev.selfValue(r, c.grant.RealSelf) {
			continue
		}
		if !ev.whoMatches(i, cr, &c.who, r) {
			continue
		}
		mask = c.grant.Apply(mask)
		switch c.control {
		case Continue:
			continue
		case Break:
			return Break, mask
		default:
			return Stop, mask
		}
	}
	// The implicit `by * none stop`.
	return Stop, 0
}

// selfValue is the check of the self modifier (selfwrite): the target is
// a value of a DN-valued attribute equal to the requester's DN.
func (ev *Evaluator) selfValue(r *Request, real bool) bool {
	ndn := ev.subj.NDN
	if real {
		ndn = ev.subj.realNDN()
	}
	if ndn == "" || r.Value == nil || !isDNSyntax(r.Attr) {
		return false
	}
	return string(r.Value) == ndn
}

const (
	syntaxDN         = "1.3.6.1.4.1.1466.115.121.1.12"
	syntaxNameAndUID = "1.3.6.1.4.1.1466.115.121.1.34"
)

func isDNSyntax(at *schema.AttributeType) bool {
	return at.Syntax != nil && (at.Syntax.OID == syntaxDN || at.Syntax.OID == syntaxNameAndUID)
}

// whoMatches reports whether every part of a <who> matches the requester.
func (ev *Evaluator) whoMatches(i int, cr *crule, w *cwho, r *Request) bool {
	s := &ev.subj
	ndn := ev.entNDN
	if w.anonymous && s.NDN != "" {
		return false
	}
	if w.users && s.NDN == "" {
		return false
	}
	if w.self && !selfMatch(s.NDN, ndn, w.selfLevel) {
		return false
	}
	if w.realAnonymous && s.realNDN() != "" {
		return false
	}
	if w.realUsers && s.realNDN() == "" {
		return false
	}
	if w.realSf && !selfMatch(s.realNDN(), ndn, w.selfLevel) {
		return false
	}
	if w.dn != nil && !ev.whoDN(i, cr, w.dn, s.NDN, r) {
		return false
	}
	if w.realDN != nil && !ev.whoDN(i, cr, w.realDN, s.realNDN(), r) {
		return false
	}
	if w.sockURL != nil && !ev.strMatch(i, cr, w.sockURL, s.SockURL, r, false) {
		return false
	}
	if w.domain != nil && !ev.domainMatch(i, cr, w.domain, r) {
		return false
	}
	if w.peer != nil && !ev.peerMatch(i, cr, w.peer, r) {
		return false
	}
	if w.sock != nil && !ev.strMatch(i, cr, w.sock, s.SockName, r, false) {
		return false
	}
	if w.dnAttr != nil && (s.NDN == "" || !r.Entry.HasValue(w.dnAttr, ev.subjB)) {
		return false
	}
	if w.realDNAttr != nil && (s.realNDN() == "" || !r.Entry.HasValue(w.realDNAttr, []byte(s.realNDN()))) {
		return false
	}
	if w.group != nil && !ev.groupMatch(i, cr, w.group, r) {
		return false
	}
	if w.ssf > s.SSF || w.tssf > s.TransportSSF || w.tlsssf > s.TLSSSF || w.saslssf > s.SASLSSF {
		return false
	}
	return true
}

// selfMatch is slapd's self[.level{n}]: the requester is the entry, or
// its n-th ancestor (n > 0) is, or the entry's -n-th ancestor is the
// requester (n < 0).
func selfMatch(subj, entry string, level int) bool {
	if subj == "" {
		return false
	}
	a, b := subj, entry
	if level < 0 {
		a, b = entry, subj
		level = -level
	}
	for ; level > 0 && a != ""; level-- {
		a = parentDN(a)
	}
	return a != "" && a == b
}

// submatches returns the dn submatch indices of rule i for the current
// entry (slapd's rules: a regex gives its groups; base gives $0; one,
// sub and children give $0 and $1, the pattern part), and the value
// submatches of a val.regex.
func (ev *Evaluator) submatches(i int, cr *crule) []int {
	st := &ev.state[i]
	if st.subs != nil {
		return st.subs
	}
	ndn := ev.entNDN
	d := cr.dn
	switch {
	case d != nil && d.style == StyleRegex:
		st.subs = d.re.FindStringSubmatchIndex(ndn)
	case d != nil && (d.style == StyleOne || d.style == StyleSub || d.style == StyleChildren):
		st.subs = append(st.subs[:0], 0, len(ndn), len(ndn)-len(d.norm), len(ndn))
	default:
		st.subs = append(st.subs[:0], 0, len(ndn))
	}
	if st.subs == nil {
		st.subs = []int{}
	}
	return st.subs
}

// expand appends the template with $n replaced by submatches of rule i.
func (ev *Evaluator) expand(dst []byte, i int, cr *crule, t *Template, r *Request) []byte {
	var subs, vsubs []int
	for _, part := range t.Parts {
		if !part.IsRef {
			dst = append(dst, part.Lit...)
			continue
		}
		if part.Kind == RefVal {
			if cr.val == nil || cr.val.style != StyleRegex || r.Value == nil {
				continue
			}
			if vsubs == nil {
				vsubs = cr.val.re.FindSubmatchIndex(r.Value)
			}
			if k := 2 * part.Ref; k+1 < len(vsubs) && vsubs[k] >= 0 {
				dst = append(dst, r.Value[vsubs[k]:vsubs[k+1]]...)
			}
			continue
		}
		if subs == nil {
			subs = ev.submatches(i, cr)
		}
		if k := 2 * part.Ref; k+1 < len(subs) && subs[k] >= 0 {
			dst = append(dst, ev.entNDN[subs[k]:subs[k+1]]...)
		}
	}
	return dst
}

// whoDN matches a dn[.style[,expand]]= clause against the requester's DN.
func (ev *Evaluator) whoDN(i int, cr *crule, d *cdn, subj string, r *Request) bool {
	if d.all {
		return true
	}
	if d.style == StyleRegex {
		if d.re != nil {
			return d.match.MatchString(subj)
		}
		ev.buf = ev.expand(ev.buf[:0], i, cr, &d.tmpl, r)
		re, err := compileRegex(string(ev.buf))
		return err == nil && re.MatchString(subj)
	}
	pat := d.norm
	if d.expand {
		ev.buf = ev.expand(ev.buf[:0], i, cr, &d.tmpl, r)
		n, err := ev.p.normalizeExpanded(ev.buf)
		if err != nil {
			return false
		}
		pat = n
	}
	return dnStyleMatch(d.style, d.level, pat, subj)
}

// strMatch matches sockname, sockurl (and the exact/regex forms of
// peername) patterns.
func (ev *Evaluator) strMatch(i int, cr *crule, c *cstr, v string, r *Request, fold bool) bool {
	p := c.p
	if p.Style == StyleRegex {
		if p.Regex != nil {
			return p.Regex.MatchString(v)
		}
		ev.buf = ev.expand(ev.buf[:0], i, cr, &p.Template, r)
		re, err := compileRegex(string(ev.buf))
		return err == nil && re.MatchString(v)
	}
	pat := p.Raw
	if p.Expand {
		ev.buf = ev.expand(ev.buf[:0], i, cr, &p.Template, r)
		pat = string(ev.buf)
	}
	if fold {
		return strings.EqualFold(pat, v)
	}
	return pat == v
}

func (ev *Evaluator) domainMatch(i int, cr *crule, c *cstr, r *Request) bool {
	d := ev.subj.Domain
	if c.p.Style != StyleSub {
		return ev.strMatch(i, cr, c, d, r, true)
	}
	pat := c.p.Raw
	if c.p.Expand {
		ev.buf = ev.expand(ev.buf[:0], i, cr, &c.p.Template, r)
		pat = string(ev.buf)
	}
	if len(d) < len(pat) || !strings.EqualFold(d[len(d)-len(pat):], pat) {
		return false
	}
	return len(d) == len(pat) || d[len(d)-len(pat)-1] == '.'
}

func (ev *Evaluator) peerMatch(i int, cr *crule, c *cstr, r *Request) bool {
	p := c.p
	switch p.Style {
	case StyleIP, StyleIPv6:
		ap := ev.subj.Peer
		if !ap.IsValid() {
			return false
		}
		ip := ap.Addr().Unmap()
		if (p.Style == StyleIP) != ip.Is4() {
			return false
		}
		b := ip.AsSlice()
		if len(b) != len(p.Net.IP) {
			return false
		}
		for k := range b {
			if b[k]&p.Net.Mask[k] != p.Net.IP[k] {
				return false
			}
		}
		return p.Port == 0 || int(ap.Port()) == p.Port
	case StylePath:
		return ev.subj.PeerName == "PATH="+p.Raw
	}
	return ev.strMatch(i, cr, c, ev.subj.PeerName, r, false)
}

// groupMatch is slapd's group clause: the group entry (its DN expanded
// and normalized for .expand) has the object class and the requester's
// DN among the values of the member attribute.
func (ev *Evaluator) groupMatch(i int, cr *crule, g *cgroup, r *Request) bool {
	subj := ev.subj.NDN
	if subj == "" {
		return false
	}
	gndn := g.norm
	if g.expand {
		ev.buf = ev.expand(ev.buf[:0], i, cr, &g.tmpl, r)
		n, err := ev.p.normalizeExpanded(ev.buf)
		if err != nil {
			return false
		}
		gndn = n
	}
	for k := range ev.groups {
		gr := &ev.groups[k]
		if gr.ndn == gndn && gr.oc == g.oc && gr.at == g.at {
			return gr.member
		}
	}
	member := false
	var ge Entry
	if gndn == ev.entNDN {
		ge = r.Entry
	} else if ev.fetch != nil {
		ge = ev.fetch(gndn)
		if ge == Unavailable {
			return false
		}
	}
	if ge != nil && ge.HasClass(g.oc) && ge.HasValue(g.at, ev.subjB) {
		member = true
	}
	ev.groups = append(ev.groups, groupResult{ndn: gndn, oc: g.oc, at: g.at, member: member})
	return member
}
