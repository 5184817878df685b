package ldapwire

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// captureServer is a minimal LDAP server built on this package: it records
// every PDU it receives and answers binds with success and searches with
// one entry holding the requested attributes.
type captureServer struct {
	ln   net.Listener
	mu   sync.Mutex
	pdus [][]byte
	wg   sync.WaitGroup
	// conns counts the connections being served: captured waits for
	// them, as a client may exit before its last PDU (Unbind) is read.
	conns sync.WaitGroup
}

func startCaptureServer(t *testing.T) *captureServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &captureServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			s.conns.Add(1)
			go func() {
				defer s.wg.Done()
				defer s.conns.Done()
				s.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *captureServer) serve(c net.Conn) {
	defer c.Close()
	rd := NewReader(c, MaxPDUAnonymous)
	var m Message
	var out []byte
	for {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		pdu, err := rd.ReadPDU()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.pdus = append(s.pdus, bytes.Clone(pdu))
		s.mu.Unlock()
		if err := Decode(pdu, &m); err != nil {
			var de *Error
			if errors.As(err, &de) && !de.Fatal && ResponseOp(de.Op) != 0 {
				c.Write(AppendResult(out[:0], de.ID, ResponseOp(de.Op), Result{Code: de.Code, Message: de.Msg}))
				continue
			}
			c.Write(AppendNoticeOfDisconnection(out[:0], ProtocolError, err.Error()))
			return
		}
		out = out[:0]
		switch m.Op {
		case OpUnbindRequest:
			return
		case OpSearchRequest:
			b, e := StartEntry(out, m.ID, "mail=a*b@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example")
			for _, a := range m.Search.Attributes {
				b = AppendAttr(b, string(a), []byte("example.com/a/"))
			}
			out = e.Finish(b)
			out = AppendResult(out, m.ID, OpSearchResultDone, Result{})
		case OpAbandonRequest:
			continue
		default:
			if r := ResponseOp(m.Op); r != 0 {
				out = AppendResult(out, m.ID, r, Result{})
			}
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// captured returns the PDUs received once every accepted connection has
// ended (the client's Unbind or close; a silent client's deadline).
func (s *captureServer) captured() [][]byte {
	s.conns.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.pdus...)
}

func needBinary(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed", name)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// saveGolden writes a captured PDU to testdata when LDAPWIRE_UPDATE=1.
func saveGolden(t *testing.T, name string, pdu []byte) {
	if os.Getenv("LDAPWIRE_UPDATE") != "1" {
		return
	}
	if err := os.WriteFile(filepath.Join("testdata", name), []byte(hex.EncodeToString(pdu)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

const postfixFilter = `(&(objectClass=JammMailAccount)(mail=a\2ab@example.com)(accountActive=TRUE)(delete=FALSE))`

// TestLdapsearch runs OpenLDAP's ldapsearch against the capture server:
// our decoder must understand libldap's PDUs and libldap our responses.
func TestLdapsearch(t *testing.T) {
	bin := needBinary(t, "ldapsearch")
	s := startCaptureServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-x", "-LLL", "-H", "ldap://"+s.ln.Addr().String(),
		"-b", "o=hosting,dc=myhosting,dc=example", "-z", "100", postfixFilter, "mailbox")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ldapsearch: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "mailbox: example.com/a/") {
		t.Fatalf("ldapsearch output lacks the entry:\n%s", out)
	}
	var m Message
	var ops []Op
	for _, pdu := range s.captured() {
		if err := Decode(pdu, &m); err != nil {
			t.Fatalf("decode %x: %v", pdu, err)
		}
		ops = append(ops, m.Op)
		if m.Op == OpSearchRequest {
			saveGolden(t, "ldapsearch_search.hex", pdu)
			if got := m.Search.Filter.String(); got != postfixFilter {
				t.Errorf("filter = %s, want %s", got, postfixFilter)
			}
			if m.Search.SizeLimit != 100 || m.Search.Scope != ScopeSub || len(m.Search.Attributes) != 1 {
				t.Errorf("search = %+v", m.Search)
			}
		}
		if m.Op == OpBindRequest {
			saveGolden(t, "ldapsearch_bind.hex", pdu)
		}
	}
	want := []Op{OpBindRequest, OpSearchRequest, OpUnbindRequest}
	if !equalOps(ops, want) {
		t.Errorf("ops = %v, want %v", ops, want)
	}
}

func equalOps(a, b []Op) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPostfix runs postmap(1) with the HOWTO's accounts map against the
// capture server.
func TestPostfix(t *testing.T) {
	bin := needBinary(t, "postmap")
	if _, err := os.Stat("/usr/lib/postfix/postfix-ldap.so"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("postfix-ldap not installed")
		}
		t.Skip("postfix-ldap not installed")
	}
	s := startCaptureServer(t)
	dir := t.TempDir()
	cf := filepath.Join(dir, "accounts.cf")
	conf := "server_host = ldap://" + s.ln.Addr().String() + "\n" +
		"search_base = o=hosting,dc=myhosting,dc=example\n" +
		"query_filter = (&(objectClass=JammMailAccount)(mail=%s)(accountActive=TRUE)(delete=FALSE))\n" +
		"result_attribute = mailbox\nbind = no\nversion = 3\n"
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// postmap reads its own main.cf, not /etc/postfix/main.cf, which
	// other tests running at the same time edit (internal/peers authorizes
	// private Postfix instances there) and postmap would warn about.
	if err := os.WriteFile(filepath.Join(dir, "main.cf"), []byte("compatibility_level = 3.6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-c", dir, "-q", "a*b@example.com", "ldap:"+cf).CombinedOutput()
	if err != nil {
		t.Fatalf("postmap: %v\n%s", err, out)
	}
	if strings.TrimSpace(string(out)) != "example.com/a/" {
		t.Fatalf("postmap output %q", out)
	}
	var m Message
	found := false
	for _, pdu := range s.captured() {
		if err := Decode(pdu, &m); err != nil {
			t.Fatalf("decode %x: %v", pdu, err)
		}
		switch m.Op {
		case OpSearchRequest:
			found = true
			saveGolden(t, "postfix_search.hex", pdu)
			if got := m.Search.Filter.String(); got != postfixFilter {
				t.Errorf("filter = %s, want %s", got, postfixFilter)
			}
			if len(m.Search.Attributes) != 1 || string(m.Search.Attributes[0]) != "mailbox" {
				t.Errorf("attributes = %q", m.Search.Attributes)
			}
		case OpBindRequest:
			saveGolden(t, "postfix_bind.hex", pdu)
		}
	}
	if !found {
		t.Fatal("postmap sent no search")
	}
}
