// Package aclauthz adapts package acl to the server's directory.Authorizer:
// it compiles the access rules of a loaded slapd.conf (each database's
// rules followed by the global ones; the global ones alone for entries
// outside every database, such as the root DSE) and answers the server's
// per-check questions with them.
//
// The server's interface asks one question at a time, so the per-operation
// caches of acl.Evaluator (regex submatches per rule and entry, group
// membership) only last one call here; see the package acl documentation
// for the operation-level API that keeps them.
package aclauthz

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"hostdir/directory"
	"hostdir/directory/acl"
	"hostdir/directory/config"
	"hostdir/directory/entry"
	"hostdir/directory/filter"
	"hostdir/schema"
)

// Fetch reads an entry by normalized DN without access checks (group
// entries); it returns nil when there is none.
type Fetch func(ctx context.Context, ndn string) *entry.Entry

// Authorizer implements directory.Authorizer with slapd's access rules.
type Authorizer struct {
	sc     *schema.Schema
	dbs    []dbPolicy
	global *acl.Policy
	fetch  Fetch
}

type dbPolicy struct {
	suffixes []string
	p        *acl.Policy
}

var _ directory.Authorizer = (*Authorizer)(nil)

// New compiles the rules of cfg. fetch may be nil (group clauses then
// never match).
func New(cfg *config.Config, fetch Fetch) (*Authorizer, error) {
	sc := cfg.Schema
	cf := func(text string) (acl.FilterFunc, error) {
		f, err := filter.Parse(text, sc)
		if err != nil {
			return nil, err
		}
		return func(e acl.Entry) bool {
			raw := acl.Raw(e)
			return raw != nil && f.Eval(filter.Entry{E: raw, Schema: sc}) == filter.True
		}, nil
	}
	a := &Authorizer{sc: sc, fetch: fetch}
	var err error
	if a.global, err = acl.Compile(nil, cfg.Access, sc, acl.Options{CompileFilter: cf}); err != nil {
		return nil, fmt.Errorf("aclauthz: global rules: %w", err)
	}
	for _, db := range cfg.Databases {
		p, err := acl.Compile(db.Access, cfg.Access, sc, acl.Options{RootDN: db.RootDN, CompileFilter: cf})
		if err != nil {
			return nil, fmt.Errorf("aclauthz: database %v: %w", db.SuffixesRaw, err)
		}
		a.dbs = append(a.dbs, dbPolicy{suffixes: db.Suffixes, p: p})
	}
	return a, nil
}

// policy returns the policy of the database holding ndn.
func (a *Authorizer) policy(ndn string) *acl.Policy {
	best, bestLen := a.global, -1
	for _, d := range a.dbs {
		for _, s := range d.suffixes {
			if len(s) > bestLen && (ndn == s || strings.HasSuffix(ndn, ","+s)) {
				best, bestLen = d.p, len(s)
			}
		}
	}
	return best
}

var levelPriv = [...]acl.Priv{
	directory.LevelNone:     0,
	directory.LevelDisclose: acl.PrivDisclose,
	directory.LevelAuth:     acl.PrivAuth,
	directory.LevelCompare:  acl.PrivCompare,
	directory.LevelSearch:   acl.PrivSearch,
	directory.LevelRead:     acl.PrivRead,
	directory.LevelWrite:    acl.PrivWrite,
	directory.LevelManage:   acl.PrivManage,
}

// Access implements directory.Authorizer.
func (a *Authorizer) Access(ctx context.Context, sub *directory.Subject, t *directory.Target, level directory.Level) bool {
	if sub.Root {
		return true
	}
	if level <= directory.LevelNone || int(level) >= len(levelPriv) {
		return level <= directory.LevelNone
	}
	p := a.policy(t.NDN)
	s := acl.Subject{
		NDN: sub.NDN, PeerName: sub.Peer,
		SSF: uint(max(sub.SSF, 0)), TransportSSF: uint(max(sub.TransportSSF, 0)), TLSSSF: uint(max(sub.TLSSSF, 0)),
	}
	if ap, err := netip.ParseAddrPort(strings.TrimPrefix(sub.Peer, "IP=")); err == nil {
		s.Peer = ap
	}
	var fetch acl.Fetcher
	if a.fetch != nil {
		fetch = func(ndn string) acl.Entry {
			e := a.fetch(ctx, ndn)
			if e == nil {
				return nil
			}
			return acl.NewEntry(e, ndn, a.sc)
		}
	}
	ev := p.NewEvaluator(s, fetch)
	defer ev.Release()
	raw := t.Entry
	if raw == nil {
		raw = &entry.Entry{DN: t.DN}
	}
	r := acl.Request{Entry: acl.NewEntry(raw, t.NDN, a.sc), Attr: t.Attr}
	switch {
	case t.Attr != nil:
	case strings.EqualFold(t.AttrName, directory.AttrChildren):
		r.Attr = acl.ChildrenAttr
	default:
		r.Attr = acl.EntryAttr
	}
	if t.Value != nil && t.Attr != nil {
		r.Value = t.Value
		if eq := t.Attr.Equality; eq != nil && eq.Normalize != nil {
			if n, err := eq.Normalize(a.sc, t.Value); err == nil {
				r.Value = n
			}
		}
	}
	if _, opts, ok := strings.Cut(t.AttrName, ";"); ok {
		r.Options = opts
	}
	return ev.Allowed(r, levelPriv[level])
}
