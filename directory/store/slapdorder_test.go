package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"hostdir/directory/entry"
	"hostdir/internal/peers"
)

// The order in which OpenLDAP 2.5's back-mdb returns the entries of a
// one-level, subtree or children search, as found by the experiments of
// TestSlapdOrder (each query below compares slapd's order with the
// store's):
//
//   - Candidates come from the filter through the indexes (AND: the
//     intersection, OR: the union, an unindexed item, NOT, ordering and
//     approx without an approx index, and (objectClass=*): every entry),
//     ORed with (objectClass=referral); ncand is their number.
//   - nsubs is the number of children of the base (one-level), or of the
//     entries of its subtree, base included (subtree, children).
//   - When nsubs < ncand, slapd walks the tree: for subtree scope the base,
//     then walk(base): the children of a node in sibling order (normalized
//     RDN by length, then bytes), then walk(child) for each child with
//     children, in sibling order (depth first, children listed before
//     descending: not breadth first). Children scope: the same without the
//     base; one-level: the children in sibling order.
//   - Otherwise it returns the candidates in increasing entry id order
//     (slapadd and ldapadd number entries in the order they are added;
//     renamed entries keep their id).
//   - A paged results search always returns the entries in id order.

// orderEntry is an entry of the experiment, written as LDIF for slapd and
// as an entry.Entry for the store.
type orderEntry struct {
	dn    string
	attrs [][2]string
}

func (o orderEntry) ldif() string {
	var b strings.Builder
	b.WriteString("dn: " + o.dn + "\n")
	for _, a := range o.attrs {
		b.WriteString(a[0] + ": " + a[1] + "\n")
	}
	return b.String() + "\n"
}

func (o orderEntry) entry() *entry.Entry {
	e := &entry.Entry{DN: o.dn}
	for _, a := range o.attrs {
		e.Attrs = appendValue(e.Attrs, a[0], a[1])
	}
	return e
}

func appendValue(attrs []entry.Attribute, typ, v string) []entry.Attribute {
	for i := range attrs {
		if attrs[i].Type == typ {
			attrs[i].Values = append(attrs[i].Values, []byte(v))
			return attrs
		}
	}
	return append(attrs, entry.Attribute{Type: typ, Values: [][]byte{[]byte(v)}})
}

const (
	oHosting = "o=hosting," + suffix
	dCom     = "jvd=example.com," + oHosting
	deep     = "ou=deep," + oHosting
	pads     = "ou=pads," + oHosting
)

func ouEntry(dn, ou string, extra ...[2]string) orderEntry {
	return orderEntry{dn, append([][2]string{{"objectClass", "organizationalUnit"}, {"ou", ou}}, extra...)}
}

func roleEntry(cn, parent string) orderEntry {
	return orderEntry{"cn=" + cn + "," + parent, [][2]string{{"objectClass", "organizationalRole"}, {"cn", cn}}}
}

func acctEntry(local string, cns ...string) orderEntry {
	mail := local + "@example.com"
	e := orderEntry{"mail=" + mail + "," + dCom, [][2]string{
		{"objectClass", "top"}, {"objectClass", "JammMailAccount"}, {"mail", mail},
		{"homeDirectory", "/home/vmail"}, {"mailbox", "example.com/" + local + "/"},
		{"accountActive", "TRUE"}, {"lastChange", "1"}, {"delete", "FALSE"}, {"description", "d" + local},
	}}
	for _, c := range cns {
		e.attrs = append(e.attrs, [2]string{"cn", c})
	}
	return e
}

// orderTree is the experiment's data, in slapadd order: ids differ from
// sibling order everywhere, a branch is 5 levels deep below o=hosting,
// and ou=pads holds entries whose cn values (pad1...) add a chosen
// number of out-of-scope candidates to a filter.
func orderTree() []orderEntry {
	out := []orderEntry{
		{suffix, [][2]string{{"objectClass", "top"}, {"objectClass", "domain"}, {"dc", "myhosting"}}},
		roleEntry("Manager", suffix),
		{oHosting, [][2]string{{"objectClass", "top"}, {"objectClass", "organization"}, {"o", "hosting"}}},
		{dCom, [][2]string{{"objectClass", "top"}, {"objectClass", "JammVirtualDomain"}, {"jvd", "example.com"},
			{"accountActive", "TRUE"}, {"lastChange", "1"}, {"delete", "FALSE"}, {"editAccounts", "TRUE"}, {"editPostmasters", "TRUE"}}},
		acctEntry("dave", "grp"),
		acctEntry("abuse", "grp"),
		acctEntry("bob", "grp"),
		acctEntry("dup"),
		ouEntry(deep, "deep"),
		ouEntry("ou=long,"+deep, "long"),
		ouEntry("ou=b,"+deep, "b"),
		ouEntry("ou=x2,ou=long,"+deep, "x2"),
		ouEntry("ou=x1,ou=long,"+deep, "x1"),
		ouEntry("ou=y,ou=b,"+deep, "y"),
		ouEntry("ou=zz,ou=x1,ou=long,"+deep, "zz"),
		ouEntry("ou=z,ou=x1,ou=long,"+deep, "z"),
		ouEntry("ou=w,ou=zz,ou=x1,ou=long,"+deep, "w"),
		ouEntry("ou=v,ou=y,ou=b,"+deep, "v"),
		ouEntry(pads, "pads"),
	}
	for i := 1; i <= 8; i++ {
		out = append(out, roleEntry(fmt.Sprintf("pad%d", i), pads))
	}
	return out
}

// padOr is (|(cn=grp)(cn=pad1)...(cn=padK)) plus extra items: the
// jvd=example.com accounts with cn=grp and K candidates outside it.
func padOr(k int, extra ...string) string {
	var b strings.Builder
	b.WriteString("(|(cn=grp)")
	for i := 1; i <= k; i++ {
		fmt.Fprintf(&b, "(cn=pad%d)", i)
	}
	for _, x := range extra {
		b.WriteString(x)
	}
	return b.String() + ")"
}

type orderQuery struct {
	name   string
	base   string
	scope  Scope
	filter string
}

// orderQueries are the experiments: each name tells what it probes.
func orderQueries() []orderQuery {
	var q []orderQuery
	for k := 0; k <= 4; k++ {
		// jvd=example.com holds itself and 4 accounts: nsubs 5 (subtree,
		// children), 4 (one-level); the filter has 3+k candidates
		q = append(q,
			orderQuery{fmt.Sprintf("sub ncand=%d nsubs=5", 3+k), dCom, ScopeSub, padOr(k)},
			orderQuery{fmt.Sprintf("children ncand=%d nsubs=5", 3+k), dCom, ScopeChildren, padOr(k)},
			orderQuery{fmt.Sprintf("one ncand=%d nsubs=4", 3+k), dCom, ScopeOne, padOr(k)},
		)
	}
	q = append(q,
		orderQuery{"presence objectClass from suffix", suffix, ScopeSub, "(objectClass=*)"},
		orderQuery{"presence objectClass one-level suffix", suffix, ScopeOne, "(objectClass=*)"},
		orderQuery{"presence objectClass deep tree", deep, ScopeSub, "(objectClass=*)"},
		orderQuery{"presence objectClass deep tree children", deep, ScopeChildren, "(objectClass=*)"},
		orderQuery{"unindexed eq from suffix", suffix, ScopeSub, "(ou=*)"},
		orderQuery{"unindexed eq deep", deep, ScopeSub, "(|(ou=long)(ou=b)(ou=z)(ou=zz)(ou=y))"},
		orderQuery{"unindexed OR item", dCom, ScopeSub, padOr(0, "(description=dx)")},
		orderQuery{"unindexed AND item", dCom, ScopeSub, "(&(cn=grp)(description=d*))"},
		orderQuery{"NOT", dCom, ScopeSub, "(!(cn=grp))"},
		orderQuery{"AND intersection small", dCom, ScopeSub, "(&(objectClass=JammMailAccount)" + padOr(4) + ")"},
		orderQuery{"eq indexed many from o=hosting", oHosting, ScopeSub, "(objectClass=organizationalUnit)"},
		orderQuery{"eq indexed many in deep", deep, ScopeSub, "(objectClass=organizationalUnit)"},
		orderQuery{"eq indexed many one-level", deep, ScopeOne, "(objectClass=organizationalUnit)"},
		orderQuery{"substrings", dCom, ScopeSub, "(mail=*@example.com)"},
		orderQuery{"substrings one-level", dCom, ScopeOne, "(mail=*@example.com)"},
		orderQuery{"substrings short initial", dCom, ScopeSub, "(mail=a*)"},
		orderQuery{"undefined", dCom, ScopeSub, "(|(cn=grp)(nosuchattr=x))"},
		orderQuery{"ordering", dCom, ScopeSub, "(lastChange>=0)"},
		orderQuery{"cn presence unindexed", suffix, ScopeSub, "(cn=*)"},
	)
	return q
}

// orderIndexes are the HOWTO's indexes (as peers.DefaultIndexes).
var orderIndexes = []IndexSpec{
	{Attr: "objectClass", Kinds: IndexPresence | IndexEquality},
	{Attr: "mail", Kinds: IndexEquality | IndexSubstrings},
	{Attr: "cn", Kinds: IndexEquality | IndexSubstrings},
}

// TestSlapdOrder runs orderQueries against a slapd loaded with
// orderTree (with the HOWTO's indexes) and against a store with the same
// entries, after the import and again after adds, a rename, a move and a
// delete, and requires the same entries in the same order.
func TestSlapdOrder(t *testing.T) {
	peers.RequireProgram(t, peers.SlapdPath)
	root, err := peers.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	tree := orderTree()
	var ldif strings.Builder
	for _, e := range tree {
		ldif.WriteString(e.ldif())
	}
	sl := peers.StartSlapd(t, peers.SlapdOptions{
		ExtraSchemas: []string{filepath.Join(root, "schema/builtin/jamm.schema")},
		LDIF:         ldif.String(),
	})
	conn := sl.Bind(t)
	db, err := Open(filepath.Join(t.TempDir(), "order.db"), builtin(t), orderIndexes, Options{Suffixes: []string{suffix}, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	i := 0
	if _, err := db.BulkLoad(ctx, 0, func() (*entry.Entry, error) {
		if i == len(tree) {
			return nil, nil
		}
		i++
		return tree[i-1].entry(), nil
	}); err != nil {
		t.Fatal(err)
	}
	compare := func(phase string) {
		for _, q := range orderQueries() {
			for _, paged := range []bool{false, true} {
				want := slapdOrder(t, db, conn, q, paged)
				got := storeOrder(t, db, q, paged)
				if strings.Join(want, "\n") != strings.Join(got, "\n") {
					t.Errorf("%s: %s (paged %v): base %s scope %d %s:\nslapd:  %s\nhostdir: %s", phase, q.name, paged, q.base, q.scope, q.filter,
						strings.Join(want, " | "), strings.Join(got, " | "))
				}
			}
		}
		if err := db.Check(); err != nil {
			t.Errorf("%s: %v", phase, err)
		}
	}
	compare("after import")

	// Changes after the import: short (early in sibling order) entries
	// added last, a rename and a move (ids kept), a delete (nsubs of
	// jvd=example.com back to 5).
	adds := []orderEntry{acctEntry("al", "grp"), acctEntry("c"), ouEntry("ou=a,"+deep, "a"), ouEntry("ou=q,ou=a,"+deep, "q")}
	for _, e := range adds {
		req := ldap.NewAddRequest(e.dn, nil)
		for _, a := range e.entry().Attrs {
			req.Attribute(a.Type, bytesToStrings(a.Values))
		}
		if err := conn.Add(req); err != nil {
			t.Fatalf("slapd add %s: %v", e.dn, err)
		}
		if err := db.Add(ctx, e.entry()); err != nil {
			t.Fatalf("store add %s: %v", e.dn, err)
		}
	}
	renames := []struct{ dn, newRDN, newSup string }{
		{"mail=dup@example.com," + dCom, "mail=d@example.com", ""},
		{"ou=x2,ou=long," + deep, "ou=x2", "ou=b," + deep},
		{"ou=long," + deep, "ou=e", ""},
	}
	for _, r := range renames {
		if err := conn.ModifyDN(ldap.NewModifyDNRequest(r.dn, r.newRDN, true, r.newSup)); err != nil {
			t.Fatalf("slapd modrdn %s: %v", r.dn, err)
		}
		if err := db.Rename(ctx, ndn(t, db, r.dn), func(e *entry.Entry) error {
			oldRDN, rest, _ := strings.Cut(e.DN, ",")
			if r.newSup != "" {
				rest = r.newSup
			}
			e.DN = r.newRDN + "," + rest
			ot, ov, _ := strings.Cut(oldRDN, "=")
			nt, nv, _ := strings.Cut(r.newRDN, "=")
			for i := range e.Attrs {
				if strings.EqualFold(e.Attrs[i].Type, ot) {
					var vals [][]byte
					for _, v := range e.Attrs[i].Values {
						if string(v) != ov {
							vals = append(vals, v)
						}
					}
					e.Attrs[i].Values = vals
				}
			}
			e.Attrs = appendValue(e.Attrs, nt, nv)
			return nil
		}); err != nil {
			t.Fatalf("store rename %s: %v", r.dn, err)
		}
	}
	del := "mail=c@example.com," + dCom
	if err := conn.Del(ldap.NewDelRequest(del, nil)); err != nil {
		t.Fatalf("slapd delete: %v", err)
	}
	if err := db.Delete(ctx, ndn(t, db, del)); err != nil {
		t.Fatalf("store delete: %v", err)
	}
	compare("after changes")
}

func bytesToStrings(vs [][]byte) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// slapdOrder returns the normalized DNs slapd returns, in its order.
// With paged, it asks for pages of 2 entries (slapd then returns entries
// in id order).
func slapdOrder(t *testing.T, db *DB, conn *ldap.Conn, q orderQuery, paged bool) []string {
	t.Helper()
	scope := map[Scope]int{ScopeOne: ldap.ScopeSingleLevel, ScopeSub: ldap.ScopeWholeSubtree, ScopeChildren: 3}[q.scope]
	req := ldap.NewSearchRequest(q.base, scope, ldap.NeverDerefAliases, 0, 0, false, q.filter, []string{"1.1"}, nil)
	var res *ldap.SearchResult
	var err error
	if paged {
		res, err = conn.SearchWithPaging(req, 2)
	} else {
		res, err = conn.Search(req)
	}
	if err != nil {
		t.Fatalf("slapd %s: %v", q.name, err)
	}
	var out []string
	for _, e := range res.Entries {
		out = append(out, ndn(t, db, e.DN))
	}
	return out
}

// storeOrder returns the normalized DNs the store returns, in its order.
func storeOrder(t *testing.T, db *DB, q orderQuery, idOrder bool) []string {
	t.Helper()
	var out []string
	err := db.Search(context.Background(), SearchRequest{BaseNDN: ndn(t, db, q.base), Scope: q.scope, Filter: mustFilter(t, q.filter), IDOrder: idOrder},
		func(e *Entry) error {
			out = append(out, e.NDN)
			return nil
		})
	if err != nil {
		t.Fatalf("store %s: %v", q.name, err)
	}
	return out
}
