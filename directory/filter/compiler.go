package filter

import (
	"sync"
	"sync/atomic"

	"hostdir/directory/ldapwire"
	"hostdir/schema"
	"hostdir/schema/syntax"
)

// A Compiler compiles wire filters into one Filter it reuses: once its
// buffers have grown to the size of the filters it sees, Compile does not
// allocate. A server keeps one per operation slot (or per connection).
//
// The Filter Compile returns belongs to the Compiler: it is valid until
// the next Compile or Reset, and must not be kept beyond that (use
// FromWire for a filter that lives on). A Compiler is not safe for
// concurrent use.
type Compiler struct {
	// Cache, when not nil, is consulted for attribute descriptions and
	// for the normalized values of object identifiers and booleans, and
	// filled with them. It may be shared by many Compilers.
	Cache *Cache

	b builder
	f Filter
}

// Compile compiles f against sc as FromWire does, into the Compiler's
// Filter, and returns it.
func (c *Compiler) Compile(f *ldapwire.Filter, sc *schema.Schema) (*Filter, error) {
	c.reset(sc)
	if err := c.b.fromWire(f); err != nil {
		c.reset(sc)
		return nil, err
	}
	return c.b.finish(), nil
}

// Reset forgets the last compiled Filter (its values are no longer
// referenced by the Compiler's buffers once they are overwritten).
func (c *Compiler) Reset() { c.reset(c.f.sc) }

func (c *Compiler) reset(sc *schema.Schema) {
	f := &c.f
	f.sc = sc
	f.nodes = f.nodes[:0]
	f.arena = f.arena[:0]
	f.attrs = f.attrs[:0]
	f.vals = f.vals[:0]
	b := &c.b
	b.f, b.sc, b.cache = f, sc, c.Cache
	b.open = b.open[:0]
	b.pieces = b.pieces[:0]
	b.sub = -1
	b.tmp = b.tmp[:0]
	// Drop what the buffers hold when they have grown large (a rare huge
	// filter should not stay in memory).
	const keep = 4 << 10
	if cap(f.arena) > 16*keep {
		f.arena = nil
	}
	if cap(f.nodes) > keep {
		f.nodes = nil
	}
	if cap(b.pieces) > keep {
		b.pieces = nil
	}
	if cap(f.vals) > keep {
		f.vals = nil
	}
}

// Cache remembers compilation results that depend only on the schema: the
// attribute type and options of attribute descriptions as clients write
// them ("objectClass", "mail"), and the normalized form of values under
// the matching rules whose normalization needs schema lookups or yields a
// small set of values (objectIdentifierMatch, booleanMatch): the
// "(objectClass=JammMailAccount)", "(accountActive=TRUE)" of every Postfix
// query. Lookups take no lock; each map holds at most MaxCacheEntries
// entries and starts over when full. A Cache is safe for concurrent use
// and is tied to one schema (the first it is used with; other schemas
// bypass it).
type Cache struct {
	mu    sync.Mutex // serializes writers
	descs atomic.Pointer[map[string]*descEntry]
	vals  atomic.Pointer[map[valKey]*valEntry]
	sc    atomic.Pointer[schema.Schema]
}

// MaxCacheEntries bounds each of a Cache's maps.
const MaxCacheEntries = 512

// descEntry is a resolved attribute description.
type descEntry struct {
	at   *schema.AttributeType // nil: unknown type (static Undefined)
	opts string                // lower-cased options, ";binary" dropped, ';'-joined
	isOC bool
}

// valKey identifies a normalized value: the rule and the value as given.
// Its string is only built on insertion; lookups go through valLookup.
type valKey struct {
	rule *syntax.MatchingRule
	v    string
}

// valEntry is a normalized value (ok false: the rule refuses the value).
type valEntry struct {
	norm []byte
	ok   bool
	oids *oidMatch
}

// usable reports whether the cache serves schema sc.
func (c *Cache) usable(sc *schema.Schema) bool {
	if c == nil {
		return false
	}
	if cur := c.sc.Load(); cur != nil {
		return cur == sc
	}
	return c.sc.CompareAndSwap(nil, sc) || c.sc.Load() == sc
}

func (c *Cache) desc(d []byte) *descEntry {
	m := c.descs.Load()
	if m == nil {
		return nil
	}
	return (*m)[string(d)]
}

func (c *Cache) putDesc(d []byte, e *descEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.descs.Load()
	n := 0
	if old != nil && len(*old) < MaxCacheEntries {
		n = len(*old)
	}
	m := make(map[string]*descEntry, n+1)
	if n > 0 {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[string(d)] = e
	c.descs.Store(&m)
}

func (c *Cache) val(r *syntax.MatchingRule, v []byte) *valEntry {
	m := c.vals.Load()
	if m == nil {
		return nil
	}
	return (*m)[valKey{r, string(v)}]
}

func (c *Cache) putVal(r *syntax.MatchingRule, v []byte, e *valEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.vals.Load()
	n := 0
	if old != nil && len(*old) < MaxCacheEntries {
		n = len(*old)
	}
	m := make(map[valKey]*valEntry, n+1)
	if n > 0 {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[valKey{r, string(v)}] = e
	c.vals.Store(&m)
}

// cacheableRule reports whether values of rule r are worth caching: their
// normalization needs schema lookups (object identifiers) or their set is
// small (booleans).
func cacheableRule(r *syntax.MatchingRule) bool {
	switch r.OID {
	case oidObjectIdentifierMatch, oidBooleanMatch:
		return true
	}
	return false
}

// oidBooleanMatch is the OID of booleanMatch.
const oidBooleanMatch = "2.5.13.13"

// maxCachedValue is the longest value the cache keeps.
const maxCachedValue = 64
