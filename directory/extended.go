package directory

import (
	"crypto/tls"
	"strconv"
	"time"

	"hostdir/directory/acl"
	"hostdir/directory/entry"
	"hostdir/directory/ldapwire"
	"hostdir/directory/password"
)

// extended runs an ExtendedRequest: StartTLS (on the reader goroutine),
// Who am I? (RFC 4532), Password Modify (RFC 3062) and Cancel (RFC 3909).
// Anything else is protocolError "unsupported extended operation", as
// slapd answers.
func (s *Server) extended(op *operation) {
	name := string(op.msg.Extended.Name)
	if s.stats {
		op.writeLine(append(append(op.line(), "EXT oid="...), name...))
	}
	if _, e := s.parseControls(op); e != nil {
		op.sendResult(e.code, "", e.msg)
		return
	}
	switch name {
	case ldapwire.OIDStartTLS:
		if s.tls != nil {
			s.startTLS(op)
			return
		}
	case ldapwire.OIDWhoAmI:
		if s.stats {
			op.logVerb("WHOAMI")
		}
		authz := ""
		if op.ident.ndn != "" {
			authz = "dn:" + op.ident.dn
		}
		op.sendResultExt(ldapwire.Success, "", "", "", []byte(authz))
		return
	case ldapwire.OIDPasswordModify:
		s.passwdModify(op)
		return
	case ldapwire.OIDCancel:
		s.cancelOp(op)
		return
	}
	op.sendResult(ldapwire.ProtocolError, "", "unsupported extended operation")
}

// startTLS runs on the reader goroutine: it answers, then makes the TLS
// handshake and switches the connection to it.
func (s *Server) startTLS(op *operation) {
	c := op.c
	if s.stats {
		op.logVerb("STARTTLS")
	}
	switch {
	case c.tlsOn:
		op.sendResult(ldapwire.OperationsError, "", "TLS already started")
		return
	case c.inFlight() > 0:
		op.sendResult(ldapwire.OperationsError, "", "cannot start TLS with operations outstanding")
		return
	case c.rd.Buffered() > 0:
		op.sendResult(ldapwire.OperationsError, "", "data received after StartTLS request")
		return
	}
	op.sendResultExt(ldapwire.Success, "", "", ldapwire.OIDStartTLS, nil)
	c.wmu.Lock()
	tc := tls.Server(c.nc, s.tls)
	c.cr.mu.Lock()
	c.nc = tc
	c.cr.mode = modeNone
	c.cr.mu.Unlock()
	c.wmu.Unlock()
	tc.SetDeadline(time.Now().Add(DefaultTLSHandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		c.logf("conn=%d fd=%d TLS negotiation failure: %v", c.id, c.fd, err)
		c.broken.Store(true)
		tc.Close()
		return
	}
	tc.SetDeadline(time.Time{})
	st := tc.ConnectionState()
	c.tlsOn = true
	c.tlsSSF = tlsSSF(&st)
	c.transportSSF = c.tlsSSF
	c.ssf = c.tlsSSF
	if c.kind != kindLDAPI {
		c.external = tlsExternal(&st, c.srv.tls.ClientCAs)
	}
	c.rd.Reset(&c.cr)
	c.logf("conn=%d fd=%d TLS established tls_ssf=%d ssf=%d tls_proto=%s tls_cipher=%s",
		c.id, c.fd, c.tlsSSF, c.ssf, tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
}

// generatedLength is the length of passwords the Password Modify
// operation generates (slapd: 8).
const generatedLength = 8

// passwdModify runs the Password Modify extended operation (RFC 3062).
//
// As slapd: an anonymous session gets strongerAuthRequired (8) "only
// authenticated users may change passwords"; a userIdentity that is not a
// DN invalidAttributeSyntax (21) "Invalid DN"; a missing entry 32; an old
// password that does not match unwillingToPerform (53) "unwilling to
// verify old password"; no write access to userPassword 50. Without a
// userIdentity the bound user's password changes. Without a new password
// one is generated and returned in genPasswd. The new password is stored
// hashed with the first password-hash scheme ({SSHA} by default).
func (s *Server) passwdModify(op *operation) {
	req, err := ldapwire.ParsePasswdModify(op.msg.Extended.Value)
	if err != nil {
		op.sendResult(ldapwire.ProtocolError, "", "decoding error")
		return
	}
	if s.stats {
		b := append(op.line(), "PASSMOD"...)
		if req.HasUserIdentity {
			b = append(append(append(b, ` id="`...), req.UserIdentity...), '"')
		}
		if req.HasOldPasswd {
			b = append(b, " old"...)
		}
		if req.HasNewPasswd {
			b = append(b, " new"...)
		}
		op.writeLine(b)
	}
	if op.ident.ndn == "" {
		op.sendResult(ldapwire.StrongerAuthRequired, "", "only authenticated users may change passwords")
		return
	}
	ndn := op.ident.ndn
	if req.HasUserIdentity {
		_, n, e := s.parseDN(req.UserIdentity)
		if e != nil || n == "" {
			op.sendResult(ldapwire.InvalidAttributeSyntax, "", "Invalid DN")
			return
		}
		ndn = n
	}
	d := s.selectDB(ndn)
	if d == nil {
		op.sendResult(ldapwire.NoSuchObject, "", "")
		return
	}
	if e := s.checkRestrictions(op, d, kindUpdate); e != nil {
		op.sendResult(e.code, "", e.msg)
		return
	}
	newPW := req.NewPasswd
	var gen []byte
	if !req.HasNewPasswd || len(newPW) == 0 {
		g, err := password.Generate(generatedLength)
		if err != nil {
			op.fail(err)
			return
		}
		gen = []byte(g)
		newPW = gen
	}
	scheme := "{SSHA}"
	if len(s.cfg.PasswordHash) > 0 {
		scheme = s.cfg.PasswordHash[0]
	}
	hashed, err := s.hasher.Hash(scheme, newPW)
	if err != nil {
		op.fail(err)
		return
	}
	acc := s.access(op, d)
	check := !granted(acc, acl.PrivWrite)
	at := s.schema.AttributeType("userPassword")
	err = s.checkedModify(op, d, ndn, check, func(en *entry.Entry) error {
		if req.HasOldPasswd {
			ok := false
			if a := findAttr(s.schema, en, at, ""); a != nil {
				for _, v := range a.Values {
					if m, _ := password.Verify(string(v), req.OldPasswd); m {
						ok = true
						break
					}
				}
			}
			if !ok {
				return lerr(ldapwire.UnwillingToPerform, "unwilling to verify old password")
			}
		}
		// slapd runs an internal modify replacing userPassword.
		if check {
			t := &op.target
			t.set(s.schema, en, ndn)
			if acl.PasswordModify(acc, t, at, s.norm(at, []byte(hashed))) != acl.ResultSuccess {
				return lerr(ldapwire.InsufficientAccessRights, "")
			}
		}
		return nil
	}, func(en *entry.Entry) error {
		// A replace, as slapd's: userPassword moves to the end.
		if i := findAttrIndex(s.schema, en, at, ""); i >= 0 {
			en.Attrs = append(en.Attrs[:i], en.Attrs[i+1:]...)
		}
		en.Attrs = append(en.Attrs, entry.Attribute{Type: at.Name(), Values: [][]byte{[]byte(hashed)}})
		return s.finishModified(op, d, en, "")
	})
	if err != nil {
		code, _, msg := op.resultOf(err)
		op.sendResult(code, "", msg) // slapd sends no matched DN here
		return
	}
	var val []byte
	if gen != nil {
		val = ldapwire.AppendPasswdModifyResponseValue(nil, gen)
	}
	op.sendResultExt(ldapwire.Success, "", "", "", val)
}

// cancelOp runs the Cancel extended operation (RFC 3909): the target
// operation is cancelled and answers canceled (118); the Cancel answers
// success (0), noSuchOperation (119) for an unknown message ID, tooLate
// (120) when the target finished first, cannotCancel (121) for operations
// that cannot be cancelled.
func (s *Server) cancelOp(op *operation) {
	c := op.c
	id, err := ldapwire.ParseCancel(op.msg.Extended.Value)
	if err != nil {
		op.sendResult(ldapwire.ProtocolError, "", "decoding error")
		return
	}
	if s.stats {
		op.writeLine(strconv.AppendInt(append(op.line(), "CANCEL msg="...), int64(id), 10))
	}
	c.mu.Lock()
	t := c.ops[id]
	if t == nil || t == op {
		c.mu.Unlock()
		op.sendResult(ldapwire.NoSuchOperation, "", "message ID not found")
		return
	}
	if t.msg.Op == ldapwire.OpExtendedRequest && string(t.msg.Extended.Name) == ldapwire.OIDCancel {
		c.mu.Unlock()
		op.sendResult(ldapwire.CannotCancel, "", "")
		return
	}
	t.mu.Lock()
	late := t.finalSent
	t.cancelReq = !late
	t.mu.Unlock()
	if late {
		c.mu.Unlock()
		op.sendResult(ldapwire.TooLate, "", "")
		return
	}
	done := make(chan bool, 1)
	t.cancelDone = done
	t.cancel()
	c.mu.Unlock()
	var outcome bool
	select {
	case outcome = <-done:
	case <-op.Done():
		op.sendResult(ldapwire.Canceled, "", "")
		return
	}
	if outcome {
		op.sendResult(ldapwire.Success, "", "")
	} else {
		op.sendResult(ldapwire.TooLate, "", "")
	}
}
