package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"time"
)

// Workload names.
const (
	WorkLookup  = "lookup"
	WorkLogin   = "login"
	WorkModify1 = "modify-1"
	WorkModify8 = "modify-8"
	WorkAdd1    = "add-1"
	WorkAdd8    = "add-8"
	WorkImport  = "import"
	WorkLdapadd = "ldapadd"
)

// AllWorkloads lists every workload in the order they run: reads first,
// then writes (which grow the tree), then the bulk loads.
var AllWorkloads = []string{WorkLookup, WorkLogin, WorkModify1, WorkModify8, WorkAdd1, WorkAdd8, WorkImport, WorkLdapadd}

// ParseWorkloads expands a comma-separated list of workload names; "modify"
// and "add" stand for both writer counts, "all" for every workload.
func ParseWorkloads(s string) ([]string, error) {
	want := map[string]bool{}
	for _, w := range splitList(s) {
		switch w {
		case "all":
			for _, a := range AllWorkloads {
				want[a] = true
			}
		case "modify":
			want[WorkModify1], want[WorkModify8] = true, true
		case "add":
			want[WorkAdd1], want[WorkAdd8] = true, true
		default:
			known := false
			for _, a := range AllWorkloads {
				known = known || a == w
			}
			if !known {
				return nil, fmt.Errorf("unknown workload %q (known: lookup, login, modify, modify-1, modify-8, add, add-1, add-8, import, ldapadd, all)", w)
			}
			want[w] = true
		}
	}
	var out []string
	for _, a := range AllWorkloads {
		if want[a] {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no workload selected")
	}
	return out, nil
}

// isOnline reports whether workload w runs against a serving server.
func isOnline(w string) bool { return w != WorkImport && w != WorkLdapadd }

// writers returns the number of connections of an online workload.
func writers(w string, conns int) int {
	switch w {
	case WorkModify1, WorkAdd1:
		return 1
	case WorkModify8, WorkAdd8:
		return 8
	}
	return conns
}

// worker is the state of one connection of a workload run.
type worker struct {
	c      *conn
	rng    *rand.Rand
	tree   *Tree
	id     int
	seq    int
	tag    string // unique per run, for the names of added entries
	buf    []byte
	dn     []byte
	filter []eq
	attrs  []attr
}

// randAccount returns a random existing account (domain, index, global index).
func (w *worker) randAccount() (d, k, g int) {
	g = w.rng.IntN(w.tree.Domains * w.tree.Accounts)
	return g / w.tree.Accounts, g % w.tree.Accounts, g
}

// setupFor returns how a connection of workload w binds before the run:
// anonymously for the mail clients, as the rootdn for the writers.
func setupFor(w string) func(c *conn) error {
	switch w {
	case WorkLookup, WorkLogin:
		return func(c *conn) error { return c.bind("", "") }
	}
	return func(c *conn) error { return c.bind(RootDN, RootPW) }
}

// opFor returns one operation of workload w.
func opFor(w string) func(wk *worker) error {
	switch w {
	case WorkLookup:
		return lookupOp
	case WorkLogin:
		return loginOp
	case WorkModify1, WorkModify8:
		return modifyOp
	case WorkAdd1, WorkAdd8:
		return addOp
	}
	return nil
}

// lookupOp is Postfix's virtual_mailbox_maps query for a random account.
func lookupOp(w *worker) error {
	d, k, _ := w.randAccount()
	w.filter = append(w.filter[:0],
		eq{"objectClass", "JammMailAccount"}, eq{"mail", Address(d, k)},
		eq{"accountActive", "TRUE"}, eq{"delete", "FALSE"})
	w.buf = appendSearch(w.buf[:0], HostingBase, scopeSub, w.filter, []string{"mailbox"})
	n := 0
	if err := w.c.do("lookup", w.buf, func([]byte) { n++ }); err != nil {
		return err
	}
	if n != 1 {
		return &ResultError{Op: "lookup " + Address(d, k) + ": " + strconv.Itoa(n) + " entries", Code: -1}
	}
	return nil
}

// loginOp is Dovecot's auth_bind: find the DN by mail anonymously, bind
// as it with the password, bind back anonymously.
func loginOp(w *worker) error {
	d, k, g := w.randAccount()
	w.filter = append(w.filter[:0],
		eq{"objectClass", "JammMailAccount"}, eq{"mail", Address(d, k)},
		eq{"accountActive", "TRUE"}, eq{"delete", "FALSE"})
	w.buf = appendSearch(w.buf[:0], HostingBase, scopeSub, w.filter, []string{"mail"})
	n := 0
	err := w.c.do("login search", w.buf, func(dn []byte) {
		n++
		w.dn = append(w.dn[:0], dn...)
	})
	if err != nil {
		return err
	}
	if n != 1 {
		return &ResultError{Op: "login search " + Address(d, k) + ": " + strconv.Itoa(n) + " entries", Code: -1}
	}
	w.buf = appendBind(w.buf[:0], string(w.dn), w.tree.Password(g))
	if err := w.c.do("login bind", w.buf, nil); err != nil {
		return err
	}
	w.buf = appendBind(w.buf[:0], "", "")
	return w.c.do("login rebind", w.buf, nil)
}

// modifyOp replaces description and lastChange of a random account.
func modifyOp(w *worker) error {
	d, k, _ := w.randAccount()
	w.seq++
	w.attrs = append(w.attrs[:0],
		attr{"description", []string{"hostdir-bench " + w.tag + " " + strconv.Itoa(w.seq)}},
		attr{"lastChange", []string{strconv.FormatInt(time.Now().Unix(), 10)}})
	w.buf = appendModifyReplace(w.buf[:0], AccountDN(d, k), w.attrs)
	return w.c.do("modify", w.buf, nil)
}

// addOp adds a new account to a random domain.
func addOp(w *worker) error {
	d := w.rng.IntN(w.tree.Domains)
	w.seq++
	local := "n" + w.tag + "-" + strconv.Itoa(w.id) + "-" + strconv.Itoa(w.seq)
	h, err := w.tree.hash(w.seq)
	if err != nil {
		return err
	}
	w.buf = appendAdd(w.buf[:0], "mail="+local+"@"+Domain(d)+","+DomainDN(d), accountAttrs(d, local, h))
	return w.c.do("add", w.buf, nil)
}

// runStats is what one run of an online workload against one server measured.
type runStats struct {
	ops     uint64
	errors  uint64
	wall    time.Duration
	cpu     time.Duration // server CPU during the run
	genCPU  time.Duration // load generator CPU during the run
	hwm     int64         // server's peak RSS at the end of the run
	written int64         // bytes the server wrote to storage during the run
	hist    Histogram
	lastErr string // an example of the failed operations
}

// runOnline runs workload w for dur with conns connections against p.
// Connections are made and bound before the clock and the CPU counters
// start. A broken connection ends the run with an error.
func runOnline(ctx context.Context, p *process, tree *Tree, w, tag string, conns int, dur time.Duration) (*runStats, error) {
	if _, err := tree.hash(0); err != nil { // hash the pool before workers share it
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	setup, op := setupFor(w), opFor(w)
	workers := make([]*worker, conns)
	for i := range workers {
		c, err := dial(ctx, p.addr)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		if err := setup(c); err != nil {
			return nil, fmt.Errorf("%s: bind before the run: %w", w, err)
		}
		workers[i] = &worker{c: c, rng: rand.New(rand.NewPCG(uint64(i+1), uint64(time.Now().UnixNano()))),
			tree: tree, id: i, tag: tag, buf: make([]byte, 0, 512)}
	}
	hists := make([]*runStats, conns)
	cpu0, err := procCPU(p.pid())
	if err != nil {
		return nil, err
	}
	gen0, _ := procCPU(os.Getpid())
	w0 := procWriteBytes(p.pid())
	start := time.Now()
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	errs := make([]error, conns)
	for i, wk := range workers {
		st := &runStats{}
		hists[i] = st
		wg.Go(func() {
			for {
				t0 := time.Now()
				if !t0.Before(deadline) || ctx.Err() != nil {
					return
				}
				err := op(wk)
				switch {
				case err == nil:
					st.hist.Record(time.Since(t0))
					st.ops++
				case isResultError(err):
					st.errors++
					st.lastErr = err.Error()
				default:
					errs[i] = err
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	total := &runStats{wall: time.Since(start)}
	cpu1, err := procCPU(p.pid())
	if err != nil {
		return nil, err
	}
	gen1, _ := procCPU(os.Getpid())
	total.cpu = cpu1 - cpu0
	total.written = procWriteBytes(p.pid()) - w0
	total.genCPU = gen1 - gen0
	if total.hwm, err = procHWM(p.pid()); err != nil {
		return nil, err
	}
	for _, st := range hists {
		total.ops += st.ops
		total.errors += st.errors
		total.hist.Merge(&st.hist)
		if st.lastErr != "" {
			total.lastErr = st.lastErr
		}
	}
	for _, err := range errs {
		if err != nil {
			if !p.alive() {
				return nil, fmt.Errorf("%s: %w (the server exited: %v)\n%s", w, err, p.waitErr, p.logTail())
			}
			return nil, fmt.Errorf("%s: %w", w, err)
		}
	}
	return total, nil
}
