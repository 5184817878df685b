package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hostdir/directory/entry"
)

func TestCRUD(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{NoSync: true})
	sfx := ndn(t, db, suffix)

	steps := []struct {
		name    string
		op      func() error
		want    error
		matched string
	}{
		{"add suffix", func() error { return db.Add(ctx, suffixEntry()) }, nil, ""},
		{"add suffix again", func() error { return db.Add(ctx, suffixEntry()) }, ErrAlreadyExists, ""},
		{"add outside suffix", func() error {
			return db.Add(ctx, &entry.Entry{DN: "dc=other", Attrs: []entry.Attribute{attr("objectClass", "top")}})
		}, ErrNotUnderSuffix, ""},
		{"add without parent", func() error { return db.Add(ctx, domainEntry(1)) }, ErrNoSuchParent, "dc=myhosting, dc=example"},
		{"add bad DN", func() error { return db.Add(ctx, &entry.Entry{DN: "foo"}) }, ErrInvalidDN, ""},
		{"add hosting", func() error { return db.Add(ctx, hostingEntry()) }, nil, ""},
		{"add domain", func() error { return db.Add(ctx, domainEntry(1)) }, nil, ""},
		{"add account", func() error { return db.Add(ctx, accountEntry(1, 1)) }, nil, ""},
		{"add deep without parent", func() error { return db.Add(ctx, accountEntry(2, 1)) }, ErrNoSuchParent, "o=hosting," + suffix},
		{"delete non-leaf", func() error { return db.Delete(ctx, ndn(t, db, domainDN(1))) }, ErrNotAllowedOnNonLeaf, ""},
		{"delete missing", func() error { return db.Delete(ctx, ndn(t, db, domainDN(7))) }, ErrNoSuchObject, "o=hosting," + suffix},
		{"modify missing", func() error {
			return db.Modify(ctx, ndn(t, db, domainDN(7)), func(*entry.Entry) error { return nil })
		}, ErrNoSuchObject, "o=hosting," + suffix},
		{"modify callback error", func() error {
			return db.Modify(ctx, ndn(t, db, domainDN(1)), func(*entry.Entry) error { return errTest })
		}, errTest, ""},
		{"modify DN change", func() error {
			return db.Modify(ctx, ndn(t, db, domainDN(1)), func(e *entry.Entry) error { e.DN = domainDN(2); return nil })
		}, ErrDNChanged, ""},
		{"modify", func() error {
			return db.Modify(ctx, ndn(t, db, "mail=user1@domain1.com,"+domainDN(1)), func(e *entry.Entry) error {
				e.Get("cn").Values = [][]byte{[]byte("Changed Name")}
				e.Attrs = append(e.Attrs, attr("uid", "u1"))
				return nil
			})
		}, nil, ""},
		{"delete account", func() error { return db.Delete(ctx, ndn(t, db, "mail=user1@domain1.com,"+domainDN(1))) }, nil, ""},
		{"delete account again", func() error {
			return db.Delete(ctx, ndn(t, db, "mail=user1@domain1.com,"+domainDN(1)))
		}, ErrNoSuchObject, domainDN(1)},
	}
	for _, s := range steps {
		err := s.op()
		if s.want == nil {
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		} else if !errors.Is(err, s.want) {
			t.Fatalf("%s: got %v, want %v", s.name, err, s.want)
		}
		if got := MatchedDN(err); got != s.matched {
			t.Errorf("%s: matched DN %q, want %q", s.name, got, s.matched)
		}
		if err := db.Check(); err != nil {
			t.Fatalf("after %s: %v", s.name, err)
		}
	}
	e, err := db.Get(ctx, sfx)
	if err != nil {
		t.Fatal(err)
	}
	if e.DN != "dc=myhosting, dc=example" || e.NDN != sfx || !e.HasChildren || len(e.Attrs) != 3 {
		t.Errorf("Get suffix = %+v", e)
	}
	if _, err := db.Get(ctx, ndn(t, db, "cn=x,"+suffix)); !errors.Is(err, ErrNoSuchObject) || MatchedDN(err) != "dc=myhosting, dc=example" {
		t.Errorf("Get missing: %v (matched %q)", err, MatchedDN(err))
	}
	has, err := db.HasChildren(ctx, ndn(t, db, domainDN(1)))
	if err != nil || has {
		t.Errorf("HasChildren(domain1) = %v, %v", has, err)
	}
}

var errTest = errors.New("test error")

func TestModifyUpdatesIndexes(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{NoSync: true})
	populate(t, db, 2, 3)
	target := ndn(t, db, "mail=user1@domain1.com,"+domainDN(1))
	err := db.Modify(ctx, target, func(e *entry.Entry) error {
		e.Get("accountActive").Values[0] = []byte("FALSE")
		e.Get("cn").Values = [][]byte{[]byte("Robert Smith"), []byte("Bob")}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	base := ndn(t, db, suffix)
	tests := []struct {
		filter string
		want   int
	}{
		{"(accountActive=FALSE)", 1},
		{"(accountActive=TRUE)", 2 + 5},
		{"(cn=user 1)", 1},
		{"(cn=bob)", 1},
		{"(cn~=robbert smyth)", 1},
		{"(cn=rob*)", 1},
	}
	for _, tt := range tests {
		var st SearchStats
		got, err := searchNDNs(t, db, SearchRequest{BaseNDN: base, Scope: ScopeSub, Filter: mustFilter(t, tt.filter), Stats: &st})
		if err != nil || len(got) != tt.want || !st.Indexed {
			t.Errorf("%s: %d results (%v), indexed %v, want %d", tt.filter, len(got), err, st.Indexed, tt.want)
		}
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestSearchPlanning(t *testing.T) {
	db := openTest(t, Options{NoSync: true})
	populate(t, db, 100, 100)
	base := ndn(t, db, suffix)
	domain5 := ndn(t, db, domainDN(5))
	tests := []struct {
		name       string
		base       string
		scope      Scope
		filter     string
		want       int
		indexed    bool
		candidates int // -1: do not check
	}{
		{"postfix", base, ScopeSub, "(&(objectClass=JammMailAccount)(mail=user7@domain42.com)(accountActive=TRUE)(delete=FALSE))", 1, true, 1},
		{"postfix escaped", base, ScopeSub, "(&(objectClass=JammMailAccount)(mail=user7\\40domain42.com)(accountActive=TRUE)(delete=FALSE))", 1, true, 1},
		{"postfix miss", base, ScopeSub, "(&(objectClass=JammMailAccount)(mail=nobody@domain42.com)(accountActive=TRUE)(delete=FALSE))", 0, true, 0},
		{"transport one-level", ndn(t, db, "o=hosting,"+suffix), ScopeOne, "(&(objectClass=JammVirtualDomain)(jvd=domain42.com)(accountActive=TRUE)(delete=FALSE))", 1, true, 1},
		{"mail eq", base, ScopeSub, "(mail=USER1@DOMAIN1.COM)", 1, true, 1},
		{"eq outside scope", domain5, ScopeSub, "(mail=user1@domain1.com)", 0, true, 0},
		{"eq in one-level scope", domain5, ScopeOne, "(mail=user1@domain5.com)", 1, true, 1},
		{"children scope excludes base", domain5, ScopeChildren, "(objectClass=*)", 100, false, 100},
		{"sub scope includes base", domain5, ScopeSub, "(objectClass=*)", 101, false, 101},
		{"substrings final", base, ScopeSub, "(mail=*@domain5.com)", 100, true, 100},
		{"substrings initial", base, ScopeSub, "(mail=user99@*)", 100, true, 100},
		{"substrings any", base, ScopeSub, "(mail=*r99@domain9*)", 11, true, -1},
		{"or of eq", base, ScopeSub, "(|(mail=user1@domain1.com)(mail=user2@domain2.com)(jvd=domain3.com))", 3, true, 3},
		{"or with unindexed", base, ScopeSub, "(|(mail=user1@domain1.com)(homeDirectory=x))", 1, false, -1},
		{"and with not", base, ScopeSub, "(&(mail=user1@domain1.com)(!(accountActive=FALSE)))", 1, true, 1},
		{"pres", base, ScopeSub, "(cn=*)", 10000, true, 10000},
		{"approx", base, ScopeSub, "(cn~=usr 42)", 100, true, 100},
		{"undefined boolean", base, ScopeSub, "(accountActive=true)", 0, true, 0},
		{"undefined in and", base, ScopeSub, "(&(objectClass=JammMailAccount)(accountActive=true))", 0, true, 0},
		{"not undefined", base, ScopeSub, "(!(accountActive=true))", 0, false, -1},
		{"no equality rule", base, ScopeSub, "(lastChange=5)", 0, true, 0},
		{"not no equality rule", base, ScopeSub, "(!(lastChange=5))", 0, false, -1},
		{"unknown attribute", base, ScopeSub, "(foo=bar)", 0, true, 0},
		{"or undefined", base, ScopeSub, "(|(foo=bar)(mail=user1@domain1.com))", 1, true, 1},
		{"unindexed", base, ScopeSub, "(mailbox=domain3.com/user3/)", 1, false, 10102},
		{"base scope", domain5, ScopeBase, "(objectClass=JammVirtualDomain)", 1, false, 1},
		{"base scope no match", domain5, ScopeBase, "(objectClass=JammMailAccount)", 0, false, 1},
		{"root one-level", "", ScopeOne, "(objectClass=*)", 1, false, 1},
		{"root sub", "", ScopeSub, "(mail=user1@domain1.com)", 1, true, 1},
		{"objectclass oid", base, ScopeSub, "(objectClass=1.3.6.1.4.1.12461.1.2.3)", 100, true, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st SearchStats
			got, err := searchNDNs(t, db, SearchRequest{BaseNDN: tt.base, Scope: tt.scope, Filter: mustFilter(t, tt.filter), Stats: &st})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want || st.Indexed != tt.indexed || (tt.candidates >= 0 && st.Candidates != tt.candidates) {
				t.Errorf("%s: %d results, indexed %v, %d candidates; want %d, %v, %d",
					tt.filter, len(got), st.Indexed, st.Candidates, tt.want, tt.indexed, tt.candidates)
			}
		})
	}
}

func TestSearchLimitsAndSelection(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{NoSync: true})
	populate(t, db, 3, 10)
	base := ndn(t, db, suffix)
	all := mustFilter(t, "(objectClass=JammMailAccount)")

	n := 0
	err := db.Search(ctx, SearchRequest{BaseNDN: base, Scope: ScopeSub, Filter: all, SizeLimit: 5}, func(*Entry) error { n++; return nil })
	if !errors.Is(err, ErrSizeLimitExceeded) || n != 5 {
		t.Errorf("size limit: %d entries, %v", n, err)
	}
	n = 0
	err = db.Search(ctx, SearchRequest{BaseNDN: base, Scope: ScopeSub, Filter: all, SizeLimit: 30}, func(*Entry) error { n++; return nil })
	if err != nil || n != 30 {
		t.Errorf("size limit exactly reached: %d entries, %v", n, err)
	}
	err = db.Search(ctx, SearchRequest{BaseNDN: base, Scope: ScopeSub, Deadline: time.Now().Add(-time.Second)}, func(*Entry) error { return nil })
	if !errors.Is(err, ErrTimeLimitExceeded) {
		t.Errorf("deadline: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.Search(cctx, SearchRequest{BaseNDN: base, Scope: ScopeSub}, func(*Entry) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	if err := db.Search(ctx, SearchRequest{BaseNDN: base, Scope: ScopeSub}, func(*Entry) error { return errTest }); !errors.Is(err, errTest) {
		t.Errorf("fn error: %v", err)
	}
	_, err = searchNDNs(t, db, SearchRequest{BaseNDN: ndn(t, db, "cn=nobody,"+suffix), Scope: ScopeSub})
	if !errors.Is(err, ErrNoSuchObject) || MatchedDN(err) != "dc=myhosting, dc=example" {
		t.Errorf("missing base: %v", err)
	}

	sc := builtin(t)
	sels := []struct {
		sel  AttrSelection
		want string
	}{
		{AttrSelection{}, ""},
		{AttrSelection{Types: sc.AttributeTypes()[:0]}, ""},
		{AttrSelection{Types: []*schemaAT{sc.AttributeType("mailbox")}}, "mailbox"},
		{AttrSelection{Types: []*schemaAT{sc.AttributeType("name")}}, "cn"},
		{AttrSelection{AllUser: true}, "objectClass,mail,homeDirectory,mailbox,accountActive,lastChange,delete,cn,userPassword"},
		{AttrSelection{AllOperational: true}, "createTimestamp"},
	}
	target := ndn(t, db, "mail=user1@domain1.com,"+domainDN(1))
	if err := db.Modify(ctx, target, func(e *entry.Entry) error {
		e.Attrs = append(e.Attrs, attr("createTimestamp", "20240101000000Z"))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, s := range sels {
		var got string
		err := db.Search(ctx, SearchRequest{BaseNDN: target, Scope: ScopeBase, Attrs: s.sel, HasChildren: true}, func(e *Entry) error {
			var names []string
			for _, a := range e.Attrs {
				names = append(names, a.Type)
			}
			got = strings.Join(names, ",")
			if e.HasChildren || e.DN != "mail=user1@domain1.com,"+domainDN(1) || e.NDN != target {
				t.Errorf("entry %+v", e)
			}
			return nil
		})
		if err != nil || got != s.want {
			t.Errorf("selection %+v: %q (%v), want %q", s.sel, got, err, s.want)
		}
	}
	// values and order kept
	e, err := db.Get(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if oc := e.Get("objectClass"); oc == nil || !bytes.Equal(oc.Values[1], []byte("JammMailAccount")) {
		t.Errorf("objectClass values: %v", oc)
	}
}

func TestRename(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{NoSync: true})
	populate(t, db, 3, 5)
	base := ndn(t, db, suffix)
	d1 := ndn(t, db, domainDN(1))
	setDN := func(newDN string, rdnAttr, rdnVal string) func(e *entry.Entry) error {
		return func(e *entry.Entry) error {
			e.DN = newDN
			if rdnAttr != "" {
				e.Get(rdnAttr).Values = [][]byte{[]byte(rdnVal)}
			}
			return nil
		}
	}
	// rename domain1 -> renamed.org, children follow
	if err := db.Rename(ctx, d1, setDN("jvd=Renamed.org,o=hosting,"+suffix, "jvd", "Renamed.org")); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Get(ctx, d1); !errors.Is(err, ErrNoSuchObject) {
		t.Errorf("old DN still there: %v", err)
	}
	nd := ndn(t, db, "jvd=renamed.org,o=hosting,"+suffix)
	got, err := searchNDNs(t, db, SearchRequest{BaseNDN: nd, Scope: ScopeOne, Filter: mustFilter(t, "(objectClass=*)")})
	if err != nil || len(got) != 5 {
		t.Fatalf("children after rename: %v %v", got, err)
	}
	child, err := db.Get(ctx, got[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(child.DN, ",jvd=Renamed.org,o=hosting,"+suffix) {
		t.Errorf("child DN %q", child.DN)
	}
	// the children are found by an indexed search under the new base
	var st SearchStats
	got, err = searchNDNs(t, db, SearchRequest{BaseNDN: nd, Scope: ScopeSub, Filter: mustFilter(t, "(mail=user2@domain1.com)"), Stats: &st})
	if err != nil || len(got) != 1 || !st.Indexed {
		t.Errorf("indexed search under renamed: %v %v %+v", got, err, st)
	}
	got, _ = searchNDNs(t, db, SearchRequest{BaseNDN: base, Scope: ScopeSub, Filter: mustFilter(t, "(jvd=domain1.com)")})
	if len(got) != 0 {
		t.Errorf("old jvd value still indexed: %v", got)
	}
	// move domain2 under domain0 (newSuperior)
	d2 := ndn(t, db, domainDN(2))
	if err := db.Rename(ctx, d2, setDN("jvd=domain2.com,"+domainDN(0), "", "")); err != nil {
		t.Fatal(err)
	}
	got, _ = searchNDNs(t, db, SearchRequest{BaseNDN: ndn(t, db, domainDN(0)), Scope: ScopeSub, Filter: mustFilter(t, "(objectClass=JammMailAccount)")})
	if len(got) != 10 {
		t.Errorf("after move, domain0 subtree has %d accounts", len(got))
	}
	// errors
	d0 := ndn(t, db, domainDN(0))
	errCases := []struct {
		name string
		from string
		fn   func(*entry.Entry) error
		want error
	}{
		{"under itself", d0, setDN("jvd=x,"+domainDN(0), "", ""), ErrMoveUnderSelf},
		{"under descendant", d0, setDN("jvd=x,jvd=domain2.com,"+domainDN(0), "", ""), ErrMoveUnderSelf},
		{"exists", d0, setDN("jvd=Renamed.org,o=hosting,"+suffix, "", ""), ErrAlreadyExists},
		{"no parent", d0, setDN("jvd=x,o=nothing,"+suffix, "", ""), ErrNoSuchParent},
		{"outside suffix", d0, setDN("dc=elsewhere", "", ""), ErrNotUnderSuffix},
		{"bad DN", d0, setDN("garbage", "", ""), ErrInvalidDN},
		{"missing", ndn(t, db, domainDN(9)), setDN(domainDN(8), "", ""), ErrNoSuchObject},
		{"callback", d0, func(*entry.Entry) error { return errTest }, errTest},
	}
	for _, c := range errCases {
		if err := db.Rename(ctx, c.from, c.fn); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// case-only rename of the RDN rewrites the children's DNs
	if err := db.Rename(ctx, nd, setDN("JVD=RENAMED.ORG,o=hosting,"+suffix, "", "")); err != nil {
		t.Fatal(err)
	}
	child, err = db.Get(ctx, child.NDN)
	if err != nil || !strings.HasSuffix(child.DN, ",JVD=RENAMED.ORG,o=hosting,"+suffix) {
		t.Errorf("child after case rename: %v %v", child, err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	populate(t, db, 1, 0)
	before := db.Stats()
	const writers, per = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*per)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				e := accountEntry(0, w*1000+i)
				if err := db.Add(ctx, e); err != nil {
					errs <- err
				}
				// a failing write in the same groups must not fail the others
				if err := db.Add(ctx, e); !errors.Is(err, ErrAlreadyExists) {
					errs <- fmt.Errorf("duplicate add: %v", err)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := db.Stats()
	writes, commits := st.Writes-before.Writes, st.Commits-before.Commits
	if writes != writers*per {
		t.Errorf("%d writes succeeded, want %d", writes, writers*per)
	}
	t.Logf("%d writes in %d commits", writes, commits)
	got, err := searchNDNs(t, db, SearchRequest{BaseNDN: ndn(t, db, suffix), Scope: ScopeSub, Filter: mustFilter(t, "(objectClass=JammMailAccount)")})
	if err != nil || len(got) != writers*per {
		t.Errorf("found %d accounts, %v", len(got), err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestReindexOnConfigChange(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	sc := builtin(t)
	db, err := Open(path, sc, testIndexes[:1], Options{Suffixes: []string{suffix}, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, db, 2, 5)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Add(ctx, accountEntry(0, 99)); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close: %v", err)
	}
	db, err = Open(path, sc, testIndexes, Options{Suffixes: []string{suffix}, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	var st SearchStats
	got, err := searchNDNs(t, db, SearchRequest{BaseNDN: ndn(t, db, suffix), Scope: ScopeSub, Filter: mustFilter(t, "(mail=user3@domain1.com)"), Stats: &st})
	if err != nil || len(got) != 1 || !st.Indexed || st.Candidates != 1 {
		t.Errorf("after reindex: %v %v %+v", got, err, st)
	}
	if err := db.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	// bad index configurations
	for _, spec := range []IndexSpec{{Attr: "nosuch", Kinds: IndexEquality}, {Attr: "lastChange", Kinds: IndexEquality}, {Attr: "mailbox", Kinds: IndexSubstrings}, {Attr: "cn", Kinds: 0}} {
		if _, err := Open(filepath.Join(t.TempDir(), "x.db"), sc, []IndexSpec{spec}, Options{}); err == nil {
			t.Errorf("index %+v accepted", spec)
		}
	}
}
