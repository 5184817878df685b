package delivery

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Setting
		err  string
	}{
		{name: "empty", in: ""},
		{name: "comments and blanks", in: "# c\n\n   # indented comment\n\t\n"},
		{name: "simple", in: "base = o=hosting,dc=x\n", want: []Setting{{"base", "o=hosting,dc=x", 1}}},
		{name: "no spaces", in: "timeout=5s", want: []Setting{{"timeout", "5s", 1}}},
		{name: "continuation", in: "ldap = ldap://a/\n  ldap://b/\n\t ldapi:///\nbase = x\n",
			want: []Setting{{"ldap", "ldap://a/ ldap://b/ ldapi:///", 1}, {"base", "x", 4}}},
		{name: "comment inside continuation", in: "ldap = ldap://a/\n# c\n  ldap://b/\n",
			want: []Setting{{"ldap", "ldap://a/ ldap://b/", 1}}},
		{name: "crlf", in: "base = x\r\nhostname = h\r\n", want: []Setting{{"base", "x", 1}, {"hostname", "h", 2}}},
		{name: "empty value", in: "mailbox_base =\n", want: []Setting{{"mailbox_base", "", 1}}},
		{name: "value with =", in: "base = a=b,c=d\n", want: []Setting{{"base", "a=b,c=d", 1}}},
		{name: "missing =", in: "base x\n", err: "cfg:1: missing '='"},
		{name: "missing key", in: " = x\n", err: "continuation line"},
		{name: "missing key 2", in: "= x\n", err: "cfg:1: missing key"},
		{name: "bad key", in: "a b = x\n", err: "cfg:1: bad key"},
		{name: "leading continuation", in: "  base = x\n", err: "cfg:1: continuation"},
		{name: "error line of logical line", in: "# a\nbase = x\nfoo\n  bar\n", err: "cfg:3: missing '='"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfig("cfg", []byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestConfigSet(t *testing.T) {
	tests := []struct {
		key, value string
		check      func(c Config) bool
		bad        bool
	}{
		{"ldap", "ldap://a/, ldaps://b/ ldapi://%2Fs", func(c Config) bool { return slices.Equal(c.LDAP, []string{"ldap://a/", "ldaps://b/", "ldapi://%2Fs"}) }, false},
		{"ldap", "http://a/", nil, true},
		{"ldap", "", nil, true},
		{"Bind-DN", "cn=x", func(c Config) bool { return c.BindDN == "cn=x" }, false},
		{"mailbox_base", "/srv/mail", func(c Config) bool { return c.MailboxBase == "/srv/mail" }, false},
		{"mailbox_base", "srv", nil, true},
		{"recipient_delimiter", "+-", func(c Config) bool { return c.RecipientDelimiter == "+-" }, false},
		{"recipient_delimiter", "@", nil, true},
		{"sendmail_command", "/bin/fake -x", func(c Config) bool { return slices.Equal(c.Sendmail, []string{"/bin/fake", "-x"}) }, false},
		{"sendmail_command", " ", nil, true},
		{"detail_folders", "create", func(c Config) bool { return c.DetailFolders == DetailCreate }, false},
		{"detail_folders", "off", func(c Config) bool { return c.DetailFolders == DetailOff }, false},
		{"detail_folders", "maybe", nil, true},
		{"quota_exceeded", "defer", func(c Config) bool { return c.QuotaExceeded == QuotaDefer }, false},
		{"quota_exceeded", "drop", nil, true},
		{"quota_warning_percent", "80", func(c Config) bool { return c.QuotaWarningPercent == 80 }, false},
		{"quota_warning_percent", "101", nil, true},
		{"add_headers", "yes", func(c Config) bool { return c.AddHeaders == HeadersYes }, false},
		{"add_headers", "no", func(c Config) bool { return c.AddHeaders == HeadersNo }, false},
		{"timeout", "30", func(c Config) bool { return c.Timeout == 30*time.Second }, false},
		{"timeout", "2m", func(c Config) bool { return c.Timeout == 2*time.Minute }, false},
		{"timeout", "1m30s", func(c Config) bool { return c.Timeout == 90*time.Second }, false},
		{"timeout", "0", nil, true},
		{"timeout", "2d", nil, true},
		{"ldap_timeout", "500ms", func(c Config) bool { return c.LDAPTimeout == 500*time.Millisecond }, false},
		{"alias_recursion_limit", "5", func(c Config) bool { return c.AliasRecursionLimit == 5 }, false},
		{"alias_expansion_limit", "0", nil, true},
		{"verbose", "yes", func(c Config) bool { return c.Verbose }, false},
		{"verbose", "perhaps", nil, true},
		{"queue_id", "4A1B2C3D4E", func(c Config) bool { return c.QueueID == "4A1B2C3D4E" }, false},
		{"Queue-ID", " 3Pt2mN2VXxznjll ", func(c Config) bool { return c.QueueID == "3Pt2mN2VXxznjll" }, false},
		{"queue_id", strings.Repeat("Q", 256), nil, true},
		{"nonsense", "1", nil, true},
	}
	for _, tc := range tests {
		c := DefaultConfig()
		err := c.Set(tc.key, tc.value)
		if (err != nil) != tc.bad {
			t.Errorf("Set(%q, %q) = %v", tc.key, tc.value, err)
			continue
		}
		if !tc.bad && !tc.check(c) {
			t.Errorf("Set(%q, %q) gave %+v", tc.key, tc.value, c)
		}
	}
	for _, k := range Keys {
		c := DefaultConfig()
		if err := c.Set(k, "x"); err != nil && strings.Contains(err.Error(), "unknown setting") {
			t.Errorf("documented key %q unknown", k)
		}
	}
}

func TestConfigLoadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "deliver.cf")
	os.WriteFile(p, []byte("# hostdir-deliver\nldap = ldap://127.0.0.1:389/\n    ldap://127.0.0.2:389/\nquota_exceeded = defer\nbogus = 1\n"), 0o600)
	c := DefaultConfig()
	err := c.LoadFile(p)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Line != 5 || !strings.Contains(err.Error(), "unknown setting") {
		t.Fatalf("LoadFile = %v", err)
	}
	if len(c.LDAP) != 2 || c.QuotaExceeded != QuotaDefer {
		t.Errorf("settings before the error not applied: %+v", c)
	}
	if err := c.LoadFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file accepted")
	}
}

// FuzzConfig parses arbitrary configuration text: no panics, line numbers
// in range, settings survive being written out and parsed again, and Apply
// either succeeds or names a line.
func FuzzConfig(f *testing.F) {
	f.Add([]byte("ldap = ldap://127.0.0.1:3389\n  ldapi:///\nbase = o=hosting,dc=myhosting,dc=example\n"))
	f.Add([]byte("# comment\n\nquota_exceeded=defer\r\ntimeout = 30s\n"))
	f.Add([]byte("  leading\n"))
	f.Add([]byte("x\n"))
	f.Add([]byte("detail_folders = create\nquota_warning_percent = 85\nsendmail_command = /usr/sbin/sendmail -oi\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		settings, err := ParseConfig("fuzz", data)
		lines := bytes.Count(data, []byte("\n")) + 1
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Line < 1 || ce.Line > lines {
				t.Fatalf("error without a valid line: %v", err)
			}
			return
		}
		var b strings.Builder
		last := 0
		for _, s := range settings {
			if s.Line <= last || s.Line > lines {
				t.Fatalf("line numbers out of order: %+v", settings)
			}
			last = s.Line
			if s.Key == "" || strings.ContainsAny(s.Key, " \t\n=") || strings.ContainsAny(s.Value, "\n") ||
				strings.TrimSpace(s.Value) != s.Value {
				t.Fatalf("bad setting %+v", s)
			}
			b.WriteString(s.Key + " = " + s.Value + "\n")
		}
		again, err := ParseConfig("again", []byte(b.String()))
		if err != nil || len(again) != len(settings) {
			t.Fatalf("re-parse: %v %+v", err, again)
		}
		for i := range again {
			if again[i].Key != settings[i].Key || again[i].Value != settings[i].Value {
				t.Fatalf("re-parse changed %+v to %+v", settings[i], again[i])
			}
		}
		c := DefaultConfig()
		if err := c.Apply("fuzz", data); err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Apply error %T %v", err, err)
			}
		}
	})
}
