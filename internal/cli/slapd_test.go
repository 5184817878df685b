package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hostdir/directory/password"
)

const (
	slapdPath      = "/usr/sbin/slapd"
	slapaddPath    = "/usr/sbin/slapadd"
	ldapwhoamiPath = "/usr/bin/ldapwhoami"
	ldapModuleDir  = "/usr/lib/ldap"
	coreSchema     = "/etc/ldap/schema/core.schema"
)

// rootpwCase is a database whose rootpw `hostdir passwd` makes.
type rootpwCase struct {
	args []string // passwd arguments besides -n -s secret
}

// userCase is an entry slapadd loads with a userPassword value.
type userCase struct {
	name   string
	stored string
	tries  map[string]bool // secret -> does slapd accept it
}

// TestSlapdBind is the other direction of the interoperability tests: the
// real slapd checks rootpw values made by Passwd and userPassword values
// made by password.Hash (loaded with slapadd), and must agree with
// password.Verify on every attempt.
func TestSlapdBind(t *testing.T) {
	for _, p := range []string{slapdPath, slapaddPath, ldapwhoamiPath, coreSchema, filepath.Join(ldapModuleDir, "back_mdb.la")} {
		needDebianProgram(t, p)
	}
	const secret = "s3cret pässword!"
	const wrong = "x" + secret // differs in the first 8 bytes, for DES
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()

	rootCases := []rootpwCase{
		{args: nil}, // default {SSHA}
		{args: []string{"-h", "{SHA}"}},
		{args: []string{"-h", "{SMD5}"}},
		{args: []string{"-h", "{MD5}"}},
		{args: []string{"-h", "{SSHA256}"}},
		{args: []string{"-h", "{SSHA384}"}},
		{args: []string{"-h", "{SSHA512}"}},
		{args: []string{"-h", "{SHA256}"}},
		{args: []string{"-h", "{SHA384}"}},
		{args: []string{"-h", "{SHA512}"}},
		{args: []string{"-h", "{CRYPT}"}},
		{args: []string{"-h", "{CRYPT}", "-c", "$6$rounds=10000$%.16s"}},
		{args: []string{"-h", "{CRYPT}", "-c", "$5$%.16s"}},
		{args: []string{"-h", "{CRYPT}", "-c", "$1$%.8s"}},
		{args: []string{"-h", "{CRYPT}", "-c", "$2b$05$%.22s"}},
		{args: []string{"-h", "{CRYPT}", "-c", "%.2s"}},
		{args: []string{"-h", "{CRYPT}", "-c", "%s"}},
		{args: []string{"-h", "{ARGON2}"}},
		{args: []string{"-h", "{CLEARTEXT}"}},
	}
	rootpw := make([]string, len(rootCases))
	for i, rc := range rootCases {
		args := append(append([]string{"-n"}, rc.args...), "-s", secret)
		code, out, errOut := runPasswd(t, "", args...)
		if code != 0 {
			t.Fatalf("Passwd %q: exit %d: %s", args, code, errOut)
		}
		rootpw[i] = out
	}

	users := userCases(t, secret, wrong)
	conf := writeSlapdConf(t, dir, rootpw)
	writeUsers(ctx, t, dir, conf, users)
	url := startSlapd(ctx, t, dir, conf)

	for i, rc := range rootCases {
		bindDN := fmt.Sprintf("cn=Manager,dc=r%d", i)
		if i == 0 {
			bindDN = "cn=Manager,dc=example"
		}
		t.Run(fmt.Sprintf("rootpw %d %s", i, strings.Join(rc.args, " ")), func(t *testing.T) {
			if ok, msg := ldapBind(ctx, t, url, bindDN, secret); !ok {
				t.Errorf("bind as %s (rootpw %q) with the right password failed: %s", bindDN, rootpw[i], msg)
			}
			ok, msg := ldapBind(ctx, t, url, bindDN, wrong)
			if ok || !strings.Contains(msg, "Invalid credentials (49)") {
				t.Errorf("bind as %s with a wrong password: ok=%v %q", bindDN, ok, msg)
			}
		})
	}
	for i, u := range users {
		t.Run("userPassword "+u.name, func(t *testing.T) {
			bindDN := fmt.Sprintf("cn=u%d,dc=example", i)
			for try, want := range u.tries {
				got, msg := ldapBind(ctx, t, url, bindDN, try)
				ours, err := password.Verify(u.stored, []byte(try))
				if got != want || ours != want {
					t.Errorf("userPassword %q, password %q: slapd %v (%s), Verify %v (%v), want %v",
						u.stored, try, got, msg, ours, err, want)
				}
				if !got && !strings.Contains(msg, "Invalid credentials (49)") {
					t.Errorf("failed bind gave %q, want invalidCredentials", msg)
				}
			}
		})
	}
}

// userCases builds the userPassword values under test.
func userCases(t *testing.T, secret, wrong string) []userCase {
	t.Helper()
	hashed := []struct {
		scheme string
		h      password.Hasher
	}{
		{"{SSHA}", password.Hasher{}},
		{"{SHA}", password.Hasher{}},
		{"{SMD5}", password.Hasher{}},
		{"{MD5}", password.Hasher{}},
		{"{SSHA256}", password.Hasher{}},
		{"{SSHA384}", password.Hasher{}},
		{"{SSHA512}", password.Hasher{}},
		{"{SHA256}", password.Hasher{}},
		{"{SHA384}", password.Hasher{}},
		{"{SHA512}", password.Hasher{}},
		{"{CRYPT}", password.Hasher{}},
		{"{CRYPT}", password.Hasher{CryptSaltFormat: "$6$rounds=1000$%.4s"}},
		{"{CRYPT}", password.Hasher{CryptSaltFormat: "$5$rounds=5000$%.16s"}},
		{"{CRYPT}", password.Hasher{CryptSaltFormat: "$5$%.16s"}},
		{"{CRYPT}", password.Hasher{CryptSaltFormat: "$1$%.8s"}},
		{"{CRYPT}", password.Hasher{CryptSaltFormat: "$2b$04$%.22s"}},
		{"{CRYPT}", password.Hasher{CryptSaltFormat: "$2y$04$%.22s"}},
		{"{CRYPT}", password.Hasher{CryptSaltFormat: "%.2s"}},
		{"{CRYPT}", password.Hasher{CryptSaltFormat: "%s"}},
		{"{ARGON2}", password.Hasher{}},
		{"{ARGON2}", password.Hasher{Argon2: password.Argon2Params{Variant: "argon2i", Memory: 4096, Time: 3}}},
		{"{ARGON2}", password.Hasher{Argon2: password.Argon2Params{Variant: "argon2id", Memory: 8192, Time: 1, Threads: 2, SaltLen: 8, KeyLen: 16}}},
	}
	var cases []userCase
	for _, hc := range hashed {
		v, err := hc.h.Hash(hc.scheme, []byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		name := hc.scheme + hc.h.CryptSaltFormat + hc.h.Argon2.Variant
		cases = append(cases, userCase{name: name, stored: v, tries: map[string]bool{secret: true, wrong: false}})
	}
	ssha, _ := password.Hash("{SSHA}", []byte(secret))
	crypt, _ := password.Hash("{CRYPT}", []byte(secret))
	cases = append(cases,
		userCase{"lower-case {ssha}", "{ssha}" + ssha[len("{SSHA}"):], map[string]bool{secret: true, wrong: false}},
		userCase{"lower-case {crypt}", "{crypt}" + crypt[len("{CRYPT}"):], map[string]bool{secret: true, wrong: false}},
		userCase{"cleartext", secret, map[string]bool{secret: true, wrong: false}},
		userCase{"{CLEARTEXT} prefix", "{CLEARTEXT}" + secret, map[string]bool{secret: false, "{CLEARTEXT}" + secret: false}},
		userCase{"unknown scheme", "{BOGUS}" + secret, map[string]bool{secret: false, "{BOGUS}" + secret: false}},
		userCase{"{BCRYPT}", "{BCRYPT}" + crypt[len("{CRYPT}"):], map[string]bool{secret: false}},
		userCase{"empty braces", "{}" + secret, map[string]bool{"{}" + secret: true, secret: false}},
		userCase{"unclosed brace", "{" + secret, map[string]bool{"{" + secret: true, secret: false}},
		userCase{"bigcrypt slappasswd", "{CRYPT}ibyOm1NboCzzgTk3zDisD3hI", map[string]bool{"p@ss w0rd!$%": true, "p@ss w0rd!$": false}},
		userCase{"crypt locked", "{CRYPT}!" + crypt[len("{CRYPT}"):], map[string]bool{secret: false}},
		userCase{"sha-crypt rounds too low", "{CRYPT}$5$rounds=10$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC",
			map[string]bool{"the minimum number is still observed": false}},
		userCase{"bcrypt non-canonical salt", "{CRYPT}$2b$04$abcdefghijklmnopqrstuvPp7HPfoAs8I2dCQCQ/fW7zEJv8I8C8e", map[string]bool{"x": false}},
		userCase{"bcrypt canonical salt", "{CRYPT}$2b$04$abcdefghijklmnopqrstuuPp7HPfoAs8I2dCQCQ/fW7zEJv8I8C8e", map[string]bool{"x": true, "y": false}},
	)
	return cases
}

// writeSlapdConf writes a slapd.conf with database dc=example (rootpw[0])
// and one database dc=rN per further rootpw value.
func writeSlapdConf(t *testing.T, dir string, rootpw []string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "modulepath %s\nmoduleload back_mdb\n", ldapModuleDir)
	for _, m := range []string{"pw-sha2", "argon2"} {
		if _, err := os.Stat(filepath.Join(ldapModuleDir, m+".la")); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("slapd module %s missing: %v", m, err)
			}
			t.Skipf("slapd module %s missing: %v", m, err)
		}
		fmt.Fprintf(&b, "moduleload %s\n", m)
	}
	fmt.Fprintf(&b, "include %s\n", coreSchema)
	fmt.Fprintf(&b, "pidfile %s\nargsfile %s\n", filepath.Join(dir, "slapd.pid"), filepath.Join(dir, "slapd.args"))
	for i, pw := range rootpw {
		suffix := fmt.Sprintf("dc=r%d", i)
		if i == 0 {
			suffix = "dc=example"
		}
		db := filepath.Join(dir, fmt.Sprintf("db%d", i))
		if err := os.Mkdir(db, 0o700); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "\ndatabase mdb\nsuffix \"%s\"\nrootdn \"cn=Manager,%s\"\nrootpw \"%s\"\ndirectory %s\nmaxsize 1048576\n",
			suffix, suffix, pw, db)
	}
	conf := filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf
}

// writeUsers loads dc=example and one person entry per user case with
// slapadd.
func writeUsers(ctx context.Context, t *testing.T, dir, conf string, users []userCase) {
	t.Helper()
	var b strings.Builder
	b.WriteString("dn: dc=example\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: example\n")
	for i, u := range users {
		fmt.Fprintf(&b, "\ndn: cn=u%d,dc=example\nobjectClass: person\ncn: u%d\nsn: u%d\nuserPassword:: %s\n",
			i, i, i, base64.StdEncoding.EncodeToString([]byte(u.stored)))
	}
	ldif := filepath.Join(dir, "users.ldif")
	if err := os.WriteFile(ldif, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, slapaddPath, "-f", conf, "-b", "dc=example", "-l", ldif).CombinedOutput()
	if err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}
}

// startSlapd runs slapd on a free port until the test ends and returns its
// URL once it accepts connections.
func startSlapd(ctx context.Context, t *testing.T, dir, conf string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	url := "ldap://" + addr + "/"
	cmd := exec.Command(slapdPath, "-f", conf, "-h", url, "-d", "0")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("slapd output:\n%s", logs.String())
		}
	})
	for {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			return url
		}
		select {
		case err := <-exited:
			t.Fatalf("slapd exited: %v\n%s", err, logs.String())
		case <-ctx.Done():
			t.Fatalf("slapd did not start: %v\n%s", ctx.Err(), logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ldapBind runs ldapwhoami with a simple bind and reports whether it
// succeeded, with its output.
func ldapBind(ctx context.Context, t *testing.T, url, dn, pw string) (bool, string) {
	t.Helper()
	out, err := exec.CommandContext(ctx, ldapwhoamiPath, "-x", "-H", url, "-D", dn, "-w", pw).CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("ldapwhoami: %v", err)
	}
	return err == nil, strings.TrimSpace(string(out))
}
