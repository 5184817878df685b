package aclauthz

import (
	"context"
	"path/filepath"
	"testing"

	"hostdir/directory"
	"hostdir/directory/acl/acltest"
	"hostdir/directory/config"
	"hostdir/directory/entry"
)

func TestHOWTO(t *testing.T) {
	cfg, err := config.Load(filepath.Join(acltest.TestdataDir(), "howto-slapd.conf"))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := acltest.LoadTree(filepath.Join(acltest.TestdataDir(), "acl-tree.ldif"), cfg.Schema)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, func(_ context.Context, ndn string) *entry.Entry { return tree.Entries[ndn] })
	if err != nil {
		t.Fatal(err)
	}
	sc := cfg.Schema
	norm := func(s string) string { n, _ := sc.NormalizeDN(s); return n }
	alice := norm(acltest.Alice)
	target := func(attr string) *directory.Target {
		tg := &directory.Target{DN: acltest.Alice, NDN: alice, Entry: tree.Entries[alice], AttrName: attr}
		if attr != directory.AttrEntry && attr != directory.AttrChildren {
			tg.Attr = sc.AttributeType(attr)
		}
		return tg
	}
	anon := &directory.Subject{Peer: "IP=127.0.0.1:4000"}
	bob := &directory.Subject{DN: acltest.Bob, NDN: norm(acltest.Bob)}
	carol := &directory.Subject{DN: acltest.Carol, NDN: norm(acltest.Carol)}
	tests := []struct {
		name  string
		sub   *directory.Subject
		attr  string
		level directory.Level
		want  bool
	}{
		{"anonymous reads mail", anon, "mail", directory.LevelRead, true},
		{"anonymous reads entry", anon, directory.AttrEntry, directory.LevelRead, true},
		{"anonymous cannot read userPassword", anon, "userPassword", directory.LevelRead, false},
		{"anonymous binds", anon, "userPassword", directory.LevelAuth, true},
		{"postmaster writes userPassword", bob, "userPassword", directory.LevelWrite, true},
		{"other domain cannot", carol, "userPassword", directory.LevelAuth, false},
		{"other domain reads mailbox", carol, "mailbox", directory.LevelRead, true},
		{"root", &directory.Subject{Root: true}, "userPassword", directory.LevelManage, true},
	}
	for _, tc := range tests {
		if got := a.Access(context.Background(), tc.sub, target(tc.attr), tc.level); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	// The root DSE is outside every database: the global rules (none
	// here) give slapd's default read.
	if !a.Access(context.Background(), anon, &directory.Target{AttrName: directory.AttrEntry}, directory.LevelRead) {
		t.Error("root DSE not readable")
	}
}
