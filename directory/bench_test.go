package directory

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"hostdir/directory/acl"
	"hostdir/directory/config"
	"hostdir/directory/entry"
	"hostdir/directory/ldapwire"
	"hostdir/directory/store"
)

// readFrame reads one LDAPMessage into buf (no allocation once buf is big
// enough) and returns it.
func readFrame(r io.Reader, buf []byte) ([]byte, error) {
	if _, err := io.ReadFull(r, buf[:2]); err != nil {
		return nil, err
	}
	n, hdr := int(buf[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if _, err := io.ReadFull(r, buf[2:2+k]); err != nil {
			return nil, err
		}
		n = 0
		for _, b := range buf[2 : 2+k] {
			n = n<<8 | int(b)
		}
		hdr += k
	}
	if _, err := io.ReadFull(r, buf[hdr:hdr+n]); err != nil {
		return nil, err
	}
	return buf[:hdr+n], nil
}

// howtoRules returns the access rules of the HOWTO's slapd.conf in their
// OpenLDAP 2.5 form (testdata/howto-slapd-2.5.conf).
func howtoRules(t testing.TB) []acl.Rule {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "testdata", "howto-slapd-2.5.conf"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Databases[0].Access
}

// BenchmarkPostfixSearchRoundTrip measures one Postfix-style lookup (an
// anonymous subtree search on an indexed mail value for one attribute) on
// one connection, request to SearchResultDone, over loopback TCP, without
// access rules.
func BenchmarkPostfixSearchRoundTrip(b *testing.B) { benchRoundTrip(b, false, "", false) }

// BenchmarkPostfixSearchRoundTripHOWTO is BenchmarkPostfixSearchRoundTrip
// under the HOWTO's access rules (2.5 form).
func BenchmarkPostfixSearchRoundTripHOWTO(b *testing.B) { benchRoundTrip(b, true, "", false) }

// postfixFilter is the HOWTO's virtual_mailbox_maps query filter.
const postfixFilter = "(&(objectClass=JammMailAccount)(mail=user@example.com)(accountActive=TRUE)(delete=FALSE))"

// BenchmarkPostfixLookupRoundTrip is BenchmarkPostfixSearchRoundTripHOWTO
// with the whole filter of the HOWTO's Postfix query.
func BenchmarkPostfixLookupRoundTrip(b *testing.B) { benchRoundTrip(b, true, postfixFilter, false) }

// BenchmarkPostfixLookupRoundTripStats is BenchmarkPostfixLookupRoundTrip
// with stats logging (slapd's default level) to a LineWriter that
// discards: the cost of building the three lines of each lookup.
func BenchmarkPostfixLookupRoundTripStats(b *testing.B) { benchRoundTrip(b, true, postfixFilter, true) }

// discardLines is a LineWriter that drops the lines.
type discardLines struct{}

func (discardLines) WriteLine([]byte) {}

func benchRoundTrip(b *testing.B, howto bool, flt string, stats bool) {
	ts := newTestServer(b, func(cfg *configT, o *Options) {
		none := config.LogLevel(0)
		o.LogLevel = &none
		if stats {
			lv := config.LogStats
			o.LogLevel = &lv
			o.LogLines = discardLines{}
		}
		if howto {
			cfg.Databases[0].Access = howtoRules(b)
		}
	})
	ts.load(b)
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	pdu := rawSearch(2, testBase, 2, "mail", "user@example.com", "mailbox")
	if flt != "" {
		pdu = rawSearchFilter(b, 2, testBase, 2, flt, "mailbox")
	}
	buf := make([]byte, 64<<10)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		if _, err := nc.Write(pdu); err != nil {
			b.Fatal(err)
		}
		for {
			m, err := readFrame(nc, buf)
			if err != nil {
				b.Fatal(err)
			}
			hdr := 2
			if m[1]&0x80 != 0 {
				hdr += int(m[1] & 0x7f)
			}
			op := ldapwire.Op(m[hdr+2+int(m[hdr+1])])
			if op == ldapwire.OpSearchResultEntry {
				n++
			}
			if op == ldapwire.OpSearchResultDone {
				break
			}
		}
	}
	b.StopTimer()
	if n != b.N {
		b.Fatalf("%d entries for %d searches", n, b.N)
	}
}

// discardConn is a net.Conn that swallows writes.
type discardConn struct{}

func (discardConn) Write(p []byte) (int, error)      { return len(p), nil }
func (discardConn) Read(p []byte) (int, error)       { return 0, io.EOF }
func (discardConn) Close() error                     { return nil }
func (discardConn) SetWriteDeadline(time.Time) error { return nil }
func (discardConn) SetReadDeadline(time.Time) error  { return nil }
func (discardConn) SetDeadline(time.Time) error      { return nil }
func (discardConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (discardConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 389} }

// BenchmarkSearchHandler measures the server's handling of a decoded
// Postfix search (compile the filter, plan through the index, read and
// encode the entry, write) over a 10,000-entry store, without network.
func BenchmarkSearchHandler(b *testing.B) { benchSearchHandler(b, false, "") }

// BenchmarkSearchHandlerHOWTO is BenchmarkSearchHandler under the HOWTO's
// access rules (2.5 form).
func BenchmarkSearchHandlerHOWTO(b *testing.B) { benchSearchHandler(b, true, "") }

// BenchmarkSearchHandlerPostfix is BenchmarkSearchHandlerHOWTO with the
// whole filter of the HOWTO's Postfix query.
func BenchmarkSearchHandlerPostfix(b *testing.B) {
	benchSearchHandler(b, true, "(&(objectClass=JammMailAccount)(mail=u57@d42.example)(accountActive=TRUE)(delete=FALSE))")
}

func benchSearchHandler(b *testing.B, howto bool, flt string) {
	cfg := testConfig(b)
	none := config.LogLevel(0)
	o := Options{LogLevel: &none}
	if howto {
		cfg.Databases[0].Access = howtoRules(b)
	}
	srv, err := Open(cfg, o)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	ctx := context.Background()
	if _, err := srv.EnsureSuffixes(ctx); err != nil {
		b.Fatal(err)
	}
	db := srv.dbs[0].backend.(*store.DB)
	var list []*entry.Entry
	add := func(dn string, lines ...string) {
		e := &entry.Entry{DN: dn}
		for _, l := range lines {
			var t, v string
			for i := 0; i < len(l); i++ {
				if l[i] == ':' {
					t, v = l[:i], l[i+2:]
					break
				}
			}
			if a := e.Get(t); a != nil {
				a.Values = append(a.Values, []byte(v))
			} else {
				e.Attrs = append(e.Attrs, entry.Attribute{Type: t, Values: [][]byte{[]byte(v)}})
			}
		}
		if err := PrepareEntry(srv.schema, e, PrepareOptions{Creator: testRootDN}); err != nil {
			b.Fatalf("%s: %v", dn, err)
		}
		list = append(list, e)
	}
	add(testBase, "objectClass: organization", "o: hosting")
	for d := 0; d < 100; d++ {
		dom := fmt.Sprintf("d%d.example", d)
		ddn := "jvd=" + dom + "," + testBase
		add(ddn, "objectClass: JammVirtualDomain", "jvd: "+dom, "accountActive: TRUE", "lastChange: 1",
			"delete: FALSE", "editAccounts: TRUE", "editPostmasters: TRUE")
		for u := 0; u < 100; u++ {
			m := fmt.Sprintf("u%d@%s", u, dom)
			add("mail="+m+","+ddn, "objectClass: JammMailAccount", "mail: "+m, "homeDirectory: /home/vmail",
				"mailbox: "+dom+"/u/", "accountActive: TRUE", "lastChange: 1", "delete: FALSE", "userPassword: x")
		}
	}
	i := 0
	if _, err := db.BulkLoad(ctx, 0, func() (*entry.Entry, error) {
		if i == len(list) {
			return nil, nil
		}
		i++
		return list[i-1], nil
	}); err != nil {
		b.Fatal(err)
	}
	c := newConn(srv, discardConn{}, 1000, kindLDAP, discardConn{}.LocalAddr())
	pdu := rawSearch(2, testBase, 2, "mail", "u57@d42.example", "mailbox")
	if flt != "" {
		pdu = rawSearchFilter(b, 2, testBase, 2, flt, "mailbox")
	}
	var probe ldapwire.Message
	if err := ldapwire.Decode(pdu, &probe); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		op := srv.getOp()
		op.pdu = append(op.pdu[:0], pdu...)
		op.c = c
		op.start = time.Now()
		if err := ldapwire.Decode(op.pdu, &op.msg); err != nil {
			b.Fatal(err)
		}
		op.msgID, op.respOp, op.ident = op.msg.ID, ldapwire.OpSearchResultDone, anonymous
		srv.search(op)
		if op.nentries != 1 {
			b.Fatalf("%d entries", op.nentries)
		}
		srv.putOp(op)
	}
}
