package lmtp

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"hostdir/delivery"
)

const hello = "LHLO client.test\r\n"

// TestProtocol sends each case's input in one write (pipelined) and
// compares the replies after the greeting with the expected prefixes.
func TestProtocol(t *testing.T) {
	long := "NOOP " + strings.Repeat("x", 5000) + "\r\n"
	cases := []struct {
		name  string
		srv   *Server
		in    string
		want  []string
		check func(t *testing.T, f *fakeAgent)
	}{
		{name: "one recipient",
			in:   hello + "MAIL FROM:<s@client.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n",
			want: []string{"250 SMTPUTF8", "250 2.1.0", "250 2.1.5", "354 ", "250 2.0.0", "221 2.0.0"},
			check: func(t *testing.T, f *fakeAgent) {
				envs, msgs := f.delivered()
				if len(envs) != 1 || envs[0].Sender != "s@client.test" || envs[0].Recipient != "alice@example.com" {
					t.Errorf("envelopes %+v", envs)
				}
				if len(msgs) != 1 || string(msgs[0]) != "Subject: x\n\nbody\n" {
					t.Errorf("messages %q", msgs)
				}
			}},
		{name: "mixed recipients, one reply each after DATA",
			in: hello + "MAIL FROM:<> SIZE=100 BODY=8BITMIME\r\n" +
				"RCPT TO:<alice@example.com>\r\nRCPT TO:<nobody@example.com>\r\nRCPT TO:<down@example.com>\r\n" +
				"RCPT TO:<full@example.com>\r\nRCPT TO:<disk@example.com>\r\nRCPT TO:<Bob@Example.com>\r\n" +
				"DATA\r\nx\r\n.\r\nQUIT\r\n",
			want: []string{"250 SMTPUTF8", "250 2.1.0", "250 2.1.5", "550 5.1.1 <nobody@example.com>: unknown user", "451 4.4.3 directory unavailable",
				"250 2.1.5", "250 2.1.5", "250 2.1.5", "354 ",
				"250 2.0.0 Ok: delivered to <alice@example.com>", "552 5.2.2 Mailbox full", "452 4.3.1 mail system full", "250 2.0.0 Ok: delivered to <Bob@Example.com>",
				"221 "},
			check: func(t *testing.T, f *fakeAgent) {
				envs, _ := f.delivered()
				if len(envs) != 2 || envs[0].Sender != "" || envs[0].Resolved == nil {
					t.Errorf("envelopes %+v", envs)
				}
			}},
		{name: "dot-stuffing and line endings",
			in:   hello + "MAIL FROM:<s@c>\r\nRCPT TO:<a@example.com>\r\nDATA\r\n..dot\r\n\r\n..\r\nbare\nline\r\n.x\r\n.\r\nQUIT\r\n",
			want: []string{"250 ", "250 2.1.0", "250 2.1.5", "354 ", "250 2.0.0", "221 "},
			check: func(t *testing.T, f *fakeAgent) {
				_, msgs := f.delivered()
				if len(msgs) != 1 || string(msgs[0]) != ".dot\n\n.\nbare\nline\nx\n" {
					t.Errorf("messages %q", msgs)
				}
			}},
		{name: "line too long",
			in:   hello + long + "NOOP\r\nQUIT\r\n",
			want: []string{"250 ", "500 5.5.2 Error: line too long", "250 2.0.0", "221 "}},
		{name: "size announced and refused at MAIL",
			srv:  &Server{MaxMessageSize: 1000},
			in:   hello + "MAIL FROM:<s@c> SIZE=1001\r\nMAIL FROM:<s@c> SIZE=1000\r\nQUIT\r\n",
			want: []string{"250 SMTPUTF8", "552 5.3.4", "250 2.1.0", "221 "}},
		{name: "size exceeded in DATA",
			srv: &Server{MaxMessageSize: 1000},
			in: hello + "MAIL FROM:<s@c>\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n" +
				strings.Repeat("0123456789\r\n", 200) + ".\r\nNOOP\r\nQUIT\r\n",
			want: []string{"250 ", "250 2.1.0", "250 2.1.5", "250 2.1.5", "354 ", "552 5.3.4", "552 5.3.4", "250 2.0.0", "221 "},
			check: func(t *testing.T, f *fakeAgent) {
				if envs, _ := f.delivered(); len(envs) != 0 {
					t.Errorf("delivered %+v", envs)
				}
			}},
		{name: "in-flight budget",
			srv:  &Server{MaxInFlightBytes: 100 << 10},
			in:   hello + "MAIL FROM:<s@c> SIZE=200000\r\nMAIL FROM:<s@c> SIZE=2000\r\nQUIT\r\n",
			want: []string{"250 ", "452 4.3.1", "250 2.1.0", "221 "}},
		{name: "RSET ends the transaction",
			in:   hello + "MAIL FROM:<s@c>\r\nRCPT TO:<a@example.com>\r\nRSET\r\nDATA\r\nRCPT TO:<a@example.com>\r\nMAIL FROM:<s@c>\r\nQUIT\r\n",
			want: []string{"250 ", "250 2.1.0", "250 2.1.5", "250 2.0.0", "503 5.5.1", "503 5.5.1", "250 2.1.0", "221 "}},
		{name: "bad sequences",
			in: "MAIL FROM:<s@c>\r\n" + hello + "RCPT TO:<a@example.com>\r\nDATA\r\nMAIL FROM:<s@c>\r\nDATA\r\nMAIL FROM:<s@c>\r\n" +
				"RCPT TO:<nobody@example.com>\r\nDATA\r\nQUIT\r\n",
			want: []string{"503 5.5.1", "250 ", "503 5.5.1", "503 5.5.1", "250 2.1.0", "503 5.5.1", "503 5.5.1", "550 5.1.1", "503 5.5.1", "221 "}},
		{name: "unknown, refused and SMTP commands",
			in:   hello + "FOO bar\r\nVRFY alice\r\nEXPN list\r\nHELO x\r\nEHLO x\r\n\r\nNO\x00OP\r\nNOOP\r\nQUIT\r\n",
			want: []string{"250 ", "500 5.5.2", "502 5.5.1", "502 5.5.1", "500 5.5.1", "500 5.5.1", "500 5.5.2", "500 5.5.2", "250 2.0.0", "221 "}},
		{name: "syntax errors",
			in: hello + "MAIL FROM:s@c\r\nMAIL FROM:<s@c> FOO=1\r\nMAIL TO:<s@c>\r\nMAIL FROM:<s@c> SIZE=x\r\nMAIL FROM: <@relay.example:s@c>\r\n" +
				"RCPT TO:<>\r\nRCPT TO:<a@example.com> NOTIFY=NEVER\r\nRCPT TO:<a b@example.com>\r\nLHLO\r\nDATA x\r\nQUIT\r\n",
			want: []string{"250 ", "501 5.1.7", "555 5.5.4", "501 5.1.7", "555 5.5.4", "250 2.1.0", "501 5.1.3", "555 5.5.4", "501 5.1.3", "501 5.5.4", "501 5.5.4", "221 "}},
		{name: "too many recipients",
			srv:  &Server{MaxRecipients: 2},
			in:   hello + "MAIL FROM:<s@c>\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n",
			want: []string{"250 ", "250 2.1.0", "250 2.1.5", "250 2.1.5", "452 4.5.3", "354 ", "250 2.0.0", "250 2.0.0", "221 "}},
		{name: "loop detected by Delivered-To",
			in: hello + "MAIL FROM:<s@c>\r\nRCPT TO:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n" +
				"Received: by x\r\nDelivered-To: ALICE@example.com\r\n\r\nDelivered-To: bob@example.com\r\n.\r\nQUIT\r\n",
			want: []string{"250 ", "250 2.1.0", "250 2.1.5", "250 2.1.5", "354 ", "554 5.4.6 mail forwarding loop for alice@example.com", "250 2.0.0", "221 "}},
		{name: "queue id from Postfix's Received field",
			srv: &Server{Idempotent: true},
			in: hello + "MAIL FROM:<s@c>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n" +
				"Received: from c (localhost [127.0.0.1])\r\n\tby mx.test (Postfix) with ESMTP id 41A4598E4A6\r\n\tfor <alice@example.com>; Tue, 24 Nov 2026 02:50:59 +0000 (UTC)\r\n\r\nx\r\n.\r\nQUIT\r\n",
			want: []string{"250 ", "250 2.1.0", "250 2.1.5", "354 ", "250 2.0.0", "221 "},
			check: func(t *testing.T, f *fakeAgent) {
				if envs, _ := f.delivered(); len(envs) != 1 || envs[0].QueueID != "41A4598E4A6" {
					t.Errorf("envelopes %+v", envs)
				}
			}},
		{name: "LHLO resets the transaction",
			in:   hello + "MAIL FROM:<s@c>\r\n" + hello + "RCPT TO:<a@example.com>\r\nQUIT\r\n",
			want: []string{"250 ", "250 2.1.0", "250 ", "503 5.5.1", "221 "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := standardAgent()
			srv := tc.srv
			if srv == nil {
				srv = &Server{}
			}
			srv.Agent = f
			addr, stop := testServer(t, srv)
			c := dial(t, addr)
			if g := c.reply(); !strings.HasPrefix(g, "220 lmtp.test") {
				t.Fatalf("greeting %q", g)
			}
			c.send(tc.in)
			got := c.replies(len(tc.want))
			if !hasPrefixes(got, tc.want) {
				t.Errorf("replies:\n got  %q\n want %q", got, tc.want)
			}
			if extra := c.reply(); extra != "" {
				t.Errorf("extra reply %q", extra)
			}
			if err := stop(); !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve: %v", err)
			}
			if u := srv.Used(); u != 0 {
				t.Errorf("%d in-flight bytes left", u)
			}
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

// TestTimeouts: half a command, a stalled DATA and an idle client are
// answered 421 4.4.2 and disconnected.
func TestTimeouts(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"half a command", "NO", []string{"421 4.4.2"}},
		{"idle", "", []string{"421 4.4.2"}},
		{"stalled data", hello + "MAIL FROM:<s@c>\r\nRCPT TO:<a@example.com>\r\nDATA\r\npart", []string{"250 ", "250 2.1.0", "250 2.1.5", "354 ", "421 4.4.2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := &Server{Agent: standardAgent(), CommandTimeout: 200 * time.Millisecond}
			addr, _ := testServer(t, srv)
			c := dial(t, addr)
			c.reply()
			start := time.Now()
			c.send(tc.in)
			if got := c.replies(len(tc.want)); !hasPrefixes(got, tc.want) {
				t.Errorf("replies %q, want %q", got, tc.want)
			}
			if r := c.reply(); r != "" {
				t.Errorf("after timeout: %q", r)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
	t.Run("whole DATA bounded", func(t *testing.T) {
		srv := &Server{Agent: standardAgent(), CommandTimeout: time.Second, DataTimeout: 300 * time.Millisecond}
		addr, _ := testServer(t, srv)
		c := dial(t, addr)
		c.reply()
		c.send(hello + "MAIL FROM:<s@c>\r\nRCPT TO:<a@example.com>\r\nDATA\r\n")
		c.replies(4)
		// A line every 100ms never trips the per-line timeout.
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; i < 30; i++ {
				if _, err := c.conn.Write([]byte("line\r\n")); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		if r := c.reply(); !strings.HasPrefix(r, "421 4.4.2") {
			t.Errorf("reply %q", r)
		}
		<-done
	})
}

// TestDeliveryTimeout: deliveries hanging past DeliveryTimeout answer 451
// 4.3.0 for every recipient left.
func TestDeliveryTimeout(t *testing.T) {
	f := standardAgent()
	f.hang = true
	srv := &Server{Agent: f, DeliveryTimeout: 200 * time.Millisecond}
	addr, _ := testServer(t, srv)
	c := dial(t, addr)
	c.reply()
	c.send(hello + "MAIL FROM:<s@c>\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\nx\r\n.\r\n")
	want := []string{"250 ", "250 2.1.0", "250 2.1.5", "250 2.1.5", "354 ", "451 4.3.0", "451 4.3.0"}
	if got := c.replies(len(want)); !hasPrefixes(got, want) {
		t.Errorf("replies %q, want %q", got, want)
	}
}

// TestMaxConnections: the connection past the limit gets 421 4.3.2.
func TestMaxConnections(t *testing.T) {
	srv := &Server{Agent: standardAgent(), MaxConnections: 1}
	addr, _ := testServer(t, srv)
	c1 := dial(t, addr)
	c1.reply()
	c2 := dial(t, addr)
	if r := c2.reply(); !strings.HasPrefix(r, "421 4.3.2") {
		t.Errorf("second connection: %q", r)
	}
	c1.send("QUIT\r\n")
	c1.reply()
	// The slot is free again.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c3 := dial(t, addr)
		r := c3.reply()
		if strings.HasPrefix(r, "220 ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("third connection: %q", r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestShutdown: at cancel, an idle session is told 421 4.3.2, a
// transaction in progress completes, new connections are refused, and
// Serve returns ErrServerClosed.
func TestShutdown(t *testing.T) {
	f := standardAgent()
	srv := &Server{Agent: f}
	addr, stop := testServer(t, srv)
	idle := dial(t, addr)
	idle.reply()
	busy := dial(t, addr)
	busy.reply()
	busy.send(hello + "MAIL FROM:<s@c>\r\nRCPT TO:<a@example.com>\r\nDATA\r\nfirst line\r\n")
	busy.replies(4)
	errc := make(chan error, 1)
	go func() { errc <- stop() }()
	if r := idle.reply(); !strings.HasPrefix(r, "421 4.3.2") {
		t.Errorf("idle session: %q", r)
	}
	time.Sleep(100 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("still accepting")
	}
	busy.send("last line\r\n.\r\n")
	if r := busy.reply(); !strings.HasPrefix(r, "250 2.0.0") {
		t.Errorf("transaction in progress: %q", r)
	}
	if r := busy.reply(); !strings.HasPrefix(r, "421 4.3.2") {
		t.Errorf("after the transaction: %q", r)
	}
	if err := <-errc; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	if _, msgs := f.delivered(); len(msgs) != 1 || string(msgs[0]) != "first line\nlast line\n" {
		t.Errorf("messages %q", msgs)
	}
}

// TestShutdownGrace: a transaction that does not finish within the grace
// period is cut off.
func TestShutdownGrace(t *testing.T) {
	srv := &Server{Agent: standardAgent(), ShutdownGrace: 200 * time.Millisecond}
	addr, stop := testServer(t, srv)
	c := dial(t, addr)
	c.reply()
	c.send(hello + "MAIL FROM:<s@c>\r\n")
	c.replies(2)
	start := time.Now()
	if err := stop(); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %s", d)
	}
	if r := c.reply(); r != "" {
		t.Errorf("reply after close: %q", r)
	}
}

func TestReplyFor(t *testing.T) {
	ok := Reply{250, "2.0.0 Ok"}
	cases := []struct {
		err  error
		want string
	}{
		{nil, "250 2.0.0 Ok"},
		{&delivery.Error{Exit: delivery.ExitNoUser, DSN: "5.1.1", Msg: "<x@y>: unknown user"}, "550 5.1.1 <x@y>: unknown user"},
		{delivery.Tempf("4.4.3", errors.New("refused"), "directory unavailable"), "451 4.4.3 directory unavailable: refused"},
		{delivery.Tempf("4.3.5", nil, "directory data for <x> unusable"), "451 4.3.5 directory data for <x> unusable"},
		{delivery.Tempf("4.3.1", nil, "mail system full"), "452 4.3.1 mail system full"},
		{&delivery.Error{Exit: delivery.ExitTempFail, DSN: "4.2.2", Msg: "Mailbox full: <x>"}, "452 4.2.2 Mailbox full: <x>"},
		{&delivery.Error{Exit: delivery.ExitCantCreat, DSN: "5.2.2", Msg: "Mailbox full: <x>"}, "552 5.2.2 Mailbox full: <x>"},
		{&delivery.Error{Exit: delivery.ExitUnavailable, DSN: "5.4.6", Msg: "mail forwarding loop for <x>"}, "554 5.4.6 mail forwarding loop for <x>"},
		{&delivery.Error{Exit: delivery.ExitUsage, Msg: "usage"}, "554 5.3.0 usage"},
		{&delivery.Error{Exit: delivery.ExitNoPerm, Msg: "no"}, "550 5.7.0 no"},
		{&delivery.Error{Exit: delivery.ExitConfig, Msg: "cfg"}, "554 5.3.5 cfg"},
		{&delivery.Error{Exit: delivery.ExitOSErr, DSN: "5.3.0", Msg: "class follows exit"}, "451 4.3.0 class follows exit"},
		{&delivery.Error{Exit: delivery.ExitNoUser, DSN: "4.1.1", Msg: "class follows exit"}, "550 5.1.1 class follows exit"},
		{&delivery.Error{Exit: 1, DSN: "5.0.0", Msg: "odd"}, "451 4.3.0 internal error: exit status 1: 5.0.0 odd"},
		{errors.New("plain"), "451 4.3.0 internal error: plain"},
		{&delivery.Error{Exit: delivery.ExitTempFail, DSN: "4.3.0", Msg: "a\r\nb"}, "451 4.3.0 a  b"},
	}
	for _, tc := range cases {
		if got := ReplyFor(tc.err, ok).String(); got != tc.want {
			t.Errorf("ReplyFor(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestQueueIDFromReceived(t *testing.T) {
	cases := []struct{ msg, want string }{
		{"Received: from c (localhost [127.0.0.1])\n\tby mx.test (Postfix) with ESMTP id 41A4598E4A6\n\tfor <a@b>; date\n\nx", "41A4598E4A6"},
		{"Received: by mx.test (Postfix, from userid 0)\r\n\tid 4cVx1Q0yZbzJrP6; Tue, 24 Nov 2026\r\n\r\n", "4cVx1Q0yZbzJrP6"},
		{"Received: from a by b (Exim) id 1234567\n\n", ""},
		{"Subject: s\nReceived: by x (Postfix) id ABCDEF123\n\n", "ABCDEF123"},
		// Only the topmost Received field counts.
		{"Received: from a by other (Sendmail) id 99999999\nReceived: by x (Postfix) id ABCDEF123\n\n", ""},
		{"Received: by x (Postfix) id AB/12\n\n", ""},
		{"Received: by x (Postfix) id short\n\n", ""},
		{"\nReceived: by x (Postfix) id ABCDEF123\n", ""},
		{"", ""},
	}
	for _, tc := range cases {
		if got := QueueIDFromReceived([]byte(tc.msg)); got != tc.want {
			t.Errorf("QueueIDFromReceived(%q) = %q, want %q", tc.msg, got, tc.want)
		}
	}
}

func TestHasDeliveredTo(t *testing.T) {
	cases := []struct {
		msg, rcpt string
		want      bool
	}{
		{"Delivered-To: Alice@Example.com\n\n", "alice@example.com", true},
		{"Subject: x\ndelivered-to:\n <alice@example.com>\n\n", "alice@example.com", true},
		{"Delivered-To: bob@example.com\n\nDelivered-To: alice@example.com\n", "alice@example.com", false},
		{"X-Delivered-To: alice@example.com\n\n", "alice@example.com", false},
	}
	for _, tc := range cases {
		if got := HasDeliveredTo([]byte(tc.msg), tc.rcpt); got != tc.want {
			t.Errorf("HasDeliveredTo(%q, %s) = %v", tc.msg, tc.rcpt, got)
		}
	}
}

func TestParsePathArg(t *testing.T) {
	cases := []struct {
		arg, prefix, addr string
		params            int
		err               error
	}{
		{"FROM:<a@b>", "FROM:", "a@b", 0, nil},
		{"from: <a@b> SIZE=10 BODY=8BITMIME", "FROM:", "a@b", 2, nil},
		{"FROM:<>", "FROM:", "", 0, nil},
		{`TO:<"a b>c"@d>`, "TO:", `"a b>c"@d`, 0, nil},
		{"TO:<@r1,@r2:a@d>", "TO:", "a@d", 0, nil},
		{"TO:<@r1>", "TO:", "", 0, ErrPath},
		{"TO:a@d", "TO:", "", 0, ErrPath},
		{"TO:<a@d", "TO:", "", 0, ErrPath},
		{"TO:<a@d>x", "TO:", "", 0, ErrPath},
		{"TO:<a@d> =x", "TO:", "", 0, ErrParam},
		{"TO:<a@d> X=", "TO:", "", 0, ErrParam},
		{"FROM<a@d>", "FROM:", "", 0, ErrSyntax},
		{"TO:<" + strings.Repeat("a", MaxPathLength+1) + ">", "TO:", "", 0, ErrPath},
	}
	for _, tc := range cases {
		addr, params, err := ParsePathArg(tc.arg, tc.prefix)
		if !errors.Is(err, tc.err) || err == nil && (addr != tc.addr || len(params) != tc.params) {
			t.Errorf("ParsePathArg(%q) = %q, %v, %v", tc.arg, addr, params, err)
		}
	}
}

func TestParseAddress(t *testing.T) {
	cases := []struct{ in, network, addr string }{
		{"unix:/run/x.sock", "unix", "/run/x.sock"},
		{"/run/x.sock", "unix", "/run/x.sock"},
		{"inet:127.0.0.1:24", "tcp", "127.0.0.1:24"},
		{"inet:[::1]:24", "tcp", "[::1]:24"},
		{"inet::24", "tcp", ":24"},
		{"unix:relative", "", ""},
		{"inet:127.0.0.1", "", ""},
		{"inet:127.0.0.1:99999", "", ""},
		{"tcp:127.0.0.1:24", "", ""},
		{"unix:/" + strings.Repeat("a", 120), "", ""},
	}
	for _, tc := range cases {
		n, a, err := ParseAddress(tc.in)
		if (err != nil) != (tc.network == "") || n != tc.network || a != tc.addr {
			t.Errorf("ParseAddress(%q) = %q, %q, %v", tc.in, n, a, err)
		}
	}
}

func TestListen(t *testing.T) {
	dir := t.TempDir()
	sock := dir + "/lmtp.sock"
	ln, err := Listen("unix:"+sock, ListenOptions{Mode: 0o600, UID: -1, GID: -1})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode: %v %v", fi, err)
	}
	if _, err := Listen("unix:"+sock, ListenOptions{UID: -1, GID: -1}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second listen on a live socket: %v", err)
	}
	tcp, err := Listen("inet:127.0.0.1:0", ListenOptions{UID: -1, GID: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	if _, err := Listen("inet:"+tcp.Addr().String(), ListenOptions{UID: -1, GID: -1}); err == nil {
		t.Errorf("second listen on a busy port succeeded")
	}
	// A stale socket (nobody listens) is replaced.
	ul := ln.(*net.UnixListener)
	ul.SetUnlinkOnClose(false)
	ln.Close()
	ln2, err := Listen("unix:"+sock, ListenOptions{UID: -1, GID: -1})
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	ln2.Close()
	if err := os.WriteFile(dir+"/file", []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen("unix:"+dir+"/file", ListenOptions{UID: -1, GID: -1}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("listen on a plain file: %v", err)
	}
}

func TestParseArgs(t *testing.T) {
	o, err := ParseArgs([]string{"-listen", "unix:/tmp/x", "-c", "/etc/a.cf", "-o", "timeout=50s", "-max-recipients", "7", "-socket-mode", "0600", "-v"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Listen != "unix:/tmp/x" || o.ConfigFile != "/etc/a.cf" || len(o.Settings) != 1 || o.Server.MaxRecipients != 7 || o.SocketMode != 0o600 || !o.Verbose || !o.Server.Idempotent {
		t.Errorf("options %+v %+v", o, o.Server)
	}
	for _, bad := range [][]string{
		{}, {"-listen", "tcp:x"}, {"-listen", "unix:/x", "extra"}, {"-listen", "unix:/x", "-o", "novalue"},
		{"-listen", "unix:/x", "-socket-mode", "999"}, {"-listen", "unix:/x", "-bogus"},
	} {
		if _, err := ParseArgs(bad); err == nil {
			t.Errorf("ParseArgs(%q) succeeded", bad)
		}
	}
}

// TestMainRefusesBusyAddress: the command exits 78 with a clear message.
func TestMainRefusesBusyAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var out strings.Builder
	code := Main(context.Background(), []string{"-listen", "inet:" + ln.Addr().String(), "-o", "ldap=ldap://127.0.0.1:1"}, nil, &out)
	if code != delivery.ExitConfig || !strings.Contains(out.String(), "address already in use") {
		t.Errorf("exit %d, output %s", code, out.String())
	}
	out.Reset()
	if code := Main(context.Background(), []string{"-listen", "nowhere"}, nil, &out); code != delivery.ExitUsage || !strings.Contains(out.String(), "neither unix") {
		t.Errorf("exit %d, output %s", code, out.String())
	}
}

// TestMainServes runs the command until its context ends.
func TestMainServes(t *testing.T) {
	sock := t.TempDir() + "/s"
	prof := t.TempDir() + "/cpu.prof"
	ctx, cancel := context.WithCancel(context.Background())
	o, err := ParseArgs([]string{"-listen", "unix:" + sock, "-o", "ldap=ldap://127.0.0.1:1", "-o", "ldap_timeout=1s", "-cpuprofile", prof})
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	o.Ready = func(a string) { ready <- a }
	out := &syncWriter{}
	done := make(chan int, 1)
	go func() { done <- Run(ctx, o, out) }()
	select {
	case <-ready:
	case c := <-done:
		t.Fatalf("exit %d: %s", c, out.String())
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	cl := &client{t: t, conn: c, r: bufio.NewReader(c)}
	cl.reply()
	// The directory is down: RCPT is deferred with the pipe mode's code.
	cl.send(hello + "MAIL FROM:<s@c>\r\nRCPT TO:<a@example.com>\r\nQUIT\r\n")
	want := []string{"250 ", "250 2.1.0", "451 4.4.3 directory unavailable", "221 "}
	if got := cl.replies(4); !hasPrefixes(got, want) {
		t.Errorf("replies %q", got)
	}
	c.Close()
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
	// -cpuprofile: a pprof profile (gzip data) was written at shutdown.
	if b, err := os.ReadFile(prof); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("cpu profile %s: %d bytes, %v", prof, len(b), err)
	}
}
