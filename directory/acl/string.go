package acl

import (
	"strconv"
	"strings"
)

// quote returns s as one slapd.conf token: in double quotes, with " and \
// escaped by a backslash (the lexer removes one level of backslashes).
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// String prints the rule in OpenLDAP 2.5 syntax, on one line, with explicit
// styles (dn.regex=, group/...expand=): the form hostdir reads the same way
// as slapd 2.5 does.
func (r *Rule) String() string {
	var b strings.Builder
	b.WriteString("access to ")
	b.WriteString(r.What.String())
	for _, c := range r.By {
		b.WriteString(" by ")
		b.WriteString(c.String())
	}
	return b.String()
}

// String prints the <what> field.
func (w What) String() string {
	var parts []string
	if w.DN != nil {
		parts = append(parts, w.DN.String("dn"))
	}
	if w.Filter != "" {
		parts = append(parts, "filter="+quote(w.Filter))
	}
	if w.Attrs != nil {
		names := make([]string, len(w.Attrs))
		for i, a := range w.Attrs {
			names[i] = a.String()
		}
		parts = append(parts, "attrs="+strings.Join(names, ","))
	}
	if v := w.Val; v != nil {
		s := "val"
		if v.MatchingRule != "" {
			s += "/" + v.MatchingRule
		}
		if v.Style == StyleBase {
			s += ".exact"
		} else {
			s += "." + v.Style.String()
		}
		parts = append(parts, s+"="+quote(v.Raw))
	}
	if len(parts) == 0 {
		return "*"
	}
	return strings.Join(parts, " ")
}

// String prints the member as written, with @ or ! for classes.
func (a AttrSpec) String() string {
	name := a.Name
	if a.Canon != "" {
		name = a.Canon
	}
	switch a.Kind {
	case AttrClass:
		return "@" + name
	case AttrNotClass:
		return "!" + name
	}
	return name
}

// String prints the pattern with the given keyword (dn or realdn).
func (d *DNPattern) String(key string) string {
	if d.All {
		return key + ".regex=" + quote(".*")
	}
	s := key + "." + d.Style.String()
	if d.Style == StyleLevel {
		s = key + ".level{" + strconv.Itoa(d.Level) + "}"
	}
	if d.Expand && d.Style != StyleRegex {
		s += ",expand"
	}
	return s + "=" + quote(d.Raw)
}

// String prints the clause without its leading "by".
func (c Clause) String() string {
	return c.Who.String() + " " + c.Access.String() + " " + c.Control.String()
}

// String prints the <who> field.
func (w Who) String() string {
	var parts []string
	add := func(s string) { parts = append(parts, s) }
	if w.Any {
		add("*")
	}
	if w.Anonymous {
		add("anonymous")
	}
	if w.Users {
		add("users")
	}
	if w.Self {
		if w.HasSelfLevel {
			add("self.level{" + strconv.Itoa(w.SelfLevel) + "}")
		} else {
			add("self")
		}
	}
	if w.RealAnonymous {
		add("realanonymous")
	}
	if w.RealUsers {
		add("realusers")
	}
	if w.RealSelf {
		if w.HasSelfLevel && !w.Self {
			add("realself.level{" + strconv.Itoa(w.SelfLevel) + "}")
		} else {
			add("realself")
		}
	}
	if w.DN != nil {
		add(w.DN.String("dn"))
	}
	if w.RealDN != nil {
		add(w.RealDN.String("realdn"))
	}
	if w.DNAttr != "" {
		add("dnattr=" + w.DNAttr)
	}
	if w.RealDNAttr != "" {
		add("realdnattr=" + w.RealDNAttr)
	}
	if g := w.Group; g != nil {
		style := "exact"
		if g.Style == StyleExpand {
			style = "expand"
		}
		add("group/" + g.ObjectClass + "/" + g.Attr + "." + style + "=" + quote(g.Raw))
	}
	for _, sp := range []struct {
		key string
		p   *StrPattern
	}{{"peername", w.PeerName}, {"sockname", w.SockName}, {"domain", w.Domain}, {"sockurl", w.SockURL}} {
		if sp.p == nil {
			continue
		}
		style := sp.p.Style.String()
		if sp.p.Style == StyleBase {
			style = "exact"
		}
		mod := ""
		if sp.p.Expand && sp.p.Style != StyleRegex {
			if sp.key == "domain" {
				mod = ",expand"
			} else {
				style = "expand"
			}
		}
		add(sp.key + "." + style + mod + "=" + quote(sp.p.Raw))
	}
	for _, s := range []struct {
		key string
		n   uint
	}{{"ssf", w.SSF}, {"transport_ssf", w.TransportSSF}, {"tls_ssf", w.TLSSSF}, {"sasl_ssf", w.SASLSSF}} {
		if s.n != 0 {
			add(s.key + "=" + strconv.FormatUint(uint64(s.n), 10))
		}
	}
	return strings.Join(parts, " ")
}
