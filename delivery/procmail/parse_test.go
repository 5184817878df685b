package procmail

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// memActions records effects in memory (no file system, no programs).
type memActions struct {
	folders  []string
	forwards [][]string
	pipes    []string
	logs     []LogEntry
	fail     map[string]bool // folders that fail
}

func (m *memActions) DeliverFolder(ctx context.Context, path string, msg []byte) (string, error) {
	if m.fail[path] {
		return "", errors.New("injected failure")
	}
	m.folders = append(m.folders, path)
	return filepath.Join(path, "new", "x"), nil
}

func (m *memActions) Forward(ctx context.Context, f Forward, msg []byte) error {
	m.forwards = append(m.forwards, f.Args)
	return nil
}

func (m *memActions) Pipe(ctx context.Context, c Command, input []byte, wantOutput bool) ([]byte, error) {
	m.pipes = append(m.pipes, c.Line)
	if strings.Contains(c.Line, "false") {
		return nil, &ExitError{Code: 1}
	}
	return []byte("out\n"), nil
}

func (m *memActions) Log(ctx context.Context, e LogEntry) { m.logs = append(m.logs, e) }

func TestParseStructure(t *testing.T) {
	src := `# comment
SHELL = /bin/sh   # blanks around = are ignored
LOGFILE=$HOME/log
FOO
:0 Bc: lock
* ^Subject:.*x
* 2^1 ^From
*! > 100
* $ ^To:.*$\LOGNAME
.Folder/

:0 HBDAaEehbfcwWir
| cmd \
  --flag

:0
* cond
{
  :0
  ! a@b c@d

  :0 h
  VAR=| formail -x Subject:
}
{ LOG="inline" }
`
	// The last line is not a recipe: a stray block is a syntax error.
	_, err := Parse("rc", []byte(src), Local)
	var se *SyntaxError
	if !errors.As(err, &se) || len(se.Errors) != 1 || se.Errors[0].Pos.Line != 25 {
		t.Fatalf("want one error at line 25, got %v", err)
	}
	f, err := Parse("rc", []byte(strings.TrimSuffix(src, "{ LOG=\"inline\" }\n")), Local)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 6 {
		t.Fatalf("%d items", len(f.Items))
	}
	if a := f.Items[0].(*Assign); a.Name != "SHELL" || a.Value != "/bin/sh" {
		t.Errorf("assign %+v", a)
	}
	if a := f.Items[2].(*Assign); a.Name != "FOO" || !a.Unset {
		t.Errorf("unset %+v", a)
	}
	r := f.Items[3].(*Recipe)
	if !r.Flags.B || !r.Flags.Copy || r.Flags.H || !r.HasLock || r.Lock != "lock" || len(r.Conds) != 4 {
		t.Errorf("recipe %+v", r)
	}
	if c := r.Conds[1]; !c.Weighted || c.W != 2 || c.X != 1 {
		t.Errorf("weight %+v", c)
	}
	if c := r.Conds[2]; !c.Negate || c.Kind != CondGreater || c.Size != 100 {
		t.Errorf("size %+v", c)
	}
	if c := r.Conds[3]; c.Kind != CondExpand {
		t.Errorf("expand %+v", c)
	}
	if r.Action.Kind != ActFolder || r.Action.Text != ".Folder/" || r.Conds[0].Pos.Line != 6 {
		t.Errorf("action %+v", r.Action)
	}
	p := f.Items[4].(*Recipe)
	if p.Action.Kind != ActPipe || !strings.Contains(p.Action.Text, "--flag") || p.Pos.Line != 12 {
		t.Errorf("pipe %+v", p)
	}
	b := f.Items[5].(*Recipe)
	if b.Action.Kind != ActBlock || len(b.Action.Items) != 2 {
		t.Fatalf("block %+v", b)
	}
	if fw := b.Action.Items[0].(*Recipe); fw.Action.Kind != ActForward || fw.Action.Text != "a@b c@d" {
		t.Errorf("forward %+v", fw.Action)
	}
	if c := b.Action.Items[1].(*Recipe); c.Action.Capture != "VAR" || c.Action.Text != "formail -x Subject:" {
		t.Errorf("capture %+v", c.Action)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		src  string
		line int
		kind error
	}{
		{":0\n* (\n.x/\n", 2, ErrRegex},
		{"\n\n:0 q\n.x/\n", 3, ErrSyntax},
		{"}\n", 1, ErrSyntax},
		{"X='unterminated\n", 1, ErrSyntax},
		{":0\n", 1, ErrSyntax},
		{":0\n* < lots\n.x/\n", 2, ErrSyntax},
		{":0 f\n.x/\n", 1, ErrSyntax},
		{":0\n|\n", 2, ErrUnsupported},
		{"A=${X?err}\n", 1, ErrUnsupported},
		{"=value\n", 1, ErrSyntax},
	}
	for _, tc := range tests {
		_, err := Parse("rc", []byte(tc.src), Local)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: %v", tc.src, err)
			continue
		}
		if se.Errors[0].Pos.Line != tc.line || !errors.Is(err, tc.kind) {
			t.Errorf("%q: %v (want line %d, %v)", tc.src, err, tc.line, tc.kind)
		}
	}
}

func TestExpand(t *testing.T) {
	vars := mapLookup{"A": "x y", "E": "", "P": "a.b*c", "1": "arg1"}
	tests := []struct {
		in, want string
		fields   []string
		quoted   bool
	}{
		{in: `$A`, want: "x y", fields: []string{"x", "y"}},
		{in: `"$A"`, want: "x y", fields: []string{"x y"}},
		{in: `'$A'`, want: "$A", fields: []string{"$A"}},
		{in: `${A}z`, want: "x yz", fields: []string{"x", "yz"}},
		{in: `${E:-def}`, want: "def"},
		{in: `${E-def}`, want: ""},
		{in: `${U-def}`, want: "def"},
		{in: `${A:+set}`, want: "set"},
		{in: `${E:+set}`, want: ""},
		{in: `${E+set}`, want: "set"},
		{in: `$\P`, want: `()a\.b\*c`},
		{in: `\$A`, want: "$A"},
		{in: `$1-$#`, want: "arg1-"},
		{in: `a\.b`, want: `a\.b`, quoted: true},
		{in: `^To:.*$A`, want: `^To:.*x y`, quoted: true},
		{in: `"a"'b'c`, want: "abc"},
		{in: `$`, want: "$"},
	}
	for _, tc := range tests {
		got, err := Expand(tc.in, vars, ExpandOptions{Quoted: tc.quoted})
		if err != nil || got != tc.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if tc.fields != nil {
			fs, err := ExpandFields(tc.in, vars, ExpandOptions{})
			if err != nil || strings.Join(fs, "|") != strings.Join(tc.fields, "|") {
				t.Errorf("ExpandFields(%q) = %q, %v; want %q", tc.in, fs, err, tc.fields)
			}
		}
	}
	if _, err := Expand("`id`", vars, ExpandOptions{}); !errors.Is(err, ErrForbidden) {
		t.Errorf("backquote without runner: %v", err)
	}
}

type mapLookup map[string]string

func (m mapLookup) Get(k string) (string, bool) { v, ok := m[k]; return v, ok }

// TestEngineFlags covers chaining rules with injected failures (the
// differential test covers them against procmail with real folders).
func TestEngineFlags(t *testing.T) {
	msg := []byte("From: a@b\nSubject: hi\n\nbody\n")
	tests := []struct {
		name, rc string
		fail     string
		want     []string // folder base names in order
		pipes    int
	}{
		{"else chain", ":0\n* nomatch\nA/\n:0 E\n* ^Subject: hi\nB/\n:0 E\nC/\n", "", []string{"B"}, 0},
		{"error flag", ":0 c\nbad/\n:0 e\nE/\n", "bad", []string{"E"}, 0},
		{"a after failure", ":0 c\nbad/\n:0 a\nA/\n:0\nD/\n", "bad", []string{"D"}, 0},
		{"a after success", ":0 c\nok/\n:0 a\nA/\n", "", []string{"ok", "A"}, 0},
		{"A without match", ":0\n* nomatch\n{ }\n:0 A\nA/\n", "", []string{"root"}, 0},
		{"clone block", ":0 c\n{\n:0\n* nomatch\nX/\n}\n:0\nY/\n", "", []string{"Y", "Y"}, 0},
		{"failed program w", ":0 w\n| false\n", "", []string{"root"}, 1},
		{"program no w", ":0\n| false\n", "", nil, 1},
		{"capture", ":0\nV=| echo\n:0\n* V ?? ^out$\nV/\n", "", []string{"V"}, 1},
		{"filter", ":0 fw\n| echo\n:0 B\n* ^$\nEmptyBody/\n", "", []string{"EmptyBody"}, 1},
		{"score", ":0\n* 1^1 ^Subject\n* -2^0\nNo/\n:0\n* 3^1 ^[a-z]\nYes/\n", "", []string{"Yes"}, 0},
		{"dev null", ":0\n/dev/null\n", "", nil, 0},
		{"switchrc unset", "SWITCHRC\n:0\nNo/\n", "", []string{"root"}, 0},
		{"exitcode", "EXITCODE=75\n", "", []string{"root"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &memActions{fail: map[string]bool{"/r/" + tc.fail: true}}
			cfg := Config{Mode: Local, Actions: m, Root: "/r/root", Env: map[string]string{"HOME": "/r"}}
			res, err := Run(context.Background(), cfg, "rc", []byte(tc.rc), msg)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range m.folders {
				got = append(got, filepath.Base(f))
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") || len(m.pipes) != tc.pipes {
				t.Errorf("folders %v pipes %v, want %v %d (%v)", got, m.pipes, tc.want, tc.pipes, res.Problems)
			}
			if tc.name == "exitcode" && res.ExitCode != 75 {
				t.Errorf("exit code %d", res.ExitCode)
			}
		})
	}
}

// TestIncludeLoop: a file including itself stops at the limit and the
// message is delivered to the default maildir.
func TestIncludeLoop(t *testing.T) {
	m := &memActions{}
	cfg := Config{Mode: Local, Actions: m, Root: "/r/root", Env: map[string]string{"HOME": "/r"},
		ReadFile: func(string) ([]byte, error) { return []byte("INCLUDERC=self.rc\n"), nil }}
	res, err := Run(context.Background(), cfg, "rc", []byte("INCLUDERC=self.rc\n"), []byte("Subject: x\n\nb\n"))
	if err != nil || !res.Fallback || len(m.folders) != 1 {
		t.Fatalf("%v %+v %v", err, res, m.folders)
	}
}

// TestCloneBomb: n `c` blocks would fork 2^n times; the budget stops it.
func TestCloneBomb(t *testing.T) {
	rc := strings.Repeat(":0 c\n{ }\n", 40)
	m := &memActions{}
	cfg := Config{Mode: Virtual, Actions: m, Root: "/r/root"}
	res, err := Run(context.Background(), cfg, FilterFile, []byte(rc), []byte("Subject: x\n\nb\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.folders) > 2*maxClones+2 || !res.Fallback {
		t.Errorf("%d deliveries, fallback %v", len(m.folders), res.Fallback)
	}
}

// FuzzParse: the parser never panics; files it accepts evaluate without
// panicking in both modes (with effects in memory).
func FuzzParse(f *testing.F) {
	rcs, _ := filepath.Glob("testdata/rc/*.rc")
	for _, rc := range rcs {
		b, err := os.ReadFile(rc)
		if err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{"", ":0", ":0:", ":0\n{", "}", "A=\"", "A=`", ":0\n* $ $\\", ":0 c\n{ :0 c\n{ }\n}\n", "X=${A:-${B}}", ":0\n* 1^1 ^\n.x/"} {
		f.Add([]byte(s))
	}
	msg := []byte("From x  Mon Nov 23 10:00:00 2026\nFrom: a@b\nSubject: hi\n folded\n\nbody\n> q\n")
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, mode := range []Mode{Local, Virtual} {
			file, err := Parse("fuzz.rc", src, mode)
			if err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) || len(se.Errors) == 0 {
					t.Fatalf("error is not a SyntaxError: %v", err)
				}
				continue
			}
			m := &memActions{}
			cfg := Config{Mode: mode, Actions: m, Root: "/r/root", Env: map[string]string{"HOME": "/r"},
				Recipient: "a@b", ReadFile: func(string) ([]byte, error) { return src, nil }}
			res, err := RunFile(context.Background(), cfg, file, msg)
			if err != nil {
				t.Fatalf("RunFile: %v", err)
			}
			if len(res.Deliveries) == 0 && len(m.folders)+len(m.forwards)+len(m.pipes) == 0 && !devNull(res) {
				t.Fatalf("message went nowhere: %+v", res)
			}
			if mode == Virtual && len(m.pipes) > 0 {
				t.Fatalf("virtual rules ran a program: %v", m.pipes)
			}
			for _, p := range m.folders {
				if mode == Virtual && !within("/r/root", p) {
					t.Fatalf("virtual rules wrote outside the maildir: %s", p)
				}
			}
		}
	})
}

func devNull(res *Result) bool {
	for _, d := range res.Deliveries {
		if d.Target == "/dev/null" {
			return true
		}
	}
	return false
}
