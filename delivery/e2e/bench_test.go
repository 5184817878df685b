package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hostdir/internal/peers"
)

// BenchmarkPostfixDelivery measures end-to-end deliveries per second: b.N
// messages from smtp-source (4 parallel sessions) into one Postfix, until
// all b.N are in alice's maildir. "agent" delivers with hostdir-deliver
// through the pipe transport (one process per message), "virtual" with
// Postfix's own virtual(8); both use the HOWTO's LDAP maps against the same
// slapd. "lmtp" delivers with one long-running hostdir-deliver lmtp server
// through Postfix's lmtp(8) client. The ratios agent/virtual and
// lmtp/virtual (all measured in the same run) are printed at the end.
func BenchmarkPostfixDelivery(b *testing.B) {
	requireTools(b, peers.SmtpSourcePath)
	slapd := startTree(b)
	work := peers.SharedDir(b, "hostdir-bench-")
	agent := buildAgent(b, work, "./cmd/hostdir-deliver")
	rates := map[string]float64{}
	modes := []string{peers.TransportAgent, peers.TransportVirtual, peers.TransportLMTP}
	if m := os.Getenv("HOSTDIR_BENCH_MODES"); m != "" {
		// e.g. "virtual,lmtp" to repeat a comparison quickly.
		modes = strings.Split(m, ",")
	}
	for _, mode := range modes {
		dir := peers.SharedDir(b, "hostdir-bench-"+mode+"-")
		st := startStack(b, mode, slapd, dir, stackOptions{Agent: agent,
			// Bounded like a production system; the defaults allow 100
			// processes, far more than 2 CPUs can use.
			MainCF: []string{"default_process_limit = 20"}})
		if mode == peers.TransportLMTP {
			// One long-running server instead of a process per message.
			// HOSTDIR_BENCH_LMTP_ARGS adds arguments, e.g.
			// "-cpuprofile /tmp/lmtp.prof" (written when the server stops).
			startLMTPServer(b, agent, st, strings.Fields(os.Getenv("HOSTDIR_BENCH_LMTP_ARGS"))...)
		}
		box := filepath.Join(st.MailboxBase, "example.com", "alice")
		b.Run(mode, func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			before := countNew(box)
			b.ResetTimer()
			start := time.Now()
			if err := peers.SmtpSource(ctx, st.Postfix.Addr, Sender, "alice@example.com", b.N, 4); err != nil {
				b.Fatal(err)
			}
			for countNew(box) < before+b.N {
				if ctx.Err() != nil {
					b.Fatalf("only %d of %d messages arrived", countNew(box)-before, b.N)
				}
				time.Sleep(2 * time.Millisecond)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			rate := float64(b.N) / elapsed.Seconds()
			b.ReportMetric(rate, "msgs/s")
			rates[mode] = rate // the last (largest) run counts
			if got := countNew(box) - before; got != b.N {
				b.Errorf("%d messages arrived, want %d", got, b.N)
			}
		})
	}
	ag, vi, lm := rates[peers.TransportAgent], rates[peers.TransportVirtual], rates[peers.TransportLMTP]
	// Printed, not logged: benchmark logs only show with -v.
	if vi > 0 && ag > 0 {
		fmt.Printf("BenchmarkPostfixDelivery: deliveries/s agent %.0f, virtual %.0f, ratio agent/virtual %.2f\n", ag, vi, ag/vi)
	}
	if vi > 0 && lm > 0 {
		fmt.Printf("BenchmarkPostfixDelivery: deliveries/s lmtp %.0f, virtual %.0f, ratio lmtp/virtual %.2f", lm, vi, lm/vi)
		if ag > 0 {
			fmt.Printf(", lmtp/agent %.2f", lm/ag)
		}
		fmt.Println()
	}
}
