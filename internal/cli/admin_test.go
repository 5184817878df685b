package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"hostdir/internal/peers"
)

// adminSlapd starts slapd with the HOWTO's access rules and the ACL tree.
func adminSlapd(t *testing.T) *peers.Slapd {
	t.Helper()
	conf, err := os.ReadFile(repoFile(t, "testdata/howto-slapd-2.5.conf"))
	if err != nil {
		t.Fatal(err)
	}
	acl := string(conf)[strings.Index(string(conf), "\naccess to")+1:]
	return peers.StartSlapd(t, peers.SlapdOptions{
		ExtraSchemas:   []string{repoFile(t, "schema/builtin/jamm.schema")},
		DatabaseConfig: acl,
		LDIFFiles:      []string{repoFile(t, "testdata/acl-tree.ldif")},
	})
}

func TestAdminArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no ldap", []string{"--base", "o=x"}, 64, "--ldap is required"},
		{"no base", []string{"--ldap", "ldap://127.0.0.1/"}, 64, "--base is required"},
		{"plain HTTP on all addresses", []string{"--ldap", "ldap://127.0.0.1/", "--base", "o=x", "--listen", "0.0.0.0:8080"}, 64, "clear"},
		{"cert without key", []string{"--ldap", "ldap://127.0.0.1/", "--base", "o=x", "--tls-cert", "c.pem"}, 64, "go together"},
		{"bad hash", []string{"--ldap", "ldap://127.0.0.1/", "--base", "o=x", "--password-hash", "{NOPE}", "--listen", "127.0.0.1:0"}, 1, "unknown scheme"},
		{"help", []string{"-help"}, 0, "Usage: hostdir admin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Admin(context.Background(), tc.args, nil, &out, &errOut)
			if code != tc.code || !strings.Contains(errOut.String(), tc.msg) {
				t.Errorf("code %d, stderr:\n%s", code, errOut.String())
			}
		})
	}
}

// syncBuf is a concurrency-safe buffer for a running command's output.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAdminServes(t *testing.T) {
	s := adminSlapd(t)
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errOut syncBuf
	done := make(chan int, 1)
	go func() {
		done <- Admin(ctx, []string{"--ldap", s.URL, "--base", "o=hosting," + s.Suffix, "--root-dn", s.RootDN,
			"--listen", addr}, nil, &errOut, &errOut)
	}()
	var resp *http.Response
	var err error
	for i := 0; i < 100; i++ {
		resp, err = http.Get("http://" + addr + "/login")
		if err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("admin did not answer: %v\n%s", err, errOut.String())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("login page: %d %v", resp.StatusCode, resp.Header)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d\n%s", code, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("admin did not stop")
	}
	if !strings.Contains(errOut.String(), "serving http://"+addr) {
		t.Errorf("banner missing:\n%s", errOut.String())
	}
}

func TestCleanCommand(t *testing.T) {
	s := adminSlapd(t)
	base := "o=hosting," + s.Suffix
	home := filepath.Join(t.TempDir(), "domains")
	maildir := filepath.Join(home, "example.com", "dave")
	if err := os.MkdirAll(filepath.Join(maildir, "new"), 0o700); err != nil {
		t.Fatal(err)
	}
	dave := "mail=dave@example.com,jvd=example.com," + base
	c := s.Bind(t)
	m := ldap.NewModifyRequest(dave, nil)
	m.Replace("delete", []string{"TRUE"})
	m.Replace("homeDirectory", []string{home})
	if err := c.Modify(m); err != nil {
		t.Fatal(err)
	}
	run := func(extra ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		args := append([]string{"--ldap", s.URL, "--base", base, "--root-dn", s.RootDN, "--mailbox-base", home}, extra...)
		code := Clean(context.Background(), args, strings.NewReader(s.RootPW+"\n"), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run()
	if code != 0 || !strings.Contains(out, "would remove maildir "+maildir) || !strings.Contains(out, "would delete entry "+dave) {
		t.Errorf("dry run: %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(maildir); err != nil {
		t.Error("dry run removed the maildir")
	}
	code, out, errOut = run("--yes")
	if code != 0 || !strings.Contains(out, "delete entry "+dave) || strings.Contains(out, "would") {
		t.Errorf("clean --yes: %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(maildir); !os.IsNotExist(err) {
		t.Error("maildir still there")
	}
	res, err := c.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(mail=dave@example.com)", []string{"1.1"}, nil))
	if err != nil || len(res.Entries) != 0 {
		t.Errorf("dave still there: %v", err)
	}
	// Usage and a wrong password.
	var o, e bytes.Buffer
	if code := Clean(context.Background(), []string{"--ldap", s.URL}, nil, &o, &e); code != 64 {
		t.Errorf("usage: %d", code)
	}
	e.Reset()
	if code := Clean(context.Background(), []string{"--ldap", s.URL, "--base", base, "--root-dn", s.RootDN},
		strings.NewReader("wrong\n"), &o, &e); code != 1 || !strings.Contains(e.String(), "bind") {
		t.Errorf("wrong password: %d %s", code, e.String())
	}
}
