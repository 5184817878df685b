package acltest

import (
	"path/filepath"
	"testing"

	"hostdir/directory/acl"
)

// benchSetup compiles the HOWTO's rules (2.5 form) and indexes the tree's
// entries as acl.Entry values by normalized DN.
func benchSetup(b *testing.B) (*acl.Policy, *Tree, map[string]acl.Entry) {
	b.Helper()
	p, cfg := policyFor(&testing.T{}, "howto-slapd-2.5.conf")
	tree, err := LoadTree(filepath.Join(TestdataDir(), "acl-tree.ldif"), cfg.Schema)
	if err != nil {
		b.Fatal(err)
	}
	views := map[string]acl.Entry{}
	for ndn, e := range tree.Entries {
		views[ndn] = acl.NewEntry(e, ndn, cfg.Schema)
	}
	return p, tree, views
}

// BenchmarkAnonymousReadMail is Postfix's lookup: an anonymous search
// returning mail and mailbox of an account (read on the entry, then on
// each attribute and value).
func BenchmarkAnonymousReadMail(b *testing.B) {
	p, tree, views := benchSetup(b)
	sc := tree.Schema
	mail, mailbox := sc.AttributeType("mail"), sc.AttributeType("mailbox")
	ndn, _ := sc.NormalizeDN(Alice)
	e := views[ndn]
	mv, bv := []byte("alice@example.com"), []byte("example.com/alice/")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ev := p.NewEvaluator(acl.Subject{}, nil)
		if !ev.CanReadEntry(e) || !ev.CanRead(e, mail, "", nil) || !ev.CanRead(e, mail, "", mv) ||
			!ev.CanRead(e, mailbox, "", nil) || !ev.CanRead(e, mailbox, "", bv) {
			b.Fatal("denied")
		}
		ev.Release()
	}
}

// BenchmarkPostmasterWriteUserPassword is an appointed postmaster (bob)
// resetting alice's password: a replace of userPassword, decided by the
// group clause (expand, normalize, fetch the postmaster entry, look for
// bob's DN in roleOccupant).
func BenchmarkPostmasterWriteUserPassword(b *testing.B) {
	p, tree, views := benchSetup(b)
	sc := tree.Schema
	pw := sc.AttributeType("userPassword")
	ndn, _ := sc.NormalizeDN(Alice)
	bob, _ := sc.NormalizeDN(Bob)
	e := views[ndn]
	fetch := func(ndn string) acl.Entry { return views[ndn] }
	val := []byte("{SSHA}UxGwGlXQ2+N99czrHsejw4WI/WntIjES")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ev := p.NewEvaluator(acl.Subject{NDN: bob}, fetch)
		if ev.PasswordModify(e, pw, val) != 0 {
			b.Fatal("denied")
		}
		ev.Release()
	}
}
