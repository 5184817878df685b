package syntax

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	reSyntax = regexp.MustCompile(`\bSYNTAX\s+'?([0-9.]+)'?(\{\d+\})?`)
	reRule   = regexp.MustCompile(`\b(EQUALITY|ORDERING|SUBSTR)\s+(\S+)`)
)

// schemaDefs returns the attributetype definitions of an OpenLDAP .schema
// file, continuation lines joined.
func schemaDefs(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var defs []string
	var cur strings.Builder
	flush := func() {
		if s := cur.String(); strings.HasPrefix(strings.ToLower(s), "attributetype") {
			defs = append(defs, s)
		}
		cur.Reset()
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			flush()
		}
		cur.WriteString(line)
		cur.WriteByte(' ')
	}
	flush()
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return defs
}

// TestDebianSchemaFiles checks that every SYNTAX, EQUALITY, ORDERING and
// SUBSTR of Debian's core, cosine, nis and inetorgperson schema resolves,
// and that each rule applies to its attribute's syntax (slapd loads these
// files, so it does). Attribute types inheriting their syntax through SUP
// are checked against the syntax of the rule's own kind only.
func TestDebianSchemaFiles(t *testing.T) {
	dir := "/etc/ldap/schema"
	files := []string{"core.schema", "cosine.schema", "nis.schema", "inetorgperson.schema"}
	if _, err := os.Stat(filepath.Join(dir, files[0])); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Debian schema files missing: %v", err)
		}
		t.Skipf("Debian schema files missing (install slapd): %v", err)
	}
	seen := map[string]bool{}
	for _, name := range files {
		for _, def := range schemaDefs(t, filepath.Join(dir, name)) {
			syn := ""
			if m := reSyntax.FindStringSubmatch(def); m != nil {
				syn = m[1]
				seen["SYNTAX "+syn] = true
				s := LookupSyntax(syn)
				if s == nil {
					t.Errorf("%s: unknown syntax %s in %.60s", name, syn, def)
				}
			}
			for _, m := range reRule.FindAllStringSubmatch(def, -1) {
				seen[m[1]+" "+m[2]] = true
				r := LookupRule(m[2])
				if r == nil {
					t.Errorf("%s: unknown matching rule %s", name, m[2])
					continue
				}
				want := map[string]Kind{"EQUALITY": Equality, "ORDERING": Ordering, "SUBSTR": Substrings}[m[1]]
				if r.Kind != want {
					t.Errorf("%s: %s is a %v rule, used as %s", name, m[2], r.Kind, m[1])
				}
				if syn != "" && !r.AppliesTo(syn) {
					t.Errorf("%s: %s does not apply to syntax %s (%.60s)", name, m[2], syn, def)
				}
			}
		}
	}
	if len(seen) < 40 {
		t.Errorf("only %d distinct references found; parsing broken?", len(seen))
	}
	t.Logf("%d distinct SYNTAX/EQUALITY/ORDERING/SUBSTR references resolved", len(seen))
}
