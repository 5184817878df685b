package cli

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"hostdir/directory"
	"hostdir/directory/bootstrap"
	"hostdir/directory/config"
	"hostdir/internal/peers"
)

func TestStoreFileNameShared(t *testing.T) {
	if bootstrap.DBFile != directory.StoreFileName {
		t.Errorf("bootstrap.DBFile %q != directory.StoreFileName %q: import/export and serve would use different files",
			bootstrap.DBFile, directory.StoreFileName)
	}
}

func TestParseServeArgs(t *testing.T) {
	tests := []struct {
		args   []string
		listen []string
		file   string
		err    string
	}{
		{args: nil},
		{args: []string{"-f", "x.conf", "-h", "ldap:/// ldapi:///"}, file: "x.conf", listen: []string{"ldap:///", "ldapi:///"}},
		{args: []string{"--config", "y.conf", "--listen", "ldap://127.0.0.1:1/", "--listen", "ldaps:///"}, file: "y.conf", listen: []string{"ldap://127.0.0.1:1/", "ldaps:///"}},
		{args: []string{"-d", "-1", "-u", "nobody", "-g", "nogroup", "-l", "LOCAL4", "-4", "-n", "slapd", "-o", "x=y", "-s", "0"}},
		{args: []string{"-F", "/etc/ldap/slapd.d"}, err: "cn=config"},
		{args: []string{"-r", "/chroot"}, err: "chroot is not supported"},
		{args: []string{"-T", "cat"}, err: "hostdir export (slapcat)"},
		{args: []string{"-z"}, err: "flag provided but not defined"},
		{args: []string{"x"}, err: `unexpected argument "x"`},
	}
	for _, tc := range tests {
		o, err := parseServeArgs(tc.args)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: err %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if o.file != tc.file || strings.Join(o.listen, " ") != strings.Join(tc.listen, " ") {
			t.Errorf("%v: file %q listen %q", tc.args, o.file, o.listen)
		}
	}
}

func TestParseLogLevel(t *testing.T) {
	tests := []struct {
		args []string
		want config.LogLevel
		err  bool
	}{
		{[]string{"0"}, 0, false},
		{[]string{"256"}, config.LogStats, false},
		{[]string{"stats"}, config.LogStats, false},
		{[]string{"Stats,ACL"}, config.LogStats | config.LogACL, false},
		{[]string{"stats", "conns"}, config.LogStats | config.LogConns, false},
		{[]string{"0x100"}, config.LogStats, false},
		{[]string{"-1"}, config.LogAny, false},
		{[]string{"any"}, config.LogAny, false},
		{[]string{"none"}, config.LogNone, false},
		{[]string{"bogus"}, 0, true},
		{[]string{"-2"}, 0, true},
		{[]string{"99999999999"}, 0, true},
	}
	for _, tc := range tests {
		got, err := parseLogLevel(tc.args)
		if (err != nil) != tc.err || !tc.err && got != tc.want {
			t.Errorf("parseLogLevel(%q) = %d, %v; want %d", tc.args, got, err, tc.want)
		}
	}
}

func TestListenerURL(t *testing.T) {
	tests := []struct {
		scheme string
		addr   net.Addr
		want   string
	}{
		{"ldap", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3389}, "ldap://127.0.0.1:3389/"},
		{"ldaps", &net.TCPAddr{IP: net.ParseIP("::1"), Port: 636}, "ldaps://[::1]:636/"},
		{"ldapi", &net.UnixAddr{Name: "/run/hostdir/ldapi", Net: "unix"}, "ldapi://%2Frun%2Fhostdir%2Fldapi/"},
	}
	for _, tc := range tests {
		if got := listenerURL(tc.scheme, tc.addr); got != tc.want {
			t.Errorf("listenerURL(%s, %v) = %q, want %q", tc.scheme, tc.addr, got, tc.want)
		}
	}
}

func TestLineHandler(t *testing.T) {
	var b bytes.Buffer
	l := slog.New(&lineHandler{w: &b}).With("k", "v")
	l.Info("conn=1000 op=0 UNBIND")
	l.Warn("accept error", "n", 3)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], "Z conn=1000 op=0 UNBIND k=v") || !strings.HasSuffix(lines[1], "Z WARN accept error k=v n=3") {
		t.Errorf("lines:\n%s", b.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeInProcess runs Serve on the default configuration until its
// context is cancelled.
func TestServeInProcess(t *testing.T) {
	data := t.TempDir()
	port := peers.FreePort(t)
	url := fmt.Sprintf("ldap://127.0.0.1:%d/", port)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan int, 1)
	go func() { done <- Serve(ctx, []string{"--data", data, "-h", url, "-d", "0"}, &out, &out) }()
	// The listener is open before the first start's work is done; the
	// banner's last line says the server is ready.
	for i := 0; i < 500 && !strings.Contains(out.String(), "hostdir: try: "); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	conn, err := ldap.DialURL(url)
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, out.String())
	}
	pw := ""
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "hostdir: rootdn password (shown once): "); ok {
			pw = v
		}
	}
	if err := conn.Bind("cn=Manager,dc=myhosting,dc=example", pw); err != nil {
		t.Errorf("bind with the generated password %q: %v\n%s", pw, err, out.String())
	}
	conn.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("Serve returned %d:\n%s", code, out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if !strings.HasSuffix(out.String(), "hostdir: shutting down\nhostdir: stopped\n") {
		t.Errorf("output:\n%s", out.String())
	}
	// A second server on the data of a running one gives up clearly.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	var out2 syncBuffer
	go func() { done <- Serve(ctx2, []string{"--data", data, "-h", url, "-d", "0"}, &out2, &out2) }()
	for i := 0; i < 500 && !strings.Contains(out2.String(), "hostdir: try: "); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	var out3 syncBuffer
	code := Serve(context.Background(), []string{"--data", data, "-h", fmt.Sprintf("ldap://127.0.0.1:%d/", peers.FreePort(t)), "-d", "0"}, &out3, &out3)
	if code != 1 || !strings.Contains(out3.String(), "database is in use by another process") {
		t.Errorf("second server on the same data: exit %d:\n%s", code, out3.String())
	}
	cancel2()
	<-done
}
