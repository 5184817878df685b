package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"hostdir/internal/peers"
)

// Sender is the envelope sender of every test message; its domain is not
// served, so bounces to it go to the smtp-sink.
const Sender = "sender@client.example"

// startTree starts slapd with the Jamm schema and testdata/delivery-tree.ldif.
// The entries keep homeDirectory /home/vmail/domains: Postfix and the agent
// both use their own mailbox base (virtual_mailbox_base, --mailbox-base).
func startTree(t testing.TB) *peers.Slapd {
	t.Helper()
	root := peers.RepoRoot(t)
	return peers.StartSlapd(t, peers.SlapdOptions{
		ExtraSchemas: []string{filepath.Join(root, "schema", "builtin", "jamm.schema")},
		Indexes:      []string{"objectClass pres,eq", "mail,cn eq,sub", "jvd eq"},
		LDIFFiles:    []string{filepath.Join(root, "testdata", "delivery-tree.ldif")},
	})
}

// requireTools skips (or fails with CI=true) unless everything the tests
// run is installed and the tests run as root.
func requireTools(t testing.TB, extra ...string) {
	t.Helper()
	for _, p := range append([]string{peers.PostfixPath, peers.SmtpSinkPath, peers.SwaksPath, peers.SlapdPath}, extra...) {
		peers.RequireProgram(t, p)
	}
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("e2e tests need root (private Postfix, vmail user)")
		}
		t.Skip("e2e tests need root (private Postfix, vmail user)")
	}
}

// goTool finds the go command to build the agent with.
func goTool(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	for _, p := range []string{filepath.Join(os.Getenv("GOROOT"), "bin", "go"), "/usr/local/go/bin/go"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("no go command to build the agent")
	return ""
}

// buildAgent builds a main package of the module (e.g. "./cmd/hostdir-deliver")
// into dir (which vmail can traverse) and returns the binary's path.
func buildAgent(t testing.TB, dir, pkg string) string {
	t.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(t), "build", "-o", out, pkg)
	cmd.Dir = peers.RepoRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	if err := os.Chmod(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// stack is one Postfix set-up: the instance, its sink and mailbox base.
type stack struct {
	Mode    string
	Postfix *peers.Postfix
	Sink    *peers.SmtpSink
	// MailboxBase is virtual_mailbox_base / --mailbox-base.
	MailboxBase string
	// Work holds the agent, its configuration and the crash test's files.
	Work string
	// AgentConfig is the agent's -c file.
	AgentConfig string
	// LMTP is the LMTP server address (peers.TransportLMTP only).
	LMTP string
}

// stackOptions tune startStack.
type stackOptions struct {
	// Agent is the program the pipe transport runs (agent modes).
	Agent string
	// MainCF lines are added to main.cf.
	MainCF []string
	// LMTP is the LMTP server address of peers.TransportLMTP (Postfix
	// syntax, e.g. "unix:/path"); default WORK/lmtp.sock. The server
	// itself is started by startLMTPServer.
	LMTP string
}

// startStack starts an smtp-sink and a Postfix in the given mode
// (peers.Transport*) against slapd. For the agent modes opts.Agent gets
// `-c WORK/agent.cf`, a configuration naming slapd, the mailbox base and
// this instance's sendmail.
func startStack(t testing.TB, mode string, slapd *peers.Slapd, work string, opts stackOptions) *stack {
	t.Helper()
	s := &stack{Mode: mode, Work: work, AgentConfig: filepath.Join(work, "agent.cf")}
	s.MailboxBase = filepath.Join(work, "mail")
	s.Sink = peers.StartSmtpSink(t)
	popts := peers.PostfixOptions{
		LDAPURL:     slapd.URL,
		Transport:   mode,
		MailboxBase: s.MailboxBase,
		RelayHost:   s.Sink.RelayHost(),
		MainCF:      opts.MainCF,
	}
	switch mode {
	case peers.TransportVirtual:
	case peers.TransportLMTP:
		popts.LMTP = opts.LMTP
		if popts.LMTP == "" {
			popts.LMTP = "unix:" + filepath.Join(work, "lmtp.sock")
		}
		s.LMTP = popts.LMTP
	default:
		popts.Agent = opts.Agent
		popts.AgentArgs = []string{"-c", s.AgentConfig}
	}
	s.Postfix = peers.StartPostfix(t, popts)
	cfg := fmt.Sprintf("ldap = %s\nbase = %s\nmailbox_base = %s\nsendmail_command = %s\nhostname = e2e.hostdir.test\n",
		slapd.URL, peers.DefaultJammBase, s.MailboxBase, strings.Join(s.Postfix.SendmailCommand(), " "))
	if err := os.WriteFile(s.AgentConfig, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// storedMessage is one file of a maildir's new/.
type storedMessage struct {
	Maildir string // relative to the mailbox base, e.g. "example.com/alice"
	File    string
	Data    []byte
	Mode    os.FileMode
	UID     int
}

// header returns the first value of a header field of msg ("" if absent).
func header(msg []byte, name string) string {
	head, _, _ := bytes.Cut(msg, []byte("\n\n"))
	var cur string
	for _, line := range strings.Split(string(head), "\n") {
		line = strings.TrimRight(line, "\r")
		if line != "" && (line[0] == ' ' || line[0] == '\t') {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(k, name) {
			cur = strings.TrimSpace(v)
			return cur
		}
	}
	return cur
}

// maildirMessages reads every file in every new/ below base.
func maildirMessages(t testing.TB, base string) []storedMessage {
	t.Helper()
	var out []storedMessage
	err := filepath.Walk(base, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.IsDir() || filepath.Base(filepath.Dir(p)) != "new" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, filepath.Dir(filepath.Dir(p)))
		st, _ := fi.Sys().(*syscall.Stat_t)
		m := storedMessage{Maildir: rel, File: p, Data: b, Mode: fi.Mode().Perm()}
		if st != nil {
			m.UID = int(st.Uid)
		}
		out = append(out, m)
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("walk %s: %v", base, err)
	}
	return out
}

// countNew counts the files in dir/new (0 when missing).
func countNew(dir string) int {
	ents, err := os.ReadDir(filepath.Join(dir, "new"))
	if err != nil {
		return 0
	}
	return len(ents)
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func testContext(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
