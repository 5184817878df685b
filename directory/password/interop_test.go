package password

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const slappasswdPath = "/usr/sbin/slappasswd"

// needProgram skips the test when a Debian program is missing, except on CI.
func needProgram(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required on CI: %v", path, err)
		}
		t.Skipf("%s not installed: %v", path, err)
	}
}

// slappasswd runs the real slappasswd and returns the value it prints.
func slappasswd(t *testing.T, secret string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, slappasswdPath, append(args, "-n", "-s", secret)...)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("slappasswd %q: %v %s", args, err, stderr)
	}
	return string(out)
}

// TestInteropSlappasswd hashes with the real slappasswd and verifies with
// Verify, for every scheme slappasswd offers here.
func TestInteropSlappasswd(t *testing.T) {
	needProgram(t, slappasswdPath)
	sha2 := []string{"-o", "module-load=pw-sha2.la"}
	tests := []struct {
		name   string
		args   []string
		prefix string
	}{
		{"SSHA", []string{"-h", "{SSHA}"}, "{SSHA}"},
		{"SHA", []string{"-h", "{SHA}"}, "{SHA}"},
		{"SMD5", []string{"-h", "{SMD5}"}, "{SMD5}"},
		{"MD5", []string{"-h", "{MD5}"}, "{MD5}"},
		{"CRYPT default (DES)", []string{"-h", "{CRYPT}"}, "{CRYPT}"},
		{"CRYPT DES %.2s", []string{"-h", "{CRYPT}", "-c", "%.2s"}, "{CRYPT}"},
		{"CRYPT $6$", []string{"-h", "{CRYPT}", "-c", "$6$%.16s"}, "{CRYPT}$6$"},
		{"CRYPT $6$ rounds", []string{"-h", "{CRYPT}", "-c", "$6$rounds=20000$%.16s"}, "{CRYPT}$6$rounds=20000$"},
		{"CRYPT $6$ short salt", []string{"-h", "{CRYPT}", "-c", "$6$%.3s"}, "{CRYPT}$6$"},
		{"CRYPT $5$", []string{"-h", "{CRYPT}", "-c", "$5$%.16s"}, "{CRYPT}$5$"},
		{"CRYPT $5$ rounds", []string{"-h", "{CRYPT}", "-c", "$5$rounds=1000$%.16s"}, "{CRYPT}$5$rounds=1000$"},
		{"CRYPT $1$", []string{"-h", "{CRYPT}", "-c", "$1$%.8s"}, "{CRYPT}$1$"},
		{"CRYPT $1$ short salt", []string{"-h", "{CRYPT}", "-c", "$1$%.2s"}, "{CRYPT}$1$"},
		{"CRYPT $2b$", []string{"-h", "{CRYPT}", "-c", "$2b$06$%.22s"}, "{CRYPT}$2b$06$"},
		{"CRYPT $2y$", []string{"-h", "{CRYPT}", "-c", "$2y$05$%.22s"}, "{CRYPT}$2y$05$"},
		{"CRYPT $2a$", []string{"-h", "{CRYPT}", "-c", "$2a$04$%.22s"}, "{CRYPT}$2a$04$"},
		{"SSHA256", append([]string{"-h", "{SSHA256}"}, sha2...), "{SSHA256}"},
		{"SSHA384", append([]string{"-h", "{SSHA384}"}, sha2...), "{SSHA384}"},
		{"SSHA512", append([]string{"-h", "{SSHA512}"}, sha2...), "{SSHA512}"},
		{"SHA256", append([]string{"-h", "{SHA256}"}, sha2...), "{SHA256}"},
		{"SHA384", append([]string{"-h", "{SHA384}"}, sha2...), "{SHA384}"},
		{"SHA512", append([]string{"-h", "{SHA512}"}, sha2...), "{SHA512}"},
		{"ARGON2 defaults", []string{"-h", "{ARGON2}", "-o", "module-load=argon2.la"}, "{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$"},
		{"ARGON2 params", []string{"-h", "{ARGON2}", "-o", "module-load=argon2.la m=8192 t=2 p=2"}, "{ARGON2}$argon2i$v=19$m=8192,t=2,p=2$"},
	}
	secrets := []string{"secret", "p@ss w0rd!$%", "ünïcødé ✓", strings.Repeat("0123456789", 10)}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, secret := range secrets {
				v := slappasswd(t, secret, tc.args...)
				if !strings.HasPrefix(v, tc.prefix) {
					t.Fatalf("slappasswd %q gave %q, want prefix %q", tc.args, v, tc.prefix)
				}
				if ok, err := Verify(v, []byte(secret)); !ok || err != nil {
					t.Errorf("Verify(%q, %q) = %v, %v; want true", v, secret, ok, err)
				}
				wrong := "x" + secret
				if ok, err := Verify(v, []byte(wrong)); ok || err != nil {
					t.Errorf("Verify(%q, %q) = %v, %v; want false, nil", v, wrong, ok, err)
				}
			}
		})
	}
}
