package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"hostdir/directory/entry"
)

// benchDB is a 100 domains x 100 accounts store shared by the benchmarks.
func benchDB(b *testing.B) *DB {
	b.Helper()
	db := openTest(b, Options{NoSync: true})
	populate(b, db, 100, 100)
	return db
}

func BenchmarkPopulate10k(b *testing.B) {
	for b.Loop() {
		db := openTest(b, Options{NoSync: true})
		populate(b, db, 100, 100)
		db.Close()
	}
}

// BenchmarkSearchPostfix is Postfix's accounts lookup: subtree search
// from the suffix, attribute mailbox.
func BenchmarkSearchPostfix(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	sc := builtin(b)
	base := ndn(b, db, suffix)
	filters := make([]*filterT, 64)
	for i := range filters {
		filters[i] = mustFilter(b, fmt.Sprintf("(&(objectClass=JammMailAccount)(mail=user%d@domain%d.com)(accountActive=TRUE)(delete=FALSE))", i, i+20))
	}
	sel := AttrSelection{Types: []*schemaAT{sc.AttributeType("mailbox")}}
	var found int
	fn := func(e *Entry) error {
		found += len(e.Attrs[0].Values[0])
		return nil
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		err := db.Search(ctx, SearchRequest{BaseNDN: base, Scope: ScopeSub, Filter: filters[i%len(filters)], Attrs: sel, SizeLimit: 500}, fn)
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
	if found == 0 {
		b.Fatal("nothing found")
	}
}

// BenchmarkSearchPostfixParallel runs the lookup from all CPUs.
func BenchmarkSearchPostfixParallel(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	sc := builtin(b)
	base := ndn(b, db, suffix)
	f := mustFilter(b, "(&(objectClass=JammMailAccount)(mail=user7@domain42.com)(accountActive=TRUE)(delete=FALSE))")
	sel := AttrSelection{Types: []*schemaAT{sc.AttributeType("mailbox")}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := db.Search(ctx, SearchRequest{BaseNDN: base, Scope: ScopeSub, Filter: f, Attrs: sel}, func(*Entry) error { return nil }); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSearchPostfixWithParse includes compiling the filter text, as
// the frontend does per request (from the wire form, similar cost).
func BenchmarkSearchPostfixWithParse(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	sc := builtin(b)
	base := ndn(b, db, suffix)
	sel := AttrSelection{Types: []*schemaAT{sc.AttributeType("mailbox")}}
	b.ReportAllocs()
	for b.Loop() {
		f := mustFilter(b, "(&(objectClass=JammMailAccount)(mail=user7@domain42.com)(accountActive=TRUE)(delete=FALSE))")
		if err := db.Search(ctx, SearchRequest{BaseNDN: base, Scope: ScopeSub, Filter: f, Attrs: sel}, func(*Entry) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	target := ndn(b, db, "mail=user7@domain42.com,"+domainDN(42))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.Get(ctx, target); err != nil {
			b.Fatal(err)
		}
	}
}

func benchAdd(b *testing.B, writers int) {
	db := openTest(b, Options{})
	populate(b, db, 100, 100)
	ctx := context.Background()
	var next atomic.Int64
	m := startWriteMetrics(db)
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N / writers
	if per == 0 {
		per = 1
	}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				n := int(next.Add(1))
				if err := db.Add(ctx, accountEntry(n%100, 1000+n)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	m.report(b)
}

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkAdd1(b *testing.B) { benchAdd(b, 1) }
func BenchmarkAdd8(b *testing.B) { benchAdd(b, 8) }

// benchModify is the bench tool's modify workload on the store: replace
// description and lastChange of random accounts, from writers goroutines,
// with fsync (as in service).
func benchModify(b *testing.B, writers int) {
	db := openTest(b, Options{})
	populate(b, db, 100, 100)
	ctx := context.Background()
	targets := make([]string, 0, 1000)
	for i := 0; i < cap(targets); i++ {
		targets = append(targets, ndn(b, db, fmt.Sprintf("mail=user%d@domain%d.com,%s", i%100, (i*7)%100, domainDN((i*7)%100))))
	}
	var next atomic.Int64
	m := startWriteMetrics(db)
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	per := max(b.N/writers, 1)
	for w := 0; w < writers; w++ {
		wg.Go(func() {
			for i := 0; i < per; i++ {
				n := int(next.Add(1))
				val := []byte(fmt.Sprint(n))
				err := db.Modify(ctx, targets[n%len(targets)], func(e *entry.Entry) error {
					for i := 0; i < len(e.Attrs); i++ {
						if e.Attrs[i].Type == "description" || e.Attrs[i].Type == "lastChange" {
							e.Attrs = append(e.Attrs[:i], e.Attrs[i+1:]...)
							i--
						}
					}
					e.Attrs = append(e.Attrs, entry.Attribute{Type: "description", Values: [][]byte{val}},
						entry.Attribute{Type: "lastChange", Values: [][]byte{val}})
					return nil
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	m.report(b)
}

func BenchmarkModify1(b *testing.B) { benchModify(b, 1) }
func BenchmarkModify8(b *testing.B) { benchModify(b, 8) }

// writeMetrics holds the counters a write benchmark starts from.
type writeMetrics struct {
	db     *DB
	before Stats
	tx     bolt.TxStats
	cpu    time.Duration
}

func startWriteMetrics(db *DB) *writeMetrics {
	return &writeMetrics{db: db, before: db.Stats(), tx: db.bdb.Stats().TxStats, cpu: cpuTime()}
}

// report adds writes/commit, pages/write, cpu-µs/write and writes/s.
func (m *writeMetrics) report(b *testing.B) {
	st := m.db.Stats()
	writes, commits := st.Writes-m.before.Writes, st.Commits-m.before.Commits
	b.ReportMetric(float64(writes)/float64(commits), "writes/commit")
	txAfter := m.db.bdb.Stats().TxStats
	txs := txAfter.Sub(&m.tx)
	b.ReportMetric(float64(txs.GetWrite())/float64(writes), "pages/write")
	b.ReportMetric(float64((cpuTime()-m.cpu).Microseconds())/float64(writes), "cpu-µs/write")
	b.ReportMetric(float64(writes)/b.Elapsed().Seconds(), "writes/s")
}
