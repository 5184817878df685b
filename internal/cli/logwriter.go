package cli

import (
	"io"
	"sync"
	"time"
)

// Defaults of the serve command's log writer.
const (
	// logFlushInterval is how long a log line may wait in memory before
	// it is written: lines logged within it go out in one write(2).
	logFlushInterval = 5 * time.Millisecond
	// logFlushSize is the amount of buffered log text that is written at
	// once without waiting for the interval.
	logFlushSize = 64 << 10
	// logMaxBuffered is the most log text kept in memory: a logger that
	// finds more waits and writes the batch itself (so that a slow
	// stderr slows the server, as a direct write would, instead of
	// growing its memory).
	logMaxBuffered = 1 << 20
)

// logWriter is the serve command's log output. The server's stats lines
// (WriteLine, the directory.LineWriter of the fast path) and everything
// else written to it (Write: slog records of lineHandler, the start and
// stop messages) are appended to a buffer in memory, under a mutex and
// without allocation; one goroutine writes the buffer to the underlying
// writer with a single Write, logFlushInterval after the first line of a
// batch arrives or sooner when it holds logFlushSize bytes. Lines keep
// the order in which they were logged. Close writes what is left and
// stops the goroutine; after Close, lines are written at once. No line is
// lost, and at most logMaxBuffered bytes wait in memory.
//
// WriteLine prefixes each line with the time as lineHandler does
// ("2006-01-02T15:04:05.000000Z07:00 ").
type logWriter struct {
	w        io.Writer
	interval time.Duration

	wmu sync.Mutex // serializes writes to w (and the use of spare)

	mu     sync.Mutex
	buf    []byte // pending text
	spare  []byte // the other buffer, under wmu
	closed bool
	err    error // the last write error, for Close
	// timestamp cache: the prefix up to the seconds ("2006-01-02T15:04:05")
	// and the zone ("Z" or "+01:00 ") of second sec.
	sec    int64
	prefix []byte
	zone   []byte

	wake chan struct{} // a batch started
	full chan struct{} // the batch is big enough to go now
	quit chan struct{}
	done chan struct{}
}

// newLogWriter starts a logWriter over w that batches lines for interval
// (logFlushInterval when 0 or less).
func newLogWriter(w io.Writer, interval time.Duration) *logWriter {
	if interval <= 0 {
		interval = logFlushInterval
	}
	l := &logWriter{
		w:        w,
		interval: interval,
		buf:      make([]byte, 0, logFlushSize),
		spare:    make([]byte, 0, logFlushSize),
		sec:      -1,
		wake:     make(chan struct{}, 1),
		full:     make(chan struct{}, 1),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go l.loop()
	return l
}

// WriteLine implements directory.LineWriter: it logs line with a
// timestamp and a newline.
func (l *logWriter) WriteLine(line []byte) {
	now := time.Now()
	l.mu.Lock()
	start := len(l.buf)
	l.buf = l.appendTime(l.buf, now)
	l.buf = append(l.buf, line...)
	l.buf = append(l.buf, '\n')
	l.queued(start)
}

// Write implements io.Writer: p is logged as it is (it should be whole
// lines). It never fails; write errors are reported by Close.
func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	start := len(l.buf)
	l.buf = append(l.buf, p...)
	l.queued(start)
	return len(p), nil
}

// queued is called with l.mu held after text was appended at start; it
// releases the mutex and tells the writer goroutine.
func (l *logWriter) queued(start int) {
	n := len(l.buf)
	if l.closed {
		l.mu.Unlock()
		l.flush()
		return
	}
	l.mu.Unlock()
	switch {
	case n >= logMaxBuffered:
		l.flush()
	case n >= logFlushSize:
		signal(l.full)
	case start == 0:
		signal(l.wake)
	}
}

// signal makes a pending receive on ch succeed without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// loop is the writer goroutine.
func (l *logWriter) loop() {
	defer close(l.done)
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		select {
		case <-l.wake:
		case <-l.full:
		case <-l.quit:
			l.flush()
			return
		}
		// Let the batch fill for the interval, unless it is big already.
		t.Reset(l.interval)
		select {
		case <-t.C:
		case <-l.full:
			t.Stop()
		case <-l.quit:
			t.Stop()
			l.flush()
			return
		}
		l.flush()
	}
}

// flush writes the pending text.
func (l *logWriter) flush() {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	b := l.buf
	l.buf = l.spare[:0]
	l.mu.Unlock()
	if len(b) > 0 {
		if _, err := l.w.Write(b); err != nil {
			l.mu.Lock()
			l.err = err
			l.mu.Unlock()
		}
	}
	if cap(b) > 2*logMaxBuffered {
		b = make([]byte, 0, logFlushSize) // do not keep what a burst grew
	}
	l.spare = b[:0]
}

// Close writes the pending lines and stops the writer goroutine; later
// lines are written at once. It returns the last write error.
func (l *logWriter) Close() error {
	l.mu.Lock()
	if l.closed {
		err := l.err
		l.mu.Unlock()
		return err
	}
	l.closed = true
	l.mu.Unlock()
	close(l.quit)
	<-l.done
	l.flush()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// appendTime appends now as "2006-01-02T15:04:05.000000Z07:00 ", the
// date, time and zone formatted once per second.
func (l *logWriter) appendTime(b []byte, now time.Time) []byte {
	sec := now.Unix()
	if sec != l.sec {
		l.sec = sec
		s := now.Truncate(time.Second)
		l.prefix = s.AppendFormat(l.prefix[:0], "2006-01-02T15:04:05")
		l.zone = s.AppendFormat(l.zone[:0], "Z07:00 ")
	}
	b = append(b, l.prefix...)
	us := now.Nanosecond() / 1000
	var frac [7]byte
	frac[0] = '.'
	for i := 6; i >= 1; i-- {
		frac[i] = byte('0' + us%10)
		us /= 10
	}
	b = append(b, frac[:]...)
	return append(b, l.zone...)
}
