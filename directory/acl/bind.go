package acl

import (
	"fmt"
	"strings"
)

// Bind resolves the rule against a schema: it normalizes the DNs of
// non-regex, non-expanded patterns (setting the Norm fields), checks that
// the attribute types and object classes it names exist (setting
// AttrSpec.Canon and replacing group and dnattr names by the schema's
// names), and that attributes used as DNs have DN syntax. It returns every
// problem found, each a *SyntaxError naming its token.
func (r *Rule) Bind(res Resolver) []error {
	var errs []error
	bad := func(arg int, format string, a ...any) {
		errs = append(errs, &SyntaxError{Arg: arg, Msg: fmt.Sprintf(format, a...)})
	}
	normDN := func(d *DNPattern, where string) {
		if d == nil || d.All || d.Style == StyleRegex || d.Expand {
			return
		}
		n, err := res.NormalizeDN(d.Raw)
		if err != nil {
			bad(d.Arg, "access: bad DN %q in %s: %v", d.Raw, where, err)
			return
		}
		d.Norm = n
	}
	attr := func(name string, arg int, needDN bool, where string) (string, bool) {
		base, opts, _ := strings.Cut(name, ";")
		canon, isDN, ok := res.AttributeType(base)
		if !ok {
			bad(arg, "access: undefined attribute type %q in %s", base, where)
			return name, false
		}
		if needDN && !isDN {
			bad(arg, "access: attribute %q in %s must have DN syntax", base, where)
			return canon, false
		}
		if opts != "" {
			canon += ";" + opts
		}
		return canon, true
	}

	w := &r.What
	normDN(w.DN, "to clause")
	for i := range w.Attrs {
		a := &w.Attrs[i]
		switch a.Kind {
		case AttrEntry:
			a.Canon = "entry"
		case AttrChildren:
			a.Canon = "children"
		case AttrType:
			base, opts, _ := strings.Cut(a.Name, ";")
			if canon, _, ok := res.AttributeType(base); ok {
				if opts != "" {
					canon += ";" + opts
				}
				a.Canon = canon
			} else if oc, ok := res.ObjectClass(a.Name); ok {
				// slapd treats a class name in attrs= like @class.
				a.Kind, a.Canon = AttrClass, oc
			} else {
				bad(a.Arg, "access: undefined attribute type or object class %q in attrs", a.Name)
			}
		case AttrClass, AttrNotClass:
			if oc, ok := res.ObjectClass(a.Name); ok {
				a.Canon = oc
			} else {
				bad(a.Arg, "access: undefined object class %q in attrs", a.Name)
			}
		}
	}
	if v := w.Val; v != nil && len(w.Attrs) == 1 && w.Attrs[0].Kind == AttrType {
		base, _, _ := strings.Cut(w.Attrs[0].Name, ";")
		if _, isDN, ok := res.AttributeType(base); ok {
			switch v.Style {
			case StyleOne, StyleSub, StyleChildren:
				if !isDN {
					bad(v.Arg, "access: val.%s needs an attribute with DN syntax, %q has none", v.Style, base)
					break
				}
				fallthrough
			case StyleBase:
				if isDN && v.MatchingRule == "" {
					n, err := res.NormalizeDN(v.Raw)
					if err != nil {
						bad(v.Arg, "access: bad DN %q in val: %v", v.Raw, err)
					} else {
						v.Norm = n
					}
				}
			}
		}
	}
	for i := range r.By {
		who := &r.By[i].Who
		normDN(who.DN, "by clause")
		normDN(who.RealDN, "by clause")
		if who.DNAttr != "" {
			who.DNAttr, _ = attr(who.DNAttr, r.By[i].Arg, true, "dnattr")
		}
		if who.RealDNAttr != "" {
			who.RealDNAttr, _ = attr(who.RealDNAttr, r.By[i].Arg, true, "realdnattr")
		}
		if g := who.Group; g != nil {
			if oc, ok := res.ObjectClass(g.ObjectClass); ok {
				g.ObjectClass = oc
			} else {
				bad(g.Arg, "access: undefined object class %q in group", g.ObjectClass)
			}
			g.Attr, _ = attr(g.Attr, g.Arg, true, "group")
			if g.Style == StyleBase {
				n, err := res.NormalizeDN(g.Raw)
				if err != nil {
					bad(g.Arg, "access: bad group DN %q: %v", g.Raw, err)
				} else {
					g.Norm = n
				}
			}
		}
	}
	return errs
}
