package directory

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"hostdir/directory/config"
)

// lineRecorder is a LineWriter that keeps the lines.
type lineRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *lineRecorder) WriteLine(b []byte) {
	r.mu.Lock()
	r.lines = append(r.lines, string(b))
	r.mu.Unlock()
}

func (r *lineRecorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// TestStatsLinesExact checks the stats lines of a session word for word
// (slapd's format; volatile numbers masked) through Options.LogLines.
func TestStatsLinesExact(t *testing.T) {
	rec := &lineRecorder{}
	ts := newTestServer(t, func(cfg *configT, o *Options) { o.LogLines = rec })
	ts.load(t)
	c := ts.bind(t, testRootDN, testRootPW)
	if _, err := search(t, c, testBase, ldap.ScopeWholeSubtree,
		"(&(objectClass=JammMailAccount)(mail=user@example.com)(accountActive=TRUE)(delete=FALSE))", "mailbox", "mail"); err != nil {
		t.Fatal(err)
	}
	m := ldap.NewModifyRequest(testUser, nil)
	m.Replace("quota", []string{"1M"})
	m.Replace("lastChange", []string{"2"})
	if err := c.Modify(m); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compare(testUser, "mail", "user@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WhoAmI(nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Del(ldap.NewDelRequest("mail=nobody@example.com,"+testDomain, nil)); code(err) != 32 {
		t.Fatal(err)
	}
	c.Unbind()
	want := []string{
		`conn=N fd=N ACCEPT from IP=127.0.0.1:PORT (IP=127.0.0.1:PORT)`,
		`conn=N op=0 BIND dn="cn=Manager,dc=myhosting,dc=example" method=128`,
		`conn=N op=0 BIND dn="cn=Manager,dc=myhosting,dc=example" mech=SIMPLE bind_ssf=0 ssf=0`,
		`conn=N op=0 RESULT tag=97 err=0 qtime=0.000000 etime=T text=`,
		`conn=N op=1 SRCH base="o=hosting,dc=myhosting,dc=example" scope=2 deref=0 filter="(&(objectClass=JammMailAccount)(mail=user@example.com)(accountActive=TRUE)(delete=FALSE))"`,
		`conn=N op=1 SRCH attr=mailbox mail`,
		`conn=N op=1 SEARCH RESULT tag=101 err=0 qtime=0.000000 etime=T nentries=1 text=`,
		`conn=N op=2 MOD dn="mail=user@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example"`,
		`conn=N op=2 MOD attr=quota lastChange`,
		`conn=N op=2 RESULT tag=103 err=0 qtime=0.000000 etime=T text=`,
		`conn=N op=3 CMP dn="mail=user@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example" attr="mail"`,
		`conn=N op=3 RESULT tag=111 err=6 qtime=0.000000 etime=T text=`,
		`conn=N op=4 EXT oid=1.3.6.1.4.1.4203.1.11.3`,
		`conn=N op=4 WHOAMI`,
		`conn=N op=4 RESULT oid= err=0 qtime=0.000000 etime=T text=`,
		`conn=N op=5 DEL dn="mail=nobody@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example"`,
		`conn=N op=5 RESULT tag=107 err=32 qtime=0.000000 etime=T text=`,
		`conn=N op=6 UNBIND`,
		`conn=N fd=N closed`,
	}
	num := regexp.MustCompile(`(conn|fd)=\d+`)
	port := regexp.MustCompile(`:\d+\)|:\d+ `)
	et := regexp.MustCompile(`etime=\d+\.\d{6} `)
	deadline := time.Now().Add(5 * time.Second)
	var got []string
	for {
		got = got[:0]
		lines := rec.all()
		mine := "" // the connection of the last ACCEPT: c's (ts.load used another)
		for _, l := range lines {
			if strings.Contains(l, " ACCEPT ") {
				mine = l[:strings.IndexByte(l, ' ')+1]
			}
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, mine) {
				continue
			}
			l = num.ReplaceAllString(l, "$1=N")
			l = port.ReplaceAllStringFunc(l, func(s string) string { return ":PORT" + s[len(s)-1:] })
			got = append(got, et.ReplaceAllString(l, "etime=T "))
		}
		if len(got) >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Lines of one operation are in order; a write's RESULT may follow
	// the next request's first line (it is logged after the response is
	// sent, as slapd does).
	opNum := regexp.MustCompile(` op=(\d+) `)
	key := func(l string) int {
		switch {
		case strings.Contains(l, " ACCEPT "):
			return -1
		case strings.HasSuffix(l, " closed"):
			return 1 << 30
		}
		if m := opNum.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
		return 1 << 29
	}
	sort.SliceStable(got, func(i, j int) bool { return key(got[i]) < key(got[j]) })
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stats lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The Logger gets none of them.
	if strings.Contains(ts.logs.String(), "SRCH") {
		t.Error("stats lines also went to the Logger")
	}
}

// TestStatsLinesOff checks that no stats line is built below loglevel
// stats.
func TestStatsLinesOff(t *testing.T) {
	rec := &lineRecorder{}
	ts := newTestServer(t, func(cfg *configT, o *Options) {
		none := config.LogLevel(0)
		o.LogLevel, o.LogLines = &none, rec
	})
	ts.load(t)
	c := ts.bind(t, testRootDN, testRootPW)
	search(t, c, testBase, ldap.ScopeWholeSubtree, "(mail=user@example.com)", "mailbox")
	c.Unbind()
	time.Sleep(50 * time.Millisecond)
	if l := rec.all(); len(l) != 0 {
		t.Errorf("lines at loglevel 0: %q", l)
	}
}

func TestAppendSeconds(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0.000000"},
		{69 * time.Microsecond, "0.000069"},
		{1500 * time.Nanosecond, "0.000002"},
		{1499 * time.Nanosecond, "0.000001"},
		{2*time.Second + 5*time.Millisecond, "2.005000"},
		{-3 * time.Microsecond, "-0.000003"},
		{3723 * time.Second, "3723.000000"},
	} {
		if got := seconds(tt.d); got != tt.want {
			t.Errorf("seconds(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
