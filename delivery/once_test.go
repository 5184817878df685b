package delivery

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"hostdir/delivery/maildir"
)

// TestDeliverQueueID: with a queue id every mailbox gets the message once
// however often Postfix retries; without one (or with another queue id)
// each run stores a copy.
func TestDeliverQueueID(t *testing.T) {
	tr := startTree(t, false)
	tests := []struct {
		name    string
		rcpt    string
		queueID []string // one run per entry
		want    map[string]int
	}{
		{"account retried", "alice@example.com", []string{"4A1B2C3D4E", "4A1B2C3D4E", "4A1B2C3D4E"}, map[string]int{"example.com/alice": 1}},
		{"alias retried", "team@example.com", []string{"Q1", "Q1"}, map[string]int{"example.com/alice": 1, "example.com/bob": 1}},
		{"detail folder retried", "alice+news@example.com", []string{"Q1", "Q1"}, map[string]int{"example.com/alice/.news": 1}},
		{"another queue id", "alice@example.com", []string{"Q1", "Q2"}, map[string]int{"example.com/alice": 2}},
		{"no queue id", "alice@example.com", []string{"", ""}, map[string]int{"example.com/alice": 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			os.MkdirAll(filepath.Join(base, "example.com/alice/.news/new"), 0o700)
			os.MkdirAll(filepath.Join(base, "example.com/alice/.news/cur"), 0o700)
			os.MkdirAll(filepath.Join(base, "example.com/alice/.news/tmp"), 0o700)
			a := newTestAgent(t, tr, base, t.TempDir(), nil)
			for _, q := range tc.queueID {
				err := a.DeliverEnvelope(testContext(t), Envelope{Sender: "s@r.example", Recipient: tc.rcpt, QueueID: q}, testMessage(300))
				if err != nil {
					t.Fatalf("queue id %q: %v", q, err)
				}
			}
			if got := countAll(t, base); !mapsEqual(got, tc.want) {
				t.Fatalf("maildirs = %v, want %v", got, tc.want)
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// renameFailFS fails the first rename into new/: the state a crash between
// the commit point and the move leaves (marker and tmp/ file).
type renameFailFS struct {
	maildir.OS
	failed atomic.Bool
}

func (f *renameFailFS) Rename(o, n string) error {
	if strings.Contains(n, "/new/") && f.failed.CompareAndSwap(false, true) {
		return &os.LinkError{Op: "rename", Old: o, New: n, Err: syscall.EIO}
	}
	return f.OS.Rename(o, n)
}

// TestDeliverQueueIDQuota: a retry of a message that filled the mailbox
// is not refused as over quota, and maildirsize counts each message once,
// also when the retry completes a committed delivery.
func TestDeliverQueueIDQuota(t *testing.T) {
	tr := startTree(t, false)
	base := t.TempDir()
	smDir := t.TempDir()
	a := newTestAgent(t, tr, base, smDir, func(c *Config) { c.QuotaWarningPercent = 0 })
	md := filepath.Join(base, "example.com/quota")
	env := Envelope{Sender: "s@r.example", Recipient: "quota@example.com", QueueID: "Q1"}
	msg := testMessage(3000) // 4K quota: one fits, two do not
	ctx := testContext(t)

	// 1. Committed, then "killed" before the move: 75, nothing in new/.
	a.Maildir.FS = &renameFailFS{}
	e := AsError(a.DeliverEnvelope(ctx, env, msg))
	if e == nil || e.Exit != ExitTempFail {
		t.Fatalf("failed move answered %v, want 75", e)
	}
	if n := len(messages(t, md)); n != 0 {
		t.Fatalf("%d messages after the failed move", n)
	}
	// 2. The retry completes it and accounts it.
	a.Maildir.FS = maildir.OS{}
	if err := a.DeliverEnvelope(ctx, env, msg); err != nil {
		t.Fatalf("completing retry: %v", err)
	}
	// 3. Another retry (Postfix lost the answer): success, no second copy,
	//    no quota refusal although a second copy would not fit.
	if err := a.DeliverEnvelope(ctx, env, msg); err != nil {
		t.Fatalf("repeated retry: %v", err)
	}
	if n := len(messages(t, md)); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}
	sizeFile, err := os.ReadFile(filepath.Join(md, "maildirsize"))
	if err != nil {
		t.Fatal(err)
	}
	_, u, ok := maildir.ParseSizeFile(sizeFile)
	stored := messages(t, md)[0]
	if !ok || u.Count != 1 || u.Bytes != int64(len(stored)) {
		t.Fatalf("maildirsize %q counts %+v, want one message of %d bytes", sizeFile, u, len(stored))
	}
	// 4. A new message (another queue id) is refused: the quota holds.
	e = AsError(a.DeliverEnvelope(ctx, Envelope{Sender: "s@r.example", Recipient: "quota@example.com", QueueID: "Q2"}, msg))
	if e == nil || e.Exit != ExitCantCreat {
		t.Fatalf("second message answered %v, want 5.2.2", e)
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []Setting // nil: only checked for errors
		cmd  Command
		err  string
	}{
		{name: "postfix argv", args: []string{"-c", "/etc/x.cf", "-f", "s@x", "-a", "r@y", "-q", "4A1B2C3D4E"},
			cmd: Command{ConfigFile: "/etc/x.cf", Sender: "s@x", Recipient: "r@y"}, want: []Setting{{Key: "queue_id", Value: "4A1B2C3D4E"}}},
		{name: "long queue id flag", args: []string{"--queue-id=3Pt2mN2VXxznjll", "-a", "r@y", "-f", ""},
			cmd: Command{Recipient: "r@y"}, want: []Setting{{Key: "queue_id", Value: "3Pt2mN2VXxznjll"}}},
		{name: "settings in order", args: []string{"-a", "r@y", "--ldap", "ldap://a/", "--ldap", "ldap://b/", "--timeout", "5s", "--add-headers", "-v", "-o", "hostname=h"},
			cmd: Command{Recipient: "r@y"}, want: []Setting{{Key: "ldap", Value: "ldap://a/ ldap://b/"}, {Key: "timeout", Value: "5s"},
				{Key: "add_headers", Value: "yes"}, {Key: "verbose", Value: "yes"}, {Key: "hostname", Value: "h"}}},
		{name: "missing recipient", args: []string{"-f", "s@x", "-q", "Q"}, err: "missing -a RECIPIENT"},
		{name: "queue id without value", args: []string{"-a", "r@y", "-q"}, err: "flag needs an argument: -q"},
		{name: "bad -o", args: []string{"-a", "r@y", "-o", "verbose"}, err: "-o wants key=value, got verbose"},
		{name: "stray argument", args: []string{"-a", "r@y", "x"}, err: "unexpected argument x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd, err := ParseArgs(tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseArgs = %v, want error %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cmd.ConfigFile != tc.cmd.ConfigFile || cmd.Sender != tc.cmd.Sender || cmd.Recipient != tc.cmd.Recipient {
				t.Errorf("command %+v, want %+v", cmd, tc.cmd)
			}
			if !slices.Equal(cmd.Settings, tc.want) {
				t.Errorf("settings %+v, want %+v", cmd.Settings, tc.want)
			}
		})
	}
}

// TestMainPrepare: the Prepare hook sees the Agent Main built, with the
// queue id of -q, before the delivery.
func TestMainPrepare(t *testing.T) {
	cmd, err := ParseArgs([]string{"-a", "a@b.example", "-q", "Q42", "--ldap", "ldap://127.0.0.1:1/"})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	cmd.Prepare = func(a *Agent) { got = a.Config.QueueID }
	var out bytes.Buffer
	exit := Main(context.Background(), cmd, strings.NewReader("Subject: x\n\n"), &out, io.Discard)
	if got != "Q42" {
		t.Errorf("Prepare saw queue id %q (called: %v)", got, got != "")
	}
	if exit != ExitTempFail || !strings.HasPrefix(out.String(), "4.4.3") {
		t.Errorf("Main = %d %q", exit, out.String())
	}
}
