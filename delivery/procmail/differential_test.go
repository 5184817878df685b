package procmail

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hostdir/delivery/maildir"
)

const procmailBin = "/usr/bin/procmail"

// needProcmail skips unless the real procmail is installed (fails on CI).
func needProcmail(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(procmailBin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("procmail missing: %v", err)
		}
		t.Skipf("procmail missing: %v", err)
	}
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the differential test runs procmail -m as root")
		}
		t.Skip("the differential test runs procmail -m as root")
	}
}

// recorder is OSActions with forwards written to a directory, in the format
// of the fake sendmail given to procmail.
type recorder struct {
	*OSActions
	fwdDir string
	n      atomic.Int64
	logs   []LogEntry
}

func (r *recorder) Forward(ctx context.Context, f Forward, msg []byte) error {
	args := append(append([]string{}, f.SendmailFlags...), f.Args...)
	name := filepath.Join(r.fwdDir, fmt.Sprintf("fwd%d", r.n.Add(1)))
	return os.WriteFile(name, append([]byte("ARGS: "+strings.Join(args, " ")+"\n"), msg...), 0o600)
}

func (r *recorder) Log(ctx context.Context, e LogEntry) {
	r.logs = append(r.logs, e)
	r.OSActions.Log(ctx, e)
}

func newRecorder(t *testing.T, root, fwd string, mode Mode) *recorder {
	w := maildir.New()
	o := &OSActions{Writer: w, Base: "/"}
	if mode == Virtual {
		o.Base = filepath.Dir(root)
		o.Root = root
		o.NoPrograms = true
	}
	return &recorder{OSActions: o, fwdDir: fwd}
}

// outcome is where copies went: maildir (relative to the root, "." for
// the root) -> sorted message contents; "!forward" for forwards.
type outcome map[string][]string

func collect(t *testing.T, root, fwd string) outcome {
	t.Helper()
	out := outcome{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || filepath.Base(filepath.Dir(p)) != "new" {
			return nil
		}
		md, _ := filepath.Rel(root, filepath.Dir(filepath.Dir(p)))
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[md] = append(out[md], string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(fwd)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(fwd, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out["!forward"] = append(out["!forward"], string(b))
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

func (o outcome) summary() string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s:", k)
		for _, m := range o[k] {
			fmt.Fprintf(&b, " %s", messageID(m))
		}
		b.WriteString("; ")
	}
	return b.String()
}

func messageID(m string) string {
	var id, args string
	for _, l := range strings.Split(m, "\n") {
		if l == "" {
			break
		}
		if strings.HasPrefix(l, "ARGS: ") {
			args = "[" + l[6:] + "]"
		}
		if strings.HasPrefix(strings.ToLower(l), "message-id:") {
			id = strings.TrimSpace(l[11:])
		}
	}
	if id == "" {
		id = fmt.Sprintf("(%d bytes)", len(m))
	}
	return args + id
}

// virtualForwards drops procmail's $SENDMAILFLAGS (-oi) from recorded
// forwards: a virtual user's forwards go through the delivery agent's own
// sendmail command, not $SENDMAIL $SENDMAILFLAGS.
func virtualForwards(o outcome) outcome {
	out := outcome{}
	for k, v := range o {
		out[k] = v
	}
	if f := o["!forward"]; f != nil {
		out["!forward"] = make([]string, len(f))
		for i, m := range f {
			out["!forward"][i] = strings.Replace(m, "ARGS: -oi ", "ARGS: ", 1)
		}
		sort.Strings(out["!forward"])
	}
	return out
}

func equalOutcome(a, b outcome) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || len(v) != len(w) {
			return false
		}
		for i := range v {
			if v[i] != w[i] {
				return false
			}
		}
	}
	return true
}

// setupRoot makes the mail root (with the sub/ directory maildir-default.rc
// uses as MAILDIR: procmail wants to chdir into it) and the forward dir.
func setupRoot(t *testing.T) (root, fwd string) {
	dir := t.TempDir()
	root = filepath.Join(dir, "mail")
	fwd = filepath.Join(dir, "fwd")
	for _, d := range []string{root, fwd, filepath.Join(root, "sub")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return root, fwd
}

func runProcmail(t *testing.T, rc, msg string) outcome {
	t.Helper()
	root, fwd := setupRoot(t)
	fake := filepath.Join(filepath.Dir(root), "sendmail")
	script := "#!/bin/sh\nf=\"" + fwd + "/$(date +%s%N).$$\"\n{ echo \"ARGS: $*\"; cat; } > \"$f\"\n"
	if err := os.WriteFile(fake, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(msg)
	if err != nil {
		t.Fatal(err)
	}
	rcAbs, _ := filepath.Abs(rc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, procmailBin, "-m",
		"HOME="+root, "MAILDIR="+root, "DEFAULT="+root+"/", "LOGNAME=alice",
		"SENDMAIL="+fake, "RCDIR="+rcDir(t), rcAbs)
	cmd.Dir = root
	cmd.Env = []string{"HOME=" + root, "PATH=/usr/bin:/bin"}
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("procmail %s < %s: %v\n%s", rc, msg, err, stderr.String())
	}
	return collect(t, root, fwd)
}

func runEngine(t *testing.T, rc, msg string, mode Mode) (outcome, *Result) {
	t.Helper()
	root, fwd := setupRoot(t)
	src, err := os.ReadFile(rc)
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(msg)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(t, root, fwd, mode)
	cfg := Config{
		Mode:      mode,
		Actions:   rec,
		Root:      root,
		Env:       map[string]string{"HOME": root, "LOGNAME": "alice", "USER": "alice", "RCDIR": rcDir(t)},
		Recipient: "alice@example.com",
	}
	res, err := Run(context.Background(), cfg, filepath.Base(rc), src, in)
	if err != nil {
		t.Fatalf("engine %s < %s: %v", rc, msg, err)
	}
	if res.Fallback {
		t.Errorf("engine %s < %s: fell back: %v", rc, msg, res.Problems)
	}
	return collect(t, root, fwd), res
}

// TestDifferential runs every testdata/rc file on every testdata/msg
// message with the real procmail and with the engine (local mode, and
// virtual mode too when the file is allowed there) and compares, per
// maildir, the exact files written, and the forwards.
func TestDifferential(t *testing.T) {
	needProcmail(t)
	rcs, _ := filepath.Glob("testdata/rc/*.rc")
	msgs, _ := filepath.Glob("testdata/msg/*.eml")
	if len(rcs) == 0 || len(msgs) == 0 {
		t.Fatal("empty corpus")
	}
	cases, nonDefault := 0, 0
	for _, rc := range rcs {
		src, _ := os.ReadFile(rc)
		_, verr := Parse(rc, src, Virtual)
		if bytes.Contains(src, []byte("differential: local-only")) {
			verr = fmt.Errorf("local only")
		}
		for _, msg := range msgs {
			name := strings.TrimSuffix(filepath.Base(rc), ".rc") + "/" + strings.TrimSuffix(filepath.Base(msg), ".eml")
			t.Run(name, func(t *testing.T) {
				want := runProcmail(t, rc, msg)
				got, _ := runEngine(t, rc, msg, Local)
				if !equalOutcome(want, got) {
					t.Errorf("local mode differs\nprocmail: %s\nengine:   %s", want.summary(), got.summary())
				}
				if verr == nil {
					vgot, _ := runEngine(t, rc, msg, Virtual)
					if !equalOutcome(virtualForwards(want), vgot) {
						t.Errorf("virtual mode differs\nprocmail: %s\nengine:   %s", want.summary(), vgot.summary())
					}
				}
				cases++
				if len(want) != 1 || want["."] == nil {
					nonDefault++
				}
			})
		}
	}
	t.Logf("%d rc files x %d messages = %d cases, %d of them not (only) in the default maildir", len(rcs), len(msgs), cases, nonDefault)
}

var _ = slog.LevelInfo

func rcDir(t *testing.T) string {
	d, err := filepath.Abs("testdata/rc")
	if err != nil {
		t.Fatal(err)
	}
	return d
}
