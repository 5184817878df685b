// Command hostdir-bench compares hostdir with OpenLDAP's slapd on the
// Virtual Mailserver HOWTO's workload: Postfix lookups, Dovecot logins,
// rootdn modifies and adds, and bulk loads, on a generated Jamm tree, with
// both servers running the HOWTO's slapd.conf. See bench/README.md.
//
//	hostdir-bench [-domains 100] [-accounts 100] [-duration 10s] [-rounds 2]
//	              [-conns 8] [-workloads all] [-cpus 0:1] [-json] ...
//	hostdir-bench -sizes 10000,100000,1000000 [...]
//
// The command parses flags only; the benchmark lives in package bench.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"hostdir/bench"
)

func main() {
	var (
		o         bench.Options
		workloads string
		servers   string
		cpus      string
		indexes   string
		sizes     string
		jsonOut   bool
	)
	flag.IntVar(&o.Tree.Domains, "domains", 100, "number of virtual domains")
	flag.IntVar(&o.Tree.Accounts, "accounts", 100, "accounts per domain")
	flag.IntVar(&o.Tree.Aliases, "aliases", 0, "aliases per domain (0: accounts/10, at least 1; -1: none)")
	flag.IntVar(&o.Tree.PasswordPool, "pwpool", bench.DefaultPasswordPool, "distinct {SSHA} passwords, shared round robin by the accounts")
	flag.IntVar(&o.LdapaddTree.Domains, "ldapadd-domains", 10, "domains of the tree the ldapadd workload adds")
	flag.IntVar(&o.LdapaddTree.Accounts, "ldapadd-accounts", 100, "accounts per domain of the ldapadd tree")
	flag.DurationVar(&o.Duration, "duration", 10*time.Second, "length of each measured run")
	flag.DurationVar(&o.Warmup, "warmup", 0, "unmeasured lookup run after each server starts (0: duration/5, at most 2s; negative: none)")
	flag.IntVar(&o.Rounds, "rounds", 2, "number of A B rounds (2 = A B A B)")
	flag.IntVar(&o.Conns, "conns", 8, "connections of the lookup and login workloads")
	flag.StringVar(&workloads, "workloads", "all", "comma-separated: lookup,login,modify,add,import,ldapadd (modify/add = 1 and 8 writers; modify-1, add-8... for one)")
	flag.StringVar(&servers, "servers", "slapd,hostdir", "servers to compare, in A B order")
	flag.StringVar(&o.HostdirPath, "hostdir", "", "hostdir binary (default: go build ./cmd/hostdir of the module around the working directory)")
	flag.StringVar(&o.SlapdPath, "slapd", bench.DefaultSlapd, "slapd binary (slapadd is taken from the same directory)")
	flag.StringVar(&o.LdapaddPath, "ldapadd", bench.DefaultLdapadd, "ldapadd binary")
	flag.StringVar(&o.Dir, "keep", "", "keep the working files (trees, configurations, databases, logs) in this directory")
	flag.StringVar(&cpus, "cpus", "", "SERVER:GENERATOR taskset CPU lists, e.g. 0:1 (servers on CPU 0, load generator on CPU 1)")
	flag.StringVar(&o.Config.LogLevel, "loglevel", "", "add a loglevel line to the configuration of both servers (e.g. 0 or stats; default: none, as in the HOWTO)")
	flag.StringVar(&indexes, "index", "", "extra index lines after the HOWTO's, separated by ';' (e.g. 'jvd eq')")
	flag.StringVar(&sizes, "sizes", "", "comma-separated total account counts (e.g. 10000,100000,1000000): run lookup and login at each size instead")
	flag.BoolVar(&jsonOut, "json", false, "print the report as JSON")
	flag.Parse()
	if flag.NArg() > 0 {
		fatalf("unexpected arguments: %q", flag.Args())
	}
	o.Keep = o.Dir != ""
	o.Servers = split(servers, ",")
	o.Log = os.Stderr
	if indexes != "" {
		o.Config.ExtraIndexes = split(indexes, ";")
	}
	if cpus != "" {
		srv, gen, ok := strings.Cut(cpus, ":")
		if !ok {
			fatalf("-cpus wants SERVER:GENERATOR, e.g. 0:1")
		}
		o.ServerCPUs, o.GenCPUs = srv, gen
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var out interface {
		Markdown() string
		JSON() ([]byte, error)
	}
	if sizes != "" {
		var list []int
		for _, s := range split(sizes, ",") {
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 {
				fatalf("-sizes: bad size %q", s)
			}
			list = append(list, n)
		}
		rep, err := bench.RunSizes(ctx, o, list)
		if err != nil {
			fatalf("%v", err)
		}
		out = rep
	} else {
		ws, err := bench.ParseWorkloads(workloads)
		if err != nil {
			fatalf("-workloads: %v", err)
		}
		o.Workloads = ws
		rep, err := bench.Run(ctx, o)
		if err != nil {
			fatalf("%v", err)
		}
		out = rep
	}
	if jsonOut {
		b, err := out.JSON()
		if err != nil {
			fatalf("%v", err)
		}
		os.Stdout.Write(b)
		return
	}
	fmt.Print(out.Markdown())
}

func split(s, sep string) []string {
	var out []string
	for _, f := range strings.Split(s, sep) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "hostdir-bench: "+format+"\n", args...)
	os.Exit(2)
}
