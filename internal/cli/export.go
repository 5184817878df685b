package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"hostdir/directory/bootstrap"
	"hostdir/directory/dn"
	"hostdir/directory/filter"
	"hostdir/directory/ldif"
	"hostdir/directory/store"
)

// exportUsage is printed on a command-line error, like slapcat's usage.
const exportUsage = `Usage: hostdir export [options]
	-a filter	only entries matching this filter (RFC 4515)
	-b suffix	database to dump (the one holding suffix)
	-c		continue after errors
	-d level	accepted for slapcat compatibility
	-f file		slapd.conf (default: hostdir's built-in configuration)
	--data dir	database directory, overriding the configuration's
	-F dir		refused: cn=config directories are not supported
	-l file		LDIF output (default: standard output)
	-n dbnum	database to dump, by number (1: the first)
	-o name=value	options: ldif-wrap=no|<n>
	-s subtree	only this DN and the entries below it
	-v		verbose: print notices about the configuration
`

// slapcatWrap is the width of slapcat's lines without -o ldif-wrap:
// 78 columns, continuation lines included (measured with OpenLDAP 2.5;
// an explicit ldif-wrap=N gives N).
const slapcatWrap = 78

// exportOptions are the parsed options of `hostdir export`.
type exportOptions struct {
	db      dbFlags
	ldif    string
	filter  string
	subtree string
	wrap    int
}

func parseExportArgs(args []string) (*exportOptions, error) {
	o := &exportOptions{wrap: slapcatWrap}
	fs := flag.NewFlagSet("hostdir export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.db.register(fs)
	fs.StringVar(&o.ldif, "l", "", "")
	fs.StringVar(&o.filter, "a", "", "")
	fs.StringVar(&o.subtree, "s", "", "")
	fs.String("H", "", "")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if v, ok := o.db.option("ldif-wrap"); ok {
		w, err := parseWrap(v)
		if err != nil {
			return nil, fmt.Errorf("-o %w", err)
		}
		o.wrap = w
	}
	return o, nil
}

// Export implements `hostdir export`, hostdir's slapcat: it writes the
// entries of a database as LDIF, with their operational attributes, in the
// order slapcat gives them (the order they were added), except that an
// entry never comes before its parent (an entry moved under a newer one
// waits for it), so that `hostdir import` and slapadd load the output back.
// Like slapcat it reads the store directly: while a server holds the store
// it waits bootstrap.LockTimeout, then fails (use ldapsearch against the
// running server instead).
func Export(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const prog = "hostdir export"
	o, err := parseExportArgs(args)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		}
		fmt.Fprint(stderr, exportUsage)
		return 1
	}
	cfg, d, _, err := o.db.open(prog, stderr)
	if err != nil {
		configError(prog, stderr, err)
		return 1
	}
	var f *filter.Filter
	if o.filter != "" {
		if f, err = filter.Parse(o.filter, cfg.Schema); err != nil {
			fmt.Fprintf(stderr, "%s: -a %q: %v\n", prog, o.filter, err)
			return 1
		}
	}
	base := ""
	if o.subtree != "" {
		_, base, err = cfg.Schema.PrettyNormalDN(o.subtree)
		if err != nil {
			fmt.Fprintf(stderr, "%s: -s %q: invalid DN: %v\n", prog, o.subtree, err)
			return 1
		}
	}
	db, _, err := bootstrap.OpenStore(cfg, d, store.Options{Timeout: bootstrap.LockTimeout, ReadOnly: true})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	defer db.Close()

	out := stdout
	var file *os.File
	if o.ldif != "" && o.ldif != "-" {
		// 0600: the output holds password hashes.
		file, err = os.OpenFile(o.ldif, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			return 1
		}
		out = file
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	n, err := export(ctx, db, base, f, o.wrap, bw, func(e error) bool {
		fmt.Fprintf(stderr, "%s: %v\n", prog, e)
		return o.db.cont
	})
	if ferr := bw.Flush(); err == nil && ferr != nil {
		err = ferr
	}
	if file != nil {
		if cerr := file.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	if o.db.verbose {
		fmt.Fprintf(stderr, "%s: %d entries\n", prog, n)
	}
	return 0
}

// exportRef is an entry to export: its id (the order it was added) and
// normalized DN.
type exportRef struct {
	id  uint64
	ndn string
}

// export writes the entries of db under base (every entry when base is
// "") that match f (all when nil) to w in slapcat's form, every entry
// followed by an empty line. onErr is told of an entry that cannot be
// read; it returns whether to go on.
func export(ctx context.Context, db *store.DB, base string, f *filter.Filter, wrap int, w io.Writer, onErr func(error) bool) (int, error) {
	var refs []exportRef
	err := db.Search(ctx, store.SearchRequest{BaseNDN: base, Scope: store.ScopeSub}, func(e *store.Entry) error {
		refs = append(refs, exportRef{id: e.ID, ndn: e.NDN})
		return nil
	})
	if err != nil {
		if errors.Is(err, store.ErrNoSuchObject) {
			return 0, fmt.Errorf("-s: no such entry: %w", err)
		}
		return 0, fmt.Errorf("list entries: %w", err)
	}
	lw := ldif.NewWriter(w)
	lw.Wrap = wrap
	n := 0
	var werr error
	emit := func(r exportRef) bool {
		e, err := db.Get(ctx, r.ndn)
		if err != nil {
			werr = fmt.Errorf("read %q: %w", r.ndn, err)
			if onErr(werr) {
				werr = nil
				return true
			}
			return false
		}
		if f != nil && f.Eval(filter.Entry{E: &e.Entry, Schema: db.Schema()}) != filter.True {
			return true
		}
		if err := lw.Write(&e.Entry); err != nil {
			werr = err
			return false
		}
		n++
		return true
	}
	for _, r := range parentsFirst(refs) {
		if !emit(r) {
			break
		}
	}
	if err := lw.Close(); werr == nil {
		werr = err
	}
	if werr == nil && n > 0 {
		// slapcat ends every entry, the last one too, with an empty line.
		_, werr = io.WriteString(w, "\n")
	}
	if werr == nil {
		werr = ctx.Err()
	}
	return n, werr
}

// parentsFirst orders entries by id, except that an entry whose parent is
// in the list and has a higher id comes right after that parent (and its
// own waiting children after it).
func parentsFirst(refs []exportRef) []exportRef {
	sort.Slice(refs, func(i, j int) bool { return refs[i].id < refs[j].id })
	in := make(map[string]bool, len(refs))
	for _, r := range refs {
		in[r.ndn] = true
	}
	done := make(map[string]bool, len(refs))
	waiting := map[string][]exportRef{}
	out := make([]exportRef, 0, len(refs))
	var place func(r exportRef)
	place = func(r exportRef) {
		out = append(out, r)
		done[r.ndn] = true
		if kids, ok := waiting[r.ndn]; ok {
			delete(waiting, r.ndn)
			for _, k := range kids {
				place(k)
			}
		}
	}
	for _, r := range refs {
		p := dn.ParentOf(r.ndn)
		if p == "" || !in[p] || done[p] {
			place(r)
			continue
		}
		waiting[p] = append(waiting[p], r)
	}
	return out
}
