package peers

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseQueueJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []QueueEntry
		err  bool
	}{
		{name: "empty", in: "", want: nil},
		{name: "one deferred", in: `{"queue_name": "deferred", "queue_id": "4A1B2", "arrival_time": 1, "message_size": 400, "forced_expire": false, "sender": "s@c.example", "recipients": [{"address": "alice@example.com", "delay_reason": "Command died with signal 9"}]}` + "\n",
			want: []QueueEntry{{QueueName: "deferred", QueueID: "4A1B2", Sender: "s@c.example",
				Recipients: []QueueRecipient{{Address: "alice@example.com", DelayReason: "Command died with signal 9"}}}}},
		{name: "two", in: `{"queue_name":"active","queue_id":"A"}` + "\n\n" + `{"queue_name":"incoming","queue_id":"B"}`,
			want: []QueueEntry{{QueueName: "active", QueueID: "A"}, {QueueName: "incoming", QueueID: "B"}}},
		{name: "garbage", in: "Mail queue is empty\n", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseQueueJSON([]byte(tc.in))
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if !tc.err && !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPostfixConfigText(t *testing.T) {
	tests := []struct {
		name      string
		opts      PostfixOptions
		want      []string
		wantNot   []string
		masterHas []string
	}{
		{name: "virtual", opts: PostfixOptions{Transport: TransportVirtual},
			want:    []string{"virtual_transport = virtual", "virtual_alias_maps = ldap:/c/ldap-aliases.cf, ldap:/c/ldap-accountsmap.cf", "smtpd_relay_restrictions = reject_unauth_destination", "mynetworks = 192.0.2.1/32"},
			wantNot: []string{"hostdir_destination_recipient_limit"}},
		{name: "agent", opts: PostfixOptions{Transport: TransportAgent, Agent: "/x/hostdir-deliver", AgentArgs: []string{"-c", "/x/a.cf"}},
			want:      []string{"virtual_transport = hostdir", "hostdir_destination_recipient_limit = 1", "virtual_mailbox_maps = ldap:/c/ldap-accounts.cf"},
			masterHas: []string{"flags=DORhu user=vmail null_sender= argv=/x/hostdir-deliver -c /x/a.cf -f ${sender} -a ${recipient} -q ${queue_id}"}},
		{name: "agent-resolve", opts: PostfixOptions{Transport: TransportAgentResolve, Agent: "/x/d"},
			want: []string{"virtual_alias_maps =\n", "virtual_mailbox_maps = ldap:/c/ldap-accounts.cf, ldap:/c/ldap-aliases.cf"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &Postfix{Dir: "/c", QueueDir: "/q", DataDir: "/d", LogFile: "/l/maillog", Port: 2525, Addr: "127.0.0.1:2525",
				User: User{Name: "vmail", UID: 999, GID: 999}, Opts: tc.opts}
			main, master := p.MainCF(), p.MasterCF()
			for _, w := range tc.want {
				if !strings.Contains(main, w) {
					t.Errorf("main.cf lacks %q:\n%s", w, main)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(main, w) {
					t.Errorf("main.cf has %q", w)
				}
			}
			for _, w := range append(tc.masterHas, "127.0.0.1:2525 inet n - n - - smtpd", "postlogd") {
				if !strings.Contains(master, w) {
					t.Errorf("master.cf lacks %q:\n%s", w, master)
				}
			}
		})
	}
}

// TestStartPostfix runs a private Postfix with virtual(8) against slapd
// and the delivery tree: one local delivery, one external forward into the
// sink, one refusal; then it checks that Stop ends the master and that
// cleanup took the directory out of alternate_config_directories.
func TestStartPostfix(t *testing.T) {
	for _, p := range []string{PostfixPath, SmtpSinkPath, SwaksPath} {
		RequireProgram(t, p)
	}
	root := RepoRoot(t)
	s := StartSlapd(t, SlapdOptions{
		ExtraSchemas: []string{filepath.Join(root, "schema", "builtin", "jamm.schema")},
		LDIFFiles:    []string{filepath.Join(root, "testdata", "delivery-tree.ldif")},
	})
	sink := StartSmtpSink(t)
	mbase := filepath.Join(SharedDir(t, "peers-mail-"), "mail")
	var dir string
	t.Run("run", func(t *testing.T) {
		p := StartPostfix(t, PostfixOptions{LDAPURL: s.URL, MailboxBase: mbase, RelayHost: sink.RelayHost()})
		dir = p.Dir
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		for _, tc := range []struct {
			to     string
			accept bool
		}{{"alice@example.com", true}, {"ext@example.com", true}, {"nobody@example.com", false}} {
			res, err := Swaks(ctx, p.Addr, "s@client.example", tc.to, "hello "+tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if res.Accepted() != tc.accept || !tc.accept && !strings.Contains(res.Transcript, "<** 550") {
				t.Errorf("%s: exit %d, want accepted=%v:\n%s", tc.to, res.Exit, tc.accept, res.Transcript)
			}
		}
		if err := p.WaitEmpty(ctx, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(mbase, "example.com", "alice", "new", "*"))
		if len(files) != 1 {
			t.Errorf("alice has %d messages, want 1", len(files))
		}
		time.Sleep(100 * time.Millisecond)
		msgs, err := sink.Messages()
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || !reflect.DeepEqual(msgs[0].Recipients, []string{"friend@elsewhere.example"}) || msgs[0].Sender != "s@client.example" {
			t.Errorf("sink got %+v", msgs)
		}
		out, err := exec.Command(PostconfPath, "-h", "alternate_config_directories").Output()
		if err != nil || !strings.Contains(string(out), p.Dir) {
			t.Errorf("alternate_config_directories = %q (%v), want it to list %s", out, err, p.Dir)
		}
		pid := p.masterPID()
		p.Stop()
		if alive(pid) {
			t.Errorf("master %d still running after Stop", pid)
		}
		p.Stop() // idempotent
	})
	out, err := exec.Command(PostconfPath, "-h", "alternate_config_directories").Output()
	if err != nil || dir != "" && strings.Contains(string(out), dir) {
		t.Errorf("alternate_config_directories = %q (%v) still lists %s", out, err, dir)
	}
	if _, err := os.Stat(dir); dir != "" && !os.IsNotExist(err) {
		t.Errorf("%s not removed: %v", dir, err)
	}
}

// TestMergeMainCF: extra settings replace the generated ones in place,
// new ones are appended, and no parameter is named twice.
func TestMergeMainCF(t *testing.T) {
	base := "# generated\nrecipient_delimiter = +\nvirtual_transport = hostdir\nrelayhost = [127.0.0.1]:25\n"
	tests := []struct {
		name  string
		extra []string
		want  string
	}{
		{"none", nil, base},
		{"replace", []string{"virtual_transport = virtual"},
			"# generated\nrecipient_delimiter = +\nvirtual_transport = virtual\nrelayhost = [127.0.0.1]:25\n"},
		{"append", []string{"default_process_limit = 20"}, base + "default_process_limit = 20\n"},
		{"both, spacing", []string{"recipient_delimiter=-", "# note", "biff = no", "biff = yes"},
			"# generated\nrecipient_delimiter=-\nvirtual_transport = hostdir\nrelayhost = [127.0.0.1]:25\n# note\nbiff = yes\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := mergeMainCF(base, tc.extra); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
