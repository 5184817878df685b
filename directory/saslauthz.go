package directory

import (
	"errors"
	"net/url"
	"strings"

	"hostdir/directory/dn"
	"hostdir/directory/filter"
	"hostdir/directory/ldapwire"
	"hostdir/directory/store"
)

// SASL identities and authz-regexp, as slapd's saslauthz.c treats them.
//
// A SASL identity is a DN such as
// "gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth". slapd
// normalizes it, then rewrites it with the first authz-regexp rule whose
// regular expression matches the normalized text (later rules are not
// tried, even when the first one's result is unusable). The result is
// either a DN (used as it is, existing or not) or an LDAP URL
// ldap:///base??scope?filter, searched with a size limit of one: exactly
// one entry makes its DN the identity. Anything else (an invalid DN, a URL
// with a host, attributes or extensions, one without a filter, a bad
// filter, a base outside every database, no entry or several) leaves the
// identity unmapped, and the bind still succeeds with it. The identity of
// a SASL bind is the normalized DN text (whoami answers
// "dn:cn=manager,dc=example", modifiersName is that DN).

// saslIdentity is a SASL identity: slapd's normalized DN text (what
// whoami and modifiersName show) and hostdir's normalized key.
type saslIdentity struct {
	text, ndn string
}

// saslNormal returns the saslIdentity of a DN string, or false if it is
// not a valid DN.
func (s *Server) saslNormal(d string) (saslIdentity, bool) {
	if d == "" {
		return saslIdentity{}, true
	}
	pretty, ndn, err := s.schema.PrettyNormalDN(d)
	if err != nil {
		return saslIdentity{}, false
	}
	return saslIdentity{text: s.normalText(pretty), ndn: ndn}, true
}

// normalText turns a pretty DN into slapd's normalized text: the values
// of string types compared without regard to case (or to spaces) are
// written as their equality rule normalizes them; other values stay as
// given (their normalized forms are not text in hostdir).
func (s *Server) normalText(pretty string) string {
	d, err := dn.Parse(pretty)
	if err != nil {
		return pretty
	}
	var b strings.Builder
	for i, r := range d.RDNs {
		if i > 0 {
			b.WriteByte(',')
		}
		for j, a := range r {
			if j > 0 {
				b.WriteByte('+')
			}
			v := a.Value
			if at := s.schema.AttributeType(a.Type); at != nil && at.Equality != nil && at.Equality.Normalize != nil && textRule(at.Equality.Names) {
				if nv, err := at.Equality.Normalize(s.schema, []byte(v)); err == nil {
					v = string(nv)
				}
			}
			b.WriteString(a.Type)
			b.WriteByte('=')
			b.WriteString(dn.EscapeValue(v))
		}
	}
	return b.String()
}

// textRule reports whether an equality rule's normalized values are text.
func textRule(names []string) bool {
	for _, n := range names {
		for _, p := range []string{"caseIgnore", "caseExact", "numericString", "telephoneNumber"} {
			if strings.HasPrefix(n, p) {
				return true
			}
		}
	}
	return false
}

// authzMap rewrites id with the configured authz-regexp rules; id is
// returned unchanged when no rule applies or the first matching rule's
// result is unusable.
func (s *Server) authzMap(op *operation, id saslIdentity) saslIdentity {
	for i := range s.cfg.AuthzRegexps {
		r := &s.cfg.AuthzRegexps[i]
		out, ok := r.Rewrite(id.text)
		if !ok {
			continue
		}
		if m, ok := s.authzTarget(op, out); ok {
			return m
		}
		return id
	}
	return id
}

// authzTarget resolves the result of an authz-regexp rule: a DN, or an
// LDAP URL whose search finds exactly one entry.
func (s *Server) authzTarget(op *operation, out string) (saslIdentity, bool) {
	if len(out) < 7 || !strings.EqualFold(out[:7], "ldap://") {
		m, ok := s.saslNormal(out)
		return m, ok && m.ndn != ""
	}
	u, ok := parseAuthzURL(out)
	if !ok {
		return saslIdentity{}, false
	}
	base, ok := s.saslNormal(u.base)
	if !ok {
		return saslIdentity{}, false
	}
	d := s.selectDB(base.ndn)
	if d == nil {
		return saslIdentity{}, false
	}
	f, err := filter.Parse(u.filter, s.schema)
	if err != nil {
		return saslIdentity{}, false
	}
	var found []string
	err = d.backend.Search(op, store.SearchRequest{BaseNDN: base.ndn, Scope: u.scope, Filter: f, SizeLimit: 1},
		func(e *store.Entry) error {
			found = append(found, e.DN)
			return nil
		})
	if err != nil || len(found) != 1 {
		if err != nil && !errors.Is(err, store.ErrSizeLimitExceeded) && !errors.Is(err, store.ErrNoSuchObject) {
			s.log.Error("conn=" + itoa(int64(op.c.id)) + " op=" + itoa(op.num) + " authz-regexp search: " + err.Error())
		}
		return saslIdentity{}, false
	}
	return s.saslNormal(found[0])
}

// authzURL is the part of an LDAP URL authz-regexp uses.
type authzURL struct {
	base   string
	scope  store.Scope
	filter string
}

// parseAuthzURL parses ldap:///base??scope?filter as slapd takes it for
// authz-regexp: no host, no attributes, no extensions, and a filter.
func parseAuthzURL(s string) (authzURL, bool) {
	var u authzURL
	rest := s[len("ldap://"):]
	slash := strings.IndexByte(rest, '/')
	if slash != 0 {
		return u, false // a host, or nothing after ldap://
	}
	parts := strings.Split(rest[1:], "?")
	if len(parts) > 5 || len(parts) < 4 {
		return u, false // no filter
	}
	if parts[1] != "" || len(parts) == 5 && parts[4] != "" {
		return u, false
	}
	var err error
	if u.base, err = url.PathUnescape(parts[0]); err != nil {
		return u, false
	}
	switch strings.ToLower(parts[2]) {
	case "", "base":
		u.scope = store.ScopeBase
	case "one", "onelevel":
		u.scope = store.ScopeOne
	case "sub", "subtree":
		u.scope = store.ScopeSub
	case "children", "subord", "subordinate":
		u.scope = store.ScopeChildren
	default:
		return u, false
	}
	if u.filter, err = url.PathUnescape(parts[3]); err != nil || u.filter == "" {
		return u, false
	}
	return u, true
}

// saslAuthz decides a SASL authorization identity (the bind's
// credentials for EXTERNAL) for the authenticated identity authc (already
// mapped), as slapd with the default authz-policy (none): "dn:DN" or
// "u:name" (uid=name,cn=EXTERNAL,cn=auth), each rewritten by
// authz-regexp, is allowed when it is authc itself or when authc is the
// root DN of the database holding it. "dn:" alone is the anonymous
// identity. It returns the identity, or the result code and message.
func (s *Server) saslAuthz(op *operation, authc saslIdentity, authz string) (saslIdentity, ldapwire.ResultCode, string) {
	const fail = "SASL(-14): authorization failure: "
	var d string
	switch {
	case strings.HasPrefix(authz, "dn:"):
		d = authz[3:]
		if d == "" {
			return saslIdentity{}, ldapwire.Success, ""
		}
	case strings.HasPrefix(authz, "u:"):
		if len(authz) == 2 {
			return saslIdentity{}, ldapwire.InsufficientAccessRights, fail + "Invalid syntax"
		}
		d = "uid=" + dn.EscapeValue(authz[2:]) + ",cn=EXTERNAL,cn=auth"
	default:
		return saslIdentity{}, ldapwire.InsufficientAccessRights, fail + "Inappropriate authentication"
	}
	z, ok := s.saslNormal(d)
	if !ok {
		return saslIdentity{}, ldapwire.InsufficientAccessRights, fail + "Invalid syntax"
	}
	z = s.authzMap(op, z)
	if z.ndn == authc.ndn {
		return z, ldapwire.Success, ""
	}
	if db := s.selectDB(z.ndn); db != nil && db.rootNDN != "" && db.rootNDN == authc.ndn {
		return z, ldapwire.Success, "" // slapd: the manager may be anyone in its databases
	}
	return saslIdentity{}, ldapwire.InsufficientAccessRights, fail + "not authorized"
}
