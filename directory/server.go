// Package directory is hostdir's LDAP frontend: it accepts connections
// (ldap://, ldaps://, ldapi://), decodes requests with package ldapwire,
// runs every LDAP operation with slapd's semantics — result codes,
// diagnostic texts, DN forms, operational attributes, limits, controls and
// extended operations — against the stores of the configured databases
// (package store), and writes the responses.
//
// # Structure
//
// A Server holds the configuration (package config), one Backend per
// database, an Authorizer and a logger. Each connection has one reader
// goroutine that frames and decodes PDUs. A request that arrives alone
// (the client waits for each answer, as Postfix and Courier do) runs on
// the reader goroutine itself; when it runs longer than a millisecond
// another goroutine takes over reading, so that Abandon, Cancel and more
// requests are still read. Pipelined requests run concurrently, at most
// MaxInFlight per connection (Dovecot pipelines up to 8), each in its own
// goroutine. Responses are written through the connection's write mutex.
// A Bind waits until the operations before it have finished and nothing
// is read while it runs, so it is atomic for the operations that follow
// it; StartTLS likewise runs alone.
//
// # Compatibility
//
// Behaviour was checked against OpenLDAP 2.5's slapd (Debian) with the same
// configuration: see the comments of each operation for the order in which
// slapd checks things and the texts it sends.
package directory

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"hostdir/directory/bootstrap"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hostdir/directory/config"
	"hostdir/directory/dn"
	"hostdir/directory/filter"
	"hostdir/directory/password"
	"hostdir/directory/store"
	"hostdir/schema"
)

// Defaults of the Options.
const (
	// DefaultMaxInFlight is the number of requests of one connection that
	// run at the same time; the reader stops reading while they are all busy.
	DefaultMaxInFlight = 16
	// DefaultMaxConnections is the default limit of open connections.
	DefaultMaxConnections = 8192
	// DefaultIncompletePDUTimeout bounds the time a client may take to send
	// the rest of a PDU it has started. Idle time between PDUs is not
	// bounded by it (see config idletimeout).
	DefaultIncompletePDUTimeout = 30 * time.Second
	// DefaultTLSHandshakeTimeout bounds an LDAPS or StartTLS handshake.
	DefaultTLSHandshakeTimeout = 30 * time.Second
	// DefaultLDAPIPath is slapd's default unix socket (ldapi:/// with no path).
	DefaultLDAPIPath = "/var/run/slapd/ldapi"
)

// Options are the optional settings of a Server. The zero Options are
// usable: logging to slog.Default at the configuration's loglevel, TLS
// from the configuration's TLS directives, slapd's default access policy.
type Options struct {
	// Logger receives slapd-style log lines ("conn=1000 op=0 BIND ...").
	// nil: slog.Default().
	Logger *slog.Logger
	// LogLines, when not nil, receives the stats lines instead of Logger
	// (which still gets the errors and warnings). It is the fast path:
	// a line costs an append into a reused buffer and one WriteLine call.
	LogLines LineWriter
	// LogLevel overrides the configuration's loglevel when not nil (the
	// serve command's -d flag). config.LogStats enables the per-operation
	// lines; 0 or config.LogNone keeps only errors.
	LogLevel *config.LogLevel
	// TLSConfig is used for ldaps:// listeners and StartTLS. nil: built
	// from the configuration's TLSCertificateFile, TLSCertificateKeyFile,
	// TLSCACertificateFile, TLSVerifyClient and TLSProtocolMin; without a
	// certificate there is no TLS (StartTLS is then an unsupported extended
	// operation, as in slapd).
	TLSConfig *tls.Config
	// Authorizer decides access. nil: a PolicyAuthorizer over the
	// configuration's access directives (each database's followed by the
	// global ones), compiled by New; with no directives it is slapd's
	// default: everyone reads everything, only the root DN writes.
	Authorizer Authorizer
	// MaxConnections is the most open connections; more are closed at once
	// with a log line (0: DefaultMaxConnections).
	MaxConnections int
	// MaxInFlight is the most requests of one connection processed at the
	// same time (0: DefaultMaxInFlight).
	MaxInFlight int
	// IncompletePDUTimeout: a connection that has sent part of a PDU and
	// nothing more for this long is closed (0: DefaultIncompletePDUTimeout).
	IncompletePDUTimeout time.Duration
	// Now returns the current time (nil: time.Now); tests set it.
	Now func() time.Time
	// CloseBackends makes Shutdown close the backends (Open sets it).
	CloseBackends bool
}

// database is one configured database with its backend.
type database struct {
	cfg      *config.Database
	backend  store.Backend
	suffixes []string // normalized
	pretty   []string // pretty suffixes, for namingContexts
	rootNDN  string   // normalized root DN ("" none)
	rootDN   string   // pretty root DN
	rootPW   string
	readOnly bool
	lastMod  bool
}

// Server is an LDAP server. Create it with New or Open, start it with
// Serve or ListenAndServe, stop it with Shutdown. Its methods are safe for
// concurrent use.
type Server struct {
	cfg    *config.Config
	schema *schema.Schema
	dbs    []*database
	opts   Options

	log      *slog.Logger
	lines    LineWriter // nil: stats lines go to log
	logLevel config.LogLevel
	stats    bool // LogStats on: per-operation lines
	tls      *tls.Config
	authz    Authorizer
	hasher   password.Hasher
	now      func() time.Time

	maxConns    int
	maxInFlight int
	pduTimeout  time.Duration

	connSeq atomic.Uint64
	nconns  atomic.Int64
	csn     csnClock
	// uuids makes the entryUUIDs of added entries.
	uuids    bootstrap.UUIDGenerator
	shutdown atomic.Bool

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	connWG    sync.WaitGroup
	closed    bool

	opPool      sync.Pool
	searchPool  sync.Pool
	linePool    sync.Pool    // *[]byte for lines logged outside operations
	inline      inlineWatch  // operations running on their reader goroutines
	filterCache filter.Cache // shared by the operations' filter compilers
	subsch      subschemaCache
	rootDSE     rootDSEInfo
}

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown.
var ErrServerClosed = errors.New("directory: server closed")

// New returns a Server for cfg with backends[i] serving cfg.Databases[i].
// The backends stay the caller's unless opts.CloseBackends is set.
func New(cfg *config.Config, backends []store.Backend, opts Options) (*Server, error) {
	if cfg == nil {
		return nil, errors.New("directory: nil config")
	}
	if cfg.Schema == nil {
		return nil, errors.New("directory: config has no schema")
	}
	if len(backends) != len(cfg.Databases) {
		return nil, fmt.Errorf("directory: %d backends for %d databases", len(backends), len(cfg.Databases))
	}
	s := &Server{
		cfg:       cfg,
		schema:    cfg.Schema,
		opts:      opts,
		log:       opts.Logger,
		lines:     opts.LogLines,
		authz:     opts.Authorizer,
		now:       opts.Now,
		listeners: map[net.Listener]struct{}{},
		conns:     map[*conn]struct{}{},
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.logLevel = cfg.LogLevel
	if opts.LogLevel != nil {
		s.logLevel = *opts.LogLevel
	}
	s.stats = s.logLevel != config.LogNone && s.logLevel&config.LogStats != 0
	if s.authz == nil {
		pa, err := NewPolicyAuthorizer(cfg)
		if err != nil {
			return nil, err
		}
		s.authz = pa
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.maxConns = opts.MaxConnections
	if s.maxConns <= 0 {
		s.maxConns = DefaultMaxConnections
	}
	s.maxInFlight = opts.MaxInFlight
	if s.maxInFlight <= 0 {
		s.maxInFlight = DefaultMaxInFlight
	}
	s.pduTimeout = opts.IncompletePDUTimeout
	if s.pduTimeout <= 0 {
		s.pduTimeout = DefaultIncompletePDUTimeout
	}
	s.hasher.CryptSaltFormat = cfg.PasswordCryptSaltFormat
	for i, dc := range cfg.Databases {
		d := &database{cfg: dc, backend: backends[i], rootPW: dc.RootPW, readOnly: dc.ReadOnly, lastMod: dc.LastMod}
		if d.backend == nil {
			return nil, fmt.Errorf("directory: database %d (%s): nil backend", i, strings.Join(dc.SuffixesRaw, " "))
		}
		for _, raw := range dc.SuffixesRaw {
			p, n, err := s.schema.PrettyNormalDN(raw)
			if err != nil {
				return nil, fmt.Errorf("directory: suffix %q: %w", raw, err)
			}
			d.suffixes = append(d.suffixes, n)
			d.pretty = append(d.pretty, p)
		}
		if dc.RootDNRaw != "" {
			p, n, err := s.schema.PrettyNormalDN(dc.RootDNRaw)
			if err != nil {
				return nil, fmt.Errorf("directory: rootdn %q: %w", dc.RootDNRaw, err)
			}
			d.rootDN, d.rootNDN = p, n
		}
		s.dbs = append(s.dbs, d)
	}
	if opts.TLSConfig != nil {
		s.tls = opts.TLSConfig
	} else {
		tc, err := TLSConfigFrom(&cfg.TLS)
		if err != nil {
			return nil, err
		}
		s.tls = tc
	}
	s.opPool.New = func() any { return new(operation) }
	s.rootDSE = s.buildRootDSE()
	return s, nil
}

// Open opens the store of every database of cfg at its `directory` (created
// if missing, with the database's indexes) and returns a Server that closes
// them at Shutdown. On error the stores opened so far are closed.
func Open(cfg *config.Config, opts Options) (*Server, error) {
	if cfg == nil || cfg.Schema == nil {
		return nil, errors.New("directory: nil config or schema")
	}
	var backends []store.Backend
	closeAll := func() {
		for _, b := range backends {
			b.Close()
		}
	}
	for _, dc := range cfg.Databases {
		db, err := OpenStore(cfg, dc)
		if err != nil {
			closeAll()
			return nil, err
		}
		backends = append(backends, db)
	}
	opts.CloseBackends = true
	s, err := New(cfg, backends, opts)
	if err != nil {
		closeAll()
		return nil, err
	}
	return s, nil
}

// LazyFreelistMaxSize is the largest store file (256 MiB, about 100,000
// entries) that the server opens without writing bbolt's freelist at each
// commit: a sixth less CPU per small write, for a rebuild of the freelist
// at the next start that reads the whole file (about 80 ms at that size
// from the page cache).
const LazyFreelistMaxSize = 256 << 20

// OpenStore opens (creating if needed) the store of one database of cfg
// in dc.Directory, with its suffixes and indexes, waiting up to 5 s for a
// store file held by another process. It is bootstrap.OpenStore, which the
// import and export commands use too, with the server's options: a file
// of at most LazyFreelistMaxSize bytes does not write bbolt's freelist at
// each commit (see store.Options.LazyFreelistMaxSize).
func OpenStore(cfg *config.Config, dc *config.Database) (*store.DB, error) {
	db, _, err := bootstrap.OpenStore(cfg, dc, store.Options{Timeout: 5 * time.Second, LazyFreelistMaxSize: LazyFreelistMaxSize})
	if err != nil {
		return nil, fmt.Errorf("directory: open database %s: %w", strings.Join(dc.SuffixesRaw, " "), err)
	}
	return db, nil
}

// StoreFileName is the name of a database's store file in its directory.
const StoreFileName = bootstrap.DBFile

// Schema returns the server's schema.
func (s *Server) Schema() *schema.Schema { return s.schema }

// Backend returns the backend of the database holding the DN (nil if the
// DN is under no suffix or does not parse).
func (s *Server) Backend(dnStr string) store.Backend {
	_, ndn, err := s.schema.PrettyNormalDN(dnStr)
	if err != nil {
		return nil
	}
	if d := s.selectDB(ndn); d != nil {
		return d.backend
	}
	return nil
}

// selectDB returns the database whose suffix holds ndn (the longest
// suffix wins), or nil.
func (s *Server) selectDB(ndn string) *database {
	var best *database
	bestLen := -1
	for _, d := range s.dbs {
		for _, suf := range d.suffixes {
			if len(suf) > bestLen && dn.IsUnder(ndn, suf) {
				best, bestLen = d, len(suf)
			}
		}
	}
	return best
}

// isSuffix reports whether ndn is a suffix of d.
func (d *database) isSuffix(ndn string) bool {
	for _, s := range d.suffixes {
		if s == ndn {
			return true
		}
	}
	return false
}

// Serve accepts connections on l until Shutdown or an accept error, and
// serves each in its own goroutines. It returns ErrServerClosed after
// Shutdown. A listener from tls.NewListener gets LDAPS treatment (TLS
// handshake, TLS SSF). ctx ending stops accepting, like Shutdown without
// waiting.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	return s.serve(ctx, l, listenerKind(l))
}

func (s *Server) serve(ctx context.Context, l net.Listener, kind listenKind) error {
	if !s.trackListener(l, true) {
		l.Close()
		return ErrServerClosed
	}
	defer s.trackListener(l, false)
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.shutdown.Load() {
				return ErrServerClosed
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) || isTemporary(err) {
				// EMFILE and friends: back off, as net/http does.
				if delay == 0 {
					delay = 5 * time.Millisecond
				} else if delay *= 2; delay > time.Second {
					delay = time.Second
				}
				s.log.Warn(fmt.Sprintf("accept error: %v; retrying in %v", err, delay))
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("directory: accept: %w", err)
		}
		delay = 0
		s.accept(nc, l, kind)
	}
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

func (s *Server) trackListener(l net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.closed {
			return false
		}
		s.listeners[l] = struct{}{}
		return true
	}
	delete(s.listeners, l)
	return true
}

// accept registers a new connection and starts its reader.
func (s *Server) accept(nc net.Conn, l net.Listener, kind listenKind) {
	id := 1000 + s.connSeq.Add(1) - 1
	if n := s.nconns.Add(1); n > int64(s.maxConns) {
		s.nconns.Add(-1)
		s.log.Warn(fmt.Sprintf("conn=%d connection limit reached (%d open): closing connection from %s",
			id, s.maxConns, addrString(nc.RemoteAddr(), kind)))
		nc.Close()
		return
	}
	c := newConn(s, nc, id, kind, l.Addr())
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.nconns.Add(-1)
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.connWG.Add(1)
	s.mu.Unlock()
	go c.serve()
}

// removeConn forgets a closed connection.
func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.nconns.Add(-1)
	s.connWG.Done()
}

// Shutdown stops the server gracefully: it closes the listeners, stops
// reading requests, lets the operations in progress finish and send their
// results, closes the connections and, if the Server owns them, the
// backends. When ctx ends first, the remaining operations are cancelled
// and the connections closed at once; ctx's error is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdown.Store(true)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.stopReading()
	}
	done := make(chan struct{})
	go func() {
		s.connWG.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		for c := range s.conns {
			c.abort()
		}
		s.mu.Unlock()
		<-done
	}
	if s.opts.CloseBackends {
		for _, d := range s.dbs {
			if cerr := d.backend.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("directory: close backend: %w", cerr)
			}
		}
	}
	return err
}

// Addrs returns the addresses of the listeners being served.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []net.Addr
	for l := range s.listeners {
		out = append(out, l.Addr())
	}
	return out
}
