package peers

import (
	"bufio"
	"context"
	"fmt"
	"os"
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
func (s *Slapd) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// PID returns the process id of the hostdir server (0 if none was started).
func (h *Hostdir) PID() int {
	if h.cmd == nil || h.cmd.Process == nil {
		return 0
	}
	return h.cmd.Process.Pid
}

// Kill sends SIGKILL to the server and waits until it is gone: a crash as
// the power cut or the OOM killer would make it. Calling it on a stopped
// server is harmless.
func (h *Hostdir) Kill() {
	if h.cmd == nil || h.cmd.Process == nil || !h.Running() {
		return
	}
	_ = syscall.Kill(h.cmd.Process.Pid, syscall.SIGKILL)
	<-h.done
}

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
