package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"hostdir/directory/entry"
)

// mkEntry builds an entry from "type: value" pairs.
func mkEntry(dn string, kv ...string) *entry.Entry {
	e := &entry.Entry{DN: dn}
	for _, s := range kv {
		t, v, _ := strings.Cut(s, ": ")
		e.Attrs = appendValue(e.Attrs, t, v)
	}
	return e
}

// rdnEntry is an entry whose RDN is rdn ("type=value") under parent.
func rdnEntry(rdn, parent string, kv ...string) *entry.Entry {
	t, v, _ := strings.Cut(rdn, "=")
	return mkEntry(rdn+","+parent, append([]string{"objectClass: top", t + ": " + v}, kv...)...)
}

// orderedSearch returns the first RDNs of what a search returns, in order,
// and whether the candidates came from indexes.
func orderedSearch(t *testing.T, db *DB, base string, scope Scope, f string) ([]string, bool) {
	t.Helper()
	var st SearchStats
	var out []string
	err := db.Search(context.Background(), SearchRequest{BaseNDN: ndn(t, db, base), Scope: scope, Filter: mustFilter(t, f), Stats: &st},
		func(e *Entry) error {
			r, _, _ := strings.Cut(e.NDN, ",")
			out = append(out, r)
			return nil
		})
	if err != nil {
		t.Fatalf("Search %s %s: %v", base, f, err)
	}
	return out, st.Indexed
}

func addAll(t *testing.T, db *DB, es ...*entry.Entry) {
	t.Helper()
	for _, e := range es {
		if err := db.Add(context.Background(), e); err != nil {
			t.Fatalf("Add %s: %v", e.DN, err)
		}
	}
}

// TestChildrenOrder: one-level searches list children by normalized RDN,
// shorter first, then by bytes, whatever the add order.
func TestChildrenOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		add  []string
		want []string
	}{
		{"length first", []string{"cn=ccc", "cn=a", "cn=bb"}, []string{"cn=a", "cn=bb", "cn=ccc"}},
		{"then bytes", []string{"cn=b", "cn=c", "cn=a"}, []string{"cn=a", "cn=b", "cn=c"}},
		{"types", []string{"uid=x", "cn=yy", "ou=z"}, []string{"ou=z", "cn=yy", "uid=x"}},
		{"normalized", []string{"CN=B", "cn=A  a"}, []string{"cn=b", "cn=a a"}},
		{"mail", []string{"mail=abuse@example.com", "mail=dave@example.com", "mail=dup@example.com", "mail=bob@example.com"},
			[]string{"mail=bob@example.com", "mail=dup@example.com", "mail=dave@example.com", "mail=abuse@example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t, Options{NoSync: true})
			addAll(t, db, suffixEntry(), hostingEntry())
			for _, r := range tc.add {
				addAll(t, db, rdnEntry(r, "o=hosting,"+suffix))
			}
			got, _ := orderedSearch(t, db, "o=hosting,"+suffix, ScopeOne, "(objectClass=*)")
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if err := db.Check(); err != nil {
				t.Error(err)
			}
		})
	}
}

// orderFixture: a domain with three accounts cn=grp (added in reverse
// sibling order) and one other, pads with cn=pad1..8 elsewhere, and a
// tree five levels deep.
func orderFixture(t *testing.T) *DB {
	t.Helper()
	db := openTest(t, Options{NoSync: true})
	dom := "jvd=example.com,o=hosting," + suffix
	addAll(t, db, suffixEntry(), hostingEntry(), rdnEntry("jvd=example.com", "o=hosting,"+suffix, "objectClass: JammVirtualDomain"))
	for _, r := range []string{"mail=dave@example.com", "mail=abuse@example.com", "mail=bob@example.com"} {
		addAll(t, db, rdnEntry(r, dom, "objectClass: JammMailAccount", "cn: grp"))
	}
	addAll(t, db, rdnEntry("mail=dup@example.com", dom, "objectClass: JammMailAccount"))
	addAll(t, db, rdnEntry("ou=pads", "o=hosting,"+suffix))
	for i := 1; i <= 8; i++ {
		addAll(t, db, rdnEntry(fmt.Sprintf("cn=pad%d", i), "ou=pads,o=hosting,"+suffix))
	}
	deep := "ou=deep,o=hosting," + suffix
	addAll(t, db, rdnEntry("ou=deep", "o=hosting,"+suffix))
	for _, r := range []string{"ou=long", "ou=b", "ou=x2,ou=long", "ou=x1,ou=long", "ou=y,ou=b", "ou=zz,ou=x1,ou=long",
		"ou=z,ou=x1,ou=long", "ou=w,ou=zz,ou=x1,ou=long", "ou=v,ou=y,ou=b"} {
		first, rest, _ := strings.Cut(r, ",")
		parent := deep
		if rest != "" {
			parent = rest + "," + deep
		}
		addAll(t, db, rdnEntry(first, parent))
	}
	return db
}

func padFilter(k int, extra string) string {
	var b strings.Builder
	b.WriteString("(|(cn=grp)")
	for i := 1; i <= k; i++ {
		fmt.Fprintf(&b, "(cn=pad%d)", i)
	}
	return b.String() + extra + ")"
}

// TestSearchOrder: the store returns candidates in id order unless its
// scope holds fewer entries than there are candidates; then it walks the
// tree (depth first, children before grandchildren), as slapd's back-mdb
// does (TestSlapdOrder compares with slapd itself).
func TestSearchOrder(t *testing.T) {
	db := orderFixture(t)
	dom := "jvd=example.com,o=hosting," + suffix
	deep := "ou=deep,o=hosting," + suffix
	idOrder := []string{"mail=dave@example.com", "mail=abuse@example.com", "mail=bob@example.com"}
	walkOrder := []string{"mail=bob@example.com", "mail=dave@example.com", "mail=abuse@example.com"}
	deepWalk := []string{"ou=deep", "ou=b", "ou=long", "ou=y", "ou=v", "ou=x1", "ou=x2", "ou=z", "ou=zz", "ou=w"}
	for _, tc := range []struct {
		name    string
		base    string
		scope   Scope
		filter  string
		want    []string
		indexed bool
	}{
		// the domain's subtree holds 5 entries, its children 4
		{"sub ncand=5 nsubs=5", dom, ScopeSub, padFilter(2, ""), idOrder, true},
		{"sub ncand=6 nsubs=5", dom, ScopeSub, padFilter(3, ""), walkOrder, false},
		{"children ncand=5 nsubs=5", dom, ScopeChildren, padFilter(2, ""), idOrder, true},
		{"children ncand=6 nsubs=5", dom, ScopeChildren, padFilter(3, ""), walkOrder, false},
		{"one ncand=4 nsubs=4", dom, ScopeOne, padFilter(1, ""), idOrder, true},
		{"one ncand=5 nsubs=4", dom, ScopeOne, padFilter(2, ""), walkOrder, false},
		// the planner stops at the 11 ids of the OR; intersected with
		// objectClass (as slapd does) they are 3
		{"partial AND counted exactly", dom, ScopeSub, "(&" + padFilter(8, "") + "(objectClass=JammMailAccount))", idOrder, true},
		{"unindexed OR item", dom, ScopeSub, padFilter(0, "(description=x)"), walkOrder, false},
		{"unindexed AND item", dom, ScopeSub, "(&(cn=grp)(description=*))", nil, true},
		{"unindexed from suffix, no deletes: id order", suffix, ScopeSub, "(|(mail=*)(ou=y))",
			[]string{"mail=dave@example.com", "mail=abuse@example.com", "mail=bob@example.com", "mail=dup@example.com", "ou=y"}, false},
		{"deep walk", deep, ScopeSub, "(objectClass=*)", deepWalk, false},
		{"deep walk children", deep, ScopeChildren, "(objectClass=*)", deepWalk[1:], false},
		{"one-level walk", deep, ScopeOne, "(objectClass=*)", []string{"ou=b", "ou=long"}, false},
		{"single candidate", dom, ScopeOne, "(mail=bob@example.com)", []string{"mail=bob@example.com"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, indexed := orderedSearch(t, db, tc.base, tc.scope, tc.filter)
			if !slices.Equal(got, tc.want) || indexed != tc.indexed {
				t.Errorf("got %q (indexed %v), want %q (indexed %v)", got, indexed, tc.want, tc.indexed)
			}
		})
	}
}

// TestSearchOrderAfterChanges: renames move an entry among its siblings,
// moves under another parent, and a delete makes slapd's "every entry"
// count (the highest id) exceed the suffix's subtree: the walk then wins.
func TestSearchOrderAfterChanges(t *testing.T) {
	db := orderFixture(t)
	ctx := context.Background()
	deep := "ou=deep,o=hosting," + suffix
	rename := func(old, newRDN, newParent string) {
		t.Helper()
		err := db.Rename(ctx, ndn(t, db, old), func(e *entry.Entry) error {
			oldRDN, parent, _ := strings.Cut(e.DN, ",")
			if newParent != "" {
				parent = newParent
			}
			e.DN = newRDN + "," + parent
			ot, _, _ := strings.Cut(oldRDN, "=")
			nt, nv, _ := strings.Cut(newRDN, "=")
			e.Attrs = slices.DeleteFunc(e.Attrs, func(a entry.Attribute) bool { return strings.EqualFold(a.Type, ot) })
			e.Attrs = appendValue(e.Attrs, nt, nv)
			return nil
		})
		if err != nil {
			t.Fatalf("Rename %s: %v", old, err)
		}
	}
	rename("ou=long,"+deep, "ou=a", "")
	rename("ou=x2,ou=a,"+deep, "ou=x2", "ou=b,"+deep)
	addAll(t, db, rdnEntry("ou=c", deep))
	got, _ := orderedSearch(t, db, deep, ScopeSub, "(objectClass=*)")
	want := []string{"ou=deep", "ou=a", "ou=b", "ou=c", "ou=x1", "ou=z", "ou=zz", "ou=w", "ou=y", "ou=x2", "ou=v"}
	if !slices.Equal(got, want) {
		t.Errorf("after renames: got %q, want %q", got, want)
	}
	q := "(|(ou=c)(ou=x2)(ou=v))"
	if got, _ := orderedSearch(t, db, suffix, ScopeSub, q); !slices.Equal(got, []string{"ou=x2", "ou=v", "ou=c"}) {
		t.Errorf("no deletes: got %q, want id order", got)
	}
	if err := db.Delete(ctx, ndn(t, db, "cn=pad8,ou=pads,o=hosting,"+suffix)); err != nil {
		t.Fatal(err)
	}
	if got, _ := orderedSearch(t, db, suffix, ScopeSub, q); !slices.Equal(got, []string{"ou=c", "ou=x2", "ou=v"}) {
		t.Errorf("after a delete: got %q, want walk order", got)
	}
	if err := db.Check(); err != nil {
		t.Error(err)
	}
}

// TestMigrateChildren: a format 2 file (children keys parent | child) is
// converted in place when opened read-write, and refused read-only with
// a message naming both ways out.
func TestMigrateChildren(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	sc := builtin(t)
	opts := Options{Suffixes: []string{suffix}, NoSync: true}
	db, err := Open(path, sc, testIndexes, opts)
	if err != nil {
		t.Fatal(err)
	}
	populate(t, db, 2, 3)
	addAll(t, db, rdnEntry("cn=x", "o=hosting,"+suffix), rdnEntry("cn=a", "o=hosting,"+suffix))
	// rewrite the file as version 2 wrote it
	err = rawUpdate(db, func(tx *bolt.Tx) error {
		var keys [][]byte
		if err := tx.Bucket(bucketChildren).ForEach(func(k, _ []byte) error {
			p, _, c, ok := childKeyParts(k)
			if !ok {
				return fmt.Errorf("bad key %x", k)
			}
			keys = append(keys, append(idKey(p), idKey(c)...))
			return nil
		}); err != nil {
			return err
		}
		if err := tx.DeleteBucket(bucketChildren); err != nil {
			return err
		}
		b, err := tx.CreateBucket(bucketChildren)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := b.Put(k, nil); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyVersion, []byte{2})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, sc, testIndexes, Options{Suffixes: []string{suffix}, ReadOnly: true})
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "hostdir export") || !strings.Contains(err.Error(), "read-write") {
		t.Errorf("read-only Open of version 2: %v", err)
	}
	db, err = Open(path, sc, testIndexes, opts)
	if err != nil {
		t.Fatalf("Open of version 2: %v", err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Errorf("after migration: %v", err)
	}
	got, _ := orderedSearch(t, db, "o=hosting,"+suffix, ScopeOne, "(objectClass=*)")
	want := []string{"cn=a", "cn=x", "jvd=domain0.com", "jvd=domain1.com"}
	if !slices.Equal(got, want) {
		t.Errorf("after migration: got %q, want %q", got, want)
	}
	var v []byte
	_ = db.bdb.View(func(tx *bolt.Tx) error { v = slices.Clone(tx.Bucket(bucketMeta).Get(keyVersion)); return nil })
	if !slices.Equal(v, []byte{formatVersion}) {
		t.Errorf("version after migration: %v", v)
	}
}

// TestCheckChildrenRDN: a children key whose RDN is not its child's is
// reported.
func TestCheckChildrenRDN(t *testing.T) {
	db := openTest(t, Options{NoSync: true})
	populate(t, db, 1, 3)
	err := rawUpdate(db, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketChildren)
		k, _ := b.Cursor().Last()
		p, _, c, _ := childKeyParts(k)
		if err := b.Delete(slices.Clone(k)); err != nil {
			return err
		}
		return b.Put(childKey(p, "mail=other@x,"+suffix, c), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err == nil || !strings.Contains(err.Error(), "stale link") {
		t.Errorf("Check: %v, want a stale link", err)
	}
}
