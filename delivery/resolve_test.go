package delivery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeDir is an in-memory Directory for resolver unit tests.
type fakeDir struct {
	domains  map[string]bool
	accounts map[string]Account
	aliases  map[string][]string
	err      error

	mu      sync.Mutex
	queries int
}

func (f *fakeDir) count() {
	f.mu.Lock()
	f.queries++
	f.mu.Unlock()
}

func (f *fakeDir) Domain(ctx context.Context, d string) (bool, error) {
	f.count()
	return f.domains[d], f.err
}

func (f *fakeDir) Accounts(ctx context.Context, a string) ([]Account, error) {
	f.count()
	if acc, ok := f.accounts[a]; ok {
		return []Account{acc}, f.err
	}
	return nil, f.err
}

func (f *fakeDir) Aliases(ctx context.Context, a string) ([]string, error) {
	f.count()
	return f.aliases[a], f.err
}

func acct(mail string) Account {
	l, d, _ := SplitAddress(mail)
	return Account{DN: "mail=" + mail, Mail: mail, HomeDirectory: "/home/vmail/domains", Mailbox: d + "/" + l + "/"}
}

func TestResolveFake(t *testing.T) {
	chain := map[string][]string{}
	for i := 0; i < 20; i++ {
		chain[fmt.Sprintf("c%d@d.example", i)] = []string{fmt.Sprintf("c%d@d.example", i+1)}
	}
	chain["c20@d.example"] = []string{"a@d.example"}
	wide := map[string][]string{}
	for i := 0; i < 30; i++ {
		wide["wide@d.example"] = append(wide["wide@d.example"], fmt.Sprintf("w%d@x.example", i))
	}
	fd := &fakeDir{
		domains:  map[string]bool{"d.example": true},
		accounts: map[string]Account{"a@d.example": acct("a@d.example"), "b@d.example": acct("b@d.example"), "a+x@d.example": acct("a+x@d.example")},
		aliases: map[string][]string{
			"self@d.example":    {"self@d.example", "a@d.example"},
			"ext@d.example":     {"list@d.example"},
			"list@d.example":    {"a@d.example", "b@d.example"},
			"two@d.example":     {"A@D.example", "a@d.example", "<a@d.example>", ""},
			"@d.example":        {"b@d.example"},
			"minus-x@d.example": {"a@d.example"},
		},
	}
	for k, v := range chain {
		fd.aliases[k] = v
	}
	for k, v := range wide {
		fd.aliases[k] = v
	}
	tests := []struct {
		name      string
		rcpt      string
		recursion int
		expansion int
		delim     string
		mailboxes []string // Address+"|"+Extension
		forwards  []string
		err       error
	}{
		{name: "account", rcpt: "a@d.example", mailboxes: []string{"a@d.example|"}},
		{name: "extension", rcpt: "a+news@d.example", mailboxes: []string{"a+news@d.example|news"}},
		{name: "literal account with delimiter wins", rcpt: "a+x@d.example", mailboxes: []string{"a+x@d.example|"}},
		{name: "extension through alias", rcpt: "list+y@d.example", mailboxes: []string{"a+y@d.example|y", "b+y@d.example|y"}},
		{name: "catch-all no extension propagation", rcpt: "zz+q@d.example", mailboxes: []string{"b@d.example|"}},
		{name: "self reference", rcpt: "self@d.example", mailboxes: []string{"a@d.example|"}},
		{name: "duplicates", rcpt: "two@d.example", mailboxes: []string{"a@d.example|"}},
		{name: "chain of 21", rcpt: "c0@d.example", mailboxes: []string{"a@d.example|"}},
		{name: "recursion limit", rcpt: "c0@d.example", recursion: 5, err: ErrExpansionLimit},
		{name: "expansion limit", rcpt: "wide@d.example", expansion: 10, err: ErrExpansionLimit},
		{name: "wide forwards", rcpt: "wide@d.example", forwards: wide["wide@d.example"]},
		{name: "other delimiter", rcpt: "minus-x@d.example", delim: "-", mailboxes: []string{"a@d.example|"}},
		{name: "other delimiter strips", rcpt: "a-foo@d.example", delim: "+-", mailboxes: []string{"a-foo@d.example|foo"}},
		{name: "delimiters off", rcpt: "a+news@d.example", delim: "none", mailboxes: []string{"b@d.example|"}},
		{name: "unknown domain", rcpt: "a@other.example", err: ErrUnknownUser},
		{name: "empty", rcpt: "", err: ErrUnknownUser},
		{name: "at only", rcpt: "@d.example", err: ErrUnknownUser},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Resolver{Dir: fd, Delimiter: "+", RecursionLimit: tc.recursion, ExpansionLimit: tc.expansion}
			if tc.delim == "none" {
				r.Delimiter = ""
			} else if tc.delim != "" {
				r.Delimiter = tc.delim
			}
			res, err := r.Resolve(context.Background(), tc.rcpt)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range res.Mailboxes {
				got = append(got, m.Address+"|"+m.Extension)
				if !strings.HasPrefix(m.Path, "/home/vmail/domains/d.example/") {
					t.Errorf("path %q", m.Path)
				}
			}
			if !slices.Equal(got, tc.mailboxes) {
				t.Errorf("mailboxes = %q, want %q", got, tc.mailboxes)
			}
			if !slices.Equal(res.Forwards, tc.forwards) {
				t.Errorf("forwards = %q, want %q", res.Forwards, tc.forwards)
			}
		})
	}
}

func TestResolveDirectoryError(t *testing.T) {
	fd := &fakeDir{err: fmt.Errorf("%w: boom", ErrDirectory)}
	_, err := (&Resolver{Dir: fd}).Resolve(context.Background(), "a@d.example")
	if !errors.Is(err, ErrDirectory) {
		t.Fatalf("err = %v", err)
	}
}

func TestResolveBadPaths(t *testing.T) {
	tests := []struct {
		name    string
		home    string
		mailbox string
		base    string
		path    string
		err     error
	}{
		{name: "howto", home: "/home/vmail/domains", mailbox: "d.example/a/", path: "/home/vmail/domains/d.example/a"},
		{name: "mailbox base wins", home: "/elsewhere", mailbox: "d.example/a/", base: "/srv/mail", path: "/srv/mail/d.example/a"},
		{name: "absolute mailbox stays below", home: "/home/vmail", mailbox: "/x/a/", path: "/home/vmail/x/a"},
		{name: "dot dot", home: "/home/vmail/domains", mailbox: "d.example/../../etc/", err: ErrBadEntry},
		{name: "dot dot inside", home: "/home/vmail/domains", mailbox: "d.example/a/../b/", err: ErrBadEntry},
		{name: "empty mailbox", home: "/home/vmail/domains", mailbox: "", err: ErrBadEntry},
		{name: "relative home", home: "home/vmail", mailbox: "a/", err: ErrBadEntry},
		{name: "no home", home: "", mailbox: "a/", err: ErrBadEntry},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fd := &fakeDir{domains: map[string]bool{"d.example": true},
				accounts: map[string]Account{"a@d.example": {DN: "x", Mail: "a@d.example", HomeDirectory: tc.home, Mailbox: tc.mailbox}}}
			res, err := (&Resolver{Dir: fd, MailboxBase: tc.base}).Resolve(context.Background(), "a@d.example")
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || res.Mailboxes[0].Path != tc.path {
				t.Fatalf("got %+v %v, want %s", res, err, tc.path)
			}
		})
	}
}

func TestResolveLDAP(t *testing.T) {
	tr := startTree(t, true)
	tests := []struct {
		name string
		uris []string
	}{
		{"tcp", []string{tr.Slapd.URL}},
		{"ldapi", []string{tr.Slapd.LDAPIURL}},
		{"first dead", []string{"ldap://127.0.0.1:1/", tr.Slapd.URL}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.LDAP = tc.uris
			c.MailboxBase = "/srv/mail"
			d, err := NewLDAP(&c)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			res, err := NewResolver(d, &c).Resolve(testContext(t), "Team@Example.com")
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Mailboxes) != 2 || res.Mailboxes[0].Path != "/srv/mail/example.com/alice" || res.Mailboxes[1].Account.Mail != "bob@example.com" {
				t.Fatalf("resolution %+v", res)
			}
		})
	}
}
