package procmail

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const regexMsg = "From sender@example.org  Tue Nov 24 00:00:00 2026\n" +
	"From: John Doe <john@example.org>\n" +
	"To: Team <team@example.com>, alice@example.com\n" +
	"Subject: hello\n world continued\n" +
	"Message-ID: <m1@example.org>\n" +
	"X-Foo: Bar123 baz\n" +
	"X-Braces: a{2} x\n" +
	"\n" +
	"body line one :-) :-)\n> quoted\n> again\naaa\n"

// TestTranslate checks translations against what procmail 3.22 does (each
// case was observed with the real procmail; TestRegexDifferential checks
// them again when it is installed).
func TestTranslate(t *testing.T) {
	h, b := splitMessage([]byte(regexMsg))
	hdr := []byte(string(h))
	for i := 0; i+1 < len(hdr); i++ {
		if hdr[i] == '\n' && (hdr[i+1] == ' ' || hdr[i+1] == '\t') {
			hdr[i] = ' '
		}
	}
	header, body := string(hdr), string(b)
	tests := []struct {
		re        string
		D, B      bool
		match     bool
		wantMatch string // MATCH when the expression has \/
	}{
		{re: `^Subject:.*world`, match: true},
		{re: `hello  world`, match: true},
		{re: `hello world`, match: false},
		{re: `^subject: HELLO`, match: true},
		{re: `^subject: HELLO`, D: true, match: false},
		{re: `^From:.*\/[a-z]+@`, match: true, wantMatch: "john@"},
		{re: `^From:\/.*`, match: true, wantMatch: " John Doe <john@example.org>"},
		{re: `^X-Foo: \/.*$`, match: true, wantMatch: "Bar123 baz\n"},
		{re: `^X-Foo: Bar\/[0-9]+`, match: true, wantMatch: "123"},
		{re: `^X-Foo: \/[a-z]+[0-9]*`, match: true, wantMatch: "Bar123"},
		{re: `^X-Foo: .*\/ba.`, match: true, wantMatch: "Bar"},
		{re: `foo$^bar`, match: false},
		{re: `baz$$^^`, match: false}, // X-Braces follows
		{re: ` x$$^^`, match: true},
		{re: `^^From sender`, match: true},
		{re: `^^From:`, match: false},
		{re: `Bar123\>`, match: true},
		{re: `Foo:\<Bar`, match: true},
		{re: `Foo: \<Bar`, match: false},
		{re: `a{2}`, match: true},
		{re: `xa{2}`, match: false},
		{re: `^Subject: hel\lo`, match: true},
		{re: `[^a]$`, match: true},
		{re: `^TO_alice@example\.com`, match: true},
		{re: `^TO_team@example\.com`, match: true},
		{re: `^TOalice`, match: true},
		{re: `^TO_lice@example\.com`, match: false},
		{re: `^FROM_DAEMON`, match: false},
		{re: `^FROM_MAILER`, match: false},
		{re: `^^body`, B: true, match: true},
		{re: `aaa$^^`, B: true, match: true},
		{re: `aaa^^`, B: true, match: false},
		{re: `quoted$^>`, B: true, match: false},
		{re: `quoted$>`, B: true, match: true},
		{re: `^> \/[a-z]+`, B: true, match: true, wantMatch: "quoted"},
		{re: `[]x]`, match: true},
		{re: `(ab|cd)+ef`, match: false},
		{re: `colou?r`, match: false},
		{re: `()alice`, match: true},
	}
	for _, tc := range tests {
		r, err := Translate(tc.re, tc.D)
		if err != nil {
			t.Errorf("%q: %v", tc.re, err)
			continue
		}
		text := header
		if tc.B {
			text = body
		}
		if got := r.Matches(text); got != tc.match {
			t.Errorf("%q (RE2 %s): match %v, want %v", tc.re, r.Test, got, tc.match)
		}
		if r.Match != nil && tc.match {
			m := r.Match.FindStringSubmatch(text)
			if m == nil || m[1] != tc.wantMatch {
				t.Errorf("%q: MATCH %q, want %q", tc.re, m, tc.wantMatch)
			}
		}
	}
}

// TestTranslateErrors: bad expressions give clear errors.
func TestTranslateErrors(t *testing.T) {
	for _, re := range []string{`(abc`, `abc)`, `[abc`, `[z-a]`, `(a\/b)`, strings.Repeat("(", 300) + strings.Repeat(")", 300)} {
		if _, err := Translate(re, false); err == nil {
			t.Errorf("%q: no error", re)
		} else if !strings.Contains(err.Error(), "invalid regular expression") {
			t.Errorf("%q: %v", re, err)
		}
	}
}

// TestSeries checks the weighted-scoring formula of procmailsc(5).
func TestSeries(t *testing.T) {
	tests := []struct {
		w, x, n float64
		inf     bool
		want    float64
	}{
		{1, 1, 4, false, 4},
		{2, 0, 5, false, 2},
		{1, 2, 3, false, 7},
		{1000, .5, 2, false, 1500},
		{-100, 1, 3, false, -300},
		{1, 1, 1, true, 0}, // checked below: +Inf
		{1, .5, 1, true, 2},
		{3, 0, 0, false, 0},
	}
	for _, tc := range tests {
		got := series(tc.w, tc.x, tc.n, tc.inf)
		if tc.inf && tc.x >= 1 {
			if got <= 2147483647 {
				t.Errorf("series(%v,%v,inf) = %v, want +inf", tc.w, tc.x, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("series(%v,%v,%v) = %v, want %v", tc.w, tc.x, tc.n, got, tc.want)
		}
	}
}

// regexCases are conditions compared with the real procmail by
// TestRegexDifferential: flags, condition.
var regexCases = [][2]string{
	{"", `^Subject:.*world`}, {"", `hello  world`}, {"", `hello world`},
	{"D", `^subject: HELLO`}, {"", `^subject: HELLO`},
	{"", `^From:.*\/[a-z]+@`}, {"", `^From:\/.*`}, {"", `^X-Foo: \/.*$`},
	{"", `^X-Foo: Bar\/[0-9]+`}, {"", `^X-Foo: \/[a-z]+[0-9]*`}, {"", `^X-Foo: .*\/ba.`},
	{"", `^To:.*\/[a-z]+@example\.com`}, {"", `^To:.*<\/[^>]+`},
	{"", `^Subject:\/.*`}, {"", `^Subject: *\/[^ ].*`}, {"", `^Message-ID: *<\/[^@]+`},
	{"", `foo$^bar`}, {"", `baz$$^^`}, {"", ` x$$^^`}, {"", `^^From sender`}, {"", `^^From:`},
	{"", `Bar123\>`}, {"", `Foo:\<Bar`}, {"", `a{2}`}, {"", `xa{2}`}, {"", `hel\lo`}, {"", `[^a]$`},
	{"", `^TO_alice@example\.com`}, {"", `^TO_team@example\.com`}, {"", `^TOalice`}, {"", `^TO_lice@example\.com`},
	{"", `^FROM_DAEMON`}, {"", `^FROM_MAILER`}, {"B", `^^body`}, {"B", `aaa$^^`}, {"B", `aaa^^`},
	{"B", `quoted$^>`}, {"B", `quoted$>`}, {"B", `^> \/[a-z]+`}, {"", `[]x]`}, {"", `(ab|cd)+ef`},
	{"", `(^|[ ,<])alice@`}, {"", `^(To|Cc):.*team`}, {"", `^[^:]*: Bar`}, {"HB", `baz$$body`},
	{"B", `1^1 ^.*$`}, {"B", `1^1 a+`}, {"B", `1^1 ^>`}, {"B", `2^.5 :-\)`}, {"B", `-1^1 ^[^>]`},
	{"", `3^1 o`}, {"", `1^0 ^X-`}, {"", `-5^0 ^Subject`}, {"B", `1^1 \<[a-z]+\>`},
	{"", `2^1 > 100`}, {"", `1^1 < 1000`}, {"", `! ^X-Nothing`}, {"", `!^Subject: hello`},
	{"", `> 250`}, {"", `< 250`}, {"", `$ ^To:.*$\LOGNAME@`}, {"", `LOGNAME ?? ^a\/l`},
	{"", `H ?? ^X-Foo`}, {"", `B ?? ^aaa`}, {"", `^Subject: hello world continued`},
	{"B", `^$`}, {"B", `^^$`}, {"B", `1^1 ^$`}, {"", `1^1 ^$`}, {"", `-2^0`}, {"", `1^1 < 1000`},
	{"", `-2^0`}, {"", `1^1 > 300`}, {"B", `1^1 ^[a-z]`}, {"B", `1^0 ^.*$`}, {"B", `1^.5 ^.*$`},
}

// TestRegexDifferential runs every regexCases condition through the real
// procmail and the engine and compares the logged MATCH and score.
func TestRegexDifferential(t *testing.T) {
	needProcmail(t)
	var rc strings.Builder
	rc.WriteString("LOGFILE=$MAILDIR/log\n")
	for i, c := range regexCases {
		fmt.Fprintf(&rc, "MATCH\n:0 %s\n* %s\n{ LOG=\"R%d=[$MATCH] [$=]\n\" }\n", c[0], c[1], i)
	}
	msgs := [][]byte{[]byte(regexMsg), []byte("From: a@b\nSubject: x\n\n"), []byte("From: a@b\nSubject: x\n\nno newline\n> at the end")}
	for _, name := range []string{"boss.eml", "bounce.eml", "list-folded.eml", "quoted.eml"} {
		b, err := os.ReadFile(filepath.Join("testdata/msg", name))
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, b)
	}
	for mi, msg := range msgs {
		dir := t.TempDir()
		rcFile := filepath.Join(dir, "rc")
		if err := os.WriteFile(rcFile, []byte(rc.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		pm := filepath.Join(dir, "pm")
		if err := os.MkdirAll(pm, 0o700); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, procmailBin, "-m", "MAILDIR="+pm, "DEFAULT="+pm+"/", "LOGNAME=alice", rcFile)
		cmd.Stdin = bytes.NewReader(msg)
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("procmail: %v %s", err, out)
		}
		want := rLines(t, filepath.Join(pm, "log"))

		eng := filepath.Join(dir, "eng")
		if err := os.MkdirAll(eng, 0o700); err != nil {
			t.Fatal(err)
		}
		rec := newRecorder(t, eng, dir, Local)
		cfg := Config{Mode: Local, Actions: rec, Root: eng, Env: map[string]string{"HOME": eng, "LOGNAME": "alice"}}
		if _, err := Run(context.Background(), cfg, "rc", []byte(rc.String()), msg); err != nil {
			t.Fatal(err)
		}
		// The engine's MAILDIR is HOME; its log is there.
		got := rLines(t, filepath.Join(eng, "log"))
		for i, c := range regexCases {
			key := fmt.Sprintf("R%d=", i)
			if want[key] != got[key] {
				t.Errorf("message %d, :0 %s * %s: procmail %q, engine %q", mi, c[0], c[1], want[key], got[key])
			}
		}
	}
}

// rLines reads the R<n>=... lines of a log into a map "R<n>=" -> line.
func rLines(t *testing.T, file string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "R") {
			if k, _, ok := strings.Cut(l, "="); ok {
				m[k+"="] = l
			}
		}
	}
	return m
}

// FuzzTranslate: the translator never panics, and what it accepts compiles
// (Translate compiles) and runs.
func FuzzTranslate(f *testing.F) {
	for _, c := range regexCases {
		f.Add(c[1], false)
	}
	for _, s := range []string{`^^`, `$`, `\`, `[`, `[]`, `[^]]`, `(`, `)`, `*a`, `a**`, `a+?*`, `^*`, `$*`, `^^*`, `\/`, `a\/b\/c`, `(\/)`, `[\`, `\<*`, `()*`, `(|)`, `[a-]`, `[-a]`, "\xff[\xfe-\xff]", `^TO_^TO`} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, re string, d bool) {
		r, err := Translate(re, d)
		if err != nil {
			if !strings.Contains(err.Error(), "invalid regular expression") {
				t.Fatalf("unclear error for %q: %v", re, err)
			}
			return
		}
		if r.Test == nil {
			t.Fatalf("%q: no test regexp", re)
		}
		r.Test.MatchString(regexMsg)
		if r.Match != nil {
			if r.Match.NumSubexp() != 1 {
				t.Fatalf("%q: %d groups", re, r.Match.NumSubexp())
			}
			r.Match.FindStringSubmatch(regexMsg)
		}
	})
}
