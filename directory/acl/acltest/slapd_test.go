package acltest

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hostdir/internal/peers"
)

var update = flag.Bool("update", false, "rewrite testdata/acl-matrix-slapd.golden from slapd")

const goldenName = "acl-matrix-slapd.golden"

// howtoACL returns the access directives of a HOWTO config file (from
// the first "access to" to the end).
func howtoACL(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(TestdataDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\naccess to")
	if i < 0 {
		t.Fatalf("%s: no access directive", name)
	}
	return s[i+1:]
}

// TestSlapdMatrix runs the matrix against slapd 2.5 with the HOWTO's
// rules (2.5 form) and compares it with the golden file (-update
// rewrites it).
func TestSlapdMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("starts slapd")
	}
	s := peers.StartSlapd(t, peers.SlapdOptions{
		ExtraSchemas:   []string{filepath.Join(TestdataDir(), "..", "schema", "builtin", "jamm.schema")},
		DatabaseConfig: howtoACL(t, "howto-slapd-2.5.conf"),
		LDIFFiles:      []string{filepath.Join(TestdataDir(), "acl-tree.ldif")},
	})
	got := RunMatrix(t, s.URL, s.RootPW)
	golden := filepath.Join(TestdataDir(), goldenName)
	if *update {
		hdr := "# The ACL matrix of hostdir/directory/acl/acltest as OpenLDAP slapd 2.5 answers it\n" +
			"# (testdata/howto-slapd-2.5.conf rules, testdata/acl-tree.ldif).\n" +
			"# identity op result-code [attributes returned | DNs found]\n"
		if err := os.WriteFile(golden, []byte(hdr+got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	want, err := Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range Diff("golden", want, "slapd", got) {
		t.Error(d)
	}
}
