package admin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// HTTPServer returns an http.Server for h with timeouts suited to the
// admin application (slow clients cannot hold connections open).
// tlsConf, when not nil, is used for HTTPS (minimum TLS 1.2).
func HTTPServer(h http.Handler, tlsConf *tls.Config, logger *slog.Logger) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
	}
	if tlsConf != nil {
		tc := tlsConf.Clone()
		if tc.MinVersion < tls.VersionTLS12 {
			tc.MinVersion = tls.VersionTLS12
		}
		srv.TLSConfig = tc
	}
	if logger != nil {
		srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	} else {
		srv.ErrorLog = log.New(discard{}, "", 0)
	}
	return srv
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Serve serves h on l until ctx ends, then shuts down gracefully (10s).
// With tlsConf it serves HTTPS. Plain HTTP is meant for loopback behind
// a reverse proxy; CheckListenAddr enforces that for configurations.
func Serve(ctx context.Context, l net.Listener, h http.Handler, tlsConf *tls.Config, logger *slog.Logger) error {
	srv := HTTPServer(h, tlsConf, logger)
	errc := make(chan error, 1)
	go func() {
		if tlsConf != nil {
			errc <- srv.ServeTLS(l, "", "")
		} else {
			errc <- srv.Serve(l)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("admin: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// CheckListenAddr refuses plain HTTP on anything but a loopback address:
// passwords travel in the login form.
func CheckListenAddr(addr string, tls bool) error {
	if tls {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("admin: listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("admin: plain HTTP on %q would send passwords in clear: listen on 127.0.0.1 behind an HTTPS proxy, or give a TLS certificate", addr)
	}
	return nil
}
