package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hostdir/internal/peers"
)

// mailHost is the running system of the HOWTO with hostdir: the
// directory, Postfix with hostdir-deliver, Dovecot and Courier authlib.
type mailHost struct {
	hostdir *peers.Hostdir
	postfix *peers.Postfix
	sink    *peers.SmtpSink
	dovecot *peers.Dovecot
	courier *peers.Courier
	// mail is the mailbox base: homeDirectory of the accounts and the
	// agent's mailbox_base.
	mail string
	imap string // Dovecot's IMAP address
	prov provisioner
}

// startMailHost starts every piece, configured from examples/.
func startMailHost(t *testing.T) *mailHost {
	t.Helper()
	requireBinaries(t)
	for _, p := range []string{peers.PostfixPath, peers.SwaksPath, peers.DovecotPath, peers.AuthdaemondPath} {
		peers.RequireProgram(t, p)
	}
	m := &mailHost{}

	work := peers.SharedDir(t, "hostdir-e2e-")
	m.mail = filepath.Join(work, "domains")

	// hostdir with its web admin, which writes accounts with
	// homeDirectory = the mailbox base of hostdir-deliver.
	m.hostdir = peers.StartHostdir(t, peers.HostdirOptions{Binary: bins.hostdir, Admin: true,
		Args: []string{"--admin-home-directory", m.mail, "--admin-mailbox-base", m.mail}})
	t.Logf("hostdir: %s serve (built-in default configuration) on %s, data in %s", bins.hostdir, m.hostdir.URL, m.hostdir.DataDir)
	t.Logf("hostdir: %s", bannerLine(m.hostdir.Output(), "hostdir: web admin on "))
	ldapURL := strings.TrimSuffix(m.hostdir.URL, "/")

	maps := filepath.Join(work, "maps")
	if err := os.Mkdir(maps, 0o755); err != nil {
		t.Fatal(err)
	}

	// Postfix: the example maps (server_host pointed at hostdir) and the
	// example main.cf fragment, on top of peers' private instance with the
	// hostdir pipe transport (the example master.cf line; TestExamples
	// checks they agree).
	for _, mp := range howtoMaps {
		text := setSetting(t, exampleFile(t, "postfix/"+mp.file), "server_host", ldapURL)
		if err := os.WriteFile(filepath.Join(maps, mp.file), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var mainCF []string
	for _, s := range parseSettings(exampleFile(t, "postfix/main.cf")) {
		mainCF = append(mainCF, s.Key+" = "+strings.ReplaceAll(s.Value, "/etc/postfix/", maps+"/"))
	}
	agentCF := filepath.Join(work, "hostdir-deliver.cf")
	m.sink = peers.StartSmtpSink(t)
	m.postfix = peers.StartPostfix(t, peers.PostfixOptions{
		LDAPURL:     ldapURL,
		Transport:   peers.TransportAgent,
		MailboxBase: m.mail,
		Agent:       bins.deliver,
		AgentArgs:   []string{"-c", agentCF},
		RelayHost:   m.sink.RelayHost(),
		MainCF:      mainCF,
	})
	// The pipe service peers wrote must be the example's.
	want := pipeLine(exampleFile(t, "postfix/master.cf"))
	want = strings.ReplaceAll(want, "/usr/local/bin/hostdir-deliver", bins.deliver)
	want = strings.ReplaceAll(want, "/etc/hostdir/hostdir-deliver.cf", agentCF)
	if got := pipeLine(m.postfix.MasterCF()); got != want {
		t.Errorf("master.cf pipe service differs from examples/postfix/master.cf:\n running: %s\n example: %s", got, want)
	}
	// The agent: examples/hostdir-deliver.cf with this directory, mailbox
	// base and Postfix instance.
	cf := exampleFile(t, "hostdir-deliver.cf")
	cf = setSetting(t, cf, "ldap", ldapURL)
	cf = setSetting(t, cf, "mailbox_base", m.mail)
	cf = setSetting(t, cf, "sendmail_command", strings.Join(m.postfix.SendmailCommand(), " "))
	if err := os.WriteFile(agentCF, []byte(cf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("postfix: smtpd on %s, virtual_transport = hostdir (%s -c %s), maps from examples/postfix", m.postfix.Addr, bins.deliver, agentCF)

	// Dovecot: examples/dovecot/dovecot-ldap.conf.ext for passdb and userdb.
	var dove []string
	for _, s := range parseSettings(exampleFile(t, "dovecot/dovecot-ldap.conf.ext")) {
		if s.Key == "uris" {
			s.Value = ldapURL
		}
		dove = append(dove, s.Key+" = "+s.Value)
	}
	m.dovecot = peers.StartDovecot(t, peers.DovecotOptions{LDAPURL: ldapURL, PassArgs: dove, UserArgs: dove})
	m.imap = fmt.Sprintf("127.0.0.1:%d", m.dovecot.IMAPPort)
	t.Logf("dovecot: IMAP on %s, passdb/userdb ldap from examples/dovecot/dovecot-ldap.conf.ext", m.imap)

	// Courier: the example authldaprc's settings (peers writes the same
	// structure; any setting it does not write is added).
	ex := courierSettings(exampleFile(t, "courier/authldaprc"))
	ex["LDAP_URI"] = ldapURL
	probe := peers.CourierOptions{LDAPURL: ldapURL}
	var extra []string
	written := map[string]bool{}
	for _, k := range []string{"LDAP_URI", "LDAP_PROTOCOL_VERSION", "LDAP_BASEDN", "LDAP_TIMEOUT", "LDAP_AUTHBIND",
		"LDAP_INITBIND", "LDAP_MAIL", "LDAP_FILTER", "LDAP_GLOB_UID", "LDAP_GLOB_GID", "LDAP_HOMEDIR",
		"LDAP_MAILDIR", "LDAP_FULLNAME", "LDAP_CRYPTPW", "LDAP_DEREF", "LDAP_TLS"} {
		written[k] = true
	}
	for k, v := range ex {
		if !written[k] {
			extra = append(extra, k+"\t\t"+v)
		}
	}
	probe.Extra = extra
	m.courier = peers.StartCourier(t, probe)
	got := courierSettings(m.courier.AuthLDAPRC)
	for k, v := range ex {
		if got[k] != v {
			t.Errorf("authldaprc in force: %s = %q, examples/courier/authldaprc says %q", k, got[k], v)
		}
	}
	t.Logf("courier: authdaemond with examples/courier/authldaprc (LDAP_URI %s)", ldapURL)

	m.prov = newHTTPProvisioner(t, m.hostdir)
	return m
}

// bannerLine returns the line of out that starts with prefix, without
// "hostdir: ".
func bannerLine(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return strings.TrimPrefix(l, "hostdir: ")
		}
	}
	return "(no line " + prefix + "...)"
}

// pipeLine returns the "flags=... argv=..." line of master.cf text.
func pipeLine(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if l := strings.TrimSpace(l); strings.HasPrefix(l, "flags=") {
			return l
		}
	}
	return ""
}

// send sends one message with swaks and logs the SMTP outcome.
func (m *mailHost) send(t *testing.T, to, subject string) peers.SwaksResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r, err := peers.Swaks(ctx, m.postfix.Addr, "sender@client.example", to, "Body of "+subject,
		"--header", "Subject: "+subject)
	if err != nil {
		t.Fatalf("swaks: %v", err)
	}
	if r.Accepted() {
		t.Logf("  SMTP: %s accepted (%s)", to, lastReply(r.Transcript, "250 2.0.0"))
	} else {
		t.Logf("  SMTP: %s refused: %s", to, lastReply(r.Transcript, "<**"))
	}
	return r
}

// lastReply returns the last transcript line containing marker.
func lastReply(transcript, marker string) string {
	out := ""
	for _, l := range strings.Split(transcript, "\n") {
		if strings.Contains(l, marker) {
			out = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "<**"))
		}
	}
	return out
}

// mustAccept sends and fails the test unless Postfix accepted.
func (m *mailHost) mustAccept(t *testing.T, to, subject string) {
	t.Helper()
	if r := m.send(t, to, subject); !r.Accepted() {
		t.Fatalf("%s was refused (swaks exit %d):\n%s\npostfix log:\n%s", to, r.Exit, r.Transcript, m.postfix.Logs())
	}
}

// mustRefuseAtRCPT sends and fails unless smtpd refused the recipient
// with a permanent 5.1.1.
func (m *mailHost) mustRefuseAtRCPT(t *testing.T, to string) {
	t.Helper()
	r := m.send(t, to, "to be refused")
	if r.Accepted() || !strings.Contains(r.Transcript, "550 5.1.1") {
		t.Fatalf("%s: want 550 5.1.1 at RCPT TO, got exit %d:\n%s", to, r.Exit, r.Transcript)
	}
}

// waitFor reads user's INBOX over IMAP until a message with subject is
// there, and returns it.
func (m *mailHost) waitFor(t *testing.T, user, pw, subject string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var last error
	var n int
	for {
		msgs, err := readMailbox(ctx, m.imap, user, pw)
		if err == nil {
			n = len(msgs)
			for _, msg := range msgs {
				if strings.Contains(msg, "Subject: "+subject+"\r\n") || strings.Contains(msg, "Subject: "+subject+"\n") {
					t.Logf("  IMAP: %s reads %q (%d messages in INBOX)", user, subject, len(msgs))
					return msg
				}
			}
		}
		last = err
		select {
		case <-ctx.Done():
			t.Fatalf("IMAP: %q never reached %s's INBOX (%d messages; last error %v)\npostfix log:\n%s",
				subject, user, n, last, tailLines(m.postfix.Logs(), 40))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// count returns the number of messages in user's INBOX.
func (m *mailHost) count(t *testing.T, user, pw string) int {
	t.Helper()
	msgs, err := readMailbox(context.Background(), m.imap, user, pw)
	if err != nil {
		t.Fatalf("IMAP as %s: %v", user, err)
	}
	return len(msgs)
}

// loginRefused checks that IMAP refuses user with pw.
func (m *mailHost) loginRefused(t *testing.T, user, pw string) {
	t.Helper()
	_, err := readMailbox(context.Background(), m.imap, user, pw)
	if !errors.Is(err, errLoginRefused) {
		t.Fatalf("IMAP LOGIN %s with %q: want a refusal, got %v", user, pw, err)
	}
	t.Logf("  IMAP: LOGIN %s refused", user)
}

// courierAuth runs authtest and reports whether authlib authenticated.
func (m *mailHost) courierAuth(t *testing.T, user, pw string) bool {
	t.Helper()
	r, err := m.courier.AuthTest(context.Background(), user, pw)
	if err != nil {
		t.Fatalf("authtest: %v", err)
	}
	ok := r.Exit == 0 && strings.Contains(r.Output, "Authenticated")
	t.Logf("  courier: authtest %s -> exit %d, authenticated=%v", user, r.Exit, ok)
	return ok
}

// maildirFiles counts the files of new/ and cur/ of a maildir under the
// mailbox base.
func (m *mailHost) maildirFiles(t *testing.T, rel string) int {
	t.Helper()
	n := 0
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(m.mail, rel, sub))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		n += len(ents)
	}
	return n
}

func tailLines(s string, n int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

// TestMailHost is the end-to-end story: through the web admin's
// HTTP interface, the site admin creates a domain and its postmaster
// creates accounts, an alias and a catch-all; mail sent with swaks reaches
// each through Postfix and hostdir-deliver and is read back over IMAP as
// the account; unknown recipients are refused at SMTP; a user changes its
// password in the web admin and logs in again; an account the postmaster
// deactivates neither logs in nor receives.
func TestMailHost(t *testing.T) {
	m := startMailHost(t)
	const (
		domain  = "example.com"
		alice   = "alice@example.com"
		bob     = "bob@example.com"
		alicePW = "Tea-Party-1"
		bobPW   = "Builder-Can-2"
	)

	t.Log("step 1: the site admin (root) adds the domain example.com in the web admin (with its postmaster and abuse entries)")
	m.prov.AddDomain(t, domain)
	t.Log("step 2: the domain admin (postmaster@example.com) adds the accounts alice and bob and the alias info@ -> alice in the web admin")
	m.prov.AddAccount(t, alice, alicePW)
	m.prov.AddAccount(t, bob, bobPW)
	m.prov.AddAlias(t, "info@"+domain, alice)

	t.Log("step 3: mail to the account alice is delivered and read over IMAP")
	m.mustAccept(t, alice, "hello alice")
	msg := m.waitFor(t, alice, alicePW, "hello alice")
	for _, h := range []string{"Delivered-To: " + alice, "Return-Path: <sender@client.example>"} {
		if !strings.Contains(msg, h) {
			t.Errorf("delivered message lacks %q:\n%s", h, msg)
		}
	}
	if fi, err := os.Stat(filepath.Join(m.mail, domain, "alice", "new")); err != nil {
		t.Errorf("alice's maildir: %v", err)
	} else {
		t.Logf("  maildir %s (created on first delivery, mode %v)", filepath.Join(m.mail, domain, "alice"), fi.Mode().Perm())
	}

	t.Log("step 4: mail to the alias info@ reaches alice")
	m.mustAccept(t, "info@"+domain, "hello info")
	m.waitFor(t, alice, alicePW, "hello info")

	t.Log("step 5: an address extension, alice+news@, reaches alice")
	m.mustAccept(t, "alice+news@"+domain, "hello news")
	m.waitFor(t, alice, alicePW, "hello news")

	t.Log("step 6: an unknown recipient is refused at RCPT TO (no catch-all yet)")
	m.mustRefuseAtRCPT(t, "nobody@"+domain)
	t.Log("  and a domain hostdir does not serve is not relayed")
	if r := m.send(t, "someone@elsewhere.test", "relay"); r.Accepted() || !strings.Contains(r.Transcript, "Relay access denied") {
		t.Errorf("mail for another domain: want 554 Relay access denied, got exit %d:\n%s", r.Exit, r.Transcript)
	}

	t.Log("step 7: the domain admin sets the catch-all @example.com -> bob in the web admin; unknown addresses now reach bob")
	m.prov.AddAlias(t, "@"+domain, bob)
	m.mustAccept(t, "nobody@"+domain, "hello catch-all")
	m.waitFor(t, bob, bobPW, "hello catch-all")
	t.Log("  the catch-all does not take mail for a real account (the accountsmap self-alias)")
	bobHad := m.count(t, bob, bobPW)
	m.mustAccept(t, alice, "still alice")
	m.waitFor(t, alice, alicePW, "still alice")
	if n := m.count(t, bob, bobPW); n != bobHad {
		t.Errorf("bob (the catch-all) got mail meant for alice: %d messages, had %d", n, bobHad)
	}

	t.Log("step 8: Courier authlib authenticates the accounts against hostdir (LDAP_AUTHBIND)")
	if !m.courierAuth(t, alice, alicePW) {
		t.Errorf("authtest %s with the right password failed", alice)
	}
	if m.courierAuth(t, alice, "wrong password") {
		t.Errorf("authtest %s with a wrong password succeeded", alice)
	}

	t.Log("step 9: alice changes her own password on her page of the web admin and logs in again")
	const newPW = "Tea-Party-22"
	pw := newPW
	if err := m.prov.ChangeOwnPassword(t, alice, alicePW, newPW); err != nil {
		// Go on with the old password, so that the later steps still run.
		t.Errorf("%v", err)
		pw = alicePW
	} else {
		m.waitFor(t, alice, newPW, "hello alice")
		m.loginRefused(t, alice, alicePW)
		if !m.courierAuth(t, alice, newPW) {
			t.Errorf("authtest %s with the new password failed", alice)
		}
	}

	t.Log("step 10: the domain admin deactivates alice in the web admin: no more logins, and her mail goes to the catch-all")
	before := m.maildirFiles(t, domain+"/alice")
	bobBefore := m.count(t, bob, bobPW)
	m.prov.SetActive(t, alice, false)
	m.loginRefused(t, alice, pw)
	if m.courierAuth(t, alice, pw) {
		t.Errorf("authtest of the deactivated %s succeeded", alice)
	}
	m.mustAccept(t, alice, "after deactivation")
	m.waitFor(t, bob, bobPW, "after deactivation")
	if n := m.count(t, bob, bobPW); n != bobBefore+1 {
		t.Errorf("bob has %d messages, want %d", n, bobBefore+1)
	}
	if after := m.maildirFiles(t, domain+"/alice"); after != before {
		t.Errorf("alice's maildir went from %d to %d files after deactivation", before, after)
	}

	t.Log("step 11: the domain admin removes the catch-all; mail to the deactivated alice is refused at RCPT TO")
	m.prov.Delete(t, "@"+domain)
	m.mustRefuseAtRCPT(t, alice)

	t.Log("step 12: reactivated in the web admin, alice logs in and receives again")
	m.prov.SetActive(t, alice, true)
	m.mustAccept(t, alice, "welcome back")
	m.waitFor(t, alice, pw, "welcome back")
}
