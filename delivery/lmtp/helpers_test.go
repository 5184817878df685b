package lmtp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"hostdir/delivery"
)

// fakeAgent answers by address: verify[addr] at RCPT, deliver[addr] after
// DATA; everything else is accepted and recorded.
type fakeAgent struct {
	verify  map[string]error
	deliver map[string]error
	// hang makes DeliverEnvelope wait for its context (or release).
	hang    bool
	release chan struct{}

	mu   sync.Mutex
	got  []delivery.Envelope
	msgs [][]byte
}

func (f *fakeAgent) Verify(ctx context.Context, rcpt string) (*delivery.Resolution, error) {
	if err := f.verify[delivery.NormalizeAddress(rcpt)]; err != nil {
		return nil, err
	}
	return &delivery.Resolution{Recipient: delivery.NormalizeAddress(rcpt)}, nil
}

func (f *fakeAgent) DeliverEnvelope(ctx context.Context, env delivery.Envelope, msg []byte) error {
	if f.hang {
		select {
		case <-ctx.Done():
			return delivery.Tempf("4.3.0", ctx.Err(), "interrupted")
		case <-f.release:
		}
	}
	if err := f.deliver[delivery.NormalizeAddress(env.Recipient)]; err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, env)
	f.msgs = append(f.msgs, append([]byte(nil), msg...))
	return nil
}

func (f *fakeAgent) delivered() ([]delivery.Envelope, [][]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]delivery.Envelope(nil), f.got...), append([][]byte(nil), f.msgs...)
}

// standardAgent knows the addresses the protocol tests use.
func standardAgent() *fakeAgent {
	return &fakeAgent{
		verify: map[string]error{
			"nobody@example.com": &delivery.Error{Exit: delivery.ExitNoUser, DSN: "5.1.1", Msg: "<nobody@example.com>: unknown user"},
			"down@example.com":   delivery.Tempf("4.4.3", errors.New("connection refused"), "directory unavailable"),
			"loop@example.com":   &delivery.Error{Exit: delivery.ExitUnavailable, DSN: "5.4.6", Msg: "mail forwarding loop for <loop@example.com>"},
		},
		deliver: map[string]error{
			"full@example.com": &delivery.Error{Exit: delivery.ExitCantCreat, DSN: "5.2.2", Msg: "Mailbox full: <full@example.com>"},
			"disk@example.com": delivery.Tempf("4.3.1", nil, "mail system full"),
		},
	}
}

// testServer runs srv on a loopback listener until the test ends and
// returns its address and a function that stops it and returns Serve's
// error.
func testServer(t *testing.T, srv *Server) (string, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if srv.Hostname == "" {
		srv.Hostname = "lmtp.test"
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx, ln) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case serveErr = <-errc:
			case <-time.After(20 * time.Second):
				serveErr = errors.New("Serve did not return")
			}
		})
		return serveErr
	}
	t.Cleanup(func() { _ = stop() })
	return ln.Addr().String(), stop
}

// client is a raw LMTP client.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return &client{t: t, conn: c, r: bufio.NewReader(c)}
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// reply reads one (possibly multi-line) reply and returns its last line;
// "" at EOF.
func (c *client) reply() string {
	c.t.Helper()
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			if line != "" {
				c.t.Fatalf("partial reply %q: %v", line, err)
			}
			return ""
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) >= 4 && line[3] == '-' {
			continue
		}
		return line
	}
}

// replies reads n replies.
func (c *client) replies(n int) []string {
	c.t.Helper()
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, c.reply())
	}
	return out
}

// hasPrefixes reports whether got[i] starts with want[i] for all i.
func hasPrefixes(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			return false
		}
	}
	return true
}

// syncWriter is a mutex-guarded buffer for logs written by goroutines.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
