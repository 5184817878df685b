package procmail

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const safetyMsg = "From: Eve <eve@example.net>\nTo: alice@example.com\nSubject: test\nMessage-ID: <safe1@example.net>\n\nhello\n"

// virtualSetup makes /tmp/x/domains/example.com/alice/ and returns the
// maildir and a recorder confined to it.
func virtualSetup(t *testing.T) (root, outside string, rec *recorder) {
	t.Helper()
	dir := t.TempDir()
	root = filepath.Join(dir, "domains", "example.com", "alice")
	outside = filepath.Join(dir, "domains", "example.com", "bob")
	fwd := filepath.Join(dir, "fwd")
	for _, d := range []string{root, outside, fwd} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return root, outside, newRecorder(t, root, fwd, Virtual)
}

func countNew(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "new"))
	if err != nil {
		return 0
	}
	return len(ents)
}

// TestVirtualSafety: rule files that try to leave the maildir or run
// programs are refused, the problem is logged with file and line, and the
// message is in the default maildir.
func TestVirtualSafety(t *testing.T) {
	tests := []struct {
		name, rc string
		line     int   // the line the log must name
		kind     error // the error the problems must wrap
		runtime  bool  // refused while running, not while parsing
	}{
		{"pipe", ":0\n* ^Subject: test\n| cat > /tmp/stolen\n", 3, ErrForbidden, false},
		{"filter", ":0 fw\n| sed s/a/b/\n", 2, ErrForbidden, false},
		{"capture", ":0\nX=| id\n", 2, ErrForbidden, false},
		{"backquote", "X=`id`\n:0\n.Junk/\n", 1, ErrForbidden, false},
		{"program condition", ":0\n* ? true\n.Junk/\n", 2, ErrForbidden, false},
		{"includerc", "INCLUDERC=/etc/procmailrc\n", 1, ErrForbidden, false},
		{"switchrc", "\n\nSWITCHRC=other.rc\n", 3, ErrForbidden, false},
		{"trap", "SHELL=/bin/sh\nTRAP=\"rm -rf $HOME\"\n", 2, ErrForbidden, false},
		{"dotdot folder", ":0\n* ^Subject: test\n../bob/\n", 3, ErrUnsafe, true},
		{"dotdot inside", ":0\n.Junk/../.Other/\n", 2, ErrUnsafe, true},
		{"absolute outside", ":0\n/tmp/elsewhere/\n", 2, ErrUnsafe, true},
		{"maildir dotdot", "MAILDIR=..\n:0\n.Junk/\n", 1, ErrUnsafe, true},
		{"maildir via variable", "UP=..\nMAILDIR=$HOME/$UP/bob\n:0\n.Junk/\n", 2, ErrUnsafe, true},
		{"folder via variable", "D=../bob/\n:0\n$D\n", 3, ErrUnsafe, true},
		{"logfile outside", "LOGFILE=/tmp/procmail.log\n", 1, ErrUnsafe, true},
		{"own new dir", ":0\nnew/\n", 2, ErrUnsafe, true},
		{"sendmail option", ":0\n! -C/etc/evil.cf bob@example.net\n", 2, ErrForbidden, true},
		{"syntax error", ":0\n* ^Subject: (unclosed\n.Junk/\n", 2, ErrRegex, false},
		{"missing action", ":0\n* ^Subject: test\n", 1, ErrSyntax, false},
		{"unknown flag", ":0 Z\n.Junk/\n", 1, ErrSyntax, false},
		{"old recipe", ":2\n^Subject\n.Junk/\n", 1, ErrUnsupported, false},
		{"missing brace", ":0\n{\n:0\n.Junk/\n", 2, ErrSyntax, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, outside, rec := virtualSetup(t)
			cfg := Config{Mode: Virtual, Actions: rec, Root: root, Recipient: "alice@example.com"}
			res, err := Run(context.Background(), cfg, FilterFile, []byte(tc.rc), []byte(safetyMsg))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if !res.Fallback {
				t.Errorf("not refused: %+v", res)
			}
			if n := countNew(t, root); n != 1 {
				t.Errorf("default maildir has %d messages, want 1", n)
			}
			for _, d := range []string{outside, filepath.Join(root, ".Junk"), filepath.Join(root, ".Other"), "/tmp/elsewhere"} {
				if n := countNew(t, d); n != 0 {
					t.Errorf("%s has %d messages", d, n)
				}
			}
			if _, err := os.Stat("/tmp/stolen"); err == nil {
				t.Error("/tmp/stolen exists")
			}
			found := false
			for _, p := range res.Problems {
				if errors.Is(p, tc.kind) {
					found = true
				}
			}
			if !found {
				t.Errorf("problems %v do not wrap %v", res.Problems, tc.kind)
			}
			want := FilterFile + ":" + strconv.Itoa(tc.line) + ":"
			logged := false
			for _, e := range rec.logs {
				if strings.Contains(e.Text(), want) {
					logged = true
				}
			}
			if !logged {
				t.Errorf("no log entry names %s: %v", want, rec.logs)
			}
			if len(rec.logs) > 0 && !tc.runtime {
				// Parse errors: nothing was applied.
				for _, d := range res.Deliveries {
					if !d.Default {
						t.Errorf("delivery %v despite a parse error", d)
					}
				}
			}
		})
	}
}

// TestVirtualSymlinkEscape: a folder that is a symbolic link leading out of
// the maildir is refused by OSActions; the recipe fails and the message
// goes to the default maildir.
func TestVirtualSymlinkEscape(t *testing.T) {
	root, outside, rec := virtualSetup(t)
	if err := os.Symlink(outside, filepath.Join(root, ".Evil")); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Mode: Virtual, Actions: rec, Root: root}
	res, err := Run(context.Background(), cfg, FilterFile, []byte(":0\n.Evil/\n"), []byte(safetyMsg))
	if err != nil {
		t.Fatal(err)
	}
	if n := countNew(t, outside); n != 0 {
		t.Errorf("message escaped through the symlink (%d)", n)
	}
	if n := countNew(t, root); n != 1 {
		t.Errorf("default maildir has %d, want 1 (%v)", n, res.Problems)
	}
}

// TestSyntaxErrorLogfile: a file that does not parse still logs its
// problems to the LOGFILE it sets before the error.
func TestSyntaxErrorLogfile(t *testing.T) {
	root, _, rec := virtualSetup(t)
	rc := "LOGFILE=$MAILDIR/filter.log\n\n:0\n* ^Subject: [unclosed\n.Junk/\n"
	cfg := Config{Mode: Virtual, Actions: rec, Root: root}
	if _, err := Run(context.Background(), cfg, FilterFile, []byte(rc), []byte(safetyMsg)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "filter.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), FilterFile+":4: ") || !strings.Contains(string(b), "missing ]") {
		t.Errorf("log file:\n%s", b)
	}
	if countNew(t, root) != 1 {
		t.Error("message not in the default maildir")
	}
}

// TestForwardLoop: forwarding to the recipient itself is dropped as a loop.
func TestForwardLoop(t *testing.T) {
	tests := []struct {
		name, rc  string
		forwards  int
		inDefault int
	}{
		{"self", ":0\n! alice@example.com\n", 0, 1},
		{"self case and extension", ":0\n! <Alice+lists@Example.COM>\n", 0, 1},
		{"self and other", ":0\n! alice@example.com bob@example.net\n", 1, 0},
		{"other", ":0\n! bob@example.net\n", 1, 0},
		{"copy to self", ":0 c\n! alice@example.com\n", 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []Mode{Local, Virtual} {
				root, _, rec := virtualSetup(t)
				rec.OSActions.Root = ""
				cfg := Config{Mode: mode, Actions: rec, Root: root, Recipient: "alice@example.com",
					Env: map[string]string{"HOME": filepath.Dir(root), "LOGNAME": "alice"}}
				res, err := Run(context.Background(), cfg, FilterFile, []byte(tc.rc), []byte(safetyMsg))
				if err != nil {
					t.Fatal(err)
				}
				ents, _ := os.ReadDir(rec.fwdDir)
				if len(ents) != tc.forwards {
					t.Errorf("%s: %d forwards, want %d", mode, len(ents), tc.forwards)
				}
				if n := countNew(t, root); n != tc.inDefault {
					t.Errorf("%s: %d in the default maildir, want %d", mode, n, tc.inDefault)
				}
				if tc.forwards == 0 {
					loop := false
					for _, p := range res.Problems {
						loop = loop || errors.Is(p, ErrLoop)
					}
					if !loop {
						t.Errorf("%s: no loop reported: %v", mode, res.Problems)
					}
				}
			}
		})
	}
}

// TestLocalBareLoginLoop: a local user's `! alice` is a loop too.
func TestLocalBareLoginLoop(t *testing.T) {
	root, _, rec := virtualSetup(t)
	rec.OSActions.Root = ""
	cfg := Config{Mode: Local, Actions: rec, Root: root, Env: map[string]string{"HOME": filepath.Dir(root), "LOGNAME": "alice"}}
	if _, err := Run(context.Background(), cfg, ".procmailrc", []byte(":0\n! alice\n"), []byte(safetyMsg)); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(rec.fwdDir); len(ents) != 0 || countNew(t, root) != 1 {
		t.Errorf("forwards %d, default %d", len(ents), countNew(t, root))
	}
}

// TestDefaultFallback: an unusable DEFAULT does not lose the message.
func TestDefaultFallback(t *testing.T) {
	root, _, rec := virtualSetup(t)
	rec.OSActions.Root = ""
	mbox := filepath.Join(filepath.Dir(root), "mbox")
	if err := os.WriteFile(mbox, []byte("From x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, rc := range []string{"DEFAULT=" + mbox + "\n", "DEFAULT=/proc/nope/\n", "DEFAULT=dir/.\n"} {
		cfg := Config{Mode: Local, Actions: rec, Root: root, Env: map[string]string{"HOME": filepath.Dir(root)}}
		res, err := Run(context.Background(), cfg, ".procmailrc", []byte(rc), []byte(safetyMsg))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Fallback || len(res.Problems) == 0 {
			t.Errorf("%q: %+v", rc, res)
		}
	}
	if n := countNew(t, root); n != 3 {
		t.Errorf("default maildir has %d, want 3", n)
	}
}

// TestRootUnwritable: when even the default maildir fails, Run says so.
func TestRootUnwritable(t *testing.T) {
	_, _, rec := virtualSetup(t)
	rec.OSActions.Root = ""
	cfg := Config{Mode: Local, Actions: rec, Root: "/proc/no/such/maildir"}
	if _, err := Run(context.Background(), cfg, ".procmailrc", nil, []byte(safetyMsg)); err == nil {
		t.Fatal("no error")
	}
}
