// Package ldapwire is hostdir's LDAP wire layer (RFC 4511): framing of the
// byte stream into PDUs, BER decoding of every request into a typed,
// reusable Message, and encoding of every response into appended buffers.
// It knows nothing of storage, schema or DN syntax.
//
// # Reading
//
// A Reader splits a connection's bytes into PDUs under a size limit
// (MaxPDUAnonymous before bind, MaxPDUAuthenticated after, like slapd's
// sockbuf_max_incoming and sockbuf_max_incoming_auth). Decode turns a PDU
// into a Message without copying: the Message's byte slices point into the
// PDU, which points into the Reader's buffer, so they are valid only until
// the next ReadPDU. Copy what must live longer.
//
// # Errors
//
// A *FrameError from ReadPDU or a fatal *Error from Decode means the peer
// broke the protocol: write AppendNoticeOfDisconnection(buf, ProtocolError,
// msg) and close. A non-fatal *Error from Decode names a request that must
// be answered with its Code (ProtocolError or AdminLimitExceeded); the
// connection goes on.
//
// # Writing
//
// The Append functions append one complete LDAPMessage each to a buffer;
// entries are appended attribute by attribute with StartEntry, AppendAttr
// and Entry.Finish, without intermediate structures.
//
// # Example
//
//	rd := ldapwire.NewReader(conn, ldapwire.MaxPDUAnonymous)
//	var m ldapwire.Message
//	var out []byte
//	for {
//		pdu, err := rd.ReadPDU()
//		if err != nil {
//			var fe *ldapwire.FrameError
//			if errors.As(err, &fe) {
//				conn.Write(ldapwire.AppendNoticeOfDisconnection(nil, ldapwire.ProtocolError, fe.Error()))
//			}
//			return
//		}
//		if err := ldapwire.Decode(pdu, &m); err != nil {
//			var de *ldapwire.Error
//			if errors.As(err, &de) && !de.Fatal && ldapwire.ResponseOp(de.Op) != 0 {
//				out = ldapwire.AppendResult(out[:0], de.ID, ldapwire.ResponseOp(de.Op),
//					ldapwire.Result{Code: de.Code, Message: de.Msg})
//				conn.Write(out)
//				continue
//			}
//			conn.Write(ldapwire.AppendNoticeOfDisconnection(out[:0], ldapwire.ProtocolError, "decoding error"))
//			return
//		}
//		switch m.Op {
//		case ldapwire.OpSearchRequest:
//			out = out[:0]
//			b, e := ldapwire.StartEntry(out, m.ID, "uid=a,dc=example")
//			b = ldapwire.AppendAttr(b, "mailbox", []byte("example/a/"))
//			out = e.Finish(b)
//			out = ldapwire.AppendResult(out, m.ID, ldapwire.OpSearchResultDone, ldapwire.Result{})
//			conn.Write(out)
//		case ldapwire.OpBindRequest:
//			// ... check m.Bind, then:
//			rd.MaxPDU = ldapwire.MaxPDUAuthenticated
//		}
//	}
package ldapwire
