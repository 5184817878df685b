package directory

import (
	"context"
	"fmt"
	"net/netip"

	"hostdir/directory/acl"
	"hostdir/directory/config"
	"hostdir/directory/entry"
	"hostdir/directory/filter"
	"hostdir/schema"
)

// Subject is who asks for access: the connection's authorization identity
// and how it is connected.
type Subject struct {
	// DN is the bound DN as bound, NDN its normalized form; both "" when
	// anonymous.
	DN, NDN string
	// Root is true for the root DN of the database being accessed (slapd
	// grants it everything without consulting the rules).
	Root bool
	// ConnID is the connection number of the logs.
	ConnID uint64
	// Peer is the client's address as logged ("IP=127.0.0.1:40000",
	// "PATH=/run/ldapi"); PeerAddr the same as an address (zero for
	// ldapi://), for peername.ip rules.
	Peer     string
	PeerAddr netip.AddrPort
	// SockName is the listener's address as logged ("IP=0.0.0.0:389").
	SockName string
	// SSF is the connection's security strength factor; TransportSSF and
	// TLSSSF its parts.
	SSF, TransportSSF, TLSSSF int
}

// Anonymous reports whether the subject has not bound.
func (s *Subject) Anonymous() bool { return s.NDN == "" }

// Access is the access control of one operation, as slapd's
// access_allowed answers it: one requester, many checks, with the
// per-operation caches (regular expression submatches per rule and entry,
// group memberships) kept between them. *acl.Evaluator implements it; the
// server asks it through the operation checks of package acl
// (acl.CanAuth, acl.SearchBase, acl.CanSearch, acl.CanReadEntry,
// acl.CanRead, acl.Compare, acl.Add, acl.Delete, acl.Modify,
// acl.PasswordModify, acl.ModRDN, acl.CanDisclose), at these points:
//
//   - Bind: auth on each userPassword value, the subject anonymous (a
//     refused value is not compared; none left: invalidCredentials).
//   - Search: search on the base's entry (refused: noSuchObject without
//     disclose on it, insufficientAccess with); search on each filter
//     item's attribute with its assertion value (a refused item is
//     Undefined); read on the entry to return it, read on each attribute
//     returned (and on each value when ValueRules).
//   - Compare: compare on the attribute and value (refused: 32 or 50 as
//     disclose allows).
//   - Add: add on the parent's children and on the new entry; Delete:
//     delete on both.
//   - Modify: delete/add per attribute and value as acl.Modify.
//   - ModifyDN: acl.ModRDN. Password Modify: a replace of userPassword.
//   - A matched DN is only returned with disclose on the matched entry.
//
// An Access is used by one goroutine and released when the operation
// ends.
type Access interface {
	acl.Checker
	// Granted returns the privileges held on every target whatever the
	// target (the server skips their checks): acl.PrivAll for the root
	// DN, read with no rules at all, none otherwise.
	Granted() acl.Priv
	// ValueRules reports whether a value can be decided differently from
	// its attribute (the server then checks each returned value).
	ValueRules() bool
	// Release ends the operation's use of the Access.
	Release()
}

// Authorizer starts the access control of operations. The server calls
// Begin once per operation that touches a database (or the root DSE and
// cn=Subschema, with db nil), with the operation as ctx. fetch reads an
// entry without access checks (for group clauses); it may return
// acl.Unavailable when reading is not possible at the moment of the call.
// Implementations must be safe for concurrent use.
type Authorizer interface {
	Begin(ctx context.Context, sub *Subject, db *config.Database, fetch acl.Fetcher) Access
}

// PolicyAuthorizer is slapd's access control over the access directives
// of a configuration: each database's rules followed by the global ones;
// the global rules alone for the root DSE and cn=Subschema. With no rules
// at all it is slapd's default, "access to * by * read": everybody reads
// (and searches, compares, authenticates) everything, userPassword
// included, and only the root DN writes. The rules are compiled once, by
// NewPolicyAuthorizer.
type PolicyAuthorizer struct {
	global *acl.Policy
	dbs    map[*config.Database]*acl.Policy
}

var _ Authorizer = (*PolicyAuthorizer)(nil)

// NewPolicyAuthorizer compiles the access rules of cfg (filter= clauses
// through package filter).
func NewPolicyAuthorizer(cfg *config.Config) (*PolicyAuthorizer, error) {
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
	a := &PolicyAuthorizer{dbs: map[*config.Database]*acl.Policy{}}
	var err error
	if a.global, err = acl.Compile(nil, cfg.Access, sc, acl.Options{CompileFilter: cf}); err != nil {
		return nil, fmt.Errorf("directory: global access rules: %w", err)
	}
	for _, db := range cfg.Databases {
		p, err := acl.Compile(db.Access, cfg.Access, sc, acl.Options{RootDN: db.RootDN, CompileFilter: cf})
		if err != nil {
			return nil, fmt.Errorf("directory: access rules of database %v: %w", db.SuffixesRaw, err)
		}
		a.dbs[db] = p
	}
	return a, nil
}

// Policy returns the compiled policy of db (nil: the global one).
func (a *PolicyAuthorizer) Policy(db *config.Database) *acl.Policy {
	if p := a.dbs[db]; p != nil {
		return p
	}
	return a.global
}

// Begin implements Authorizer.
func (a *PolicyAuthorizer) Begin(_ context.Context, sub *Subject, db *config.Database, fetch acl.Fetcher) Access {
	if sub.Root {
		return rootAccess{}
	}
	p := a.Policy(db)
	s := acl.Subject{
		NDN:          sub.NDN,
		PeerName:     sub.Peer,
		Peer:         sub.PeerAddr,
		SockName:     sub.SockName,
		SSF:          uint(max(sub.SSF, 0)),
		TransportSSF: uint(max(sub.TransportSSF, 0)),
		TLSSSF:       uint(max(sub.TLSSSF, 0)),
	}
	return p.NewEvaluator(s, fetch)
}

// rootAccess is the Access of the root DN of the database concerned:
// everything is allowed (even when it bound through its entry's
// userPassword rather than rootpw, which the policy cannot tell).
type rootAccess struct{}

func (rootAccess) Allowed(acl.Request, acl.Priv) bool { return true }
func (rootAccess) Granted() acl.Priv                  { return acl.PrivAll }
func (rootAccess) ValueRules() bool                   { return false }
func (rootAccess) Release()                           {}

// aclEntry is the acl.Entry view of an entry the server holds (with all
// its attributes), or of one it reads only when a rule looks at its
// content (lazy): rules that only look at DNs, as the HOWTO's, then cost
// no read.
type aclEntry struct {
	sc  *schema.Schema
	e   *entry.Entry
	ndn string
	buf []byte
	// lazy, when set and e is nil, reads the entry ndn from lazy's
	// database on first use of its content.
	lazy   *operation
	loaded bool
}

var _ acl.RawEntry = (*aclEntry)(nil)

func (a *aclEntry) set(sc *schema.Schema, e *entry.Entry, ndn string) {
	a.sc, a.e, a.ndn, a.lazy, a.loaded = sc, e, ndn, nil, false
}

// load reads a lazy entry.
func (a *aclEntry) load() {
	if a.e != nil || a.lazy == nil || a.loaded {
		return
	}
	a.loaded = true
	op := a.lazy
	if op.db == nil || op.inTx {
		return
	}
	if e, err := op.db.backend.Get(op, a.ndn); err == nil {
		a.e = &e.Entry
	}
}

// missing reports whether a lazy entry does not exist.
func (a *aclEntry) missing() bool {
	a.load()
	return a.e == nil
}

// NDN implements acl.Entry.
func (a *aclEntry) NDN() string { return a.ndn }

// Raw implements acl.RawEntry.
func (a *aclEntry) Raw() *entry.Entry {
	a.load()
	return a.e
}

// HasValue implements acl.Entry.
func (a *aclEntry) HasValue(at *schema.AttributeType, norm []byte) bool {
	a.load()
	if a.e == nil {
		return false
	}
	for i := range a.e.Attrs {
		x := &a.e.Attrs[i]
		t, opts := splitDesc(x.Type)
		if opts != "" || a.sc.AttributeType(t) != at {
			continue
		}
		for _, v := range x.Values {
			if at.Equality == nil || at.Equality.Normalize == nil {
				if string(v) == string(norm) {
					return true
				}
				continue
			}
			var err error
			a.buf, err = at.Equality.AppendNormalize(a.buf[:0], a.sc, v)
			if err == nil && string(a.buf) == string(norm) {
				return true
			}
		}
	}
	return false
}

// HasClass implements acl.Entry.
func (a *aclEntry) HasClass(oc *schema.ObjectClass) bool {
	a.load()
	if a.e == nil {
		return false
	}
	at := a.sc.AttributeType("objectClass")
	for i := range a.e.Attrs {
		x := &a.e.Attrs[i]
		if a.sc.AttributeType(x.Type) != at {
			continue
		}
		for _, v := range x.Values {
			if c := a.sc.ObjectClass(string(v)); c != nil && (c == oc || c.IsSubclassOf(oc)) {
				return true
			}
		}
	}
	return false
}

// subject fills op.subj for database d.
func (op *operation) subject(d *database) *Subject {
	c := op.c
	op.subj = Subject{
		DN:           op.ident.dn,
		NDN:          op.ident.ndn,
		Root:         d != nil && op.ident.root == d,
		ConnID:       c.id,
		Peer:         c.peer,
		PeerAddr:     c.peerAddr,
		SockName:     c.self,
		SSF:          c.ssf,
		TransportSSF: c.transportSSF,
		TLSSSF:       c.tlsSSF,
	}
	return &op.subj
}

// access begins the access control of op on database d (nil: the root
// DSE and cn=Subschema) for its current identity; it is released with
// the operation.
func (s *Server) access(op *operation, d *database) Access {
	if op.acc != nil {
		op.acc.Release()
	}
	sub := op.subject(d)
	var dc *config.Database
	if d != nil {
		dc = d.cfg
	}
	op.db = d
	op.acc = s.authz.Begin(op, sub, dc, op.fetchFn)
	return op.acc
}

// anonAccess begins access control as anonymous on d (the bind check).
func (s *Server) anonAccess(op *operation, d *database) Access {
	if op.acc != nil {
		op.acc.Release()
	}
	sub := op.subject(nil)
	sub.DN, sub.NDN, sub.Root = "", "", false
	op.db = d
	op.acc = s.authz.Begin(op, sub, d.cfg, op.fetchFn)
	return op.acc
}

// granted reports whether acc holds want on every target, so that its
// checks can be skipped.
func granted(acc Access, want acl.Priv) bool {
	return acc == nil || acc.Granted()&want == want
}

// fetchEntry is the Fetcher of op's access control: the entry ndn of
// op's database, read without access checks. Inside a store transaction
// (op.inTx) it does not read and answers acl.Unavailable, noting that it
// did (op.fetchMissed).
func (op *operation) fetchEntry(ndn string) acl.Entry {
	d := op.db
	if d == nil {
		return nil
	}
	for i := range op.fetched {
		if op.fetched[i].ndn == ndn {
			if op.fetched[i].e == nil {
				return nil
			}
			return &op.fetched[i]
		}
	}
	if op.inTx {
		op.fetchMissed = true
		return acl.Unavailable
	}
	var ae aclEntry
	ae.sc, ae.ndn = op.c.srv.schema, ndn
	if e, err := d.backend.Get(op, ndn); err == nil {
		ae.e = &e.Entry
	}
	op.fetched = append(op.fetched, ae)
	if ae.e == nil {
		return nil
	}
	return &op.fetched[len(op.fetched)-1]
}
