package directory

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"hostdir/directory/config"
	"hostdir/directory/entry"
	"hostdir/directory/ldapwire"
)

// fuzzSeeds are request streams: single requests, pipelined ones and
// broken ones.
func fuzzSeeds() [][]byte {
	cat := func(b ...[]byte) []byte {
		var out []byte
		for _, x := range b {
			out = append(out, x...)
		}
		return out
	}
	return [][]byte{
		rawSearch(1, testBase, 2, "mail", "user@example.com", "mailbox"),
		rawSearch(1, "", 0, "objectClass", "*", "+"),
		rawSearch(1, "cn=Subschema", 0, "objectClass", "*", "*", "+"),
		cat(rawBind(3, "", ""), rawSearch(2, testDomain, 1, "objectClass", "*", "1.1")),
		cat(rawBind(3, testRootDN, testRootPW), rawExtended(2, ldapwire.OIDWhoAmI, nil)),
		rawExtended(1, ldapwire.OIDPasswordModify, ldapwire.AppendPasswdModifyRequestValue(nil, []byte(testUser), nil, nil)),
		cat(rawSearch(1, testBase, 2, "mail", "*"), rawAbandon(2, 1), rawExtended(3, ldapwire.OIDCancel, ldapwire.AppendCancelValue(nil, 1))),
		rawSASLBind("EXTERNAL"),
		rawBind(2, "", ""),
		cat(rawSearch(1, testBase, 0, "objectClass", "*"), []byte{0xff, 0x00}),
		{0x30, 0x84, 0xff, 0xff, 0xff, 0xff},
		rawUnbind(1),
	}
}

// FuzzConn feeds arbitrary bytes to a connection: the server must answer
// or disconnect, never panic (a recovered panic is logged and fails the
// test) nor hang.
func FuzzConn(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	cfg := testConfig(f)
	logs := &syncBuffer{}
	lv := config.LogLevel(0)
	srv, err := Open(cfg, Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), LogLevel: &lv,
		IncompletePDUTimeout: 200 * time.Millisecond})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Shutdown(context.Background()) })
	if _, err := srv.EnsureSuffixes(context.Background()); err != nil {
		f.Fatal(err)
	}
	for _, fx := range fixture {
		e := &entry.Entry{DN: fx.dn}
		for _, l := range fx.order {
			typ, v, _ := strings.Cut(l, ": ")
			if a := e.Get(typ); a != nil {
				a.Values = append(a.Values, []byte(v))
			} else {
				e.Attrs = append(e.Attrs, entry.Attribute{Type: typ, Values: [][]byte{[]byte(v)}})
			}
		}
		if err := PrepareEntry(srv.schema, e, PrepareOptions{Creator: testRootDN}); err != nil {
			f.Fatalf("%s: %v", fx.dn, err)
		}
		if err := srv.dbs[0].backend.Add(context.Background(), e); err != nil {
			f.Fatalf("%s: %v", fx.dn, err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := net.Pipe()
		srv.connWG.Add(1)
		srv.nconns.Add(1)
		c := newConn(srv, a, 1, kindLDAP, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 389})
		srv.mu.Lock()
		srv.conns[c] = struct{}{}
		srv.mu.Unlock()
		done := make(chan struct{})
		go func() {
			c.serve()
			close(done)
		}()
		go io.Copy(io.Discard, b)
		b.SetWriteDeadline(time.Now().Add(5 * time.Second))
		b.Write(data)
		b.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("connection did not finish")
		}
		if l := logs.String(); strings.Contains(l, "panic") {
			t.Fatalf("panic in an operation:\n%s", l)
		}
	})
}
