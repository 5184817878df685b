package directory

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"hostdir/directory/config"
	"hostdir/directory/ldapwire"
)

// identity is the authorization identity of a connection after a bind.
// It is immutable; a Bind installs a new one.
type identity struct {
	dn  string // pretty DN as bound ("" anonymous)
	ndn string // normalized DN
	// db is the database whose root DN this is (nil: not a root DN).
	root *database
}

var anonymous = &identity{}

// conn is one client connection.
type conn struct {
	srv  *Server
	id   uint64
	kind listenKind
	fd   int
	peer string // "IP=1.2.3.4:5678" as logged
	// peerAddr is the peer's TCP address (zero for ldapi://).
	peerAddr netip.AddrPort
	self     string // "IP=127.0.0.1:389" as logged
	// external is the SASL EXTERNAL identity: of an ldapi:// client, from
	// its peer credentials: "gidNumber=G+uidNumber=U,cn=peercred,
	// cn=external,cn=auth"; of a TLS client with a verified certificate,
	// its subject DN (see tlsExternal); "" none.
	external string

	// nc is the connection requests are read from and responses written
	// to; StartTLS replaces it while nothing else runs.
	nc net.Conn
	cr connReader
	rd *ldapwire.Reader

	wmu    sync.Mutex
	broken atomic.Bool // a write failed: stop

	mu      sync.Mutex
	ops     map[int32]*operation
	idle    sync.Cond // signalled when ops drains
	paged   pagedState
	aborted bool

	sem   chan struct{}
	wg    sync.WaitGroup
	opSeq int64

	// inline is the operation the reader goroutine runs itself (see
	// dispatch; under mu; nil: none).
	inline *operation

	// Set by the reader goroutine only while no operation runs.
	ident        *identity
	version      int32 // protocol version of the last successful bind (0: none)
	tlsOn        bool
	ssf          int // overall security strength factor
	tlsSSF       int
	transportSSF int

	dec ldapwire.Decoder

	// cache of the last search base (a client usually repeats it).
	baseMu                      sync.Mutex
	baseRaw, basePretty, baseND string
}

func newConn(s *Server, nc net.Conn, id uint64, kind listenKind, laddr net.Addr) *conn {
	c := &conn{
		srv:   s,
		id:    id,
		kind:  kind,
		nc:    nc,
		ops:   make(map[int32]*operation),
		sem:   make(chan struct{}, s.maxInFlight),
		ident: anonymous,
		fd:    connFD(nc),
	}
	if _, ok := nc.(*tls.Conn); ok {
		c.kind = kindLDAPS
	}
	c.idle.L = &c.mu
	c.peer = addrString(nc.RemoteAddr(), kind)
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		c.peerAddr = ta.AddrPort()
	}
	c.self = addrString(laddr, kind)
	if kind == kindLDAPI {
		c.peer = c.self
		c.transportSSF, c.ssf = ldapiSSF, ldapiSSF
		if uid, gid, ok := peerCred(nc); ok {
			c.external = peercredDN(uid, gid)
		}
	}
	c.cr.c = c
	c.rd = ldapwire.NewReader(&c.cr, s.cfgMaxIncoming(false))
	return c
}

// peercredDN is slapd's SASL EXTERNAL authentication identity of a local
// client.
func peercredDN(uid, gid uint32) string {
	return "gidNumber=" + strconv.FormatUint(uint64(gid), 10) + "+uidNumber=" + strconv.FormatUint(uint64(uid), 10) +
		",cn=peercred,cn=external,cn=auth"
}

// connFD returns the file descriptor number of nc for the logs (slapd's
// fd=N), or 0.
func connFD(nc net.Conn) int {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return 0
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0
	}
	fd := 0
	rc.Control(func(f uintptr) { fd = int(f) })
	return fd
}

// cfgMaxIncoming returns sockbuf_max_incoming(_auth).
func (s *Server) cfgMaxIncoming(auth bool) int {
	if auth {
		if s.cfg.SockbufMaxIncomingAuth > 0 {
			return s.cfg.SockbufMaxIncomingAuth
		}
		return config.DefaultSockbufMaxIncomingAuth
	}
	if s.cfg.SockbufMaxIncoming > 0 {
		return s.cfg.SockbufMaxIncoming
	}
	return config.DefaultSockbufMaxIncoming
}

// connReader is the io.Reader the ldapwire.Reader reads from. It arms the
// read deadlines: IncompletePDUTimeout while a PDU is partly received, the
// idletimeout (if configured) between PDUs, none otherwise.
type connReader struct {
	c    *conn
	mu   sync.Mutex // guards mode and deadline changes against stopReading
	mode int
	stop bool
}

const (
	modeNone = iota
	modeIncomplete
	modeIdle
)

// errStopped is returned to the reader after stopReading.
var errStopped = errors.New("directory: server shutting down")

func (r *connReader) Read(p []byte) (int, error) {
	c := r.c
	mode := modeNone
	if c.rd.Buffered() > 0 {
		mode = modeIncomplete
	} else if c.srv.cfg.IdleTimeout > 0 {
		mode = modeIdle
	}
	r.mu.Lock()
	if r.stop && mode != modeIncomplete {
		r.mu.Unlock()
		return 0, errStopped
	}
	nc := c.nc
	switch mode {
	case modeIncomplete:
		if r.mode != modeIncomplete {
			nc.SetReadDeadline(time.Now().Add(c.srv.pduTimeout))
		}
	case modeIdle:
		nc.SetReadDeadline(time.Now().Add(time.Duration(c.srv.cfg.IdleTimeout) * time.Second))
	default:
		if r.mode != modeNone {
			nc.SetReadDeadline(time.Time{})
		}
	}
	r.mode = mode
	r.mu.Unlock()
	return nc.Read(p)
}

// stopReading makes the reader stop at the next PDU boundary (Shutdown).
func (c *conn) stopReading() {
	c.cr.mu.Lock()
	c.cr.stop = true
	if c.cr.mode != modeIncomplete {
		c.nc.SetReadDeadline(time.Now())
	}
	c.cr.mu.Unlock()
}

// abort cancels every operation and closes the socket (Shutdown timeout).
func (c *conn) abort() {
	c.mu.Lock()
	c.aborted = true
	for _, op := range c.ops {
		op.abandon()
	}
	c.mu.Unlock()
	c.nc.Close()
}

// serve is the connection's first reader goroutine.
func (c *conn) serve() {
	s := c.srv
	c.connLine(func(b []byte) []byte {
		b = append(b, "ACCEPT from "...)
		b = append(b, c.peer...)
		b = append(b, " ("...)
		b = append(b, c.self...)
		return append(b, ')')
	})
	if c.kind == kindLDAPS {
		tc, ok := c.nc.(*tls.Conn)
		if !ok {
			tc = s.wrapTLS(c.nc)
			c.nc = tc
		}
		tc.SetDeadline(time.Now().Add(DefaultTLSHandshakeTimeout))
		if err := tc.Handshake(); err != nil {
			c.logf("conn=%d fd=%d closed (TLS negotiation failure)", c.id, c.fd)
			tc.Close()
			s.removeConn(c)
			return
		}
		tc.SetDeadline(time.Time{})
		st := tc.ConnectionState()
		c.tlsOn = true
		c.tlsSSF = tlsSSF(&st)
		c.transportSSF, c.ssf = c.tlsSSF, c.tlsSSF
		c.external = tlsExternal(&st, s.tls.ClientCAs)
		c.logf("conn=%d fd=%d TLS established tls_ssf=%d ssf=%d tls_proto=%s tls_cipher=%s",
			c.id, c.fd, c.tlsSSF, c.ssf, tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	}
	c.read()
}

// read runs the reader: it reads and dispatches requests until the
// connection ends, then waits for the operations, closes the connection
// and forgets it. When an operation the reader runs inline takes too
// long, another goroutine takes over as reader (handOff) and read
// returns once the operation is done.
func (c *conn) read() {
	reason := c.readLoop()
	if reason == handedOff {
		return
	}
	c.finishAll()
	c.nc.Close()
	c.connLine(func(b []byte) []byte { return append(append(b, "closed"...), reason...) })
	c.srv.removeConn(c)
}

// handedOff is readLoop's result when another goroutine became the
// reader.
const handedOff = "\x00handed off"

// readLoop reads and dispatches requests until the connection ends; it
// returns the reason for the log (" (connection lost)", "" after Unbind),
// or handedOff.
func (c *conn) readLoop() string {
	s := c.srv
	for {
		pdu, err := c.rd.ReadPDU()
		if err != nil {
			var fe *ldapwire.FrameError
			switch {
			case errors.As(err, &fe):
				c.waitIdle() // the requests before the broken one get their answers
				c.disconnect(ldapwire.ProtocolError, "decoding error")
				if s.stats {
					c.logf("conn=%d fd=%d broken PDU: %v", c.id, c.fd, fe)
				}
				return " (connection lost)"
			case errors.Is(err, errStopped):
				return " (slapd shutdown)"
			case errors.Is(err, os.ErrDeadlineExceeded):
				c.cr.mu.Lock()
				mode, stop := c.cr.mode, c.cr.stop
				c.cr.mu.Unlock()
				if stop && mode != modeIncomplete {
					return " (slapd shutdown)"
				}
				if mode == modeIdle {
					if c.inFlight() > 0 {
						continue // slapd's idletimeout only counts idle connections
					}
					return " (idletimeout)"
				}
				return " (incomplete PDU timeout)"
			case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
				return " (connection lost)"
			}
			return " (connection lost)"
		}
		if c.broken.Load() {
			return " (connection lost)"
		}
		op := s.getOp()
		op.pdu = append(op.pdu[:0], pdu...)
		op.c = c
		op.num = c.opSeq
		c.opSeq++
		op.start = s.now()
		if err := c.dec.Decode(op.pdu, &op.msg); err != nil {
			var de *ldapwire.Error
			if errors.As(err, &de) && !de.Fatal && ldapwire.ResponseOp(de.Op) != 0 {
				op.respOp = ldapwire.ResponseOp(de.Op)
				op.msgID = de.ID
				op.ident = c.ident
				op.sendResult(de.Code, "", de.Msg)
				s.putOp(op)
				continue
			}
			s.putOp(op)
			c.waitIdle()
			// slapd's answers: a messageID it cannot read closes the
			// connection with no notice; a protocolOp that is not a
			// request, and a filter nested beyond its limit, get their
			// own diagnostic in the Notice of Disconnection.
			switch {
			case errors.Is(err, ldapwire.ErrBadMessageID):
			case errors.Is(err, ldapwire.ErrUnsupportedOp):
				c.disconnect(ldapwire.ProtocolError, "unknown LDAP request")
			case errors.Is(err, ldapwire.ErrFilterDepth):
				c.disconnect(ldapwire.ProtocolError, "filter nested too deeply")
			default:
				c.disconnect(ldapwire.ProtocolError, "decoding error")
			}
			return " (connection lost)"
		}
		op.msgID = op.msg.ID
		op.respOp = ldapwire.ResponseOp(op.msg.Op)
		switch c.dispatch(op) {
		case dispatchClose:
			return ""
		case dispatchHandedOff:
			return handedOff
		}
	}
}

// inFlight returns the number of operations running.
func (c *conn) inFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ops)
}

// disconnect sends a Notice of Disconnection.
func (c *conn) disconnect(code ldapwire.ResultCode, msg string) {
	b := ldapwire.AppendNoticeOfDisconnection(nil, code, msg)
	c.write(b)
}

// dispatch results.
const (
	dispatchNext      = iota // read the next request
	dispatchClose            // close the connection
	dispatchHandedOff        // another goroutine reads now
)

// inlineHandoff is how long an operation may run on the reader goroutine
// before another goroutine takes over reading (so that Abandon, Cancel and
// pipelined requests are read while it runs).
const inlineHandoff = time.Millisecond

// dispatch starts op and tells the reader what to do next.
//
// Most clients (Postfix, Courier, Dovecot) send one request and wait for
// its answer. Such a request, if it is a read (search, compare, Who am
// I?, Cancel), runs on the reader goroutine itself: no goroutine is
// started, no stack grows, nothing is scheduled. It runs inline only when
// nothing else of the connection is in flight and no further request is
// already buffered; otherwise it gets a goroutine of its own, as
// pipelined requests and writes (which wait for the disk) do. An inline
// operation that is still running after inlineHandoff makes a new
// goroutine the reader (the server's inline watch, checking every
// inlineHandoff), and the current one ends with the operation.
func (c *conn) dispatch(op *operation) int {
	s := c.srv
	op.ident = c.ident
	switch op.msg.Op {
	case ldapwire.OpUnbindRequest:
		if s.stats {
			op.logVerb("UNBIND")
		}
		s.putOp(op)
		return dispatchClose
	case ldapwire.OpAbandonRequest:
		id := op.msg.Abandon
		if s.stats {
			op.writeLine(strconv.AppendInt(append(op.line(), "ABANDON msg="...), int64(id), 10))
		}
		c.mu.Lock()
		if t := c.ops[id]; t != nil {
			t.abandon()
		}
		c.mu.Unlock()
		s.putOp(op)
		return dispatchNext
	case ldapwire.OpBindRequest:
		// slapd makes a bind atomic: operations before it finish first,
		// nothing after it is read until it is done.
		c.waitIdle()
		c.runInline(op)
		if c.broken.Load() {
			return dispatchClose
		}
		return dispatchNext
	case ldapwire.OpExtendedRequest:
		if string(op.msg.Extended.Name) == ldapwire.OIDStartTLS {
			c.runInline(op)
			if c.broken.Load() {
				return dispatchClose
			}
			return dispatchNext
		}
	}
	c.sem <- struct{}{}
	c.mu.Lock()
	c.ops[op.msgID] = op
	inline := len(c.ops) == 1 && c.rd.Buffered() == 0 && inlineable(op)
	if inline {
		c.inline = op
	}
	c.mu.Unlock()
	c.wg.Add(1)
	if !inline {
		go c.run(op)
		return dispatchNext
	}
	w := s.inline.add(c, op)
	c.runOp(op)
	s.inline.remove(w)
	c.mu.Lock()
	handed := op.handedOff
	if c.inline == op {
		c.inline = nil
	}
	c.mu.Unlock()
	c.srv.putOp(op)
	if handed {
		return dispatchHandedOff
	}
	return dispatchNext
}

// inlineable reports whether op may run on the reader goroutine: the
// reads, which do not wait for anything but the store's pages.
func inlineable(op *operation) bool {
	switch op.msg.Op {
	case ldapwire.OpSearchRequest, ldapwire.OpCompareRequest:
		return true
	case ldapwire.OpExtendedRequest:
		switch string(op.msg.Extended.Name) {
		case ldapwire.OIDWhoAmI, ldapwire.OIDCancel:
			return true
		}
	}
	return false
}

// handOff makes a new goroutine the reader because op, which the reader
// runs inline, takes long. The goroutine running op stops reading when op
// is done. It does nothing when op is no longer c's inline operation.
func (c *conn) handOff(op *operation) {
	c.mu.Lock()
	if c.inline != op {
		c.mu.Unlock()
		return
	}
	op.handedOff = true
	c.inline = nil
	c.mu.Unlock()
	go c.read()
}

// waitIdle waits until no operation runs.
func (c *conn) waitIdle() {
	c.mu.Lock()
	for len(c.ops) > 0 {
		c.idle.Wait()
	}
	c.mu.Unlock()
}

// runInline runs op on the reader goroutine.
func (c *conn) runInline(op *operation) {
	defer c.srv.putOp(op)
	defer c.recoverOp(op)
	c.srv.handle(op)
}

// run runs op on its own goroutine, releases its slot and recycles it.
func (c *conn) run(op *operation) {
	c.runOp(op)
	c.srv.putOp(op)
}

// runOp runs op and releases its slot.
func (c *conn) runOp(op *operation) {
	defer func() {
		c.mu.Lock()
		if c.ops[op.msgID] == op {
			delete(c.ops, op.msgID)
		}
		if op.cancelDone != nil {
			op.cancelDone <- op.sentCanceled
		}
		empty := len(c.ops) == 0
		c.mu.Unlock()
		if empty {
			c.idle.Broadcast()
		}
		<-c.sem
		c.wg.Done()
	}()
	defer c.recoverOp(op)
	c.srv.handle(op)
}

// recoverOp turns a panic in an operation into an `other` result and a log
// line; the server goes on.
func (c *conn) recoverOp(op *operation) {
	r := recover()
	if r == nil {
		return
	}
	c.srv.log.Error(fmt.Sprintf("conn=%d op=%d panic: %v\n%s", c.id, op.num, r, debug.Stack()))
	if !op.responded && op.respOp != 0 {
		op.buf = op.buf[:0]
		op.sendResult(ldapwire.Other, "", "internal error")
	}
}

// finishAll cancels nothing but waits for running operations (their
// responses are still written) — except after an Unbind or a broken
// connection, where they are abandoned as slapd does.
func (c *conn) finishAll() {
	c.mu.Lock()
	for _, op := range c.ops {
		if !c.srv.shutdown.Load() || c.broken.Load() {
			op.abandon()
		}
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// write writes b to the connection under the write mutex. Errors mark the
// connection broken; the reader then stops.
func (c *conn) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.broken.Load() {
		return net.ErrClosed
	}
	if wt := c.srv.cfg.WriteTimeout; wt > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(time.Duration(wt) * time.Second))
	}
	_, err := c.nc.Write(b)
	if err != nil {
		c.broken.Store(true)
		c.nc.Close()
		return err
	}
	return nil
}
