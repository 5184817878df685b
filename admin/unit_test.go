package admin

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func mustRequest(t *testing.T, method, path string) *http.Request {
	t.Helper()
	return httptest.NewRequest(method, path, nil)
}

func TestValidDomain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Example.COM", "example.com"}, {" example.com. ", "example.com"}, {"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"a-b.c0", "a-b.c0"}, {"", ""}, {"localhost", ""}, {"-a.com", ""}, {"a-.com", ""}, {"a..com", ""},
		{"a_b.com", ""}, {"a,b.com", ""}, {"jvd=x.com", ""}, {strings.Repeat("a", 64) + ".com", ""},
	}
	for _, tc := range tests {
		got, err := ValidDomain(tc.in)
		if (err == nil) != (tc.want != "") || got != tc.want {
			t.Errorf("ValidDomain(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestValidLocal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Alice", "alice"}, {"first.last", "first.last"}, {"a+tag", "a+tag"}, {"a_b-c", "a_b-c"}, {"bob@example.com", "bob"},
		{"", ""}, {".a", ""}, {"a.", ""}, {"a..b", ""}, {"a b", ""}, {"a,b", ""}, {"a=b", ""}, {"a\"b", ""}, {strings.Repeat("a", 65), ""},
	}
	for _, tc := range tests {
		got, err := ValidLocal(tc.in)
		if (err == nil) != (tc.want != "") || got != tc.want {
			t.Errorf("ValidLocal(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseDestinations(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"a@example.com, b@example.com\nc@Example.ORG", []string{"a@example.com", "b@example.com", "c@example.org"}, true},
		{"postmaster", []string{"postmaster"}, true},
		{"a@example.com a@EXAMPLE.com", []string{"a@example.com"}, true},
		{"  ", nil, true},
		{"a@", nil, false}, {"@example.com", nil, false}, {"a@b", nil, false}, {"<a@b.com>", nil, false},
		{"a(b)@c.com", nil, false}, {"x@" + strings.Repeat("a", 300) + ".com", nil, false},
	}
	for _, tc := range tests {
		got, err := ParseDestinations(tc.in)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("ParseDestinations(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestValidQuota(t *testing.T) {
	for in, ok := range map[string]bool{"": true, "100": true, "500m": true, "2G": true, "10K": true, "1T": false, "-1": false, "1.5G": false, "M": false} {
		if _, err := ValidQuota(in); (err == nil) != ok {
			t.Errorf("ValidQuota(%q): %v", in, err)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		pw, confirm, login string
		ok                 bool
	}{
		{"Good-pass-1", "Good-pass-1", "alice@example.com", true},
		{"correct horse battery staple", "correct horse battery staple", "a@b.c", true},
		{"Good-pass-1", "Good-pass-2", "a@b.c", false},
		{"Sh0rt", "Sh0rt", "a@b.c", false},
		{"alllowercase", "alllowercase", "a@b.c", false},
		{"password1", "password1", "a@b.c", false},
		{"xAlice-99", "xAlice-99", "alice@example.com", false},
		{"aaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaa", "a@b.c", false},
		{"Good\x00pass1", "Good\x00pass1", "a@b.c", false},
		{strings.Repeat("Ab1", 400), strings.Repeat("Ab1", 400), "a@b.c", false},
	}
	for _, tc := range tests {
		if err := CheckPassword(tc.pw, tc.confirm, tc.login, 8); (err == nil) != tc.ok {
			t.Errorf("CheckPassword(%q, %q) = %v", tc.pw, tc.login, err)
		}
	}
}

func TestEditDestinations(t *testing.T) {
	got, err := editDestinations([]string{"a@x.com", "b@x.com"}, []string{"A@X.COM"}, "c@x.com, b@x.com")
	if err != nil || !slices.Equal(got, []string{"b@x.com", "c@x.com"}) {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := editDestinations([]string{"a@x.com"}, []string{"a@x.com"}, ""); err == nil {
		t.Error("emptied alias accepted")
	}
}

func TestMaildirPath(t *testing.T) {
	tests := []struct {
		base, home, mailbox, want string
	}{
		{"/home/vmail/domains", "/home/vmail/domains", "example.com/alice/", "/home/vmail/domains/example.com/alice"},
		{"/home/vmail", "/home/vmail/domains", "example.com/alice/", "/home/vmail/domains/example.com/alice"},
		{"/home/vmail/domains", "/home/vmail/domains", "../x/", ""},
		{"/home/vmail/domains", "/home/vmail/domains", "a/../../x", ""},
		{"/home/vmail/domains", "/home/vmail/domains", "/etc/", ""},
		{"/home/vmail/domains", "relative", "a/", ""},
		{"/home/vmail/domains", "/home/vmail/domains", "", ""},
		{"/home/vmail/domains", "/home/vmail/domains", "./", ""},
		{"/home/vmail/domains", "/home/vmail/domainsX", "a/", ""},
		{"/home/vmail/domains", "/home/vmail/domains", "a\x00/", ""},
	}
	for _, tc := range tests {
		got, ok := MaildirPath(tc.base, tc.home, tc.mailbox)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("MaildirPath(%q, %q, %q) = %q, %v", tc.base, tc.home, tc.mailbox, got, ok)
		}
	}
}

func TestThrottle(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	th := newThrottle(c.now)
	for i := 0; i < 3; i++ {
		if b, _ := th.blocked("k", 3); b {
			t.Fatalf("blocked after %d", i)
		}
		th.failed("k")
		c.add(time.Minute)
	}
	b, wait := th.blocked("k", 3)
	if !b || wait <= 0 || wait > throttleWindow {
		t.Fatalf("blocked=%v wait=%v", b, wait)
	}
	c.add(wait + time.Second)
	if b, _ := th.blocked("k", 3); b {
		t.Error("still blocked after the window")
	}
	th.failed("k")
	th.reset("k")
	if len(th.fail) != 0 {
		t.Error("reset kept state")
	}
}

func TestSessions(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	st := newSessions(time.Minute, time.Hour, 2, c.now)
	s1 := &session{login: "a", password: []byte("secret-1")}
	tok1 := st.create(s1)
	if st.get(tok1) != s1 || st.get("nope") != nil || st.get("") != nil {
		t.Fatal("get")
	}
	c.add(time.Second) // a is the oldest, not tied with b
	tok2 := st.create(&session{login: "b", password: []byte("x")})
	c.add(time.Second)
	st.create(&session{login: "c", password: []byte("y")}) // evicts the oldest (a)
	if st.get(tok1) != nil || st.count() != 2 || len(s1.password) != 0 {
		t.Error("the oldest session was not evicted and wiped")
	}
	c.add(2 * time.Minute)
	if st.get(tok2) != nil {
		t.Error("idle session alive")
	}
	if _, err := New(Config{LDAPURL: "ldap://x", Base: "bad"}); err == nil {
		t.Error("bad base accepted")
	}
	if _, err := New(Config{LDAPURL: "ldap://x", Base: testBase, PasswordHash: "{CLEARTEXT}"}); err == nil {
		t.Error("{CLEARTEXT} accepted")
	}
	if _, err := New(Config{LDAPURL: "ldap://x", Base: testBase, PasswordHash: "{NOPE}"}); err == nil {
		t.Error("unknown scheme accepted")
	}
}

func TestCheckListenAddr(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:8080": true, "[::1]:8080": true, "localhost:80": true,
		"0.0.0.0:8080": false, ":8080": false, "192.0.2.1:80": false, "nonsense": false} {
		if err := CheckListenAddr(addr, false); (err == nil) != ok {
			t.Errorf("CheckListenAddr(%q) = %v", addr, err)
		}
	}
	if err := CheckListenAddr(":443", true); err != nil {
		t.Error(err)
	}
}

func FuzzParseDestinations(f *testing.F) {
	for _, s := range []string{"a@example.com, b@example.com", "postmaster", "x@y", "\x00@a.com", "a@b.c\nd@e.f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := ParseDestinations(s)
		if err != nil {
			return
		}
		for _, d := range out {
			if d2, err := ValidDestination(d); err != nil || d2 != d {
				t.Fatalf("%q: not stable: %q %v", d, d2, err)
			}
			if strings.ContainsAny(d, ", \n\t;") || len(d) > maxDestinationLen {
				t.Fatalf("bad destination %q", d)
			}
		}
	})
}

func FuzzMaildirPath(f *testing.F) {
	f.Add("/home/vmail/domains", "example.com/alice/")
	f.Add("/home/vmail/domains", "../x")
	f.Add("/", "a")
	f.Fuzz(func(t *testing.T, home, mailbox string) {
		const base = "/home/vmail"
		p, ok := MaildirPath(base, home, mailbox)
		if !ok {
			return
		}
		if !strings.HasPrefix(p, base+"/") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") {
			t.Fatalf("MaildirPath(%q, %q) = %q escapes %s", home, mailbox, p, base)
		}
	})
}
