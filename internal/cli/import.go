package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"hostdir/directory/bootstrap"
	"hostdir/directory/config"
	"hostdir/directory/dn"
	"hostdir/directory/entry"
	"hostdir/directory/ldif"
	"hostdir/directory/store"
	"hostdir/schema"
)

// importUsage is printed on a command-line error, like slapadd's usage.
const importUsage = `Usage: hostdir import [options]
	-b suffix	database to load (the one holding suffix)
	-c		continue after errors (the exit status is then 0, as slapadd's)
	-d level	accepted for slapadd compatibility
	-f file		slapd.conf (default: hostdir's built-in configuration)
	--data dir	database directory, overriding the configuration's
	-F dir		refused: cn=config directories are not supported
	-j linenum	skip the records before this line
	-l file		LDIF input (default: standard input)
	-n dbnum	database to load, by number (1: the first)
	-o name=value	options: schema-check=yes|no, value-check=yes|no (check the
			syntax of values and refuse duplicates; off by default, as in slapadd)
	-q		quick mode: bigger transactions, no consistency check at the end
	-s		do not check the schema (nor add structuralObjectClass)
	-S sid		server ID written into entryCSN values
	-u		dry run: check everything, write nothing
	-v		verbose: print each entry added
	-w		accepted for slapadd compatibility
`

// Import transaction sizes (entries per bbolt transaction; the store
// also ends a transaction when the index terms, DNs and links it collected
// reach its memory bound). Each transaction writes its index chunks in
// key order into buckets that earlier ones filled, so fewer, larger
// transactions write less.
const (
	importTxEntries      = 100000
	importQuickTxEntries = 0 // the store's memory bound only
)

// importMmapSize is the initial memory map of the store during an import
// (address space, not memory): bbolt copies every dirty node out of the
// map each time it grows the map, which took a quarter of the CPU time of
// a 10,000-entry import. 1 GiB on 64-bit systems, bbolt's default
// elsewhere.
const importMmapSize = (1 << 30) * (strconv.IntSize / 64)

// importOptions are the parsed options of `hostdir import`.
type importOptions struct {
	db      dbFlags
	ldif    string
	quick   bool
	noCheck bool
	// valueCheck is slapadd's -o value-check=yes.
	valueCheck bool
	dryRun     bool
	skipTo     int
	sid        int
}

func parseImportArgs(args []string) (*importOptions, error) {
	o := &importOptions{}
	fs := flag.NewFlagSet("hostdir import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.db.register(fs)
	fs.StringVar(&o.ldif, "l", "", "")
	fs.BoolVar(&o.quick, "q", false, "")
	fs.BoolVar(&o.noCheck, "s", false, "")
	fs.BoolVar(&o.dryRun, "u", false, "")
	fs.IntVar(&o.skipTo, "j", 0, "")
	fs.IntVar(&o.sid, "S", 0, "")
	fs.Bool("w", false, "")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.sid < 0 || o.sid > 0xfff {
		return nil, fmt.Errorf("-S %d: server ID must be in 0..4095", o.sid)
	}
	if v, ok := o.db.option("schema-check"); ok {
		switch strings.ToLower(v) {
		case "no", "off", "false":
			o.noCheck = true
		case "yes", "on", "true":
		default:
			return nil, fmt.Errorf("-o schema-check=%s: want yes or no", v)
		}
	}
	if v, ok := o.db.option("value-check"); ok {
		switch strings.ToLower(v) {
		case "no", "off", "false":
		case "yes", "on", "true":
			o.valueCheck = true
		default:
			return nil, fmt.Errorf("-o value-check=%s: want yes or no", v)
		}
	}
	return o, nil
}

// Import implements `hostdir import`, hostdir's slapadd: it loads an LDIF
// file into a database of a configuration while no server uses it (the
// store's file lock is waited for bootstrap.LockTimeout, then the import
// gives up). Each entry gets slapd's pretty DN and the schema's attribute
// names, is schema-checked after the values of its RDN are added (unless
// -s; values are checked against their syntax and for duplicates only
// with -o value-check=yes, as slapadd does), and receives the operational attributes slapadd adds unless present
// (structuralObjectClass, entryUUID, creatorsName, createTimestamp,
// entryCSN, modifiersName, modifyTimestamp). Entries are written in large
// transactions without fsync and the file is synced once at the end.
// Errors name the input as FILE:LINE. Without -c the first bad entry stops
// the import (the entries before it stay) and the status is 1.
func Import(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const prog = "hostdir import"
	o, err := parseImportArgs(args)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		}
		fmt.Fprint(stderr, importUsage)
		return 1
	}
	cfg, d, num, err := o.db.open(prog, stderr)
	if err != nil {
		configError(prog, stderr, err)
		return 1
	}

	in, name := stdin, "(stdin)"
	if o.ldif != "" && o.ldif != "-" {
		f, err := os.Open(o.ldif)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			return 1
		}
		defer f.Close()
		in, name = f, o.ldif
	}
	im := newImporter(cfg, d, num, o)
	im.name = name
	im.stdout, im.stderr = stdout, stderr

	var prog2 *progress
	if isTerminal(stderr) && !o.db.verbose {
		var size int64
		if f, ok := in.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
				size = fi.Size()
			}
		}
		prog2 = startProgress(stderr, size)
	}
	cr := &countingReader{r: in}
	r := ldif.NewReader(cr)
	r.Name = name
	start := time.Now()
	if prog2 != nil {
		prog2.read = &cr.n
		prog2.added = &im.added
	}
	err = im.run(ctx, r)
	if prog2 != nil {
		prog2.stop()
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	if prog2 != nil {
		el := time.Since(start)
		fmt.Fprintf(stderr, "%s: %d entries added in %s (%.0f entries/s)\n", prog, im.added.Load(),
			el.Round(time.Millisecond), float64(im.added.Load())/el.Seconds())
	}
	if im.failed > 0 && !o.db.cont {
		return 1
	}
	return 0
}

// importer loads the records of one LDIF input into one database.
type importer struct {
	cfg    *config.Config
	sc     *schema.Schema
	d      *config.Database
	num    int
	o      *importOptions
	name   string
	stamp  *bootstrap.Stamper
	stdout io.Writer
	stderr io.Writer

	creator   string   // creatorsName/modifiersName value
	nsuffixes []string // normalized suffixes of d
	suffixes  string   // d's suffixes as written, for messages
	added     atomic.Int64
	failed    int
}

func newImporter(cfg *config.Config, d *config.Database, num int, o *importOptions) *importer {
	im := &importer{cfg: cfg, sc: cfg.Schema, d: d, num: num, o: o, stamp: &bootstrap.Stamper{SID: o.sid}}
	im.nsuffixes = d.Suffixes
	im.suffixes = strings.Join(d.SuffixesRaw, ", ")
	im.creator = d.RootDNRaw
	if im.creator != "" {
		if p, _, err := cfg.Schema.PrettyNormalDN(im.creator); err == nil {
			im.creator = p
		}
	}
	return im
}

// item is one prepared entry, or the error that kept a record out.
type item struct {
	e    *entry.Entry
	ndn  string // normalized DN of e
	line int
	err  error
	// fatal: the input cannot be read further.
	fatal bool
}

// run reads, prepares and stores every record.
func (im *importer) run(ctx context.Context, r *ldif.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	items := make(chan item, 256)
	go im.produce(ctx, r, items)

	if im.o.dryRun {
		for it := range items {
			if err := im.handle(it); err != nil {
				return im.stopped(err)
			}
			if it.e != nil {
				im.added.Add(1)
				im.verbose(it.e.DN)
			}
		}
		return ctx.Err()
	}

	db, _, err := bootstrap.OpenStore(im.cfg, im.d, store.Options{Timeout: bootstrap.LockTimeout, InitialMmapSize: importMmapSize})
	if err != nil {
		return err
	}
	defer db.Close()
	tx := importTxEntries
	if im.o.quick {
		tx = importQuickTxEntries
	}
	// pending is the entry handed to the store last: it is stored once the
	// store asks for the next one or BulkLoad returns without error.
	var pending *item
	confirm := func() {
		if pending != nil {
			im.added.Add(1)
			im.verbose(pending.e.DN)
			pending = nil
		}
	}
	var stop error
	next := func() (*entry.Entry, string, error) {
		confirm()
		for it := range items {
			if err := im.handle(it); err != nil {
				stop = err
				return nil, "", err
			}
			if it.e == nil {
				continue
			}
			pending = &it
			return it.e, it.ndn, nil
		}
		return nil, "", nil
	}
	for {
		_, err := db.BulkLoadNormalized(ctx, tx, next)
		if err == nil {
			confirm()
			break
		}
		if stop != nil {
			break
		}
		if ctx.Err() != nil {
			stop = ctx.Err()
			break
		}
		// A store error on the entry handed out last: it was not added.
		im.failed++
		if pending == nil {
			stop = err
			break
		}
		fmt.Fprintf(im.stderr, "hostdir import: %s:%d: could not add entry dn=%q: %s\n", im.name, pending.line, pending.e.DN, storeReason(err))
		pending = nil
		if !im.o.db.cont || !recoverable(err) {
			stop = errStopped
			break
		}
	}
	if stop != nil {
		return closeAndReport(db, im.stopped(stop))
	}
	if !im.o.quick {
		if err := db.Check(); err != nil {
			return fmt.Errorf("consistency check after loading: %w", err)
		}
	}
	return db.Close()
}

// closeAndReport closes the store and returns err.
func closeAndReport(db *store.DB, err error) error {
	if cerr := db.Close(); cerr != nil {
		return fmt.Errorf("%v; %w", err, cerr)
	}
	return err
}

// errStopped ends an import after an entry error without -c.
var errStopped = errors.New("import stopped")

// stopped words the error that ended an import.
func (im *importer) stopped(err error) error {
	if errors.Is(err, errStopped) {
		what := "added"
		if im.o.dryRun {
			what = "checked"
		}
		return fmt.Errorf("stopped at the first error (-c goes on); %d entries %s before it", im.added.Load(), what)
	}
	return err
}

// handle prints an item's error and says whether the import must stop.
func (im *importer) handle(it item) error {
	if it.err == nil {
		return nil
	}
	im.failed++
	fmt.Fprintf(im.stderr, "hostdir import: %v\n", it.err)
	if it.fatal || !im.o.db.cont {
		return errStopped
	}
	return nil
}

// verbose prints slapadd -v's line for an added entry.
func (im *importer) verbose(dnStr string) {
	if im.o.db.verbose {
		fmt.Fprintf(im.stdout, "added: %q (%08x)\n", dnStr, im.added.Load())
	}
}

// produce reads records and prepares entries into items until the input
// ends, an unrecoverable read error, or ctx is done.
func (im *importer) produce(ctx context.Context, r *ldif.Reader, items chan<- item) {
	defer close(items)
	send := func(it item) bool {
		select {
		case items <- it:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			var le *ldif.Error
			fatal := !errors.As(err, &le)
			if le != nil {
				err = fmt.Errorf("%s:%d: could not parse entry: %s", im.name, le.Line, le.Msg)
			} else {
				err = fmt.Errorf("%s: read: %w", im.name, err)
			}
			if !send(item{err: err, fatal: fatal}) || fatal {
				return
			}
			continue
		}
		if rec.Line < im.o.skipTo {
			continue
		}
		e, ndn, err := im.prepare(rec)
		if !send(item{e: e, ndn: ndn, line: rec.Line, err: err}) {
			return
		}
	}
}

// prepare turns a record into the entry to store: pretty DN, schema
// attribute names with same-type attributes merged, structuralObjectClass,
// RDN values, schema check, then the lastmod attributes. It returns the
// entry's normalized DN with it.
func (im *importer) prepare(rec *ldif.Record) (*entry.Entry, string, error) {
	switch rec.Change {
	case ldif.ChangeNone, ldif.ChangeAdd:
	default:
		return nil, "", fmt.Errorf("%s:%d: could not parse entry: changetype %s: import loads entries only (use ldapmodify against the server)", im.name, rec.Line, rec.Change)
	}
	e := &rec.Entry
	pretty, ndn, err := im.sc.PrettyNormalDN(e.DN)
	if err != nil {
		return nil, "", fmt.Errorf("%s:%d: invalid DN %q: %v", im.name, rec.Line, e.DN, err)
	}
	if ndn == "" {
		return nil, "", fmt.Errorf("%s:%d: empty DN: the root DSE cannot be loaded", im.name, rec.Line)
	}
	if !im.holds(ndn) {
		return nil, "", fmt.Errorf("%s:%d: database #%d (%s) not configured to hold %q; no database configured for that naming context",
			im.name, rec.Line, im.num, im.suffixes, pretty)
	}
	e.DN = pretty
	if err := im.canonicalTypes(e); err != nil {
		return nil, "", fmt.Errorf("%s:%d: dn=%q: %s", im.name, rec.Line, e.DN, im.checkText(err))
	}
	if !im.o.noCheck {
		// slapd's entry_schema_check(add): structuralObjectClass first,
		// then the RDN values, then the checks.
		if err := im.stamp.Stamp(im.sc, e, bootstrap.StampOptions{Structural: true}); err != nil {
			return nil, "", fmt.Errorf("%s:%d: dn=%q: %s", im.name, rec.Line, e.DN, im.checkText(err))
		}
		if err := im.sc.AddNamingValues(e); err != nil {
			return nil, "", fmt.Errorf("%s:%d: dn=%q: %s", im.name, rec.Line, e.DN, im.checkText(err))
		}
		check := e
		if !im.o.valueCheck {
			check = im.lenientCopy(e)
		}
		if err := im.sc.CheckEntry(check); err != nil {
			return nil, "", fmt.Errorf("%s:%d: dn=%q: %s", im.name, rec.Line, e.DN, im.checkText(err))
		}
	}
	if err := im.stamp.Stamp(im.sc, e, bootstrap.StampOptions{LastMod: im.d.LastMod, Creator: im.creator}); err != nil {
		return nil, "", fmt.Errorf("%s:%d: dn=%q: %v", im.name, rec.Line, e.DN, err)
	}
	return e, ndn, nil
}

// holds reports whether the database holds normalized DN ndn.
func (im *importer) holds(ndn string) bool {
	if len(im.nsuffixes) == 0 {
		return true
	}
	for _, s := range im.nsuffixes {
		if s == "" || dn.IsUnder(ndn, s) {
			return true
		}
	}
	return false
}

// canonicalTypes renames attributes to the schema's name of their type
// (options kept) and merges attributes of the same description, as slapd
// stores them. An undefined type is 17, as str2entry reports it.
func (im *importer) canonicalTypes(e *entry.Entry) error {
	out := e.Attrs[:0]
	for _, a := range e.Attrs {
		at, opts, err := im.sc.AttributeDescription(a.Type)
		if err != nil {
			return err
		}
		name := at.Name()
		if opts != "" {
			name += ";" + opts
		}
		merged := false
		for i := range out {
			if strings.EqualFold(out[i].Type, name) {
				out[i].Values = append(out[i].Values, a.Values...)
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, entry.Attribute{Type: name, Values: a.Values})
		}
	}
	e.Attrs = out
	return nil
}

// checkText formats a schema error as slapadd does: "(65) text", with
// slapadd's wording for a single-valued type given several values.
func (im *importer) checkText(err error) string {
	var ce *schema.CheckError
	if !errors.As(err, &ce) {
		return err.Error()
	}
	msg := ce.Msg
	if typ, ok := strings.CutSuffix(msg, ": multiple values provided"); ok && ce.Code == schema.ResultConstraintViolation {
		if at := im.sc.AttributeType(strings.SplitN(typ, ";", 2)[0]); at != nil {
			typ = at.Name()
		}
		msg = fmt.Sprintf("attribute '%s' cannot have multiple values", typ)
	}
	return fmt.Sprintf("(%d) %s", ce.Code, msg)
}

// standIns are values tried, in order, to stand for an attribute whose
// values all fail their syntax in lenientCopy.
var standIns = [][]byte{[]byte("TRUE"), []byte("0"), []byte("x"), []byte("cn=x"), []byte("20000101000000Z"), []byte("1.1"), []byte("US")}

// lenientCopy returns the copy of e that slapadd's default checks see
// (value-check=no): values are neither syntax-checked nor checked for
// duplicates, only the entry's shape is (object classes, MUST and MAY,
// naming, single-valued types). Duplicate values (by the equality rule)
// are dropped and values their syntax refuses are left out, or replaced
// by a valid stand-in when none is left, so that CheckEntry judges the
// rest. objectClass is kept as it is: an unknown class is an error for
// slapadd too.
func (im *importer) lenientCopy(e *entry.Entry) *entry.Entry {
	c := &entry.Entry{DN: e.DN, Attrs: make([]entry.Attribute, 0, len(e.Attrs))}
	for _, a := range e.Attrs {
		at, _, err := im.sc.AttributeDescription(a.Type)
		if err != nil || strings.EqualFold(at.Name(), "objectClass") || len(a.Values) == 0 {
			c.Attrs = append(c.Attrs, a)
			continue
		}
		var keep [][]byte
		var norms [][]byte
	values:
		for _, v := range a.Values {
			if at.Syntax != nil && at.Syntax.Check(im.sc, v) != nil {
				continue
			}
			n := v
			if at.Equality != nil && at.Equality.Normalize != nil {
				if x, err := at.Equality.Normalize(im.sc, v); err == nil {
					n = x
				}
			}
			for _, o := range norms {
				if string(o) == string(n) {
					continue values
				}
			}
			keep, norms = append(keep, v), append(norms, n)
		}
		if len(keep) == 0 {
			keep = [][]byte{a.Values[0]}
			for _, s := range standIns {
				if at.Syntax == nil || at.Syntax.Check(im.sc, s) == nil {
					keep[0] = s
					break
				}
			}
		}
		c.Attrs = append(c.Attrs, entry.Attribute{Type: a.Type, Values: keep})
	}
	return c
}

// storeReason explains a store error for an entry that could not be added.
func storeReason(err error) string {
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return "(68) an entry with this DN already exists"
	case errors.Is(err, store.ErrNoSuchParent):
		if m := store.MatchedDN(err); m != "" {
			return fmt.Sprintf("(32) parent does not exist (matched %q): parents must come before their children", m)
		}
		return "(32) parent does not exist: parents must come before their children"
	case errors.Is(err, store.ErrNotUnderSuffix):
		return "(53) not under the database's suffix"
	case errors.Is(err, store.ErrInvalidDN):
		return "(34) invalid DN"
	}
	return err.Error()
}

// recoverable reports whether -c may go on after a store error.
func recoverable(err error) bool {
	return errors.Is(err, store.ErrAlreadyExists) || errors.Is(err, store.ErrNoSuchParent) ||
		errors.Is(err, store.ErrNotUnderSuffix) || errors.Is(err, store.ErrInvalidDN)
}

// countingReader counts the bytes read, for the progress display.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress is the one-line progress display on a terminal.
type progress struct {
	w     io.Writer
	size  int64
	read  *atomic.Int64
	added *atomic.Int64
	start time.Time
	done  chan struct{}
	ended chan struct{}
}

func startProgress(w io.Writer, size int64) *progress {
	p := &progress{w: w, size: size, start: time.Now(), done: make(chan struct{}), ended: make(chan struct{})}
	go func() {
		defer close(p.ended)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				fmt.Fprint(p.w, "\r\033[K")
				return
			case <-t.C:
				p.show()
			}
		}
	}()
	return p
}

func (p *progress) show() {
	if p.read == nil || p.added == nil {
		return
	}
	n := p.added.Load()
	el := time.Since(p.start).Seconds()
	line := "hostdir import: " + strconv.FormatInt(n, 10) + " entries"
	if p.size > 0 {
		line += fmt.Sprintf(" %5.1f%%", 100*float64(p.read.Load())/float64(p.size))
	}
	if el > 0 {
		line += fmt.Sprintf(" %8.0f entries/s", float64(n)/el)
	}
	fmt.Fprint(p.w, "\r"+line+"\033[K")
}

func (p *progress) stop() {
	close(p.done)
	<-p.ended
}
