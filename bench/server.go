package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server names, as they appear in reports.
const (
	Slapd   = "slapd"
	Hostdir = "hostdir"
)

// Default paths of the programs the benchmark runs.
const (
	DefaultSlapd   = "/usr/sbin/slapd"
	DefaultLdapadd = "/usr/bin/ldapadd"
	tasksetPath    = "taskset"
)

// startTimeout bounds how long a server may take to answer its first bind.
const startTimeout = 2 * time.Minute

// serverSpec says how to run one of the two servers.
type serverSpec struct {
	name string // Slapd or Hostdir
	bin  string // the slapd or hostdir binary
	cpus string // taskset CPU list for the server, "" for none
}

// command returns the command running bin with args, under taskset when
// the server is pinned (taskset execs the program: the PID stays the same).
func (s serverSpec) command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	if s.cpus != "" {
		return exec.CommandContext(ctx, tasksetPath, append([]string{"-c", s.cpus, bin}, args...)...)
	}
	return exec.CommandContext(ctx, bin, args...)
}

// slapadd returns the path of slapadd next to slapd.
func (s serverSpec) slapadd() string {
	return filepath.Join(filepath.Dir(s.bin), "slapadd")
}

// loadCmd returns the offline bulk load of ldif: slapadd -q or hostdir import -q.
func (s serverSpec) loadCmd(ctx context.Context, conf, ldif string) *exec.Cmd {
	if s.name == Slapd {
		return s.command(ctx, s.slapadd(), "-q", "-f", conf, "-l", ldif)
	}
	// -q on both sides: slapadd's quick mode skips its consistency checks, and
	// hostdir import -q skips the index check it otherwise runs at the end.
	return s.command(ctx, s.bin, "import", "-q", "-f", conf, "-l", ldif)
}

// serveCmd returns the server running conf, listening on url.
func (s serverSpec) serveCmd(ctx context.Context, conf, url string) *exec.Cmd {
	if s.name == Slapd {
		// -d 0: stay in the foreground, log nothing to stderr (slapd
		// logs at its configured loglevel to syslog, as in production).
		return s.command(ctx, s.bin, "-f", conf, "-h", url, "-d", "0")
	}
	return s.command(ctx, s.bin, "serve", "-f", conf, "-h", url)
}

// loadStats is the cost of one offline bulk load, from the child's rusage.
type loadStats struct {
	wall   time.Duration
	cpu    time.Duration
	maxRSS int64 // bytes
}

// load runs the offline bulk load of ldif into the database of conf.
func (s serverSpec) load(ctx context.Context, conf, ldif, logPath string) (loadStats, error) {
	var st loadStats
	cmd := s.loadCmd(ctx, conf, ldif)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	st.wall = time.Since(t0)
	if logPath != "" {
		_ = os.WriteFile(logPath, out.Bytes(), 0o644)
	}
	if err != nil {
		return st, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, tail(out.String(), 2000))
	}
	st.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		st.maxRSS = ru.Maxrss << 10
	}
	return st, nil
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// process is a running server.
type process struct {
	spec    serverSpec
	cmd     *exec.Cmd
	addr    string // host:port
	url     string
	logPath string
	exited  chan struct{}
	waitErr error
}

// freeAddr returns a loopback address with a port free at the time of the call.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	return addr, nil
}

// start runs the server on conf and waits until it answers an anonymous
// bind. Its output goes to logPath.
func (s serverSpec) start(ctx context.Context, conf, logPath string) (*process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	url := "ldap://" + addr + "/"
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create server log: %w", err)
	}
	defer logf.Close()
	// Not bound to ctx: the server must outlive a cancelled start so that
	// stop can end it politely.
	cmd := s.serveCmd(context.Background(), conf, url)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = filepath.Dir(conf)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", s.name, err)
	}
	p := &process{spec: s, cmd: cmd, addr: addr, url: url, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		err := p.ping(ctx)
		if err == nil {
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s exited during start: %v\n%s", s.name, p.waitErr, p.logTail())
		case <-ctx.Done():
			_ = p.stop()
			return nil, fmt.Errorf("%s did not answer a bind within %v (%v): %w\n%s", s.name, startTimeout, err, ctx.Err(), p.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ping connects and does an anonymous bind.
func (p *process) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := dial(ctx, p.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.bind("", "")
}

// pid returns the server's process ID.
func (p *process) pid() int { return p.cmd.Process.Pid }

// alive reports whether the server is still running.
func (p *process) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// logTail returns the end of the server's log.
func (p *process) logTail() string {
	b, _ := os.ReadFile(p.logPath)
	return tail(string(b), 3000)
}

// stop ends the server with SIGTERM (SIGKILL after 30 s) and waits for it.
func (p *process) stop() error {
	if !p.alive() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop on SIGTERM within 30s", p.spec.name)
	}
	var ee *exec.ExitError
	if p.waitErr != nil && !errors.As(p.waitErr, &ee) {
		return fmt.Errorf("%s: %w", p.spec.name, p.waitErr)
	}
	return nil
}

// pinSelf pins every thread of this process to cpus with taskset -a -p
// (threads created later inherit the mask of their creator).
func pinSelf(ctx context.Context, cpus string) error {
	out, err := exec.CommandContext(ctx, tasksetPath, "-a", "-p", "-c", cpus, strconv.Itoa(os.Getpid())).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset -a -p -c %s: %w: %s", cpus, err, out)
	}
	return nil
}

// FindModuleRoot returns the directory of hostdir's go.mod, searching from
// dir upwards.
func FindModuleRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module hostdir")) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no hostdir go.mod above %s", dir)
		}
		d = parent
	}
}

// BuildHostdir builds cmd/hostdir of the module rooted at root into
// dir/hostdir and returns the binary's path.
func BuildHostdir(ctx context.Context, root, dir string) (string, error) {
	out := filepath.Join(dir, "bin", "hostdir")
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", out, "./cmd/hostdir")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/hostdir: %w\n%s", err, tail(string(b), 3000))
	}
	return out, nil
}
