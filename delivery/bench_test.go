package delivery

import (
	"context"
	"testing"
)

// BenchmarkResolveLDAP resolves an account and a two-account alias against
// slapd over one kept connection (what an LMTP mode would do).
func BenchmarkResolveLDAP(b *testing.B) {
	tr := startTree(b, false)
	c := DefaultConfig()
	c.LDAP = []string{tr.Slapd.URL}
	c.MailboxBase = "/srv/mail"
	d, err := NewLDAP(&c)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	r := NewResolver(d, &c)
	for _, rcpt := range []string{"alice@example.com", "team@example.com"} {
		b.Run(rcpt, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := r.Resolve(ctx, rcpt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResolveFake measures the resolver's own cost without I/O.
func BenchmarkResolveFake(b *testing.B) {
	fd := &fakeDir{
		domains:  map[string]bool{"d.example": true},
		accounts: map[string]Account{"a@d.example": acct("a@d.example"), "b@d.example": acct("b@d.example")},
		aliases:  map[string][]string{"team@d.example": {"a@d.example", "b@d.example"}},
	}
	r := &Resolver{Dir: fd, Delimiter: "+"}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := r.Resolve(ctx, "team+x@d.example"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeliverAgent is one whole delivery through the Agent (resolution
// over LDAP, headers, maildir with fsync), without process start-up.
func BenchmarkDeliverAgent(b *testing.B) {
	tr := startTree(b, false)
	a := newTestAgent(b, tr, b.TempDir(), b.TempDir(), nil)
	msg := testMessage(4096)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := a.Deliver(ctx, "s@r.example", "alice@example.com", msg); err != nil {
			b.Fatal(err)
		}
	}
}
