package directory

import (
	"sync"
	"time"
)

// inlineWatch keeps the operations that run on their connection's reader
// goroutine (see conn.dispatch) and, every inlineHandoff while there are
// any, makes a new goroutine the reader of each one that has run longer
// than inlineHandoff: a long search or a blocked operation then does not
// keep its connection from reading Abandon, Cancel or the next requests.
// Registering costs a mutex and an append; the watch goroutine runs only
// while operations run inline and stops after a quiet tick, so an idle
// server does not wake up.
type inlineWatch struct {
	mu      sync.Mutex
	running []*inlineRun // registered, in no order
	free    []*inlineRun
	active  bool // the watch goroutine runs
	seen    bool // something was added since the last tick
}

// inlineRun is one registered operation.
type inlineRun struct {
	c     *conn
	op    *operation
	since time.Time
	idx   int  // index in running
	tried bool // handed to handOff already
}

// add registers op of c, running inline from now.
func (w *inlineWatch) add(c *conn, op *operation) *inlineRun {
	now := time.Now()
	w.mu.Lock()
	var r *inlineRun
	if n := len(w.free); n > 0 {
		r, w.free = w.free[n-1], w.free[:n-1]
	} else {
		r = new(inlineRun)
	}
	r.c, r.op, r.since, r.idx, r.tried = c, op, now, len(w.running), false
	w.running = append(w.running, r)
	w.seen = true
	start := !w.active
	w.active = true
	w.mu.Unlock()
	if start {
		go w.watch()
	}
	return r
}

// remove unregisters r once its operation is done.
func (w *inlineWatch) remove(r *inlineRun) {
	w.mu.Lock()
	last := len(w.running) - 1
	moved := w.running[last]
	w.running[r.idx], moved.idx = moved, r.idx
	w.running[last] = nil
	w.running = w.running[:last]
	r.c, r.op = nil, nil
	w.free = append(w.free, r)
	w.mu.Unlock()
}

// watch is the watch goroutine.
func (w *inlineWatch) watch() {
	t := time.NewTicker(inlineHandoff)
	defer t.Stop()
	for range t.C {
		now := time.Now()
		w.mu.Lock()
		if len(w.running) == 0 && !w.seen {
			w.active = false
			w.mu.Unlock()
			return
		}
		w.seen = false
		type pair struct {
			c  *conn
			op *operation
		}
		var late [8]pair
		n := 0
		for _, r := range w.running {
			if !r.tried && now.Sub(r.since) >= inlineHandoff && n < len(late) {
				late[n] = pair{r.c, r.op}
				r.tried = true
				n++
			}
		}
		w.mu.Unlock()
		// handOff checks under the connection's mutex that the operation
		// still runs inline (it may have ended since).
		for _, p := range late[:n] {
			p.c.handOff(p.op)
		}
	}
}
