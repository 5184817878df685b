package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hostdir/directory/bootstrap"
	"hostdir/directory/store"
	"hostdir/internal/peers"
)

// repoFile returns the path of a file of the repository.
func repoFile(t testing.TB, rel string) string {
	t.Helper()
	return filepath.Join(peers.RepoRoot(t), rel)
}

// runImport runs Import in-process.
func runImport(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Import(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// runExport runs Export in-process.
func runExport(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Export(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeLDIF writes text into dir/name and returns the path.
func writeLDIF(t testing.TB, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// volatile matches the operational values that differ from load to load.
var volatile = regexp.MustCompile(`(?m)^(entryUUID|entryCSN|createTimestamp|modifyTimestamp): .*$`)

func mask(s string) string { return volatile.ReplaceAllString(s, "$1: *") }

func TestImportExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	data1, data2 := filepath.Join(dir, "d1"), filepath.Join(dir, "d2")
	code, _, errOut := runImport(t, "--data", data1, "-l", repoFile(t, "testdata/delivery-tree.ldif"))
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	code, out1, errOut := runExport(t, "--data", data1)
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out1, "dn: dc=myhosting,dc=example\nobjectClass: top\nobjectClass: domain\ndc: myhosting\nstructuralObjectClass: domain\nentryUUID: ") {
		t.Errorf("export starts with:\n%.300s", out1)
	}
	if !strings.HasSuffix(out1, "Z\n\n") {
		t.Errorf("export does not end every entry with an empty line: %q", out1[len(out1)-40:])
	}
	for _, want := range []string{
		"\ncreatorsName: cn=Manager,dc=myhosting,dc=example\n",
		"\ndn: mail=alice@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example\n",
		"\nuserPassword:: e1NTSEF9dUpEZDBCSWRKOVo3eURDWk5XZGdZZWIzMytjQkFnTUU=\n",
	} {
		if !strings.Contains(out1, want) {
			t.Errorf("export lacks %q", want)
		}
	}
	// The export loads back and exports identically (operational
	// attributes kept as they are).
	p := writeLDIF(t, dir, "out1.ldif", out1)
	if code, _, errOut := runImport(t, "--data", data2, "-l", p); code != 0 {
		t.Fatalf("re-import: exit %d: %s", code, errOut)
	}
	_, out2, _ := runExport(t, "--data", data2)
	if out1 != out2 {
		t.Errorf("export of the re-import differs:\n%s\n---\n%s", out1, out2)
	}
	// -l writes a file of mode 0600.
	outFile := filepath.Join(dir, "x.ldif")
	if code, _, errOut := runExport(t, "--data", data2, "-l", outFile); code != 0 {
		t.Fatalf("export -l: %s", errOut)
	}
	if fi, err := os.Stat(outFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("export -l file: %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(outFile); string(b) != out1 {
		t.Errorf("export -l content differs from stdout")
	}
}

func TestImportPrettyDNAndNames(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d")
	code, out, errOut := runImport(t, "--data", data, "-v", "-l", repoFile(t, "testdata/howto-base.ldif"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	wantV := "added: \"dc=myhosting,dc=example\" (00000001)\n" +
		"added: \"cn=Manager,dc=myhosting,dc=example\" (00000002)\n" +
		"added: \"o=hosting,dc=myhosting,dc=example\" (00000003)\n"
	if out != wantV {
		t.Errorf("-v output:\n%s\nwant:\n%s", out, wantV)
	}
	_, exp, _ := runExport(t, "--data", data)
	want := `dn: dc=myhosting,dc=example
objectClass: top
objectClass: domain
dc: myhosting
structuralObjectClass: domain
entryUUID: *
creatorsName: cn=Manager,dc=myhosting,dc=example
createTimestamp: *
entryCSN: *
modifiersName: cn=Manager,dc=myhosting,dc=example
modifyTimestamp: *

dn: cn=Manager,dc=myhosting,dc=example
objectClass: top
objectClass: organizationalRole
cn: Manager
structuralObjectClass: organizationalRole
entryUUID: *
creatorsName: cn=Manager,dc=myhosting,dc=example
createTimestamp: *
entryCSN: *
modifiersName: cn=Manager,dc=myhosting,dc=example
modifyTimestamp: *

dn: o=hosting,dc=myhosting,dc=example
objectClass: top
objectClass: organization
o: hosting
structuralObjectClass: organization
entryUUID: *
creatorsName: cn=Manager,dc=myhosting,dc=example
createTimestamp: *
entryCSN: *
modifiersName: cn=Manager,dc=myhosting,dc=example
modifyTimestamp: *

`
	if got := mask(exp); got != want {
		t.Errorf("export:\n%s\nwant:\n%s", got, want)
	}
	csn := regexp.MustCompile(`(?m)^entryCSN: \d{14}\.\d{6}Z#[0-9a-f]{6}#000#000000$`)
	if n := len(csn.FindAllString(exp, -1)); n != 3 {
		t.Errorf("%d entryCSN values in slapd's form, want 3:\n%s", n, exp)
	}
	uuid := regexp.MustCompile(`(?m)^entryUUID: [0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if n := len(uuid.FindAllString(exp, -1)); n != 3 {
		t.Errorf("%d entryUUID values, want 3", n)
	}
}

// jvdBad has, from line 10 on (after base3): a domain with a value its
// syntax refuses, one with two values of a single-valued type, one with a
// duplicate value: slapadd loads the first and the third by default
// (value-check=no) and refuses the second.
const jvdBad = `dn: jvd=a.example,o=hosting,dc=myhosting,dc=example
objectClass: JammVirtualDomain
jvd: a.example
accountActive: yes
delete: FALSE
lastChange: 1
editAccounts: TRUE
editPostmasters: TRUE

dn: jvd=b.example,o=hosting,dc=myhosting,dc=example
objectClass: JammVirtualDomain
jvd: b.example
accountActive: TRUE
accountActive: FALSE
delete: FALSE
lastChange: 1
editAccounts: TRUE
editPostmasters: TRUE

dn: jvd=c.example,o=hosting,dc=myhosting,dc=example
objectClass: JammVirtualDomain
jvd: c.example
jvd: c.example
accountActive: TRUE
delete: FALSE
lastChange: 1
editAccounts: TRUE
editPostmasters: TRUE
`

const base3 = `dn: dc=myhosting,dc=example
objectClass: top
objectClass: domain
dc: myhosting

dn: o=hosting,dc=myhosting,dc=example
objectClass: organization
o: hosting

`

func TestImportErrors(t *testing.T) {
	tests := []struct {
		name   string
		ldif   string
		args   []string
		code   int
		stderr []string // substrings, in order
		added  int      // entries in the store afterwards
	}{
		{name: "schema violation stops", ldif: base3 + "dn: ou=z,dc=myhosting,dc=example\nobjectClass: organizationalUnit\nou: z\nuid: x\n\ndn: ou=y,dc=myhosting,dc=example\nobjectClass: organizationalUnit\n",
			code: 1, stderr: []string{`in.ldif:10: dn="ou=z,dc=myhosting,dc=example": (65) attribute 'uid' not allowed`, "stopped at the first error (-c goes on); 2 entries added before it"}, added: 2},
		{name: "continue", ldif: base3 + "dn: ou=z,dc=myhosting,dc=example\nobjectClass: organizationalUnit\nou: z\nuid: x\n\ndn: ou=y,dc=myhosting,dc=example\nobjectClass: organizationalUnit\n",
			args: []string{"-c"}, code: 0, stderr: []string{`in.ldif:10: dn="ou=z`}, added: 3},
		{name: "duplicate", ldif: base3 + base3, args: []string{"-c"}, code: 0,
			stderr: []string{`in.ldif:10: could not add entry dn="dc=myhosting,dc=example": (68) an entry with this DN already exists`,
				`in.ldif:15: could not add entry dn="o=hosting,dc=myhosting,dc=example": (68)`}, added: 2},
		{name: "missing parent", ldif: base3 + "dn: ou=x,o=nope,dc=myhosting,dc=example\nobjectClass: organizationalUnit\nou: x\n",
			code: 1, stderr: []string{`in.ldif:10: could not add entry dn="ou=x,o=nope,dc=myhosting,dc=example": (32) parent does not exist`}, added: 2},
		{name: "outside suffix", ldif: "dn: dc=other\nobjectClass: domain\ndc: other\n",
			code: 1, stderr: []string{`in.ldif:1: database #1 (dc=myhosting,dc=example) not configured to hold "dc=other"; no database configured for that naming context`}},
		{name: "undefined type", ldif: base3 + "dn: ou=z,dc=myhosting,dc=example\nobjectClass: organizationalUnit\nfoo: bar\n",
			code: 1, stderr: []string{`in.ldif:10: dn="ou=z,dc=myhosting,dc=example": (17) foo: attribute type undefined`}, added: 2},
		{name: "changetype modify", ldif: base3 + "dn: o=hosting,dc=myhosting,dc=example\nchangetype: modify\nreplace: o\no: x\n",
			code: 1, stderr: []string{`in.ldif:10: could not parse entry: changetype modify`}, added: 2},
		{name: "syntax not checked by default", ldif: base3 + jvdBad, code: 1,
			stderr: []string{`in.ldif:19: dn="jvd=b.example`, "3 entries added before it"}, added: 3},
		{name: "value-check syntax", ldif: base3 + jvdBad, args: []string{"-o", "value-check=yes"},
			code: 1, stderr: []string{`in.ldif:10: dn="jvd=a.example,o=hosting,dc=myhosting,dc=example": (21) accountActive: value #0 invalid per syntax`}, added: 2},
		{name: "value-check duplicates", ldif: base3 + jvdBad, args: []string{"-c", "-o", "value-check=yes"},
			code: 0, stderr: []string{`(21) accountActive`, `in.ldif:29: dn="jvd=c.example,o=hosting,dc=myhosting,dc=example": (20) jvd: value #0 provided more than once`}, added: 2},
		{name: "single-valued", ldif: base3 + jvdBad, args: []string{"-c"},
			code: 0, stderr: []string{`in.ldif:19: dn="jvd=b.example,o=hosting,dc=myhosting,dc=example": (19) attribute 'accountActive' cannot have multiple values`}, added: 4},
		{name: "bad ldif", ldif: base3 + "dn: ou=a,dc=myhosting,dc=example\nobjectClass organizationalUnit\n",
			code: 1, stderr: []string{"in.ldif:11: could not parse entry"}, added: 2},
		{name: "no schema check", ldif: base3 + "dn: ou=z,dc=myhosting,dc=example\nobjectClass: organizationalUnit\nou: z\nuid: x\n",
			args: []string{"-s"}, code: 0, added: 3},
		{name: "dry run", ldif: base3, args: []string{"-u"}, code: 0, added: 0},
		{name: "skip lines", ldif: base3 + "dn: ou=z,dc=myhosting,dc=example\nobjectClass: organizationalUnit\nou: z\n", args: []string{"-j", "6"}, code: 1,
			stderr: []string{`in.ldif:6: could not add entry dn="o=hosting,dc=myhosting,dc=example": (32) parent does not exist`}},
		{name: "-F refused", args: []string{"-F", "/etc/ldap/slapd.d"}, code: 1, stderr: []string{"cn=config (slapd.d) directories are not supported"}},
		{name: "-n 0 refused", args: []string{"-n", "0"}, code: 1, stderr: []string{"-n 0: database 0 is cn=config"}},
		{name: "-n 2", args: []string{"-n", "2"}, code: 1, stderr: []string{"database number 2: only 1 configured"}},
		{name: "-b other", args: []string{"-b", "dc=other"}, code: 1, stderr: []string{`no database configured for suffix "dc=other"`}},
		{name: "bad flag", args: []string{"-x"}, code: 1, stderr: []string{"flag provided but not defined: -x", "Usage: hostdir import"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "d")
			p := writeLDIF(t, dir, "in.ldif", tc.ldif)
			args := append([]string{"--data", data, "-l", p}, tc.args...)
			code, _, errOut := runImport(t, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, errOut)
			}
			rest := errOut
			for _, s := range tc.stderr {
				i := strings.Index(rest, s)
				if i < 0 {
					t.Errorf("stderr lacks %q (in order):\n%s", s, errOut)
					break
				}
				rest = rest[i+len(s):]
			}
			if _, err := os.Stat(bootstrap.DBPath(data)); err != nil {
				if tc.added != 0 {
					t.Errorf("no store: %v", err)
				}
				return
			}
			_, out, _ := runExport(t, "--data", data)
			if n := strings.Count(out, "\ndn: ") + strings.Count(out[:min(len(out), 4)], "dn: "); n != tc.added {
				t.Errorf("%d entries stored, want %d:\n%s", n, tc.added, out)
			}
		})
	}
}

func TestImportRefusesLockedStore(t *testing.T) {
	dir := t.TempDir()
	cfg, err := bootstrap.LoadConfig("", dir)
	if err != nil {
		t.Fatal(err)
	}
	db, _, err := bootstrap.OpenStore(cfg, cfg.Databases[0], store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p := writeLDIF(t, t.TempDir(), "in.ldif", base3)
	start := time.Now()
	code, _, errOut := runImport(t, "--data", dir, "-l", p)
	if code != 1 || !strings.Contains(errOut, "database is in use by another process (is `hostdir serve` running? stop it first)") {
		t.Errorf("import into a locked store: exit %d: %s", code, errOut)
	}
	if el := time.Since(start); el < bootstrap.LockTimeout-200*time.Millisecond || el > bootstrap.LockTimeout+3*time.Second {
		t.Errorf("gave up after %v, want about %v", el, bootstrap.LockTimeout)
	}
	code, _, errOut = runExport(t, "--data", dir)
	if code != 1 || !strings.Contains(errOut, "database is in use") {
		t.Errorf("export of a locked store: exit %d: %s", code, errOut)
	}
}

func TestExportSelections(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d")
	if code, _, errOut := runImport(t, "--data", data, "-q", "-l", repoFile(t, "testdata/delivery-tree.ldif")); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	tests := []struct {
		name  string
		args  []string
		code  int
		first string // first DN
		n     int    // entries; -1: don't check
		err   string
	}{
		{name: "all", first: "dc=myhosting,dc=example", n: -1},
		{name: "filter", args: []string{"-a", "(&(objectClass=JammMailAccount)(mail=alice@*))"}, first: "mail=alice@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example", n: 1},
		{name: "subtree", args: []string{"-s", "jvd=example.org,o=hosting,dc=myhosting,dc=example"}, first: "jvd=example.org,o=hosting,dc=myhosting,dc=example", n: -1},
		{name: "subtree missing", args: []string{"-s", "jvd=nope,o=hosting,dc=myhosting,dc=example"}, code: 1, err: "-s: no such entry"},
		{name: "bad filter", args: []string{"-a", "(cn=x"}, code: 1, err: `-a "(cn=x"`},
		{name: "wrap no", args: []string{"-o", "ldif-wrap=no", "-a", "(mail=alice@example.com)"}, first: "mail=alice@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example", n: 1},
		{name: "wrap bad", args: []string{"-o", "ldif-wrap=x"}, code: 1, err: "ldif-wrap=x"},
		{name: "by suffix", args: []string{"-b", "dc=myhosting,dc=example"}, first: "dc=myhosting,dc=example", n: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runExport(t, append([]string{"--data", data}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut)
			}
			if tc.err != "" && !strings.Contains(errOut, tc.err) {
				t.Errorf("stderr %q lacks %q", errOut, tc.err)
			}
			if tc.code != 0 {
				return
			}
			if !strings.HasPrefix(out, "dn: "+tc.first+"\n") {
				t.Errorf("first entry: %.120s", out)
			}
			if n := strings.Count(out, "\n\n"); tc.n >= 0 && n != tc.n {
				t.Errorf("%d entries, want %d", n, tc.n)
			}
			if tc.name == "wrap no" && strings.Contains(out, "\n ") {
				t.Errorf("folded lines with ldif-wrap=no")
			}
		})
	}
}

func TestParentsFirst(t *testing.T) {
	tests := []struct {
		name string
		in   []exportRef
		want []uint64
	}{
		{"id order", []exportRef{{3, "c=3,b=2,a=1"}, {1, "a=1"}, {2, "b=2,a=1"}}, []uint64{1, 2, 3}},
		{"moved under newer", []exportRef{{1, "a=1"}, {2, "x=2,y=5,a=1"}, {3, "z=3,x=2,y=5,a=1"}, {4, "b=4,a=1"}, {5, "y=5,a=1"}}, []uint64{1, 4, 5, 2, 3}},
		{"parent outside", []exportRef{{7, "x=7,q=9"}, {8, "y=8,x=7,q=9"}}, []uint64{7, 8}},
		{"empty", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []uint64
			for _, r := range parentsFirst(tc.in) {
				got = append(got, r.id)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// slapTools are the Debian programs the interoperability tests run.
var slapTools = []string{peers.SlapaddPath, "/usr/sbin/slapcat", "/etc/ldap/schema/core.schema", "/usr/lib/ldap/back_mdb.la"}

// writeSlapConf writes a slapd.conf for slapadd/slapcat and for hostdir
// (which accepts modulepath/moduleload) with its database in dir/db.
func writeSlapConf(t testing.TB, dir string) string {
	t.Helper()
	db := filepath.Join(dir, "db")
	if err := os.MkdirAll(db, 0o700); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range peers.DefaultSchemas() {
		fmt.Fprintf(&b, "include %s\n", s)
	}
	fmt.Fprintf(&b, "include %s\n", repoFile(t, "schema/builtin/jamm.schema"))
	fmt.Fprintf(&b, "modulepath %s\nmoduleload back_mdb\n", peers.SlapdModulePath)
	fmt.Fprintf(&b, "database mdb\nmaxsize 268435456\nsuffix \"dc=myhosting,dc=example\"\n")
	fmt.Fprintf(&b, "rootdn \"cn=Manager,dc=myhosting,dc=example\"\nrootpw secret\ndirectory %s\n", db)
	b.WriteString("index objectClass pres,eq\nindex mail,cn eq,sub\n")
	p := filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func runTool(t testing.TB, name string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// TestSlapcatToImport: slapcat's output of a slapadd'ed tree, imported by
// hostdir, exports byte for byte as slapcat printed it.
func TestSlapcatToImport(t *testing.T) {
	for _, p := range slapTools {
		needDebianProgram(t, p)
	}
	dir := t.TempDir()
	conf := writeSlapConf(t, dir)
	runTool(t, peers.SlapaddPath, "-f", conf, "-l", repoFile(t, "testdata/delivery-tree.ldif"))
	cat := runTool(t, "/usr/sbin/slapcat", "-f", conf)
	p := writeLDIF(t, dir, "slapcat.ldif", cat)
	data := filepath.Join(dir, "hd")
	if code, _, errOut := runImport(t, "-f", conf, "--data", data, "-l", p); code != 0 {
		t.Fatalf("import of slapcat output: %s", errOut)
	}
	_, out, _ := runExport(t, "-f", conf, "--data", data)
	if out != cat {
		t.Errorf("hostdir export differs from slapcat:\n%s", diffLines(cat, out))
	}
	// Imported without operational attributes, by both: same LDIF once
	// the volatile values are masked.
	data2 := filepath.Join(dir, "hd2")
	if code, _, errOut := runImport(t, "-f", conf, "--data", data2, "-l", repoFile(t, "testdata/delivery-tree.ldif")); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	_, out2, _ := runExport(t, "-f", conf, "--data", data2)
	if mask(out2) != mask(cat) {
		t.Errorf("hostdir import+export differs from slapadd+slapcat (masked):\n%s", diffLines(mask(cat), mask(out2)))
	}
}

// TestExportToSlapadd: hostdir's export loads into slapd's mdb with
// slapadd, and slapcat gives it back unchanged.
func TestExportToSlapadd(t *testing.T) {
	for _, p := range slapTools {
		needDebianProgram(t, p)
	}
	dir := t.TempDir()
	conf := writeSlapConf(t, dir)
	data := filepath.Join(dir, "hd")
	if code, _, errOut := runImport(t, "-f", conf, "--data", data, "-l", repoFile(t, "testdata/delivery-tree.ldif")); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	code, out, errOut := runExport(t, "-f", conf, "--data", data)
	if code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	p := writeLDIF(t, dir, "export.ldif", out)
	runTool(t, peers.SlapaddPath, "-f", conf, "-l", p)
	cat := runTool(t, "/usr/sbin/slapcat", "-f", conf)
	if cat != out {
		t.Errorf("slapcat after slapadd of hostdir's export differs:\n%s", diffLines(out, cat))
	}
}

// diffLines shows the first differing lines of two texts.
func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			lo := max(0, i-3)
			return fmt.Sprintf("line %d:\n- %s\n+ %s\ncontext (want):\n%s", i+1, x, y, strings.Join(al[lo:min(len(al), i+4)], "\n"))
		}
	}
	return "(identical)"
}

// genTree writes the HOWTO base tree and domains x accounts Jamm entries
// (each domain with its postmaster and abuse aliases), as in the
// design's benchmark: 100 x 100 gives about 10,000 accounts.
func genTree(t testing.TB, path string, domains, accounts int) int {
	t.Helper()
	var b bytes.Buffer
	n := 0
	add := func(s string) { b.WriteString(s); b.WriteString("\n"); n++ }
	add("dn: dc=myhosting,dc=example\nobjectClass: top\nobjectClass: domain\ndc: myhosting\n")
	add("dn: cn=Manager,dc=myhosting,dc=example\nobjectClass: top\nobjectClass: organizationalRole\ncn: Manager\n")
	add("dn: o=hosting,dc=myhosting,dc=example\nobjectClass: top\nobjectClass: organization\no: hosting\n")
	for d := 0; d < domains; d++ {
		dom := fmt.Sprintf("domain%03d.example", d)
		base := "jvd=" + dom + ",o=hosting,dc=myhosting,dc=example"
		add(fmt.Sprintf("dn: %s\nobjectClass: top\nobjectClass: JammVirtualDomain\njvd: %s\npostfixTransport: virtual:\neditAccounts: TRUE\neditPostmasters: TRUE\naccountActive: TRUE\ndelete: FALSE\nlastChange: 1037812345\n", base, dom))
		add(fmt.Sprintf("dn: cn=postmaster,%s\nobjectClass: top\nobjectClass: JammMailAlias\nobjectClass: JammPostmaster\ncn: postmaster\nmail: postmaster@%s\nmaildrop: postmaster\nroleOccupant: cn=postmaster,%s\naccountActive: TRUE\nlastChange: 1037812345\n", base, dom, base))
		add(fmt.Sprintf("dn: mail=abuse@%s,%s\nobjectClass: top\nobjectClass: JammMailAlias\nmail: abuse@%s\nmaildrop: postmaster\naccountActive: TRUE\nlastChange: 1037812345\n", dom, base, dom))
		for a := 0; a < accounts; a++ {
			add(fmt.Sprintf("dn: mail=user%03d@%s,%s\nobjectClass: top\nobjectClass: JammMailAccount\nmail: user%03d@%s\nhomeDirectory: /home/vmail/domains\nmailbox: %s/user%03d/\nuserPassword: {SSHA}uJDd0BIdJ9Z7yDCZNWdgYeb33+cBAgME\naccountActive: TRUE\ndelete: FALSE\nlastChange: 1037812345\n", a, dom, base, a, dom, dom, a))
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportSpeed loads 100 domains x 100 accounts (10,303 entries) with
// hostdir import (with and without -q) and with slapadd -q and logs the
// times. It checks no speed and runs only when HOSTDIR_IMPORT_SPEED=1:
//
//	HOSTDIR_IMPORT_SPEED=1 go test -run TestImportSpeed -v ./internal/cli
func TestImportSpeed(t *testing.T) {
	if os.Getenv("HOSTDIR_IMPORT_SPEED") != "1" {
		t.Skip("set HOSTDIR_IMPORT_SPEED=1 to measure")
	}
	dir := t.TempDir()
	ldifPath := filepath.Join(dir, "tree.ldif")
	n := genTree(t, ldifPath, 100, 100)
	for _, mode := range []struct {
		name string
		args []string
	}{{"hostdir import", nil}, {"hostdir import -q", []string{"-q"}}} {
		data := filepath.Join(dir, strings.ReplaceAll(mode.name, " ", "_"))
		start := time.Now()
		code, _, errOut := runImport(t, append([]string{"--data", data, "-l", ldifPath}, mode.args...)...)
		el := time.Since(start)
		if code != 0 {
			t.Fatalf("%s: %s", mode.name, errOut)
		}
		t.Logf("%s: %d entries in %v (%.0f entries/s)", mode.name, n, el.Round(time.Millisecond), float64(n)/el.Seconds())
	}
	if _, err := os.Stat(peers.SlapaddPath); err != nil {
		t.Logf("slapadd not installed: no comparison")
		return
	}
	for _, q := range []bool{true} { // plain slapadd takes about a minute
		sdir := t.TempDir()
		conf := writeSlapConf(t, sdir)
		args := []string{"-f", conf, "-l", ldifPath}
		name := "slapadd"
		if q {
			args = append([]string{"-q"}, args...)
			name = "slapadd -q"
		}
		start := time.Now()
		runTool(t, peers.SlapaddPath, args...)
		el := time.Since(start)
		t.Logf("%s: %d entries in %v (%.0f entries/s)", name, n, el.Round(time.Millisecond), float64(n)/el.Seconds())
	}
}

// BenchmarkImport loads 100 domains x 100 accounts per iteration with -q.
func BenchmarkImport(b *testing.B) {
	dir := b.TempDir()
	ldifPath := filepath.Join(dir, "tree.ldif")
	n := genTree(b, ldifPath, 100, 100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		data := filepath.Join(dir, fmt.Sprint("d", i))
		if code, _, errOut := runImport(b, "--data", data, "-q", "-l", ldifPath); code != 0 {
			b.Fatal(errOut)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkImportHOWTO loads 100 domains x 100 accounts per iteration
// into a store with the HOWTO's indexes (objectClass pres,eq; mail,cn
// eq,sub), without -q, as hostdir-bench's import workload runs it.
func BenchmarkImportHOWTO(b *testing.B) {
	for _, mode := range []struct {
		name string
		args []string
	}{{"check", nil}, {"quick", []string{"-q"}}} {
		b.Run(mode.name, func(b *testing.B) {
			dir := b.TempDir()
			ldifPath := filepath.Join(dir, "tree.ldif")
			n := genTree(b, ldifPath, 100, 100)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				conf := writeSlapConf(b, filepath.Join(dir, fmt.Sprint("d", i)))
				args := append([]string{"-f", conf, "-l", ldifPath}, mode.args...)
				if code, _, errOut := runImport(b, args...); code != 0 {
					b.Fatal(errOut)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
