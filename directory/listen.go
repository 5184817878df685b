package directory

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
)

// listenKind is the kind of a listener: plain TCP, LDAPS or a unix socket.
type listenKind int

const (
	kindLDAP listenKind = iota
	kindLDAPS
	kindLDAPI
)

// listenerKind guesses the kind of a listener given to Serve.
func listenerKind(l net.Listener) listenKind {
	if l.Addr() != nil && l.Addr().Network() == "unix" {
		return kindLDAPI
	}
	if _, ok := l.(tlsListener); ok {
		return kindLDAPS
	}
	return kindLDAP
}

// tlsListener marks the listeners ListenAndServe wraps in TLS.
type tlsListener struct{ net.Listener }

// ListenURL is one parsed listener URL of slapd's -h option.
type ListenURL struct {
	// Scheme is "ldap", "ldaps" or "ldapi".
	Scheme string
	// Addr is host:port for ldap and ldaps, the socket path for ldapi.
	Addr string
}

// ParseListenURLs parses slapd's -h argument: space-separated URLs such as
// "ldap://127.0.0.1:3389/ ldaps://host:636/ ldapi://%2Fpath%2Fto%2Fsock".
// ldap:/// listens on every address at port 389, ldaps:/// at 636; an
// ldapi URL's host is the percent-encoded socket path (DefaultLDAPIPath
// when empty).
func ParseListenURLs(urls string) ([]ListenURL, error) {
	var out []ListenURL
	for _, f := range strings.Fields(urls) {
		i := strings.Index(f, "://")
		if i < 0 {
			return nil, fmt.Errorf("directory: listener URL %q: no scheme", f)
		}
		scheme := strings.ToLower(f[:i])
		rest := f[i+3:]
		if j := strings.IndexAny(rest, "/?"); j >= 0 {
			rest = rest[:j]
		}
		host, err := url.PathUnescape(rest)
		if err != nil {
			return nil, fmt.Errorf("directory: listener URL %q: %w", f, err)
		}
		switch scheme {
		case "ldap", "ldaps":
			port := "389"
			if scheme == "ldaps" {
				port = "636"
			}
			h, p, err := net.SplitHostPort(host)
			if err != nil {
				h, p = host, port
				if strings.Count(host, ":") > 1 && !strings.HasPrefix(host, "[") {
					return nil, fmt.Errorf("directory: listener URL %q: bad host", f)
				}
				h = strings.Trim(h, "[]")
			}
			if p == "" {
				p = port
			}
			out = append(out, ListenURL{Scheme: scheme, Addr: net.JoinHostPort(h, p)})
		case "ldapi":
			if host == "" {
				host = DefaultLDAPIPath
			}
			out = append(out, ListenURL{Scheme: scheme, Addr: host})
		default:
			return nil, fmt.Errorf("directory: listener URL %q: unknown scheme %q", f, scheme)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("directory: no listener URL")
	}
	return out, nil
}

// Listen opens the listeners of slapd's -h argument without serving them
// (see ParseListenURLs). A stale ldapi socket file is removed first. ldaps
// needs TLS configured.
func (s *Server) Listen(urls string) ([]net.Listener, error) {
	lus, err := ParseListenURLs(urls)
	if err != nil {
		return nil, err
	}
	var ls []net.Listener
	fail := func(err error) ([]net.Listener, error) {
		for _, l := range ls {
			l.Close()
		}
		return nil, err
	}
	for _, u := range lus {
		var l net.Listener
		switch u.Scheme {
		case "ldap":
			l, err = net.Listen("tcp", u.Addr)
		case "ldaps":
			if s.tls == nil {
				return fail(fmt.Errorf("directory: %s://%s: no TLS certificate configured", u.Scheme, u.Addr))
			}
			l, err = net.Listen("tcp", u.Addr)
			if err == nil {
				l = tlsListener{l}
			}
		case "ldapi":
			if fi, serr := os.Lstat(u.Addr); serr == nil && fi.Mode()&os.ModeSocket != 0 {
				if c, derr := net.Dial("unix", u.Addr); derr == nil {
					c.Close()
					return fail(fmt.Errorf("directory: ldapi socket %s is in use", u.Addr))
				}
				os.Remove(u.Addr)
			}
			l, err = net.Listen("unix", u.Addr)
			if err == nil {
				os.Chmod(u.Addr, 0o777)
			}
		}
		if err != nil {
			return fail(fmt.Errorf("directory: listen %s://%s: %w", u.Scheme, u.Addr, err))
		}
		ls = append(ls, l)
	}
	return ls, nil
}

// ListenAndServe listens on the URLs of slapd's -h argument (see
// ParseListenURLs) and serves them until ctx ends or Shutdown is called.
// It returns ErrServerClosed after Shutdown, ctx's error when ctx ended,
// or the first listener's error.
func (s *Server) ListenAndServe(ctx context.Context, urls string) error {
	ls, err := s.Listen(urls)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(ls))
	for _, l := range ls {
		wg.Add(1)
		go func(l net.Listener) {
			defer wg.Done()
			kind := listenerKind(l)
			err := s.serve(ctx, l, kind)
			if kind == kindLDAPI {
				os.Remove(l.Addr().String())
			}
			errs <- err
			cancel()
		}(l)
	}
	wg.Wait()
	close(errs)
	first := <-errs
	for e := range errs {
		if first == nil || errors.Is(first, context.Canceled) && !errors.Is(e, context.Canceled) {
			first = e
		}
	}
	return first
}

// wrapTLS returns the server side of a TLS connection over nc.
func (s *Server) wrapTLS(nc net.Conn) *tls.Conn {
	return tls.Server(nc, s.tls)
}

// addrString formats a peer address as slapd logs it: IP=a.b.c.d:port, or
// PATH=socket for ldapi.
func addrString(a net.Addr, kind listenKind) string {
	if a == nil {
		return "IP=unknown"
	}
	if kind == kindLDAPI || a.Network() == "unix" {
		p := a.String()
		if p == "" || p == "@" {
			p = "ldapi"
		}
		return "PATH=" + p
	}
	return "IP=" + a.String()
}
