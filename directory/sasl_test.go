package directory

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"hostdir/directory/config"
)

// externalRules gives the peer credentials' identity of this process
// write access to the test domain, everybody else read access.
func externalRules(t testing.TB, ext string) func(cfg *configT, o *Options) {
	t.Helper()
	def := config.Default()
	text := def[:strings.Index(def, "\naccess to")] + // the default's own rules left out
		fmt.Sprintf("\naccess to dn.subtree=%q\n by dn.exact=%q write\n by * read\naccess to *\n by * read\n", testDomain, ext)
	cfg, err := config.Parse("sasl-test.conf", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	rules := cfg.Databases[len(cfg.Databases)-1].Access
	return func(c *configT, o *Options) { c.Databases[0].Access = rules }
}

// serveLDAPI serves ts on a fresh unix socket and returns its URL.
func serveLDAPI(t *testing.T, ts *testServer) string {
	t.Helper()
	sdir, err := os.MkdirTemp("", "ldapi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sdir) })
	ls, err := ts.srv.Listen("ldapi://" + url.PathEscape(filepath.Join(sdir, "s")))
	if err != nil {
		t.Fatal(err)
	}
	go ts.srv.Serve(context.Background(), ls[0])
	return "ldapi://" + url.PathEscape(filepath.Join(sdir, "s"))
}

// TestSASLExternal checks SASL EXTERNAL over ldapi:// as slapd answers
// it: the identity is the peer credentials' DN, used as such by access
// rules, modifiersName and Who am I?; another authorization identity is
// refused; over TCP there is no mechanism.
func TestSASLExternal(t *testing.T) {
	ext := peercredDN(uint32(os.Getuid()), uint32(os.Getgid()))
	ts := newTestServer(t, externalRules(t, ext))
	ts.load(t)
	u := serveLDAPI(t, ts)

	c, err := ldap.DialURL(u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The root DSE lists EXTERNAL to ldapi clients.
	res, err := search(t, c, "", ldap.ScopeBaseObject, "(objectClass=*)", "supportedSASLMechanisms", "supportedLDAPVersion")
	if err != nil || res.Entries[0].GetAttributeValue("supportedSASLMechanisms") != "EXTERNAL" {
		t.Errorf("root DSE over ldapi: %v %v", res, err)
	}
	if err := c.ExternalBind(); err != nil {
		t.Fatalf("EXTERNAL bind: %v", err)
	}
	w, err := c.WhoAmI(nil)
	if err != nil || w.AuthzID != "dn:"+ext {
		t.Errorf("whoami = %v %v, want dn:%s", w, err, ext)
	}
	m := ldap.NewModifyRequest(testUser, nil)
	m.Replace("quota", []string{"12M"})
	if err := c.Modify(m); err != nil {
		t.Errorf("modify granted to the EXTERNAL identity: %v", err)
	}
	m = ldap.NewModifyRequest(testBase, nil)
	m.Replace("description", []string{"x"})
	if err := c.Modify(m); code(err) != 50 {
		t.Errorf("modify outside the rule: %v, want 50", err)
	}
	res, err = search(t, c, testUser, ldap.ScopeBaseObject, "(objectClass=*)", "modifiersName")
	if err != nil || res.Entries[0].GetAttributeValue("modifiersName") != ext {
		t.Errorf("modifiersName: %v %v", res, err)
	}
	// A simple bind afterwards replaces the identity.
	if err := c.Bind(testRootDN, testRootPW); err != nil {
		t.Fatal(err)
	}
	if w, _ := c.WhoAmI(nil); w == nil || w.AuthzID != "dn:"+testRootDN {
		t.Errorf("whoami after simple bind: %v", w)
	}

	// EXTERNAL asking for another authorization identity.
	for _, tt := range []struct {
		authz string
		code  int
	}{
		{"dn:" + testRootDN, 50},
		{"u:root", 50},
		{"dn:" + strings.ToUpper(ext), 0},
		{"", 0},
	} {
		r := ldapiExchange(t, u, rawSASLBindCreds("EXTERNAL", tt.authz))
		c, msg := resultOf(t, r)
		if c != tt.code {
			t.Errorf("EXTERNAL authzid %q: %d %q, want %d", tt.authz, c, msg, tt.code)
		}
		if c == 50 && msg != "SASL(-14): authorization failure: not authorized" {
			t.Errorf("EXTERNAL authzid %q: text %q", tt.authz, msg)
		}
	}

	// Over TCP: no mechanism, and no EXTERNAL in the root DSE.
	resp := ts.rawExchange(t, rawSASLBind("EXTERNAL"))
	if c, msg := resultOf(t, resp); c != 7 || msg != "SASL(-4): no mechanism available: " {
		t.Errorf("EXTERNAL over TCP: %d %q", c, msg)
	}
	res, err = search(t, ts.dial(t), "", ldap.ScopeBaseObject, "(objectClass=*)", "supportedSASLMechanisms")
	if err != nil || len(res.Entries[0].Attributes) != 0 {
		t.Errorf("root DSE over TCP: %v %v", res.Entries[0].Attributes, err)
	}

	logs := ts.logs.String()
	for _, want := range []string{
		`BIND dn=\"\" method=163`,
		`BIND authcid=\"` + ext + `\" authzid=\"` + ext + `\"`,
		`BIND dn=\"` + ext + `\" mech=EXTERNAL bind_ssf=0 ssf=71`,
		`SASL [conn=`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s", want)
		}
	}
}

// ldapiExchange sends one PDU on a new ldapi connection and returns the
// response.
func ldapiExchange(t *testing.T, u string, pdu []byte) *ber.Packet {
	t.Helper()
	path, err := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(u, "ldapi://"), "/"))
	if err != nil {
		t.Fatal(err)
	}
	r := dialRaw(t, "unix", path)
	r.send(pdu)
	p := r.recv()
	if p == nil {
		t.Fatal("connection closed without a response")
	}
	return p
}
