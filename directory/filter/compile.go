package filter

import (
	"bytes"

	"hostdir/schema"
	"hostdir/schema/syntax"
)

// oidObjectIdentifierMatch is the OID of objectIdentifierMatch.
const oidObjectIdentifierMatch = "2.5.13.0"

// builder compiles nodes in preorder into a Filter.
type builder struct {
	f      *Filter
	sc     *schema.Schema
	cache  *Cache  // nil: none (or not usable with sc)
	open   []int32 // composites being built
	pieces []piece
	sub    int32 // index of the substrings node being built, -1 if none
	tmp    []byte
}

func newBuilder(sc *schema.Schema, sizeHint int) *builder {
	return &builder{
		f:   &Filter{sc: sc, nodes: make([]node, 0, sizeHint), arena: make([]byte, 0, 64*sizeHint)},
		sc:  sc,
		sub: -1,
	}
}

// add appends a node and checks the node limit.
func (b *builder) add(n node) (int32, error) {
	if len(b.f.nodes)+len(b.pieces) >= MaxNodes {
		return 0, ErrTooComplex
	}
	idx := int32(len(b.f.nodes))
	n.end = idx + 1
	b.f.nodes = append(b.f.nodes, n)
	return idx, nil
}

// store copies v into the arena.
func (b *builder) store(v []byte) span {
	lo := int32(len(b.f.arena))
	b.f.arena = append(b.f.arena, v...)
	return span{lo, int32(len(b.f.arena))}
}

// openComposite starts an AND, OR or NOT.
func (b *builder) openComposite(k Kind) error {
	if len(b.open) >= MaxDepth {
		return ErrTooComplex
	}
	idx, err := b.add(node{kind: k})
	if err != nil {
		return err
	}
	b.open = append(b.open, idx)
	return nil
}

// closeComposite ends the innermost open composite.
func (b *builder) closeComposite() {
	idx := b.open[len(b.open)-1]
	b.open = b.open[:len(b.open)-1]
	b.f.nodes[idx].end = int32(len(b.f.nodes))
}

// resolve fills the node's description, type and options from desc,
// through the cache when there is one.
func (b *builder) resolve(n *node, desc []byte) {
	if b.cache == nil {
		b.resolveDesc(n, desc)
		return
	}
	if e := b.cache.desc(desc); e != nil {
		n.desc = b.store(desc)
		if e.at == nil {
			n.static, n.res = true, Undefined
			return
		}
		n.at, n.isOC = e.at, e.isOC
		lo := int32(len(b.f.arena))
		b.f.arena = append(b.f.arena, e.opts...)
		n.opts = span{lo, int32(len(b.f.arena))}
		b.addAttr(n.at)
		return
	}
	b.resolveDesc(n, desc)
	if len(desc) <= maxCachedValue {
		e := &descEntry{at: n.at, isOC: n.isOC}
		if n.at != nil {
			e.opts = string(b.f.arena[n.opts.lo:n.opts.hi])
		}
		b.cache.putDesc(desc, e)
	}
}

// resolveDesc is resolve without the cache.
func (b *builder) resolveDesc(n *node, desc []byte) {
	n.desc = b.store(desc)
	name, opts := desc, []byte(nil)
	if i := bytes.IndexByte(desc, ';'); i >= 0 {
		name, opts = desc[:i], desc[i+1:]
	}
	if len(name) == 0 {
		n.static, n.res = true, Undefined
		return
	}
	n.at = b.sc.AttributeType(string(name))
	if n.at == nil {
		n.static, n.res = true, Undefined
		return
	}
	n.isOC = n.at.OID == "2.5.4.0"
	// options: lower-cased, "binary" dropped
	lo := int32(len(b.f.arena))
	for len(opts) > 0 {
		o := opts
		if i := bytes.IndexByte(opts, ';'); i >= 0 {
			o, opts = opts[:i], opts[i+1:]
		} else {
			opts = nil
		}
		if len(o) == 0 || equalFoldBytes(o, "binary") {
			continue
		}
		if int32(len(b.f.arena)) > lo {
			b.f.arena = append(b.f.arena, ';')
		}
		for _, c := range o {
			b.f.arena = append(b.f.arena, lowerByte(c))
		}
	}
	n.opts = span{lo, int32(len(b.f.arena))}
	b.addAttr(n.at)
}

func (b *builder) addAttr(at *schema.AttributeType) {
	for _, a := range b.f.attrs {
		if a == at {
			return
		}
	}
	b.f.attrs = append(b.f.attrs, at)
}

// normalize stores the canonical form of v under rule r; on error the node
// becomes static Undefined.
func (b *builder) normalize(n *node, r *syntax.MatchingRule, v []byte) {
	lo := int32(len(b.f.arena))
	out, err := r.AppendNormalize(b.f.arena, b.sc, v)
	if err != nil {
		b.f.arena = b.f.arena[:lo]
		n.static, n.res = true, Undefined
		return
	}
	b.f.arena = out
	n.norm = span{lo, int32(len(out))}
}

// normalizeCached is normalize of an equality assertion through the
// cache, with the objectIdentifierMatch fast path.
func (b *builder) normalizeCached(n *node, value []byte) {
	e := b.cache.val(n.rule, value)
	if e == nil {
		e = &valEntry{}
		lo := int32(len(b.f.arena))
		b.normalize(n, n.rule, value)
		if !n.static {
			e.ok = true
			e.norm = bytes.Clone(b.f.arena[lo:n.norm.hi])
			if n.rule.OID == oidObjectIdentifierMatch {
				e.oids = newOIDMatch(b.sc, value, e.norm)
			}
		}
		b.cache.putVal(n.rule, value, e)
		n.oids = e.oids
		return
	}
	if !e.ok {
		n.static, n.res = true, Undefined
		return
	}
	lo := int32(len(b.f.arena))
	b.f.arena = append(b.f.arena, e.norm...)
	n.norm = span{lo, int32(len(b.f.arena))}
	n.oids = e.oids
}

// item adds an equality, ordering or approx item.
func (b *builder) item(k Kind, desc, value []byte) error {
	n := node{kind: k}
	b.resolve(&n, desc)
	n.raw = b.store(value)
	if !n.static {
		switch k {
		case Equality, Approx:
			n.rule = n.at.Equality
		case GreaterOrEqual, LessOrEqual:
			n.rule = n.at.Ordering
		}
		if n.rule == nil {
			n.static, n.res = true, Undefined
		} else if b.cache != nil && k == Equality && len(value) <= maxCachedValue && cacheableRule(n.rule) {
			b.normalizeCached(&n, value)
		} else {
			b.normalize(&n, n.rule, value)
			if !n.static && k == Equality && n.rule.OID == oidObjectIdentifierMatch {
				n.oids = newOIDMatch(b.sc, value, b.f.arena[n.norm.lo:n.norm.hi])
			}
		}
	}
	if !n.static && k == Approx && approxable(n.at) {
		lo := int32(len(b.pieces))
		var buf [maxCode]byte
		eachWord(b.f.arena[n.norm.lo:n.norm.hi], func(w []byte) {
			c := b.store(phonetic(buf[:0], w))
			b.pieces = append(b.pieces, piece{norm: c})
		})
		n.p0, n.p1 = lo, int32(len(b.pieces))
	}
	_, err := b.add(n)
	return err
}

// present adds a presence item.
func (b *builder) present(desc []byte) error {
	n := node{kind: Present}
	b.resolve(&n, desc)
	if n.isOC && n.opts.lo == n.opts.hi {
		n.static, n.res = true, True
	}
	_, err := b.add(n)
	return err
}

// startSubstrings begins a substrings item; pieces follow.
func (b *builder) startSubstrings(desc []byte) error {
	n := node{kind: Substrings}
	b.resolve(&n, desc)
	if !n.static {
		n.rule = n.at.Substr
		if n.rule == nil || n.rule.NormalizeSubstring == nil {
			n.static, n.res = true, Undefined
		}
	}
	n.p0 = int32(len(b.pieces))
	n.p1 = n.p0
	idx, err := b.add(n)
	b.sub = idx
	return err
}

// piece adds one piece to the substrings item being built.
func (b *builder) piece(pos syntax.SubPos, raw []byte) error {
	if len(b.f.nodes)+len(b.pieces) >= MaxNodes {
		return ErrTooComplex
	}
	n := &b.f.nodes[b.sub]
	p := piece{pos: pos, raw: b.store(raw)}
	if !n.static {
		v, err := n.rule.NormalizeSubstring(b.sc, raw, pos)
		if err != nil {
			n.static, n.res = true, Undefined
		} else {
			p.norm = b.store(v)
		}
	}
	b.pieces = append(b.pieces, p)
	n.p1 = int32(len(b.pieces))
	return nil
}

// endSubstrings ends the substrings item.
func (b *builder) endSubstrings() { b.sub = -1 }

// extensible adds an extensible match item.
func (b *builder) extensible(desc, rule, value []byte, dnAttrs bool) error {
	n := node{kind: Extensible, dnAttrs: dnAttrs}
	if len(desc) > 0 {
		b.resolve(&n, desc)
	} else {
		n.desc = span{int32(len(b.f.arena)), int32(len(b.f.arena))}
	}
	n.ruleName = b.store(rule)
	n.raw = b.store(value)
	switch {
	case n.static:
	case len(rule) > 0:
		n.rule = b.sc.MatchingRule(string(rule))
		if n.rule == nil || (n.at != nil && !ruleApplies(n.rule, n.at.Syntax.OID)) {
			n.static, n.res = true, Undefined
		}
	case n.at == nil:
		// neither rule nor type: RFC 4511 forbids it.
		n.static, n.res = true, Undefined
	default:
		n.rule = n.at.Equality
		if n.rule == nil {
			n.static, n.res = true, Undefined
		}
	}
	if !n.static {
		if n.rule.Kind == syntax.Substrings {
			b.extSubstrings(&n, value)
		} else {
			b.normalize(&n, n.rule, value)
		}
	}
	_, err := b.add(n)
	return err
}

// extSubstrings parses a substring assertion value ("a*b*c", with \2A and
// \5C escapes) of an extensible match with a substrings rule.
func (b *builder) extSubstrings(n *node, v []byte) {
	parts := bytes.Split(v, []byte("*"))
	if len(parts) < 2 {
		n.static, n.res = true, Undefined
		return
	}
	n.p0 = int32(len(b.pieces))
	for i, p := range parts {
		pos := syntax.SubAny
		switch {
		case i == 0:
			pos = syntax.SubInitial
		case i == len(parts)-1:
			pos = syntax.SubFinal
		}
		if len(p) == 0 {
			continue
		}
		raw, ok := unescapeValue(b.tmp[:0], p)
		if !ok {
			n.static, n.res = true, Undefined
			return
		}
		b.tmp = raw
		norm, err := n.rule.NormalizeSubstring(b.sc, raw, pos)
		if err != nil {
			n.static, n.res = true, Undefined
			return
		}
		b.pieces = append(b.pieces, piece{pos: pos, raw: b.store(raw), norm: b.store(norm)})
	}
	n.p1 = int32(len(b.pieces))
}

// unknown adds a node for an unknown filter choice.
func (b *builder) unknown() error {
	_, err := b.add(node{kind: Unknown, static: true, res: Undefined})
	return err
}

// finish resolves spans into slices and returns the filter.
func (b *builder) finish() *Filter {
	f := b.f
	a := f.arena
	// any pieces and approx codes are sub-slices of f.vals, which never
	// grows beyond the number of pieces (so the sub-slices stay valid).
	if cap(f.vals) < len(b.pieces) {
		f.vals = make([][]byte, 0, len(b.pieces))
	}
	vals := f.vals[:0]
	sub := func(lo int) [][]byte {
		if len(vals) == lo {
			return nil
		}
		return vals[lo:len(vals):len(vals)]
	}
	sl := func(s span) []byte { return a[s.lo:s.hi:s.hi] }
	for i := range b.pieces {
		p := &b.pieces[i]
		p.rawB, p.normB = sl(p.raw), sl(p.norm)
	}
	for i := range f.nodes {
		n := &f.nodes[i]
		n.descB, n.optsB, n.rawB, n.normB, n.ruleB = sl(n.desc), sl(n.opts), sl(n.raw), sl(n.norm), sl(n.ruleName)
		if len(n.optsB) == 0 {
			n.optsB = nil
		}
		switch {
		case n.kind == Substrings || (n.kind == Extensible && n.p1 > n.p0):
			ps := b.pieces[n.p0:n.p1:n.p1]
			n.subRaw = ps
			if n.static {
				break
			}
			lo := len(vals)
			for j := range ps {
				switch ps[j].pos {
				case syntax.SubInitial:
					n.initial = ps[j].normB
				case syntax.SubFinal:
					n.final = ps[j].normB
				default:
					vals = append(vals, ps[j].normB)
				}
			}
			n.any = sub(lo)
		case n.kind == Approx && n.p1 > n.p0:
			lo := len(vals)
			for _, p := range b.pieces[n.p0:n.p1] {
				vals = append(vals, p.normB)
			}
			n.codes = sub(lo)
		}
	}
	f.vals = vals
	return f
}

// oidMatch is the fast path of objectIdentifierMatch: the assertion's OID
// and every name the schema gives the element it names, so entry values
// are matched without normalization (no map lookups, no allocation).
type oidMatch struct {
	oid   string
	names []string
}

func newOIDMatch(sc *schema.Schema, value, norm []byte) *oidMatch {
	m := &oidMatch{oid: string(norm)}
	v := string(value)
	if oc := sc.ObjectClass(v); oc != nil && oc.OID == m.oid {
		m.names = oc.Names
	} else if at := sc.AttributeType(v); at != nil && at.OID == m.oid {
		m.names = at.Names
	} else if mr := sc.MatchingRule(v); mr != nil && mr.OID == m.oid {
		m.names = mr.Names
	} else if !isNumericOID(norm) {
		// unknown descriptor: canonical form is the lower-cased name
		m.names = []string{m.oid}
	}
	return m
}

// match reports whether v (an attribute value as stored) names the
// assertion's element.
func (m *oidMatch) match(v []byte) bool {
	if string(v) == m.oid {
		return true
	}
	for _, n := range m.names {
		if equalFoldBytes(v, n) {
			return true
		}
	}
	return false
}

func isNumericOID(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFoldBytes compares ASCII case-insensitively.
func equalFoldBytes(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] && lowerByte(a[i]) != lowerByte(b[i]) {
			return false
		}
	}
	return true
}

// ruleApplies reports whether rule r may be used on values of the syntax.
func ruleApplies(r *syntax.MatchingRule, syntaxOID string) bool {
	return r.Syntax == syntaxOID || r.AppliesTo(syntaxOID)
}
