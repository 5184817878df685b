package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"hostdir/directory/dn"
	"hostdir/directory/entry"
	"hostdir/directory/filter"
)

// model is the in-memory reference the simulation compares the store to.
type model struct {
	entries map[string]*entry.Entry // by NDN
}

func (m *model) keys() []string {
	out := make([]string, 0, len(m.entries))
	for k := range m.entries {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (m *model) hasChildren(ndn string) bool {
	for k := range m.entries {
		if dn.ParentOf(k) == ndn {
			return true
		}
	}
	return false
}

func (m *model) search(t *testing.T, base string, scope Scope, f *filter.Filter) []string {
	var out []string
	for k, e := range m.entries {
		in := false
		switch scope {
		case ScopeBase:
			in = k == base
		case ScopeOne:
			in = dn.ParentOf(k) == base
		case ScopeSub:
			in = dn.IsUnder(k, base)
		case ScopeChildren:
			in = dn.IsDescendant(k, base)
		}
		if in && f.Eval(filter.Entry{E: e, Schema: builtin(t)}) == filter.True {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

var simWords = []string{"alpha", "beta", "Gamma", "delta", "Alpha Beta", "smith", "smyth", "x"}

func simAttrs(r *rand.Rand, n int) []entry.Attribute {
	oc := []string{"top", "JammMailAccount"}
	if r.IntN(3) == 0 {
		oc = []string{"top", "organizationalUnit"}
	}
	attrs := []entry.Attribute{
		attr("objectClass", oc...),
		attr("cn", simWords[r.IntN(len(simWords))]),
		attr("mail", fmt.Sprintf("u%d@d%d.example", n, r.IntN(5))),
		attr("accountActive", []string{"TRUE", "FALSE"}[r.IntN(2)]),
	}
	if r.IntN(2) == 0 {
		attrs = append(attrs, attr("uid", fmt.Sprintf("u%d", r.IntN(10))))
	}
	if r.IntN(4) == 0 {
		attrs[1].Values = append(attrs[1].Values, []byte(simWords[r.IntN(len(simWords))]+" two"))
	}
	return attrs
}

var simFilters = []string{
	"(objectClass=*)",
	"(objectClass=JammMailAccount)",
	"(cn=alpha)",
	"(cn=alpha*)",
	"(cn=*eta*)",
	"(cn~=smith)",
	"(cn=*)",
	"(uid=*)",
	"(uid=u3)",
	"(mail=*@d1.example)",
	"(&(objectClass=JammMailAccount)(accountActive=TRUE))",
	"(|(cn=x)(uid=u1)(mail=u7@d2.example))",
	"(!(accountActive=TRUE))",
	"(&(cn=beta)(!(uid=*)))",
	"(accountActive=true)",
	"(|(accountActive=true)(cn=gamma))",
}

func TestSimulation(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	steps := 600
	if testing.Short() {
		seeds, steps = seeds[:1], 200
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { simulate(t, seed, steps) })
	}
}

func simulate(t *testing.T, seed uint64, steps int) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 99))
	db := openTest(t, Options{NoSync: true})
	m := &model{entries: map[string]*entry.Entry{}}
	sfx := ndn(t, db, suffix)
	if err := db.Add(ctx, suffixEntry()); err != nil {
		t.Fatal(err)
	}
	m.entries[sfx] = suffixEntry()
	filters := make([]*filter.Filter, len(simFilters))
	for i, s := range simFilters {
		filters[i] = mustFilter(t, s)
	}
	counter := 0
	for step := 0; step < steps; step++ {
		keys := m.keys()
		pick := keys[r.IntN(len(keys))]
		switch op := r.IntN(10); {
		case op < 4: // add
			counter++
			parent := m.entries[pick]
			e := &entry.Entry{DN: fmt.Sprintf("cn=N%d,%s", counter, parent.DN), Attrs: simAttrs(r, counter)}
			if err := db.Add(ctx, e); err != nil {
				t.Fatalf("step %d add %s: %v", step, e.DN, err)
			}
			m.entries[ndn(t, db, e.DN)] = e.Clone()
		case op < 6: // modify
			newAttrs := simAttrs(r, counter)
			err := db.Modify(ctx, pick, func(e *entry.Entry) error {
				e.Attrs = newAttrs
				return nil
			})
			if err != nil {
				t.Fatalf("step %d modify %s: %v", step, pick, err)
			}
			m.entries[pick].Attrs = (&entry.Entry{Attrs: newAttrs}).Clone().Attrs
		case op < 8: // delete
			err := db.Delete(ctx, pick)
			switch {
			case m.hasChildren(pick):
				if !errors.Is(err, ErrNotAllowedOnNonLeaf) {
					t.Fatalf("step %d delete non-leaf %s: %v", step, pick, err)
				}
			case err != nil:
				t.Fatalf("step %d delete %s: %v", step, pick, err)
			default:
				delete(m.entries, pick)
			}
		default: // rename, maybe move
			if pick == sfx {
				continue
			}
			counter++
			newParent := dn.ParentOf(pick)
			if r.IntN(2) == 0 {
				newParent = keys[r.IntN(len(keys))]
			}
			parentDN := m.entries[newParent].DN
			newDN := fmt.Sprintf("cn=R%d,%s", counter, parentDN)
			err := db.Rename(ctx, pick, func(e *entry.Entry) error { e.DN = newDN; return nil })
			if dn.IsUnder(newParent, pick) {
				if !errors.Is(err, ErrMoveUnderSelf) {
					t.Fatalf("step %d rename under self: %v", step, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("step %d rename %s -> %s: %v", step, pick, newDN, err)
			}
			newNDN := ndn(t, db, newDN)
			for _, k := range keys {
				if dn.IsUnder(k, pick) {
					e := m.entries[k]
					delete(m.entries, k)
					if k != pick {
						d, err := dn.Parse(e.DN)
						if err != nil {
							t.Fatal(err)
						}
						rel := dn.Depth(k) - dn.Depth(pick)
						e.DN = dn.DN{RDNs: d.RDNs[:rel]}.String() + "," + newDN
					}
					m.entries[k[:len(k)-len(pick)]+newNDN] = e
				}
			}
			m.entries[newNDN].DN = newDN
		}
		if step%25 == 0 || step == steps-1 {
			if err := db.Check(); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			compare(t, db, m, r, filters, step)
		}
	}
}

func compare(t *testing.T, db *DB, m *model, r *rand.Rand, filters []*filter.Filter, step int) {
	keys := m.keys()
	bases := []string{ndn(t, db, suffix), keys[r.IntN(len(keys))], keys[r.IntN(len(keys))]}
	for _, base := range bases {
		for _, scope := range []Scope{ScopeBase, ScopeOne, ScopeSub, ScopeChildren} {
			for i, f := range filters {
				want := m.search(t, base, scope, f)
				got, err := searchNDNs(t, db, SearchRequest{BaseNDN: base, Scope: scope, Filter: f})
				if err != nil {
					t.Fatalf("step %d search %s scope %d %s: %v", step, base, scope, simFilters[i], err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("step %d search %q scope %d %s:\n got  %v\n want %v", step, base, scope, simFilters[i], got, want)
				}
			}
		}
	}
	// full entries agree
	for _, k := range keys {
		e, err := db.Get(context.Background(), k)
		if err != nil {
			t.Fatalf("step %d Get %s: %v", step, k, err)
		}
		if !sameAttrs(e.Attrs, m.entries[k].Attrs) || e.HasChildren != m.hasChildren(k) {
			t.Fatalf("step %d entry %s differs: %+v vs %+v", step, k, e, m.entries[k])
		}
		if n := ndn(t, db, e.DN); n != k {
			t.Fatalf("step %d entry %s has DN %q", step, k, e.DN)
		}
	}
}

func sameAttrs(a, b []entry.Attribute) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(a[i].Type, b[i].Type) || len(a[i].Values) != len(b[i].Values) {
			return false
		}
		for j := range a[i].Values {
			if string(a[i].Values[j]) != string(b[i].Values[j]) {
				return false
			}
		}
	}
	return true
}

// TestCrashSafetyProperty applies random operations through concurrent
// writers (some failing) and checks that the indexes agree with the
// entries after every round, and after reopening the file.
func TestCrashSafetyProperty(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{NoSync: true})
	populate(t, db, 5, 10)
	r := rand.New(rand.NewPCG(7, 7))
	for round := 0; round < 5; round++ {
		done := make(chan error, 8)
		for w := 0; w < 8; w++ {
			seed := r.Uint64()
			go func() {
				rr := rand.New(rand.NewPCG(seed, 1))
				for i := 0; i < 20; i++ {
					d, u := rr.IntN(6), rr.IntN(12)
					target := fmt.Sprintf("mail=user%d@domain%d.com,%s", u, d, domainDN(d))
					n, err := db.NormalizeDN(target)
					if err != nil {
						done <- err
						return
					}
					switch rr.IntN(4) {
					case 0:
						err = db.Add(ctx, accountEntry(d, u))
					case 1:
						err = db.Delete(ctx, n)
					case 2:
						err = db.Modify(ctx, n, func(e *entry.Entry) error {
							if rr.IntN(3) == 0 {
								return errTest
							}
							e.Attrs = append(e.Attrs, attr("uid", fmt.Sprint(rr.IntN(100))))
							return nil
						})
					case 3:
						err = db.Rename(ctx, n, func(e *entry.Entry) error {
							e.DN = fmt.Sprintf("mail=user%d@domain%d.com,%s", u+100, d, domainDN(d))
							return nil
						})
					}
					if err != nil && !errors.Is(err, ErrNoSuchObject) && !errors.Is(err, ErrAlreadyExists) &&
						!errors.Is(err, ErrNoSuchParent) && !errors.Is(err, errTest) {
						done <- err
						return
					}
				}
				done <- nil
			}()
		}
		for w := 0; w < 8; w++ {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Check(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}
