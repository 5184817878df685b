package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Options configure a comparison. The zero value of a field means its
// default, as documented.
type Options struct {
	// Tree is the directory the online workloads and the import run on.
	Tree Tree
	// LdapaddTree is the (smaller) tree the ldapadd workload adds into an
	// empty server; zero Domains and Accounts mean 10 domains x 100
	// accounts, capped by Tree; zero Aliases and PasswordPool are Tree's.
	LdapaddTree Tree
	// Duration is the length of each measured run (default 10s).
	Duration time.Duration
	// Warmup is an unmeasured lookup run after each server starts
	// (default Duration/5, at most 2s; negative for none).
	Warmup time.Duration
	// Rounds is the number of A B rounds (default 2: A B A B).
	Rounds int
	// Conns is the number of connections of lookup and login (default 8).
	Conns int
	// Workloads to run (default AllWorkloads).
	Workloads []string
	// Servers to run, in A B order (default slapd, hostdir).
	Servers []string
	// SlapdPath is slapd (DefaultSlapd); slapadd is taken from its directory.
	SlapdPath string
	// HostdirPath is the hostdir binary; when empty it is built from the
	// module that contains the working directory.
	HostdirPath string
	// LdapaddPath is ldapadd (DefaultLdapadd).
	LdapaddPath string
	// Dir is the working directory (trees, configurations, databases,
	// logs); empty means a new temporary directory.
	Dir string
	// Keep keeps Dir (a temporary one is otherwise removed at the end).
	Keep bool
	// ServerCPUs and GenCPUs are taskset CPU lists ("0", "1", "0-3") to pin
	// the servers and the load generator to; empty leaves them free.
	ServerCPUs, GenCPUs string
	// Config chooses the generated slapd.conf's open points (extra indexes).
	Config ConfigOptions
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// withDefaults fills in the defaults.
func (o Options) withDefaults() Options {
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Warmup == 0 {
		o.Warmup = min(o.Duration/5, 2*time.Second)
	}
	if o.Rounds <= 0 {
		o.Rounds = 2
	}
	if o.Conns <= 0 {
		o.Conns = 8
	}
	if len(o.Workloads) == 0 {
		o.Workloads = AllWorkloads
	}
	if len(o.Servers) == 0 {
		o.Servers = []string{Slapd, Hostdir}
	}
	if o.SlapdPath == "" {
		o.SlapdPath = DefaultSlapd
	}
	if o.LdapaddPath == "" {
		o.LdapaddPath = DefaultLdapadd
	}
	if o.Tree.Domains <= 0 {
		o.Tree.Domains = 100
	}
	if o.Tree.Accounts <= 0 {
		o.Tree.Accounts = 100
	}
	if o.LdapaddTree.Domains <= 0 {
		o.LdapaddTree.Domains = min(10, o.Tree.Domains)
	}
	if o.LdapaddTree.Accounts <= 0 {
		o.LdapaddTree.Accounts = min(100, o.Tree.Accounts)
	}
	if o.LdapaddTree.Aliases == 0 {
		o.LdapaddTree.Aliases = o.Tree.Aliases
	}
	if o.LdapaddTree.PasswordPool == 0 {
		o.LdapaddTree.PasswordPool = o.Tree.PasswordPool
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

// session is the state of one comparison: the working directory and the
// servers' specifications.
type session struct {
	o     Options
	dir   string
	specs []serverSpec
	// unavailable maps a server to the reason it cannot run.
	unavailable map[string]string
	// importRounds, when positive, overrides the number of bulk loads.
	importRounds int
}

// logf prints a progress line.
func (s *session) logf(format string, args ...any) {
	fmt.Fprintf(s.o.Log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// newSession prepares the working directory and the servers (building
// hostdir when needed). A server that cannot be prepared is recorded as
// unavailable; the comparison goes on without it.
func newSession(ctx context.Context, o Options) (*session, error) {
	s := &session{o: o, unavailable: map[string]string{}}
	if o.Dir == "" {
		d, err := os.MkdirTemp("", "hostdir-bench-")
		if err != nil {
			return nil, fmt.Errorf("create working directory: %w", err)
		}
		s.dir = d
	} else {
		if err := os.MkdirAll(o.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("create working directory: %w", err)
		}
		s.dir = o.Dir
	}
	if o.GenCPUs != "" {
		if err := pinSelf(ctx, o.GenCPUs); err != nil {
			return nil, err
		}
	}
	for _, name := range o.Servers {
		spec := serverSpec{name: name, cpus: o.ServerCPUs}
		switch name {
		case Slapd:
			spec.bin = o.SlapdPath
			if _, err := os.Stat(spec.bin); err != nil {
				s.unavailable[name] = err.Error()
			}
		case Hostdir:
			spec.bin = o.HostdirPath
			if spec.bin == "" {
				wd, _ := os.Getwd()
				root, err := FindModuleRoot(wd)
				if err == nil {
					s.logf("building hostdir in %s", root)
					spec.bin, err = BuildHostdir(ctx, root, s.dir)
				}
				if err != nil {
					s.unavailable[name] = err.Error()
				}
			}
			if s.unavailable[name] == "" {
				if err := checkServe(ctx, spec.bin); err != nil {
					s.unavailable[name] = err.Error()
				}
			}
		default:
			return nil, fmt.Errorf("unknown server %q (slapd, hostdir)", name)
		}
		if r := s.unavailable[name]; r != "" {
			s.logf("%s unavailable: %s", name, firstLine(r))
		}
		s.specs = append(s.specs, spec)
	}
	return s, nil
}

// checkServe reports whether bin has a serve command.
func checkServe(ctx context.Context, bin string) error {
	out, err := exec.CommandContext(ctx, bin, "serve", "-help").CombinedOutput()
	if err != nil && strings.Contains(string(out), "unknown command") {
		return fmt.Errorf("%s has no serve command yet", bin)
	}
	return nil
}

// firstLine returns the first line of s.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// close removes the working directory unless it is kept.
func (s *session) close() {
	if !s.o.Keep {
		_ = os.RemoveAll(s.dir)
	}
}

// available returns the specs of the servers that can run.
func (s *session) available() []serverSpec {
	var out []serverSpec
	for _, sp := range s.specs {
		if s.unavailable[sp.name] == "" {
			out = append(out, sp)
		}
	}
	return out
}

// writeTree writes t's LDIF (with or without base) into the working
// directory.
func (s *session) writeTree(t *Tree, name string, base bool) (string, error) {
	path := filepath.Join(s.dir, name)
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("create LDIF: %w", err)
	}
	if base {
		err = t.WriteLDIF(f)
	} else {
		err = t.WriteDomainsLDIF(f)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write LDIF: %w", cerr)
	}
	return path, err
}

// serverDir creates a fresh directory with a configuration for spec.
func (s *session) serverDir(spec serverSpec, name string) (string, string, error) {
	dir := filepath.Join(s.dir, spec.name, name)
	if err := os.RemoveAll(dir); err != nil {
		return "", "", fmt.Errorf("clean %s: %w", dir, err)
	}
	conf, err := WriteConfig(dir, s.o.Config)
	return dir, conf, err
}

// Run runs the comparison the options describe and returns its report.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.withDefaults()
	s, err := newSession(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if len(s.available()) == 0 {
		var why []string
		for n, r := range s.unavailable {
			why = append(why, n+": "+firstLine(r))
		}
		return nil, fmt.Errorf("%w (%s)", errNoServer, strings.Join(why, "; "))
	}
	rep := newReport(o, s)
	if o.Keep {
		rep.Dir = s.dir
	}
	if err := s.runAll(ctx, rep, "main"); err != nil {
		return nil, err
	}
	rep.Notes = append(rep.Notes, s.notes()...)
	return rep, nil
}

// notes returns a line for each server that could not run.
func (s *session) notes() []string {
	var out []string
	for _, spec := range s.specs {
		if why := s.unavailable[spec.name]; why != "" {
			out = append(out, fmt.Sprintf("%s did not run (or stopped): %s", spec.name, firstLine(why)))
		}
	}
	return out
}

// runAll generates s.o.Tree, bulk-loads it into each server and runs the
// selected workloads; label names the files and directories of this tree.
func (s *session) runAll(ctx context.Context, rep *Report, label string) error {
	o := s.o
	t0 := time.Now()
	s.logf("generating %d domains x %d accounts (%d entries)", o.Tree.Domains, o.Tree.Accounts, o.Tree.Entries())
	ldif, err := s.writeTree(&s.o.Tree, label+".ldif", true)
	if err != nil {
		return err
	}
	s.logf("generated %s in %v", ldif, time.Since(t0).Round(time.Millisecond))
	defer func() {
		if !o.Keep {
			_ = os.Remove(ldif)
		}
	}()

	online := []string{}
	wantImport, wantLdapadd := false, false
	for _, w := range o.Workloads {
		switch {
		case isOnline(w):
			online = append(online, w)
		case w == WorkImport:
			wantImport = true
		case w == WorkLdapadd:
			wantLdapadd = true
		}
	}

	// Bulk load: round 1 loads the database the online workloads use;
	// later rounds load scratch copies.
	rounds := 1
	if wantImport {
		rounds = o.Rounds
		if s.importRounds > 0 {
			rounds = s.importRounds
		}
	}
	mainConf := map[string]string{}
	defer func() {
		if !o.Keep {
			for _, conf := range mainConf {
				_ = os.RemoveAll(filepath.Dir(conf))
			}
		}
	}()
	for r := 1; r <= rounds; r++ {
		for _, spec := range s.available() {
			name := label
			if r > 1 {
				name = label + "-import-r" + strconv.Itoa(r)
			}
			dir, conf, err := s.serverDir(spec, name)
			if err != nil {
				return err
			}
			s.logf("round %d: %s bulk load: %s", r, spec.name, strings.Join(spec.loadCmd(ctx, conf, ldif).Args, " "))
			st, err := spec.load(ctx, conf, ldif, filepath.Join(dir, "load.log"))
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				s.fail(spec.name, err)
				continue
			}
			s.logf("round %d: %s loaded %d entries in %v (%.0f/s, CPU %v, max RSS %d MiB)", r, spec.name, o.Tree.Entries(),
				st.wall.Round(time.Millisecond), float64(o.Tree.Entries())/st.wall.Seconds(), st.cpu.Round(time.Millisecond), st.maxRSS>>20)
			if wantImport {
				rep.add(WorkImport, 1, spec.name, roundStats{Ops: uint64(o.Tree.Entries()), Wall: st.wall, CPU: st.cpu, PeakRSS: st.maxRSS})
			}
			if r == 1 {
				mainConf[spec.name] = conf
			} else if !o.Keep {
				_ = os.RemoveAll(dir)
			}
		}
	}

	if len(online) > 0 {
		if err := s.runOnline(ctx, rep, online, mainConf); err != nil {
			return err
		}
	}
	if wantLdapadd {
		if err := s.runLdapadd(ctx, rep); err != nil {
			return err
		}
	}
	return nil
}

// boolInt is 1 for true.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fail records that a server failed: it does not run further workloads.
func (s *session) fail(name string, err error) {
	s.logf("%s failed: %v", name, err)
	if s.unavailable[name] == "" {
		s.unavailable[name] = err.Error()
	}
}

// runOnline starts the servers on their loaded databases and runs the
// online workloads in alternation.
func (s *session) runOnline(ctx context.Context, rep *Report, online []string, conf map[string]string) error {
	procs := map[string]*process{}
	defer func() {
		for _, p := range procs {
			if err := p.stop(); err != nil {
				s.logf("stop: %v", err)
			}
		}
	}()
	for _, spec := range s.available() {
		p, err := spec.start(ctx, conf[spec.name], filepath.Join(filepath.Dir(conf[spec.name]), "server.log"))
		if err != nil {
			s.fail(spec.name, err)
			continue
		}
		procs[spec.name] = p
		s.logf("%s serving on %s (pid %d)", spec.name, p.url, p.pid())
		if s.o.Warmup > 0 {
			if _, err := runOnline(ctx, p, &s.o.Tree, WorkLookup, "warm", s.o.Conns, s.o.Warmup); err != nil {
				s.fail(spec.name, fmt.Errorf("warm-up: %w", err))
			}
		}
	}
	runSeq := 0
	for r := 1; r <= s.o.Rounds; r++ {
		for _, w := range online {
			runSeq++
			for _, spec := range s.available() {
				p := procs[spec.name]
				if p == nil {
					continue
				}
				conns := writers(w, s.o.Conns)
				st, err := runOnline(ctx, p, &s.o.Tree, w, "r"+strconv.Itoa(runSeq), conns, s.o.Duration)
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					s.fail(spec.name, err)
					continue
				}
				s.logf("round %d: %-8s %-7s %8.0f ops/s  p50 %6.2f ms  p99 %6.2f ms  CPU %.3f s/1k ops (generator %.3f)  written %.1f KiB/op  errors %d",
					r, w, spec.name, float64(st.ops)/st.wall.Seconds(), ms(st.hist.Quantile(0.5)), ms(st.hist.Quantile(0.99)),
					per1k(st.cpu, st.ops), per1k(st.genCPU, st.ops), float64(st.written)/1024/float64(max(st.ops, 1)), st.errors)
				rep.add(w, conns, spec.name, roundStats{Ops: st.ops, Errors: st.errors, Wall: st.wall, CPU: st.cpu,
					GenCPU: st.genCPU, PeakRSS: st.hwm, Written: st.written, hist: &st.hist, LastError: st.lastErr})
			}
		}
	}
	return nil
}

// runLdapadd adds the smaller tree with ldapadd into empty servers (their
// base entries loaded offline), once per round and server.
func (s *session) runLdapadd(ctx context.Context, rep *Report) error {
	t := &s.o.LdapaddTree
	ldif, err := s.writeTree(t, "ldapadd.ldif", false)
	if err != nil {
		return err
	}
	base := filepath.Join(s.dir, "base.ldif")
	if err := os.WriteFile(base, []byte(BaseLDIF), 0o644); err != nil {
		return fmt.Errorf("write base LDIF: %w", err)
	}
	n := t.Entries() - 3
	for r := 1; r <= s.o.Rounds; r++ {
		for _, spec := range s.available() {
			st, err := s.ldapaddOnce(ctx, spec, r, base, ldif)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				s.fail(spec.name, err)
				continue
			}
			st.Ops = uint64(n)
			s.logf("round %d: ldapadd  %-7s %d entries in %v (%.0f/s, server CPU %v)", r, spec.name, n, st.Wall.Round(time.Millisecond), float64(n)/st.Wall.Seconds(), st.CPU.Round(time.Millisecond))
			rep.add(WorkLdapadd, 1, spec.name, st)
		}
	}
	return nil
}

// ldapaddOnce runs one ldapadd of ldif into a fresh server.
func (s *session) ldapaddOnce(ctx context.Context, spec serverSpec, r int, base, ldif string) (roundStats, error) {
	var st roundStats
	dir, conf, err := s.serverDir(spec, "ldapadd-r"+strconv.Itoa(r))
	if err != nil {
		return st, err
	}
	if !s.o.Keep {
		defer os.RemoveAll(dir)
	}
	if _, err := spec.load(ctx, conf, base, filepath.Join(dir, "load.log")); err != nil {
		return st, fmt.Errorf("load base entries: %w", err)
	}
	p, err := spec.start(ctx, conf, filepath.Join(dir, "server.log"))
	if err != nil {
		return st, err
	}
	defer p.stop()
	cpu0, err := procCPU(p.pid())
	if err != nil {
		return st, err
	}
	cmd := exec.CommandContext(ctx, s.o.LdapaddPath, "-x", "-H", p.url, "-D", RootDN, "-w", RootPW, "-f", ldif)
	if s.o.GenCPUs != "" {
		cmd = exec.CommandContext(ctx, tasksetPath, append([]string{"-c", s.o.GenCPUs}, cmd.Args...)...)
	}
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	st.Wall = time.Since(t0)
	if err != nil {
		return st, fmt.Errorf("ldapadd into %s: %w\n%s", spec.name, err, tail(string(out), 2000))
	}
	cpu1, err := procCPU(p.pid())
	if err != nil {
		return st, err
	}
	st.CPU = cpu1 - cpu0
	if cmd.ProcessState != nil {
		st.GenCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	st.PeakRSS, err = procHWM(p.pid())
	if err != nil {
		return st, err
	}
	return st, nil
}

// ms converts a duration to milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// per1k returns CPU seconds per 1,000 operations.
func per1k(cpu time.Duration, ops uint64) float64 {
	if ops == 0 {
		return 0
	}
	return cpu.Seconds() * 1000 / float64(ops)
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// errNoServer is returned when no server could run.
var errNoServer = errors.New("no server could run")
