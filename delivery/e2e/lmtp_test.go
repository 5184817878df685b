package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hostdir/internal/peers"
)

// lmtpServer is a running "hostdir-deliver lmtp" process.
type lmtpServer struct {
	cmd  *exec.Cmd
	log  *lockedBuffer
	done chan error
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startLMTPServer runs `agent lmtp -listen st.LMTP -c st.AgentConfig
// -socket-owner postfix -user vmail [extra...]` as root, the way an init
// system would, and waits until the socket answers. It is stopped with
// SIGTERM at t.Cleanup; its log is shown when the test failed.
func startLMTPServer(t testing.TB, agent string, st *stack, extra ...string) *lmtpServer {
	t.Helper()
	args := append([]string{"lmtp", "-listen", st.LMTP, "-c", st.AgentConfig,
		"-socket-owner", "postfix", "-user", st.Postfix.User.Name}, extra...)
	s := &lmtpServer{log: &lockedBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(agent, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", agent, err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.stop(t)
		if t.Failed() {
			t.Logf("lmtp server log:\n%s", s.log.String())
		}
	})
	network, address := "unix", strings.TrimPrefix(st.LMTP, "unix:")
	if a, ok := strings.CutPrefix(st.LMTP, "inet:"); ok {
		network, address = "tcp", a
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout(network, address, time.Second)
		if err == nil {
			c.Close()
			return s
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("lmtp server exited: %v\n%s", err, s.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("lmtp server does not answer on %s: %v\n%s", st.LMTP, err, s.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits (SIGKILL after 30s); it returns the exit
// error. Harmless when repeated.
func (s *lmtpServer) stop(t testing.TB) error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		err := <-s.done
		s.done <- err
		t.Errorf("lmtp server ignored SIGTERM for 30s")
		return err
	}
}

// TestLMTPCases runs TestPostfixCases' mail cases through Postfix's lmtp(8)
// client to the LMTP server: the same maildirs, Delivered-To, Return-Path,
// modes and owners, refusals, forwards and bounces as the table says for
// virtual(8) and the pipe transport.
func TestLMTPCases(t *testing.T) {
	requireTools(t)
	slapd := startTree(t)
	work := peers.SharedDir(t, "hostdir-e2e-lmtp-")
	agent := buildAgent(t, work, "./cmd/hostdir-deliver")
	st := startStack(t, peers.TransportLMTP, slapd, work, stackOptions{})
	srv := startLMTPServer(t, agent, st)
	fi, err := os.Stat(strings.TrimPrefix(st.LMTP, "unix:"))
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || fi.Mode().Perm() != 0o660 || int(st.Uid) != peerUID(t, "postfix") {
		t.Errorf("socket %s: mode %o, owner %v", fi.Name(), fi.Mode().Perm(), fi.Sys())
	}
	runCases(t, st)
	if err := srv.stop(t); err != nil {
		t.Errorf("server exit after SIGTERM: %v", err)
	}
	logs := srv.log.String()
	if n := strings.Count(logs, "msg=delivery"); n < 10 {
		t.Errorf("%d delivery log lines, want one per delivery:\n%s", n, logs)
	}
	if !strings.Contains(logs, "msg=stopped") {
		t.Errorf("no clean stop in the log:\n%s", logs)
	}
}

func peerUID(t testing.TB, name string) int {
	out, err := exec.Command("id", "-u", name).Output()
	if err != nil {
		t.Fatalf("id -u %s: %v", name, err)
	}
	var uid int
	fmt.Sscan(string(out), &uid)
	return uid
}

// ldapProxy forwards TCP connections to slapd while up; while down it
// closes every connection, so the agent finds the directory unreachable
// (Postfix's own maps keep asking slapd directly).
type ldapProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	up     bool
	conns  map[net.Conn]struct{}
}

func startLDAPProxy(t testing.TB, target string) *ldapProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &ldapProxy{ln: ln, target: target, up: true, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { ln.Close(); p.setUp(false) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *ldapProxy) URL() string { return "ldap://" + p.ln.Addr().String() }

func (p *ldapProxy) setUp(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = up
	if !up {
		for c := range p.conns {
			c.Close()
		}
	}
}

func (p *ldapProxy) serve(c net.Conn) {
	p.mu.Lock()
	if !p.up {
		p.mu.Unlock()
		c.Close()
		return
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c], p.conns[s] = struct{}{}, struct{}{}
	p.mu.Unlock()
	go func() { _, _ = io.Copy(s, c); s.Close() }()
	_, _ = io.Copy(c, s)
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// TestLMTPDirectory lets the LMTP server decide on recipients (Postfix
// without virtual_mailbox_maps and virtual_alias_maps accepts every
// address of the virtual domains): an unknown user is refused at RCPT
// with 550 5.1.1 and bounced; the agent expands aliases; while the
// directory is unreachable the delivery is deferred (451 4.4.3) and
// arrives, once, after the directory is back and the queue is flushed.
func TestLMTPDirectory(t *testing.T) {
	requireTools(t)
	slapd := startTree(t)
	proxy := startLDAPProxy(t, strings.TrimSuffix(strings.TrimPrefix(slapd.URL, "ldap://"), "/"))
	work := peers.SharedDir(t, "hostdir-e2e-lmtp-dir-")
	agent := buildAgent(t, work, "./cmd/hostdir-deliver")
	port := freePort(t)
	st := startStack(t, peers.TransportLMTP, slapd, work, stackOptions{
		LMTP: fmt.Sprintf("inet:127.0.0.1:%d", port)})
	// No virtual maps: Postfix accepts every address of the virtual
	// domains and the LMTP server decides. (postconf edits the one entry;
	// a second entry through MainCF would make every Postfix program,
	// postqueue -j included, print a warning.)
	for _, args := range [][]string{
		{"-c", st.Postfix.Dir, "-e", "virtual_alias_maps =", "virtual_mailbox_maps ="},
	} {
		if out, err := exec.Command(peers.PostconfPath, args...).CombinedOutput(); err != nil {
			t.Fatalf("postconf %q: %v\n%s", args, err, out)
		}
	}
	if err := st.Postfix.Reload(testContext(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	// The agent asks the directory through the proxy.
	cfg, err := os.ReadFile(st.AgentConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.Replace(cfg, []byte("ldap = "+slapd.URL), []byte("ldap = "+proxy.URL()), 1)
	cfg = append(cfg, "ldap_timeout = 3s\n"...)
	if err := os.WriteFile(st.AgentConfig, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startLMTPServer(t, agent, st)
	ctx := testContext(t, 3*time.Minute)
	send := func(to, name string) peers.SwaksResult {
		t.Helper()
		res, err := peers.Swaks(ctx, st.Postfix.Addr, Sender, to, "Body of "+name+".\n", "--add-header", "X-Case: "+name)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Accepted() {
			t.Fatalf("%s: Postfix refused the message:\n%s", name, res.Transcript)
		}
		return res
	}

	send("nobody@example.com", "unknown")
	send("team@example.com", "alias")
	if err := st.Postfix.WaitEmpty(ctx, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.Postfix.Logs(), "to=<nobody@example.com>, relay=127.0.0.1") ||
		!strings.Contains(st.Postfix.Logs(), "status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <nobody@example.com>: unknown user") {
		t.Errorf("no LMTP 550 5.1.1 bounce in the mail log:\n%s", st.Postfix.Logs())
	}
	waitFor(t, ctx, "the bounce for the unknown user", func() bool {
		msgs, _ := st.Sink.Messages()
		for _, m := range msgs {
			if m.Sender == "" && bytes.Contains(m.Data, []byte("X-Case: unknown")) && bytes.Contains(m.Data, []byte("5.1.1")) {
				return true
			}
		}
		return false
	})
	alice := filepath.Join(st.MailboxBase, "example.com", "alice")
	bob := filepath.Join(st.MailboxBase, "example.com", "bob")
	if countNew(alice) != 1 || countNew(bob) != 1 {
		t.Errorf("alias: alice %d, bob %d messages, want 1 each", countNew(alice), countNew(bob))
	}

	// The directory goes away: deferred with the pipe mode's 4.4.3.
	proxy.setUp(false)
	send("alice@example.com", "outage")
	q, err := st.Postfix.WaitQueue(ctx, func(q []peers.QueueEntry) bool {
		return len(q) == 1 && len(q[0].Recipients) == 1 && q[0].Recipients[0].DelayReason != ""
	})
	if err != nil {
		t.Fatalf("no deferred message: %v\n%s", err, st.Postfix.Logs())
	}
	if r := q[0].Recipients[0].DelayReason; !strings.Contains(r, "451 4.4.3") {
		t.Errorf("delay reason %q, want the LMTP 451 4.4.3", r)
	}
	if countNew(alice) != 1 {
		t.Errorf("delivered during the outage")
	}
	// Back: the retry delivers exactly one copy.
	proxy.setUp(true)
	// Flush until the queue is empty: a retry that still meets the outage
	// (the proxy's state reaching the agent late on a loaded machine) would
	// otherwise wait for Postfix's backoff of minutes.
	for tries := 1; ; tries++ {
		if err := st.Postfix.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		err := st.Postfix.WaitEmpty(ctx, 15*time.Second)
		if err == nil {
			break
		}
		if tries == 6 {
			t.Fatalf("%v\n%s", err, st.Postfix.Logs())
		}
		t.Logf("flush %d: %v", tries, err)
	}
	if n := countNew(alice); n != 2 {
		t.Errorf("alice has %d messages after recovery, want 2", n)
	}
	for _, m := range maildirMessages(t, st.MailboxBase) {
		if header(m.Data, "X-Case") == "outage" {
			if !strings.EqualFold(header(m.Data, "Delivered-To"), "alice@example.com") || header(m.Data, "Return-Path") != "<"+Sender+">" {
				t.Errorf("outage copy headers:\n%s", m.Data)
			}
			if m.Mode != 0o600 || m.UID != st.Postfix.User.UID {
				t.Errorf("outage copy mode %o uid %d", m.Mode, m.UID)
			}
		}
	}
	if err := srv.stop(t); err != nil {
		t.Errorf("server exit: %v", err)
	}
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitFor(t testing.TB, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
