package ldaputils

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"hostdir/directory/bootstrap"
	"hostdir/directory/password"
	"hostdir/internal/peers"
)

// TestServeFirstStart runs `hostdir serve` on its built-in default
// configuration with a new data directory, as the README's first command
// does: the banner, the HOWTO's base tree, the generated root password
// (shown once, stored hashed in DATA/rootpw, mode 0600), then a second
// start on the same data that shows no password.
func TestServeFirstStart(t *testing.T) {
	needClients(t)
	h := peers.StartHostdir(t, peers.HostdirOptions{Binary: hostdirBin, DebugLevel: "0"})
	out := h.Output()
	pw := h.RootPW
	if !regexp.MustCompile(`^[a-km-zA-HJ-NP-Z2-9]{16}$`).MatchString(pw) {
		t.Fatalf("generated password %q; output:\n%s", pw, out)
	}
	wantBanner := "hostdir: listening on " + h.URL + "\n" +
		"hostdir: first start: created dc=myhosting,dc=example, cn=Manager,dc=myhosting,dc=example, o=hosting,dc=myhosting,dc=example\n" +
		"hostdir: rootdn password (shown once): " + pw + "\n" +
		`hostdir: try: ldapsearch -x -H ` + h.URL + ` -D "cn=Manager,dc=myhosting,dc=example" -w ` + pw + ` -b "dc=myhosting,dc=example"` + "\n"
	if !strings.HasPrefix(out, wantBanner) {
		t.Errorf("banner:\n%s\nwant:\n%s", out, wantBanner)
	}
	fi, err := os.Stat(filepath.Join(h.DataDir, bootstrap.RootPWFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("rootpw file: %v %v", fi, err)
	}
	stored, _ := os.ReadFile(filepath.Join(h.DataDir, bootstrap.RootPWFile))
	if ok, err := password.Verify(strings.TrimSpace(string(stored)), []byte(pw)); !ok || !strings.HasPrefix(string(stored), "{SSHA}") {
		t.Errorf("rootpw file %q does not verify the password: %v", stored, err)
	}
	if strings.Contains(string(stored), pw) {
		t.Errorf("clear password stored")
	}
	// The try command of the banner works as printed.
	r := run(t, nil, "", "ldapsearch", "-x", "-H", h.URL, "-D", "cn=Manager,dc=myhosting,dc=example", "-w", pw, "-b", "dc=myhosting,dc=example", "-LLL", "(objectClass=*)")
	wantTree := "dn: dc=myhosting,dc=example\nobjectClass: top\nobjectClass: domain\ndc: myhosting\n\n" +
		"dn: cn=Manager,dc=myhosting,dc=example\nobjectClass: top\nobjectClass: organizationalRole\ncn: Manager\n\n" +
		"dn: o=hosting,dc=myhosting,dc=example\nobjectClass: top\nobjectClass: organization\no: hosting\n\n"
	if r.code != 0 || r.stdout != wantTree {
		t.Errorf("base tree: %s", r)
	}
	r = run(t, nil, "", "ldapsearch", "-x", "-H", h.URL, "-LLL", "-b", "dc=myhosting,dc=example", "-s", "base", "(objectClass=*)", "creatorsName", "structuralObjectClass")
	if !strings.Contains(r.stdout, "structuralObjectClass: domain\ncreatorsName: cn=Manager,dc=myhosting,dc=example\n") {
		t.Errorf("operational attributes of the base entry: %s", r)
	}
	h.Stop()
	if !strings.HasSuffix(h.Output(), "hostdir: shutting down\nhostdir: stopped\n") {
		t.Errorf("shutdown messages:\n%s", h.Output())
	}

	h2 := peers.StartHostdir(t, peers.HostdirOptions{Binary: hostdirBin, DebugLevel: "0", DataDir: h.DataDir})
	out2 := h2.Output()
	want2 := "hostdir: listening on " + h2.URL + "\n" +
		`hostdir: try: ldapsearch -x -H ` + h2.URL + ` -D "cn=Manager,dc=myhosting,dc=example" -W -b "dc=myhosting,dc=example"` + "\n" +
		"hostdir: (-W asks for the rootdn password shown on first start; for a new one, stop the server, remove " +
		filepath.Join(h.DataDir, bootstrap.RootPWFile) + " and start again)\n"
	if !strings.HasPrefix(out2, want2) || strings.Contains(out2, pw) {
		t.Errorf("second start banner:\n%s\nwant:\n%s", out2, want2)
	}
	r = run(t, nil, "", "ldapwhoami", "-x", "-H", h2.URL, "-D", "cn=Manager,dc=myhosting,dc=example", "-w", pw)
	if r.code != 0 || r.stdout != "dn:cn=Manager,dc=myhosting,dc=example\n" {
		t.Errorf("bind with the first start's password after a restart: %s", r)
	}
	r = run(t, nil, "", "ldapsearch", "-x", "-H", h2.URL, "-LLL", "-b", "dc=myhosting,dc=example", "(objectClass=*)", "1.1")
	if strings.Count(r.stdout, "dn: ") != 3 {
		t.Errorf("base tree created twice? %s", r)
	}
}

// hostdirCase is one client command against hostdir with what it must give.
type hostdirCase struct {
	name   string
	tool   string
	args   []string
	stdin  string
	code   int
	stdout []string // substrings, in order
	stderr []string
	env    []string
}

// TestClientsAgainstHostdir runs every ldap-utils client against hostdir
// alone (no slapd needed): the HOWTO's ldapadd of base.ldif into an empty
// directory, a Jamm tree, then searches, modifications, renames,
// compares, passwords and identities with their exit codes and texts.
func TestClientsAgainstHostdir(t *testing.T) {
	needClients(t)
	tf := makeCert(t, t.TempDir())
	h := peers.StartHostdir(t, peers.HostdirOptions{Binary: hostdirBin, LDAPI: true, LDAPS: true, Slapd: &peers.SlapdOptions{
		Schemas:      []string{repoFile(t, "schema/builtin/core.schema"), repoFile(t, "schema/builtin/cosine.schema"), repoFile(t, "schema/builtin/nis.schema"), repoFile(t, "schema/builtin/inetorgperson.schema")},
		ExtraSchemas: []string{repoFile(t, "schema/builtin/jamm.schema")},
		GlobalConfig: tf.globalConfig(),
	}})
	base, err := os.ReadFile(repoFile(t, "testdata/howto-base.ldif"))
	if err != nil {
		t.Fatal(err)
	}
	root := []string{"-x", "-H", h.URL, "-D", rootDN, "-w", rootPW}
	an := []string{"-x", "-H", h.URL}
	tlsEnv := []string{"LDAPTLS_CACERT=" + tf.ca, "LDAPTLS_REQCERT=demand"}
	tests := []hostdirCase{
		{name: "HOWTO base.ldif", tool: "ldapadd", args: root, stdin: string(base), stdout: []string{
			`adding new entry "dc=myhosting, dc=example"`, `adding new entry "cn=Manager, dc=myhosting, dc=example"`, `adding new entry "o=hosting, dc=myhosting, dc=example"`}},
		{name: "Jamm domain", tool: "ldapadd", args: root, stdin: newDomain, stdout: []string{`adding new entry "jvd=example.net,`, `adding new entry "mail=sales@example.net,`}},
		{name: "pretty DN", tool: "ldapsearch", args: append(an, "-LLL", "-b", hosting, "(mail=abuse@example.net)", "1.1"), stdout: []string{"dn: mail=abuse@example.net,jvd=example.net,o=hosting,dc=myhosting,dc=example\n"}},
		{name: "equality", tool: "ldapsearch", args: append(an, "-LLL", "-b", hosting, "(mail=FRANK@example.net)", "mailbox"), stdout: []string{"mailbox: example.net/frank/\n"}},
		{name: "substrings", tool: "ldapsearch", args: append(an, "-LLL", "-b", hosting, "(mail=*s@*.net)", "1.1"), stdout: []string{"dn: mail=sales@"}},
		{name: "ge le", tool: "ldapsearch", args: append(an, "-LLL", "-b", hosting, "(&(createTimestamp>=20000101000000Z)(createTimestamp<=99990101000000Z)(mail=frank@example.net))", "1.1"), stdout: []string{"dn: mail=frank@"}},
		{name: "presence", tool: "ldapsearch", args: append(an, "-LLL", "-b", hosting, "(roleOccupant=*)", "1.1"), stdout: []string{"dn: cn=postmaster,jvd=example.net"}},
		{name: "approx", tool: "ldapsearch", args: append(an, "-LLL", "-b", hosting, "(cn~=postmaster)", "1.1"), stdout: []string{"dn: cn=postmaster,jvd=example.net"}},
		{name: "extensible", tool: "ldapsearch", args: append(an, "-LLL", "-b", hosting, "(jvd:dn:=example.net)", "1.1"), stdout: []string{"dn: jvd=example.net", "dn: mail=sales@"}},
		{name: "and or not", tool: "ldapsearch", args: append(an, "-LLL", "-b", hosting, "(&(objectClass=JammMailAlias)(!(mail=abuse@*))(|(maildrop=frank@example.net)(cn=nobody)))", "1.1"), stdout: []string{"dn: mail=sales@"}},
		{name: "scope base", tool: "ldapsearch", args: append(an, "-LLL", "-s", "base", "-b", hosting, "(objectClass=*)", "o"), stdout: []string{"dn: o=hosting,dc=myhosting,dc=example\no: hosting\n"}},
		{name: "scope children", tool: "ldapsearch", args: append(an, "-LLL", "-s", "children", "-b", suffix, "(o=hosting)", "1.1"), stdout: []string{"dn: o=hosting,"}},
		{name: "size limit", tool: "ldapsearch", args: append(an, "-z", "2", "-b", hosting, "(objectClass=*)", "1.1"), code: 4, stdout: []string{"result: 4 Size limit exceeded", "# numEntries: 2"}},
		{name: "types only", tool: "ldapsearch", args: append(an, "-LLL", "-A", "-s", "base", "-b", hosting, "(objectClass=*)"), stdout: []string{"objectClass:\no:\n"}},
		{name: "paged", tool: "ldapsearch", args: append(an, "-E", "pr=2/noprompt", "-b", "jvd=example.net,"+hosting, "(objectClass=*)", "1.1"), stdout: []string{"with pagedResults control: size=2", "pagedresults: cookie=", "search: 3", "search: 4", "result: 0 Success"}},
		{name: "plus", tool: "ldapsearch", args: append(an, "-LLL", "-s", "base", "-b", hosting, "(objectClass=*)", "+"), stdout: []string{"structuralObjectClass: organization\nentryUUID: ", "hasSubordinates: TRUE"}},
		{name: "star", tool: "ldapsearch", args: append(an, "-LLL", "-s", "base", "-b", hosting, "(objectClass=*)", "*"), stdout: []string{"dn: o=hosting,dc=myhosting,dc=example\nobjectClass: top\nobjectClass: organization\no: hosting\n\n"}},
		{name: "modify increment", tool: "ldapmodify", args: root, stdin: "dn: mail=frank@example.net,jvd=example.net," + hosting + "\nchangetype: modify\nadd: uidNumber\nuidNumber: 1000\n-\nincrement: uidNumber\nuidNumber: 5\n", stdout: []string{"modifying entry"}},
		{name: "incremented", tool: "ldapsearch", args: append(an, "-LLL", "-b", hosting, "(uidNumber=1005)", "uidNumber"), stdout: []string{"uidNumber: 1005"}},
		{name: "modify 20", tool: "ldapmodify", args: root, stdin: "dn: mail=sales@example.net,jvd=example.net," + hosting + "\nchangetype: modify\nadd: maildrop\nmaildrop: frank@example.net\n", code: 20, stderr: []string{"ldap_modify: Type or value exists (20)"}},
		{name: "modify 16", tool: "ldapmodify", args: root, stdin: "dn: mail=sales@example.net,jvd=example.net," + hosting + "\nchangetype: modify\ndelete: maildrop\nmaildrop: x@example.net\n", code: 16, stderr: []string{"ldap_modify: No such attribute (16)"}},
		{name: "modify 65", tool: "ldapmodify", args: root, stdin: "dn: mail=sales@example.net,jvd=example.net," + hosting + "\nchangetype: modify\ndelete: maildrop\n", code: 65, stderr: []string{"ldap_modify: Object class violation (65)", "object class 'JammMailAlias' requires attribute 'maildrop'"}},
		{name: "delete 66", tool: "ldapdelete", args: append(root, "jvd=example.net,"+hosting), code: 66, stderr: []string{"ldap_delete: Operation not allowed on non-leaf (66)"}},
		{name: "modrdn -r", tool: "ldapmodrdn", args: append(root, "-r", "mail=sales@example.net,jvd=example.net,"+hosting, "mail=sales2@example.net")},
		{name: "renamed", tool: "ldapsearch", args: append(an, "-LLL", "-b", hosting, "(mail=sales*)", "mail"), stdout: []string{"dn: mail=sales2@example.net,jvd=example.net,o=hosting,dc=myhosting,dc=example\nmail: sales2@example.net\n\n"}},
		{name: "modrdn -s", tool: "ldapmodrdn", args: append(root, "-s", hosting, "mail=sales2@example.net,jvd=example.net,"+hosting, "mail=sales2@example.net")},
		{name: "moved", tool: "ldapsearch", args: append(an, "-LLL", "-s", "one", "-b", hosting, "(mail=sales2@example.net)", "1.1"), stdout: []string{"dn: mail=sales2@example.net,o=hosting,dc=myhosting,dc=example\n"}},
		{name: "delete", tool: "ldapdelete", args: append(root, "mail=sales2@example.net,"+hosting)},
		{name: "compare TRUE", tool: "ldapcompare", args: append(an, "jvd=example.net,"+hosting, "accountActive:TRUE"), code: 6, stdout: []string{"TRUE\n"}},
		{name: "compare FALSE", tool: "ldapcompare", args: append(an, "jvd=example.net,"+hosting, "delete:TRUE"), code: 5, stdout: []string{"FALSE\n"}},
		{name: "passwd -s", tool: "ldappasswd", args: append(root, "-s", "frankpw", "mail=frank@example.net,jvd=example.net,"+hosting)},
		{name: "whoami frank", tool: "ldapwhoami", args: append(an, "-D", "mail=frank@example.net,jvd=example.net,"+hosting, "-w", "frankpw"), stdout: []string{"dn:mail=frank@example.net,jvd=example.net,o=hosting,dc=myhosting,dc=example\n"}},
		{name: "passwd generate", tool: "ldappasswd", args: append(root, "mail=frank@example.net,jvd=example.net,"+hosting), stdout: []string{"New password: "}},
		{name: "whoami old password", tool: "ldapwhoami", args: append(an, "-D", "mail=frank@example.net,jvd=example.net,"+hosting, "-w", "frankpw"), code: 49, stderr: []string{"ldap_bind: Invalid credentials (49)"}},
		{name: "whoami anonymous", tool: "ldapwhoami", args: an, stdout: []string{"anonymous\n"}},
		{name: "starttls", tool: "ldapwhoami", args: []string{"-x", "-ZZ", "-H", h.URL, "-D", rootDN, "-w", rootPW}, env: tlsEnv, stdout: []string{"dn:cn=Manager,dc=myhosting,dc=example\n"}},
		{name: "starttls reqcert never", tool: "ldapwhoami", args: []string{"-x", "-ZZ", "-H", h.URL}, env: []string{"LDAPTLS_REQCERT=never"}, stdout: []string{"anonymous\n"}},
		{name: "starttls untrusted", tool: "ldapwhoami", args: []string{"-x", "-ZZ", "-H", h.URL}, env: []string{"LDAPTLS_REQCERT=demand", "LDAPTLS_CACERT=/dev/null"}, code: 1, stderr: []string{"ldap_start_tls: Connect error (-11)"}},
		{name: "ldaps", tool: "ldapsearch", args: []string{"-x", "-H", h.LDAPSURL, "-LLL", "-s", "base", "-b", hosting, "(objectClass=*)", "o"}, env: tlsEnv, stdout: []string{"o: hosting\n"}},
		{name: "ldaps whoami", tool: "ldapwhoami", args: []string{"-x", "-H", h.LDAPSURL, "-D", rootDN, "-w", rootPW}, env: tlsEnv, stdout: []string{"dn:cn=Manager,dc=myhosting,dc=example\n"}},
		{name: "ldapi", tool: "ldapwhoami", args: []string{"-x", "-H", h.LDAPIURL, "-D", rootDN, "-w", rootPW}, stdout: []string{"dn:cn=Manager,dc=myhosting,dc=example\n"}},
		{name: "ldapi search", tool: "ldapsearch", args: []string{"-x", "-H", h.LDAPIURL, "-LLL", "-s", "base", "-b", hosting, "(objectClass=*)", "o"}, stdout: []string{"o: hosting\n"}},
	}
	for _, tc := range tests {
		r := run(t, tc.env, tc.stdin, tc.tool, tc.args...)
		if r.code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s", tc.name, r.code, tc.code, r)
			continue
		}
		checkInOrder(t, tc.name+" stdout", r.stdout, tc.stdout)
		checkInOrder(t, tc.name+" stderr", r.stderr, tc.stderr)
	}
}

// checkInOrder reports the substrings of want missing from got in order.
func checkInOrder(t *testing.T, what, got string, want []string) {
	t.Helper()
	rest := got
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%s lacks %q (in order):\n%s", what, w, got)
			return
		}
		rest = rest[i+len(w):]
	}
}

// TestServeOptions checks the options of `hostdir serve` that refuse or
// change how it runs: -F, -T, -r, a bad -d, a port in use, pidfile and
// argsfile, SIGINT, and -u/-g (as root).
func TestServeOptions(t *testing.T) {
	refused := []struct {
		args []string
		msg  string
	}{
		{[]string{"-F", "/etc/ldap/slapd.d"}, "hostdir serve: -F: cn=config (slapd.d) directories are not supported"},
		{[]string{"-T", "a"}, "hostdir serve: -T a: slapd's tool mode: use hostdir import (slapadd)"},
		{[]string{"-r", "/var/chroot"}, "hostdir serve: -r: chroot is not supported"},
		{[]string{"-d", "bogus", "--data", t.TempDir()}, `hostdir: -d bogus: unknown debug level "bogus"`},
		{[]string{"-f", "/nonexistent/slapd.conf"}, "hostdir: /nonexistent/slapd.conf:0: cannot open configuration"},
		{[]string{"-h", "gopher://x/", "--data", t.TempDir()}, `unknown scheme "gopher"`},
		{[]string{"extra"}, `hostdir serve: unexpected argument "extra"`},
	}
	for _, tc := range refused {
		cmd := exec.Command(hostdirBin, append([]string{"serve"}, tc.args...)...)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), tc.msg) {
			t.Errorf("serve %v: %v\n%s\nwant exit 1 and %q", tc.args, err, out, tc.msg)
		}
	}

	// pidfile and argsfile, removed at shutdown; SIGINT stops cleanly.
	dir := t.TempDir()
	pid, argsf := filepath.Join(dir, "hostdir.pid"), filepath.Join(dir, "hostdir.args")
	conf := "include " + repoFile(t, "schema/builtin/core.schema") + "\npidfile " + pid + "\nargsfile " + argsf +
		"\ndatabase mdb\nsuffix \"dc=example\"\nrootdn \"cn=admin,dc=example\"\nrootpw secret\ndirectory " + filepath.Join(dir, "db") + "\n"
	h := peers.StartHostdir(t, peers.HostdirOptions{Binary: hostdirBin, Config: conf, DebugLevel: "0"})
	b, err := os.ReadFile(pid)
	if err != nil || strings.TrimSpace(string(b)) == "" {
		t.Fatalf("pidfile: %q %v", b, err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if a, err := os.ReadFile(argsf); err != nil || !strings.Contains(string(a), " serve ") {
		t.Errorf("argsfile: %q %v", a, err)
	}
	if err := syscall.Kill(n, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- h.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGINT: %v\n%s", err, h.Output())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no exit after SIGINT")
	}
	for _, p := range []string{pid, argsf} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left after shutdown: %v", p, err)
		}
	}
	if !strings.Contains(h.Output(), "hostdir: stopped\n") {
		t.Errorf("output:\n%s", h.Output())
	}

	// -u/-g: listeners opened as root, then the process runs as nobody.
	if os.Geteuid() != 0 {
		t.Log("not root: -u/-g not tested")
		return
	}
	top, err := os.MkdirTemp("", "hostdir-nobody")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(top) })
	data := filepath.Join(top, "data")
	if err := os.Chmod(top, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(data, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	hu := peers.StartHostdir(t, peers.HostdirOptions{Binary: hostdirBin, DataDir: data, DebugLevel: "0", Args: []string{"-u", "nobody", "-g", "nogroup"}})
	status, err := os.ReadFile("/proc/" + strconv.Itoa(hu.Pid()) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^Uid:\s+65534\s+65534`).Match(status) || !regexp.MustCompile(`(?m)^Gid:\s+65534\s+65534`).Match(status) {
		t.Errorf("not running as nobody/nogroup:\n%s", status)
	}
	if fi, err := os.Stat(filepath.Join(data, bootstrap.DBFile)); err != nil || fi.Sys().(*syscall.Stat_t).Uid != 65534 {
		t.Errorf("store not created by nobody: %v", err)
	}
	r := run(t, nil, "", "ldapwhoami", "-x", "-H", hu.URL, "-D", rootDN, "-w", hu.RootPW)
	if r.code != 0 {
		t.Errorf("bind to the server running as nobody: %s", r)
	}
}
