package clients

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"hostdir/internal/peers"
)

// TestJNDIJamm compiles testdata/jndi/Jamm.java, which does through JNDI
// what Jamm does, runs it against each server and compares the outputs
// step by step. The "asroot" variant runs every session as the rootdn, so
// that the steps after a write also compare when access control differs.
func TestJNDIJamm(t *testing.T) {
	src := filepath.Join(peers.RepoRoot(t), "testdata", "jndi", "Jamm.java")
	classes := peers.CompileJava(t, src)
	for _, variant := range []string{"roles", "asroot"} {
		t.Run(variant, func(t *testing.T) { runJamm(t, classes, variant) })
	}
}

// runJamm runs the compiled program in one variant against each server.
func runJamm(t *testing.T, classes, variant string) {
	eachServer(t, func(t *testing.T, s *server) map[string]string {
		args := []string{s.URL, s.RootDN, s.RootPW, base}
		if variant == "asroot" {
			args = append(args, "asroot")
		}
		r, err := peers.RunJava(context.Background(), classes, "Jamm", args...)
		if err != nil {
			t.Fatal(err)
		}
		if r.Exit != 0 || r.Stderr != "" {
			t.Errorf("java Jamm on %s: exit %d, stderr:\n%s", s.Name, r.Exit, r.Stderr)
		}
		lines := strings.Split(strings.TrimRight(r.Stdout, "\n"), "\n")
		t.Logf("output on %s:\n%s", s.Name, r.Stdout)
		mustSee := jndiMustSee
		if variant == "asroot" {
			mustSee = jndiMustSeeAsRoot
		}
		for _, want := range mustSee {
			if !strings.Contains(r.Stdout, want+"\n") {
				t.Errorf("java Jamm on %s: output lacks %q", s.Name, want)
			}
		}
		// Keyed by the step's name and its occurrence, so that a
		// difference names the step and does not shift later ones.
		got := map[string]string{}
		seen := map[string]int{}
		for _, l := range lines {
			name, _, _ := strings.Cut(l, ": ")
			seen[name]++
			got[fmt.Sprintf("%s #%d", name, seen[name])] = l
		}
		return got
	})
}

// jndiMustSee are lines slapd prints for the program: the harness is
// proved when these hold on slapd.
var jndiMustSee = []string{
	"root bind: ok",
	"login alice@example.com found: mail=alice@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example active=TRUE",
	"login alice@example.com: bound",
	"login alice@example.com: AuthenticationException [LDAP: error code 49 - Invalid Credentials]",
	"login nobody@example.com: 0 entries",
	"add again: NameAlreadyBoundException [LDAP: error code 68 - Entry Already Exists]",
	"alice new password: bound",
	"alice after passwd: bound",
	"bob after passwd: bound",
	"delete jvd=example.com,o=hosting,dc=myhosting,dc=example: ContextNotEmptyException [LDAP: error code 66 - subordinate objects must be deleted first]",
	"compare accountActive=TRUE: true",
	"compare accountActive=FALSE: false",
}

// jndiMustSeeAsRoot are lines slapd prints in the "asroot" variant.
var jndiMustSeeAsRoot = []string{
	"root bind: ok",
	"add mail=new@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example: ok",
	"add again: NameAlreadyBoundException [LDAP: error code 68 - Entry Already Exists]",
	"second value of single-valued: InvalidAttributeValueException [LDAP: error code 19 - attribute 'mailbox' cannot have multiple values]",
	"bob after passwd: bound",
	"delete jvd=example.com,o=hosting,dc=myhosting,dc=example: ContextNotEmptyException [LDAP: error code 66 - subordinate objects must be deleted first]",
}
