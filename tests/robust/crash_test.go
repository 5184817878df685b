package robust

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"hostdir/directory/bootstrap"
	"hostdir/directory/store"
	"hostdir/internal/peers"
)

// state is what an entry written by the crash test looks like: absent, or
// present with a mailbox.
type state struct {
	exists  bool
	mailbox string
}

func (s state) String() string {
	if !s.exists {
		return "absent"
	}
	return "mailbox " + s.mailbox
}

// ledger records every acknowledged write of the crash test and the one
// write each writer had in flight when the server died.
type ledger struct {
	mu sync.Mutex
	// acked is each entry's state after its last acknowledged write.
	acked map[string]state
	// inflight is, per entry, the state an unacknowledged write would have
	// produced: after a crash either that or the acked state is right.
	inflight map[string]state
	count    atomic.Int64
}

func newLedger() *ledger {
	return &ledger{acked: map[string]state{}, inflight: map[string]state{}}
}

func (l *ledger) begin(dn string, s state) {
	l.mu.Lock()
	l.inflight[dn] = s
	l.mu.Unlock()
}

func (l *ledger) ack(dn string, s state) {
	l.mu.Lock()
	l.acked[dn] = s
	delete(l.inflight, dn)
	l.mu.Unlock()
	l.count.Add(1)
}

// writer adds, modifies and deletes entries as the rootdn until the
// connection fails or stop is closed. It returns the error that stopped it
// (nil when stopped), and whether that error came before stop.
func writer(tg *target, l *ledger, name string, stop <-chan struct{}) error {
	c, err := ldap.DialURL(tg.url, ldap.DialWithDialer(dialer()))
	if err != nil {
		return fmt.Errorf("%s: dial: %w", name, err)
	}
	defer c.Close()
	c.SetTimeout(30 * time.Second)
	if err := c.Bind(tg.rootDN, tg.rootPW); err != nil {
		return fmt.Errorf("%s: bind: %w", name, err)
	}
	dnOf := func(i int) (string, string) {
		mail := fmt.Sprintf("%s-%d@example.com", name, i)
		return "mail=" + mail + "," + domain, mail
	}
	for i := 0; ; i++ {
		select {
		case <-stop:
			return nil
		default:
		}
		dn, mail := dnOf(i)
		box := fmt.Sprintf("example.com/%s-%d/", name, i)
		add := ldap.NewAddRequest(dn, nil)
		add.Attribute("objectClass", []string{"top", "JammMailAccount"})
		add.Attribute("mail", []string{mail})
		add.Attribute("homeDirectory", []string{"/home/vmail/domains"})
		add.Attribute("mailbox", []string{box})
		add.Attribute("accountActive", []string{"TRUE"})
		add.Attribute("delete", []string{"FALSE"})
		add.Attribute("lastChange", []string{"1"})
		l.begin(dn, state{true, box})
		if err := c.Add(add); err != nil {
			return fmt.Errorf("%s: add %s: %w", name, dn, err)
		}
		l.ack(dn, state{true, box})
		if i >= 1 && i%2 == 1 {
			prev, _ := dnOf(i - 1)
			moved := fmt.Sprintf("moved/%s-%d/", name, i-1)
			mod := ldap.NewModifyRequest(prev, nil)
			mod.Replace("mailbox", []string{moved})
			mod.Replace("lastChange", []string{"2"})
			l.begin(prev, state{true, moved})
			if err := c.Modify(mod); err != nil {
				return fmt.Errorf("%s: modify %s: %w", name, prev, err)
			}
			l.ack(prev, state{true, moved})
		}
		if i >= 3 && i%5 == 0 {
			old, _ := dnOf(i - 3)
			l.begin(old, state{})
			if err := c.Del(ldap.NewDelRequest(old, nil)); err != nil {
				return fmt.Errorf("%s: delete %s: %w", name, old, err)
			}
			l.ack(old, state{})
		}
	}
}

// writeAndKill runs 8 writers until about minAcks writes are acknowledged
// (or 5s pass), then SIGKILLs the server while they are still writing.
func writeAndKill(t *testing.T, h *peers.Hostdir, tg *target, l *ledger, round int, minAcks int64) {
	t.Helper()
	stop := make(chan struct{})
	errs := make(chan error, 8)
	start := l.count.Load()
	var killed atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := writer(tg, l, fmt.Sprintf("r%dw%d", round, w), stop)
			if err != nil && !killed.Load() {
				errs <- err
			}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.count.Load()-start < minAcks && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	killed.Store(true)
	h.Kill()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("round %d: a write failed before the kill: %v", round, err)
	}
	l.mu.Lock()
	t.Logf("round %d: killed hostdir after %d acknowledged writes (%d in flight)", round, l.count.Load()-start, len(l.inflight))
	l.mu.Unlock()
}

// verify checks that the restarted server holds every acknowledged write
// (through a one-level search of the domain and an equality search on the
// mail index for each entry) and that no entry the ledger does not know
// exists. The writes that were in flight are then settled to what the
// server has. It returns the number of written entries present.
func verify(t *testing.T, tg *target, l *ledger) int {
	t.Helper()
	c, err := ldap.DialURL(tg.url, ldap.DialWithDialer(dialer()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	c.SetTimeout(30 * time.Second)
	if err := c.Bind(tg.rootDN, tg.rootPW); err != nil {
		t.Fatalf("bind: %v", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 20 {
			t.Errorf(format, args...)
		}
	}
	// Everything the writers created, in one search.
	r, err := c.Search(ldap.NewSearchRequest(domain, ldap.ScopeSingleLevel, ldap.NeverDerefAliases, 0, 0, false,
		"(mail=r*)", []string{"mailbox"}, nil))
	if err != nil {
		t.Fatalf("search written entries: %v", err)
	}
	found := map[string]string{}
	for _, e := range r.Entries {
		found[strings.ToLower(e.DN)] = e.GetAttributeValue("mailbox")
	}
	okState := func(dn string, got state) bool {
		if got == l.acked[dn] {
			return true
		}
		alt, ok := l.inflight[dn]
		return ok && got == alt
	}
	known := map[string]bool{}
	for dn := range l.acked {
		known[strings.ToLower(dn)] = true
	}
	for dn := range l.inflight {
		known[strings.ToLower(dn)] = true
	}
	for dn, want := range l.acked {
		box, ok := found[strings.ToLower(dn)]
		got := state{ok, box}
		if !okState(dn, got) {
			report("%s: after restart %v, acknowledged %v (in flight: %v)", dn, got, want, l.inflight[dn])
		}
		// The mail equality index must agree.
		mail := strings.TrimPrefix(strings.SplitN(dn, ",", 2)[0], "mail=")
		ri, err := c.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			"(mail="+ldap.EscapeFilter(mail)+")", []string{"mailbox"}, nil))
		if err != nil {
			t.Fatalf("search %s: %v", mail, err)
		}
		if (len(ri.Entries) == 1) != got.exists {
			report("%s: the mail index finds %d entries, the one-level scan %v", mail, len(ri.Entries), got)
		}
	}
	for dn := range found {
		if !known[dn] {
			report("%s exists but was never written", dn)
		}
	}
	if bad > 20 {
		t.Errorf("... %d problems in all", bad)
	}
	for dn := range l.inflight {
		box, ok := found[strings.ToLower(dn)]
		l.acked[dn] = state{ok, box}
		delete(l.inflight, dn)
	}
	t.Logf("verified %d acknowledged entries (%d present)", len(l.acked), len(found))
	return len(found)
}

// TestKillDuringWrites SIGKILLs `hostdir serve` while 8 writers add,
// modify and delete entries, twice, restarting it on the same data each
// time: every acknowledged write must be there. At the end the server is
// stopped, `hostdir export` must dump the database and the store's own
// consistency check must find every index in agreement with the entries.
func TestKillDuringWrites(t *testing.T) {
	h, tg := startHostdir(t)
	opts := hostdirOptions(t)
	l := newLedger()
	present := 0
	for round := 1; round <= 2; round++ {
		writeAndKill(t, h, tg, l, round, 1500)
		prev, err := h.Restart(opts)
		if err != nil {
			t.Fatalf("round %d: restart: %v\nprevious output:\n%s", round, err, lastLines(prev, 40))
		}
		tg.pid = h.PID()
		present = verify(t, tg, l)
		checkAnswers(t, tg, fmt.Sprintf("restart %d", round))
	}
	h.Stop()

	// hostdir export of the whole database.
	out := filepath.Join(t.TempDir(), "export.ldif")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.Binary, "export", "-f", h.ConfigPath, "--data", h.DataDir, "-l", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hostdir export: %v\n%s", err, b)
	}
	ldif, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	exported := 0
	for _, line := range strings.Split(string(ldif), "\n") {
		if strings.HasPrefix(line, "dn: mail=r") {
			exported++
		}
	}
	if exported != present {
		t.Errorf("export has %d written entries, the server had %d", exported, present)
	}
	t.Logf("export: %d written entries", exported)

	// The store's consistency check, on the file the server left.
	cfg, err := bootstrap.LoadConfig(h.ConfigPath, h.DataDir)
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	d, _, err := bootstrap.SelectDatabase(cfg, 0, "")
	if err != nil {
		t.Fatalf("select database: %v", err)
	}
	db, _, err := bootstrap.OpenStore(cfg, d, store.Options{ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Errorf("store check after two kills: %v", err)
	}
}

// lastLines is the end of a log.
func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}
