package delivery

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// hangingServer accepts connections and never answers.
func hangingServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); l.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	return "ldap://" + l.Addr().String() + "/"
}

func TestLDAPFailures(t *testing.T) {
	tr := startTree(t, false)
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	bad := filepath.Join(dir, "bad")
	os.WriteFile(good, []byte("secret\n"), 0o600)
	os.WriteFile(bad, []byte("wrong\n"), 0o600)
	tests := []struct {
		name    string
		uris    []string
		bindDN  string
		pwFile  string
		timeout time.Duration
		ok      bool
		errText string
	}{
		{name: "bind as rootdn", uris: []string{tr.Slapd.URL}, bindDN: tr.Slapd.RootDN, pwFile: good, ok: true},
		{name: "wrong password", uris: []string{tr.Slapd.URL}, bindDN: tr.Slapd.RootDN, pwFile: bad, errText: "Invalid Credentials"},
		{name: "refused", uris: []string{"ldap://127.0.0.1:1/"}, errText: "connection refused"},
		{name: "all refused", uris: []string{"ldap://127.0.0.1:1/", "ldapi://%2Fnonexistent%2Fsock"}, errText: "nonexistent"},
		{name: "hanging server", uris: []string{hangingServer(t)}, timeout: 500 * time.Millisecond, errText: "timed out"},
		{name: "dead then good", uris: []string{"ldap://127.0.0.1:1/", tr.Slapd.URL}, timeout: time.Second, ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.LDAP = tc.uris
			c.BindDN = tc.bindDN
			c.BindPasswordFile = tc.pwFile
			if tc.timeout > 0 {
				c.LDAPTimeout = tc.timeout
			}
			d, err := NewLDAP(&c)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			start := time.Now()
			ok, err := d.Domain(testContext(t), "example.com")
			if tc.ok {
				if err != nil || !ok {
					t.Fatalf("Domain = %v %v", ok, err)
				}
				return
			}
			if !errors.Is(err, ErrDirectory) || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.errText)) {
				t.Fatalf("err = %v, want ErrDirectory with %q", err, tc.errText)
			}
			if el := time.Since(start); tc.timeout > 0 && el > 3*tc.timeout {
				t.Errorf("took %v with timeout %v", el, tc.timeout)
			}
		})
	}
}

func TestLDAPContextCancel(t *testing.T) {
	c := DefaultConfig()
	c.LDAP = []string{hangingServer(t)}
	c.LDAPTimeout = time.Minute
	d, _ := NewLDAP(&c)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := d.Accounts(ctx, "a@example.com")
	if !errors.Is(err, ErrDirectory) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestLDAPServerGone(t *testing.T) {
	tr := startTree(t, false)
	c := DefaultConfig()
	c.LDAP = []string{tr.Slapd.URL}
	d, _ := NewLDAP(&c)
	defer d.Close()
	if ok, err := d.Domain(testContext(t), "example.com"); err != nil || !ok {
		t.Fatal(ok, err)
	}
	tr.Slapd.Stop()
	if _, err := d.Domain(testContext(t), "example.com"); !errors.Is(err, ErrDirectory) {
		t.Fatalf("after stop: %v", err)
	}
}

// dropProxy forwards TCP connections to target and can cut them all, as a
// directory restart or a firewall dropping idle connections does.
type dropProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
}

func startDropProxy(t *testing.T, target string) *dropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.drop() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	return p
}

func (p *dropProxy) url() string { return "ldap://" + p.ln.Addr().String() + "/" }

// drop closes every forwarded connection; new ones are still accepted.
func (p *dropProxy) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestLDAPReconnect: a lookup right after the directory dropped the
// connection the previous lookups used succeeds on a new connection, so a
// long-running agent (the LMTP server) does not defer mail after a
// directory restart.
func TestLDAPReconnect(t *testing.T) {
	tr := startTree(t, false)
	proxy := startDropProxy(t, strings.TrimSuffix(strings.TrimPrefix(tr.Slapd.URL, "ldap://"), "/"))
	c := DefaultConfig()
	c.LDAP = []string{proxy.url()}
	d, err := NewLDAP(&c)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for i := 0; i < 20; i++ {
		if ok, err := d.Domain(testContext(t), "example.com"); err != nil || !ok {
			t.Fatalf("lookup %d: %v %v", i, ok, err)
		}
		proxy.drop()
	}
}
