package lmtp

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"hostdir/delivery"
)

// Usage is the synopsis of hostdir-deliver lmtp.
const Usage = `usage: hostdir-deliver lmtp -listen unix:/path|inet:host:port [-c CONFIG] [-o key=value]...
  [-socket-mode 0660] [-socket-owner user[:group]] [-user vmail]
  [-max-connections 100] [-max-recipients 1000] [-max-message-size BYTES]
  [-max-inflight BYTES] [-command-timeout 5m] [-data-timeout 10m]
  [-shutdown-grace 30s] [-idempotent=true] [-cpuprofile FILE] [-v]
  Serves LMTP until SIGTERM or SIGINT; the agent's settings come from the
  -c file and -o (timeout bounds the deliveries of one transaction).`

// Options is a parsed "hostdir-deliver lmtp" command line.
type Options struct {
	// Listen is the address (ParseAddress).
	Listen string
	// ConfigFile is the agent's -c file ("" for none); Settings (-o, -v)
	// are applied after it.
	ConfigFile string
	Settings   []delivery.Setting
	// Socket sets a unix socket's mode and owner ("user[:group]").
	SocketMode  fs.FileMode
	SocketOwner string
	// User, when set, is the user to run as after listening (needs root).
	User string
	// Server holds the limits (Run fills in its Agent, Log and
	// DeliveryTimeout).
	Server *Server
	// Verbose logs each step at debug level.
	Verbose bool
	// CPUProfile, when set, is a file (created before the privileges are
	// dropped) that receives a pprof CPU profile of the whole run, written
	// at shutdown.
	CPUProfile string
	// Ready, when not nil, is called with the listener's address once the
	// server accepts connections (for tests).
	Ready func(addr string)
}

// IsCommand reports whether args ask for the LMTP server
// ("hostdir-deliver lmtp ...").
func IsCommand(args []string) bool { return len(args) > 0 && args[0] == "lmtp" }

// ParseArgs parses the arguments after "lmtp".
func ParseArgs(args []string) (Options, error) {
	fset := flag.NewFlagSet("hostdir-deliver lmtp", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	o := Options{Server: &Server{Idempotent: true}}
	var opts []string
	fset.StringVar(&o.Listen, "listen", "", "unix:/path or inet:host:port")
	fset.StringVar(&o.ConfigFile, "c", "", "agent configuration file")
	fset.Func("o", "set an agent configuration key: -o key=value (repeatable)", func(v string) error {
		opts = append(opts, v)
		return nil
	})
	mode := fset.String("socket-mode", "0660", "unix socket mode (octal)")
	fset.StringVar(&o.SocketOwner, "socket-owner", "", "unix socket owner user[:group]")
	fset.StringVar(&o.User, "user", "", "run as this user after listening")
	fset.IntVar(&o.Server.MaxConnections, "max-connections", DefaultMaxConnections, "concurrent sessions")
	fset.IntVar(&o.Server.MaxRecipients, "max-recipients", DefaultMaxRecipients, "recipients per transaction")
	fset.Int64Var(&o.Server.MaxMessageSize, "max-message-size", DefaultMaxMessageSize, "message size limit in bytes")
	fset.Int64Var(&o.Server.MaxInFlightBytes, "max-inflight", DefaultMaxInFlightBytes, "message bytes held by all sessions")
	fset.DurationVar(&o.Server.CommandTimeout, "command-timeout", DefaultCommandTimeout, "wait for a command line")
	fset.DurationVar(&o.Server.DataTimeout, "data-timeout", DefaultDataTimeout, "whole DATA transfer")
	fset.DurationVar(&o.Server.ShutdownGrace, "shutdown-grace", DefaultShutdownGrace, "time to finish transactions at shutdown")
	fset.BoolVar(&o.Server.Idempotent, "idempotent", true, "key deliveries by the queue id in Postfix's Received field")
	fset.BoolVar(&o.Verbose, "v", false, "log each step")
	fset.StringVar(&o.CPUProfile, "cpuprofile", "", "write a pprof CPU profile of the run to this file")
	if err := fset.Parse(args); err != nil {
		return Options{}, err
	}
	if fset.NArg() > 0 {
		return Options{}, fmt.Errorf("unexpected argument %s", fset.Arg(0))
	}
	if o.Listen == "" {
		return Options{}, errors.New("missing -listen unix:/path|inet:host:port")
	}
	if _, _, err := ParseAddress(o.Listen); err != nil {
		return Options{}, err
	}
	m, err := strconv.ParseUint(*mode, 8, 32)
	if err != nil || m > 0o777 {
		return Options{}, fmt.Errorf("-socket-mode %q is not an octal mode", *mode)
	}
	o.SocketMode = fs.FileMode(m)
	for _, kv := range opts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return Options{}, fmt.Errorf("-o wants key=value, got %s", kv)
		}
		o.Settings = append(o.Settings, delivery.Setting{Key: k, Value: v})
	}
	return o, nil
}

// Main runs the LMTP server as "hostdir-deliver lmtp ARGS" until ctx ends
// (SIGTERM, SIGINT), logging one line per delivery to stderr, and returns
// the exit status: 0 after a clean shutdown, 64 for usage errors, 78 for a
// configuration or listen error (bad or busy address).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := ParseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "hostdir-deliver lmtp: %v\n%s\n", err, Usage)
		return delivery.ExitUsage
	}
	return Run(ctx, o, stderr)
}

// Run is Main after the parsing.
func Run(ctx context.Context, o Options, stderr io.Writer) int {
	level := slog.LevelInfo
	if o.Verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	fail := func(format string, args ...any) int {
		log.Error(fmt.Sprintf(format, args...))
		return delivery.ExitConfig
	}
	cfg := delivery.DefaultConfig()
	if o.ConfigFile != "" {
		if err := cfg.LoadFile(o.ConfigFile); err != nil {
			return fail("configuration: %v", err)
		}
	}
	for _, s := range o.Settings {
		if err := cfg.Set(s.Key, s.Value); err != nil {
			return fail("configuration: %v", err)
		}
	}
	if o.Verbose {
		cfg.Verbose = true
	}
	cfg.QueueID = "" // per message in this mode
	uid, gid, err := LookupOwner(o.SocketOwner)
	if err != nil {
		return fail("%v", err)
	}
	ln, err := Listen(o.Listen, ListenOptions{Mode: o.SocketMode, UID: uid, GID: gid})
	if err != nil {
		return fail("%v", err)
	}
	defer ln.Close()
	if o.CPUProfile != "" {
		f, err := os.OpenFile(o.CPUProfile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return fail("cpuprofile: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fail("cpuprofile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	if o.User != "" {
		if err := DropPrivileges(o.User); err != nil {
			return fail("%v", err)
		}
	}
	var agentLog *slog.Logger
	if o.Verbose {
		agentLog = log
	}
	a, err := delivery.New(cfg, agentLog)
	if err != nil {
		return fail("configuration: %v", err)
	}
	defer a.Close()
	srv := o.Server
	if srv == nil {
		srv = &Server{Idempotent: true}
	}
	srv.Agent = a
	srv.Log = log
	srv.DeliveryTimeout = cfg.Timeout
	if srv.Hostname == "" {
		srv.Hostname = cfg.Hostname
	}
	log.Info("listening", "address", o.Listen, "timeout", cfg.Timeout.String())
	if o.Ready != nil {
		o.Ready(ln.Addr().String())
	}
	start := time.Now()
	err = srv.Serve(ctx, ln)
	if errors.Is(err, ErrServerClosed) {
		log.Info("stopped", "uptime", time.Since(start).Round(time.Second).String())
		return delivery.ExitOK
	}
	log.Error("server failed", "error", err)
	return delivery.ExitTempFail
}
