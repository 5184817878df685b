package delivery

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
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
