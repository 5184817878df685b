package peers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Paths of the Debian Postfix programs StartPostfix uses.
const (
	PostfixPath   = "/usr/sbin/postfix"
	PostconfPath  = "/usr/sbin/postconf"
	PostqueuePath = "/usr/sbin/postqueue"
	// PostfixLDAPModule is the dynamic map module of Debian's postfix-ldap.
	PostfixLDAPModule = "/usr/lib/postfix/postfix-ldap.so"
	// DefaultPostfixMainCF is the default instance's main.cf whose
	// alternate_config_directories must list a private instance's directory.
	DefaultPostfixMainCF = "/etc/postfix/main.cf"
)

// Virtual transports StartPostfix can configure (PostfixOptions.Transport).
const (
	// TransportVirtual delivers with Postfix's own virtual(8) and the
	// HOWTO's maps.
	TransportVirtual = "virtual"
	// TransportAgent delivers through a pipe(8) transport named "hostdir"
	// running PostfixOptions.Agent (hostdir-deliver) once per recipient,
	// after Postfix expanded the HOWTO's virtual_alias_maps.
	TransportAgent = "agent"
	// TransportAgentResolve is TransportAgent without virtual_alias_maps:
	// the agent expands aliases and the catch-all itself; smtpd learns the
	// valid recipients from virtual_mailbox_maps = accounts, aliases.
	TransportAgentResolve = "agent-resolve"
	// TransportLMTP delivers through Postfix's lmtp(8) client to the LMTP
	// server at PostfixOptions.LMTP (hostdir-deliver lmtp), after Postfix
	// expanded the HOWTO's virtual_alias_maps, as TransportAgent does.
	TransportLMTP = "lmtp"
)

// DefaultJammBase is the HOWTO's search base of the hosting tree.
const DefaultJammBase = "o=hosting,dc=myhosting,dc=example"

// PostfixOptions describe the private Postfix instance StartPostfix runs.
type PostfixOptions struct {
	// LDAPURL is the directory the ldap: maps ask (e.g. Slapd.URL). Required.
	LDAPURL string
	// Base is the maps' search base; default DefaultJammBase.
	Base string
	// Transport is TransportVirtual (the default), TransportAgent,
	// TransportAgentResolve or TransportLMTP.
	Transport string
	// MailboxBase is virtual_mailbox_base and the agent's --mailbox-base.
	// Required; StartPostfix makes it owned by the vmail user.
	MailboxBase string
	// Agent is the hostdir-deliver binary (or a wrapper taking the same
	// arguments) the pipe transport runs; required for the agent
	// transports. Every parent directory must be traversable by vmail.
	Agent string
	// AgentArgs are added to the agent's argv before -f and -a (for
	// example "-c", "/path/agent.cf"). Values may not contain white space
	// (master.cf splits argv on it).
	AgentArgs []string
	// RelayHost receives everything that is not for the virtual domains:
	// external forwards, local names such as postmaster, bounces. Usually
	// SmtpSink.RelayHost(); default "" (mail to other domains is deferred).
	RelayHost string
	// User is the unix user owning the maildirs and running the agent;
	// default "vmail" (created when missing, see EnsureUser).
	User string
	// LMTP is the LMTP server of TransportLMTP in Postfix's syntax without
	// the "lmtp:" prefix: "unix:/abs/path" or "inet:127.0.0.1:PORT".
	LMTP string
	// MainCF holds extra "name = value" lines appended to main.cf (they win).
	MainCF []string
	// StartTimeout bounds the wait until smtpd answers; default 60s (a
	// loaded CI machine running several Postfix instances at once has been
	// seen to need more than 20s).
	StartTimeout time.Duration
}

// Postfix is a running private Postfix instance started by StartPostfix.
type Postfix struct {
	// Dir is the configuration directory (main.cf, master.cf, the maps).
	Dir string
	// QueueDir and DataDir are queue_directory and data_directory.
	QueueDir, DataDir string
	// LogFile is maillog_file.
	LogFile string
	// Port is smtpd's TCP port on 127.0.0.1; Addr is "127.0.0.1:PORT".
	Port int
	Addr string
	// User is the vmail user.
	User User
	// Opts are the effective options.
	Opts PostfixOptions

	stopped bool
}

// User is a unix account.
type User struct {
	Name     string
	UID, GID int
}

// EnsureUser returns the unix user name, creating it as a system user
// (useradd -r, no home, no login shell) when it does not exist. Tests run as
// root; without root the test is skipped (or fails when CI=true).
func EnsureUser(t testing.TB, name string) User {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		if os.Geteuid() != 0 {
			skipOrFail(t, "peers: user %s does not exist and creating it needs root", name)
		}
		useradd := RequireProgram(t, "/usr/sbin/useradd")
		out, err := exec.Command(useradd, "-r", "-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", name).CombinedOutput()
		// Exit status 9: created meanwhile by a test in another process.
		if err != nil && !strings.Contains(string(out), "already exists") {
			t.Fatalf("peers: useradd %s: %v\n%s", name, err, out)
		}
		if u, err = user.Lookup(name); err != nil {
			t.Fatalf("peers: user %s after useradd: %v", name, err)
		}
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		t.Fatalf("peers: user %s has ids %q/%q", name, u.Uid, u.Gid)
	}
	return User{Name: name, UID: uid, GID: gid}
}

func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// SharedDir returns a new empty directory that every user may traverse
// (mode 0755, unlike t.TempDir's 0700 parents), removed at t.Cleanup. Mail
// daemons running as postfix or vmail need such paths for queues, maildirs
// and programs.
func SharedDir(t testing.TB, pattern string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		t.Fatalf("peers: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("peers: %v", err)
	}
	return dir
}

// StartPostfix writes main.cf, master.cf and the HOWTO's LDAP maps into a
// fresh directory, authorizes it in /etc/postfix/main.cf's
// alternate_config_directories, runs `postfix -c DIR set-permissions` and
// `postfix -c DIR start`, and waits until smtpd greets on 127.0.0.1:PORT.
// The instance is stopped at t.Cleanup (its directory is removed from
// alternate_config_directories again) and its mail log is shown when the
// test failed. Without Debian's postfix and postfix-ldap, or without root,
// the test is skipped (or fails when CI=true).
func StartPostfix(t testing.TB, opts PostfixOptions) *Postfix {
	t.Helper()
	RequireProgram(t, PostfixPath)
	RequireProgram(t, PostconfPath)
	RequireProgram(t, PostqueuePath)
	if _, err := os.Stat(PostfixLDAPModule); err != nil {
		skipOrFail(t, "peers: postfix-ldap is not installed: %v", err)
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "peers: a private Postfix needs root")
	}
	if opts.LDAPURL == "" || opts.MailboxBase == "" {
		t.Fatalf("peers: StartPostfix needs LDAPURL and MailboxBase")
	}
	if opts.Base == "" {
		opts.Base = DefaultJammBase
	}
	if opts.Transport == "" {
		opts.Transport = TransportVirtual
	}
	if opts.User == "" {
		opts.User = "vmail"
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 60 * time.Second
	}
	switch opts.Transport {
	case TransportVirtual:
	case TransportAgent, TransportAgentResolve:
		if opts.Agent == "" {
			t.Fatalf("peers: transport %s needs Agent", opts.Transport)
		}
		for _, a := range append([]string{opts.Agent}, opts.AgentArgs...) {
			if a == "" || strings.ContainsAny(a, " \t\n") {
				t.Fatalf("peers: agent argument %q is empty or holds white space", a)
			}
		}
	case TransportLMTP:
		if !strings.HasPrefix(opts.LMTP, "unix:/") && !strings.HasPrefix(opts.LMTP, "inet:") {
			t.Fatalf("peers: transport %s needs LMTP = unix:/path or inet:host:port, got %q", opts.Transport, opts.LMTP)
		}
	default:
		t.Fatalf("peers: unknown transport %q", opts.Transport)
	}

	vmail := EnsureUser(t, opts.User)
	if err := os.MkdirAll(opts.MailboxBase, 0o755); err != nil {
		t.Fatalf("peers: %v", err)
	}
	if err := os.Chown(opts.MailboxBase, vmail.UID, vmail.GID); err != nil {
		t.Fatalf("peers: %v", err)
	}

	root := SharedDir(t, "hostdir-postfix-")
	p := &Postfix{
		Dir:      filepath.Join(root, "etc"),
		QueueDir: filepath.Join(root, "queue"),
		DataDir:  filepath.Join(root, "data"),
		LogFile:  filepath.Join(root, "log", "maillog"),
		User:     vmail,
		Opts:     opts,
	}
	pf, err := user.Lookup("postfix")
	if err != nil {
		t.Fatalf("peers: no postfix user: %v", err)
	}
	pfUID, _ := strconv.Atoi(pf.Uid)
	pfGID, _ := strconv.Atoi(pf.Gid)
	for _, d := range []string{p.Dir, p.QueueDir, p.DataDir, filepath.Dir(p.LogFile)} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatalf("peers: %v", err)
		}
	}
	if err := os.Chown(p.DataDir, pfUID, pfGID); err != nil {
		t.Fatalf("peers: %v", err)
	}
	if err := p.writeMaps(); err != nil {
		t.Fatalf("peers: %v", err)
	}
	if err := authorizeConfigDir(p.Dir, true); err != nil {
		t.Fatalf("peers: %v", err)
	}
	t.Cleanup(func() {
		if err := authorizeConfigDir(p.Dir, false); err != nil {
			t.Errorf("peers: %v", err)
		}
	})

	lastErr := onFreePort(t, func(attempt, port int) (bool, error) {
		p.Port = port
		p.Addr = fmt.Sprintf("127.0.0.1:%d", port)
		if err := p.writeConfig(); err != nil {
			t.Fatalf("peers: %v", err)
		}
		if attempt == 0 {
			if out, err := p.commandFor(context.Background(), opts.StartTimeout, PostfixPath, "-c", p.Dir, "set-permissions"); err != nil {
				t.Fatalf("peers: postfix set-permissions: %v\n%s", err, out)
			}
			if out, err := p.commandFor(context.Background(), opts.StartTimeout, PostfixPath, "-c", p.Dir, "check"); err != nil {
				t.Fatalf("peers: postfix check: %v\n%s\n%s", err, out, p.Logs())
			}
		}
		err := p.start(opts.StartTimeout)
		if err != nil {
			p.Stop()
		}
		// Retry on a new port when the port was taken, and once more when
		// smtpd never greeted or `postfix start` ran out of time (a master
		// that came up wedged, or a start check slowed down, under load).
		retry := strings.Contains(p.Logs(), "in use") || strings.Contains(fmt.Sprint(err), "did not greet") ||
			strings.Contains(fmt.Sprint(err), "signal: killed")
		return err != nil && retry, err
	})
	if lastErr == nil {
		t.Cleanup(func() {
			p.Stop()
			if t.Failed() {
				t.Logf("postfix log (%s), last lines:\n%s", p.LogFile, tail(p.Logs(), 40))
			}
		})
		return p
	}
	t.Fatalf("peers: postfix did not start: %v\nlog:\n%s", lastErr, p.Logs())
	return nil
}

// command runs a Postfix tool for at most 30 seconds.
func (p *Postfix) command(ctx context.Context, name string, args ...string) ([]byte, error) {
	return p.commandFor(ctx, 30*time.Second, name, args...)
}

// commandFor runs a Postfix tool for at most d.
func (p *Postfix) commandFor(ctx context.Context, d time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "MAIL_CONFIG="+p.Dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return out, nil
}

func (p *Postfix) start(timeout time.Duration) error {
	// `postfix start` checks the whole installation first (postfix-script),
	// which takes long on a loaded machine: it gets the start timeout.
	if out, err := p.commandFor(context.Background(), timeout, PostfixPath, "-c", p.Dir, "start"); err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	p.stopped = false
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// `postfix start` returns once the master runs in the background: no
	// process of ours to watch.
	if err := poll(ctx, 50*time.Millisecond, nil, func(context.Context) error { return greet(p.Addr) }); err != nil {
		return fmt.Errorf("smtpd on %s did not greet: %w", p.Addr, err)
	}
	return nil
}

// greet connects to an SMTP server and reads a 220 greeting.
func greet(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read greeting: %w", err)
	}
	if !strings.HasPrefix(line, "220") {
		return fmt.Errorf("greeting %q", strings.TrimSpace(line))
	}
	_, _ = c.Write([]byte("QUIT\r\n"))
	return nil
}

// masterPID returns the pid in the master's pid file (0 if none).
func (p *Postfix) masterPID() int {
	b, err := os.ReadFile(filepath.Join(p.QueueDir, "pid", "master.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}

func alive(pid int) bool {
	return pid > 0 && syscall.Kill(pid, 0) == nil
}

// Stop runs `postfix -c DIR stop`, waits up to 10s for the master to exit
// and then `postfix -c DIR abort`s (and SIGKILLs the master). Calling it
// more than once is harmless.
func (p *Postfix) Stop() {
	if p.stopped {
		return
	}
	p.stopped = true
	pid := p.masterPID()
	_, _ = p.command(context.Background(), PostfixPath, "-c", p.Dir, "stop")
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if alive(pid) {
		_, _ = p.command(context.Background(), PostfixPath, "-c", p.Dir, "abort")
		time.Sleep(200 * time.Millisecond)
		if alive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	// Whatever the master left behind (it died, or a start never got as
	// far as writing its pid file): every process of this instance.
	killInstance(p.Dir)
}

// killInstance SIGKILLs the processes whose environment holds
// MAIL_CONFIG=dir: the daemons of a private Postfix instance (the master
// hands MAIL_CONFIG to each) and its commands.
func killInstance(dir string) {
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	want := []byte("MAIL_CONFIG=" + dir + "\x00")
	self := os.Getpid()
	for _, e := range procs {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		if bytes.HasPrefix(env, want) || bytes.Contains(env, append([]byte{0}, want...)) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// Logs returns the mail log written so far.
func (p *Postfix) Logs() string {
	b, err := os.ReadFile(p.LogFile)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// SendmailCommand is the sendmail command line that submits into this
// instance (for the agent's sendmail_command).
func (p *Postfix) SendmailCommand() []string {
	return []string{"/usr/sbin/sendmail", "-C", p.Dir}
}

// QueueEntry is one message of `postqueue -j`.
type QueueEntry struct {
	QueueName  string           `json:"queue_name"`
	QueueID    string           `json:"queue_id"`
	Sender     string           `json:"sender"`
	Recipients []QueueRecipient `json:"recipients"`
}

// QueueRecipient is a recipient of a queued message and why it waits.
type QueueRecipient struct {
	Address     string `json:"address"`
	DelayReason string `json:"delay_reason"`
}

// Queue lists the queued messages (`postqueue -c DIR -j`).
func (p *Postfix) Queue(ctx context.Context) ([]QueueEntry, error) {
	out, err := p.command(ctx, PostqueuePath, "-c", p.Dir, "-j")
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, out)
	}
	return parseQueueJSON(out)
}

// Flush asks for immediate delivery of deferred mail (`postqueue -c DIR -f`).
func (p *Postfix) Flush(ctx context.Context) error {
	if out, err := p.command(ctx, PostqueuePath, "-c", p.Dir, "-f"); err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}

// WaitQueue polls the queue until done returns true for its entries, or ctx
// ends (the error then shows the queue).
//
// An empty listing is believed only when the next listing, 50 ms later, is
// empty too and done again: showq(8) reads the queue directories one after
// the other, so a message that qmgr moves between them while showq reads
// (deferred to active after `postqueue -f`) can be missing from one listing.
func (p *Postfix) WaitQueue(ctx context.Context, done func([]QueueEntry) bool) ([]QueueEntry, error) {
	emptySeen := false
	for {
		q, err := p.Queue(ctx)
		if err == nil && done(q) {
			if len(q) > 0 || emptySeen {
				return q, nil
			}
			emptySeen = true
		} else {
			emptySeen = false
		}
		select {
		case <-ctx.Done():
			return q, fmt.Errorf("postfix queue: %w (last: %v, %v)", ctx.Err(), q, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// WaitEmpty waits until the queue is empty, at most timeout.
func (p *Postfix) WaitEmpty(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := p.WaitQueue(ctx, func(q []QueueEntry) bool { return len(q) == 0 })
	return err
}

// Reload runs `postfix -c DIR reload` (after editing main.cf or master.cf).
func (p *Postfix) Reload(ctx context.Context) error {
	if out, err := p.command(ctx, PostfixPath, "-c", p.Dir, "reload"); err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}

// authorizeConfigDir adds dir to (or removes it from)
// alternate_config_directories of the default main.cf, touching no other
// setting. A file lock serializes test processes doing the same.
func authorizeConfigDir(dir string, add bool) error {
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "hostdir-postfix-main-cf.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("lock main.cf: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock main.cf: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	out, err := exec.Command(PostconfPath, "-c", filepath.Dir(DefaultPostfixMainCF), "-h", "alternate_config_directories").Output()
	if err != nil {
		return fmt.Errorf("postconf alternate_config_directories: %w", err)
	}
	dirs := strings.FieldsFunc(string(out), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	has := slices.Contains(dirs, dir)
	switch {
	case add && has, !add && !has:
		return nil
	case add:
		dirs = append(dirs, dir)
	default:
		dirs = slices.DeleteFunc(dirs, func(d string) bool { return d == dir })
	}
	args := []string{"-c", filepath.Dir(DefaultPostfixMainCF), "-e", "alternate_config_directories = " + strings.Join(dirs, " ")}
	if len(dirs) == 0 {
		// The last private instance is gone: remove the setting again.
		args = []string{"-c", filepath.Dir(DefaultPostfixMainCF), "-X", "alternate_config_directories"}
	}
	if o, err := exec.Command(PostconfPath, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("postconf %s: %w: %s", strings.Join(args, " "), err, o)
	}
	return nil
}

// ldapMap is one ldap: table in today's LDAP_README syntax.
type ldapMap struct {
	name, filter, result, scope string
}

// howtoMaps are the HOWTO's four LDAP sources (section 4.4.2).
var howtoMaps = []ldapMap{
	{"transport", "(&(jvd=%s)(objectClass=JammVirtualDomain)(accountActive=TRUE)(delete=FALSE))", "postfixTransport", "one"},
	{"aliases", "(&(objectClass=JammMailAlias)(mail=%s)(accountActive=TRUE))", "maildrop", "sub"},
	{"accounts", "(&(objectClass=JammMailAccount)(mail=%s)(accountActive=TRUE)(delete=FALSE))", "mailbox", "sub"},
	{"accountsmap", "(&(objectClass=JammMailAccount)(mail=%s)(accountActive=TRUE)(delete=FALSE))", "mail", "sub"},
}

// MapFile returns the path of one of the ldap: tables ("transport",
// "aliases", "accounts", "accountsmap").
func (p *Postfix) MapFile(name string) string { return filepath.Join(p.Dir, "ldap-"+name+".cf") }

func (p *Postfix) writeMaps() error {
	for _, m := range howtoMaps {
		text := fmt.Sprintf(`# The HOWTO's %q LDAP source (section 4.4.2), LDAP_README syntax.
server_host = %s
version = 3
search_base = %s
scope = %s
query_filter = %s
result_attribute = %s
bind = no
cache = no
timeout = 10
`, m.name, p.Opts.LDAPURL, p.Opts.Base, m.scope, m.filter, m.result)
		if err := os.WriteFile(p.MapFile(m.name), []byte(text), 0o644); err != nil {
			return fmt.Errorf("write map %s: %w", m.name, err)
		}
	}
	return nil
}

// MainCF returns the generated main.cf text. A line of Opts.MainCF whose
// parameter the generated text already sets replaces that setting in
// place: main.cf must name each parameter once, as every Postfix program
// warns about a repeated one each time it starts, and a burst of such
// warnings can wedge the private postlogd (it logs its own warning to its
// own socket, whose queue a Linux default net.unix.max_dgram_qlen of 10
// fills).
func (p *Postfix) MainCF() string {
	o := p.Opts
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Private Postfix instance generated by hostdir/internal/peers.")
	w("compatibility_level = 3.6")
	w("queue_directory = %s", p.QueueDir)
	w("data_directory = %s", p.DataDir)
	w("maillog_file = %s", p.LogFile)
	w("maillog_file_prefixes = %s", filepath.Dir(p.LogFile))
	w("syslog_name = postfix-hostdir-%d", p.Port)
	w("myhostname = mx.hostdir.test")
	w("mydomain = hostdir.test")
	w("myorigin = $myhostname")
	w("# No local domains: local names (postmaster) and everything outside the")
	w("# virtual domains go to the relayhost, like bounces.")
	w("mydestination =")
	w("local_recipient_maps =")
	w("alias_maps =")
	w("alias_database =")
	w("inet_interfaces = loopback-only")
	w("inet_protocols = ipv4")
	w("# An MX for the virtual domains only: loopback is not trusted.")
	w("mynetworks = 192.0.2.1/32")
	w("smtpd_relay_restrictions = reject_unauth_destination")
	w("smtpd_recipient_restrictions =")
	w("smtpd_tls_security_level = none")
	w("smtp_tls_security_level = none")
	w("smtp_dns_support_level = disabled")
	w("relayhost = %s", o.RelayHost)
	w("biff = no")
	w("recipient_delimiter = +")
	w("delay_warning_time = 0")
	w("# Retries only when a test flushes the queue.")
	w("queue_run_delay = 300s")
	w("minimal_backoff_time = 300s")
	w("maximal_backoff_time = 600s")
	w("smtpd_error_sleep_time = 0")
	w("virtual_mailbox_domains = ldap:%s", p.MapFile("transport"))
	switch o.Transport {
	case TransportAgentResolve:
		w("virtual_alias_maps =")
		w("virtual_mailbox_maps = ldap:%s, ldap:%s", p.MapFile("accounts"), p.MapFile("aliases"))
	default:
		w("virtual_alias_maps = ldap:%s, ldap:%s", p.MapFile("aliases"), p.MapFile("accountsmap"))
		w("virtual_mailbox_maps = ldap:%s", p.MapFile("accounts"))
	}
	w("virtual_mailbox_base = %s", o.MailboxBase)
	w("virtual_minimum_uid = %d", p.User.UID)
	w("virtual_uid_maps = static:%d", p.User.UID)
	w("virtual_gid_maps = static:%d", p.User.GID)
	switch o.Transport {
	case TransportVirtual:
		w("virtual_transport = virtual")
	case TransportLMTP:
		w("virtual_transport = lmtp:%s", o.LMTP)
	default:
		w("virtual_transport = hostdir")
		w("hostdir_destination_recipient_limit = 1")
	}
	return mergeMainCF(b.String(), o.MainCF)
}

// mergeMainCF appends the "name = value" lines extra to the main.cf text
// base, replacing (in place) a line of base that sets the same name.
func mergeMainCF(base string, extra []string) string {
	lines := strings.Split(strings.TrimSuffix(base, "\n"), "\n")
	at := map[string]int{}
	for i, l := range lines {
		if name, ok := mainCFName(l); ok {
			at[name] = i
		}
	}
	for _, l := range extra {
		if name, ok := mainCFName(l); ok {
			if i, seen := at[name]; seen {
				lines[i] = l
				continue
			}
			at[name] = len(lines)
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n") + "\n"
}

// mainCFName returns the parameter name a main.cf line sets.
func mainCFName(l string) (string, bool) {
	if l == "" || l[0] == '#' || l[0] == ' ' || l[0] == '\t' {
		return "", false
	}
	name, _, ok := strings.Cut(l, "=")
	name = strings.TrimSpace(name)
	return name, ok && name != ""
}

// MasterCF returns the generated master.cf text: Debian's services without
// chroot, smtpd on 127.0.0.1:PORT, and the hostdir pipe transport.
func (p *Postfix) MasterCF() string {
	var b strings.Builder
	b.WriteString("# Private Postfix instance generated by hostdir/internal/peers.\n")
	fmt.Fprintf(&b, "%s inet n - n - - smtpd\n", p.Addr)
	b.WriteString(`pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`)
	if p.Opts.Transport == TransportLMTP {
		b.WriteString("lmtp      unix  -       -       n       -       -       lmtp\n")
	}
	if p.Opts.Agent != "" {
		args := append([]string{p.Opts.Agent}, p.Opts.AgentArgs...)
		// -q ${queue_id}: the agent's maildir deliveries are idempotent,
		// so Postfix's retry after a killed attempt adds no second copy.
		// Flag O adds X-Original-To (the recipient before Postfix's alias
		// expansion, which only Postfix knows), as virtual(8) writes it.
		args = append(args, "-f", "${sender}", "-a", "${recipient}", "-q", "${queue_id}")
		fmt.Fprintf(&b, "hostdir   unix  -       n       n       -       -       pipe\n")
		fmt.Fprintf(&b, "  flags=DORhu user=%s null_sender= argv=%s\n", p.User.Name, strings.Join(args, " "))
	}
	return b.String()
}

func (p *Postfix) writeConfig() error {
	if err := os.WriteFile(filepath.Join(p.Dir, "main.cf"), []byte(p.MainCF()), 0o644); err != nil {
		return fmt.Errorf("write main.cf: %w", err)
	}
	if err := os.WriteFile(filepath.Join(p.Dir, "master.cf"), []byte(p.MasterCF()), 0o644); err != nil {
		return fmt.Errorf("write master.cf: %w", err)
	}
	return nil
}

func tail(s string, lines int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > lines {
		ls = append([]string{"[...]"}, ls[len(ls)-lines:]...)
	}
	return strings.Join(ls, "\n")
}

// parseQueueJSON reads `postqueue -j` output: one JSON object per line.
func parseQueueJSON(out []byte) ([]QueueEntry, error) {
	var q []QueueEntry
	for _, line := range bytes.Split(out, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var e QueueEntry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("postqueue -j line %q: %w", line, err)
		}
		q = append(q, e)
	}
	return q, nil
}

// Paths of the SMTP test tools (smtp-sink and smtp-source come with
// Debian's postfix package, swaks with its own package).
const (
	SmtpSinkPath   = "/usr/sbin/smtp-sink"
	SmtpSourcePath = "/usr/sbin/smtp-source"
	SwaksPath      = "/usr/bin/swaks"
)

// SmtpSink is a running smtp-sink that stores every mail transaction as
// one file in Dir.
type SmtpSink struct {
	// Addr is "127.0.0.1:PORT"; Port the port.
	Addr string
	Port int
	// Dir receives one file per transaction.
	Dir string

	proc *proc
}

// StartSmtpSink runs `smtp-sink -u postfix -d DIR/%Y%m%d%H%M%S. 127.0.0.1:PORT
// 100` and waits until it greets. It is killed at t.Cleanup.
func StartSmtpSink(t testing.TB) *SmtpSink {
	t.Helper()
	RequireProgram(t, SmtpSinkPath)
	if os.Geteuid() != 0 {
		skipOrFail(t, "peers: smtp-sink -u needs root")
	}
	root := SharedDir(t, "hostdir-sink-")
	s := &SmtpSink{Dir: filepath.Join(root, "mail")}
	if err := os.Mkdir(s.Dir, 0o755); err != nil {
		t.Fatalf("peers: %v", err)
	}
	pf, err := user.Lookup("postfix")
	if err != nil {
		t.Fatalf("peers: no postfix user: %v", err)
	}
	uid, _ := strconv.Atoi(pf.Uid)
	if err := os.Chown(s.Dir, uid, -1); err != nil {
		t.Fatalf("peers: %v", err)
	}
	lastErr := onFreePort(t, func(_, port int) (bool, error) {
		s.Port, s.Addr = port, fmt.Sprintf("127.0.0.1:%d", port)
		p, err := startProc(exec.Command(SmtpSinkPath, "-u", "postfix", "-d", filepath.Join(s.Dir, "%Y%m%d%H%M%S."), s.Addr, "100"), false)
		if err != nil {
			t.Fatalf("peers: %v", err)
		}
		s.proc = p
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err = p.waitReady(ctx, 20*time.Millisecond, func(context.Context) error { return greet(s.Addr) }); err != nil {
			s.Stop()
		}
		return true, err
	})
	if lastErr == nil {
		t.Cleanup(s.Stop)
		return s
	}
	t.Fatalf("peers: smtp-sink did not start: %v\n%s", lastErr, s.proc.output())
	return nil
}

// RelayHost is the value for Postfix's relayhost: "[127.0.0.1]:PORT".
func (s *SmtpSink) RelayHost() string { return fmt.Sprintf("[127.0.0.1]:%d", s.Port) }

// Stop kills smtp-sink and waits for it; harmless when repeated.
func (s *SmtpSink) Stop() { s.proc.stop(5 * time.Second) }

// SinkMessage is one transaction smtp-sink stored.
type SinkMessage struct {
	// File is the dump file.
	File string
	// Sender is the MAIL FROM address, Recipients the RCPT TO addresses
	// (without angle brackets).
	Sender     string
	Recipients []string
	// Data is the message as received (after smtp-sink's envelope fields).
	Data []byte
}

// Messages reads every transaction stored so far, oldest first by name.
func (s *SmtpSink) Messages() ([]SinkMessage, error) {
	ents, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("read sink: %w", err)
	}
	var out []SinkMessage
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		p := filepath.Join(s.Dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read sink file: %w", err)
		}
		m := parseSinkDump(b)
		m.File = p
		out = append(out, m)
	}
	return out, nil
}

// SwaksResult is the outcome of one swaks run.
type SwaksResult struct {
	// Exit is swaks' exit status (0 delivered; 24 no recipient accepted;
	// 23 sender refused; 25 DATA refused; see swaks(1)).
	Exit int
	// Transcript is swaks' output: the whole SMTP dialogue.
	Transcript string
}

// Accepted reports whether the server took the message (exit status 0).
func (r SwaksResult) Accepted() bool { return r.Exit == 0 }

// Swaks sends one message with swaks: `swaks --server ADDR --from FROM --to
// TO --helo client.hostdir.test --body BODY [extra...]`. A failed SMTP
// transaction is not an error (see Exit); failing to run swaks is.
func Swaks(ctx context.Context, addr, from, to, body string, extra ...string) (SwaksResult, error) {
	args := []string{"--server", addr, "--from", from, "--to", to, "--helo", "client.hostdir.test",
		"--timeout", "30", "--body", body}
	args = append(args, extra...)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, SwaksPath, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	exit, err := runExit(cmd)
	res := SwaksResult{Transcript: out.String(), Exit: exit}
	if err != nil {
		return res, fmt.Errorf("swaks: %w: %s", err, out.String())
	}
	return res, nil
}

// SmtpSource runs `smtp-source -s SESSIONS -m COUNT -f FROM -t TO ADDR`
// (plus extra arguments before the address), which sends COUNT small
// messages over SESSIONS parallel SMTP sessions.
func SmtpSource(ctx context.Context, addr, from, to string, count, sessions int, extra ...string) error {
	args := []string{"-s", strconv.Itoa(sessions), "-m", strconv.Itoa(count), "-f", from, "-t", to}
	args = append(args, extra...)
	args = append(args, addr)
	out, err := exec.CommandContext(ctx, SmtpSourcePath, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("smtp-source %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// parseSinkDump splits one smtp-sink dump file into its envelope fields
// (X-Client-Addr, X-Client-Proto, X-Helo-Args, X-Mail-Args, X-Rcpt-Args
// lines) and the message that follows.
func parseSinkDump(b []byte) SinkMessage {
	var m SinkMessage
	rest := b
envelope:
	for len(rest) > 0 {
		line, after, _ := bytes.Cut(rest, []byte("\n"))
		name, value, ok := bytes.Cut(line, []byte(": "))
		if !ok {
			break
		}
		// The MAIL or RCPT arguments: "<address> PARAM=...".
		addr := strings.Fields(string(value) + " <>")[0]
		addr = strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
		switch string(name) {
		case "X-Mail-Args":
			m.Sender = addr
		case "X-Rcpt-Args":
			m.Recipients = append(m.Recipients, addr)
		case "X-Client-Addr", "X-Client-Proto", "X-Helo-Args":
		default:
			// A header of the message itself: envelope fields are over.
			break envelope
		}
		rest = after
	}
	m.Data = rest
	return m
}
