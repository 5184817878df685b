package filter

// AccessFunc decides whether one item of a filter may be evaluated on the
// entry at hand: slapd asks for search access to the item's attribute
// (with the assertion value for equality, ordering, approximate and
// extensible items) before testing it. n is the item's node: Type,
// Options and Assertion describe it.
type AccessFunc func(n Node) bool

// EvalAccess evaluates f on e like EvalScratch, asking access for each
// item it tests, in evaluation order (And and Or stop at the first False
// and True as usual, so items after them are not asked about). An item
// access refuses evaluates to Undefined, as slapd's test_filter gives it
// (so its negation is Undefined too). Items that are Undefined whatever
// the entry (unknown type, no matching rule, invalid assertion) are not
// asked about. With a nil access it is EvalScratch.
func (f *Filter) EvalAccess(e EntryView, s *Scratch, access AccessFunc) Result {
	if access == nil {
		return f.EvalScratch(e, s)
	}
	if len(f.nodes) == 0 {
		return Undefined
	}
	return f.evalAccess(0, e, s, access)
}

func (f *Filter) evalAccess(i int32, e EntryView, s *Scratch, access AccessFunc) Result {
	n := &f.nodes[i]
	switch n.kind {
	case And:
		r := True
		for c := i + 1; c < n.end; c = f.nodes[c].end {
			switch f.evalAccess(c, e, s, access) {
			case False:
				return False
			case Undefined:
				r = Undefined
			}
		}
		return r
	case Or:
		r := False
		for c := i + 1; c < n.end; c = f.nodes[c].end {
			switch f.evalAccess(c, e, s, access) {
			case True:
				return True
			case Undefined:
				r = Undefined
			}
		}
		return r
	case Not:
		if i+1 >= n.end {
			return Undefined
		}
		switch f.evalAccess(i+1, e, s, access) {
		case True:
			return False
		case False:
			return True
		}
		return Undefined
	case Unknown:
		return Undefined
	}
	if n.static && n.res == Undefined {
		return Undefined
	}
	if !access(Node{f: f, i: i}) {
		return Undefined
	}
	return f.eval(i, e, s)
}

// Items calls fn for every item (leaf) of f that EvalAccess would ask
// access for, in filter order, until fn returns false; it reports whether
// fn accepted them all. A caller that finds every item allowed knows
// EvalAccess gives the same result as EvalScratch.
func (f *Filter) Items(fn AccessFunc) bool {
	for i := range f.nodes {
		n := &f.nodes[i]
		switch n.kind {
		case And, Or, Not, Unknown:
			continue
		}
		if n.static && n.res == Undefined {
			continue
		}
		if !fn(Node{f: f, i: int32(i)}) {
			return false
		}
	}
	return true
}
