package lmtp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hostdir/delivery"
)

// Defaults of the Server's limits.
const (
	DefaultMaxLineLength    = 4096
	DefaultMaxRecipients    = 1000
	DefaultMaxMessageSize   = 50 << 20 // Postfix's message_size_limit is 10240000
	DefaultMaxConnections   = 100
	DefaultMaxInFlightBytes = 512 << 20
	DefaultCommandTimeout   = 5 * time.Minute
	DefaultDataTimeout      = 10 * time.Minute
	DefaultShutdownGrace    = 30 * time.Second
)

// Agent is what the server needs of *delivery.Agent: resolution at RCPT
// time and the delivery of the pipe mode. It must be safe for concurrent
// use: one Agent serves every session.
type Agent interface {
	Verify(ctx context.Context, recipient string) (*delivery.Resolution, error)
	DeliverEnvelope(ctx context.Context, env delivery.Envelope, msg []byte) error
}

// Server is an LMTP (RFC 2033) server delivering with one Agent. Set the
// fields before Serve; zero values mean the defaults.
type Server struct {
	// Agent delivers. Required.
	Agent Agent
	// Hostname is named in the greeting and the LHLO reply.
	Hostname string
	// MaxLineLength bounds a command line, line ending included; longer
	// lines are refused with 500 5.5.2 (message lines may be longer: the
	// message size bounds them).
	MaxLineLength int
	// MaxRecipients bounds the RCPTs of one transaction (452 4.5.3 past it;
	// Postfix then sends the rest in another transaction).
	MaxRecipients int
	// MaxMessageSize is announced as SIZE and enforced: 552 5.3.4 at MAIL
	// FROM (SIZE=) or after DATA.
	MaxMessageSize int64
	// MaxConnections bounds concurrent sessions; more are greeted with 421
	// 4.3.2 and closed (Postfix retries later).
	MaxConnections int
	// MaxInFlightBytes bounds the message bytes held by all sessions
	// together; a transaction that does not fit is answered 452 4.3.1.
	MaxInFlightBytes int64
	// CommandTimeout bounds the wait for each command line (and each
	// message line): 421 4.4.2 and close when it passes. It also bounds
	// each write.
	CommandTimeout time.Duration
	// DataTimeout bounds the whole DATA transfer.
	DataTimeout time.Duration
	// DeliveryTimeout bounds the deliveries of one transaction (all its
	// recipients); recipients left when it passes are answered 451 4.3.0.
	// Keep it well below Postfix's lmtp_data_done_timeout (600s). Default:
	// delivery.DefaultTimeout.
	DeliveryTimeout time.Duration
	// ShutdownGrace is how long Serve lets transactions in progress finish
	// after its context ends.
	ShutdownGrace time.Duration
	// Idempotent, when true, keys each delivery by the queue id of the
	// message's topmost Received field when Postfix wrote it (see
	// QueueIDFromReceived and the package documentation), so that
	// Postfix's retry after a crash between the fsync and the reply adds
	// no second copy. When false, or without such a field, delivery is at
	// least once.
	Idempotent bool
	// Log receives one line per delivery (level Info) and diagnostics;
	// nil discards.
	Log *slog.Logger

	inflight budget
	active   atomic.Int64
}

// ErrServerClosed is returned by Serve after its context ended and the
// sessions finished.
var ErrServerClosed = errors.New("lmtp: server closed")

func (s *Server) hostname() string {
	if s.Hostname != "" {
		return s.Hostname
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

func orInt(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}

func orInt64(v, d int64) int64 {
	if v > 0 {
		return v
	}
	return d
}

func orDur(v, d time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return d
}

// limits are a Server's settings with defaults applied.
type limits struct {
	host                               string
	line, rcpts, conns                 int
	size, inflight                     int64
	cmd, data, delivery, grace         time.Duration
	idempotent                         bool
	log                                *slog.Logger
	agent                              Agent
	budget                             *budget
	shuttingDown                       *atomic.Bool
	hardCtx                            context.Context
	registerSession, unregisterSession func(*session)
}

// Serve accepts connections on ln and serves each in its own goroutine
// until ctx ends. Then it closes ln, lets every transaction in progress
// finish (sessions waiting for a command are answered 421 4.3.2 and closed)
// for at most ShutdownGrace, closes what is left, waits for the sessions
// and returns ErrServerClosed. Another accept error is returned at once
// (after the same shutdown).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Agent == nil {
		return errors.New("lmtp: Server.Agent is nil")
	}
	log := s.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var shutting atomic.Bool
	hardCtx, hardCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hardCancel()
	var (
		mu       sync.Mutex
		sessions = map[*session]struct{}{}
		wg       sync.WaitGroup
	)
	s.inflight.max = orInt64(s.MaxInFlightBytes, DefaultMaxInFlightBytes)
	lim := &limits{
		host:         s.hostname(),
		line:         orInt(s.MaxLineLength, DefaultMaxLineLength),
		rcpts:        orInt(s.MaxRecipients, DefaultMaxRecipients),
		conns:        orInt(s.MaxConnections, DefaultMaxConnections),
		size:         orInt64(s.MaxMessageSize, DefaultMaxMessageSize),
		cmd:          orDur(s.CommandTimeout, DefaultCommandTimeout),
		data:         orDur(s.DataTimeout, DefaultDataTimeout),
		delivery:     orDur(s.DeliveryTimeout, delivery.DefaultTimeout),
		grace:        orDur(s.ShutdownGrace, DefaultShutdownGrace),
		idempotent:   s.Idempotent,
		log:          log,
		agent:        s.Agent,
		budget:       &s.inflight,
		shuttingDown: &shutting,
		hardCtx:      hardCtx,
		registerSession: func(ss *session) {
			mu.Lock()
			sessions[ss] = struct{}{}
			mu.Unlock()
		},
		unregisterSession: func(ss *session) {
			mu.Lock()
			delete(sessions, ss)
			mu.Unlock()
		},
	}
	// Closing the listener is how the accept loop learns of ctx's end.
	stop := context.AfterFunc(ctx, func() {
		shutting.Store(true)
		ln.Close()
		mu.Lock()
		for ss := range sessions {
			ss.wakeIdle()
		}
		mu.Unlock()
	})
	defer stop()

	var acceptErr error
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || shutting.Load() {
				break
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			acceptErr = fmt.Errorf("lmtp: accept: %w", err)
			shutting.Store(true)
			ln.Close()
			mu.Lock()
			for ss := range sessions {
				ss.wakeIdle()
			}
			mu.Unlock()
			break
		}
		if n := s.active.Add(1); n > int64(lim.conns) {
			s.active.Add(-1)
			_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.WriteString(c, "421 4.3.2 "+lim.host+" too many connections, try again later\r\n")
			c.Close()
			log.Warn("connection refused: too many connections", "remote", c.RemoteAddr().String(), "limit", lim.conns)
			continue
		}
		ss := newSession(lim, c)
		lim.registerSession(ss)
		if shutting.Load() {
			ss.wakeIdle()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.active.Add(-1)
			defer lim.unregisterSession(ss)
			ss.serve()
		}()
	}
	// Let transactions in progress finish, then force the rest.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(lim.grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		log.Warn("shutdown grace period over: closing sessions", "grace", lim.grace)
		hardCancel()
		mu.Lock()
		for ss := range sessions {
			ss.conn.Close()
		}
		mu.Unlock()
		<-done
	}
	if acceptErr != nil {
		return acceptErr
	}
	return ErrServerClosed
}

// budget is a shared byte allowance.
type budget struct {
	mu        sync.Mutex
	used, max int64
}

func (b *budget) acquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

// Used returns the message bytes the sessions hold now.
func (s *Server) Used() int64 {
	s.inflight.mu.Lock()
	defer s.inflight.mu.Unlock()
	return s.inflight.used
}

// rcpt is one accepted recipient.
type rcpt struct {
	addr string
	res  *delivery.Resolution
}

// session is one connection.
type session struct {
	lim  *limits
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer

	mu   sync.Mutex
	idle bool // waiting for a command outside a transaction

	lhlo     bool
	inTx     bool
	sender   string
	rcpts    []rcpt
	reserved int64 // bytes of the budget this transaction holds
}

// errClose ends a session after its last reply was written.
var errClose = errors.New("close session")

func newSession(lim *limits, c net.Conn) *session {
	return &session{
		lim:  lim,
		conn: c,
		r:    bufio.NewReaderSize(c, 8192),
		w:    bufio.NewWriterSize(c, 4096),
	}
}

// wakeIdle interrupts a session waiting for the next command outside a
// transaction, so that it can say good-bye at shutdown.
func (ss *session) wakeIdle() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.idle {
		_ = ss.conn.SetReadDeadline(time.Now())
	}
}

func (ss *session) setIdle(v bool) {
	ss.mu.Lock()
	ss.idle = v
	ss.mu.Unlock()
}

// reply queues one reply line; flush sends the queue.
func (ss *session) reply(code int, text string) {
	ss.w.WriteString(strconv.Itoa(code))
	ss.w.WriteByte(' ')
	ss.w.WriteString(text)
	ss.w.WriteString("\r\n")
}

func (ss *session) flush() error {
	_ = ss.conn.SetWriteDeadline(time.Now().Add(ss.lim.cmd))
	return ss.w.Flush()
}

func (ss *session) serve() {
	defer ss.conn.Close()
	defer ss.resetTx()
	defer func() {
		if r := recover(); r != nil {
			ss.lim.log.Error("panic in LMTP session", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	ss.reply(220, ss.lim.host+" LMTP hostdir-deliver ready")
	if ss.flush() != nil {
		return
	}
	for {
		// Pipelined commands are answered together: flush only when the
		// client has sent nothing more yet.
		if ss.r.Buffered() == 0 {
			if ss.flush() != nil {
				return
			}
		}
		if !ss.inTx && ss.lim.shuttingDown.Load() {
			ss.reply(421, "4.3.2 "+ss.lim.host+" service shutting down, closing connection")
			_ = ss.flush()
			return
		}
		// The deadline is set under the lock wakeIdle takes, so a wake-up
		// is never overwritten: it either comes after this (and ends the
		// read at once) or before (and shuttingDown is seen here).
		ss.mu.Lock()
		ss.idle = !ss.inTx
		_ = ss.conn.SetReadDeadline(time.Now().Add(ss.lim.cmd))
		ss.mu.Unlock()
		if !ss.inTx && ss.lim.shuttingDown.Load() {
			continue // raced with wakeIdle: say good-bye above
		}
		line, err := ss.readCommand()
		ss.setIdle(false)
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				ss.reply(500, "5.5.2 Error: line too long")
				continue
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if !ss.inTx && ss.lim.shuttingDown.Load() {
					continue // woken for shutdown
				}
				ss.reply(421, "4.4.2 "+ss.lim.host+" Error: timeout exceeded")
				_ = ss.flush()
			}
			return
		}
		if err := ss.command(line); err != nil {
			_ = ss.flush()
			return
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readCommand reads one command line (within the read deadline serve
// set); a line longer than MaxLineLength is consumed and reported as
// errLineTooLong.
func (ss *session) readCommand() (string, error) {
	var buf []byte
	tooLong := false
	for {
		part, err := ss.r.ReadSlice('\n')
		if !tooLong {
			buf = append(buf, part...)
			if len(buf) > ss.lim.line {
				tooLong, buf = true, nil
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return "", err
		}
		break
	}
	if tooLong {
		return "", errLineTooLong
	}
	return strings.TrimRight(string(buf), "\r\n"), nil
}

// command executes one command line. errClose ends the session.
func (ss *session) command(line string) error {
	cmd, err := ParseCommand(line)
	if err != nil {
		ss.reply(500, "5.5.2 Error: command not recognized")
		return nil
	}
	switch cmd.Verb {
	case "LHLO":
		if strings.TrimSpace(cmd.Arg) == "" {
			ss.reply(501, "5.5.4 Syntax: LHLO hostname")
			return nil
		}
		ss.resetTx()
		ss.lhlo = true
		ss.w.WriteString("250-" + ss.lim.host + "\r\n")
		ss.w.WriteString("250-PIPELINING\r\n")
		ss.w.WriteString("250-SIZE " + strconv.FormatInt(ss.lim.size, 10) + "\r\n")
		ss.w.WriteString("250-ENHANCEDSTATUSCODES\r\n")
		ss.w.WriteString("250-8BITMIME\r\n")
		ss.reply(250, "SMTPUTF8")
	case "HELO", "EHLO":
		ss.reply(500, "5.5.1 Error: this is an LMTP server, say LHLO")
	case "MAIL":
		ss.mail(cmd.Arg)
	case "RCPT":
		ss.rcpt(cmd.Arg)
	case "DATA":
		return ss.data(cmd.Arg)
	case "RSET":
		ss.resetTx()
		ss.reply(250, "2.0.0 Ok")
	case "NOOP":
		ss.reply(250, "2.0.0 Ok")
	case "VRFY", "EXPN":
		ss.reply(502, "5.5.1 Error: "+cmd.Verb+" command is disabled")
	case "QUIT":
		ss.reply(221, "2.0.0 Bye")
		return errClose
	default:
		ss.reply(500, "5.5.2 Error: command not recognized")
	}
	return nil
}

// resetTx ends the transaction and returns its bytes to the budget.
func (ss *session) resetTx() {
	ss.inTx, ss.sender, ss.rcpts = false, "", nil
	if ss.reserved > 0 {
		ss.lim.budget.release(ss.reserved)
		ss.reserved = 0
	}
}

func (ss *session) mail(arg string) {
	switch {
	case !ss.lhlo:
		ss.reply(503, "5.5.1 Error: send LHLO first")
		return
	case ss.inTx:
		ss.reply(503, "5.5.1 Error: nested MAIL command")
		return
	}
	addr, params, err := ParsePathArg(arg, "FROM:")
	if err != nil {
		if errors.Is(err, ErrParam) {
			ss.reply(555, "5.5.4 Unsupported option or syntax error in parameters")
		} else {
			ss.reply(501, "5.1.7 Bad sender address syntax")
		}
		return
	}
	mp, err := parseMailParams(params, true)
	if err != nil {
		ss.reply(555, "5.5.4 Unsupported option or syntax error in parameters")
		return
	}
	if mp.size > ss.lim.size {
		ss.reply(552, "5.3.4 Message size exceeds fixed limit")
		return
	}
	if mp.size > 0 && !ss.lim.budget.acquire(mp.size) {
		ss.reply(452, "4.3.1 Insufficient system storage")
		return
	}
	if mp.size > 0 {
		ss.reserved = mp.size
	}
	ss.inTx, ss.sender, ss.rcpts = true, addr, nil
	ss.reply(250, "2.1.0 Ok")
}

func (ss *session) rcpt(arg string) {
	if !ss.inTx {
		ss.reply(503, "5.5.1 Error: need MAIL command")
		return
	}
	addr, params, err := ParsePathArg(arg, "TO:")
	if err != nil || addr == "" {
		if errors.Is(err, ErrParam) {
			ss.reply(555, "5.5.4 Unsupported option or syntax error in parameters")
		} else {
			ss.reply(501, "5.1.3 Bad recipient address syntax")
		}
		return
	}
	if len(params) > 0 {
		ss.reply(555, "5.5.4 Unsupported option: "+params[0].Keyword)
		return
	}
	if len(ss.rcpts) >= ss.lim.rcpts {
		ss.reply(452, "4.5.3 Error: too many recipients")
		return
	}
	ctx, cancel := context.WithTimeout(ss.lim.hardCtx, ss.lim.delivery)
	defer cancel()
	res, err := verify(ctx, ss.lim.agent, addr)
	if err != nil {
		r := ReplyFor(err, Reply{})
		ss.lim.log.Info("recipient refused", "from", ss.sender, "to", addr, "reply", r.String())
		ss.reply(r.Code, r.Text)
		return
	}
	ss.rcpts = append(ss.rcpts, rcpt{addr: addr, res: res})
	ss.reply(250, "2.1.5 Ok")
}

// verify calls a.Verify, turning a panic into a temporary failure.
func verify(ctx context.Context, a Agent, addr string) (res *delivery.Resolution, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, delivery.Tempf("4.3.0", nil, "internal error: panic: %v", r)
		}
	}()
	return a.Verify(ctx, addr)
}

// dataChunk is the budget reserved at a time while a message arrives.
const dataChunk = 64 << 10

func (ss *session) data(arg string) error {
	switch {
	case strings.TrimSpace(arg) != "":
		ss.reply(501, "5.5.4 Syntax: DATA")
		return nil
	case !ss.inTx:
		ss.reply(503, "5.5.1 Error: need MAIL command")
		return nil
	case len(ss.rcpts) == 0:
		ss.reply(503, "5.5.1 Error: need RCPT command")
		return nil
	}
	ss.reply(354, "End data with <CR><LF>.<CR><LF>")
	if err := ss.flush(); err != nil {
		return err
	}
	msg, status, err := ss.readData()
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			ss.reply(421, "4.4.2 "+ss.lim.host+" Error: timeout exceeded")
		}
		return errClose
	}
	n := len(ss.rcpts)
	switch status {
	case dataTooBig:
		for i := 0; i < n; i++ {
			ss.reply(552, "5.3.4 Message size exceeds fixed limit")
		}
	case dataNoRoom:
		for i := 0; i < n; i++ {
			ss.reply(452, "4.3.1 Insufficient system storage")
		}
	default:
		ss.deliver(msg)
	}
	ss.resetTx()
	return ss.flush()
}

// Outcomes of readData besides a complete message.
const (
	dataOK = iota
	dataTooBig
	dataNoRoom
)

// readData reads the message up to the line ".", removing the dot
// stuffing and turning CRLF into LF (Postfix's pipe(8) hands over LF
// lines; maildirs hold them). Past the size limit or the byte budget it
// reads on to the end and discards.
func (ss *session) readData() ([]byte, int, error) {
	deadline := time.Now().Add(ss.lim.data)
	var msg []byte
	status := dataOK
	atStart, pendingCR := true, false
	add := func(b []byte) {
		if status != dataOK {
			return
		}
		if int64(len(msg)+len(b)) > ss.lim.size {
			status = dataTooBig
			msg = nil
			return
		}
		for int64(len(msg)+len(b)) > ss.reserved {
			if !ss.lim.budget.acquire(dataChunk) {
				status = dataNoRoom
				msg = nil
				return
			}
			ss.reserved += dataChunk
		}
		msg = append(msg, b...)
	}
	for {
		d := time.Now().Add(ss.lim.cmd)
		if deadline.Before(d) {
			d = deadline
		}
		_ = ss.conn.SetReadDeadline(d)
		part, err := ss.r.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			return nil, status, err
		}
		full := err == nil // part ends with '\n'
		if atStart && full && (string(part) == ".\r\n" || string(part) == ".\n") {
			if pendingCR {
				add([]byte{'\r'})
			}
			return msg, status, nil
		}
		if pendingCR {
			if part[0] != '\n' {
				add([]byte{'\r'})
			}
			pendingCR = false
		}
		if atStart && len(part) > 0 && part[0] == '.' {
			part = part[1:]
		}
		switch {
		case full && len(part) >= 2 && part[len(part)-2] == '\r':
			add(part[:len(part)-2])
			add([]byte{'\n'})
		case !full && len(part) > 0 && part[len(part)-1] == '\r':
			add(part[:len(part)-1])
			pendingCR = true
		default:
			add(part)
		}
		atStart = full
	}
}

// deliver delivers msg to each recipient in order, one reply each (RFC
// 2033), within DeliveryTimeout for all of them.
func (ss *session) deliver(msg []byte) {
	ctx, cancel := context.WithTimeout(ss.lim.hardCtx, ss.lim.delivery)
	defer cancel()
	qid := ""
	if ss.lim.idempotent {
		qid = QueueIDFromReceived(msg)
	}
	timedOut := false
	for _, r := range ss.rcpts {
		start := time.Now()
		var err error
		switch {
		case timedOut:
			err = delivery.Tempf("4.3.0", nil, "delivery agent timed out after %s", ss.lim.delivery)
		case HasDeliveredTo(msg, r.addr):
			err = &delivery.Error{Exit: delivery.ExitUnavailable, DSN: "5.4.6",
				Msg: "mail forwarding loop for " + delivery.NormalizeAddress(r.addr)}
		default:
			env := delivery.Envelope{Sender: ss.sender, Recipient: r.addr, QueueID: qid, Resolved: r.res}
			err = deliverOne(ctx, ss.lim.agent, env, msg)
			if ctx.Err() != nil {
				timedOut = true
			}
		}
		rep := ReplyFor(err, Reply{250, "2.0.0 Ok: delivered to <" + delivery.OutputLine(r.addr) + ">"})
		status := "sent"
		switch {
		case rep.Code >= 500:
			status = "bounced"
		case rep.Code >= 400:
			status = "deferred"
		}
		ss.lim.log.Info("delivery", "from", ss.sender, "to", r.addr, "queue_id", qid, "size", len(msg),
			"status", status, "reply", rep.String(), "delay", time.Since(start).Round(time.Millisecond).String())
		ss.reply(rep.Code, rep.Text)
	}
}

// deliverOne runs one DeliverEnvelope with a watchdog: when a system call
// hangs past ctx's end plus delivery.WatchdogGrace, the answer is a
// temporary failure (the call is abandoned, as the pipe mode's process
// would exit). A panic is a temporary failure too.
func deliverOne(ctx context.Context, a Agent, env delivery.Envelope, msg []byte) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- delivery.Tempf("4.3.0", nil, "internal error: panic: %v", r)
			}
		}()
		done <- a.DeliverEnvelope(ctx, env, msg)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	t := time.NewTimer(delivery.WatchdogGrace)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return delivery.Tempf("4.3.0", nil, "delivery agent timed out")
	}
}
