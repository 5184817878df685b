package config

import (
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"

	"hostdir/directory/acl"
	"hostdir/directory/password"
)

// scope says where a directive may appear.
type scope int

const (
	scopeAny      scope = iota // global, or per database when inside one
	scopeDB                    // only inside a database section
	scopeBeforeDB              // only before the first database
)

type directiveSpec struct {
	fn       func(*loader, *dir)
	scope    scope
	min, max int // argument counts; max -1 = unbounded
}

// directives maps lower-case keywords to their handlers. include,
// database and the schema directives are handled before this table.
var directives map[string]directiveSpec

func init() {
	tlsFile := func(set func(*TLS, string)) directiveSpec {
		return directiveSpec{fn: func(l *loader, d *dir) { set(&l.cfg.TLS, d.arg(0)) }, min: 1, max: 1}
	}
	directives = map[string]directiveSpec{
		"modulepath":                 {fn: (*loader).module, min: 1, max: -1},
		"moduleload":                 {fn: (*loader).module, min: 1, max: -1},
		"backend":                    {fn: (*loader).backend, scope: scopeBeforeDB, min: 1, max: 1},
		"pidfile":                    {fn: func(l *loader, d *dir) { l.cfg.PidFile = d.arg(0) }, min: 1, max: 1},
		"argsfile":                   {fn: func(l *loader, d *dir) { l.cfg.ArgsFile = d.arg(0) }, min: 1, max: 1},
		"directory":                  {fn: func(l *loader, d *dir) { l.db.Directory = d.arg(0) }, scope: scopeDB, min: 1, max: 1},
		"suffix":                     {fn: (*loader).suffix, scope: scopeDB, min: 1, max: 1},
		"rootdn":                     {fn: (*loader).rootdn, scope: scopeDB, min: 1, max: 1},
		"rootpw":                     {fn: (*loader).rootpw, scope: scopeDB, min: 1, max: 1},
		"index":                      {fn: (*loader).index, scope: scopeDB, min: 1, max: 2},
		"access":                     {fn: (*loader).access, min: 1, max: -1},
		"sizelimit":                  {fn: (*loader).limit, min: 1, max: -1},
		"timelimit":                  {fn: (*loader).limit, min: 1, max: -1},
		"limits":                     {fn: (*loader).limits, min: 2, max: -1},
		"idletimeout":                {fn: func(l *loader, d *dir) { l.intArg(d, 0, 0, &l.cfg.IdleTimeout) }, min: 1, max: 1},
		"writetimeout":               {fn: func(l *loader, d *dir) { l.intArg(d, 0, 0, &l.cfg.WriteTimeout) }, min: 1, max: 1},
		"loglevel":                   {fn: (*loader).loglevel, min: 1, max: -1},
		"password-hash":              {fn: (*loader).passwordHash, min: 1, max: -1},
		"password-crypt-salt-format": {fn: (*loader).cryptSalt, min: 1, max: 1},
		"allow":                      {fn: (*loader).allow, scope: scopeBeforeDB, min: 1, max: -1},
		"disallow":                   {fn: (*loader).disallow, scope: scopeBeforeDB, min: 1, max: -1},
		"require":                    {fn: (*loader).require, min: 1, max: -1},
		"security":                   {fn: (*loader).security, min: 1, max: -1},
		"schemacheck":                {fn: (*loader).schemacheck, min: 1, max: 1},
		"sockbuf_max_incoming":       {fn: func(l *loader, d *dir) { l.intArg(d, 0, 1, &l.cfg.SockbufMaxIncoming) }, min: 1, max: 1},
		"sockbuf_max_incoming_auth":  {fn: func(l *loader, d *dir) { l.intArg(d, 0, 1, &l.cfg.SockbufMaxIncomingAuth) }, min: 1, max: 1},
		"threads":                    {fn: func(l *loader, d *dir) { l.intArg(d, 0, 1, &l.cfg.Threads) }, min: 1, max: 1},
		"tool-threads":               {fn: func(l *loader, d *dir) { var n int; l.intArg(d, 0, 1, &n) }, min: 1, max: 1},
		"lastmod":                    {fn: func(l *loader, d *dir) { l.onOff(d, &l.db.LastMod) }, scope: scopeDB, min: 1, max: 1},
		"readonly":                   {fn: func(l *loader, d *dir) { l.onOff(d, &l.db.ReadOnly) }, scope: scopeDB, min: 1, max: 1},
		"checkpoint":                 {fn: (*loader).checkpoint, scope: scopeDB, min: 2, max: 2},
		"cachesize":                  {fn: (*loader).cachesize, scope: scopeDB, min: 1, max: 1},
		"dbnosync":                   {fn: func(l *loader, d *dir) { l.db.DBNoSync = true }, scope: scopeDB, min: 0, max: 0},
		"maxsize":                    {fn: (*loader).maxsize, scope: scopeDB, min: 1, max: 1},
		"mode":                       {fn: (*loader).mode, scope: scopeDB, min: 1, max: 1},
		"authz-regexp":               {fn: (*loader).authzRegexp, min: 0, max: -1},
		"sasl-regexp":                {fn: (*loader).authzRegexp, min: 0, max: -1},

		"tlscertificatefile":    tlsFile(func(t *TLS, v string) { t.CertificateFile = v }),
		"tlscertificatekeyfile": tlsFile(func(t *TLS, v string) { t.CertificateKeyFile = v }),
		"tlscacertificatefile":  tlsFile(func(t *TLS, v string) { t.CACertificateFile = v }),
		"tlscacertificatepath":  tlsFile(func(t *TLS, v string) { t.CACertificatePath = v }),
		"tlsciphersuite":        tlsFile(func(t *TLS, v string) { t.CipherSuite = v }),
		"tlsdhparamfile":        tlsFile(func(t *TLS, v string) { t.DHParamFile = v }),
		"tlscrlfile":            tlsFile(func(t *TLS, v string) { t.CRLFile = v }),
		"tlsecname":             tlsFile(func(t *TLS, v string) { t.ECName = v }),
		"tlsrandfile":           tlsFile(func(t *TLS, v string) { t.RandFile = v }),
		"tlsprotocolmin":        {fn: (*loader).tlsProtocolMin, min: 1, max: 1},
		"tlsverifyclient":       {fn: (*loader).tlsVerifyClient, min: 1, max: 1},
		"tlscrlcheck":           {fn: (*loader).tlsCRLCheck, min: 1, max: 1},
	}
}

// intArg parses argument i as a decimal integer >= min into *dst.
func (l *loader) intArg(d *dir, i, min int, dst *int) bool {
	n, err := strconv.Atoi(d.arg(i))
	if err != nil || n < min {
		l.errf(d.file, d.line(i), "%s: %q is not an integer >= %d", d.kw, d.arg(i), min)
		return false
	}
	*dst = n
	return true
}

func (l *loader) onOff(d *dir, dst *bool) {
	switch strings.ToLower(d.arg(0)) {
	case "on", "yes", "true":
		*dst = true
	case "off", "no", "false":
		*dst = false
	default:
		l.errf(d.file, d.line(0), "%s: want on or off, got %q", d.kw, d.arg(0))
	}
}

func (l *loader) module(d *dir) {
	l.notef(d.file, d.ll.line, "%s not needed: hostdir has every backend and scheme built in", d.kw)
}

func (l *loader) backend(d *dir) {
	switch strings.ToLower(d.arg(0)) {
	case "mdb", "ldbm", "bdb", "hdb":
		l.notef(d.file, d.ll.line, "backend %s: not needed, hostdir's store is built in", d.arg(0))
	default:
		l.errf(d.file, d.line(0), "backend type %q is not supported", d.arg(0))
	}
}

func (l *loader) suffix(d *dir) {
	raw := d.arg(0)
	norm, err := l.cfg.Schema.NormalizeDN(raw)
	if err != nil {
		l.errf(d.file, d.line(0), "suffix: invalid DN %q: %v", raw, err)
		return
	}
	for _, s := range l.db.Suffixes {
		if s == norm {
			l.errf(d.file, d.line(0), "suffix: %q given twice", raw)
			return
		}
	}
	l.db.Suffixes = append(l.db.Suffixes, norm)
	l.db.SuffixesRaw = append(l.db.SuffixesRaw, raw)
}

func (l *loader) rootdn(d *dir) {
	raw := d.arg(0)
	norm, err := l.cfg.Schema.NormalizeDN(raw)
	if err != nil {
		l.errf(d.file, d.line(0), "rootdn: invalid DN %q: %v", raw, err)
		return
	}
	l.db.RootDN, l.db.RootDNRaw = norm, raw
}

func (l *loader) rootpw(d *dir) {
	pw := d.arg(0)
	if pw == "" {
		l.errf(d.file, d.line(0), "rootpw: empty password")
		return
	}
	if scheme, _ := password.SplitScheme(pw); scheme != "" && !knownScheme(scheme) {
		l.notef(d.file, d.line(0), "rootpw: unknown password scheme %s: binding as the rootdn will fail", scheme)
	}
	l.db.RootPW = pw
}

// knownScheme reports whether password.Verify understands scheme.
func knownScheme(scheme string) bool {
	for _, s := range password.Schemes() {
		if strings.EqualFold(s, scheme) {
			return true
		}
	}
	return false
}

// indexTypes maps the index kinds slapd accepts to their bits.
var indexTypes = map[string]IndexType{
	"pres": IndexPres, "present": IndexPres,
	"eq": IndexEq, "equality": IndexEq,
	"approx": IndexApprox, "approximate": IndexApprox,
	"sub": IndexSub, "substr": IndexSub, "substring": IndexSub,
	"subinitial": IndexSubInitial, "subany": IndexSubAny, "subfinal": IndexSubFinal,
	"nolang": IndexNoLang, "notags": IndexNoLang,
	"nosubtypes": IndexNoSubtypes,
}

func (l *loader) index(d *dir) {
	var types IndexType
	if len(d.args) == 2 {
		for _, t := range strings.Split(d.arg(1), ",") {
			bit, ok := indexTypes[strings.ToLower(strings.TrimSpace(t))]
			if !ok {
				l.errf(d.file, d.line(1), "index type %q undefined (want pres, eq, approx, sub, subinitial, subany, subfinal, notags, nosubtypes)", t)
				return
			}
			types |= bit
		}
	}
	kinds := types &^ (IndexNoLang | IndexNoSubtypes)
	for _, name := range strings.Split(d.arg(0), ",") {
		name = strings.TrimSpace(name)
		if strings.EqualFold(name, "default") {
			if kinds == 0 {
				l.errf(d.file, d.ll.line, "index default: no index types given")
				continue
			}
			l.db.DefaultIndex = types
			continue
		}
		t := types
		if kinds == 0 {
			if l.db.DefaultIndex == 0 {
				l.errf(d.file, d.ll.line, "index %s: no indexes selected (give types or an index default line first)", name)
				continue
			}
			t = l.db.DefaultIndex | types
		}
		at := l.cfg.Schema.AttributeType(name)
		if at == nil {
			l.errf(d.file, d.line(0), "index attribute %q undefined", name)
			continue
		}
		if t&(IndexEq|IndexApprox) != 0 && at.Equality == nil {
			l.errf(d.file, d.ll.line, "equality index of attribute %q disallowed: it has no equality matching rule", name)
			continue
		}
		if t&IndexSub != 0 && at.Substr == nil {
			l.errf(d.file, d.ll.line, "substr index of attribute %q disallowed: it has no substrings matching rule", name)
			continue
		}
		key := strings.ToLower(at.OID)
		if l.dbIdx[key] {
			l.errf(d.file, d.ll.line, "duplicate index definition for attr %q", name)
			continue
		}
		l.dbIdx[key] = true
		l.db.Indexes = append(l.db.Indexes, Index{Attr: at.Name(), Types: t, File: d.file, Line: d.ll.line})
	}
}

func (l *loader) access(d *dir) {
	args := make([]string, len(d.args))
	for i, t := range d.args {
		args[i] = t.s
	}
	rule, err := acl.Parse(args)
	if err != nil {
		line := d.ll.line
		var se *acl.SyntaxError
		if errors.As(err, &se) && se.Arg >= 0 {
			line = d.line(se.Arg)
		}
		l.errf(d.file, line, "%v", err)
		return
	}
	rule.File, rule.Line = d.file, d.ll.line
	bad := false
	for _, err := range rule.Bind(aclResolver{l.cfg.Schema}) {
		line := d.ll.line
		var se *acl.SyntaxError
		if errors.As(err, &se) && se.Arg >= 0 {
			line = d.line(se.Arg)
		}
		l.errf(d.file, line, "%v", err)
		bad = true
	}
	if bad {
		return
	}
	for _, w := range rule.Warnings {
		l.notef(d.file, d.ll.line, "access: %s", w)
	}
	if l.sec == secDatabase {
		l.db.Access = append(l.db.Access, *rule)
	} else {
		l.cfg.Access = append(l.cfg.Access, *rule)
	}
}

// limitValue parses a limit value: an integer, "unlimited" (or a negative
// number), and where allowed "soft" (hard limits) or "disabled".
func limitValue(s string, allowSoft, allowDisabled bool) (int, bool) {
	switch strings.ToLower(s) {
	case "unlimited", "none":
		return Unlimited, true
	case "soft":
		return HardIsSoft, allowSoft
	case "disabled":
		return Disabled, allowDisabled
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false
	}
	if n < 0 {
		return Unlimited, true
	}
	return n, true
}

// applyLimit parses one size[.x]=n or time[.x]=n argument into lim.
// kind is "size" or "time".
func applyLimit(arg, kind string, lim *Limit) bool {
	left, right, ok := strings.Cut(arg, "=")
	if !ok {
		return false
	}
	key, qual, _ := strings.Cut(strings.ToLower(left), ".")
	if key != kind {
		return false
	}
	switch qual {
	case "":
		v, ok := limitValue(right, false, false)
		if !ok {
			return false
		}
		lim.Soft, lim.Hard = v, HardIsSoft
	case "soft":
		v, ok := limitValue(right, false, false)
		if !ok {
			return false
		}
		lim.Soft = v
	case "hard":
		v, ok := limitValue(right, true, false)
		if !ok {
			return false
		}
		lim.Hard = v
	case "unchecked", "pr", "prtotal":
		if kind != "size" {
			return false
		}
		low := strings.ToLower(right)
		if qual == "pr" && low == "noestimate" {
			return true
		}
		if qual == "prtotal" && low == "hard" {
			lim.PRTotal = HardIsSoft
			return true
		}
		v, ok := limitValue(right, false, qual != "pr")
		if !ok {
			return false
		}
		switch qual {
		case "unchecked":
			lim.Unchecked = v
		case "pr":
			lim.PR = v
		default:
			lim.PRTotal = v
		}
	default:
		return false
	}
	return true
}

// limit handles sizelimit and timelimit.
func (l *loader) limit(d *dir) {
	kind := strings.TrimSuffix(d.kw, "limit")
	var dst *Limit
	switch {
	case l.sec == secDatabase && kind == "size":
		if l.db.SizeLimit == nil {
			c := l.cfg.SizeLimit
			l.db.SizeLimit = &c
		}
		dst = l.db.SizeLimit
	case l.sec == secDatabase:
		if l.db.TimeLimit == nil {
			c := l.cfg.TimeLimit
			l.db.TimeLimit = &c
		}
		dst = l.db.TimeLimit
	case kind == "size":
		dst = &l.cfg.SizeLimit
	default:
		dst = &l.cfg.TimeLimit
	}
	lim := *dst
	for i := range d.args {
		a := d.arg(i)
		if v, ok := limitValue(a, false, false); ok && !strings.Contains(a, "=") {
			lim.Soft, lim.Hard = v, HardIsSoft
			continue
		}
		if !applyLimit(a, kind, &lim) {
			l.errf(d.file, d.line(i), "%s: unable to parse limit %q (want a number, unlimited, or %s[.soft|.hard]=n)", d.kw, a, kind)
			return
		}
	}
	*dst = lim
}

// limits handles `limits <selector> <limit>...`.
func (l *loader) limits(d *dir) {
	r := LimitsRule{Selector: d.arg(0), File: d.file, Line: d.ll.line,
		Size: l.cfg.SizeLimit, Time: l.cfg.TimeLimit}
	sel := d.arg(0)
	low := strings.ToLower(sel)
	switch {
	case low == "anonymous":
		r.Anonymous = true
	case low == "users":
		r.Users = true
	case low == "*":
		r.AnyDN = true
	case strings.HasPrefix(low, "group"):
		left, right, ok := strings.Cut(sel, "=")
		parts := strings.Split(left, "/")
		if !ok || right == "" || strings.ToLower(parts[0]) != "group" || len(parts) > 3 {
			l.errf(d.file, d.line(0), "limits: bad selector %q (want group[/objectClass[/attribute]]=<dn>)", sel)
			return
		}
		g := &acl.GroupPattern{ObjectClass: "groupOfNames", Attr: "member", Style: acl.StyleBase, Raw: right}
		if len(parts) > 1 {
			g.ObjectClass = parts[1]
		}
		if len(parts) > 2 {
			g.Attr = parts[2]
		}
		if l.cfg.Schema.ObjectClass(g.ObjectClass) == nil {
			l.errf(d.file, d.line(0), "limits: undefined object class %q", g.ObjectClass)
			return
		}
		if l.cfg.Schema.AttributeType(g.Attr) == nil {
			l.errf(d.file, d.line(0), "limits: undefined attribute type %q", g.Attr)
			return
		}
		n, err := l.cfg.Schema.NormalizeDN(right)
		if err != nil {
			l.errf(d.file, d.line(0), "limits: invalid group DN %q: %v", right, err)
			return
		}
		g.Norm = n
		r.Group = g
	default:
		r.DNType, r.Style, r.Pattern = "self", acl.StyleBase, sel
		if left, right, ok := strings.Cut(sel, "="); ok && strings.HasPrefix(strings.ToLower(left), "dn") {
			r.Pattern = right
			quals := strings.Split(strings.ToLower(left), ".")
			if quals[0] != "dn" {
				l.errf(d.file, d.line(0), "limits: bad selector %q", sel)
				return
			}
			for _, q := range quals[1:] {
				switch q {
				case "self", "this":
					r.DNType = q
				case "exact", "base":
					r.Style = acl.StyleBase
				case "one", "onelevel":
					r.Style = acl.StyleOne
				case "sub", "subtree":
					r.Style = acl.StyleSub
				case "children":
					r.Style = acl.StyleChildren
				case "regex":
					r.Style = acl.StyleRegex
				case "anonymous":
					r.Anonymous = true
				default:
					l.errf(d.file, d.line(0), "limits: unknown qualifier %q in %q", q, sel)
					return
				}
			}
		}
		switch {
		case r.Anonymous:
		case r.Pattern == "*" || (r.Style == acl.StyleRegex && (r.Pattern == ".*" || r.Pattern == "^.*$")):
			r.AnyDN = true
		case r.Style == acl.StyleRegex:
			if _, err := acl.Parse([]string{"to", "dn.regex=" + r.Pattern, "by", "*"}); err != nil {
				l.errf(d.file, d.line(0), "limits: %v", err)
				return
			}
		default:
			n, err := l.cfg.Schema.NormalizeDN(r.Pattern)
			if err != nil {
				l.errf(d.file, d.line(0), "limits: invalid DN %q: %v", r.Pattern, err)
				return
			}
			r.Norm = n
		}
	}
	for i := 1; i < len(d.args); i++ {
		a := d.arg(i)
		switch {
		case applyLimit(a, "size", &r.Size):
			r.HasSize = true
		case applyLimit(a, "time", &r.Time):
			r.HasTime = true
		default:
			l.errf(d.file, d.line(i), "limits: unable to parse limit %q (want size[.soft|.hard|.unchecked]=n or time[.soft|.hard]=n)", a)
			return
		}
	}
	if l.sec == secDatabase {
		l.db.Limits = append(l.db.Limits, r)
	} else {
		l.cfg.Limits = append(l.cfg.Limits, r)
	}
}

// logLevels are the names of loglevel.
var logLevels = map[string]LogLevel{
	"trace": LogTrace, "packets": LogPackets, "args": LogArgs, "conns": LogConns,
	"ber": LogBER, "filter": LogFilter, "config": LogConfig, "acl": LogACL,
	"stats": LogStats, "stats2": LogStats2, "shell": LogShell, "parse": LogParse,
	"sync": LogSync, "none": LogNone, "any": LogAny,
}

func (l *loader) loglevel(d *dir) {
	var lv LogLevel
	for i := range d.args {
		a := d.arg(i)
		if v, ok := logLevels[strings.ToLower(a)]; ok {
			lv |= v
			continue
		}
		var n int64
		var err error
		if strings.HasPrefix(a, "0x") || strings.HasPrefix(a, "0X") {
			n, err = strconv.ParseInt(a[2:], 16, 64)
		} else {
			n, err = strconv.ParseInt(a, 10, 32)
		}
		if err != nil || n < -1 || n > 0x7fffffff {
			l.errf(d.file, d.line(i), "loglevel: unknown level %q", a)
			return
		}
		lv |= LogLevel(n)
	}
	l.cfg.LogLevel = lv
}

func (l *loader) passwordHash(d *dir) {
	var hashes []string
	for i := range d.args {
		h := d.arg(i)
		if !password.CanHash(h) {
			l.errf(d.file, d.line(i), "password-hash: unknown or unsupported scheme %q", h)
			return
		}
		hashes = append(hashes, strings.ToUpper(h))
	}
	l.cfg.PasswordHash = hashes
}

func (l *loader) cryptSalt(d *dir) {
	f := d.arg(0)
	convs := 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		if i+1 < len(f) && f[i+1] == '%' {
			i++
			continue
		}
		j := i + 1
		if j < len(f) && f[j] == '.' {
			j++
		}
		for j < len(f) && f[j] >= '0' && f[j] <= '9' {
			j++
		}
		if j >= len(f) || f[j] != 's' {
			convs = -1
			break
		}
		convs++
		i = j
	}
	if convs != 1 {
		l.errf(d.file, d.line(0), "password-crypt-salt-format: %q must hold exactly one %%s (or %%.Ns) conversion", f)
		return
	}
	l.cfg.PasswordCryptSaltFormat = f
}

// setArgs parses keyword lists (allow, disallow, require).
func (l *loader) setArgs(d *dir, valid []string) (Set, bool) {
	var out Set
	for i := range d.args {
		a := strings.ToLower(d.arg(i))
		ok := false
		for _, v := range valid {
			if strings.EqualFold(v, a) {
				ok = true
				break
			}
		}
		if !ok {
			l.errf(d.file, d.line(i), "%s: unknown feature %q (want %s)", d.kw, d.arg(i), strings.Join(valid, ", "))
			return nil, false
		}
		if a == "none" {
			if i != 0 {
				l.errf(d.file, d.line(i), "%s: none must come first", d.kw)
				return nil, false
			}
			continue
		}
		out = append(out, a)
	}
	return out, true
}

func (l *loader) allow(d *dir) {
	if s, ok := l.setArgs(d, []string{"none", "bind_v2", "bind_anon_cred", "bind_anon_dn", "update_anon", "proxy_authz_anon"}); ok {
		l.cfg.Allow = s
	}
}

func (l *loader) disallow(d *dir) {
	if s, ok := l.setArgs(d, []string{"none", "bind_anon", "bind_simple", "tls_2_anon", "tls_authc", "proxy_authz_non_critical", "dontusecopy_non_critical"}); ok {
		l.cfg.Disallow = s
	}
}

func (l *loader) require(d *dir) {
	s, ok := l.setArgs(d, []string{"none", "bind", "LDAPv3", "authc", "SASL", "strong"})
	if !ok {
		return
	}
	if l.sec == secDatabase {
		l.db.Require = s
	} else {
		l.cfg.Require = s
	}
}

func (l *loader) security(d *dir) {
	var sec Security
	for i := range d.args {
		left, right, ok := strings.Cut(d.arg(i), "=")
		n, err := strconv.Atoi(right)
		if !ok || err != nil || n < 0 {
			l.errf(d.file, d.line(i), "security: bad factor %q (want name=n, e.g. ssf=128)", d.arg(i))
			return
		}
		var dst *int
		switch strings.ToLower(left) {
		case "ssf":
			dst = &sec.SSF
		case "transport":
			dst = &sec.Transport
		case "tls":
			dst = &sec.TLS
		case "sasl":
			dst = &sec.SASL
		case "update_ssf":
			dst = &sec.UpdateSSF
		case "update_transport":
			dst = &sec.UpdateTransport
		case "update_tls":
			dst = &sec.UpdateTLS
		case "update_sasl":
			dst = &sec.UpdateSASL
		case "simple_bind":
			dst = &sec.SimpleBind
		default:
			l.errf(d.file, d.line(i), "security: unknown factor %q (want ssf, transport, tls, sasl, update_ssf, update_transport, update_tls, update_sasl, simple_bind)", left)
			return
		}
		*dst = n
	}
	if l.sec == secDatabase {
		l.db.Security = sec
	} else {
		l.cfg.Security = sec
	}
}

func (l *loader) schemacheck(d *dir) {
	switch strings.ToLower(d.arg(0)) {
	case "on":
		l.notef(d.file, d.ll.line, "schemacheck on: not needed, hostdir always checks the schema")
	case "off":
		l.errf(d.file, d.line(0), "schemacheck off is not supported: hostdir always checks the schema")
	default:
		l.errf(d.file, d.line(0), "schemacheck: want on, got %q", d.arg(0))
	}
}

func (l *loader) checkpoint(d *dir) {
	var cp Checkpoint
	if l.intArg(d, 0, 0, &cp.KBytes) && l.intArg(d, 1, 0, &cp.Minutes) {
		l.db.Checkpoint = cp
	}
}

func (l *loader) cachesize(d *dir) {
	if l.intArg(d, 0, 0, &l.db.CacheSize) {
		l.notef(d.file, d.ll.line, "cachesize: not needed, hostdir's store has no entry cache to size")
	}
}

func (l *loader) maxsize(d *dir) {
	n, err := strconv.ParseInt(d.arg(0), 10, 64)
	if err != nil || n < 0 {
		l.errf(d.file, d.line(0), "maxsize: %q is not a size in bytes", d.arg(0))
		return
	}
	l.db.MaxSize = n
}

// mode parses an octal file mode (0600 or 600).
func (l *loader) mode(d *dir) {
	n, err := strconv.ParseUint(d.arg(0), 8, 32)
	if err != nil || n > 0o777 {
		l.errf(d.file, d.line(0), "mode: %q is not an octal file mode like 0600", d.arg(0))
		return
	}
	l.db.Mode = os.FileMode(n)
}

func (l *loader) tlsProtocolMin(d *dir) {
	v := d.arg(0)
	major, minor, _ := strings.Cut(v, ".")
	if _, err := strconv.ParseUint(major, 10, 8); err != nil {
		l.errf(d.file, d.line(0), "TLSProtocolMin: %q is not <major>[.<minor>]", v)
		return
	}
	if minor != "" {
		if _, err := strconv.ParseUint(minor, 10, 8); err != nil {
			l.errf(d.file, d.line(0), "TLSProtocolMin: %q is not <major>[.<minor>]", v)
			return
		}
	}
	l.cfg.TLS.ProtocolMin = v
}

func (l *loader) tlsVerifyClient(d *dir) {
	switch v := strings.ToLower(d.arg(0)); v {
	case "never", "allow", "try", "demand":
		l.cfg.TLS.VerifyClient = v
	case "hard", "true":
		l.cfg.TLS.VerifyClient = "demand"
	default:
		l.errf(d.file, d.line(0), "TLSVerifyClient: want never, allow, try or demand, got %q", d.arg(0))
	}
}

func (l *loader) tlsCRLCheck(d *dir) {
	switch v := strings.ToLower(d.arg(0)); v {
	case "none", "peer", "all":
		l.cfg.TLS.CRLCheck = v
	default:
		l.errf(d.file, d.line(0), "TLSCRLCheck: want none, peer or all, got %q", d.arg(0))
	}
}

// authzRegexp is authz-regexp (sasl-regexp) <match> <replace>. Like slapd
// it may appear anywhere (inside a database section too) and applies to
// the whole server.
func (l *loader) authzRegexp(d *dir) {
	switch {
	case len(d.args) < 2:
		l.errf(d.file, d.ll.line, "%s: missing <regexp> <DN> argument (want %s <match> <replace>)", d.kw, d.kw)
		return
	case len(d.args) > 2:
		l.errf(d.file, d.line(2), "%s: extra argument %q after <regexp> <DN>", d.kw, d.arg(2))
		return
	}
	re, err := regexp.Compile("(?i)" + d.arg(0))
	if err != nil {
		l.errf(d.file, d.line(0), "%s: bad regular expression %q: %s", d.kw, d.arg(0), strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		return
	}
	re.Longest()
	l.cfg.AuthzRegexps = append(l.cfg.AuthzRegexps, AuthzRegexp{
		Match: d.arg(0), Replace: d.arg(1), Regexp: re, File: d.file, Line: d.ll.line})
}
