package directory

import (
	"errors"
	"strconv"
	"strings"

	"hostdir/directory/acl"
	"hostdir/directory/ldapwire"
	"hostdir/directory/password"
	"hostdir/directory/store"
)

// bind runs a BindRequest on the reader goroutine (nothing else runs).
//
// slapd's order: the connection becomes anonymous; version (LDAPv2 only
// with `allow bind_v2`: protocolError "historical protocol version
// requested, use LDAPv3 instead"); method (SASL: EXTERNAL over ldapi://,
// see bindExternal; any other mechanism, or EXTERNAL elsewhere,
// authMethodNotSupported "SASL(-4): no mechanism available: "); DN
// syntax (34 "invalid DN"); anonymous bind (`disallow bind_anon`: 48;
// credentials without a DN: 49); a DN with an empty password: 53
// "unauthenticated bind (DN with no password) disallowed"; the root DN
// against rootpw; otherwise the entry's userPassword values (auth access
// needed): unknown DN, no password and wrong password all give 49 with no
// text.
func (s *Server) bind(op *operation) {
	c := op.c
	r := &op.msg.Bind
	method := 128
	if r.Method == ldapwire.AuthSASL {
		method = 163
	} else if r.Method != ldapwire.AuthSimple {
		method = 128 + int(r.Method)
	}
	if s.stats {
		op.writeLine(strconv.AppendInt(append(append(append(op.line(), `BIND dn="`...), r.Name...), `" method=`...), int64(method), 10))
	}
	// Any bind first makes the connection anonymous.
	c.ident = anonymous
	op.ident = anonymous
	c.rd.MaxPDU = s.cfgMaxIncoming(false)

	if _, e := s.parseControls(op); e != nil {
		op.sendResult(e.code, "", e.msg)
		return
	}
	switch {
	case r.Version == 2:
		if !s.cfg.Allow.Has("bind_v2") {
			op.sendResult(ldapwire.ProtocolError, "", "historical protocol version requested, use LDAPv3 instead")
			return
		}
	case r.Version != 3:
		op.sendResult(ldapwire.ProtocolError, "", "requested protocol version not supported")
		return
	}
	switch r.Method {
	case ldapwire.AuthSimple:
	case ldapwire.AuthSASL:
		if c.external != "" && strings.EqualFold(string(r.Mechanism), "EXTERNAL") {
			s.bindExternal(op)
			return
		}
		op.sendResult(ldapwire.AuthMethodNotSupported, "", "SASL(-4): no mechanism available: ")
		return
	default:
		op.sendResult(ldapwire.AuthMethodNotSupported, "", "unknown authentication method")
		return
	}
	pretty, ndn, e := s.parseDN(r.Name)
	if e != nil {
		op.sendResult(e.code, "", e.msg)
		return
	}
	if ndn == "" {
		if len(r.Password) > 0 && !s.cfg.Allow.Has("bind_anon_cred") {
			op.sendResult(ldapwire.InvalidCredentials, "", "")
			return
		}
		if s.cfg.Disallow.Has("bind_anon") {
			op.sendResult(ldapwire.InappropriateAuthentication, "", "anonymous bind disallowed")
			return
		}
		c.version = r.Version
		op.sendResult(ldapwire.Success, "", "")
		return
	}
	if len(r.Password) == 0 {
		if s.cfg.Allow.Has("bind_anon_dn") {
			c.version = r.Version
			op.sendResult(ldapwire.Success, "", "")
			return
		}
		op.sendResult(ldapwire.UnwillingToPerform, "", "unauthenticated bind (DN with no password) disallowed")
		return
	}
	if s.cfg.Disallow.Has("bind_simple") {
		op.sendResult(ldapwire.UnwillingToPerform, "", "unwilling to perform simple authentication")
		return
	}
	if want := s.cfg.Security.SimpleBind; want > 0 && c.ssf < want {
		op.sendResult(ldapwire.ConfidentialityRequired, "", "unwilling to perform simple authentication without confidentiality protection")
		return
	}
	d := s.selectDB(ndn)
	ok := false
	var root *database
	if d != nil && d.rootNDN != "" && ndn == d.rootNDN && d.rootPW != "" {
		ok, _ = password.Verify(d.rootPW, r.Password)
		root = d
	} else if d != nil {
		ok = s.checkEntryPassword(op, d, ndn, r.Password)
		if ok && d.rootNDN == ndn {
			root = d
		}
	}
	if !ok {
		op.sendResult(ldapwire.InvalidCredentials, "", "")
		return
	}
	c.ident = &identity{dn: pretty, ndn: ndn, root: root}
	c.version = r.Version
	c.rd.MaxPDU = s.cfgMaxIncoming(true)
	if s.stats {
		b := append(op.line(), `BIND dn="`...)
		b = append(b, pretty...)
		b = append(b, `" mech=SIMPLE bind_ssf=0 ssf=`...)
		op.writeLine(strconv.AppendInt(b, int64(c.ssf), 10))
	}
	op.sendResult(ldapwire.Success, "", "")
}

// bindExternal is a SASL EXTERNAL bind over ldapi://: the client's
// authentication identity is its peer credentials,
// "gidNumber=G+uidNumber=U,cn=peercred,cn=external,cn=auth", rewritten by
// the authz-regexp rules (see saslauthz.go); without a rule that maps it,
// the DN is used as it is (in access rules, in modifiersName, by Who am
// I?). An authorization identity, when given, must name the same identity
// or, when the client is a root DN, any DN of that root DN's database; as
// slapd's default authz-policy (none), anything else is refused with
// insufficientAccess (50) "SASL(-14): authorization failure: ...". The
// identity is a root DN (with the root DN's powers) when it is a
// database's rootdn.
func (s *Server) bindExternal(op *operation) {
	c := op.c
	r := &op.msg.Bind
	authc := c.external
	id, ok := s.saslNormal(authc)
	if !ok {
		// a schema without uidNumber and gidNumber (nis)
		id = saslIdentity{text: authc, ndn: strings.ToLower(authc)}
	}
	id = s.authzMap(op, id)
	if len(r.Credentials) > 0 {
		z, code, msg := s.saslAuthz(op, id, string(r.Credentials))
		if code != ldapwire.Success {
			if s.stats {
				b := append(op.lbuf[:0], "SASL [conn="...)
				b = strconv.AppendUint(b, c.id, 10)
				op.writeLine(append(append(b, "] Failure: "...), strings.TrimPrefix(msg, "SASL(-14): authorization failure: ")...))
			}
			op.sendResult(code, "", msg)
			return
		}
		id = z
	}
	var root *database
	for _, d := range s.dbs {
		if d.rootNDN != "" && d.rootNDN == id.ndn {
			root = d
		}
	}
	c.ident = anonymous
	if id.ndn != "" {
		c.ident = &identity{dn: id.text, ndn: id.ndn, root: root}
	}
	c.version = r.Version
	c.rd.MaxPDU = s.cfgMaxIncoming(id.ndn != "")
	if s.stats {
		b := append(op.line(), `BIND authcid="`...)
		b = append(b, authc...)
		b = append(b, `" authzid="`...)
		b = append(b, authc...)
		op.writeLine(append(b, '"'))
		b = append(op.line(), `BIND dn="`...)
		b = append(b, id.text...)
		b = append(b, `" mech=EXTERNAL bind_ssf=0 ssf=`...)
		op.writeLine(strconv.AppendInt(b, int64(c.ssf), 10))
	}
	op.sendResult(ldapwire.Success, "", "")
}

// checkEntryPassword verifies pw against the userPassword values of the
// entry ndn of d.
func (s *Server) checkEntryPassword(op *operation, d *database, ndn string, pw []byte) bool {
	e, err := d.backend.Get(op, ndn)
	if err != nil {
		if !errors.Is(err, store.ErrNoSuchObject) {
			s.log.Error("conn=" + itoa(int64(op.c.id)) + " op=" + itoa(op.num) + " bind: " + err.Error())
		}
		return false
	}
	at := s.schema.AttributeType("userPassword")
	// slapd checks auth on each value with the connection anonymous.
	acc := s.anonAccess(op, d)
	check := !granted(acc, acl.PrivAuth)
	t := &op.target
	t.set(s.schema, &e.Entry, e.NDN)
	for _, a := range e.Attrs {
		typ, opts := splitDesc(a.Type)
		if opts != "" || s.schema.AttributeType(typ) != at {
			continue
		}
		for _, v := range a.Values {
			if check && !acl.CanAuth(acc, t, at, s.norm(at, v)) {
				continue
			}
			if ok, _ := password.Verify(string(v), pw); ok {
				return true
			}
		}
	}
	return false
}
