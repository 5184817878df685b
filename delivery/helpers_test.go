package delivery

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"hostdir/internal/peers"
)

// tree is a running slapd loaded with testdata/delivery-tree.ldif whose
// homeDirectory values point at Home.
type tree struct {
	Slapd *peers.Slapd
	Home  string // replaces /home/vmail/domains
}

// startTree starts slapd with the Jamm schema and the delivery test tree.
func startTree(t testing.TB, ldapi bool) *tree {
	t.Helper()
	root := peers.RepoRoot(t)
	ldif, err := os.ReadFile(filepath.Join(root, "testdata", "delivery-tree.ldif"))
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(t.TempDir(), "domains")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	s := peers.StartSlapd(t, peers.SlapdOptions{
		ExtraSchemas: []string{filepath.Join(root, "schema", "builtin", "jamm.schema")},
		Indexes:      []string{"objectClass pres,eq", "mail,cn eq,sub", "jvd eq"},
		LDIF:         strings.ReplaceAll(string(ldif), "/home/vmail/domains", home),
		LDAPI:        ldapi,
	})
	return &tree{Slapd: s, Home: home}
}

// fakeSendmail writes a sendmail stand-in that records each call's argv
// (one argument per line) and stdin into dir, and returns its path.
func fakeSendmail(t testing.TB, dir string, exit int) string {
	t.Helper()
	p := filepath.Join(dir, "sendmail")
	script := "#!/bin/sh\nn=$$\nprintf '%s\\n' \"$@\" > " + dir + "/argv.$n\ncat > " + dir + "/msg.$n\n"
	if exit != 0 {
		script += "echo 'sendmail: fake failure' >&2\nexit " + strconv.Itoa(exit) + "\n"
	}
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// sendmailCall is one recorded call of the fake sendmail.
type sendmailCall struct {
	Args []string
	Msg  string
}

// sendmailCalls reads the recorded calls.
func sendmailCalls(t testing.TB, dir string) []sendmailCall {
	t.Helper()
	argvs, _ := filepath.Glob(filepath.Join(dir, "argv.*"))
	sort.Strings(argvs)
	var out []sendmailCall
	for _, a := range argvs {
		b, err := os.ReadFile(a)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := os.ReadFile(strings.Replace(a, "argv.", "msg.", 1))
		out = append(out, sendmailCall{Args: strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"), Msg: string(m)})
	}
	return out
}

// messages returns the contents of the files in maildir/new.
func messages(t testing.TB, maildir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(maildir, "new"))
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(maildir, "new", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// countAll counts the files in every new/ below dir.
func countAll(t testing.TB, dir string) map[string]int {
	t.Helper()
	got := map[string]int{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && filepath.Base(filepath.Dir(p)) == "new" {
			rel, _ := filepath.Rel(dir, filepath.Dir(filepath.Dir(p)))
			got[rel]++
		}
		return nil
	})
	return got
}

func testMessage(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: sender@remote.example\nTo: someone\nSubject: test\n\n")
	for b.Len() < size {
		b.WriteString("The quick brown fox jumps over the lazy dog.\n")
	}
	return b.Bytes()
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
