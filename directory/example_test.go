package directory_test

import (
	"context"
	"log"
	"os/signal"
	"syscall"
	"time"

	"hostdir/directory"
	"hostdir/directory/config"
)

// Serve a slapd.conf the way `slapd -f slapd.conf -h "..."` would.
func Example() {
	cfg, err := config.Load("/etc/hostdir/slapd.conf")
	if err != nil {
		log.Fatal(err)
	}
	srv, err := directory.Open(cfg, directory.Options{})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := srv.EnsureSuffixes(context.Background()); err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	err = srv.ListenAndServe(ctx, "ldap://127.0.0.1:389/ ldapi://%2Frun%2Fhostdir%2Fldapi")
	if err != nil && err != directory.ErrServerClosed && ctx.Err() == nil {
		log.Fatal(err)
	}
}
