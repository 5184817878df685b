package lmtp

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hostdir/delivery"
)

// fakeDir is a directory with one account, alice@example.com.
type fakeDir struct{}

func (fakeDir) Domain(ctx context.Context, d string) (bool, error) { return d == "example.com", nil }
func (fakeDir) Accounts(ctx context.Context, a string) ([]delivery.Account, error) {
	if a != "alice@example.com" {
		return nil, nil
	}
	return []delivery.Account{{DN: "mail=alice@example.com", Mail: a, Mailbox: "example.com/alice/"}}, nil
}
func (fakeDir) Aliases(ctx context.Context, a string) ([]string, error) { return nil, nil }

// TestRealAgent runs the server over the pipe mode's delivery.Agent: the
// 250 comes after the message is in new/; a retry of a message carrying
// Postfix's Received field (same bytes) stores no second copy, while a
// message without one is delivered again (at least once).
func TestRealAgent(t *testing.T) {
	cases := []struct {
		name       string
		received   string
		idempotent bool
		want       int
	}{
		{"postfix received, idempotent", "Received: from c (localhost [127.0.0.1])\r\n\tby mx.test (Postfix) with ESMTP id 41A4598E4A6\r\n\tfor <alice@example.com>; Tue, 24 Nov 2026 02:50:59 +0000 (UTC)\r\n", true, 1},
		{"no received field", "", true, 2},
		{"idempotency off", "Received: by mx.test (Postfix) id 41A4598E4A6\r\n", false, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			cfg := delivery.DefaultConfig()
			cfg.MailboxBase = base
			cfg.Hostname = "lmtp.test"
			cfg.QuotaWarningPercent = 0
			a := delivery.NewWithDirectory(cfg, fakeDir{}, nil)
			srv := &Server{Agent: a, Idempotent: tc.idempotent}
			addr, _ := testServer(t, srv)
			msg := tc.received + "Subject: hi\r\n\r\nbody\r\n.\r\n"
			for i := 0; i < 2; i++ {
				c := dial(t, addr)
				c.reply()
				c.send(hello + "MAIL FROM:<s@client.test>\r\nRCPT TO:<Alice@example.com>\r\nDATA\r\n" + msg + "QUIT\r\n")
				want := []string{"250 ", "250 2.1.0", "250 2.1.5", "354 ", "250 2.0.0", "221 "}
				if got := c.replies(len(want)); !hasPrefixes(got, want) {
					t.Fatalf("replies %q", got)
				}
			}
			dir := filepath.Join(base, "example.com", "alice", "new")
			ents, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(ents) != tc.want {
				t.Fatalf("%d messages in new/, want %d", len(ents), tc.want)
			}
			b, err := os.ReadFile(filepath.Join(dir, ents[0].Name()))
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			if !strings.HasPrefix(s, "Return-Path: <s@client.test>\nDelivered-To: alice@example.com\n") || !strings.HasSuffix(s, "Subject: hi\n\nbody\n") || strings.Contains(s, "\r") {
				t.Errorf("stored message:\n%q", s)
			}
		})
	}
}
