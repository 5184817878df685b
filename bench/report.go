package bench

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// roundStats is one measured run of one workload against one server.
type roundStats struct {
	Ops       uint64
	Errors    uint64
	Wall      time.Duration
	CPU       time.Duration // server CPU (the loader's for import)
	GenCPU    time.Duration // load generator CPU (ldapadd's for ldapadd)
	PeakRSS   int64         // bytes
	Written   int64         // bytes the server wrote to storage
	LastError string
	hist      *Histogram
}

// RoundResult is one run in a report (JSON).
type RoundResult struct {
	Ops        uint64  `json:"ops"`
	Errors     uint64  `json:"errors"`
	Seconds    float64 `json:"seconds"`
	OpsPerSec  float64 `json:"ops_per_sec"`
	CPUSeconds float64 `json:"server_cpu_seconds"`
	WrittenKB  float64 `json:"server_written_kib,omitempty"`
	P50ms      float64 `json:"p50_ms,omitempty"`
	P99ms      float64 `json:"p99_ms,omitempty"`
}

// ServerResult aggregates the rounds of one workload on one server:
// throughput is total operations over total time, percentiles come from the
// merged latency histograms, CPU per 1,000 operations is total server CPU
// over total operations, peak RSS is the largest VmHWM seen (the loader's
// max RSS for import).
type ServerResult struct {
	Server      string        `json:"server"`
	Ops         uint64        `json:"ops"`
	Errors      uint64        `json:"errors"`
	Seconds     float64       `json:"seconds"`
	OpsPerSec   float64       `json:"ops_per_sec"`
	P50ms       float64       `json:"p50_ms,omitempty"`
	P99ms       float64       `json:"p99_ms,omitempty"`
	MeanMs      float64       `json:"mean_ms,omitempty"`
	MaxMs       float64       `json:"max_ms,omitempty"`
	CPUSeconds  float64       `json:"server_cpu_seconds"`
	CPUPer1k    float64       `json:"server_cpu_seconds_per_1k_ops"`
	GenCPUPer1k float64       `json:"generator_cpu_seconds_per_1k_ops"`
	PeakRSSMiB  float64       `json:"peak_rss_mib"`
	WrittenKBOp float64       `json:"server_written_kib_per_op,omitempty"`
	LastError   string        `json:"last_error,omitempty"`
	Rounds      []RoundResult `json:"rounds"`
	hist        Histogram
	latency     bool
	genCPU      time.Duration
	written     int64
}

// Ratio is hostdir's figure divided by slapd's, for each metric: above 1
// is better for OpsPerSec, below 1 is better for the others.
type Ratio struct {
	OpsPerSec float64 `json:"ops_per_sec"`
	P50       float64 `json:"p50,omitempty"`
	P99       float64 `json:"p99,omitempty"`
	CPUPer1k  float64 `json:"server_cpu_per_op"`
	PeakRSS   float64 `json:"peak_rss"`
}

// Row is one workload of a report.
type Row struct {
	Workload string          `json:"workload"`
	Conns    int             `json:"connections"`
	Results  []*ServerResult `json:"results"`
	Ratio    *Ratio          `json:"hostdir_over_slapd,omitempty"`
}

// Report is the result of a comparison.
type Report struct {
	Domains        int      `json:"domains"`
	Accounts       int      `json:"accounts_per_domain"`
	Entries        int      `json:"entries"`
	LdapaddEntries int      `json:"ldapadd_entries,omitempty"`
	Duration       string   `json:"duration_per_run"`
	Rounds         int      `json:"rounds"`
	Conns          int      `json:"connections"`
	ServerCPUs     string   `json:"server_cpus,omitempty"`
	GenCPUs        string   `json:"generator_cpus,omitempty"`
	ExtraIndexes   []string `json:"extra_indexes,omitempty"`
	LogLevel       string   `json:"loglevel,omitempty"`
	Servers        []string `json:"servers"`
	Rows           []*Row   `json:"rows"`
	Notes          []string `json:"notes,omitempty"`
	Dir            string   `json:"dir,omitempty"`
}

// newReport makes an empty report with one row per selected workload.
func newReport(o Options, s *session) *Report {
	r := &Report{
		Domains: o.Tree.Domains, Accounts: o.Tree.Accounts, Entries: o.Tree.Entries(),
		Duration: o.Duration.String(), Rounds: o.Rounds, Conns: o.Conns,
		ServerCPUs: o.ServerCPUs, GenCPUs: o.GenCPUs, ExtraIndexes: o.Config.ExtraIndexes, LogLevel: o.Config.LogLevel,
		Servers: o.Servers,
	}
	for _, w := range o.Workloads {
		conns := writers(w, o.Conns)
		if !isOnline(w) {
			conns = 1
		}
		if w == WorkLdapadd {
			r.LdapaddEntries = o.LdapaddTree.Entries() - 3
		}
		row := &Row{Workload: w, Conns: conns}
		for _, name := range o.Servers {
			row.Results = append(row.Results, &ServerResult{Server: name, latency: isOnline(w)})
		}
		r.Rows = append(r.Rows, row)
	}
	return r
}

// row returns the row of workload w.
func (r *Report) row(w string) *Row {
	for _, row := range r.Rows {
		if row.Workload == w {
			return row
		}
	}
	return nil
}

// Result returns the aggregate of workload w on server, or nil.
func (r *Report) Result(w, server string) *ServerResult {
	row := r.row(w)
	if row == nil {
		return nil
	}
	for _, sr := range row.Results {
		if sr.Server == server && len(sr.Rounds) > 0 {
			return sr
		}
	}
	return nil
}

// add records one round and updates the aggregates and the ratio.
func (r *Report) add(w string, conns int, server string, st roundStats) {
	row := r.row(w)
	if row == nil {
		return
	}
	var sr *ServerResult
	for _, x := range row.Results {
		if x.Server == server {
			sr = x
		}
	}
	if sr == nil {
		return
	}
	rr := RoundResult{Ops: st.Ops, Errors: st.Errors, Seconds: st.Wall.Seconds(), CPUSeconds: st.CPU.Seconds(), WrittenKB: float64(st.Written) / 1024}
	sr.written += st.Written
	if sr.Ops+st.Ops > 0 {
		sr.WrittenKBOp = float64(sr.written) / 1024 / float64(sr.Ops+st.Ops)
	}
	if st.Wall > 0 {
		rr.OpsPerSec = float64(st.Ops) / st.Wall.Seconds()
	}
	if st.hist != nil {
		rr.P50ms, rr.P99ms = ms(st.hist.Quantile(0.5)), ms(st.hist.Quantile(0.99))
		sr.hist.Merge(st.hist)
	}
	sr.Rounds = append(sr.Rounds, rr)
	sr.Ops += st.Ops
	sr.Errors += st.Errors
	sr.Seconds += st.Wall.Seconds()
	sr.CPUSeconds += st.CPU.Seconds()
	sr.genCPU += st.GenCPU
	if sr.Seconds > 0 {
		sr.OpsPerSec = float64(sr.Ops) / sr.Seconds
	}
	sr.CPUPer1k = per1k(time.Duration(sr.CPUSeconds*float64(time.Second)), sr.Ops)
	sr.GenCPUPer1k = per1k(sr.genCPU, sr.Ops)
	if st.LastError != "" {
		sr.LastError = st.LastError
	}
	if mib := float64(st.PeakRSS) / (1 << 20); mib > sr.PeakRSSMiB {
		sr.PeakRSSMiB = mib
	}
	if sr.latency && sr.hist.Count() > 0 {
		sr.P50ms, sr.P99ms = ms(sr.hist.Quantile(0.5)), ms(sr.hist.Quantile(0.99))
		sr.MeanMs, sr.MaxMs = ms(sr.hist.Mean()), ms(sr.hist.Max())
	}
	row.Ratio = nil
	a, b := r.Result(w, Slapd), r.Result(w, Hostdir)
	if a != nil && b != nil {
		row.Ratio = &Ratio{
			OpsPerSec: div(b.OpsPerSec, a.OpsPerSec),
			P50:       div(b.P50ms, a.P50ms),
			P99:       div(b.P99ms, a.P99ms),
			CPUPer1k:  div(b.CPUPer1k, a.CPUPer1k),
			PeakRSS:   div(b.PeakRSSMiB, a.PeakRSSMiB),
		}
	}
}

// div returns a/b, 0 when b is 0.
func div(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Markdown returns the report as a Markdown table with a title line and
// notes.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hostdir-bench: %d domains x %d accounts (%s entries), %s per run, %d round(s) of %s, %d connections",
		r.Domains, r.Accounts, thousands(float64(r.Entries)), r.Duration, r.Rounds, strings.Join(r.Servers, " "), r.Conns)
	if r.ServerCPUs != "" || r.GenCPUs != "" {
		fmt.Fprintf(&b, ", servers on CPU %s, generator on CPU %s", orAny(r.ServerCPUs), orAny(r.GenCPUs))
	}
	if len(r.ExtraIndexes) > 0 {
		fmt.Fprintf(&b, ", extra indexes: %s", strings.Join(r.ExtraIndexes, "; "))
	}
	if r.LogLevel != "" {
		fmt.Fprintf(&b, ", loglevel %s", r.LogLevel)
	}
	b.WriteString("\n\n")
	b.WriteString("| workload | server | ops/s | p50 ms | p99 ms | server CPU s / 1k ops | peak RSS MiB | errors |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, row := range r.Rows {
		label := row.Workload
		switch {
		case row.Workload == WorkImport:
			label += " (entries)"
		case row.Workload == WorkLdapadd:
			label += fmt.Sprintf(" (%s entries)", thousands(float64(r.LdapaddEntries)))
		default:
			label += fmt.Sprintf(" (%d conn)", row.Conns)
		}
		for i, sr := range row.Results {
			if i > 0 {
				label = ""
			}
			if len(sr.Rounds) == 0 {
				fmt.Fprintf(&b, "|%s| %s | did not run | | | | | |\n", cell(label), sr.Server)
				continue
			}
			p50, p99 := "-", "-"
			if sr.latency {
				p50, p99 = fmt.Sprintf("%.2f", sr.P50ms), fmt.Sprintf("%.2f", sr.P99ms)
			}
			fmt.Fprintf(&b, "|%s| %s | %s | %s | %s | %.3f | %.1f | %d |\n",
				cell(label), sr.Server, thousands(sr.OpsPerSec), p50, p99, sr.CPUPer1k, sr.PeakRSSMiB, sr.Errors)
		}
		if q := row.Ratio; q != nil {
			p50, p99 := "-", "-"
			if q.P50 != 0 {
				p50, p99 = ratio(q.P50), ratio(q.P99)
			}
			fmt.Fprintf(&b, "| | **hostdir/slapd** | **%s** | %s | %s | **%s** | %s | |\n",
				ratio(q.OpsPerSec), p50, p99, ratio(q.CPUPer1k), ratio(q.PeakRSS))
		}
	}
	b.WriteString("\nops/s: higher is better; the other ratios: lower is better. import: entries/s of the offline load " +
		"(slapadd -q, hostdir import), its CPU and max RSS; ldapadd: entries/s added over LDAP into an empty server.\n")
	for _, row := range r.Rows {
		for _, sr := range row.Results {
			if sr.Errors > 0 && sr.LastError != "" {
				fmt.Fprintf(&b, "\n%s on %s: %d failed operations, e.g. %s", row.Workload, sr.Server, sr.Errors, sr.LastError)
			}
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

// JSON returns the report as indented JSON.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return append(b, '\n'), nil
}

// cell pads a table cell's text with spaces ("" gives a single space).
func cell(s string) string {
	if s == "" {
		return " "
	}
	return " " + s + " "
}

// ratio formats a ratio ("n/a" when undefined).
func ratio(x float64) string {
	if x == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", x)
}

// orAny returns s or "any".
func orAny(s string) string {
	if s == "" {
		return "any"
	}
	return s
}

// thousands formats x rounded to an integer with comma separators.
func thousands(x float64) string {
	s := strconv.FormatInt(int64(x+0.5), 10)
	var b []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, c)
	}
	return string(b)
}
