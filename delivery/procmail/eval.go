package procmail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Config is what the engine needs for one message.
type Config struct {
	// Mode is Local or Virtual.
	Mode Mode
	// Actions carries out deliveries, forwards, programs and logging.
	Actions Actions
	// Root is the default maildir (absolute): ~/Maildir for a local user,
	// the mailbox for a virtual user. The message lands here when the
	// rules end without delivering and $DEFAULT fails, and when the rules
	// are abandoned because of an error. In Virtual mode every folder,
	// MAILDIR and LOGFILE must lie inside Root.
	Root string
	// Default is the initial $DEFAULT (a maildir; for virtual users inside
	// Root); "" means Root. A virtual user's address extension may select
	// a folder this way.
	Default string
	// Env holds the initial variables: HOME, USER, LOGNAME, EXTENSION,
	// RECIPIENT, SENDER, ... (Postfix local(8) sets them for a
	// mailbox_command). MAILDIR, DEFAULT and ORGMAIL are always derived
	// from Root (MAILDIR: $HOME for local users, Root for virtual users).
	Env map[string]string
	// Args are $1, $2, ... (procmail -a).
	Args []string
	// Recipient is the envelope recipient: a forward to it is a loop.
	Recipient string
	// ReadFile reads INCLUDERC and SWITCHRC files (Local mode); nil means
	// os.ReadFile.
	ReadFile func(path string) ([]byte, error)
	// Hostname is $HOST.
	Hostname string
	// PID is $$.
	PID int
}

// Delivery is one successful delivery.
type Delivery struct {
	// Kind is ActFolder (Target a maildir or /dev/null), ActForward
	// (Target the addresses) or ActPipe (Target the command).
	Kind   ActionKind
	Target string
	// File is the new message file of a folder delivery.
	File string
	// Pos is the recipe (zero for the default delivery).
	Pos Pos
	// Default marks the delivery to $DEFAULT or Root at the end.
	Default bool
}

// Result is the outcome of Run.
type Result struct {
	// Deliveries lists every successful delivery in order.
	Deliveries []Delivery
	// Fallback is set when the rules were not applied or abandoned (a
	// syntax error, a forbidden or unsupported construct, an unsafe path):
	// the message went to Root.
	Fallback bool
	// Problems lists what went wrong (each was logged).
	Problems []error
	// ExitCode is $EXITCODE when the rules set a number, else 0.
	ExitCode int
}

// ErrUnsafe is wrapped when a virtual user's rule leads outside the maildir.
var ErrUnsafe = errors.New("path outside the maildir")

// ErrLoop is wrapped when a rule forwards to the recipient itself.
var ErrLoop = errors.New("forwarding loop")

// maxIncludes bounds INCLUDERC nesting and SWITCHRC chains.
const maxIncludes = 32

// Run parses the rule file rc (named name in diagnostics) and applies it
// to msg. A file that does not parse is not applied at all: the message
// goes to Root and the problems are logged with file and line. The error is
// non-nil only when the message could not be delivered anywhere (not even
// to Root): the caller must then answer with a temporary failure.
func Run(ctx context.Context, cfg Config, name string, rc []byte, msg []byte) (*Result, error) {
	f, err := Parse(name, rc, cfg.Mode)
	if err != nil {
		e := newEngine(cfg, name, msg)
		var se *SyntaxError
		first := 0
		if errors.As(err, &se) && len(se.Errors) > 0 {
			first = se.Errors[0].Pos.Line
		}
		e.salvageLogfile(rc, first)
		if se != nil {
			for _, pe := range se.Errors {
				e.logf(pe.Pos, slog.LevelError, "%v", pe.Err)
			}
		} else {
			e.logf(Pos{File: name}, slog.LevelError, "%v", err)
		}
		e.res.Problems = append(e.res.Problems, err)
		e.logf(Pos{File: name}, slog.LevelError, "rules not applied; delivering to the default mailbox %s", cfg.Root)
		return e.res, e.fallback(ctx)
	}
	return RunFile(ctx, cfg, f, msg)
}

// salvageLogfile sets LOGFILE from the last plain top-level
// `LOGFILE=value` line before line `before` of a file that does not parse,
// so that its problems also reach the user's log. The value may use
// variables but no command; for virtual users it must stay in the maildir.
func (e *engine) salvageLogfile(rc []byte, before int) {
	lines := strings.Split(string(rc), "\n")
	if before <= 0 || before > len(lines) {
		before = len(lines) + 1
	}
	val := ""
	for _, l := range lines[:before-1] {
		l = strings.TrimSpace(l)
		name, v, ok := strings.Cut(l, "=")
		if !ok || strings.TrimSpace(name) != "LOGFILE" {
			continue
		}
		v = strings.TrimSpace(v)
		if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		val = v
	}
	if val == "" || strings.ContainsAny(val, "`") {
		return
	}
	x, err := Expand(val, e, ExpandOptions{})
	if err != nil || x == "" {
		return
	}
	p, err := e.absPath(x, Pos{})
	if err != nil {
		return
	}
	e.vars["LOGFILE"] = p
}

// RunFile applies a parsed rule file to msg (see Run).
func RunFile(ctx context.Context, cfg Config, f *File, msg []byte) (*Result, error) {
	e := newEngine(cfg, f.Name, msg)
	if f.Mode != cfg.Mode && cfg.Mode == Virtual {
		err := fmt.Errorf("%w: rule file parsed in %s mode", ErrForbidden, f.Mode)
		e.res.Problems = append(e.res.Problems, err)
		e.logf(Pos{File: f.Name}, slog.LevelError, "%v", err)
		return e.res, e.fallback(ctx)
	}
	return e.res, e.start(ctx, []*frame{{items: f.Items, file: f.Name}})
}

// frame is one level of the evaluation stack: a file or a block.
type frame struct {
	items   []Item
	idx     int
	st      state
	file    string
	include bool // an INCLUDERC file: its state goes back to the parent
}

// state is the chaining state of one nesting level.
type state struct {
	lastCond bool // conditions of the last recipe without A/a matched
	prevRan  bool // the immediately preceding recipe ran its action
	prevOK   bool // ... and the action succeeded
}

// Limits of one Run, shared by clones: procmail forks for `c` blocks, so a
// file of n such blocks would run 2^n times.
const (
	maxSteps      = 100000 // items evaluated
	maxClones     = 64
	maxDeliveries = 256
)

type budget struct {
	steps, clones, deliveries int
	exhausted                 bool // a limit was hit: every clone stops
}

type engine struct {
	budget   *budget
	cfg      Config
	vars     map[string]string
	msg      []byte
	res      *Result
	score    float64
	lastExit int
	rcName   string
	includes int
	areas    *areas
}

func newEngine(cfg Config, name string, msg []byte) *engine {
	e := &engine{budget: &budget{}, cfg: cfg, vars: map[string]string{}, msg: msg, res: &Result{}, rcName: name}
	for k, v := range cfg.Env {
		e.vars[k] = v
	}
	root := filepath.Clean(cfg.Root)
	setDefault := func(k, v string) {
		if _, ok := e.vars[k]; !ok {
			e.vars[k] = v
		}
	}
	if cfg.Mode == Virtual {
		e.vars["HOME"] = root
		e.vars["MAILDIR"] = root
	} else {
		setDefault("HOME", filepath.Dir(root))
		setDefault("SHELL", "/bin/sh")
		setDefault("PATH", e.vars["HOME"]+"/bin:/usr/local/bin:/usr/bin:/bin")
		e.vars["MAILDIR"] = e.vars["HOME"]
		e.vars["SENDMAIL"] = "/usr/sbin/sendmail"
		e.vars["SENDMAILFLAGS"] = "-oi"
		e.vars["SHELLMETAS"] = "&|<>~;?*["
		e.vars["SHELLFLAGS"] = "-c"
	}
	e.vars["DEFAULT"] = root + "/"
	if d := filepath.Clean(cfg.Default); cfg.Default != "" && filepath.IsAbs(d) && (cfg.Mode == Local || within(root, d)) {
		e.vars["DEFAULT"] = d + "/"
	}
	e.vars["ORGMAIL"] = root + "/"
	e.vars["MSGPREFIX"] = "msg."
	e.vars["LOCKEXT"] = ".lock"
	if cfg.Hostname != "" {
		e.vars["HOST"] = cfg.Hostname
	}
	delete(e.vars, "LOGFILE")
	delete(e.vars, "INCLUDERC")
	delete(e.vars, "SWITCHRC")
	return e
}

// clone copies the engine for a `c` block (procmail forks).
func (e *engine) clone() *engine {
	c := *e
	c.vars = make(map[string]string, len(e.vars))
	for k, v := range e.vars {
		c.vars[k] = v
	}
	return &c
}

// Get implements Lookup.
func (e *engine) Get(name string) (string, bool) {
	switch name {
	case "=":
		// procmail shows a positive score below 1 as 1 (it matched).
		v := int64(e.score)
		if v == 0 && e.score > 0 {
			v = 1
		}
		return strconv.FormatInt(v, 10), true
	case "_":
		return e.rcName, true
	case "-":
		v, ok := e.vars["LASTFOLDER"]
		return v, ok
	case "$":
		return strconv.Itoa(e.cfg.PID), true
	case "?":
		return strconv.Itoa(e.lastExit), true
	case "#":
		return strconv.Itoa(len(e.cfg.Args)), true
	case "@":
		return strings.Join(e.cfg.Args, " "), true
	}
	if len(name) == 1 && name[0] >= '0' && name[0] <= '9' {
		n := int(name[0] - '0')
		if n == 0 {
			return "procmail", true
		}
		if n <= len(e.cfg.Args) {
			return e.cfg.Args[n-1], true
		}
		return "", false
	}
	v, ok := e.vars[name]
	return v, ok
}

// env returns the variables as an environment.
func (e *engine) env() []string {
	out := make([]string, 0, len(e.vars))
	for k, v := range e.vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func (e *engine) logfile() string { return e.vars["LOGFILE"] }

func (e *engine) verbose() bool { return isTrue(e.vars["VERBOSE"]) }

func (e *engine) logf(pos Pos, level slog.Level, format string, args ...any) {
	if level == slog.LevelDebug && !e.verbose() {
		return
	}
	e.cfg.Actions.Log(context.Background(), LogEntry{Pos: pos, Level: level, Msg: fmt.Sprintf(format, args...), Logfile: e.logfile()})
}

// problem records and logs an error.
func (e *engine) problem(pos Pos, level slog.Level, err error) {
	e.res.Problems = append(e.res.Problems, &PosError{pos, err})
	e.logf(pos, level, "%v", err)
}

// isTrue reads procmail booleans: a non-zero number, on, y, t, e are true.
func isTrue(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return false
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n != 0
	}
	switch s[0] {
	case 'y', 't', 'e':
		return true
	}
	return strings.HasPrefix(s, "on")
}

// abort is returned inside the engine to abandon the rules.
type abort struct{ err error }

func (a *abort) Error() string { return a.err.Error() }
func (a *abort) Unwrap() error { return a.err }

func abortf(kind error, format string, args ...any) error {
	return &abort{fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))}
}

// start runs the stack to the end and makes the final delivery.
func (e *engine) start(ctx context.Context, stack []*frame) error {
	delivered, err := e.run(ctx, stack)
	if err != nil {
		var ab *abort
		if errors.As(err, &ab) {
			e.res.Problems = append(e.res.Problems, ab.err)
			e.logf(Pos{}, slog.LevelError, "rules abandoned: %v; delivering to the default mailbox %s", ab.err, e.cfg.Root)
			e.setExit()
			return e.fallback(ctx)
		}
		return err
	}
	e.setExit()
	if delivered {
		e.abstract()
		return nil
	}
	return e.deliverDefault(ctx)
}

func (e *engine) setExit() {
	if v, ok := e.vars["EXITCODE"]; ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
			e.res.ExitCode = n
		}
	}
}

// deliverDefault delivers to $DEFAULT, then to Root.
func (e *engine) deliverDefault(ctx context.Context) error {
	def := e.vars["DEFAULT"]
	if def != "" {
		path, kind, err := e.resolve(def)
		if err == nil && kind == folderMaildir {
			file, derr := e.cfg.Actions.DeliverFolder(ctx, path, stripFromLine(e.msg))
			if derr == nil {
				e.delivered(Delivery{Kind: ActFolder, Target: path, File: file, Default: true})
				e.abstract()
				return nil
			}
			err = derr
		} else if err == nil && kind == folderNull {
			e.delivered(Delivery{Kind: ActFolder, Target: "/dev/null", Default: true})
			return nil
		} else if err == nil {
			err = fmt.Errorf("%w: DEFAULT %q is not a maildir", ErrUnsupported, def)
		}
		e.problem(Pos{File: e.rcName}, slog.LevelWarn, fmt.Errorf("delivery to DEFAULT %s failed: %w", def, err))
	}
	return e.fallback(ctx)
}

// fallback delivers to Root.
func (e *engine) fallback(ctx context.Context) error {
	e.res.Fallback = true
	root := filepath.Clean(e.cfg.Root)
	file, err := e.cfg.Actions.DeliverFolder(ctx, root, stripFromLine(e.msg))
	if err != nil {
		e.logf(Pos{}, slog.LevelError, "delivery to the default mailbox %s failed: %v", root, err)
		return fmt.Errorf("delivery to %s: %w", root, err)
	}
	e.delivered(Delivery{Kind: ActFolder, Target: root, File: file, Default: true})
	e.abstract()
	return nil
}

func (e *engine) delivered(d Delivery) {
	e.res.Deliveries = append(e.res.Deliveries, d)
	if d.File != "" {
		e.vars["LASTFOLDER"] = d.File
	} else {
		e.vars["LASTFOLDER"] = d.Target
	}
	e.logf(d.Pos, slog.LevelInfo, "delivered to %s", d.Target)
	if strings.EqualFold(e.vars["LOGABSTRACT"], "all") {
		e.abstractFor(d.Target)
	}
}

// abstract writes procmail's summary of the final delivery to LOGFILE.
func (e *engine) abstract() {
	if e.logfile() == "" || strings.EqualFold(e.vars["LOGABSTRACT"], "all") {
		return
	}
	if v, ok := e.vars["LOGABSTRACT"]; ok && !isTrue(v) {
		return
	}
	e.abstractFor(e.vars["LASTFOLDER"])
}

func (e *engine) abstractFor(folder string) {
	if e.logfile() == "" {
		return
	}
	var b strings.Builder
	if bytes.HasPrefix(e.msg, []byte("From ")) {
		line, _, _ := bytes.Cut(e.msg, []byte("\n"))
		b.Write(line)
		b.WriteByte('\n')
	}
	hdr := e.getAreas().header
	for _, l := range strings.Split(hdr, "\n") {
		if len(l) > 8 && strings.EqualFold(l[:8], "subject:") {
			s := l
			if len(s) > 78 {
				s = s[:78]
			}
			b.WriteString(" " + s + "\n")
			break
		}
	}
	fmt.Fprintf(&b, "  Folder: %s\t%d\n", folder, len(stripFromLine(e.msg)))
	e.cfg.Actions.Log(context.Background(), LogEntry{Level: slog.LevelDebug, Msg: b.String(), Logfile: e.logfile(), Raw: true})
}

// run executes the stack; it reports whether a delivering recipe delivered.
func (e *engine) run(ctx context.Context, stack []*frame) (bool, error) {
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		f := stack[len(stack)-1]
		if f.idx >= len(f.items) {
			stack = stack[:len(stack)-1]
			if f.include && len(stack) > 0 {
				stack[len(stack)-1].st = f.st
			}
			continue
		}
		it := f.items[f.idx]
		f.idx++
		e.budget.steps++
		if e.budget.exhausted {
			return false, abortf(ErrUnsupported, "evaluation limits exceeded")
		}
		if e.budget.steps > maxSteps {
			e.budget.exhausted = true
			return false, abortf(ErrUnsupported, "more than %d rule evaluations", maxSteps)
		}
		switch it := it.(type) {
		case *Skip:
			e.logf(it.Pos, slog.LevelDebug, "skipped %q", it.Text)
		case *Assign:
			next, err := e.assign(ctx, it)
			if err != nil {
				return false, err
			}
			switch {
			case next == nil:
			case next.include:
				next.st = f.st
				stack = append(stack, next)
			case next.items == nil:
				// SWITCHRC unset: the current rcfile ends here.
				return false, nil
			default:
				stack = []*frame{next}
			}
		case *Recipe:
			delivered, push, err := e.recipe(ctx, it, &f.st, stack)
			if err != nil {
				return false, err
			}
			if delivered {
				return true, nil
			}
			if push != nil {
				stack = append(stack, push)
			}
		}
	}
	return false, nil
}

// assign performs an assignment; for INCLUDERC and SWITCHRC it returns the
// frame to run (a frame with nil items: SWITCHRC was unset).
func (e *engine) assign(ctx context.Context, a *Assign) (*frame, error) {
	if a.Unset {
		delete(e.vars, a.Name)
		e.logf(a.Pos, slog.LevelDebug, "unset %s", a.Name)
		if a.Name == "SWITCHRC" && e.cfg.Mode == Local {
			return &frame{}, nil
		}
		return nil, nil
	}
	val, err := Expand(a.Value, e, ExpandOptions{Command: e.commander(ctx, a.Pos)})
	if err != nil {
		var ab *abort
		if errors.As(err, &ab) {
			return nil, err
		}
		return nil, &abort{&PosError{a.Pos, err}}
	}
	e.logf(a.Pos, slog.LevelDebug, "assigning %s=%q", a.Name, val)
	switch a.Name {
	case "MAILDIR":
		p, err := e.absPath(val, a.Pos)
		if err != nil {
			return nil, err
		}
		val = p
	case "LOGFILE":
		if val == "" {
			break
		}
		p, err := e.absPath(val, a.Pos)
		if err != nil {
			return nil, err
		}
		val = p
	case "LOG":
		e.cfg.Actions.Log(ctx, LogEntry{Pos: a.Pos, Level: slog.LevelInfo, Msg: val, Logfile: e.logfile(), Raw: true})
	case "SHIFT":
		if n, err := strconv.Atoi(val); err == nil && n > 0 {
			if n > len(e.cfg.Args) {
				n = len(e.cfg.Args)
			}
			e.cfg.Args = e.cfg.Args[n:]
		}
	case "INCLUDERC", "SWITCHRC":
		if e.cfg.Mode != Local {
			return nil, &abort{&PosError{a.Pos, fmt.Errorf("%w: %s", ErrForbidden, a.Name)}}
		}
		if a.Name == "SWITCHRC" && val == "" {
			return &frame{}, nil
		}
		return e.loadRC(a.Pos, a.Name, val)
	}
	e.vars[a.Name] = val
	return nil, nil
}

// absPath makes a MAILDIR or LOGFILE value absolute and, for virtual users,
// checks that it stays inside Root.
func (e *engine) absPath(val string, pos Pos) (string, error) {
	p := val
	if !filepath.IsAbs(p) {
		p = filepath.Join(e.vars["MAILDIR"], p)
	}
	p = filepath.Clean(p)
	if e.cfg.Mode == Virtual {
		if hasDotDot(val) || !within(filepath.Clean(e.cfg.Root), p) {
			return "", &abort{&PosError{pos, fmt.Errorf("%w: %q", ErrUnsafe, val)}}
		}
	}
	return p, nil
}

func hasDotDot(p string) bool {
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return true
		}
	}
	return false
}

func within(base, p string) bool {
	if base == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == base || strings.HasPrefix(p, base+"/")
}

// loadRC reads and parses an INCLUDERC or SWITCHRC file.
func (e *engine) loadRC(pos Pos, kind, name string) (*frame, error) {
	e.includes++
	if e.includes > maxIncludes {
		return nil, &abort{&PosError{pos, fmt.Errorf("%w: more than %d INCLUDERC/SWITCHRC files", ErrUnsupported, maxIncludes)}}
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(e.vars["MAILDIR"], path)
	}
	read := e.cfg.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	src, err := read(path)
	if err != nil {
		if kind == "SWITCHRC" {
			// procmail logs it and continues with the current file.
			e.problem(pos, slog.LevelWarn, fmt.Errorf("SWITCHRC %s: %w", path, err))
			return nil, nil
		}
		e.problem(pos, slog.LevelWarn, fmt.Errorf("INCLUDERC %s: %w", path, err))
		return nil, nil
	}
	f, err := Parse(path, src, Local)
	if err != nil {
		return nil, &abort{fmt.Errorf("%s %s: %w", kind, path, err)}
	}
	return &frame{items: f.Items, file: path, include: kind == "INCLUDERC"}, nil
}

// commander returns the backquote runner (nil for virtual users).
func (e *engine) commander(ctx context.Context, pos Pos) func(string) (string, error) {
	if e.cfg.Mode != Local {
		return nil
	}
	return func(cmd string) (string, error) {
		out, err := e.cfg.Actions.Pipe(ctx, e.command(cmd), e.msg, true)
		e.lastExit = exitCode(err)
		if err != nil {
			var ee *ExitError
			if !errors.As(err, &ee) {
				e.problem(pos, slog.LevelWarn, fmt.Errorf("`%s`: %w", cmd, err))
			}
		}
		return string(out), nil
	}
}

func (e *engine) command(line string) Command {
	shell := e.vars["SHELL"]
	if shell == "" {
		shell = "/bin/sh"
	}
	return Command{Line: line, Shell: shell, Dir: e.vars["MAILDIR"], Env: e.env()}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return -1
}

// recipe evaluates one recipe. It reports whether the message has been
// delivered (processing stops) and a frame to push (a block).
func (e *engine) recipe(ctx context.Context, r *Recipe, st *state, stack []*frame) (bool, *frame, error) {
	fl := r.Flags
	run := true
	if fl.A || fl.AS {
		run = st.lastCond
		if fl.AS {
			run = run && st.prevRan && st.prevOK
		}
	}
	if fl.Err {
		run = run && st.prevRan && !st.prevOK
	}
	if fl.Else && st.prevRan {
		// "else": the preceding recipe ran; this one and any following E
		// recipes are skipped.
		e.logf(r.Pos, slog.LevelDebug, "skipped (E)")
		if !fl.A && !fl.AS {
			st.lastCond = false
		}
		return false, nil, nil
	}
	matched := false
	if run {
		m, err := e.conditions(ctx, r)
		if err != nil {
			return false, nil, err
		}
		matched = m
	}
	if !fl.A && !fl.AS {
		st.lastCond = matched
	}
	if !matched {
		st.prevRan, st.prevOK = false, false
		return false, nil, nil
	}
	e.logf(r.Pos, slog.LevelDebug, "match")
	st.prevRan = true
	if r.Action.Kind == ActBlock {
		st.prevOK = true
		if fl.Copy {
			// procmail forks: the clone runs the block and the rest of the
			// file (with its own default delivery); the parent skips it.
			e.budget.clones++
			if e.budget.clones > maxClones {
				e.budget.exhausted = true
				return false, nil, &abort{&PosError{r.Pos, fmt.Errorf("%w: more than %d copies of the evaluation (c on a block)", ErrUnsupported, maxClones)}}
			}
			c := e.clone()
			cs := make([]*frame, 0, len(stack)+1)
			for _, f := range stack {
				cp := *f
				cs = append(cs, &cp)
			}
			cs = append(cs, &frame{items: r.Action.Items, file: r.Pos.File})
			if err := c.start(ctx, cs); err != nil {
				return false, nil, err
			}
			return false, nil, nil
		}
		return false, &frame{items: r.Action.Items, file: r.Pos.File}, nil
	}
	ok, delivering, err := e.action(ctx, r)
	if err != nil {
		return false, nil, err
	}
	st.prevOK = ok
	return ok && delivering && !fl.Copy, nil, nil
}

// conditions evaluates a recipe's conditions, with weighted scoring.
func (e *engine) conditions(ctx context.Context, r *Recipe) (bool, error) {
	score := 0.0
	weighted := false
	const inf = 2147483647.0
	defer func() { e.score = score }()
	for _, c := range r.Conds {
		if c.Kind == CondExpand {
			text, err := Expand(c.Text, e, ExpandOptions{Quoted: true, Command: e.commander(ctx, c.Pos)})
			if err != nil {
				return false, &abort{&PosError{c.Pos, err}}
			}
			nc, err := ParseCondition(text, r.Flags.D, e.cfg.Mode, true)
			if err != nil {
				return false, &abort{&PosError{c.Pos, err}}
			}
			nc.Pos = c.Pos
			if c.Weighted {
				nc.Weighted, nc.W, nc.X = true, c.W, c.X
			}
			nc.Negate = nc.Negate != c.Negate
			e.logf(c.Pos, slog.LevelDebug, "expanded condition %q", text)
			c = nc
		}
		if c.Weighted {
			weighted = true
			if score >= inf || score <= -inf {
				continue
			}
			add, err := e.weigh(ctx, r, c)
			if err != nil {
				return false, err
			}
			score += add
			if score > inf {
				score = inf
			} else if score < -inf {
				score = -inf
			}
			e.logf(c.Pos, slog.LevelDebug, "score %g (total %g) %q", add, score, c.Text)
			continue
		}
		ok, err := e.test(ctx, r, c)
		if err != nil {
			return false, err
		}
		if !ok {
			e.logf(c.Pos, slog.LevelDebug, "no match on %q", c.Text)
			return false, nil
		}
	}
	if weighted {
		return score > 0, nil
	}
	return true, nil
}

// areas are the search texts of the current message.
type areas struct {
	msg    []byte
	header string // with the empty line, continuation lines joined
	body   string
}

func (e *engine) getAreas() *areas {
	if e.areas != nil && bytesSame(e.areas.msg, e.msg) {
		return e.areas
	}
	h, b := splitMessage(e.msg)
	hdr := []byte(string(h))
	for i := 0; i+1 < len(hdr); i++ {
		if hdr[i] == '\n' && (hdr[i+1] == ' ' || hdr[i+1] == '\t') {
			hdr[i] = ' '
		}
	}
	e.areas = &areas{msg: e.msg, header: string(hdr), body: string(b)}
	return e.areas
}

func bytesSame(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// splitMessage splits at the first empty line; the header keeps it.
func splitMessage(m []byte) (header, body []byte) {
	if bytes.HasPrefix(m, []byte("\n")) {
		return m[:1], m[1:]
	}
	if i := bytes.Index(m, []byte("\n\n")); i >= 0 {
		return m[:i+2], m[i+2:]
	}
	return m, nil
}

// area returns the text a condition searches.
func (e *engine) area(r *Recipe, c *Cond) string {
	a := e.getAreas()
	h, b := r.Flags.H, r.Flags.B
	if c.Kind == CondVar {
		switch c.Var {
		case "H":
			h, b = true, false
		case "B":
			h, b = false, true
		case "HB", "BH":
			h, b = true, true
		default:
			v, _ := e.Get(c.Var)
			return v
		}
	}
	switch {
	case h && b:
		return a.header + a.body
	case b:
		return a.body
	}
	return a.header
}

// test evaluates an unweighted condition.
func (e *engine) test(ctx context.Context, r *Recipe, c *Cond) (bool, error) {
	switch c.Kind {
	case CondLess:
		return (int64(len(e.msg)) < c.Size) != c.Negate, nil
	case CondGreater:
		return (int64(len(e.msg)) > c.Size) != c.Negate, nil
	case CondProgram:
		code, err := e.program(ctx, r, c)
		if err != nil {
			return false, err
		}
		return (code == 0) != c.Negate, nil
	}
	text := e.area(r, c)
	if c.Regex.Match != nil {
		e.vars["MATCH"] = ""
		if m := c.Regex.Match.FindStringSubmatch(text); m != nil {
			e.vars["MATCH"] = m[1]
			e.logf(c.Pos, slog.LevelDebug, "matched %q", m[1])
			return !c.Negate, nil
		}
		return c.Negate, nil
	}
	return c.Regex.Matches(text) != c.Negate, nil
}

// program runs a `?` condition's program and returns its exit status.
func (e *engine) program(ctx context.Context, r *Recipe, c *Cond) (int, error) {
	if e.cfg.Mode != Local {
		return 0, &abort{&PosError{c.Pos, fmt.Errorf("%w: program condition", ErrForbidden)}}
	}
	// The shell expands variables itself: procmail exports them all.
	_, perr := e.cfg.Actions.Pipe(ctx, e.command(c.Text), []byte(e.area(r, &Cond{Kind: CondRegex})), false)
	code := exitCode(perr)
	e.lastExit = code
	if code < 0 {
		e.problem(c.Pos, slog.LevelWarn, fmt.Errorf("program %q: %w", c.Text, perr))
	}
	return code, nil
}

// maxCount bounds the matches counted for a weighted condition.
const maxCount = 1 << 16

// weigh returns what a weighted condition adds to the score.
func (e *engine) weigh(ctx context.Context, r *Recipe, c *Cond) (float64, error) {
	w, x := c.W, c.X
	switch c.Kind {
	case CondLess, CondGreater:
		m, l := float64(len(e.msg)), float64(c.Size)
		ratio := m / l
		if c.Kind == CondLess {
			ratio = l / m
		}
		if c.Negate {
			ok, _ := e.test(ctx, r, c)
			if ok {
				return w, nil
			}
			return 0, nil
		}
		return w * math.Pow(ratio, x), nil
	case CondProgram:
		code, err := e.program(ctx, r, c)
		if err != nil {
			return 0, err
		}
		if c.Negate {
			return series(w, x, float64(code), false), nil
		}
		if code == 0 {
			return w, nil
		}
		return x, nil
	}
	text := e.area(r, c)
	if c.Negate {
		if c.Regex.Matches(text) {
			return 0, nil
		}
		return w, nil
	}
	if c.Regex.Match != nil {
		e.vars["MATCH"] = ""
		if m := c.Regex.Match.FindStringSubmatch(text); m != nil {
			e.vars["MATCH"] = m[1]
		}
	}
	n, infinite := c.Regex.Count(text, maxCount)
	return series(w, x, float64(n), infinite), nil
}

// series is w + w*x + ... + w*x^(n-1); infinite sums follow procmail: they
// saturate unless they converge.
func series(w, x, n float64, infinite bool) float64 {
	if n <= 0 {
		return 0
	}
	if x == 0 {
		return w
	}
	if infinite {
		if x > -1 && x < 1 {
			return w / (1 - x)
		}
		return math.Copysign(math.Inf(1), w)
	}
	if x == 1 {
		return w * n
	}
	return w * (math.Pow(x, n) - 1) / (x - 1)
}

// folderKind classifies a folder name.
type folderKind int

const (
	folderMaildir folderKind = iota
	folderNull
	folderMH
)

// resolve turns a folder word into an absolute maildir path. A name with a
// trailing "/" is a maildir, as in procmail; a plain name is treated as a
// maildir too (hostdir writes no mbox files); "/." (MH) is unsupported.
func (e *engine) resolve(word string) (string, folderKind, error) {
	if word == "/dev/null" {
		return "", folderNull, nil
	}
	if strings.HasSuffix(word, "/.") {
		return "", folderMH, fmt.Errorf("%w: MH folder %q", ErrUnsupported, word)
	}
	p := word
	if !filepath.IsAbs(p) {
		p = filepath.Join(e.vars["MAILDIR"], p)
	}
	p = filepath.Clean(p)
	if e.cfg.Mode == Virtual {
		root := filepath.Clean(e.cfg.Root)
		if hasDotDot(word) || !within(root, p) {
			return "", 0, fmt.Errorf("%w: folder %q", ErrUnsafe, word)
		}
		if rel, err := filepath.Rel(root, p); err == nil && rel != "." {
			first, _, _ := strings.Cut(rel, "/")
			switch first {
			case "tmp", "new", "cur":
				return "", 0, fmt.Errorf("%w: folder %q inside the maildir's %s/", ErrUnsafe, word, first)
			}
		}
	}
	return p, folderMaildir, nil
}

// part returns what a delivering action writes: header and/or body.
func part(m []byte, fl Flags) []byte {
	if fl.Head && fl.Body {
		return m
	}
	h, b := splitMessage(m)
	if fl.Head {
		return h
	}
	return b
}

// stripFromLine removes a leading "From " envelope line (procmail does not
// write it into maildirs).
func stripFromLine(m []byte) []byte {
	if !bytes.HasPrefix(m, []byte("From ")) {
		return m
	}
	if i := bytes.IndexByte(m, '\n'); i >= 0 {
		return m[i+1:]
	}
	return nil
}

// endEmptyLine makes a message for a program or a forward end with an
// empty line, as procmail does unless the r flag is given.
func endEmptyLine(m []byte, fl Flags) []byte {
	if fl.Raw || len(m) == 0 || bytes.HasSuffix(m, []byte("\n\n")) {
		return m
	}
	out := make([]byte, 0, len(m)+2)
	out = append(out, m...)
	if !bytes.HasSuffix(m, []byte("\n")) {
		out = append(out, '\n')
	}
	return append(out, '\n')
}

// action runs a recipe's action line. ok is its success; delivering tells
// whether it is a delivering action.
func (e *engine) action(ctx context.Context, r *Recipe) (ok, delivering bool, err error) {
	a := &r.Action
	switch a.Kind {
	case ActFolder:
		return e.folders(ctx, r)
	case ActForward:
		return e.forward(ctx, r)
	case ActPipe:
		return e.pipe(ctx, r)
	}
	return false, false, fmt.Errorf("internal error: action kind %d", a.Kind)
}

func (e *engine) folders(ctx context.Context, r *Recipe) (bool, bool, error) {
	words, err := e.actionWords(ctx, r)
	if err != nil {
		return false, true, err
	}
	if len(words) == 0 {
		e.problem(r.Action.Pos, slog.LevelWarn, fmt.Errorf("%w: action expands to nothing", ErrSyntax))
		return false, true, nil
	}
	msg := stripFromLine(part(e.msg, r.Flags))
	ok := true
	for _, w := range words {
		path, kind, err := e.resolve(w)
		if err != nil {
			if errors.Is(err, ErrUnsafe) {
				return false, true, &abort{&PosError{r.Action.Pos, err}}
			}
			e.problem(r.Action.Pos, slog.LevelWarn, err)
			ok = false
			continue
		}
		if kind == folderNull {
			e.delivered(Delivery{Kind: ActFolder, Target: "/dev/null", Pos: r.Pos})
			continue
		}
		e.budget.deliveries++
		if e.budget.deliveries > maxDeliveries {
			e.budget.exhausted = true
			return false, true, &abort{&PosError{r.Action.Pos, fmt.Errorf("%w: more than %d deliveries", ErrUnsupported, maxDeliveries)}}
		}
		file, err := e.cfg.Actions.DeliverFolder(ctx, path, msg)
		if err != nil {
			e.problem(r.Action.Pos, slog.LevelWarn, fmt.Errorf("delivery to %s failed: %w", path, err))
			ok = false
			continue
		}
		e.delivered(Delivery{Kind: ActFolder, Target: path, File: file, Pos: r.Pos})
	}
	return ok, true, nil
}

// actionWords expands the words of a folder or forward action.
func (e *engine) actionWords(ctx context.Context, r *Recipe) ([]string, error) {
	var out []string
	for _, raw := range r.Action.Words {
		fs, err := ExpandFields(raw, e, ExpandOptions{Command: e.commander(ctx, r.Action.Pos)})
		if err != nil {
			return nil, &abort{&PosError{r.Action.Pos, err}}
		}
		out = append(out, fs...)
	}
	return out, nil
}

func (e *engine) forward(ctx context.Context, r *Recipe) (bool, bool, error) {
	words, err := e.actionWords(ctx, r)
	if err != nil {
		return false, true, err
	}
	var args []string
	for _, w := range words {
		if strings.HasPrefix(w, "-") {
			if e.cfg.Mode == Virtual {
				return false, true, &abort{&PosError{r.Action.Pos, fmt.Errorf("%w: sendmail option %q in a forward", ErrForbidden, w)}}
			}
			args = append(args, w)
			continue
		}
		if e.isSelf(w) {
			e.problem(r.Action.Pos, slog.LevelWarn, fmt.Errorf("%w: forward to the recipient itself (%s) dropped", ErrLoop, w))
			continue
		}
		args = append(args, w)
	}
	addrs := 0
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			addrs++
		}
	}
	if addrs == 0 {
		return false, true, nil
	}
	f := Forward{Args: args, Env: e.env()}
	if e.cfg.Mode == Local {
		f.Sendmail = e.vars["SENDMAIL"]
		f.SendmailFlags = strings.Fields(e.vars["SENDMAILFLAGS"])
	}
	if err := e.cfg.Actions.Forward(ctx, f, endEmptyLine(stripFromLine(part(e.msg, r.Flags)), r.Flags)); err != nil {
		e.problem(r.Action.Pos, slog.LevelWarn, fmt.Errorf("forward to %s failed: %w", strings.Join(args, " "), err))
		return false, true, nil
	}
	e.delivered(Delivery{Kind: ActForward, Target: strings.Join(args, " "), Pos: r.Pos})
	return true, true, nil
}

// isSelf reports whether a forward address is the recipient itself.
func (e *engine) isSelf(addr string) bool {
	norm := func(a string) string {
		a = strings.ToLower(strings.Trim(strings.TrimSpace(a), "<>"))
		local, domain, hasAt := strings.Cut(a, "@")
		if i := strings.IndexByte(local, '+'); i > 0 {
			local = local[:i]
		}
		if hasAt {
			return local + "@" + domain
		}
		return local
	}
	a := norm(addr)
	if a == "" {
		return false
	}
	if r := norm(e.cfg.Recipient); r != "" && (a == r || (!strings.Contains(a, "@") && strings.HasPrefix(r, a+"@"))) {
		return true
	}
	if e.cfg.Mode == Local && !strings.Contains(a, "@") {
		for _, k := range []string{"LOGNAME", "USER"} {
			if v := strings.ToLower(e.cfg.Env[k]); v != "" && v == a {
				return true
			}
		}
	}
	return false
}

func (e *engine) pipe(ctx context.Context, r *Recipe) (bool, bool, error) {
	if e.cfg.Mode != Local {
		return false, false, &abort{&PosError{r.Action.Pos, fmt.Errorf("%w: pipe", ErrForbidden)}}
	}
	fl := r.Flags
	a := &r.Action
	input := endEmptyLine(part(e.msg, fl), fl)
	wait := fl.Wait || fl.WaitQuiet
	switch {
	case a.Capture != "":
		out, err := e.cfg.Actions.Pipe(ctx, e.command(a.Text), input, true)
		e.lastExit = exitCode(err)
		if err != nil && (wait || exitCode(err) < 0) {
			e.pipeFailed(r, err)
			return false, false, nil
		}
		s := string(out)
		s = strings.TrimSuffix(s, "\n")
		e.vars[a.Capture] = s
		e.logf(a.Pos, slog.LevelDebug, "assigning %s=%q", a.Capture, s)
		return true, false, nil
	case fl.Filter:
		out, err := e.cfg.Actions.Pipe(ctx, e.command(a.Text), input, true)
		e.lastExit = exitCode(err)
		if err != nil && (wait || exitCode(err) < 0) {
			e.pipeFailed(r, err)
			return false, false, nil
		}
		h, b := splitMessage(e.msg)
		switch {
		case fl.Head && fl.Body:
			e.msg = out
		case fl.Head:
			e.msg = append(append([]byte{}, out...), b...)
		default:
			e.msg = append(append([]byte{}, h...), out...)
		}
		return true, false, nil
	}
	_, err := e.cfg.Actions.Pipe(ctx, e.command(a.Text), input, false)
	e.lastExit = exitCode(err)
	if err != nil && (wait || exitCode(err) < 0) {
		e.pipeFailed(r, err)
		return false, true, nil
	}
	e.delivered(Delivery{Kind: ActPipe, Target: a.Text, Pos: r.Pos})
	return true, true, nil
}

func (e *engine) pipeFailed(r *Recipe, err error) {
	level := slog.LevelWarn
	if r.Flags.WaitQuiet {
		level = slog.LevelDebug
	}
	e.res.Problems = append(e.res.Problems, &PosError{r.Action.Pos, err})
	e.logf(r.Action.Pos, level, "program failure %q: %v", r.Action.Text, err)
}
