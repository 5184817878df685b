package bench

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// needProgram skips the test when a Debian program is missing, unless CI=true.
func needProgram(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing: %v", path, err)
		}
		t.Skipf("%s missing: %v", path, err)
	}
}

// TestEndToEnd runs every workload for 1 s on a 2 x 10 tree against slapd
// and, when it builds and serves, hostdir, and checks the report.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	for _, p := range []string{DefaultSlapd, "/usr/sbin/slapadd", DefaultLdapadd, DefaultModulePath + "/back_mdb.la", DebianSchemaDir + "/nis.schema"} {
		needProgram(t, p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var log strings.Builder
	o := Options{
		Tree:     Tree{Domains: 2, Accounts: 10},
		Duration: time.Second,
		Warmup:   200 * time.Millisecond,
		Rounds:   1,
		Dir:      t.TempDir(),
		Log:      &log,
	}
	start := time.Now()
	rep, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	t.Logf("Run took %v", time.Since(start))
	md := rep.Markdown()
	t.Logf("\n%s", md)

	ran := []string{Slapd}
	if rep.Result(WorkLookup, Hostdir) != nil {
		ran = append(ran, Hostdir)
	} else {
		t.Logf("hostdir did not run: %v", rep.Notes)
	}
	if rep.Result(WorkLookup, Slapd) == nil {
		t.Fatalf("slapd did not run\n%s", log.String())
	}
	if len(rep.Rows) != len(AllWorkloads) {
		t.Errorf("%d rows, want %d", len(rep.Rows), len(AllWorkloads))
	}
	for _, w := range AllWorkloads {
		label := "| " + w + " ("
		if !strings.Contains(md, label) {
			t.Errorf("table has no row %q", label)
		}
		for _, name := range ran {
			sr := rep.Result(w, name)
			if sr == nil {
				t.Errorf("%s on %s: no result", w, name)
				continue
			}
			if sr.Ops == 0 || sr.OpsPerSec <= 0 || sr.Seconds <= 0 || sr.PeakRSSMiB <= 0 || sr.CPUSeconds < 0 {
				t.Errorf("%s on %s: implausible %+v", w, name, sr)
			}
			if sr.Errors != 0 {
				t.Errorf("%s on %s: %d errors, e.g. %s", w, name, sr.Errors, sr.LastError)
			}
			if isOnline(w) && (sr.P50ms <= 0 || sr.P99ms < sr.P50ms || sr.P99ms > 10000) {
				t.Errorf("%s on %s: p50 %v ms, p99 %v ms", w, name, sr.P50ms, sr.P99ms)
			}
			if !strings.Contains(md, "| "+name+" | ") {
				t.Errorf("table has no %s line", name)
			}
		}
		if len(ran) == 2 {
			row := rep.row(w)
			if row.Ratio == nil || row.Ratio.OpsPerSec <= 0 {
				t.Errorf("%s: no hostdir/slapd ratio", w)
			}
		}
	}
	if sr := rep.Result(WorkLookup, Slapd); sr.CPUPer1k <= 0 {
		t.Errorf("slapd lookup: server CPU per 1k ops %v", sr.CPUPer1k)
	}
	b, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || len(back.Rows) != len(rep.Rows) {
		t.Errorf("JSON round trip: %v, %d rows", err, len(back.Rows))
	}
}
