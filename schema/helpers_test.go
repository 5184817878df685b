package schema

import (
	"os"
	"path/filepath"
	"testing"

	"hostdir/schema/builtin"
)

// debianDir holds the schema files of Debian's slapd package.
const debianDir = "/etc/ldap/schema"

// debianFiles are the files the HOWTO's slapd.conf includes, in order.
var debianFiles = []string{"core.schema", "cosine.schema", "nis.schema", "inetorgperson.schema"}

// skipOrFail skips the test when a Debian file is missing, except in CI.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// debianSchema loads the system schema, Debian's core, cosine, nis and
// inetorgperson files, and the built-in jamm.schema.
func debianSchema(t testing.TB) *Schema {
	t.Helper()
	s := New()
	for _, f := range debianFiles {
		p := filepath.Join(debianDir, f)
		data, err := os.ReadFile(p)
		if err != nil {
			skipOrFail(t, "Debian schema not installed: %v", err)
		}
		if err := s.AddFile(p, data); err != nil {
			t.Fatalf("AddFile(%s): %v", p, err)
		}
	}
	data, err := builtin.FS.ReadFile("jamm.schema")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddFile("jamm.schema", data); err != nil {
		t.Fatalf("AddFile(jamm.schema): %v", err)
	}
	return s
}

// builtinSchema returns Builtin() or fails the test.
func builtinSchema(t testing.TB) *Schema {
	t.Helper()
	s, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	return s
}
