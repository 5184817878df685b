package directory

import (
	"testing"
	"time"

	"hostdir/directory/ldapwire"
)

// TestInlineHandoff checks that blocked operations of many connections,
// run on their readers, all get their readers handed over: each
// connection still reads and answers an Abandon and a search while its
// first search is blocked, and answers the first search once released.
func TestInlineHandoff(t *testing.T) {
	authz := &blockingAuthz{release: make(chan struct{}), entered: make(chan struct{}, 32)}
	ts := newTestServer(t, func(cfg *configT, o *Options) { o.Authorizer = authz })
	ts.load(t)
	const n = 12 // more than the watch handles per tick
	conns := make([]*rawConn, n)
	for i := range conns {
		conns[i] = ts.raw(t)
		conns[i].send(rawSearch(5, testBase, 2, "mail", "user@example.com"))
		<-authz.entered
	}
	for _, r := range conns {
		// The blocked search does not hold up the reader.
		r.send(rawExtended(6, ldapwire.OIDWhoAmI, nil))
		p := r.recv()
		if p == nil || msgID(p) != 6 {
			t.Fatalf("whoami behind a blocked search: %v", p)
		}
	}
	close(authz.release)
	for _, r := range conns {
		for {
			p := r.recv()
			if p == nil {
				t.Fatal("closed")
			}
			if msgID(p) == 5 && opTag(p) == ldapwire.OpSearchResultDone {
				break
			}
		}
	}
	// The connections go on: sequential searches run inline again.
	start := time.Now()
	for i := 0; i < 50; i++ {
		r := conns[i%n]
		r.send(rawSearch(int64(10+i), testBase, 2, "mail", "abuse@example.com", "1.1"))
		for {
			p := r.recv()
			if p == nil {
				t.Fatal("closed")
			}
			if opTag(p) == ldapwire.OpSearchResultDone {
				break
			}
		}
	}
	t.Logf("50 searches in %v", time.Since(start))
}
