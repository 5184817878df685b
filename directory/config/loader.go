package config

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"hostdir/directory/acl"
	"hostdir/schema"
	"hostdir/schema/builtin"
)

// maxIncludeDepth bounds nested includes (a loop is reported before).
const maxIncludeDepth = 32

// section says where directives currently go.
type section int

const (
	secGlobal   section = iota // before any database, or database frontend
	secDatabase                // a database served by the store
	secIgnored                 // database config / monitor: skipped
)

// loader holds the state of one Parse.
type loader struct {
	cfg   *Config
	opts  options
	errs  []*LineError
	stack []string // include chain, as loop keys
	sec   section
	db    *Database
	dbIdx map[string]bool // attributes indexed in db
	seen  bool            // a database directive was seen
}

func newLoader(name string, o options) *loader {
	return &loader{
		opts: o,
		cfg: &Config{
			File:                   name,
			Schema:                 schema.New(),
			SizeLimit:              Limit{Soft: DefaultSizeLimit, Hard: HardIsSoft, Unchecked: Unlimited},
			TimeLimit:              Limit{Soft: DefaultTimeLimit, Hard: HardIsSoft, Unchecked: Unlimited},
			LogLevel:               LogStats,
			PasswordHash:           []string{DefaultPasswordHash},
			SockbufMaxIncoming:     DefaultSockbufMaxIncoming,
			SockbufMaxIncomingAuth: DefaultSockbufMaxIncomingAuth,
			Threads:                DefaultThreads,
		},
	}
}

func (l *loader) errf(file string, line int, format string, a ...any) {
	l.errs = append(l.errs, &LineError{File: file, Line: line, Msg: fmt.Sprintf(format, a...)})
}

func (l *loader) notef(file string, line int, format string, a ...any) {
	l.cfg.Notices = append(l.cfg.Notices, Notice{File: file, Line: line, Msg: fmt.Sprintf(format, a...)})
}

// file loads the directives of one configuration file.
func (l *loader) file(name string, data []byte, depth int) {
	l.stack = append(l.stack, loopKey(name))
	defer func() { l.stack = l.stack[:len(l.stack)-1] }()
	lines, lexErrs := lex(data)
	// Report lexing errors in line order among the directive errors.
	li := 0
	for _, ll := range lines {
		for li < len(lexErrs) && lexErrs[li].line < ll.line {
			l.errf(name, lexErrs[li].line, "%s", lexErrs[li].msg)
			li++
		}
		l.directive(name, ll, depth)
	}
	for ; li < len(lexErrs); li++ {
		l.errf(name, lexErrs[li].line, "%s", lexErrs[li].msg)
	}
}

// loopKey identifies a file for include-loop detection.
func loopKey(name string) string {
	if strings.HasPrefix(name, builtinPrefix) {
		return name
	}
	if abs, err := filepath.Abs(name); err == nil {
		return abs
	}
	return name
}

// builtinPrefix names built-in schema files in messages.
const builtinPrefix = "builtin:"

// builtinSchema returns the embedded schema file with the given base
// name (one of the include-able built-ins), or nil.
func builtinSchema(base string) []byte {
	for _, f := range builtin.Files {
		if f == "system.schema" || f != base {
			continue
		}
		data, err := builtin.FS.ReadFile(f)
		if err != nil {
			return nil
		}
		return data
	}
	return nil
}

// directive dispatches one logical line.
func (l *loader) directive(file string, ll logicalLine, depth int) {
	kw := strings.ToLower(ll.toks[0].s)
	d := &dir{file: file, ll: ll, kw: kw, args: ll.toks[1:]}
	switch {
	case kw == "include":
		if d.nargs(l, 1, 1) {
			l.include(d, depth)
		}
		return
	case schema.IsDirective(kw):
		l.schemaDirective(d)
		return
	case kw == "database":
		l.endDatabase()
		if d.nargs(l, 1, 1) {
			l.database(d)
		}
		return
	}
	if l.sec == secIgnored {
		return
	}
	spec, ok := directives[kw]
	if !ok {
		where := "outside database definitions"
		if l.sec == secDatabase {
			where = "inside database definition"
		}
		l.errf(file, ll.line, "unknown directive %q %s", ll.toks[0].s, where)
		return
	}
	switch spec.scope {
	case scopeDB:
		if l.sec != secDatabase {
			l.errf(file, ll.line, "%s is only allowed inside a database section (after a database directive)", kw)
			return
		}
	case scopeBeforeDB:
		if l.seen {
			l.errf(file, ll.line, "%s must occur before any database directive", kw)
			return
		}
	}
	if !d.nargs(l, spec.min, spec.max) {
		return
	}
	spec.fn(l, d)
}

// dir is one directive being handled.
type dir struct {
	file string
	ll   logicalLine
	kw   string
	args []token
}

// line returns the line of argument i (the directive's line for i < 0).
func (d *dir) line(i int) int {
	if i >= 0 && i < len(d.args) {
		return d.args[i].line
	}
	return d.ll.line
}

func (d *dir) arg(i int) string { return d.args[i].s }

// nargs checks the argument count, reporting a problem if it is off.
func (d *dir) nargs(l *loader, min, max int) bool {
	n := len(d.args)
	switch {
	case n < min:
		if min == 1 {
			l.errf(d.file, d.ll.line, "%s: missing argument", d.kw)
		} else {
			l.errf(d.file, d.ll.line, "%s: want at least %d arguments, got %d", d.kw, min, n)
		}
		return false
	case max >= 0 && n > max:
		l.errf(d.file, d.line(max), "%s: extra argument %q", d.kw, d.arg(max))
		return false
	}
	return true
}

func (l *loader) include(d *dir, depth int) {
	path := d.arg(0)
	full := path
	if !filepath.IsAbs(full) && l.opts.baseDir != "" {
		full = filepath.Join(l.opts.baseDir, full)
	}
	base := filepath.Base(path)
	if l.opts.builtinIncludes && !strings.ContainsRune(path, '/') {
		if data := builtinSchema(base); data != nil {
			l.includeData(d, builtinPrefix+base, data, depth)
			return
		}
	}
	if depth+1 > maxIncludeDepth {
		l.errf(d.file, d.ll.line, "include %q: includes nested deeper than %d", path, maxIncludeDepth)
		return
	}
	data, err := l.opts.readFile(full)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if bdata := builtinSchema(base); bdata != nil {
				l.notef(d.file, d.ll.line, "%s not found; using hostdir's built-in %s", path, base)
				l.includeData(d, builtinPrefix+base, bdata, depth)
				return
			}
		}
		l.errf(d.file, d.ll.line, "include %q: %v", path, unwrapPathErr(err))
		return
	}
	l.includeData(d, full, data, depth)
}

func (l *loader) includeData(d *dir, name string, data []byte, depth int) {
	key := loopKey(name)
	if i := slices.Index(l.stack, key); i >= 0 {
		chain := append(slices.Clone(l.stack[i:]), key)
		l.errf(d.file, d.ll.line, "include loop: %s", strings.Join(chain, " includes "))
		return
	}
	l.file(name, data, depth+1)
}

// unwrapPathErr drops the path fs.PathError repeats.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (l *loader) schemaDirective(d *dir) {
	err := l.cfg.Schema.AddDirective(d.file, d.ll.line, d.ll.text)
	if err == nil {
		return
	}
	var pe *schema.ParseError
	if errors.As(err, &pe) {
		msg := pe.Msg
		if pe.Directive != "" {
			msg = pe.Directive + ": " + msg
		}
		l.errf(pe.File, pe.Line, "%s", msg)
		return
	}
	l.errf(d.file, d.ll.line, "%s: %v", d.kw, err)
}

func (l *loader) database(d *dir) {
	l.seen = true
	typ := strings.ToLower(d.arg(0))
	switch typ {
	case "mdb", "ldbm", "bdb", "hdb":
		if typ != "mdb" {
			l.notef(d.file, d.ll.line, "database %s: served by hostdir's store (ldbm, bdb, hdb and mdb all mean it)", d.arg(0))
		}
		l.db = &Database{Type: typ, LastMod: true, Mode: 0o600, File: d.file, Line: d.ll.line}
		l.dbIdx = map[string]bool{}
		l.sec = secDatabase
	case "frontend":
		l.sec = secGlobal
	case "config", "monitor":
		l.notef(d.file, d.ll.line, "database %s: hostdir has no cn=%s database; its directives are ignored", typ, typ)
		l.sec = secIgnored
	default:
		l.errf(d.file, d.line(0), "database type %q is not supported: hostdir has one store (use mdb; ldbm, bdb and hdb mean it too)", d.arg(0))
		l.sec = secIgnored
	}
}

// endDatabase closes the current database section, checking it.
func (l *loader) endDatabase() {
	db := l.db
	l.db, l.dbIdx = nil, nil
	if l.sec == secDatabase {
		l.sec = secGlobal
	}
	if db == nil {
		return
	}
	if len(db.Suffixes) == 0 {
		l.errf(db.File, db.Line, "database %s has no suffix", db.Type)
	}
	if db.RootPW != "" {
		if db.RootDN == "" {
			l.errf(db.File, db.Line, "rootpw can only be set when rootdn is under suffix (no rootdn)")
		} else if !underAny(db.RootDN, db.Suffixes) {
			l.errf(db.File, db.Line, "rootpw can only be set when rootdn is under suffix (%s is not)", db.RootDNRaw)
		}
	}
	for _, other := range l.cfg.Databases {
		for _, s := range db.Suffixes {
			if slices.Contains(other.Suffixes, s) {
				l.errf(db.File, db.Line, "suffix %q already served by the database at %s:%d", s, other.File, other.Line)
			}
		}
	}
	l.cfg.Databases = append(l.cfg.Databases, db)
}

// finish ends loading.
func (l *loader) finish() {
	l.endDatabase()
}

// underAny reports whether the normalized DN dn is one of the suffixes or
// below one of them.
func underAny(dn string, suffixes []string) bool {
	for _, s := range suffixes {
		if isUnder(dn, s) {
			return true
		}
	}
	return false
}

// isUnder reports whether normalized dn is suffix or below it.
func isUnder(dn, suffix string) bool {
	if suffix == "" || dn == suffix {
		return true
	}
	return strings.HasSuffix(dn, ","+suffix) && !strings.HasSuffix(dn, "\\,"+suffix)
}

// aclResolver adapts the schema for acl.Rule.Bind.
type aclResolver struct{ s *schema.Schema }

// DN-valued syntaxes: DistinguishedName and NameAndOptionalUID.
const (
	syntaxDN         = "1.3.6.1.4.1.1466.115.121.1.12"
	syntaxNameAndUID = "1.3.6.1.4.1.1466.115.121.1.34"
)

func (r aclResolver) NormalizeDN(dn string) (string, error) { return r.s.NormalizeDN(dn) }

func (r aclResolver) AttributeType(name string) (string, bool, bool) {
	at := r.s.AttributeType(name)
	if at == nil {
		return "", false, false
	}
	isDN := at.Syntax != nil && (at.Syntax.OID == syntaxDN || at.Syntax.OID == syntaxNameAndUID)
	return at.Name(), isDN, true
}

func (r aclResolver) ObjectClass(name string) (string, bool) {
	oc := r.s.ObjectClass(name)
	if oc == nil {
		return "", false
	}
	if len(oc.Names) > 0 {
		return oc.Names[0], true
	}
	return oc.OID, true
}

// _ checks that aclResolver implements acl.Resolver.
var _ acl.Resolver = aclResolver{}
