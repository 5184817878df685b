package peers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ProcessRSS returns a process's resident set size in bytes (VmRSS of
// /proc/PID/status).
func ProcessRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("rss of %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("rss of %d: odd VmRSS line %q", pid, sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("rss of %d: %w", pid, err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("rss of %d: %w", pid, err)
	}
	return 0, fmt.Errorf("rss of %d: no VmRSS line", pid)
}

// PID returns the process id of the running slapd (0 if none was started).
func (s *Slapd) PID() int { return s.proc.pid() }

// PID returns the process id of the hostdir server (0 if none was started).
func (h *Hostdir) PID() int { return h.proc.pid() }

// Kill sends SIGKILL to the server and waits until it is gone: a crash as
// the power cut or the OOM killer would make it. Calling it on a stopped
// server is harmless.
func (h *Hostdir) Kill() { h.proc.kill() }

// Restart starts `hostdir serve` again, after Stop or Kill, with the same
// configuration file, data directory and listener URL (the port must still
// be free), and waits until it answers. opts are the options the server was
// first started with (DebugLevel, Env, Args, StartTimeout are used; LDAPS
// and LDAPI are not supported here). The output of the previous run is
// returned; Output shows the new run's.
func (h *Hostdir) Restart(opts HostdirOptions) (previousOutput string, err error) {
	if h.Running() {
		return "", fmt.Errorf("peers: restart: hostdir is still running")
	}
	if opts.LDAPS || opts.LDAPI {
		return "", fmt.Errorf("peers: restart with LDAPS or LDAPI is not supported")
	}
	if opts.DebugLevel == "" {
		opts.DebugLevel = "stats"
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 20 * time.Second
	}
	prev := h.Output()
	args := []string{"serve"}
	if h.ConfigPath != "" {
		args = append(args, "-f", h.ConfigPath)
	}
	args = append(args, "--data", h.DataDir, "-h", h.URL, "-d", opts.DebugLevel)
	args = append(args, opts.Args...)
	// The kernel may need a moment to release the killed process's
	// listener; retry an early exit a few times.
	ctx, cancel := context.WithTimeout(context.Background(), opts.StartTimeout)
	defer cancel()
	for {
		err = h.start(args, opts)
		if err == nil || ctx.Err() != nil || h.Running() {
			return prev, err
		}
		select {
		case <-ctx.Done():
			return prev, err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// RaiseNoFile raises the soft RLIMIT_NOFILE of the test process (and so of
// the servers it starts afterwards) to at least n, up to the hard limit
// (raising the hard limit too when running as root). It fails the test when
// n cannot be reached.
func RaiseNoFile(t testing.TB, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("peers: getrlimit: %v", err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		lim.Max = n
	}
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("peers: setrlimit NOFILE %d: %v", n, err)
	}
}

// errExited: the program ended before it was ready.
var errExited = errors.New("exited before it was ready")

// proc is a program started by startProc: its stdout and stderr go to a
// log buffer, and a goroutine waits for its end. The methods are safe on a
// nil *proc (a program not started yet): it is not running and has no
// output.
type proc struct {
	cmd   *exec.Cmd
	logs  *logBuffer
	done  chan struct{}
	err   error // exit status, valid once done is closed
	group bool  // stop signals the whole process group
}

// startProc starts cmd in a process group of its own (so that a stop
// signal reaches nothing else) with its output captured. With group, stop
// signals the whole group and finally kills what is left of it: daemons
// whose children would outlive them.
func startProc(cmd *exec.Cmd, group bool) (*proc, error) {
	p := &proc{cmd: cmd, logs: &logBuffer{}, done: make(chan struct{}), group: group}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// running reports whether the process is still alive.
func (p *proc) running() bool {
	if p == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// output returns what the program wrote so far.
func (p *proc) output() string {
	if p == nil {
		return ""
	}
	return p.logs.String()
}

// pid returns the process id (0 when not started).
func (p *proc) pid() int {
	if p == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// wait waits for the process to end and returns its exit error.
func (p *proc) wait() error {
	<-p.done
	return p.err
}

// signal sends sig to the process, or to its group.
func (p *proc) signal(sig syscall.Signal) {
	if p.group {
		_ = syscall.Kill(-p.cmd.Process.Pid, sig)
		return
	}
	_ = p.cmd.Process.Signal(sig)
}

// stop sends SIGTERM, then SIGKILL when the process is still alive after
// grace, and waits for it. Calling it more than once is harmless.
func (p *proc) stop(grace time.Duration) {
	if p == nil {
		return
	}
	if p.running() {
		p.signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
			p.signal(syscall.SIGKILL)
			<-p.done
		}
	}
	if p.group {
		// Children that outlived the parent.
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// kill sends SIGKILL and waits until the process is gone: a crash as the
// power cut or the OOM killer would make it. Harmless on a stopped process.
func (p *proc) kill() {
	if !p.running() {
		return
	}
	p.signal(syscall.SIGKILL)
	<-p.done
}

// waitReady calls check every interval until it passes, the process exits
// (an error wrapping errExited, with the exit status) or ctx ends.
func (p *proc) waitReady(ctx context.Context, interval time.Duration, check func(context.Context) error) error {
	err := poll(ctx, interval, p.done, check)
	if errors.Is(err, errExited) {
		return fmt.Errorf("%w (%v)", err, p.err)
	}
	return err
}

// poll calls check every interval until it passes (nil), exited is closed
// (an error wrapping errExited; a nil channel never is) or ctx ends (an
// error wrapping ctx.Err()). The errors carry check's last error.
func poll(ctx context.Context, interval time.Duration, exited <-chan struct{}, check func(context.Context) error) error {
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%w; last check: %v", errExited, err)
		case <-ctx.Done():
			return fmt.Errorf("%v (%w)", err, ctx.Err())
		case <-time.After(interval):
		}
	}
}

// onFreePort calls try with a free loopback port, at most three times:
// again only while try fails and asks for a retry (an early exit such as a
// port taken meanwhile). It returns nil once try succeeded, else try's last
// error. attempt counts from 0.
func onFreePort(t testing.TB, try func(attempt, port int) (retry bool, err error)) error {
	t.Helper()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		port, perr := freePort()
		if perr != nil {
			t.Fatalf("peers: %v", perr)
		}
		var retry bool
		if retry, err = try(attempt, port); err == nil || !retry {
			return err
		}
	}
	return err
}

// runExit runs cmd to its end. An exit with a status is no error: the
// status is returned. An error means cmd could not be run or was killed.
func runExit(cmd *exec.Cmd) (exit int, err error) {
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee) && ee.Exited():
		return ee.ExitCode(), nil
	default:
		return 0, err
	}
}
