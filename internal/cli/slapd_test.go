package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hostdir/directory/password"
	"hostdir/internal/peers"
)

const ldapwhoamiPath = "/usr/bin/ldapwhoami"

// coreSchema is the only schema the interoperability databases need.
var coreSchema = filepath.Join(peers.DebianSchemaDir, "core.schema")

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
	for _, p := range []string{peers.SlapdPath, peers.SlapaddPath, ldapwhoamiPath, coreSchema, filepath.Join(peers.SlapdModulePath, "back_mdb.la")} {
		needDebianProgram(t, p)
	}
	const secret = "s3cret pässword!"
	const wrong = "x" + secret // differs in the first 8 bytes, for DES
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

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
	url := peers.StartSlapd(t, slapdOptions(t, rootpw, users)).URL

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

// slapdOptions describe a slapd with database dc=example (rootpw[0])
// holding one person entry per user case, and one database dc=rN per
// further rootpw value.
func slapdOptions(t *testing.T, rootpw []string, users []userCase) peers.SlapdOptions {
	t.Helper()
	modules := []string{"pw-sha2", "argon2"}
	for _, m := range modules {
		if _, err := os.Stat(filepath.Join(peers.SlapdModulePath, m+".la")); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("slapd module %s missing: %v", m, err)
			}
			t.Skipf("slapd module %s missing: %v", m, err)
		}
	}
	var dbs []peers.SlapdDatabase
	for i, pw := range rootpw[1:] {
		suffix := fmt.Sprintf("dc=r%d", i+1)
		dbs = append(dbs, peers.SlapdDatabase{Suffix: suffix, RootDN: "cn=Manager," + suffix, RootPW: pw})
	}
	var b strings.Builder
	b.WriteString("dn: dc=example\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: example\n")
	for i, u := range users {
		fmt.Fprintf(&b, "\ndn: cn=u%d,dc=example\nobjectClass: person\ncn: u%d\nsn: u%d\nuserPassword:: %s\n",
			i, i, i, base64.StdEncoding.EncodeToString([]byte(u.stored)))
	}
	return peers.SlapdOptions{
		Suffix:    "dc=example",
		RootDN:    "cn=Manager,dc=example",
		RootPW:    rootpw[0],
		Schemas:   []string{coreSchema},
		Indexes:   []string{},
		Modules:   modules,
		Databases: dbs,
		LDIF:      b.String(),
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
