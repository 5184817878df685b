package e2e

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"hostdir/internal/peers"
)

// mailCase is one message of TestPostfixCases and what must become of it.
type mailCase struct {
	name string
	rcpt string
	// reject is the SMTP refusal expected, "RCPT 550" or "DATA 451"
	// ("" = accepted).
	reject string
	// boxes maps maildirs (relative to the mailbox base) to message counts.
	boxes map[string]int
	// deliveredTo maps maildirs to the expected Delivered-To (case-insensitive).
	deliveredTo map[string]string
	// forwards are the recipients the copy for the smtp-sink must carry.
	forwards []string
	// bounce: a non-delivery notice to Sender reaches the sink.
	bounce bool
	// resolve, when set, is the documented different outcome of
	// TransportAgentResolve (the agent expanding aliases itself).
	resolve *variant
}

// variant is a case's outcome in one mode that differs from virtual(8).
type variant struct {
	reject string
	bounce bool
	why    string
}

// outcome is what happened to one case's message; the three modes must agree.
type outcome struct {
	Reply string         // "accepted", or the stage and code of the refusal ("RCPT 550")
	Boxes map[string]int // maildir -> copies
	// Trace maps maildir -> the first Delivered-To and X-Original-To of
	// its copy (lower-case), as "delivered-to / x-original-to".
	Trace    map[string]string
	Forwards []string // recipients of non-bounce copies in the sink
	Bounced  bool
}

const (
	alice   = "example.com/alice"
	bob     = "example.com/bob"
	erin    = "example.org/erin"
	postbox = "example.org/postbox"
)

// mailCases covers testdata/delivery-tree.ldif (see its header comment).
var mailCases = []mailCase{
	{name: "account", rcpt: "alice@example.com", boxes: map[string]int{alice: 1},
		deliveredTo: map[string]string{alice: "alice@example.com"}},
	{name: "upper-case", rcpt: "ALICE@Example.COM", boxes: map[string]int{alice: 1},
		deliveredTo: map[string]string{alice: "alice@example.com"}},
	{name: "detail", rcpt: "alice+news@example.com", boxes: map[string]int{alice: 1},
		deliveredTo: map[string]string{alice: "alice+news@example.com"}},
	{name: "alias-two-accounts", rcpt: "team@example.com", boxes: map[string]int{alice: 1, bob: 1},
		deliveredTo: map[string]string{alice: "alice@example.com", bob: "bob@example.com"}},
	{name: "alias-external", rcpt: "ext@example.com", forwards: []string{"friend@elsewhere.example"}},
	{name: "alias-other-domain", rcpt: "other@example.com", boxes: map[string]int{erin: 1},
		deliveredTo: map[string]string{erin: "erin@example.org"}},
	{name: "alias-unserved-domain", rcpt: "inactivedom@example.com", forwards: []string{"x@inactive.example"}},
	{name: "alias-local-name", rcpt: "abuse@example.com", forwards: []string{"postmaster@mx.hostdir.test"}},
	{name: "alias-partly-unknown", rcpt: "mixed@example.com", boxes: map[string]int{alice: 1}, bounce: true},
	{name: "catch-all", rcpt: "whoever@example.org", boxes: map[string]int{postbox: 1},
		deliveredTo: map[string]string{postbox: "postbox@example.org"}},
	{name: "account-beats-catch-all", rcpt: "erin@example.org", boxes: map[string]int{erin: 1},
		deliveredTo: map[string]string{erin: "erin@example.org"}},
	{name: "alias-beats-catch-all", rcpt: "erin-alias@example.org", boxes: map[string]int{erin: 1}},
	{name: "inactive-account", rcpt: "carol@example.com", reject: "RCPT 550"},
	{name: "delete-marked-account", rcpt: "dave@example.com", reject: "RCPT 550"},
	{name: "inactive-alias", rcpt: "oldalias@example.com", reject: "RCPT 550"},
	{name: "inactive-domain", rcpt: "x@inactive.example", reject: "RCPT 554"},
	{name: "delete-marked-domain", rcpt: "y@deleted.example", reject: "RCPT 554"},
	{name: "unknown-user", rcpt: "nobody@example.com", reject: "RCPT 550"},
	{name: "unknown-domain", rcpt: "someone@unknown.example", reject: "RCPT 554"},
	// Postfix's cleanup stops at virtual_alias_recursion_limit and refuses
	// the message for now (451 4.3.0 after DATA): the client retries until
	// its queue lifetime ends. The agent finds the loop and bounces (5.4.6).
	{name: "alias-loop", rcpt: "loop1@example.com", reject: "DATA 451",
		resolve: &variant{bounce: true, why: "agent bounces 5.4.6 at once; Postfix's cleanup answers 451 after DATA"}},
	{name: "duplicates", rcpt: "dup@example.com", boxes: map[string]int{alice: 1, bob: 1}},
}

// expected is the outcome a case's table entry describes for mode.
func (c mailCase) expected(mode string) outcome {
	o := outcome{Reply: "accepted", Boxes: map[string]int{}, Trace: map[string]string{}, Forwards: append([]string{}, c.forwards...), Bounced: c.bounce}
	if c.reject != "" {
		o.Reply = c.reject
	}
	if v := c.resolve; v != nil && mode == peers.TransportAgentResolve {
		o.Reply, o.Bounced = "accepted", v.bounce
		if v.reject != "" {
			o.Reply = v.reject
		}
	}
	for k, v := range c.boxes {
		o.Boxes[k] = v
	}
	sort.Strings(o.Forwards)
	return o
}

// TestPostfixCases runs every mail case through Postfix with virtual(8),
// with the agent behind Postfix's alias expansion, and with the agent
// resolving aliases itself, and compares the three.
func TestPostfixCases(t *testing.T) {
	requireTools(t)
	slapd := startTree(t)
	work := peers.SharedDir(t, "hostdir-e2e-")
	agent := buildAgent(t, work, "./cmd/hostdir-deliver")

	modes := []string{peers.TransportVirtual, peers.TransportAgent, peers.TransportAgentResolve}
	var mu sync.Mutex
	results := map[string]map[string]outcome{}
	t.Run("modes", func(t *testing.T) {
		for _, mode := range modes {
			t.Run(mode, func(t *testing.T) {
				t.Parallel()
				dir := peers.SharedDir(t, "hostdir-e2e-"+mode+"-")
				st := startStack(t, mode, slapd, dir, stackOptions{Agent: agent})
				got := runCases(t, st)
				mu.Lock()
				results[mode] = got
				mu.Unlock()
			})
		}
	})
	if t.Failed() {
		return
	}
	// The same (maildir, count) results, trace headers (the first
	// Delivered-To and X-Original-To of each copy), refusals, forwards and
	// bounces whichever delivers.
	for _, mode := range modes[1:] {
		for _, c := range mailCases {
			v, a := results[peers.TransportVirtual][c.name], results[mode][c.name]
			if c.resolve != nil && mode == peers.TransportAgentResolve {
				t.Logf("%s: known difference, %s: virtual(8) %+v, %s %+v", c.name, c.resolve.why, v, mode, a)
				continue
			}
			if !reflect.DeepEqual(v, a) {
				t.Errorf("%s: virtual(8) gave %+v, %s gave %+v", c.name, v, mode, a)
			}
		}
	}
}

// runCases sends every case with swaks, waits for the queue to drain and
// returns each case's outcome after checking it against the table.
func runCases(t *testing.T, st *stack) map[string]outcome {
	ctx := testContext(t, 90*time.Second)
	got := map[string]outcome{}
	for _, c := range mailCases {
		body := fmt.Sprintf("Test message for case %s.\nEnd of %s.\n", c.name, c.name)
		res, err := peers.Swaks(ctx, st.Postfix.Addr, Sender, c.rcpt, body,
			"--add-header", "X-Case: "+c.name, "--header", "Subject: e2e "+c.name)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		o := outcome{Reply: "accepted", Boxes: map[string]int{}, Trace: map[string]string{}, Forwards: []string{}}
		if !res.Accepted() {
			o.Reply = refusal(res)
		}
		got[c.name] = o
	}
	if err := st.Postfix.WaitEmpty(ctx, 60*time.Second); err != nil {
		t.Fatalf("%s: %v", st.Mode, err)
	}
	time.Sleep(100 * time.Millisecond) // let smtp-sink close its last file

	for _, m := range maildirMessages(t, st.MailboxBase) {
		name := header(m.Data, "X-Case")
		o, ok := got[name]
		if !ok {
			t.Errorf("%s: unexpected message in %s:\n%s", st.Mode, m.Maildir, m.Data)
			continue
		}
		o.Boxes[m.Maildir]++
		o.Trace[m.Maildir] = strings.ToLower(header(m.Data, "Delivered-To") + " / " + header(m.Data, "X-Original-To"))
		c := caseNamed(name)
		// Every mode names the final mailbox first, as virtual(8) does:
		// when the agent expands an alias itself it adds that
		// Delivered-To above the one pipe(8) wrote for the recipient.
		want := c.deliveredTo[m.Maildir]
		if want != "" && !strings.EqualFold(header(m.Data, "Delivered-To"), want) {
			t.Errorf("%s/%s: Delivered-To %q, want %q", st.Mode, name, header(m.Data, "Delivered-To"), want)
		}
		if rp := header(m.Data, "Return-Path"); rp != "<"+Sender+">" {
			t.Errorf("%s/%s: Return-Path %q", st.Mode, name, rp)
		}
		if !bytes.Contains(m.Data, []byte("End of "+name+".")) {
			t.Errorf("%s/%s: message in %s incomplete:\n%s", st.Mode, name, m.Maildir, m.Data)
		}
		if m.Mode != 0o600 || m.UID != st.Postfix.User.UID {
			t.Errorf("%s/%s: %s has mode %o uid %d, want 0600 uid %d", st.Mode, name, m.File, m.Mode, m.UID, st.Postfix.User.UID)
		}
	}
	sunk, err := st.Sink.Messages()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range sunk {
		if m.Sender == "" { // a bounce: find the case in the returned headers
			found := false
			for name, o := range got {
				if bytes.Contains(m.Data, []byte("X-Case: "+name+"\n")) || bytes.Contains(m.Data, []byte("X-Case: "+name+"\r\n")) {
					o.Bounced = true
					got[name] = o
					found = true
				}
			}
			if !found {
				t.Errorf("%s: bounce for no known case:\n%s", st.Mode, m.Data)
			}
			continue
		}
		name := header(m.Data, "X-Case")
		o, ok := got[name]
		if !ok {
			t.Errorf("%s: unexpected message in the sink (%v):\n%s", st.Mode, m.Recipients, m.Data)
			continue
		}
		if m.Sender != Sender {
			t.Errorf("%s/%s: forward has sender %q", st.Mode, name, m.Sender)
		}
		for _, r := range m.Recipients {
			o.Forwards = append(o.Forwards, strings.ToLower(r))
		}
		sort.Strings(o.Forwards)
		got[name] = o
	}
	for _, c := range mailCases {
		// The trace headers are compared between the modes only.
		g := got[c.name]
		g.Trace = map[string]string{}
		if want := c.expected(st.Mode); !reflect.DeepEqual(g, want) {
			t.Errorf("%s/%s (to %s): got %+v, want %+v", st.Mode, c.name, c.rcpt, got[c.name], want)
		}
	}
	if t.Failed() {
		t.Logf("%s: sink holds %d messages", st.Mode, len(sunk))
	}
	return got
}

func caseNamed(name string) mailCase {
	for _, c := range mailCases {
		if c.name == name {
			return c
		}
	}
	return mailCase{}
}

// refusal names the stage and reply code of a refused swaks transaction:
// "RCPT 550" (swaks exit 24), "DATA 451" (exit 25 or 26), "MAIL 5xx" (23).
func refusal(res peers.SwaksResult) string {
	stage := map[int]string{23: "MAIL", 24: "RCPT", 25: "DATA", 26: "DATA"}[res.Exit]
	if stage == "" {
		stage = fmt.Sprintf("exit %d", res.Exit)
	}
	for _, l := range strings.Split(res.Transcript, "\n") {
		if r, ok := strings.CutPrefix(l, "<** "); ok && len(r) >= 3 {
			return stage + " " + r[:3]
		}
	}
	return stage + " ?"
}
