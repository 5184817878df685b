package acltest

import (
	"os"
	"path/filepath"
	"testing"

	"hostdir/directory/acl"
	"hostdir/directory/config"
)

// policyFor loads a HOWTO config and compiles its first database's rules.
func policyFor(t *testing.T, name string) (*acl.Policy, *config.Config) {
	t.Helper()
	cfg, err := config.Load(filepath.Join(TestdataDir(), name))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	db := cfg.Databases[0]
	p, err := acl.Compile(db.Access, cfg.Access, cfg.Schema, acl.Options{RootDN: db.RootDN})
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return p, cfg
}

// TestPredictMatchesSlapd evaluates the matrix in-process under the
// HOWTO's rules in both their 2.0 and 2.5 forms: the two must decide
// alike, and both as slapd did (testdata/acl-matrix-slapd.golden).
func TestPredictMatchesSlapd(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(TestdataDir(), goldenName))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	var results []Results
	for _, name := range []string{"howto-slapd.conf", "howto-slapd-2.5.conf"} {
		t.Run(name, func(t *testing.T) {
			p, cfg := policyFor(t, name)
			tree, err := LoadTree(filepath.Join(TestdataDir(), "acl-tree.ldif"), cfg.Schema)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Predict(p, tree)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(Identities)*len(Ops) {
				t.Fatalf("%d cells, want %d", len(got), len(Identities)*len(Ops))
			}
			for _, d := range Diff("slapd", want, "hostdir-acl", got) {
				t.Error(d)
			}
			results = append(results, got)
		})
	}
	if len(results) == 2 {
		for _, d := range Diff("2.0-form", results[0], "2.5-form", results[1]) {
			t.Error(d)
		}
	}
}
