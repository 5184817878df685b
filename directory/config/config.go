// Package config reads slapd.conf(5) files, as OpenLDAP's slapd reads them,
// into a typed Config: global settings, schema (the include'd .schema
// files and inline definitions, through package schema), databases with
// their suffixes, root DN, indexes and access rules (package acl).
//
// The lexical rules are slapd's: '#' comment lines (only at the start of a
// line: '#' elsewhere is an ordinary character), continuation lines that
// begin with white space, a trailing single backslash that joins the next
// line as it is (slapd's undocumented rule: the HOWTO's printed
// "roleOccupant=\" + indented value therefore splits the value off and is
// an error, as in slapd 2.5), double-quoted arguments, a backslash that makes
// the next character literal inside or outside quotes, case-insensitive
// keywords. Relative include paths are relative to the working directory,
// as in slapd. Every
// problem is reported with its file and line, and loading goes on after a
// recoverable error so that all of them can be shown at once (see Error).
//
// hostdir has one store and every password scheme built in, so the backend
// types ldbm, bdb, hdb and mdb all select the store, and modulepath and
// moduleload are accepted and ignored; such things are reported as
// Notices. Schema files included from paths that do not exist (the HOWTO's
// /usr/local/etc/openldap/schema/) are replaced by hostdir's built-in copies
// when their base name is one of them (core, cosine, nis, inetorgperson,
// jamm), with a Notice.
package config

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"hostdir/directory/acl"
	"hostdir/schema"
)

// Defaults of slapd, used when a directive is absent.
const (
	DefaultSizeLimit              = 500
	DefaultTimeLimit              = 3600
	DefaultSockbufMaxIncoming     = 262143
	DefaultSockbufMaxIncomingAuth = 4194303
	DefaultPasswordHash           = "{SSHA}"
	DefaultThreads                = 16
)

// Unlimited is the value of a limit set to "unlimited" (and of an unset
// limit where there is none).
const Unlimited = -1

// HardIsSoft is the value of a hard limit that follows the soft one
// (size.hard=soft, or a limit given without .soft/.hard).
const HardIsSoft = -2

// Disabled is the value of size.unchecked=disabled and size.prtotal=disabled.
const Disabled = -3

// Limit is a soft/hard pair of a size or time limit. Values are counts
// (entries or seconds), Unlimited, HardIsSoft (Hard only) or Disabled.
type Limit struct {
	Soft int
	Hard int
	// Unchecked is the size.unchecked limit (size limits only; Unlimited by
	// default).
	Unchecked int
	// PR and PRTotal are size.pr and size.prtotal (paged results); 0 when
	// not given.
	PR, PRTotal int
}

// Effective returns the hard limit, resolving HardIsSoft.
func (l Limit) Effective() int {
	if l.Hard == HardIsSoft {
		return l.Soft
	}
	return l.Hard
}

// LimitsRule is one `limits <selector> <limit>...` directive.
type LimitsRule struct {
	// Selector is the selector as written.
	Selector string
	// Anonymous and Users are the anonymous and users selectors.
	Anonymous, Users bool
	// DNType is "self" (the bound DN, the default) or "this" (the base DN
	// of the operation) for dn selectors.
	DNType string
	// Style is the DN style (acl.StyleBase, One, Sub, Children, Regex);
	// AnyDN is true for the "*" pattern.
	Style acl.Style
	AnyDN bool
	// Pattern is the DN or regex as written; Norm the normalized DN of
	// non-regex styles.
	Pattern, Norm string
	// Group is set for group[/oc[/attr]]=pattern selectors.
	Group *acl.GroupPattern
	// Size and Time are the limits set; HasSize/HasTime say which.
	Size, Time       Limit
	HasSize, HasTime bool
	File             string
	Line             int
}

// AuthzRegexp is one `authz-regexp <match> <replace>` directive (or its
// old name sasl-regexp): slapd rewrites a SASL authentication or
// authorization identity, as a normalized DN such as
// "gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth", with the
// first rule whose regular expression matches it. The replacement, with
// $0..$9 replaced by the submatches, is a DN or an LDAP URL
// ldap:///base??scope?filter that must find exactly one entry.
type AuthzRegexp struct {
	// Match and Replace are the arguments as written (after the lexer's
	// quoting and backslash rules).
	Match, Replace string
	// Regexp is Match compiled as slapd compiles it (POSIX extended,
	// REG_ICASE; leftmost-longest, unanchored).
	Regexp *regexp.Regexp
	File   string
	Line   int
}

// Rewrite applies the rule to id: false if Match does not match it;
// otherwise Replace with each $n (a digit) replaced by submatch n (empty
// when there is none), "$$" by "$", and a backslash and the character
// after it kept as they are (slapd does not substitute an escaped $).
func (r *AuthzRegexp) Rewrite(id string) (string, bool) {
	m := r.Regexp.FindStringSubmatchIndex(id)
	if m == nil {
		return "", false
	}
	var b strings.Builder
	rep := r.Replace
	for i := 0; i < len(rep); i++ {
		c := rep[i]
		switch {
		case c == '\\' && i+1 < len(rep):
			b.WriteByte(c)
			i++
			b.WriteByte(rep[i])
		case c == '$' && i+1 < len(rep) && rep[i+1] >= '0' && rep[i+1] <= '9':
			n := int(rep[i+1] - '0')
			i++
			if 2*n+1 < len(m) && m[2*n] >= 0 {
				b.WriteString(id[m[2*n]:m[2*n+1]])
			}
		case c == '$' && i+1 < len(rep) && rep[i+1] == '$':
			b.WriteByte('$')
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// IndexType is a set of index kinds as a bitmask.
type IndexType uint16

// Index kinds of the index directive.
const (
	IndexPres IndexType = 1 << iota
	IndexEq
	IndexApprox
	IndexSubInitial
	IndexSubAny
	IndexSubFinal
	// IndexNoLang (nolang, notags) keeps tagged subtypes out of the index.
	IndexNoLang
	// IndexNoSubtypes keeps named subtypes out of the index.
	IndexNoSubtypes

	// IndexSub is sub: all three substring kinds.
	IndexSub = IndexSubInitial | IndexSubAny | IndexSubFinal
)

// String prints the set as slapd's index directive writes it.
func (t IndexType) String() string {
	var parts []string
	add := func(bit IndexType, name string) {
		if t&bit != 0 {
			parts = append(parts, name)
		}
	}
	add(IndexPres, "pres")
	add(IndexEq, "eq")
	add(IndexApprox, "approx")
	if t&IndexSub == IndexSub {
		parts = append(parts, "sub")
	} else {
		add(IndexSubInitial, "subinitial")
		add(IndexSubAny, "subany")
		add(IndexSubFinal, "subfinal")
	}
	add(IndexNoLang, "notags")
	add(IndexNoSubtypes, "nosubtypes")
	return strings.Join(parts, ",")
}

// Index is one attribute's index definition.
type Index struct {
	// Attr is the attribute type's name as the schema spells it.
	Attr  string
	Types IndexType
	File  string
	Line  int
}

// Checkpoint is the checkpoint directive of a database.
type Checkpoint struct {
	KBytes, Minutes int
}

// Database is one `database` section.
type Database struct {
	// Type is the backend type as written (ldbm, bdb, hdb or mdb; all are
	// hostdir's store).
	Type      string
	Directory string
	// Suffixes are the normalized suffix DNs; SuffixesRaw as written.
	Suffixes    []string
	SuffixesRaw []string
	// RootDN is the normalized root DN (empty: none); RootDNRaw as written.
	RootDN    string
	RootDNRaw string
	// RootPW is the root password as written (hashed, {SCHEME}..., or clear).
	RootPW string
	// Indexes in definition order; DefaultIndex is `index default` (0: none).
	Indexes      []Index
	DefaultIndex IndexType
	// Access is the database's access rules; the global ones apply after them.
	Access []acl.Rule
	Limits []LimitsRule
	// SizeLimit and TimeLimit override the global limits when non-nil.
	SizeLimit, TimeLimit *Limit
	ReadOnly             bool
	// LastMod maintains creatorsName, modifyTimestamp, entryCSN ... (default on).
	LastMod    bool
	Checkpoint Checkpoint
	DBNoSync   bool
	// MaxSize is the database size limit in bytes (0: default).
	MaxSize int64
	// Mode is the permission of new database files (default 0600).
	Mode os.FileMode
	// CacheSize is accepted for old configurations and unused.
	CacheSize int
	Require   Set
	Security  Security
	// File and Line locate the database directive.
	File string
	Line int
}

// Set is a set of lower-case keywords (allow, disallow, require).
type Set []string

// Has reports whether the set holds name (case-insensitive).
func (s Set) Has(name string) bool {
	for _, v := range s {
		if strings.EqualFold(v, name) {
			return true
		}
	}
	return false
}

// Security is the security directive: minimum security strength factors
// (0: none required).
type Security struct {
	SSF, Transport, TLS, SASL                         int
	UpdateSSF, UpdateTransport, UpdateTLS, UpdateSASL int
	SimpleBind                                        int
}

// TLS holds the TLS directives, as written.
type TLS struct {
	CertificateFile    string
	CertificateKeyFile string
	CACertificateFile  string
	CACertificatePath  string
	CipherSuite        string
	// ProtocolMin is as written, e.g. "3.3" for TLS 1.2.
	ProtocolMin string
	// VerifyClient is never (the default), allow, try or demand (hard and
	// true are spelled demand).
	VerifyClient string
	DHParamFile  string
	// CRLCheck is none (the default), peer or all.
	CRLCheck string
	CRLFile  string
	ECName   string
	RandFile string
}

// LogLevel is a loglevel bitmask as slapd.conf(5) defines it; LogAny is every level.
type LogLevel int

// Log levels of slapd.
const (
	LogTrace   LogLevel = 1
	LogPackets LogLevel = 2
	LogArgs    LogLevel = 4
	LogConns   LogLevel = 8
	LogBER     LogLevel = 16
	LogFilter  LogLevel = 32
	LogConfig  LogLevel = 64
	LogACL     LogLevel = 128
	LogStats   LogLevel = 256
	LogStats2  LogLevel = 512
	LogShell   LogLevel = 1024
	LogParse   LogLevel = 2048
	LogSync    LogLevel = 16384
	LogNone    LogLevel = 32768
	LogAny     LogLevel = -1
)

// Notice is a remark about the configuration that does not make it fail.
type Notice struct {
	File string
	Line int
	Msg  string
}

// String formats the notice as FILE:LINE: msg.
func (n Notice) String() string { return fmt.Sprintf("%s:%d: %s", n.File, n.Line, n.Msg) }

// LineError is one problem of a configuration, located by file and line.
type LineError struct {
	File string
	Line int
	Msg  string
}

// Error formats the error as FILE:LINE: msg.
func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Error is the list of every problem found while loading a configuration,
// in the order found. It also carries the notices gathered, so a caller
// that prints the errors can print them too.
type Error struct {
	Errors  []*LineError
	Notices []Notice
}

// Error prints one problem per line, each as FILE:LINE: msg.
func (e *Error) Error() string {
	var b strings.Builder
	for i, le := range e.Errors {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(le.Error())
	}
	return b.String()
}

// Unwrap returns the individual errors, for errors.As.
func (e *Error) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, le := range e.Errors {
		out[i] = le
	}
	return out
}

// Config is a loaded slapd.conf.
type Config struct {
	// File is the name of the main configuration file.
	File string
	// Schema is every schema definition loaded (system schema plus the
	// includes and inline definitions). It is read-only once loaded.
	Schema    *schema.Schema
	Databases []*Database
	// Access is the global access rules (before the first database, or in
	// `database frontend`).
	Access []acl.Rule
	// Limits are the global limits rules.
	Limits               []LimitsRule
	SizeLimit, TimeLimit Limit
	// IdleTimeout is in seconds (0: never close idle connections).
	IdleTimeout int
	// WriteTimeout is in seconds (0: none).
	WriteTimeout int
	LogLevel     LogLevel
	// PasswordHash lists the schemes for new passwords, first one used.
	PasswordHash            []string
	PasswordCryptSaltFormat string
	PidFile, ArgsFile       string
	Allow, Disallow         Set
	Require                 Set
	Security                Security
	TLS                     TLS
	SockbufMaxIncoming      int
	SockbufMaxIncomingAuth  int
	Threads                 int
	// AuthzRegexps are the authz-regexp (sasl-regexp) rules, in order:
	// how SASL identities become directory DNs.
	AuthzRegexps []AuthzRegexp
	// Notices are the remarks gathered while loading, in order.
	Notices []Notice
}

//go:embed default.conf
var defaultConf string

// Default returns the text of hostdir's default configuration: the
// HOWTO's slapd.conf in OpenLDAP 2.5 syntax, with the built-in schema
// included by bare names, suffix dc=myhosting,dc=example and root DN
// cn=Manager,dc=myhosting,dc=example. It has no rootpw: the server
// fills one in.
func Default() string { return defaultConf }

// LoadDefault parses Default(). Its includes of bare schema names are
// resolved to the built-in schema files directly, whatever the working
// directory holds.
func LoadDefault() (*Config, error) {
	return Parse("default.conf", strings.NewReader(defaultConf), withBuiltinIncludes())
}

// Load reads and parses a slapd.conf file. Relative include paths are
// relative to the current working directory, as slapd has them.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Errors: []*LineError{{File: path, Line: 0, Msg: fmt.Sprintf("cannot open configuration: %v", err)}}}
	}
	defer f.Close()
	return Parse(path, f)
}

// Option changes how Parse works.
type Option func(*options)

type options struct {
	baseDir         string
	builtinIncludes bool
	readFile        func(string) ([]byte, error)
}

// WithBaseDir resolves relative include paths against dir instead of the
// current working directory.
func WithBaseDir(dir string) Option { return func(o *options) { o.baseDir = dir } }

// withBuiltinIncludes resolves includes of bare built-in schema names to
// the embedded files without looking at the file system.
func withBuiltinIncludes() Option { return func(o *options) { o.builtinIncludes = true } }

// Parse parses a configuration read from r; name is used in messages and
// as the first member of include-loop checks. On failure the error is an
// *Error listing every problem found.
func Parse(name string, r io.Reader, opts ...Option) (*Config, error) {
	o := options{readFile: os.ReadFile}
	for _, opt := range opts {
		opt(&o)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &Error{Errors: []*LineError{{File: name, Msg: fmt.Sprintf("read: %v", err)}}}
	}
	l := newLoader(name, o)
	l.file(name, data, 0)
	l.finish()
	if len(l.errs) > 0 {
		return nil, &Error{Errors: l.errs, Notices: l.cfg.Notices}
	}
	return l.cfg, nil
}
