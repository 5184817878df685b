package delivery

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const filterMsg = "From: Promo <promo@spam.example>\nTo: alice@example.com\nSubject: deals\nMessage-ID: <f1@spam.example>\nX-Spam-Flag: YES\nList-Id: Deals <deals.spam.example>\n\nbuy\n"

// TestDeliverFilter: a virtual user's .hostdir-filter is applied after
// resolution, inside the maildir; refused rules deliver to the inbox.
func TestDeliverFilter(t *testing.T) {
	tr := startTree(t, false)
	tests := []struct {
		name     string
		rules    string
		rcpt     string
		want     map[string]int // alice's folders -> messages
		forwards []string
		bob      int // messages in bob's maildir (must stay 0 unless resolved there)
	}{
		{name: "no rules", rules: "", rcpt: "alice@example.com", want: map[string]int{".": 1}},
		{name: "spam folder", rules: ":0\n* ^X-Spam-Flag: YES\n.Junk/\n", rcpt: "alice@example.com", want: map[string]int{".Junk": 1}},
		{name: "list folder from MATCH", rules: ":0\n* ^List-Id:.*<\\/[^.>]+\n.lists.$MATCH/\n", rcpt: "alice@example.com", want: map[string]int{".lists.deals": 1}},
		{name: "copy and forward", rules: ":0 c\n! friend@elsewhere.example\n:0\n* ^Subject: deals\n.Deals/\n", rcpt: "alice@example.com",
			want: map[string]int{".Deals": 1}, forwards: []string{"friend@elsewhere.example"}},
		{name: "discard", rules: ":0\n* ^X-Spam-Flag: YES\n/dev/null\n", rcpt: "alice@example.com", want: map[string]int{}},
		{name: "extension is DEFAULT", rules: ":0\n* ^Subject: nomatch\n.X/\n", rcpt: "alice+news@example.com", want: map[string]int{".news": 1}},
		{name: "extension variable", rules: ":0\n* EXTENSION ?? .\n.ext.$EXTENSION/\n", rcpt: "alice+news@example.com", want: map[string]int{".ext.news": 1}},
		{name: "pipe refused", rules: ":0\n| cat > /tmp/hostdir-filter-test\n", rcpt: "alice@example.com", want: map[string]int{".": 1}},
		{name: "includerc refused", rules: "INCLUDERC=/etc/passwd\n:0\n.Junk/\n", rcpt: "alice@example.com", want: map[string]int{".": 1}},
		{name: "dotdot refused", rules: ":0\n../bob/\n", rcpt: "alice@example.com", want: map[string]int{".": 1}},
		{name: "self forward is a loop", rules: ":0\n! alice@example.com\n", rcpt: "alice@example.com", want: map[string]int{".": 1}},
		{name: "syntax error", rules: ":0\n* ^Subject: (\n.Junk/\n", rcpt: "alice@example.com", want: map[string]int{".": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			md := filepath.Join(base, "example.com/alice")
			if tc.rules != "" {
				if err := os.MkdirAll(md, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(md, FilterFile), []byte(tc.rules), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.MkdirAll(filepath.Join(md, ".news"), 0o700); err != nil {
				t.Fatal(err)
			}
			sm := t.TempDir()
			a := newTestAgent(t, tr, base, sm, nil)
			if err := a.Deliver(testContext(t), "promo@spam.example", tc.rcpt, []byte(filterMsg)); err != nil {
				t.Fatal(err)
			}
			got := countAll(t, md)
			if len(got) != len(tc.want) {
				t.Errorf("folders %v, want %v", got, tc.want)
			}
			for k, n := range tc.want {
				if got[k] != n {
					t.Errorf("folders %v, want %v", got, tc.want)
				}
			}
			calls := sendmailCalls(t, sm)
			if len(calls) != len(tc.forwards) {
				t.Fatalf("sendmail calls %v, want %v", calls, tc.forwards)
			}
			for i, c := range calls {
				if c.Args[len(c.Args)-1] != tc.forwards[i] || !strings.HasPrefix(c.Msg, "Delivered-To: alice@example.com\n") {
					t.Errorf("forward %d: %v\n%s", i, c.Args, c.Msg)
				}
			}
			if n := len(countAll(t, filepath.Join(base, "example.com/bob"))); n != 0 {
				t.Errorf("bob's maildir touched: %d", n)
			}
			if _, err := os.Stat("/tmp/hostdir-filter-test"); err == nil {
				t.Error("pipe ran")
			}
			// Folders the rules created are Maildir++ folders.
			for k := range tc.want {
				if k != "." {
					if _, err := os.Stat(filepath.Join(md, k, "maildirfolder")); err != nil {
						t.Errorf("%s: %v", k, err)
					}
				}
			}
		})
	}
}

// TestLocalMain runs --local as Postfix's mailbox_command would.
func TestLocalMain(t *testing.T) {
	msg := "From promo@spam.example  Mon Nov 23 10:00:00 2026\n" + filterMsg
	tests := []struct {
		name  string
		rc    string // "" for no ~/.procmailrc
		exit  int
		want  map[string]int // below ~/Maildir
		extra string         // a file below HOME that must exist
	}{
		{name: "no rc file", want: map[string]int{".": 1}},
		{name: "junk", rc: "MAILDIR=$HOME/Maildir\n:0\n* ^X-Spam-Flag: YES\n.Junk/\n", want: map[string]int{".Junk": 1}},
		{name: "pipe as the user", rc: ":0 c\n| cat > $HOME/piped\n", want: map[string]int{".": 1}, extra: "piped"},
		{name: "filter then folder", rc: "MAILDIR=$HOME/Maildir\n:0 fhw\n| sed -e 's/^Subject: deals/Subject: [x] deals/'\n:0\n* ^Subject: \\[x\\]\n.X/\n", want: map[string]int{".X": 1}},
		{name: "syntax error", rc: ":0\n* (\n.Junk/\n", want: map[string]int{".": 1}},
		{name: "exitcode", rc: "EXITCODE=0\n:0\n.Y/\n", want: map[string]int{}},
		{name: "extension argument", rc: "MAILDIR=$HOME/Maildir\n:0\n* EXTENSION ?? ^news$\n.$1/\n", want: map[string]int{".news": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			if tc.rc != "" {
				if err := os.WriteFile(filepath.Join(home, ".procmailrc"), []byte(tc.rc), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			env := []string{"HOME=" + home, "USER=alice", "LOGNAME=alice", "EXTENSION=news", "RECIPIENT=alice+news@host.example",
				"SENDER=promo@spam.example", "PATH=/usr/bin:/bin", "SHELL=/bin/sh"}
			var out, errb bytes.Buffer
			exit := LocalMain(context.Background(), LocalOptions{Env: env, Args: []string{"news"}}, strings.NewReader(msg), &out, &errb)
			if exit != tc.exit {
				t.Fatalf("exit %d, want %d: %s %s", exit, tc.exit, out.String(), errb.String())
			}
			got := countAll(t, filepath.Join(home, "Maildir"))
			if tc.name == "exitcode" {
				tc.want = map[string]int{".Y": 1} // relative to MAILDIR=$HOME
				got = countAll(t, home)
			}
			if len(got) != len(tc.want) {
				t.Errorf("folders %v, want %v", got, tc.want)
			}
			for k, n := range tc.want {
				if got[k] != n {
					t.Errorf("folders %v, want %v", got, tc.want)
				}
			}
			if tc.extra != "" {
				if b, err := os.ReadFile(filepath.Join(home, tc.extra)); err != nil || !strings.HasPrefix(string(b), "From promo@") {
					t.Errorf("%s: %v %q", tc.extra, err, b)
				}
			}
			// Maildir copies have no "From " line.
			filepath.Walk(filepath.Join(home, "Maildir"), func(p string, fi os.FileInfo, err error) error {
				if err == nil && !fi.IsDir() && filepath.Base(filepath.Dir(p)) == "new" {
					if b, _ := os.ReadFile(p); bytes.HasPrefix(b, []byte("From ")) {
						t.Errorf("%s starts with a From line", p)
					}
				}
				return nil
			})
		})
	}
}

// TestLocalMainUnwritable: nowhere to write means 75 and a 4.x.y line.
func TestLocalMainUnwritable(t *testing.T) {
	var out bytes.Buffer
	exit := LocalMain(context.Background(), LocalOptions{Env: []string{"HOME=/proc/nonexistent"}, Maildir: "/proc/nonexistent/Maildir"},
		strings.NewReader(filterMsg), &out, nil)
	if exit != ExitTempFail || !strings.HasPrefix(out.String(), "4.") {
		t.Fatalf("exit %d %q", exit, out.String())
	}
}

// TestLocalCommand: the --local command line.
func TestLocalCommand(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	rc := filepath.Join(home, "rules")
	if err := os.WriteFile(rc, []byte(":0\n* ^Subject: deals\n.$1/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	md := filepath.Join(home, "mail")
	var out bytes.Buffer
	if !IsLocal([]string{"-a", "x", "--local"}) || IsLocal([]string{"-a", "x"}) {
		t.Fatal("IsLocal")
	}
	exit := LocalCommand(context.Background(), []string{"--local", "-a", "Offers", "--maildir", md, "--rcfile", rc}, strings.NewReader(filterMsg), &out, nil)
	if exit != 0 {
		t.Fatalf("exit %d: %s", exit, out.String())
	}
	// The rules' MAILDIR is $HOME: .Offers/ is relative to it.
	if got := countAll(t, home); got[".Offers"] != 1 {
		t.Errorf("folders %v", got)
	}
	out.Reset()
	if exit := LocalCommand(context.Background(), []string{"--local", "--bogus"}, strings.NewReader(filterMsg), &out, nil); exit != ExitUsage || !strings.HasPrefix(out.String(), "5.3.0") {
		t.Errorf("bad flag: %d %q", exit, out.String())
	}
}
