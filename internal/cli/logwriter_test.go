package cli

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingWriter records what is written and how many Write calls.
type countingWriter struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
	delay  time.Duration
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.delay > 0 {
		time.Sleep(w.delay)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	return w.b.Write(p)
}

func (w *countingWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func (w *countingWriter) calls() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes
}

var logLineRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d) (g\d+ n\d+)$`)

func TestLogWriterNoLineLost(t *testing.T) {
	var w countingWriter
	l := newLogWriter(&w, time.Millisecond)
	const goroutines, lines = 8, 2000
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b []byte
			for n := 0; n < lines; n++ {
				b = fmt.Appendf(b[:0], "g%d n%d", g, n)
				l.WriteLine(b)
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	out := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	if len(out) != goroutines*lines {
		t.Fatalf("%d lines, want %d", len(out), goroutines*lines)
	}
	next := make([]int, goroutines)
	for _, line := range out {
		m := logLineRE.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("bad line %q", line)
		}
		var g, n int
		fmt.Sscanf(m[2], "g%d n%d", &g, &n)
		if n != next[g] {
			t.Fatalf("goroutine %d: line %d after %d", g, n, next[g]-1)
		}
		next[g]++
	}
	if c := w.calls(); c >= goroutines*lines/10 {
		t.Errorf("%d writes for %d lines: not batched", c, goroutines*lines)
	}
}

func TestLogWriterFlushesWithoutClose(t *testing.T) {
	var w countingWriter
	l := newLogWriter(&w, 5*time.Millisecond)
	defer l.Close()
	l.WriteLine([]byte("conn=1000 op=0 UNBIND"))
	fmt.Fprintf(l, "hostdir: listening on %s\n", "ldap://127.0.0.1:3389/")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(w.String(), "listening") {
		if time.Now().After(deadline) {
			t.Fatalf("lines not written after 5 s: %q", w.String())
		}
		time.Sleep(time.Millisecond)
	}
	out := w.String()
	if !strings.HasSuffix(strings.SplitN(out, "\n", 2)[0], " conn=1000 op=0 UNBIND") ||
		!strings.HasSuffix(out, "\nhostdir: listening on ldap://127.0.0.1:3389/\n") {
		t.Errorf("output %q", out)
	}
	if w.calls() != 1 {
		t.Errorf("%d writes, want 1 batch", w.calls())
	}
	// A second batch after a pause.
	l.WriteLine([]byte("second"))
	for !strings.Contains(w.String(), "second") {
		if time.Now().After(deadline) {
			t.Fatal("second batch not written")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLogWriterAfterClose(t *testing.T) {
	var w countingWriter
	l := newLogWriter(&w, time.Hour)
	l.WriteLine([]byte("before"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(w.String(), " before\n") {
		t.Fatalf("Close did not flush: %q", w.String())
	}
	l.WriteLine([]byte("after"))
	fmt.Fprintln(l, "hostdir: stopped")
	if !strings.HasSuffix(w.String(), " after\nhostdir: stopped\n") {
		t.Fatalf("late lines: %q", w.String())
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLogWriterBounded(t *testing.T) {
	w := countingWriter{delay: 200 * time.Microsecond}
	l := newLogWriter(&w, time.Hour)
	line := bytes.Repeat([]byte("x"), 1000)
	most := 0
	for i := 0; i < 5000; i++ {
		l.WriteLine(line)
		l.mu.Lock()
		most = max(most, len(l.buf))
		l.mu.Unlock()
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if most > logMaxBuffered+2*len(line) {
		t.Errorf("%d bytes buffered, limit %d", most, logMaxBuffered)
	}
	if n := strings.Count(w.String(), "\n"); n != 5000 {
		t.Errorf("%d lines written", n)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestLogWriterError(t *testing.T) {
	l := newLogWriter(failingWriter{}, time.Millisecond)
	l.WriteLine([]byte("x"))
	if err := l.Close(); err != io.ErrClosedPipe {
		t.Errorf("Close = %v, want the write error", err)
	}
}

func TestLogWriterTimeFormat(t *testing.T) {
	l := &logWriter{sec: -1}
	zones := []*time.Location{time.UTC, time.FixedZone("CET", 3600), time.FixedZone("X", -(9*3600 + 30*60))}
	base := time.Date(2026, 1, 24, 10, 10, 59, 999999999, time.UTC)
	for _, z := range zones {
		for _, d := range []time.Duration{0, time.Nanosecond, time.Microsecond, 500 * time.Millisecond, 24 * time.Hour} {
			now := base.Add(d).In(z)
			got := string(l.appendTime(nil, now))
			want := now.Format("2006-01-02T15:04:05.000000Z07:00 ")
			if got != want {
				t.Errorf("appendTime(%v) = %q, want %q", now, got, want)
			}
		}
	}
}

// BenchmarkLogWriterWriteLine measures a stats line through the log
// writer, from parallel goroutines, to a writer that discards.
func BenchmarkLogWriterWriteLine(b *testing.B) {
	l := newLogWriter(io.Discard, logFlushInterval)
	defer l.Close()
	line := []byte(`conn=1000 op=1 SRCH base="o=hosting,dc=myhosting,dc=example" scope=2 deref=0 filter="(mail=u1@d1.example)"`)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.WriteLine(line)
		}
	})
}

// BenchmarkLineHandlerLockedWriter is the path the stats lines took
// before the log writer: a string, an slog record, lineHandler and one
// locked write per line.
func BenchmarkLineHandlerLockedWriter(b *testing.B) {
	var n atomic.Int64
	lg := slog.New(&lineHandler{w: &lockedWriter{w: writerFunc(func(p []byte) (int, error) { n.Add(1); return len(p), nil })}})
	line := []byte(`conn=1000 op=1 SRCH base="o=hosting,dc=myhosting,dc=example" scope=2 deref=0 filter="(mail=u1@d1.example)"`)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			lg.Info(string(line))
		}
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
