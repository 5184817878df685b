package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hostdir/directory/password"
)

// runPasswd runs Passwd with the given arguments and stdin.
func runPasswd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code = Passwd(ctx, args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeModeFile writes a file with the given mode in dir.
func writeModeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask
		t.Fatal(err)
	}
	return p
}

func TestPasswd(t *testing.T) {
	dir := t.TempDir()
	private := writeModeFile(t, dir, "private", "abc\n", 0o600)
	public := writeModeFile(t, dir, "public", "abc", 0o644)
	empty := writeModeFile(t, dir, "empty", "", 0o600)
	missing := filepath.Join(dir, "missing")

	tests := []struct {
		name       string
		args       []string
		stdin      string
		code       int
		stdout     string // exact, unless stdoutRE is set
		stdoutRE   string
		stderr     string // exact
		verifyWith string // check stdout (without newline) verifies this secret
	}{
		{name: "default SSHA", args: []string{"-s", "secret"}, stdoutRE: `^\{SSHA\}[A-Za-z0-9+/]{32}\n$`, verifyWith: "secret"},
		{name: "SHA", args: []string{"-h", "{SHA}", "-s", "abc"}, stdout: "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=\n"},
		{name: "lower-case scheme", args: []string{"-h", "{sha}", "-s", "abc"}, stdout: "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=\n"},
		{name: "attached args", args: []string{"-h{SHA}", "-sabc"}, stdout: "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=\n"},
		{name: "no newline", args: []string{"-n", "-h", "{MD5}", "-s", "secret"}, stdout: "{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ=="},
		{name: "clustered flags", args: []string{"-nuv", "-h", "{MD5}", "-s", "secret"}, stdout: "{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ=="},
		{name: "module options ignored", args: []string{"-o", "module-load=pw-sha2.la", "-o", "module-path=/usr/lib/ldap", "-h", "{SHA256}", "-s", "secret"}, stdout: "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=\n"},
		{name: "cleartext", args: []string{"-h", "{CLEARTEXT}", "-s", "secret"}, stdout: "secret\n"},
		{name: "file keeps newline", args: []string{"-h", "{SHA}", "-T", private}, stdout: "{SHA}A8/XQ2YfB5dfovEiDFGUy6/0hFE=\n"},
		{name: "public file warns", args: []string{"-h", "{SHA}", "-T", public}, stdout: "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=\n",
			stderr: "Warning: Password file " + public + " is publicly readable/writeable\n"},
		{name: "missing file", args: []string{"-T", missing}, code: 1, stderr: missing + ": no such file or directory\n"},
		{name: "empty file", args: []string{"-T", empty}, code: 1, stderr: "Password verification failed. \n"},
		{name: "empty secret", args: []string{"-s", ""}, code: 1, stderr: "Password verification failed. \n"},
		{name: "crypt md5", args: []string{"-h", "{CRYPT}", "-c", "$1$%.8s", "-s", "secret"}, stdoutRE: `^\{CRYPT\}\$1\$[./0-9A-Za-z]{8}\$[./0-9A-Za-z]{22}\n$`, verifyWith: "secret"},
		{name: "crypt default sha512", args: []string{"-h", "{CRYPT}", "-s", "secret"}, stdoutRE: `^\{CRYPT\}\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}\n$`, verifyWith: "secret"},
		{name: "crypt bad format", args: []string{"-h", "{CRYPT}", "-c", "%s%s", "-s", "x"}, code: 1,
			stderr: `Password generation failed for scheme {CRYPT}: password: hash {CRYPT}: malformed password hash: crypt salt format "%s%s": more than one %s conversion` + "\n"},
		{name: "argon2", args: []string{"-h", "{ARGON2}", "-s", "secret"}, stdoutRE: `^\{ARGON2\}\$argon2id\$v=19\$m=65536,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}\n$`, verifyWith: "secret"},
		{name: "generate", args: []string{"-g"}, stdoutRE: `^[a-km-zA-HJ-NP-Z2-9]{8}\n$`},
		{name: "generate ignores scheme", args: []string{"-g", "-h", "{SHA}", "-n"}, stdoutRE: `^[a-km-zA-HJ-NP-Z2-9]{8}$`},
		{name: "prompt", stdin: "abc\nabc\n", args: []string{"-h", "{SHA}"}, stdout: "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=\n",
			stderr: "New password: Re-enter new password: "},
		{name: "prompt last line without newline", stdin: "abc\nabc", args: []string{"-h", "{SHA}"}, stdout: "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=\n",
			stderr: "New password: Re-enter new password: "},
		{name: "prompt mismatch", stdin: "abc\nabd\n", code: 1,
			stderr: "New password: Re-enter new password: Password values do not match\n"},
		{name: "prompt no input", stdin: "", code: 1,
			stderr: "New password: hostdir passwd: no password given on standard input\n"},
		{name: "prompt one line", stdin: "abc\n", code: 1,
			stderr: "New password: Re-enter new password: hostdir passwd: no password given on standard input\n"},
		{name: "bad scheme", args: []string{"-h", "{BOGUS}", "-s", "x"}, code: 1,
			stderr: "Password generation failed for scheme {BOGUS}: scheme not recognized\n"},
		{name: "scheme without braces", args: []string{"-h", "SSHA", "-s", "x"}, code: 1,
			stderr: "Password generation failed for scheme SSHA: scheme not recognized\n"},
		{name: "BCRYPT is not a scheme", args: []string{"-h", "{BCRYPT}", "-s", "x"}, code: 1,
			stderr: "Password generation failed for scheme {BCRYPT}: scheme not recognized\n"},
		{name: "two secrets", args: []string{"-s", "a", "-s", "b"}, code: 1, stderr: "New password already provided\n"},
		{name: "two schemes", args: []string{"-h", "{SHA}", "-h", "{MD5}", "-s", "a"}, code: 1, stderr: "Scheme already provided\n"},
		{name: "file then secret", args: []string{"-T", private, "-s", "x"}, code: 1, stderr: "Option -s incompatible with -T\n"},
		{name: "file then generate", args: []string{"-T", private, "-g"}, code: 1, stderr: "Option -g incompatible with -T\n"},
		{name: "two files", args: []string{"-T", private, "-T", private}, code: 1, stderr: "Password file already provided\n"},
		{name: "secret then file", args: []string{"-s", "x", "-T", private}, code: 1, stderr: "Option -T incompatible with -s/-g\n" + passwdUsage},
		{name: "invalid option", args: []string{"-z"}, code: 1, stderr: "hostdir passwd: invalid option -- 'z'\n" + passwdUsage},
		{name: "missing argument", args: []string{"-s"}, code: 1, stderr: "hostdir passwd: option requires an argument -- 's'\n" + passwdUsage},
		{name: "operand", args: []string{"-s", "x", "extra"}, code: 1, stderr: passwdUsage},
		{name: "operand after --", args: []string{"--", "-s"}, code: 1, stderr: passwdUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runPasswd(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			if tc.stdoutRE != "" {
				if !regexp.MustCompile(tc.stdoutRE).MatchString(stdout) {
					t.Errorf("stdout %q does not match %s", stdout, tc.stdoutRE)
				}
			} else if stdout != tc.stdout {
				t.Errorf("stdout %q, want %q", stdout, tc.stdout)
			}
			if stderr != tc.stderr {
				t.Errorf("stderr %q, want %q", stderr, tc.stderr)
			}
			if tc.verifyWith != "" {
				if ok, err := password.Verify(strings.TrimSuffix(stdout, "\n"), []byte(tc.verifyWith)); !ok || err != nil {
					t.Errorf("Verify(%q) = %v, %v", stdout, ok, err)
				}
			}
		})
	}
}

func TestPasswdNilStdin(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Passwd(context.Background(), nil, nil, &out, &errOut); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if want := "New password: hostdir passwd: no password given on standard input\n"; errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut.String(), want)
	}
}

func TestPasswdCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pr, pw := io.Pipe() // a reader that blocks
	defer pw.Close()
	var out, errOut bytes.Buffer
	if code := Passwd(ctx, nil, pr, &out, &errOut); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(errOut.String(), "context canceled") {
		t.Errorf("stderr %q", errOut.String())
	}
}

const slappasswdBin = "/usr/sbin/slappasswd"

// needDebianProgram skips the test when a Debian program is missing, except on CI.
func needDebianProgram(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required on CI: %v", path, err)
		}
		t.Skipf("%s not installed: %v", path, err)
	}
}

// TestPasswdMatchesSlappasswd runs the same command lines through the real
// slappasswd and through Passwd and compares output, messages and exit
// codes, for the cases where the result is deterministic.
func TestPasswdMatchesSlappasswd(t *testing.T) {
	needDebianProgram(t, slappasswdBin)
	dir := t.TempDir()
	file := writeModeFile(t, dir, "pw", "two\nlines\n", 0o600)
	public := writeModeFile(t, dir, "public", "abc", 0o604)
	tests := []struct {
		args  []string
		stdin string
	}{
		{args: []string{"-h", "{SHA}", "-s", "secret"}},
		{args: []string{"-h", "{MD5}", "-n", "-s", "secret"}},
		{args: []string{"-h", "{sha}", "-s", "p@ss w0rd"}},
		{args: []string{"-h", "{CLEARTEXT}", "-s", "secret"}},
		{args: []string{"-o", "module-load=pw-sha2.la", "-h", "{SHA512}", "-s", "secret"}},
		{args: []string{"-o", "module-load=pw-sha2.la", "-h", "{SHA384}", "-T", file}},
		{args: []string{"-h", "{SHA}", "-T", file}},
		{args: []string{"-h", "{SHA}", "-T", public}},
		{args: []string{"-h", "{SHA}"}, stdin: "abc\nabc\n"},
		{args: []string{"-h", "{SHA}"}, stdin: "abc\nabd\n"},
		{args: []string{"-h", "{BOGUS}", "-s", "x"}},
		{args: []string{"-h", "SSHA", "-s", "x"}},
		{args: []string{"-s", ""}},
		{args: []string{"-s", "a", "-s", "b"}},
		{args: []string{"-h", "{SHA}", "-h", "{MD5}", "-s", "x"}},
		{args: []string{"-T", file, "-s", "x"}},
		{args: []string{"-T", file, "-T", file}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, slappasswdBin, tc.args...)
			cmd.Stdin = strings.NewReader(tc.stdin)
			var wantOut, wantErr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &wantOut, &wantErr
			wantCode := 0
			if err := cmd.Run(); err != nil {
				ee, ok := err.(*exec.ExitError)
				if !ok {
					t.Fatal(err)
				}
				wantCode = ee.ExitCode()
			}
			code, stdout, stderr := runPasswd(t, tc.stdin, tc.args...)
			if code != wantCode || stdout != wantOut.String() || stderr != wantErr.String() {
				t.Errorf("Passwd %q = %d, %q, %q\nslappasswd gives %d, %q, %q",
					tc.args, code, stdout, stderr, wantCode, wantOut.String(), wantErr.String())
			}
		})
	}
}
