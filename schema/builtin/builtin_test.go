package builtin

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests below carry their own small reader for the .schema format so that
// this package does not depend on hostdir/schema. It understands exactly what
// the comparisons need: the RFC 4512 fields of attributetype and objectclass
// descriptions.

// def is one attribute type or object class description.
type def struct {
	file      string
	line      int
	class     bool // objectclass (true) or attributetype (false)
	oid       string
	names     []string
	desc      string
	obsolete  bool
	sup       []string
	equality  string
	ordering  string
	substr    string
	syntax    string
	syntaxLen int
	single    bool
	collect   bool
	noUserMod bool
	usage     string // attribute types; "userApplications" when absent
	kind      string // object classes; "STRUCTURAL" when absent
	must      []string
	may       []string
}

func (d *def) label() string {
	what := "attributetype"
	if d.class {
		what = "objectclass"
	}
	name := d.oid
	if len(d.names) > 0 {
		name = d.names[0]
	}
	return fmt.Sprintf("%s %s (%s)", what, name, d.oid)
}

// logicalLines joins continuation lines (those starting with white space)
// and drops comments and blank lines. It returns each logical line with the
// number of its first physical line.
func logicalLines(data []byte) ([]string, []int) {
	var lines []string
	var nums []int
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "#"):
			continue
		case strings.TrimSpace(l) == "":
			continue
		case l[0] == ' ' || l[0] == '\t':
			if len(lines) > 0 {
				lines[len(lines)-1] += " " + strings.TrimSpace(l)
			}
		default:
			lines = append(lines, l)
			nums = append(nums, n)
		}
	}
	return lines, nums
}

// tokens splits an RFC 4512 description into "(", ")", "$", quoted strings
// (returned with their quotes) and bare words.
func tokens(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '(' || c == ')' || c == '$':
			out = append(out, string(c))
			i++
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated quoted string at offset %d", i)
			}
			out = append(out, s[i:i+j+2])
			i += j + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n()$'", rune(s[j])) {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out, nil
}

func unquote(t string) string {
	if len(t) >= 2 && t[0] == '\'' && t[len(t)-1] == '\'' {
		return t[1 : len(t)-1]
	}
	return t
}

// parseDescription reads "( oid KEYWORD ... )". class selects the object
// class keywords.
func parseDescription(body string, class bool) (*def, error) {
	toks, err := tokens(body)
	if err != nil {
		return nil, err
	}
	if len(toks) < 3 || toks[0] != "(" || toks[len(toks)-1] != ")" {
		return nil, fmt.Errorf("description is not enclosed in parentheses")
	}
	toks = toks[1 : len(toks)-1]
	d := &def{class: class, oid: toks[0], usage: "userApplications", kind: "STRUCTURAL"}
	// list reads one value or a parenthesized list of values separated by $
	// (or by white space, for NAME lists).
	list := func(i int) ([]string, int, error) {
		if i >= len(toks) {
			return nil, i, fmt.Errorf("missing value")
		}
		if toks[i] != "(" {
			return []string{unquote(toks[i])}, i + 1, nil
		}
		var vals []string
		for i++; i < len(toks) && toks[i] != ")"; i++ {
			if toks[i] != "$" {
				vals = append(vals, unquote(toks[i]))
			}
		}
		if i >= len(toks) {
			return nil, i, fmt.Errorf("unterminated list")
		}
		return vals, i + 1, nil
	}
	one := func(i int) (string, int, error) {
		if i >= len(toks) || toks[i] == "(" || toks[i] == ")" {
			return "", i, fmt.Errorf("missing value after %s", toks[i-1])
		}
		return unquote(toks[i]), i + 1, nil
	}
	for i := 1; i < len(toks); {
		kw := strings.ToUpper(toks[i])
		i++
		var err error
		switch {
		case kw == "NAME":
			d.names, i, err = list(i)
		case kw == "DESC":
			d.desc, i, err = one(i)
		case kw == "OBSOLETE":
			d.obsolete = true
		case kw == "SUP":
			d.sup, i, err = list(i)
		case kw == "EQUALITY" && !class:
			d.equality, i, err = one(i)
		case kw == "ORDERING" && !class:
			d.ordering, i, err = one(i)
		case kw == "SUBSTR" && !class:
			d.substr, i, err = one(i)
		case kw == "SYNTAX" && !class:
			var s string
			s, i, err = one(i)
			if err == nil {
				d.syntax = s
				if b := strings.IndexByte(s, '{'); b >= 0 && strings.HasSuffix(s, "}") {
					d.syntax = s[:b]
					d.syntaxLen, err = strconv.Atoi(s[b+1 : len(s)-1])
				}
			}
		case kw == "SINGLE-VALUE" && !class:
			d.single = true
		case kw == "COLLECTIVE" && !class:
			d.collect = true
		case kw == "NO-USER-MODIFICATION" && !class:
			d.noUserMod = true
		case kw == "USAGE" && !class:
			d.usage, i, err = one(i)
		case (kw == "ABSTRACT" || kw == "STRUCTURAL" || kw == "AUXILIARY") && class:
			d.kind = kw
		case kw == "MUST" && class:
			d.must, i, err = list(i)
		case kw == "MAY" && class:
			d.may, i, err = list(i)
		case strings.HasPrefix(kw, "X-"):
			_, i, err = list(i)
		default:
			err = fmt.Errorf("unexpected %q", toks[i-1])
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.oid, err)
		}
	}
	return d, nil
}

// parseSchemaFile reads the attributetype and objectclass directives of a
// .schema file. Other directives (objectidentifier) are not used by the
// files under test and are rejected so that a change is noticed.
func parseSchemaFile(name string, data []byte) ([]*def, error) {
	lines, nums := logicalLines(data)
	var defs []*def
	for k, l := range lines {
		kw, rest, _ := strings.Cut(strings.TrimSpace(l), " ")
		if i := strings.IndexAny(kw, "\t("); i >= 0 { // "objectclass\t(" or "objectclass("
			rest = kw[i:] + " " + rest
			kw = kw[:i]
		}
		var class bool
		switch strings.ToLower(kw) {
		case "attributetype":
		case "objectclass":
			class = true
		default:
			return nil, fmt.Errorf("%s:%d: unsupported directive %q", name, nums[k], kw)
		}
		d, err := parseDescription(rest, class)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, nums[k], err)
		}
		d.file, d.line = name, nums[k]
		defs = append(defs, d)
	}
	return defs, nil
}

func loadOurs(t *testing.T) map[string][]*def {
	t.Helper()
	out := make(map[string][]*def)
	for _, f := range Files {
		data, err := FS.ReadFile(f)
		if err != nil {
			t.Fatalf("read embedded %s: %v", f, err)
		}
		defs, err := parseSchemaFile(f, data)
		if err != nil {
			t.Fatalf("parse %v", err)
		}
		out[f] = defs
	}
	return out
}

// names maps every lower-cased name and OID of the definitions to the OID,
// separately for attribute types and object classes.
type names struct{ attrs, classes map[string]string }

func newNames() names {
	return names{attrs: map[string]string{}, classes: map[string]string{}}
}

func (n names) add(d *def) {
	m := n.attrs
	if d.class {
		m = n.classes
	}
	m[strings.ToLower(d.oid)] = d.oid
	for _, nm := range d.names {
		m[strings.ToLower(nm)] = d.oid
	}
}

// resolve maps names to OIDs and returns them sorted and de-duplicated.
// Unknown names are kept as "?name" so that they show up in a diff.
func (n names) resolve(list []string, class bool) []string {
	m := n.attrs
	if class {
		m = n.classes
	}
	var out []string
	for _, nm := range list {
		if oid, ok := m[strings.ToLower(nm)]; ok {
			out = append(out, oid)
		} else {
			out = append(out, "?"+nm)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// diff lists the fields in which two definitions of the same OID differ.
// Names must agree exactly (cn=Subschema shows them as written); matching
// rules case-insensitively; SUP, MUST and MAY as sets of OIDs. DESC and
// syntax length bounds are not compared.
func diff(our, their *def, ourNames, theirNames names) []string {
	var out []string
	cmp := func(field string, a, b any) {
		if fmt.Sprint(a) != fmt.Sprint(b) {
			out = append(out, fmt.Sprintf("%s: ours %v, theirs %v", field, a, b))
		}
	}
	cmp("kind", our.class, their.class)
	cmp("NAME", our.names, their.names)
	cmp("OBSOLETE", our.obsolete, their.obsolete)
	cmp("SUP", ourNames.resolve(our.sup, our.class), theirNames.resolve(their.sup, their.class))
	if our.class {
		cmp("class kind", our.kind, their.kind)
		cmp("MUST", ourNames.resolve(our.must, false), theirNames.resolve(their.must, false))
		cmp("MAY", ourNames.resolve(our.may, false), theirNames.resolve(their.may, false))
		return out
	}
	cmp("EQUALITY", strings.ToLower(our.equality), strings.ToLower(their.equality))
	cmp("ORDERING", strings.ToLower(our.ordering), strings.ToLower(their.ordering))
	cmp("SUBSTR", strings.ToLower(our.substr), strings.ToLower(their.substr))
	cmp("SYNTAX", our.syntax, their.syntax)
	cmp("SINGLE-VALUE", our.single, their.single)
	cmp("COLLECTIVE", our.collect, their.collect)
	cmp("NO-USER-MODIFICATION", our.noUserMod, their.noUserMod)
	cmp("USAGE", strings.ToLower(our.usage), strings.ToLower(their.usage))
	return out
}

func mustHaveReference(t *testing.T, what string) bool {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing (CI=true)", what)
	}
	t.Skipf("%s is missing; install Debian's slapd to run this test", what)
	return false
}

func TestFilesEmbedded(t *testing.T) {
	embedded, err := fs.Glob(FS, "*.schema")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(embedded)
	listed := slices.Clone(Files)
	sort.Strings(listed)
	if !slices.Equal(embedded, listed) {
		t.Fatalf("embedded files %v, Files lists %v", embedded, listed)
	}
	onDisk, err := filepath.Glob("*.schema")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(onDisk)
	if !slices.Equal(onDisk, embedded) {
		t.Fatalf("files on disk %v, embedded %v", onDisk, embedded)
	}
	for _, f := range Files {
		data, err := FS.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		if len(data) == 0 || data[len(data)-1] != '\n' {
			t.Errorf("%s: empty or missing final newline", f)
		}
	}
}

// TestLoadOrder checks that each name a definition refers to (SUP, MUST,
// MAY) is defined in an earlier file or earlier in the same file, and that
// no OID or name is defined twice.
func TestLoadOrder(t *testing.T) {
	ours := loadOurs(t)
	known := newNames()
	for _, f := range Files {
		for _, d := range ours[f] {
			for _, s := range d.sup {
				if d.class {
					if _, ok := known.classes[strings.ToLower(s)]; !ok {
						t.Errorf("%s:%d: %s: superclass %s not defined before", f, d.line, d.label(), s)
					}
				} else if _, ok := known.attrs[strings.ToLower(s)]; !ok {
					t.Errorf("%s:%d: %s: supertype %s not defined before", f, d.line, d.label(), s)
				}
			}
			for _, a := range append(slices.Clone(d.must), d.may...) {
				if _, ok := known.attrs[strings.ToLower(a)]; !ok {
					t.Errorf("%s:%d: %s: attribute %s not defined before", f, d.line, d.label(), a)
				}
			}
			m := known.attrs
			if d.class {
				m = known.classes
			}
			for _, k := range append([]string{d.oid}, d.names...) {
				if prev, dup := m[strings.ToLower(k)]; dup {
					t.Errorf("%s:%d: %s: %s already defined (by %s)", f, d.line, d.label(), k, prev)
				}
			}
			if !d.class && d.syntax == "" && len(d.sup) == 0 {
				t.Errorf("%s:%d: %s: neither SYNTAX nor SUP", f, d.line, d.label())
			}
			known.add(d)
		}
	}
}

// TestJamm pins the Jamm schema to the facts it was written from.
func TestJamm(t *testing.T) {
	ours := loadOurs(t)
	byName := map[string]*def{}
	for _, d := range ours["jamm.schema"] {
		byName[d.names[0]] = d
	}
	const (
		ia5     = "1.3.6.1.4.1.1466.115.121.1.26"
		boolean = "1.3.6.1.4.1.1466.115.121.1.7"
		integer = "1.3.6.1.4.1.1466.115.121.1.27"
		octets  = "1.3.6.1.4.1.1466.115.121.1.40"
	)
	attrs := []struct {
		n                  int
		name, eq, sub, syn string
		bound              int
		single             bool
	}{
		{1, "postfixTransport", "caseExactIA5Match", "", ia5, 20, true},
		{2, "accountActive", "booleanMatch", "", boolean, 0, true},
		{3, "lastChange", "", "", integer, 0, true},
		{4, "jvd", "caseIgnoreIA5Match", "caseIgnoreIA5SubstringsMatch", ia5, 0, false},
		{5, "mailbox", "caseExactIA5Match", "", ia5, 0, true},
		{6, "quota", "caseExactIA5Match", "", ia5, 0, true},
		{7, "clearPassword", "octetStringMatch", "", octets, 128, false},
		{8, "maildrop", "caseIgnoreIA5Match", "caseIgnoreIA5SubstringsMatch", ia5, 256, false},
		{9, "mailsource", "caseIgnoreIA5Match", "caseIgnoreIA5SubstringsMatch", ia5, 0, false},
		{10, "editAliases", "booleanMatch", "", boolean, 0, true},
		{11, "editAccounts", "booleanMatch", "", boolean, 0, true},
		{12, "editPostmasters", "booleanMatch", "", boolean, 0, true},
		{13, "editCatchAlls", "booleanMatch", "", boolean, 0, true},
		{14, "delete", "booleanMatch", "", boolean, 0, true},
	}
	for _, a := range attrs {
		t.Run(a.name, func(t *testing.T) {
			d := byName[a.name]
			if d == nil || d.class {
				t.Fatalf("attribute type %s missing", a.name)
			}
			got := fmt.Sprint(d.oid, d.names, d.equality, d.ordering, d.substr, d.syntax, d.syntaxLen, d.single, d.usage, d.sup)
			want := fmt.Sprint("1.3.6.1.4.1.12461.1.1."+strconv.Itoa(a.n), []string{a.name}, a.eq, "", a.sub, a.syn, a.bound, a.single, "userApplications", []string(nil))
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			if d.desc == "" {
				t.Errorf("no DESC")
			}
		})
	}
	classes := []struct {
		n          int
		name, kind string
		must, may  []string
	}{
		{1, "JammMailAccount", "STRUCTURAL",
			[]string{"mail", "homeDirectory", "mailbox", "accountActive", "lastChange", "delete"},
			[]string{"uidNumber", "gidNumber", "uid", "cn", "description", "quota", "userPassword", "clearPassword"}},
		{2, "JammMailAlias", "STRUCTURAL",
			[]string{"mail", "maildrop", "accountActive", "lastChange"},
			[]string{"mailsource", "cn", "description", "userPassword"}},
		{3, "JammVirtualDomain", "STRUCTURAL",
			[]string{"jvd", "accountActive", "lastChange", "delete", "editAccounts", "editPostmasters"},
			[]string{"postfixTransport", "description"}},
		{4, "JammPostmaster", "AUXILIARY", []string{"roleOccupant"}, nil},
	}
	for _, c := range classes {
		t.Run(c.name, func(t *testing.T) {
			d := byName[c.name]
			if d == nil || !d.class {
				t.Fatalf("object class %s missing", c.name)
			}
			got := fmt.Sprint(d.oid, d.names, d.sup, d.kind, d.must, d.may)
			want := fmt.Sprint("1.3.6.1.4.1.12461.1.2."+strconv.Itoa(c.n), []string{c.name}, []string{"top"}, c.kind, c.must, c.may)
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
	if got, want := len(ours["jamm.schema"]), len(attrs)+len(classes); got != want {
		t.Errorf("jamm.schema has %d definitions, want %d", got, want)
	}
}

// TestMatchesDebian compares core, cosine, nis and inetorgperson with the
// files of the same names that Debian's slapd package installs: the same set
// of definitions per file, and the same fields (see diff) per definition.
func TestMatchesDebian(t *testing.T) {
	const dir = "/etc/ldap/schema"
	ours := loadOurs(t)
	ourNames, theirNames := newNames(), newNames()
	for _, f := range Files {
		for _, d := range ours[f] {
			ourNames.add(d)
		}
	}
	// Debian's files rely on slapd's hard-coded schema, which is ours too.
	for _, d := range ours["system.schema"] {
		theirNames.add(d)
	}
	files := []string{"core.schema", "cosine.schema", "nis.schema", "inetorgperson.schema"}
	theirs := map[string][]*def{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			mustHaveReference(t, filepath.Join(dir, f))
			return
		}
		defs, err := parseSchemaFile(f, data)
		if err != nil {
			t.Fatalf("parse Debian's %v", err)
		}
		theirs[f] = defs
		for _, d := range defs {
			theirNames.add(d)
		}
	}
	compared := 0
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			mine := map[string]*def{}
			for _, d := range ours[f] {
				mine[d.oid] = d
			}
			seen := map[string]bool{}
			for _, their := range theirs[f] {
				seen[their.oid] = true
				our := mine[their.oid]
				if our == nil {
					t.Errorf("missing %s (Debian %s:%d)", their.label(), f, their.line)
					continue
				}
				compared++
				for _, d := range diff(our, their, ourNames, theirNames) {
					t.Errorf("%s: %s", our.label(), d)
				}
			}
			for _, d := range ours[f] {
				if !seen[d.oid] {
					t.Errorf("%s:%d: %s is not in Debian's %s", f, d.line, d.label(), f)
				}
			}
		})
	}
	t.Logf("compared %d definitions with Debian's files", compared)
}

// TestMatchesSlapd starts Debian's slapd with no schema but its own, plus
// Debian's core, cosine, nis and inetorgperson and our jamm.schema, and
// compares every definition of ours that its cn=Subschema shows. This checks
// system.schema against the schema slapd hard-codes, and checks that slapd
// accepts jamm.schema.
func TestMatchesSlapd(t *testing.T) {
	slapd, err := exec.LookPath("slapd")
	if err != nil {
		slapd = "/usr/sbin/slapd"
	}
	if _, err := os.Stat(slapd); err != nil {
		mustHaveReference(t, "slapd")
		return
	}
	ldapsearch, err := exec.LookPath("ldapsearch")
	if err != nil {
		mustHaveReference(t, "ldapsearch")
		return
	}
	for _, f := range []string{"core", "cosine", "nis", "inetorgperson"} {
		if _, err := os.Stat("/etc/ldap/schema/" + f + ".schema"); err != nil {
			mustHaveReference(t, "/etc/ldap/schema/"+f+".schema")
			return
		}
	}
	ours := loadOurs(t)
	tmp := t.TempDir()
	jamm, err := FS.ReadFile("jamm.schema")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "jamm.schema"), jamm, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(tmp, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
include %s
pidfile %s
database ldif
suffix "dc=example,dc=com"
directory %s
`, filepath.Join(tmp, "jamm.schema"), filepath.Join(tmp, "slapd.pid"), filepath.Join(tmp, "db"))
	confPath := filepath.Join(tmp, "slapd.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(tmp, "ldapi")
	uri := "ldapi://" + url.PathEscape(sock)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var slapdOut bytes.Buffer
	cmd := exec.CommandContext(ctx, slapd, "-f", confPath, "-h", uri, "-d", "0")
	cmd.Stdout, cmd.Stderr = &slapdOut, &slapdOut
	if err := cmd.Start(); err != nil {
		t.Fatalf("start slapd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("slapd exited: %v\n%s", err, slapdOut.String())
		case <-ctx.Done():
			t.Fatalf("slapd did not open %s: %v\n%s", sock, ctx.Err(), slapdOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	// The socket exists a moment before slapd accepts on it: retry until
	// the search answers or the deadline passes.
	var out []byte
	for {
		search := exec.CommandContext(ctx, ldapsearch, "-x", "-LLL", "-o", "ldif-wrap=no",
			"-H", uri, "-b", "cn=Subschema", "-s", "base", "(objectClass=*)",
			"attributeTypes", "objectClasses")
		var err error
		out, err = search.Output()
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("ldapsearch: %v\n%s", err, slapdOut.String())
		case <-time.After(50 * time.Millisecond):
		}
	}

	served := map[string]*def{}
	servedNames := newNames()
	for _, l := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(l, ": ")
		if !ok || (k != "attributeTypes" && k != "objectClasses") {
			continue
		}
		d, err := parseDescription(v, k == "objectClasses")
		if err != nil {
			t.Fatalf("parse slapd's %s: %v", l, err)
		}
		served[d.oid] = d
		servedNames.add(d)
	}
	if len(served) < 100 {
		t.Fatalf("slapd served only %d definitions:\n%s", len(served), out)
	}
	ourNames := newNames()
	for _, f := range Files {
		for _, d := range ours[f] {
			ourNames.add(d)
		}
	}
	// slapd keeps these hard-coded definitions out of cn=Subschema.
	hidden := map[string]bool{
		"2.5.21.10": true, // governingStructureRule
		"2.5.21.1":  true, // dITStructureRules
		"2.5.21.2":  true, // dITContentRules
		"2.5.21.7":  true, // nameForms
		"2.5.18.6":  true, // subtreeSpecification
	}
	// The subschema and subentry classes name hidden types; let them resolve.
	for _, d := range ours["system.schema"] {
		if hidden[d.oid] {
			servedNames.add(d)
		}
	}
	compared := 0
	for _, f := range Files {
		for _, our := range ours[f] {
			their := served[our.oid]
			if their == nil {
				if !hidden[our.oid] {
					t.Errorf("%s: %s not in slapd's cn=Subschema", f, our.label())
				}
				continue
			}
			compared++
			for _, d := range diff(our, their, ourNames, servedNames) {
				t.Errorf("%s: %s: %s", f, our.label(), d)
			}
			if our.syntaxLen != their.syntaxLen {
				t.Errorf("%s: %s: syntax length bound ours %d, slapd %d", f, our.label(), our.syntaxLen, their.syntaxLen)
			}
		}
	}
	t.Logf("compared %d definitions with slapd's cn=Subschema", compared)
}

func TestTokenizer(t *testing.T) {
	tests := []struct {
		in   string
		want *def
	}{
		{
			in: "attributetype ( 1.2.3 NAME ( 'a' 'b' ) DESC 'x (y) $ z' SUP name\n\tEQUALITY e ORDERING o SUBSTR s\n SYNTAX 1.1{64} SINGLE-VALUE NO-USER-MODIFICATION USAGE dSAOperation X-ORDERED 'VALUES' )\n",
			want: &def{oid: "1.2.3", names: []string{"a", "b"}, desc: "x (y) $ z", sup: []string{"name"},
				equality: "e", ordering: "o", substr: "s", syntax: "1.1", syntaxLen: 64, single: true,
				noUserMod: true, usage: "dSAOperation", kind: "STRUCTURAL"},
		},
		{
			in: "# comment\nobjectclass\t( 9.9 NAME 'c'\n# inner comment\n  SUP ( a $ b ) AUXILIARY MUST x MAY ( y $ z ) )\n",
			want: &def{class: true, oid: "9.9", names: []string{"c"}, sup: []string{"a", "b"}, kind: "AUXILIARY",
				must: []string{"x"}, may: []string{"y", "z"}, usage: "userApplications"},
		},
	}
	for i, tc := range tests {
		defs, err := parseSchemaFile("t", []byte(tc.in))
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if len(defs) != 1 {
			t.Fatalf("%d: %d definitions", i, len(defs))
		}
		got := *defs[0]
		got.file, got.line = "", 0
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", *tc.want) {
			t.Errorf("%d:\ngot  %+v\nwant %+v", i, got, *tc.want)
		}
	}
	for _, bad := range []string{
		"attributetype 1.2.3 NAME 'x' )",
		"attributetype ( 1.2.3 NAME 'x )",
		"attributetype ( 1.2.3 BOGUS )",
		"objectclass ( 1.2.3 SYNTAX 1.1 )",
		"objectidentifier x 1.2",
	} {
		if _, err := parseSchemaFile("t", []byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
