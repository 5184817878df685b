package acltest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"hostdir/directory/acl"
	"hostdir/directory/entry"
	"hostdir/directory/ldif"
	"hostdir/schema"
)

// Tree is a set of entries by normalized DN, the in-process stand-in for
// the server's store.
type Tree struct {
	Schema  *schema.Schema
	Entries map[string]*entry.Entry // by normalized DN
}

// LoadTree reads an LDIF file of entries, normalizing DNs through sc.
func LoadTree(path string, sc *schema.Schema) (*Tree, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("acltest: %w", err)
	}
	defer f.Close()
	t := &Tree{Schema: sc, Entries: map[string]*entry.Entry{}}
	r := ldif.NewReader(f)
	r.Name = path
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("acltest: %w", err)
		}
		if err := t.put(&rec.Entry); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t *Tree) put(e *entry.Entry) error {
	ndn, err := t.Schema.NormalizeDN(e.DN)
	if err != nil {
		return fmt.Errorf("acltest: DN %q: %w", e.DN, err)
	}
	c := e.Clone()
	t.Entries[ndn] = c
	return nil
}

// Get returns the acl view of the entry with DN dn (any form), or nil.
func (t *Tree) Get(dn string) acl.Entry {
	ndn, err := t.Schema.NormalizeDN(dn)
	if err != nil {
		return nil
	}
	e := t.Entries[ndn]
	if e == nil {
		return nil
	}
	return acl.NewEntry(e, ndn, t.Schema)
}

func (t *Tree) parent(dn string) acl.Entry {
	_, p, _ := strings.Cut(dn, ",")
	if p == "" {
		return nil
	}
	return t.Get(p)
}

// values returns the normalized values of attribute at in e.
func (t *Tree) values(e *entry.Entry, at *schema.AttributeType) [][]byte {
	var out [][]byte
	for _, a := range e.Attrs {
		if t.Schema.AttributeType(a.Type) != at {
			continue
		}
		for _, v := range a.Values {
			n := v
			if at.Equality != nil && at.Equality.Normalize != nil {
				if nv, err := at.Equality.Normalize(t.Schema, v); err == nil {
					n = nv
				}
			}
			out = append(out, n)
		}
	}
	return out
}

// Predict computes the matrix in-process: p decides access the way the
// server's check points ask it (acl.Evaluator's operation checks), on the
// entries of tree. Anonymous updates get strongerAuthRequired (8) before
// access control, as slapd answers; everything else is decided by p.
func Predict(p *acl.Policy, tree *Tree) (Results, error) {
	sc := tree.Schema
	pw := sc.AttributeType("userPassword")
	desc := sc.AttributeType("description")
	oc := sc.AttributeType("objectClass")
	var out Results
	for _, id := range Identities {
		ndn := ""
		if id.DN != "" {
			var err error
			if ndn, err = sc.NormalizeDN(id.DN); err != nil {
				return nil, err
			}
		}
		for _, op := range Ops {
			ev := p.NewEvaluator(acl.Subject{NDN: ndn}, func(g string) acl.Entry { return tree.Get(g) })
			c := Cell{Identity: id.Name, Op: op.Name}
			target := tree.Get(op.Target)
			switch {
			case op.Kind.IsWrite() && id.DN == "":
				c.Code = 8
			case op.Kind == Read:
				c.Values = []string{}
				c.Code = ev.SearchBase(target)
				if c.Code != 0 {
					break
				}
				if !ev.CanSearch(target, oc, "", nil) || !ev.CanReadEntry(target) {
					c.Values = append(c.Values, "(no-entry)")
					break
				}
				e := tree.Entries[target.NDN()]
				for _, name := range ReadAttrs {
					at := sc.AttributeType(name)
					if len(tree.values(e, at)) > 0 && ev.CanRead(target, at, "", nil) {
						c.Values = append(c.Values, name)
					}
				}
				sort.Strings(c.Values)
			case op.Kind == SearchPassword:
				c.Values = []string{}
				c.Code = ev.SearchBase(target)
				if c.Code != 0 {
					break
				}
				for endn, e := range tree.Entries {
					if endn != target.NDN() && !strings.HasSuffix(endn, ","+target.NDN()) {
						continue
					}
					v := acl.NewEntry(e, endn, sc)
					if len(tree.values(e, pw)) > 0 && ev.CanSearch(v, pw, "", nil) && ev.CanReadEntry(v) {
						c.Values = append(c.Values, strings.ToLower(e.DN))
					}
				}
				sort.Strings(c.Values)
			case op.Kind == Rebind:
				// The bind check runs as anonymous whoever is bound.
				bev := p.NewEvaluator(acl.Subject{}, nil)
				c.Code = 49
				for _, v := range tree.values(tree.Entries[target.NDN()], pw) {
					if bev.CanAuth(target, pw, v) && string(v) == Stored[op.Target] {
						c.Code = 0
					}
				}
				bev.Release()
			case op.Kind == ComparePassword:
				val := []byte(Stored[op.Target])
				c.Code = ev.Compare(target, pw, "", val)
				if c.Code == 0 {
					c.Code = 5
					for _, v := range tree.values(tree.Entries[target.NDN()], pw) {
						if string(v) == string(val) {
							c.Code = 6
						}
					}
				}
			case op.Kind == ModifyDescription:
				c.Code = ev.Modify(target, []acl.Mod{{Op: acl.ModReplace, Attr: desc, Values: [][]byte{[]byte("set by " + id.Name)}}})
			case op.Kind == ModifyPassword:
				c.Code = ev.Modify(target, []acl.Mod{{Op: acl.ModReplace, Attr: pw, Values: [][]byte{[]byte("{CLEARTEXT}set-by-" + id.Name)}}})
			case op.Kind == PasswordExop:
				c.Code = ev.PasswordModify(target, pw, []byte("{SSHA}new"))
			case op.Kind == AddAccount || op.Kind == AddDomain:
				ne := &entry.Entry{DN: op.Target}
				nndn, _ := sc.NormalizeDN(op.Target)
				c.Code = ev.Add(tree.parent(op.Target), acl.NewEntry(ne, nndn, sc))
			case op.Kind == Delete:
				ve := &entry.Entry{DN: op.Target}
				vndn, _ := sc.NormalizeDN(op.Target)
				c.Code = ev.Delete(tree.parent(op.Target), acl.NewEntry(ve, vndn, sc))
			}
			ev.Release()
			out = append(out, c)
		}
	}
	return out, nil
}
