package directory

import (
	"strings"

	"hostdir/directory/config"
	"hostdir/directory/filter"
	"hostdir/directory/ldapwire"
)

// handle runs one decoded request.
func (s *Server) handle(op *operation) {
	switch op.msg.Op {
	case ldapwire.OpBindRequest:
		s.bind(op)
	case ldapwire.OpSearchRequest:
		s.search(op)
	case ldapwire.OpModifyRequest:
		s.modify(op)
	case ldapwire.OpAddRequest:
		s.add(op)
	case ldapwire.OpDelRequest:
		s.delete(op)
	case ldapwire.OpModifyDNRequest:
		s.modrdn(op)
	case ldapwire.OpCompareRequest:
		s.compare(op)
	case ldapwire.OpExtendedRequest:
		s.extended(op)
	}
}

// opControls are the request controls the server understands.
type opControls struct {
	manageDsaIT bool
	paged       bool
	pageSize    int32
	cookie      []byte
	assert      *filter.Filter
}

// parseControls checks the request's controls: an unknown critical control
// is unavailableCriticalExtension (12), an unknown non-critical one is
// ignored, as in slapd.
func (s *Server) parseControls(op *operation) (opControls, *ldapError) {
	var oc opControls
	for i := range op.msg.Controls {
		ct := &op.msg.Controls[i]
		switch string(ct.Type) {
		case ldapwire.OIDManageDsaIT:
			if ct.HasValue {
				return oc, lerr(ldapwire.ProtocolError, "manageDSAit control value not absent")
			}
			oc.manageDsaIT = true
		case ldapwire.OIDPagedResults:
			if op.msg.Op != ldapwire.OpSearchRequest {
				if ct.Critical {
					return oc, lerr(ldapwire.UnavailableCriticalExtension, "critical extension is unavailable")
				}
				continue
			}
			if oc.paged {
				return oc, lerr(ldapwire.ProtocolError, "pagedResults control specified multiple times")
			}
			size, cookie, err := ldapwire.ParsePagedResults(ct.Value)
			if err != nil {
				return oc, lerr(ldapwire.ProtocolError, "paged results control could not be decoded")
			}
			oc.paged, oc.pageSize, oc.cookie = true, size, cookie
		case ldapwire.OIDAssertion:
			if oc.assert != nil {
				return oc, lerr(ldapwire.ProtocolError, "assert control specified multiple times")
			}
			if !ct.HasValue || len(ct.Value) == 0 {
				return oc, lerr(ldapwire.ProtocolError, "assert control value is absent")
			}
			var wf ldapwire.Filter
			if err := ldapwire.ParseAssertion(ct.Value, &wf); err != nil {
				return oc, lerr(ldapwire.ProtocolError, "assertion control: decoding error")
			}
			f, err := filter.FromWire(&wf, s.schema)
			if err != nil {
				return oc, lerr(ldapwire.ProtocolError, "assertion control: bad filter")
			}
			oc.assert = f
		default:
			if ct.Critical {
				return oc, lerr(ldapwire.UnavailableCriticalExtension, "critical extension is not recognized")
			}
		}
	}
	return oc, nil
}

// opKind classifies operations for the restriction checks.
type opKind int

const (
	kindRead opKind = iota
	kindUpdate
	kindCompare
)

// checkRestrictions is slapd's backend_check_restrictions: security
// strength factors (`security`), `require`, anonymous updates (`allow
// update_anon`) and read-only databases. d may be nil (root DSE,
// subschema, extended operations).
func (s *Server) checkRestrictions(op *operation, d *database, kind opKind) *ldapError {
	c := op.c
	secs := [2]*config.Security{&s.cfg.Security}
	if d != nil {
		secs[1] = &d.cfg.Security
	}
	for _, sec := range secs {
		if sec == nil {
			continue
		}
		if kind == kindUpdate {
			if e := ssfCheck(c.transportSSF, sec.UpdateTransport, "transport confidentiality required for update", "stronger transport confidentiality required for update"); e != nil {
				return e
			}
			if e := ssfCheck(c.tlsSSF, sec.UpdateTLS, "TLS confidentiality required for update", "stronger TLS confidentiality required for update"); e != nil {
				return e
			}
			if e := ssfCheck(c.ssf, sec.UpdateSSF, "confidentiality required for update", "stronger confidentiality required for update"); e != nil {
				return e
			}
		}
		if e := ssfCheck(c.transportSSF, sec.Transport, "transport confidentiality required", "stronger transport confidentiality required"); e != nil {
			return e
		}
		if e := ssfCheck(c.tlsSSF, sec.TLS, "TLS confidentiality required", "stronger TLS confidentiality required"); e != nil {
			return e
		}
		if e := ssfCheck(c.ssf, sec.SSF, "confidentiality required", "stronger confidentiality required"); e != nil {
			return e
		}
	}
	if kind == kindUpdate {
		if op.ident.ndn == "" && !s.cfg.Allow.Has("update_anon") {
			return lerr(ldapwire.StrongerAuthRequired, "modifications require authentication")
		}
		if d != nil && d.readOnly {
			return lerr(ldapwire.UnwillingToPerform, "operation restricted")
		}
	}
	reqs := [2]config.Set{s.cfg.Require}
	if d != nil {
		reqs[1] = d.cfg.Require
	}
	for _, req := range reqs {
		if len(req) == 0 || req.Has("none") {
			continue
		}
		if req.Has("strong") && op.ident.ndn == "" {
			return lerr(ldapwire.StrongerAuthRequired, "strong(er) authentication required")
		}
		if req.Has("sasl") {
			return lerr(ldapwire.StrongerAuthRequired, "SASL authentication required")
		}
		if req.Has("authc") && op.ident.ndn == "" {
			return lerr(ldapwire.UnwillingToPerform, "authentication required")
		}
		if req.Has("bind") && c.version == 0 {
			return lerr(ldapwire.OperationsError, "BIND required")
		}
		if req.Has("LDAPv3") && c.version != 0 && c.version < 3 {
			return lerr(ldapwire.OperationsError, "operation restricted to LDAPv3 clients")
		}
	}
	return nil
}

func ssfCheck(have, want int, none, weak string) *ldapError {
	if want <= 0 || have >= want {
		return nil
	}
	if have == 0 {
		return lerr(ldapwire.ConfidentialityRequired, none)
	}
	return lerr(ldapwire.ConfidentialityRequired, weak)
}

// parseDN parses and normalizes a DN from a request: pretty and normalized
// forms, or invalidDNSyntax (34) "invalid DN".
func (s *Server) parseDN(b []byte) (pretty, ndn string, e *ldapError) {
	if len(b) == 0 {
		return "", "", nil
	}
	p, n, err := s.schema.PrettyNormalDN(string(b))
	if err != nil {
		return "", "", lerr(ldapwire.InvalidDNSyntax, "invalid DN")
	}
	return p, n, nil
}

// parseTarget parses the controls of op and the DN b it names (as parseControls
// and parseDN), in slapd's order; on an error it answers op and ok is
// false. The update and compare handlers start with it.
func (s *Server) parseTarget(op *operation, b []byte) (ctl opControls, pretty, ndn string, ok bool) {
	ctl, e := s.parseControls(op)
	if e == nil {
		pretty, ndn, e = s.parseDN(b)
	}
	if e != nil {
		op.sendResult(e.code, "", e.msg)
		return ctl, "", "", false
	}
	return ctl, pretty, ndn, true
}

// parseBase is parseDN with a per-connection cache of the last base.
func (c *conn) parseBase(b []byte) (pretty, ndn string, e *ldapError) {
	c.baseMu.Lock()
	if c.baseRaw != "" && string(b) == c.baseRaw {
		p, n := c.basePretty, c.baseND
		c.baseMu.Unlock()
		return p, n, nil
	}
	c.baseMu.Unlock()
	p, n, e := c.srv.parseDN(b)
	if e == nil && len(b) > 0 {
		c.baseMu.Lock()
		c.baseRaw, c.basePretty, c.baseND = string(b), p, n
		c.baseMu.Unlock()
	}
	return p, n, e
}

// sizeTimeLimits returns the effective size and time limits of a search
// (0: none) for the client's requested limits, as slapd computes them: the
// root DN is unlimited (the client's own limits still apply); otherwise
// the first matching `limits` rule, or the database's or global
// sizelimit/timelimit, whose soft limit applies when the client asks for
// none and whose hard limit caps what the client asks for.
func (s *Server) sizeTimeLimits(op *operation, d *database, clientSize, clientTime int32) (size, tlim int) {
	if d != nil && op.ident.root == d {
		return int(clientSize), int(clientTime)
	}
	sl, tl := s.cfg.SizeLimit, s.cfg.TimeLimit
	if d != nil {
		if d.cfg.SizeLimit != nil {
			sl = *d.cfg.SizeLimit
		}
		if d.cfg.TimeLimit != nil {
			tl = *d.cfg.TimeLimit
		}
	}
	rules := s.cfg.Limits
	if d != nil && len(d.cfg.Limits) > 0 {
		rules = append(append([]config.LimitsRule(nil), d.cfg.Limits...), rules...)
	}
	for i := range rules {
		r := &rules[i]
		if !limitsMatch(r, op.ident) {
			continue
		}
		if r.HasSize {
			sl = r.Size
		}
		if r.HasTime {
			tl = r.Time
		}
		break
	}
	return effLimit(sl, int(clientSize)), effLimit(tl, int(clientTime))
}

// effLimit combines a configured limit with the client's.
func effLimit(l config.Limit, client int) int {
	soft := l.Soft
	hard := l.Hard
	if hard == config.HardIsSoft {
		hard = soft
	}
	if soft == config.Unlimited || soft < 0 {
		soft = 0
	}
	if hard == config.Unlimited || hard < 0 {
		hard = 0
	}
	if client == 0 {
		if soft == 0 {
			return hard
		}
		return soft
	}
	if hard > 0 && client > hard {
		return hard
	}
	return client
}

// limitsMatch reports whether a `limits` selector matches the identity.
// Supported: *, anonymous, users, dn[.exact|.base|.one|.sub|.children]=
// (self); others never match.
func limitsMatch(r *config.LimitsRule, id *identity) bool {
	sel := strings.ToLower(r.Selector)
	switch {
	case sel == "*":
		return true
	case r.Anonymous:
		return id.ndn == ""
	case r.Users:
		return id.ndn != ""
	case r.AnyDN:
		return true
	case r.Group != nil || r.DNType == "this":
		return false
	}
	if id.ndn == "" || r.Norm == "" {
		return false
	}
	switch strings.SplitN(strings.TrimPrefix(sel, "dn"), "=", 2)[0] {
	case "", ".exact", ".base", ".self", ".self.exact", ".self.base":
		return id.ndn == r.Norm
	case ".one", ".onelevel", ".self.one", ".self.onelevel":
		return strings.HasSuffix(id.ndn, ","+r.Norm) && !strings.Contains(strings.TrimSuffix(id.ndn, ","+r.Norm), ",")
	case ".sub", ".subtree", ".self.sub", ".self.subtree":
		return id.ndn == r.Norm || strings.HasSuffix(id.ndn, ","+r.Norm)
	case ".children", ".self.children":
		return strings.HasSuffix(id.ndn, ","+r.Norm)
	}
	return false
}
