package robust

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"hostdir/internal/peers"
)

// TestThousandConnections opens 1,000 connections at once; each binds (as
// an account with its password, or anonymously) and, once all are open,
// searches. Every operation must succeed and the server must stay up.
// Runs against slapd first (to prove the harness), then hostdir.
func TestThousandConnections(t *testing.T) {
	const n = 1000
	// Each connection costs the test and the server one descriptor.
	peers.RaiseNoFile(t, 4*n+256)
	for _, kind := range []string{"slapd", "hostdir"} {
		t.Run(kind, func(t *testing.T) {
			var tg *target
			if kind == "slapd" {
				tg = startSlapd(t)
			} else {
				_, tg = startHostdir(t)
			}
			before := rss(t, tg)
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			var (
				opened  sync.WaitGroup
				done    sync.WaitGroup
				failed  atomic.Int32
				errOnce sync.Once
				first   error
				peak    atomic.Int64
			)
			fail := func(err error) {
				failed.Add(1)
				errOnce.Do(func() { first = err })
			}
			allOpen := make(chan struct{})
			opened.Add(n)
			done.Add(n)
			start := time.Now()
			for i := 0; i < n; i++ {
				go func() {
					defer done.Done()
					c, err := ldap.DialURL(tg.url, ldap.DialWithDialer(dialer()))
					if err != nil {
						opened.Done()
						fail(fmt.Errorf("conn %d: dial: %w", i, err))
						return
					}
					defer c.Close()
					c.SetTimeout(60 * time.Second)
					user, pw := "mail=alice@example.com,"+domain, "secret"
					switch i % 3 {
					case 1:
						user, pw = "mail=bob@example.com,"+domain, "bobpass"
					case 2:
						user, pw = "", ""
					}
					if user == "" {
						err = c.UnauthenticatedBind("")
					} else {
						err = c.Bind(user, pw)
					}
					opened.Done()
					if err != nil {
						fail(fmt.Errorf("conn %d: bind %q: %w", i, user, err))
						return
					}
					select {
					case <-allOpen:
					case <-ctx.Done():
						fail(fmt.Errorf("conn %d: %w waiting for the others", i, ctx.Err()))
						return
					}
					mail := []string{"alice@example.com", "bob@example.com", "postbox@example.org"}[i%3]
					r, err := c.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
						"(&(objectClass=JammMailAccount)(mail="+ldap.EscapeFilter(mail)+")(accountActive=TRUE)(delete=FALSE))",
						[]string{"mailbox"}, nil))
					if err != nil {
						fail(fmt.Errorf("conn %d: search: %w", i, err))
						return
					}
					if len(r.Entries) != 1 {
						fail(fmt.Errorf("conn %d: search %s: %d entries", i, mail, len(r.Entries)))
					}
				}()
			}
			opened.Wait()
			if r, err := peers.ProcessRSS(tg.pid); err == nil {
				peak.Store(r)
			}
			t.Logf("%s: %d connections bound in %v; RSS %s with all open", kind, n, time.Since(start).Round(time.Millisecond), mib(peak.Load()))
			close(allOpen)
			done.Wait()
			t.Logf("%s: all searched after %v; %d failures", kind, time.Since(start).Round(time.Millisecond), failed.Load())
			if f := failed.Load(); f > 0 {
				t.Errorf("%s: %d of %d connections failed; first: %v", kind, f, n, first)
			}
			checkAnswers(t, tg, fmt.Sprintf("%d concurrent connections", n))
			after := rss(t, tg)
			t.Logf("%s: RSS before %s, after %s", kind, mib(before), mib(after))
		})
	}
}
