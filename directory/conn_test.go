package directory

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"hostdir/directory/acl"
	"hostdir/directory/config"
	"hostdir/directory/ldapwire"
)

// blockingAuthz blocks read access to entries until released or the
// operation is cancelled; it panics on the attribute "cn". Otherwise it
// grants what slapd's default grants (read).
type blockingAuthz struct {
	release chan struct{}
	entered chan struct{}
}

func (b *blockingAuthz) Begin(ctx context.Context, sub *Subject, db *config.Database, fetch acl.Fetcher) Access {
	return &blockingAccess{b: b, ctx: ctx, root: sub.Root}
}

type blockingAccess struct {
	b    *blockingAuthz
	ctx  context.Context
	root bool
}

func (a *blockingAccess) Allowed(r acl.Request, want acl.Priv) bool {
	if a.root {
		return true
	}
	if r.Attr.HasName("cn") {
		panic("test panic in authorizer")
	}
	if r.Attr == acl.EntryAttr && want&acl.PrivRead != 0 && strings.HasPrefix(r.Entry.NDN(), "mail=user@") {
		select {
		case a.b.entered <- struct{}{}:
		default:
		}
		select {
		case <-a.b.release:
		case <-a.ctx.Done():
			return false
		}
	}
	return want&^acl.LevelRead == 0
}

func (a *blockingAccess) Granted() acl.Priv {
	if a.root {
		return acl.PrivAll
	}
	return 0
}
func (a *blockingAccess) ValueRules() bool { return false }
func (a *blockingAccess) Release()         {}

func TestPipelining(t *testing.T) {
	ts := newTestServer(t)
	ts.load(t)
	r := ts.raw(t)
	var pdus [][]byte
	pdus = append(pdus, rawBindID(1, 3, "", ""))
	const n = 12
	for i := 0; i < n; i++ {
		pdus = append(pdus, rawSearch(int64(2+i), testBase, 2, "mail", "user@example.com", "mailbox"))
	}
	r.send(pdus...)
	entries := map[int64]int{}
	done := map[int64]int{}
	for len(done) < n+1 {
		p := r.recv()
		if p == nil {
			t.Fatal("connection closed")
		}
		id := msgID(p)
		switch opTag(p) {
		case ldapwire.OpSearchResultEntry:
			entries[id]++
		case ldapwire.OpSearchResultDone, ldapwire.OpBindResponse:
			if c, msg := resultOf(t, p); c != 0 {
				t.Errorf("message %d: %d %s", id, c, msg)
			}
			done[id]++
		}
	}
	for i := int64(2); i < 2+n; i++ {
		if entries[i] != 1 || done[i] != 1 {
			t.Errorf("message %d: %d entries, %d results", i, entries[i], done[i])
		}
	}
}

func TestAbandonAndCancel(t *testing.T) {
	authz := &blockingAuthz{release: make(chan struct{}), entered: make(chan struct{}, 1)}
	ts := newTestServer(t, func(cfg *configT, o *Options) { o.Authorizer = authz })
	ts.load(t)

	// Abandon: the search gets no response; the next request is answered.
	r := ts.raw(t)
	r.send(rawSearch(5, testBase, 2, "mail", "user@example.com"))
	<-authz.entered
	r.send(rawAbandon(6, 5), rawSearch(7, testBase, 2, "mail", "abuse@example.com", "1.1"))
	for {
		p := r.recv()
		if p == nil {
			t.Fatal("closed")
		}
		if msgID(p) == 5 {
			t.Fatalf("abandoned search answered: %v", opTag(p))
		}
		if msgID(p) == 7 && opTag(p) == ldapwire.OpSearchResultDone {
			break
		}
	}

	// Cancel: the search answers canceled (118), the cancel success.
	r.send(rawSearch(8, testBase, 2, "mail", "user@example.com"))
	<-authz.entered
	r.send(rawExtended(9, ldapwire.OIDCancel, ldapwire.AppendCancelValue(nil, 8)))
	got := map[int64]int{}
	for len(got) < 2 {
		p := r.recv()
		if p == nil {
			t.Fatal("closed")
		}
		c, _ := resultOf(t, p)
		got[msgID(p)] = c
	}
	if got[8] != 118 || got[9] != 0 {
		t.Errorf("cancel: results %v, want 8:118 9:0", got)
	}
	// Cancel of an unknown operation: 119.
	r.send(rawExtended(10, ldapwire.OIDCancel, ldapwire.AppendCancelValue(nil, 99)))
	if c, _ := resultOf(t, r.recv()); c != 119 {
		t.Errorf("cancel of unknown id: %d", c)
	}
	// A panic in an operation: other (80), the server goes on.
	c := ts.dial(t)
	_, err := search(t, c, "cn=postmaster,"+testDomain, ldap.ScopeBaseObject, "(objectClass=*)", "cn")
	if code(err) != 80 {
		t.Errorf("panicking operation: %v, want 80", err)
	}
	if _, err := search(t, c, testDomain, ldap.ScopeBaseObject, "(objectClass=*)", "jvd"); err != nil {
		t.Errorf("after panic: %v", err)
	}
	if !strings.Contains(ts.logs.String(), "test panic in authorizer") {
		t.Error("panic not logged")
	}
	close(authz.release)
}

// isNotice reports whether p is a Notice of Disconnection with protocolError.
func isNotice(t *testing.T, p *ber.Packet) bool {
	if p == nil || msgID(p) != 0 || opTag(p) != ldapwire.OpExtendedResponse {
		return false
	}
	c, _ := resultOf(t, p)
	return c == int(ldapwire.ProtocolError)
}

func TestMalformedPDUs(t *testing.T) {
	ts := newTestServer(t, func(cfg *configT, o *Options) { o.IncompletePDUTimeout = 300 * time.Millisecond })
	ts.load(t)
	valid := rawSearch(1, testBase, 0, "objectClass", "*", "1.1")
	deep := func(depth int) []byte {
		f := ber.Encode(ber.ClassContext, ber.TypePrimitive, 7, "objectClass", "")
		for i := 0; i < depth; i++ {
			n := ber.Encode(ber.ClassContext, ber.TypeConstructed, 2, nil, "not")
			n.AppendChild(f)
			f = n
		}
		op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 3, nil, "search")
		op.AppendChild(octet(testBase))
		op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, 0, ""))
		op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, 0, ""))
		op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 0, ""))
		op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 0, ""))
		op.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, false, ""))
		op.AppendChild(f)
		op.AppendChild(ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "attrs"))
		return envelope(3, op)
	}
	tests := []struct {
		name   string
		send   []byte
		notice bool // a Notice of Disconnection, then close
		answer int  // else: the result code of the request
	}{
		{"bad first byte", []byte{0x31, 0x03, 0x02, 0x01, 0x01}, true, 0},
		{"huge length", []byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02}, true, 0},
		{"indefinite length", []byte{0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00}, true, 0},
		{"garbage inside", []byte{0x30, 0x05, 0x02, 0x01, 0x01, 0xff, 0x00}, true, 0},
		{"response sent by client", envelope(2, ber.Encode(ber.ClassApplication, ber.TypeConstructed, 1, nil, "bindresp")), true, 0},
		{"garbage after valid", append(append([]byte(nil), valid...), 0xff, 0xfe, 0xfd), true, 0},
		{"deep filter", deep(300), false, int(ldapwire.AdminLimitExceeded)},
		{"bad scope", func() []byte {
			b := rawSearch(4, testBase, 0, "objectClass", "*")
			i := strings.Index(string(b), "\x0a\x01\x00")
			b[i+2] = 9
			return b
		}(), false, int(ldapwire.ProtocolError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.raw(t)
			r.send(tt.send)
			p := r.recv()
			if tt.name == "garbage after valid" {
				for p != nil && opTag(p) == ldapwire.OpSearchResultEntry {
					p = r.recv()
				}
				if c, _ := resultOf(t, p); c != 0 {
					t.Fatalf("valid request: %d", c)
				}
				p = r.recv()
			}
			if tt.notice {
				if !isNotice(t, p) {
					t.Fatalf("want a Notice of Disconnection, got %v", p)
				}
				if !r.closed() {
					t.Error("connection not closed")
				}
				return
			}
			if p == nil {
				t.Fatal("closed without answer")
			}
			for p != nil && opTag(p) == ldapwire.OpSearchResultEntry {
				p = r.recv()
			}
			if c, _ := resultOf(t, p); c != tt.answer {
				t.Errorf("result %d, want %d", c, tt.answer)
			}
			// the connection goes on
			r.send(valid)
			if p := r.recv(); p == nil {
				t.Error("connection closed after a non-fatal error")
			}
		})
	}
	t.Run("truncated then silent", func(t *testing.T) {
		r := ts.raw(t)
		r.send(valid[:len(valid)-3])
		start := time.Now()
		if !r.closed() {
			t.Fatal("not closed")
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("closed after %v", d)
		}
	})
	t.Run("idle is fine", func(t *testing.T) {
		r := ts.raw(t)
		time.Sleep(600 * time.Millisecond)
		r.send(valid)
		if p := r.recv(); p == nil {
			t.Fatal("idle connection was closed")
		}
	})
	// others still served
	if _, err := search(t, ts.dial(t), testBase, ldap.ScopeBaseObject, "(objectClass=*)"); err != nil {
		t.Fatalf("server stopped answering: %v", err)
	}
	if !strings.Contains(ts.logs.String(), "closed (connection lost)") {
		t.Error("no close line in the log")
	}
}

func TestManyConnections(t *testing.T) {
	const n = 1000
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur < 2*n+100 {
		want := rl
		want.Cur = min(rl.Max, 2*n+100)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil || want.Cur < 2*n+100 {
			t.Skipf("open file limit %d too low", rl.Cur)
		}
	}
	ts := newTestServer(t)
	ts.load(t)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	conns := make([]net.Conn, n)
	for i := 0; i < n; i++ {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns[i] = nc
	}
	for i, nc := range conns {
		wg.Add(1)
		go func(i int, nc net.Conn) {
			defer wg.Done()
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(30 * time.Second))
			if _, err := nc.Write(rawSearch(1, testBase, 2, "mail", "user@example.com", "mailbox")); err != nil {
				errs <- err
				return
			}
			got := 0
			for {
				p, err := ber.ReadPacket(nc)
				if err != nil {
					errs <- fmt.Errorf("conn %d: %w", i, err)
					return
				}
				if opTag(p) == ldapwire.OpSearchResultEntry {
					got++
				}
				if opTag(p) == ldapwire.OpSearchResultDone {
					if got != 1 {
						errs <- fmt.Errorf("conn %d: %d entries", i, got)
					}
					return
				}
			}
		}(i, nc)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestConnectionLimit(t *testing.T) {
	ts := newTestServer(t, func(cfg *configT, o *Options) { o.MaxConnections = 2 })
	a, b := ts.dial(t), ts.dial(t)
	_ = a
	if _, err := search(t, b, "", 0, "(objectClass=*)"); err != nil {
		t.Fatal(err)
	}
	r := ts.raw(t)
	if !r.closed() {
		t.Error("third connection not closed")
	}
	if !strings.Contains(ts.logs.String(), "connection limit reached") {
		t.Error("no log line for the connection limit")
	}
}

func TestLimitsAndControls(t *testing.T) {
	ts := newTestServer(t, func(cfg *configT, o *Options) {
		cfg.SizeLimit = config.Limit{Soft: 2, Hard: config.HardIsSoft}
	})
	ts.load(t)
	anon := ts.dial(t)
	root := ts.root(t)
	res, err := search(t, anon, testBase, ldap.ScopeWholeSubtree, "(objectClass=*)", "1.1")
	if code(err) != 4 || res == nil || len(res.Entries) != 2 {
		t.Errorf("anonymous over the size limit: %v, %d entries", err, len(res.Entries))
	}
	r := ldap.NewSearchRequest(testBase, ldap.ScopeWholeSubtree, 0, 1, 0, false, "(objectClass=*)", []string{"1.1"}, nil)
	res, err = root.Search(r)
	if code(err) != 4 || len(res.Entries) != 1 {
		t.Errorf("root with client limit 1: %v, %d entries", err, len(res.Entries))
	}
	res, err = search(t, root, testBase, ldap.ScopeWholeSubtree, "(objectClass=*)", "1.1")
	if err != nil || len(res.Entries) != len(fixture) {
		t.Errorf("root unlimited: %v, %d entries", err, len(res.Entries))
	}
	// paged results
	pr := ldap.NewSearchRequest(testBase, ldap.ScopeWholeSubtree, 0, 0, 0, false, "(objectClass=*)", []string{"1.1"}, nil)
	res, err = root.SearchWithPaging(pr, 2)
	if err != nil || len(res.Entries) != len(fixture) {
		t.Errorf("paged search: %v, %d entries", err, len(res.Entries))
	}
	// unknown critical control: 12; non-critical: ignored
	cr := ldap.NewSearchRequest(testBase, 0, 0, 0, 0, false, "(objectClass=*)", nil,
		[]ldap.Control{ldap.NewControlString("1.2.3.4", true, "")})
	if _, err := anon.Search(cr); code(err) != 12 || diag(err) != "critical extension is not recognized" {
		t.Errorf("unknown critical control: %v", err)
	}
	cr.Controls = []ldap.Control{ldap.NewControlString("1.2.3.4", false, "")}
	if _, err := anon.Search(cr); err != nil {
		t.Errorf("unknown non-critical control: %v", err)
	}
	// assertion control
	assert := func(f string) ldap.Control {
		p, err := ldap.CompileFilter(f)
		if err != nil {
			t.Fatal(err)
		}
		return ldap.NewControlString(ldapwire.OIDAssertion, true, string(p.Bytes()))
	}
	m := ldap.NewModifyRequest(testUser, []ldap.Control{assert("(accountActive=FALSE)")})
	m.Replace("quota", []string{"1"})
	if err := root.Modify(m); code(err) != 122 {
		t.Errorf("modify with failing assertion: %v", err)
	}
	m = ldap.NewModifyRequest(testUser, []ldap.Control{assert("(accountActive=TRUE)")})
	m.Replace("quota", []string{"1"})
	if err := root.Modify(m); err != nil {
		t.Errorf("modify with assertion: %v", err)
	}
	sr := ldap.NewSearchRequest(testDomain, ldap.ScopeWholeSubtree, 0, 0, 0, false, "(objectClass=*)", nil,
		[]ldap.Control{assert("(jvd=other.com)")})
	if _, err := root.Search(sr); code(err) != 122 {
		t.Errorf("search with failing assertion: %v", err)
	}
	// ManageDsaIT is accepted
	sr = ldap.NewSearchRequest(testDomain, 0, 0, 0, 0, false, "(objectClass=*)", nil, []ldap.Control{ldap.NewControlManageDsaIT(true)})
	if _, err := root.Search(sr); err != nil {
		t.Errorf("manageDsaIT: %v", err)
	}
}

func TestLogLines(t *testing.T) {
	ts := newTestServer(t)
	ts.load(t)
	c := ts.bind(t, testRootDN, testRootPW)
	if _, err := search(t, c, testBase, 2, "(mail=user@example.com)", "mailbox"); err != nil {
		t.Fatal(err)
	}
	c.Unbind()
	time.Sleep(100 * time.Millisecond)
	logs := ts.logs.String()
	for _, want := range []string{
		"ACCEPT from IP=127.0.0.1:",
		`BIND dn=\"cn=Manager,dc=myhosting,dc=example\" method=128`,
		"RESULT tag=97 err=0",
		`SRCH base=\"o=hosting,dc=myhosting,dc=example\" scope=2 deref=0 filter=\"(mail=user@example.com)\"`,
		"SRCH attr=mailbox",
		"SEARCH RESULT tag=101 err=0",
		"nentries=1",
		"UNBIND",
		"closed",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if strings.Contains(logs, testRootPW) {
		t.Error("password in the log")
	}
}
