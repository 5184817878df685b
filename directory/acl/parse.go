package acl

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// regexMeta are the characters whose presence makes a bare dn= pattern a
// regular expression (OpenLDAP 2.0 reading); see the package documentation.
const regexMeta = "*+?()[]{}|^$"

// Parse parses the arguments of an access directive, i.e. the tokens
// after the word "access" as the slapd.conf lexer produced them:
// "to", the <what> field, then one or more "by" clauses. Errors are
// *SyntaxError naming the offending token.
func Parse(args []string) (*Rule, error) {
	p := &parser{args: args}
	return p.parse()
}

type parser struct {
	args []string
	i    int
	rule Rule
}

func (p *parser) errf(arg int, format string, a ...any) error {
	return &SyntaxError{Arg: arg, Msg: fmt.Sprintf(format, a...)}
}

func (p *parser) warnf(format string, a ...any) {
	p.rule.Warnings = append(p.rule.Warnings, fmt.Sprintf(format, a...))
}

func (p *parser) parse() (*Rule, error) {
	if len(p.args) == 0 || !strings.EqualFold(p.args[0], "to") {
		return nil, p.errf(0, `access: expected "to" <what> [by <who> [<access>] [<control>]]+`)
	}
	p.i = 1
	if err := p.parseWhat(); err != nil {
		return nil, err
	}
	if p.i >= len(p.args) {
		return nil, p.errf(-1, "access: no by clause in access directive (add e.g. `by * read`)")
	}
	for p.i < len(p.args) {
		if !strings.EqualFold(p.args[p.i], "by") {
			return nil, p.errf(p.i, "access: expected \"by\", found %q", p.args[p.i])
		}
		c, err := p.parseClause()
		if err != nil {
			return nil, err
		}
		p.rule.By = append(p.rule.By, c)
	}
	r := p.rule
	return &r, nil
}

// splitKey splits "left=right" at the first '='; ok is false without '='.
func splitKey(tok string) (left, right string, ok bool) {
	i := strings.IndexByte(tok, '=')
	if i < 0 {
		return tok, "", false
	}
	return tok[:i], tok[i+1:], true
}

// splitStyle splits "key.style,modifier" into its parts (lower-cased key
// and style; the modifier as written).
func splitStyle(left string) (key, style, modifier string) {
	key = left
	if i := strings.IndexByte(left, '.'); i >= 0 {
		key, style = left[:i], left[i+1:]
		if j := strings.IndexByte(style, ','); j >= 0 {
			style, modifier = style[:j], style[j+1:]
		}
	}
	return strings.ToLower(key), strings.ToLower(style), strings.ToLower(modifier)
}

// isAllPattern reports whether a regex pattern matches every DN.
func isAllPattern(s string) bool {
	switch s {
	case "*", ".*", ".*$", "^.*", "^.*$", ".*$$", "^.*$$":
		return true
	}
	return false
}

// normalizeDNRegex removes whitespace after unescaped commas outside
// bracket expressions, as slapd normalizes DN regexes.
func normalizeDNRegex(s string) string {
	if !strings.Contains(s, ", ") {
		return s
	}
	var b strings.Builder
	inBracket := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		b.WriteByte(c)
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '[':
			inBracket = true
		case c == ']':
			inBracket = false
		case c == ',' && !inBracket:
			for i+1 < len(s) && s[i+1] == ' ' {
				i++
			}
		}
	}
	return b.String()
}

// compileRegex compiles a slapd regex: case-insensitive, leftmost-longest,
// unanchored.
func compileRegex(pat string) (*regexp.Regexp, error) {
	re, err := regexp.Compile("(?i)" + pat)
	if err != nil {
		return nil, fmt.Errorf("bad regular expression %q: %s", pat, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	re.Longest()
	return re, nil
}

// dnStyle maps a style name of a dn clause to its Style; level is the n of
// level{n}.
func dnStyle(name string) (s Style, level int, ok bool) {
	switch name {
	case "base", "baseobject", "exact":
		return StyleBase, 0, true
	case "one", "onelevel":
		return StyleOne, 0, true
	case "sub", "subtree":
		return StyleSub, 0, true
	case "children":
		return StyleChildren, 0, true
	case "regex":
		return StyleRegex, 0, true
	}
	if strings.HasPrefix(name, "level{") && strings.HasSuffix(name, "}") {
		n, err := strconv.Atoi(name[len("level{") : len(name)-1])
		if err == nil && n >= 0 {
			return StyleLevel, n, true
		}
	}
	return 0, 0, false
}

func (p *parser) parseWhat() error {
	w := &p.rule.What
	start := p.i
	dnSet := false
	for ; p.i < len(p.args) && !strings.EqualFold(p.args[p.i], "by"); p.i++ {
		tok := p.args[p.i]
		if tok == "*" {
			if dnSet {
				return p.errf(p.i, "access to: dn pattern already specified")
			}
			dnSet = true
			continue
		}
		left, right, ok := splitKey(tok)
		if !ok {
			return p.errf(p.i, "access to: unknown <what> %q (want *, dn[.style]=, filter=, attrs=, val=)", tok)
		}
		key, style, mod := splitStyle(left)
		switch {
		case key == "dn":
			if dnSet {
				return p.errf(p.i, "access to: dn pattern already specified")
			}
			dnSet = true
			if mod != "" {
				return p.errf(p.i, "access to: modifier %q not allowed in <what> dn", mod)
			}
			d, err := p.whatDN(left, style, right)
			if err != nil {
				return err
			}
			w.DN = d
		case key == "filter" && style == "":
			if w.Filter != "" {
				return p.errf(p.i, "access to: filter already specified")
			}
			f := strings.TrimSpace(right)
			if f == "" {
				return p.errf(p.i, "access to: empty filter")
			}
			if !strings.HasPrefix(f, "(") {
				f = "(" + f + ")"
			}
			if _, err := ldap.CompileFilter(f); err != nil {
				return p.errf(p.i, "access to: bad filter %q: %v", right, filterErrText(err))
			}
			w.Filter = f
		case (key == "attrs" || key == "attr") && style == "":
			if w.Attrs != nil {
				return p.errf(p.i, "access to: attrs already specified")
			}
			if key == "attr" {
				p.warnf(`"attr" is deprecated; use "attrs"`)
			}
			attrs, err := p.attrList(right)
			if err != nil {
				return err
			}
			w.Attrs = attrs
		case strings.HasPrefix(strings.ToLower(left), "val"):
			if w.Val != nil {
				return p.errf(p.i, "access to: val already specified")
			}
			v, err := p.valPattern(left, right)
			if err != nil {
				return err
			}
			w.Val = v
		default:
			return p.errf(p.i, "access to: unknown <what> %q (want *, dn[.style]=, filter=, attrs=, val=)", left)
		}
	}
	if p.i == start {
		return p.errf(start, "access to: missing <what>")
	}
	if w.Val != nil {
		if len(w.Attrs) != 1 || w.Attrs[0].Kind != AttrType {
			return p.errf(w.Val.Arg, "access to: val requires attrs= with a single attribute")
		}
	}
	if w.DN != nil && w.DN.All {
		w.DN = nil
	}
	return nil
}

func (p *parser) whatDN(left, style, right string) (*DNPattern, error) {
	d := &DNPattern{Raw: right, Arg: p.i}
	if style == "" {
		// Bare dn=: see the package documentation.
		switch {
		case isAllPattern(right):
			d.All = true
			return d, nil
		case strings.ContainsAny(right, regexMeta):
			d.Style = StyleRegex
			d.Legacy = true
			p.warnf(`%s=%q without a style: read as dn.regex (OpenLDAP 2.0); OpenLDAP 2.1+ reads it as dn.base, write dn.regex= to say so`, left, right)
		default:
			d.Style = StyleBase
			d.Legacy = true
		}
	} else {
		s, _, ok := dnStyle(style)
		if !ok || s == StyleLevel {
			return nil, p.errf(p.i, "access to: unknown dn style %q (want base, exact, one, onelevel, sub, subtree, children, regex)", style)
		}
		d.Style = s
	}
	if d.Style == StyleRegex {
		if right == "" {
			// An empty regex matches the empty DN only (as slapd reads it).
			d.Style = StyleBase
			return d, nil
		}
		if isAllPattern(right) {
			d.All = true
			return d, nil
		}
		d.Raw = normalizeDNRegex(right)
		re, err := compileRegex(d.Raw)
		if err != nil {
			return nil, p.errf(p.i, "access to: %v", err)
		}
		d.Regex = re
	}
	return d, nil
}

// validAttrName reports whether s looks like an attribute description:
// a name or OID with options (letters, digits, '-', '.', ';', '_').
func validAttrName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == ';' || c == '_') {
			return false
		}
	}
	return true
}

func (p *parser) attrList(s string) ([]AttrSpec, error) {
	if s == "" {
		return nil, p.errf(p.i, "access to: empty attrs list")
	}
	var out []AttrSpec
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		a := AttrSpec{Name: name, Arg: p.i}
		switch {
		case strings.EqualFold(name, "entry"):
			a.Kind = AttrEntry
		case strings.EqualFold(name, "children"):
			a.Kind = AttrChildren
		case strings.HasPrefix(name, "@"):
			a.Kind, a.Name = AttrClass, name[1:]
		case strings.HasPrefix(name, "!"):
			a.Kind, a.Name = AttrNotClass, name[1:]
		default:
			a.Kind = AttrType
		}
		if !validAttrName(a.Name) {
			return nil, p.errf(p.i, "access to: bad attribute name %q in attrs", name)
		}
		out = append(out, a)
	}
	return out, nil
}

func (p *parser) valPattern(left, right string) (*ValPattern, error) {
	v := &ValPattern{Raw: right, Arg: p.i}
	rest := left[len("val"):]
	if strings.HasPrefix(rest, "/") {
		rest = rest[1:]
		// A matching rule OID contains dots too: only a known style
		// name after the last dot is a style.
		mr := rest
		rest = ""
		if j := strings.LastIndexByte(mr, '.'); j >= 0 {
			if _, _, ok := dnStyle(strings.ToLower(mr[j+1:])); ok {
				mr, rest = mr[:j], mr[j:]
			}
		}
		if !validAttrName(mr) {
			return nil, p.errf(p.i, "access to: bad matching rule %q in val", mr)
		}
		v.MatchingRule = mr
	}
	switch {
	case rest == "":
		v.Style = StyleBase
	case strings.HasPrefix(rest, "."):
		s, _, ok := dnStyle(strings.ToLower(rest[1:]))
		if !ok || s == StyleLevel {
			return nil, p.errf(p.i, "access to: unknown val style %q (want exact, base, regex, one, sub, children)", rest[1:])
		}
		v.Style = s
	default:
		return nil, p.errf(p.i, "access to: unknown <what> %q", left)
	}
	if v.Style == StyleRegex {
		re, err := compileRegex(right)
		if err != nil {
			return nil, p.errf(p.i, "access to: val: %v", err)
		}
		v.Regex = re
	}
	return v, nil
}

// filterErrText shortens go-ldap's filter errors.
func filterErrText(err error) string {
	if le, ok := err.(*ldap.Error); ok && le.Err != nil {
		return le.Err.Error()
	}
	return err.Error()
}

// parseClause parses "by <who>... [<access>] [<control>]" at p.i.
func (p *parser) parseClause() (Clause, error) {
	c := Clause{Arg: p.i}
	p.i++
	n := 0
	for ; p.i < len(p.args); p.i++ {
		ok, err := p.whoToken(&c.Who, p.args[p.i])
		if err != nil {
			return c, err
		}
		if !ok {
			break
		}
		n++
	}
	if n == 0 {
		if p.i >= len(p.args) {
			return c, p.errf(c.Arg, "access: missing <who> after \"by\"")
		}
		return c, p.errf(p.i, "access: unknown <who> %q (want *, anonymous, users, self, dn=, dnattr=, group=, peername=, sockname=, domain=, sockurl=, ssf=...)", p.args[p.i])
	}
	// Default access: +0 (no privileges), stop.
	c.Access = Grant{Op: OpAdd}
	if p.i < len(p.args) && !strings.EqualFold(p.args[p.i], "by") {
		if _, isCtl := control(p.args[p.i]); !isCtl {
			g, ok, err := parseGrant(p.args[p.i])
			if err != nil {
				return c, p.errf(p.i, "access: %v", err)
			}
			if !ok {
				return c, p.errf(p.i, "access: unknown access %q (want a level none, disclose, auth, compare, search, read, add, delete, write, manage, or =/+/- privileges)", p.args[p.i])
			}
			c.Access = g
			p.i++
		}
	}
	if p.i < len(p.args) && !strings.EqualFold(p.args[p.i], "by") {
		ctl, ok := control(p.args[p.i])
		if !ok {
			return c, p.errf(p.i, "access: unexpected %q after access (want stop, continue, break or by)", p.args[p.i])
		}
		c.Control = ctl
		p.i++
	}
	return c, nil
}

func control(s string) (Control, bool) {
	switch strings.ToLower(s) {
	case "stop":
		return Stop, true
	case "continue":
		return Continue, true
	case "break":
		return Break, true
	}
	return Stop, false
}

// whoToken parses one <who> token into w. ok is false when tok is not a
// <who> token (it may be the access field).
func (p *parser) whoToken(w *Who, tok string) (bool, error) {
	low := strings.ToLower(tok)
	switch low {
	case "*":
		w.Any = true
		return true, nil
	case "anonymous":
		w.Anonymous = true
		return true, nil
	case "users":
		w.Users = true
		return true, nil
	case "self":
		w.Self = true
		return true, nil
	case "realanonymous":
		w.RealAnonymous = true
		return true, nil
	case "realusers":
		w.RealUsers = true
		return true, nil
	case "realself":
		w.RealSelf = true
		return true, nil
	}
	left, right, hasEq := splitKey(tok)
	key, style, mod := splitStyle(left)
	if key == "self" || key == "realself" {
		if hasEq {
			return false, p.errf(p.i, "access: %q takes no value", left)
		}
		s, n, ok := dnStyle(style)
		if strings.HasPrefix(style, "level{-") && strings.HasSuffix(style, "}") {
			// self.level{-n}: the n-th ancestor of the target (slapd.access(5)).
			if v, err := strconv.Atoi(style[len("level{") : len(style)-1]); err == nil {
				s, n, ok = StyleLevel, v, true
			}
		}
		if !ok || s != StyleLevel || mod != "" {
			// Not a who token: selfwrite etc. are access fields.
			return false, nil
		}
		if key == "self" {
			w.Self = true
		} else {
			w.RealSelf = true
		}
		w.SelfLevel, w.HasSelfLevel = n, true
		return true, nil
	}
	if strings.HasPrefix(key, "group") && (key == "group" || key[len("group")] == '/') {
		if !hasEq || right == "" {
			return false, p.errf(p.i, "access: missing value after %q in by clause%s", left+"=", joinHint(tok))
		}
		return true, p.group(w, left, right)
	}
	if strings.HasPrefix(low, "dynacl/") || key == "set" {
		return false, p.errf(p.i, "access: %q is not supported by hostdir", left)
	}
	switch key {
	case "dn", "realdn", "dnattr", "realdnattr", "peername", "sockname", "domain", "sockurl",
		"ssf", "transport_ssf", "tls_ssf", "sasl_ssf":
	default:
		return false, nil
	}
	if !hasEq {
		return false, p.errf(p.i, "access: missing \"=\" after %q in by clause", left)
	}
	if right == "" && key != "dn" && key != "realdn" {
		return false, p.errf(p.i, "access: missing value after %q in by clause%s", left+"=", joinHint(tok))
	}
	switch key {
	case "dn", "realdn":
		d, err := p.whoDN(left, style, mod, right)
		if err != nil {
			return false, err
		}
		target := &w.DN
		if key == "realdn" {
			target = &w.RealDN
		}
		if *target != nil {
			return false, p.errf(p.i, "access: %s pattern already specified in by clause", key)
		}
		*target = d
	case "dnattr", "realdnattr":
		if style != "" {
			return false, p.errf(p.i, "access: %s takes no style", key)
		}
		if !validAttrName(right) {
			return false, p.errf(p.i, "access: bad attribute name %q in %s", right, key)
		}
		if key == "dnattr" {
			w.DNAttr = right
		} else {
			w.RealDNAttr = right
		}
	case "ssf", "transport_ssf", "tls_ssf", "sasl_ssf":
		if style != "" {
			return false, p.errf(p.i, "access: %s takes no style", key)
		}
		n, err := strconv.ParseUint(right, 10, 32)
		if err != nil || n == 0 {
			return false, p.errf(p.i, "access: %s=%q: want a positive integer", key, right)
		}
		switch key {
		case "ssf":
			w.SSF = uint(n)
		case "transport_ssf":
			w.TransportSSF = uint(n)
		case "tls_ssf":
			w.TLSSSF = uint(n)
		default:
			w.SASLSSF = uint(n)
		}
	default:
		sp, err := p.strPattern(key, style, mod, right)
		if err != nil {
			return false, err
		}
		var target **StrPattern
		switch key {
		case "peername":
			target = &w.PeerName
		case "sockname":
			target = &w.SockName
		case "domain":
			target = &w.Domain
		default:
			target = &w.SockURL
		}
		if *target != nil {
			return false, p.errf(p.i, "access: %s already specified in by clause", key)
		}
		*target = sp
	}
	return true, nil
}

// joinHint explains the HOWTO's printed line break after "=\".
func joinHint(tok string) string {
	if strings.HasSuffix(tok, "=") {
		return ` (the value must follow "=" in the same token: if a line ends with "=\", join it with the next line)`
	}
	return ""
}

func (p *parser) whoDN(left, style, mod, right string) (*DNPattern, error) {
	d := &DNPattern{Raw: right, Arg: p.i}
	switch mod {
	case "":
	case "expand":
		d.Expand = true
	default:
		return nil, p.errf(p.i, "access: unknown modifier %q in %s (want expand)", mod, left)
	}
	switch {
	case style == "":
		switch {
		case isAllPattern(right):
			d.Style, d.All = StyleRegex, true
			return d, nil
		case strings.ContainsAny(right, regexMeta):
			d.Style, d.Legacy = StyleRegex, true
			p.warnf(`by %s=%q without a style: read as dn.regex (OpenLDAP 2.0); OpenLDAP 2.1+ reads it as dn.base, write dn.regex= to say so`, left, right)
		default:
			d.Style, d.Legacy = StyleBase, true
		}
	case style == "expand":
		d.Style, d.Expand = StyleBase, true
	case style == "anonymous":
		return nil, p.errf(p.i, "access: dn style %q is for limits, not access", style)
	default:
		s, n, ok := dnStyle(style)
		if !ok {
			return nil, p.errf(p.i, "access: unknown dn style %q in by clause (want base, exact, one, sub, children, level{n}, regex, expand)", style)
		}
		d.Style, d.Level = s, n
	}
	if d.Style == StyleRegex {
		if d.Expand {
			return nil, p.errf(p.i, "access: dn.regex always expands: drop \",expand\"")
		}
		if isAllPattern(right) {
			d.All = true
			return d, nil
		}
		d.Expand = true
		d.Raw = normalizeDNRegex(right)
	}
	t, err := parseTemplate(d.Raw)
	if err != nil {
		return nil, p.errf(p.i, "access: %v", err)
	}
	d.Template = t
	if d.Style == StyleRegex {
		if !t.HasRefs() {
			d.Expand = false
			re, err := compileRegex(t.literal(""))
			if err != nil {
				return nil, p.errf(p.i, "access: %v", err)
			}
			d.Regex = re
		} else if _, err := compileRegex(t.literal("x")); err != nil {
			return nil, p.errf(p.i, "access: %v", err)
		}
	}
	return d, nil
}

func (p *parser) group(w *Who, left, right string) error {
	if w.Group != nil {
		return p.errf(p.i, "access: group pattern already specified in by clause")
	}
	g := &GroupPattern{ObjectClass: "groupOfNames", Attr: "member", Raw: right, Arg: p.i}
	spec := left
	style := ""
	if i := strings.IndexByte(left, '.'); i >= 0 {
		spec, style = left[:i], strings.ToLower(left[i+1:])
	}
	parts := strings.Split(spec, "/")
	if len(parts) > 3 {
		return p.errf(p.i, "access: %q: want group[/objectClass[/attribute]]", spec)
	}
	if len(parts) > 1 {
		if !validAttrName(parts[1]) {
			return p.errf(p.i, "access: bad object class %q in %s", parts[1], spec)
		}
		g.ObjectClass = parts[1]
	}
	if len(parts) > 2 {
		if !validAttrName(parts[2]) {
			return p.errf(p.i, "access: bad attribute %q in %s", parts[2], spec)
		}
		g.Attr = parts[2]
	}
	t, err := parseTemplate(right)
	if err != nil {
		return p.errf(p.i, "access: %v", err)
	}
	g.Template = t
	switch style {
	case "":
		if t.HasRefs() {
			g.Style, g.Legacy = StyleExpand, true
			p.warnf(`%s=%q without a style: $n expanded as OpenLDAP 2.0 did; OpenLDAP 2.5 matches it literally, write %s.expand= to say so`, left, right, spec)
		} else {
			g.Style = StyleBase
		}
	case "exact", "base", "baseobject":
		g.Style = StyleBase
	case "expand":
		g.Style = StyleExpand
	case "regex":
		g.Style = StyleExpand
		p.warnf(`deprecated group style "regex"; use "expand"`)
	default:
		return p.errf(p.i, "access: inappropriate style %q in %s (want exact or expand)", style, spec)
	}
	w.Group = g
	return nil
}

func (p *parser) strPattern(key, style, mod, right string) (*StrPattern, error) {
	sp := &StrPattern{Raw: right, Arg: p.i}
	switch mod {
	case "":
	case "expand":
		if key == "peername" || key == "sockname" || key == "sockurl" {
			return nil, p.errf(p.i, "access: modifier %q not allowed in %s (use the expand style)", mod, key)
		}
		sp.Expand = true
	default:
		return nil, p.errf(p.i, "access: unknown modifier %q in %s (want expand)", mod, key)
	}
	switch style {
	case "", "exact", "base", "baseobject":
		sp.Style = StyleBase
	case "regex":
		sp.Style = StyleRegex
	case "expand":
		sp.Style, sp.Expand = StyleBase, true
	case "sub", "subtree":
		if key != "domain" {
			return nil, p.errf(p.i, "access: style %q is only for domain", style)
		}
		sp.Style = StyleSub
	case "ip", "ipv6", "path":
		if key != "peername" {
			return nil, p.errf(p.i, "access: style %q is only for peername", style)
		}
		switch style {
		case "ip":
			sp.Style = StyleIP
		case "ipv6":
			sp.Style = StyleIPv6
		default:
			sp.Style = StylePath
		}
	default:
		return nil, p.errf(p.i, "access: unknown style %q in %s", style, key)
	}
	t, err := parseTemplate(right)
	if err != nil {
		return nil, p.errf(p.i, "access: %v", err)
	}
	sp.Template = t
	switch sp.Style {
	case StyleRegex:
		sp.Expand = t.HasRefs()
		if !sp.Expand {
			re, err := compileRegex(t.literal(""))
			if err != nil {
				return nil, p.errf(p.i, "access: %s: %v", key, err)
			}
			sp.Regex = re
		} else if _, err := compileRegex(t.literal("x")); err != nil {
			return nil, p.errf(p.i, "access: %s: %v", key, err)
		}
	case StyleIP, StyleIPv6:
		n, port, err := parseIPPattern(right, sp.Style == StyleIPv6)
		if err != nil {
			return nil, p.errf(p.i, "access: peername.%s=%q: %v", style, right, err)
		}
		sp.Net, sp.Port = n, port
	}
	return sp, nil
}

// parseIPPattern parses <ip>[%<mask>][{<port>}].
func parseIPPattern(s string, v6 bool) (*net.IPNet, int, error) {
	port := 0
	if i := strings.IndexByte(s, '{'); i >= 0 {
		if !strings.HasSuffix(s, "}") {
			return nil, 0, fmt.Errorf("unterminated {port}")
		}
		n, err := strconv.Atoi(s[i+1 : len(s)-1])
		if err != nil || n <= 0 || n > 65535 {
			return nil, 0, fmt.Errorf("bad port %q", s[i+1:len(s)-1])
		}
		port = n
		s = s[:i]
	}
	addr, mask := s, ""
	if i := strings.IndexByte(s, '%'); i >= 0 {
		addr, mask = s[:i], s[i+1:]
	}
	ip := net.ParseIP(addr)
	if ip == nil || (ip.To4() != nil) == v6 {
		want := "IPv4"
		if v6 {
			want = "IPv6"
		}
		return nil, 0, fmt.Errorf("bad %s address %q", want, addr)
	}
	size := 32
	if v6 {
		size = 128
	} else {
		ip = ip.To4()
	}
	m := net.CIDRMask(size, size)
	if mask != "" {
		mip := net.ParseIP(mask)
		if mip == nil || (mip.To4() != nil) == v6 {
			return nil, 0, fmt.Errorf("bad mask %q", mask)
		}
		if !v6 {
			mip = mip.To4()
		}
		m = net.IPMask(mip)
	}
	return &net.IPNet{IP: ip.Mask(m), Mask: m}, port, nil
}
