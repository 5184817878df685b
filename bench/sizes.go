package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// SizeRow is one tree size of a sizes report: the lookup and login figures
// and the offline load of each server.
type SizeRow struct {
	Accounts int                  `json:"accounts"`
	Domains  int                  `json:"domains"`
	Entries  int                  `json:"entries"`
	Servers  map[string]*SizeData `json:"servers"`
}

// SizeData is one server at one size.
type SizeData struct {
	LoadSeconds float64       `json:"load_seconds"`
	Lookup      *ServerResult `json:"lookup,omitempty"`
	Login       *ServerResult `json:"login,omitempty"`
}

// SizesReport is the result of RunSizes.
type SizesReport struct {
	Duration string     `json:"duration_per_run"`
	Rounds   int        `json:"rounds"`
	Conns    int        `json:"connections"`
	Servers  []string   `json:"servers"`
	Rows     []*SizeRow `json:"rows"`
	Notes    []string   `json:"notes,omitempty"`
}

// RunSizes runs the lookup and login workloads at each total number of
// accounts in sizes (spread over o.Tree.Domains domains, 100 by default),
// loading each tree once per server, to show whether latency stays flat as
// the directory grows (index lookups, not scans). o.Workloads is ignored.
// Large sizes take long: a million accounts is about a million entries to
// generate and bulk-load into each server.
func RunSizes(ctx context.Context, o Options, sizes []int) (*SizesReport, error) {
	o.Workloads = []string{WorkImport, WorkLookup, WorkLogin}
	o = o.withDefaults()
	s, err := newSession(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if len(s.available()) == 0 {
		return nil, fmt.Errorf("%w: %s", errNoServer, strings.Join(s.notes(), "; "))
	}
	s.importRounds = 1
	rep := &SizesReport{Duration: o.Duration.String(), Rounds: o.Rounds, Conns: o.Conns, Servers: o.Servers}
	for _, n := range sizes {
		s.o.Tree = o.Tree
		s.o.Tree.hashes = nil
		s.o.Tree.Accounts = max(1, n/o.Tree.Domains)
		r := newReport(s.o, s)
		if err := s.runAll(ctx, r, "size-"+strconv.Itoa(n)); err != nil {
			return nil, err
		}
		row := &SizeRow{Accounts: s.o.Tree.Domains * s.o.Tree.Accounts, Domains: s.o.Tree.Domains, Entries: s.o.Tree.Entries(), Servers: map[string]*SizeData{}}
		for _, name := range o.Servers {
			d := &SizeData{Lookup: r.Result(WorkLookup, name), Login: r.Result(WorkLogin, name)}
			if imp := r.Result(WorkImport, name); imp != nil {
				d.LoadSeconds = imp.Seconds
			}
			row.Servers[name] = d
		}
		rep.Rows = append(rep.Rows, row)
	}
	rep.Notes = s.notes()
	return rep, nil
}

// Markdown returns the sizes report as a Markdown table, with the ratio of
// the largest to the smallest size's p50 for each server and workload.
func (r *SizesReport) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hostdir-bench -sizes: lookup and login latency by directory size, %s per run, %d round(s), %d connections\n\n",
		r.Duration, r.Rounds, r.Conns)
	b.WriteString("| accounts | entries | server | load s | lookup ops/s | lookup p50 ms | lookup p99 ms | login ops/s | login p50 ms | login p99 ms |\n")
	b.WriteString("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, row := range r.Rows {
		for i, name := range r.Servers {
			acc, ent := thousands(float64(row.Accounts)), thousands(float64(row.Entries))
			if i > 0 {
				acc, ent = "", ""
			}
			d := row.Servers[name]
			if d == nil || d.Lookup == nil && d.Login == nil {
				fmt.Fprintf(&b, "| %s | %s | %s | did not run | | | | | | |\n", acc, ent, name)
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %.1f | %s | %s |\n", acc, ent, name, d.LoadSeconds, sizeCells(d.Lookup), sizeCells(d.Login))
		}
	}
	if len(r.Rows) >= 2 {
		first, last := r.Rows[0], r.Rows[len(r.Rows)-1]
		b.WriteString("\n")
		for _, name := range r.Servers {
			f, l := first.Servers[name], last.Servers[name]
			if f == nil || l == nil || f.Lookup == nil || l.Lookup == nil || f.Login == nil || l.Login == nil {
				continue
			}
			fmt.Fprintf(&b, "%s from %s to %s accounts: lookup p50 x%.2f, p99 x%.2f; login p50 x%.2f, p99 x%.2f\n",
				name, thousands(float64(first.Accounts)), thousands(float64(last.Accounts)),
				div(l.Lookup.P50ms, f.Lookup.P50ms), div(l.Lookup.P99ms, f.Lookup.P99ms),
				div(l.Login.P50ms, f.Login.P50ms), div(l.Login.P99ms, f.Login.P99ms))
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\nNote: %s", n)
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

// sizeCells formats ops/s, p50 and p99 of one workload.
func sizeCells(sr *ServerResult) string {
	if sr == nil {
		return "- | - | -"
	}
	return fmt.Sprintf("%s | %.2f | %.2f", thousands(sr.OpsPerSec), sr.P50ms, sr.P99ms)
}

// JSON returns the sizes report as indented JSON.
func (r *SizesReport) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return append(b, '\n'), nil
}
