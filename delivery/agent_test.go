package delivery

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// newTestAgent returns an Agent on the tree with maildirs below base and the
// fake sendmail recording into smDir.
func newTestAgent(t testing.TB, tr *tree, base, smDir string, edit func(*Config)) *Agent {
	t.Helper()
	c := DefaultConfig()
	c.LDAP = []string{tr.Slapd.URL}
	c.MailboxBase = base
	c.Sendmail = []string{fakeSendmail(t, smDir, 0)}
	c.Hostname = "test.host"
	if edit != nil {
		edit(&c)
	}
	a, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func TestDeliverTree(t *testing.T) {
	tr := startTree(t, false)
	tests := []struct {
		name      string
		rcpt      string
		exit      int
		dsn       string
		mailboxes map[string]int // maildir (relative to base) -> messages
		forwards  []string       // recipients given to sendmail
		// final maps maildirs reached through an alias to the address
		// the agent names in its own Delivered-To on top.
		final map[string]string
	}{
		{name: "account", rcpt: "alice@example.com", mailboxes: map[string]int{"example.com/alice": 1}},
		{name: "upper-case address", rcpt: "ALICE@Example.COM", mailboxes: map[string]int{"example.com/alice": 1}},
		{name: "angle brackets", rcpt: "<bob@example.com>", mailboxes: map[string]int{"example.com/bob": 1}},
		{name: "+detail finds user", rcpt: "alice+news@example.com", mailboxes: map[string]int{"example.com/alice": 1}},
		{name: "alias to two accounts", rcpt: "team@example.com", mailboxes: map[string]int{"example.com/alice": 1, "example.com/bob": 1},
			final: map[string]string{"example.com/alice": "alice@example.com", "example.com/bob": "bob@example.com"}},
		{name: "alias to external address", rcpt: "ext@example.com", forwards: []string{"friend@elsewhere.example"}},
		{name: "alias to another served domain", rcpt: "other@example.com", mailboxes: map[string]int{"example.org/erin": 1},
			final: map[string]string{"example.org/erin": "erin@example.org"}},
		{name: "catch-all", rcpt: "whoever@example.org", mailboxes: map[string]int{"example.org/postbox": 1},
			final: map[string]string{"example.org/postbox": "postbox@example.org"}},
		{name: "account beats catch-all", rcpt: "erin@example.org", mailboxes: map[string]int{"example.org/erin": 1}},
		{name: "extension propagated through alias", rcpt: "erin-alias+tag@example.org", mailboxes: map[string]int{"example.org/erin": 1},
			final: map[string]string{"example.org/erin": "erin+tag@example.org"}},
		{name: "inactive account", rcpt: "carol@example.com", exit: ExitNoUser, dsn: "5.1.1 <carol@example.com>: unknown user"},
		{name: "delete-marked account", rcpt: "dave@example.com", exit: ExitNoUser, dsn: "5.1.1 <dave@example.com>: unknown user"},
		{name: "inactive domain", rcpt: "x@inactive.example", exit: ExitNoUser, dsn: "5.1.1 <x@inactive.example>: unknown user"},
		{name: "delete-marked domain", rcpt: "y@deleted.example", exit: ExitNoUser, dsn: "5.1.1"},
		{name: "unknown user", rcpt: "nobody@example.com", exit: ExitNoUser, dsn: "5.1.1 <nobody@example.com>: unknown user"},
		{name: "unknown domain", rcpt: "alice@unknown.example", exit: ExitNoUser, dsn: "5.1.1"},
		{name: "no domain", rcpt: "alice", exit: ExitNoUser, dsn: "5.1.1"},
		{name: "inactive alias", rcpt: "oldalias@example.com", exit: ExitNoUser, dsn: "5.1.1"},
		{name: "alias loop", rcpt: "loop1@example.com", exit: ExitUnavailable, dsn: "5.4.6 mail forwarding loop for <loop1@example.com>"},
		{name: "duplicate destinations", rcpt: "dup@example.com", mailboxes: map[string]int{"example.com/alice": 1, "example.com/bob": 1},
			final: map[string]string{"example.com/alice": "alice@example.com", "example.com/bob": "bob@example.com"}},
		{name: "alias to unknown served address", rcpt: "mixed@example.com", mailboxes: map[string]int{"example.com/alice": 1}, forwards: []string{"nobody@example.com"},
			final: map[string]string{"example.com/alice": "alice@example.com"}},
		{name: "alias to local name", rcpt: "local@example.com", forwards: []string{"postmaster"}},
		{name: "postmaster", rcpt: "postmaster@example.com", forwards: []string{"postmaster"}},
		{name: "alias into inactive domain", rcpt: "inactivedom@example.com", forwards: []string{"x@inactive.example"}},
		{name: "filter injection star", rcpt: "*@example.com", exit: ExitNoUser, dsn: "5.1.1"},
		{name: "filter injection parens", rcpt: "alice)(mail=*@example.com", exit: ExitNoUser, dsn: "5.1.1"},
		{name: "path escaping the base", rcpt: "evil@example.com", exit: ExitTempFail, dsn: "4.3.5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			smDir := t.TempDir()
			a := newTestAgent(t, tr, base, smDir, nil)
			msg := testMessage(300)
			err := a.Deliver(testContext(t), "sender@remote.example", tc.rcpt, msg)
			exit, line := ExitOK, ""
			if err != nil {
				e := AsError(err)
				exit, line = e.Exit, e.Line()
			}
			if exit != tc.exit || !strings.HasPrefix(line, tc.dsn) {
				t.Fatalf("Deliver(%s) = %d %q, want %d %q", tc.rcpt, exit, line, tc.exit, tc.dsn)
			}
			got := countAll(t, base)
			want := tc.mailboxes
			if want == nil {
				want = map[string]int{}
			}
			if len(got) != len(want) {
				t.Errorf("maildirs = %v, want %v", got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("maildirs = %v, want %v", got, want)
				}
				for _, m := range messages(t, filepath.Join(base, k)) {
					head := "Return-Path: <sender@remote.example>\n"
					if f := tc.final[k]; f != "" {
						head += "Delivered-To: " + f + "\n"
					}
					head += "Delivered-To: " + NormalizeAddress(tc.rcpt) + "\n"
					if !strings.HasPrefix(m, head) {
						t.Errorf("message in %s starts %q", k, m[:min(len(m), 120)])
					}
					if !strings.HasSuffix(m, string(msg)) {
						t.Errorf("message body changed in %s", k)
					}
				}
			}
			calls := sendmailCalls(t, smDir)
			if len(tc.forwards) == 0 {
				if len(calls) != 0 {
					t.Errorf("sendmail called: %+v", calls)
				}
				return
			}
			if len(calls) != 1 {
				t.Fatalf("sendmail calls = %+v, want one", calls)
			}
			wantArgs := append([]string{"-i", "-f", "sender@remote.example", "--"}, tc.forwards...)
			if !slices.Equal(calls[0].Args, wantArgs) {
				t.Errorf("sendmail argv = %q, want %q", calls[0].Args, wantArgs)
			}
			wantMsg := "Delivered-To: " + NormalizeAddress(tc.rcpt) + "\n" + string(msg)
			if calls[0].Msg != wantMsg {
				t.Errorf("forwarded message = %q..., want %q...", calls[0].Msg[:min(80, len(calls[0].Msg))], wantMsg[:80])
			}
		})
	}
}

func TestDeliverHomeDirectory(t *testing.T) {
	tr := startTree(t, false)
	a := newTestAgent(t, tr, "", t.TempDir(), nil)
	if err := a.Deliver(testContext(t), "", "alice@example.com", testMessage(100)); err != nil {
		t.Fatal(err)
	}
	ms := messages(t, filepath.Join(tr.Home, "example.com", "alice"))
	if len(ms) != 1 || !strings.HasPrefix(ms[0], "Return-Path: <>\nDelivered-To: alice@example.com\n") {
		t.Fatalf("messages = %q", ms)
	}
	// Modes: directories 0700, the message 0600.
	for _, p := range []string{"example.com", "example.com/alice", "example.com/alice/new", "example.com/alice/tmp", "example.com/alice/cur"} {
		fi, err := os.Stat(filepath.Join(tr.Home, p))
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v", p, fi.Mode(), err)
		}
	}
}

func TestDeliverHeadersNotDuplicated(t *testing.T) {
	tr := startTree(t, false)
	tests := []struct {
		name string
		mode HeaderMode
		in   string
		want string
	}{
		{"postfix added both", HeadersAuto,
			"Return-Path: <s@r.example>\nDelivered-To: alice@example.com\nSubject: x\n\nbody\n",
			"Return-Path: <s@r.example>\nDelivered-To: alice@example.com\nSubject: x\n\nbody\n"},
		{"postfix added both, forced", HeadersYes,
			"Return-Path: <s@r.example>\nDelivered-To: alice@example.com\nSubject: x\n\nbody\n",
			"Return-Path: <s@r.example>\nDelivered-To: alice@example.com\nSubject: x\n\nbody\n"},
		{"standalone", HeadersAuto,
			"Subject: x\n\nbody\n",
			"Return-Path: <s@r.example>\nDelivered-To: alice@example.com\nSubject: x\n\nbody\n"},
		{"other delivered-to", HeadersAuto,
			"Return-Path: <s@r.example>\nDelivered-To: team@example.com\nSubject: x\n\nbody\n",
			"Return-Path: <s@r.example>\nDelivered-To: alice@example.com\nDelivered-To: team@example.com\nSubject: x\n\nbody\n"},
		{"never", HeadersNo, "Subject: x\n\nbody\n", "Subject: x\n\nbody\n"},
		{"mbox From line dropped", HeadersNo, "From s@r.example Mon Jan  1 00:00:00 2024\nSubject: x\n\nbody\n", "Subject: x\n\nbody\n"},
		{"crlf", HeadersAuto, "Subject: x\r\n\r\nbody\r\n", "Return-Path: <s@r.example>\r\nDelivered-To: alice@example.com\r\nSubject: x\r\n\r\nbody\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			a := newTestAgent(t, tr, base, t.TempDir(), func(c *Config) { c.AddHeaders = tc.mode })
			if err := a.Deliver(testContext(t), "s@r.example", "alice@example.com", []byte(tc.in)); err != nil {
				t.Fatal(err)
			}
			ms := messages(t, filepath.Join(base, "example.com/alice"))
			if len(ms) != 1 || ms[0] != tc.want {
				t.Fatalf("stored %q, want %q", ms, tc.want)
			}
		})
	}
}

func TestDeliverDetailFolders(t *testing.T) {
	tr := startTree(t, false)
	tests := []struct {
		name   string
		mode   DetailMode
		rcpt   string
		folder string // existing folder to create first ("" none)
		want   string // maildir (relative to alice's) that gets the message
	}{
		{"existing folder", DetailExisting, "alice+news@example.com", ".news", ".news"},
		{"existing folder other case", DetailExisting, "alice+news@example.com", ".News", ".News"},
		{"missing folder", DetailExisting, "alice+news@example.com", "", "."},
		{"off", DetailOff, "alice+news@example.com", ".news", "."},
		{"create", DetailCreate, "alice+lists.go@example.com", "", ".lists.go"},
		{"sanitized", DetailCreate, "alice+a/b..c@example.com", "", ".a_b.c"},
		{"inbox", DetailCreate, "alice+INBOX@example.com", "", "."},
		{"empty extension", DetailCreate, "alice+@example.com", "", "."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			md := filepath.Join(base, "example.com/alice")
			if tc.folder != "" {
				for _, s := range []string{"tmp", "new", "cur"} {
					if err := os.MkdirAll(filepath.Join(md, tc.folder, s), 0o700); err != nil {
						t.Fatal(err)
					}
				}
			}
			a := newTestAgent(t, tr, base, t.TempDir(), func(c *Config) { c.DetailFolders = tc.mode })
			if err := a.Deliver(testContext(t), "s@r.example", tc.rcpt, testMessage(10)); err != nil {
				t.Fatal(err)
			}
			got := countAll(t, md)
			if len(got) != 1 || got[tc.want] != 1 {
				t.Fatalf("messages per folder = %v, want one in %q", got, tc.want)
			}
			if tc.want != "." {
				if _, err := os.Stat(filepath.Join(md, tc.want, "maildirfolder")); err != nil {
					t.Errorf("maildirfolder: %v", err)
				}
			}
		})
	}
}

func TestDeliverQuota(t *testing.T) {
	tr := startTree(t, false)
	// quota@example.com has quota 4K = 4096 bytes. Messages of ~1850 bytes
	// (with the added headers): 1st 45%, 2nd 90% (warning), 3rd over.
	tests := []struct {
		name      string
		policy    QuotaPolicy
		exit3     int
		dsn3      string
		warnPct   int
		wantWarns int
	}{
		{"bounce", QuotaBounce, ExitCantCreat, "5.2.2 Mailbox full: <quota@example.com>", 90, 1},
		{"defer", QuotaDefer, ExitTempFail, "4.2.2 Mailbox full: <quota@example.com>", 90, 1},
		{"no warning", QuotaBounce, ExitCantCreat, "5.2.2", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			smDir := t.TempDir()
			a := newTestAgent(t, tr, base, smDir, func(c *Config) {
				c.QuotaExceeded = tc.policy
				c.QuotaWarningPercent = tc.warnPct
			})
			md := filepath.Join(base, "example.com/quota")
			msg := testMessage(1800)
			for i := 1; i <= 3; i++ {
				err := a.Deliver(testContext(t), "s@r.example", "quota@example.com", msg)
				if i < 3 {
					if err != nil {
						t.Fatalf("delivery %d: %v", i, err)
					}
					continue
				}
				e := AsError(err)
				if e == nil || e.Exit != tc.exit3 || !strings.HasPrefix(e.Line(), tc.dsn3) {
					t.Fatalf("delivery 3 = %v, want %d %s", e, tc.exit3, tc.dsn3)
				}
			}
			if n := len(messages(t, md)); n != 2 {
				t.Errorf("%d messages stored, want 2", n)
			}
			size, err := os.ReadFile(filepath.Join(md, "maildirsize"))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(size)), "\n")
			if lines[0] != "4096S" || len(lines) != 4 {
				t.Errorf("maildirsize = %q", size)
			}
			calls := sendmailCalls(t, smDir)
			if len(calls) != tc.wantWarns {
				t.Fatalf("sendmail calls = %d, want %d", len(calls), tc.wantWarns)
			}
			_, markerErr := os.Stat(filepath.Join(md, QuotaWarningMarker))
			if tc.wantWarns > 0 {
				if !slices.Equal(calls[0].Args, []string{"-i", "-f", "", "--", "quota@example.com"}) {
					t.Errorf("warning argv %q", calls[0].Args)
				}
				if !strings.Contains(calls[0].Msg, "Subject: Your mailbox is 9") {
					t.Errorf("warning message %q", calls[0].Msg)
				}
				if markerErr != nil {
					t.Errorf("marker: %v", markerErr)
				}
				// Making room re-arms the warning.
				os.RemoveAll(filepath.Join(md, "new"))
				os.Remove(filepath.Join(md, "maildirsize"))
				if err := a.Deliver(testContext(t), "s@r.example", "quota@example.com", testMessage(100)); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(filepath.Join(md, QuotaWarningMarker)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("marker still there after usage dropped: %v", err)
				}
			} else if markerErr == nil {
				t.Error("marker written without warning")
			}
		})
	}
}

func TestDeliverPartialFailure(t *testing.T) {
	tr := startTree(t, false)
	base := t.TempDir()
	smDir := t.TempDir()
	a := newTestAgent(t, tr, base, smDir, func(c *Config) { c.QuotaWarningPercent = 0 })
	// Fill quota@example.com's mailbox first.
	big := testMessage(4000)
	if err := a.Deliver(testContext(t), "s@r.example", "quota@example.com", big); err != nil {
		t.Fatal(err)
	}
	// teamquota -> alice (fine) + quota (full): alice gets it, quota's copy
	// is re-submitted so Postfix bounces that one address.
	if err := a.Deliver(testContext(t), "s@r.example", "teamquota@example.com", big); err != nil {
		t.Fatalf("partial failure answered %v, want success with re-submission", err)
	}
	if n := len(messages(t, filepath.Join(base, "example.com/alice"))); n != 1 {
		t.Errorf("alice has %d messages", n)
	}
	calls := sendmailCalls(t, smDir)
	if len(calls) != 1 || !slices.Equal(calls[0].Args, []string{"-i", "-f", "s@r.example", "--", "quota@example.com"}) {
		t.Fatalf("re-submission calls = %+v", calls)
	}
	if !strings.HasPrefix(calls[0].Msg, "Delivered-To: teamquota@example.com\n") {
		t.Errorf("re-submitted message starts %q", calls[0].Msg[:60])
	}

	// When the re-submission fails too, the answer is 75.
	base2 := t.TempDir()
	a2 := newTestAgent(t, tr, base2, t.TempDir(), func(c *Config) {
		c.QuotaWarningPercent = 0
		c.Sendmail = []string{fakeSendmail(t, t.TempDir(), 75)}
	})
	if err := a2.Deliver(testContext(t), "s@r.example", "quota@example.com", big); err != nil {
		t.Fatal(err)
	}
	e := AsError(a2.Deliver(testContext(t), "s@r.example", "teamquota@example.com", big))
	if e == nil || e.Exit != ExitTempFail || !strings.Contains(e.Line(), "re-submission") {
		t.Fatalf("got %v, want 75 with re-submission failure", e)
	}
	// Forward failure with nothing delivered: plain 75.
	e = AsError(a2.Deliver(testContext(t), "s@r.example", "ext@example.com", big))
	if e == nil || e.Exit != ExitTempFail || !strings.HasPrefix(e.Line(), "4.3.0 forwarding to friend@elsewhere.example failed") {
		t.Fatalf("got %v", e)
	}
}
