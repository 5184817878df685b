package delivery

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hostdir/internal/peers"
)

// buildAgent builds cmd/hostdir-deliver into a temporary directory.
func buildAgent(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	bin := filepath.Join(t.TempDir(), "hostdir-deliver")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/hostdir-deliver")
	cmd.Dir = peers.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestCommandExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildAgent(t)
	tr := startTree(t, true)
	dir := t.TempDir()
	goodCf := filepath.Join(dir, "good.cf")
	os.WriteFile(goodCf, []byte("# test\nldap = ldap://127.0.0.1:1/\nquota_warning_percent = 0\n"), 0o600)
	badCf := filepath.Join(dir, "bad.cf")
	os.WriteFile(badCf, []byte("ldap = ldap://127.0.0.1:1/\nno_such_key = 1\n"), 0o600)
	hang := hangingServer(t)
	msg := testMessage(500)

	tests := []struct {
		name    string
		args    []string // after the defaults below unless raw
		raw     bool     // args are the whole command line
		stdin   []byte
		exit    int
		out     string // prefix of stdout
		stored  string // maildir (relative to base) that must hold one message
		maxTime time.Duration
	}{
		{name: "delivered", args: []string{"-a", "alice@example.com"}, exit: 0, stored: "example.com/alice"},
		{name: "ldapi", args: []string{"-a", "bob@example.com", "--ldap", tr.Slapd.LDAPIURL}, exit: 0, stored: "example.com/bob"},
		{name: "several URIs", args: []string{"-a", "bob@example.com", "--ldap", "ldap://127.0.0.1:1/", "--ldap", tr.Slapd.URL}, exit: 0, stored: "example.com/bob"},
		{name: "null sender", args: []string{"-a", "erin@example.org", "-f", ""}, exit: 0, stored: "example.org/erin"},
		{name: "unknown user", args: []string{"-a", "nobody@example.com"}, exit: ExitNoUser, out: "5.1.1 <nobody@example.com>: unknown user\n"},
		{name: "inactive domain", args: []string{"-a", "x@inactive.example"}, exit: ExitNoUser, out: "5.1.1 <x@inactive.example>: unknown user\n"},
		{name: "loop", args: []string{"-a", "loop2@example.com"}, exit: ExitUnavailable, out: "5.4.6 mail forwarding loop for <loop2@example.com>"},
		{name: "quota bounce", args: []string{"-a", "quota@example.com"}, stdin: testMessage(5000), exit: ExitCantCreat, out: "5.2.2 Mailbox full: <quota@example.com>"},
		{name: "quota defer", args: []string{"-a", "quota@example.com", "-o", "quota_exceeded=defer"}, stdin: testMessage(5000), exit: ExitTempFail, out: "4.2.2 Mailbox full"},
		{name: "unsafe path", args: []string{"-a", "evil@example.com"}, exit: ExitTempFail, out: "4.3.5 directory data for <evil@example.com> unusable"},
		{name: "directory unreachable", args: []string{"-a", "alice@example.com", "--ldap", "ldap://127.0.0.1:1/"}, exit: ExitTempFail, out: "4.4.3 directory unavailable: ldap://127.0.0.1:1/"},
		{name: "directory hangs", args: []string{"-a", "alice@example.com", "--ldap", hang, "--timeout", "2s"}, exit: ExitTempFail, out: "4.4.3 directory unavailable", maxTime: 6 * time.Second},
		{name: "config file, flag wins", args: []string{"-a", "alice@example.com", "-c", goodCf}, exit: 0, stored: "example.com/alice"},
		{name: "config file error", args: []string{"-a", "alice@example.com", "-c", badCf}, exit: ExitTempFail, out: "4.3.5 configuration error: " + badCf + ":2: unknown setting"},
		{name: "config file missing", args: []string{"-a", "alice@example.com", "-c", filepath.Join(dir, "nope")}, exit: ExitTempFail, out: "4.3.5 configuration error"},
		{name: "-o detail folders", args: []string{"-a", "alice+new.folder@example.com", "-o", "detail_folders=create"}, exit: 0, stored: "example.com/alice/.new.folder"},
		{name: "unknown option", raw: true, args: []string{"-f", "s@r", "-a", "alice@example.com", "--frobnicate"}, exit: ExitUsage, out: "5.3.0 hostdir-deliver: flag provided but not defined: -frobnicate\nusage:"},
		{name: "missing recipient", raw: true, args: []string{"-f", "s@r"}, exit: ExitUsage, out: "5.3.0 hostdir-deliver: missing -a RECIPIENT"},
		{name: "bad flag value", args: []string{"-a", "alice@example.com", "--timeout", "soon"}, exit: ExitUsage, out: "5.3.0 hostdir-deliver: timeout:"},
		{name: "bad -o", args: []string{"-a", "alice@example.com", "-o", "verbose"}, exit: ExitUsage, out: "5.3.0 hostdir-deliver: -o wants key=value"},
		{name: "stray argument", args: []string{"-a", "alice@example.com", "extra"}, exit: ExitUsage, out: "5.3.0 hostdir-deliver: unexpected argument extra"},
		{name: "big message drained on usage error", raw: true, args: []string{"--bogus"}, stdin: bytes.Repeat([]byte("x"), 4<<20), exit: ExitUsage, out: "5.3.0"},
		{name: "big message drained on unknown user", args: []string{"-a", "nobody@example.com"}, stdin: bytes.Repeat([]byte("y"), 4<<20), exit: ExitNoUser, out: "5.1.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			args := tc.args
			if !tc.raw {
				args = append([]string{"-f", "sender@remote.example", "--ldap", tr.Slapd.URL, "--mailbox-base", base,
					"-o", "sendmail_command=" + fakeSendmail(t, t.TempDir(), 0)}, args...)
				// Flags given later in tc.args (--ldap) add URIs; put
				// the test's own --ldap first by rebuilding.
				if slicesContains(tc.args, "--ldap") {
					args = append([]string{"-f", "sender@remote.example", "--mailbox-base", base}, tc.args...)
				}
			}
			stdin := tc.stdin
			if stdin == nil {
				stdin = msg
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, args...)
			pipe, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			_, werr := io.Copy(pipe, bytes.NewReader(stdin))
			pipe.Close()
			err = cmd.Wait()
			elapsed := time.Since(start)
			exit := 0
			if ee, ok := err.(*exec.ExitError); ok {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if werr != nil {
				t.Errorf("writing the message failed (stdin not drained): %v", werr)
			}
			if exit != tc.exit || !strings.HasPrefix(stdout.String(), tc.out) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d %q", exit, stdout.String(), stderr.String(), tc.exit, tc.out)
			}
			if tc.exit == 0 && stdout.Len() != 0 {
				t.Errorf("output on success: %q", stdout.String())
			}
			if stdout.Len()+stderr.Len() >= 4096 {
				t.Errorf("output too long: %d bytes", stdout.Len()+stderr.Len())
			}
			if tc.maxTime > 0 && elapsed > tc.maxTime {
				t.Errorf("took %v, limit %v", elapsed, tc.maxTime)
			}
			if tc.stored != "" {
				if n := len(messages(t, filepath.Join(base, tc.stored))); n != 1 {
					t.Errorf("%s holds %d messages", tc.stored, n)
				}
			}
		})
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
