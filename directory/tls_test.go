package directory

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key
// into dir and returns their paths.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

func withTLS(t *testing.T) serverOpt {
	cert, key := selfSigned(t, t.TempDir())
	return func(cfg *configT, o *Options) {
		cfg.TLS.CertificateFile = cert
		cfg.TLS.CertificateKeyFile = key
	}
}

var clientTLS = &tls.Config{InsecureSkipVerify: true}

func TestStartTLS(t *testing.T) {
	ts := newTestServer(t, withTLS(t), func(cfg *configT, o *Options) { cfg.Security.SSF = 1 })
	ts.load(t)
	c := ts.dial(t)
	// security ssf=1: refused in the clear
	_, err := search(t, c, testDomain, 0, "(objectClass=*)")
	if code(err) != 13 || diag(err) != "confidentiality required" {
		t.Errorf("plain search with ssf=1: %v", err)
	}
	if err := c.StartTLS(clientTLS); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if _, err := search(t, c, testDomain, 0, "(objectClass=*)"); err != nil {
		t.Errorf("search after StartTLS: %v", err)
	}
	if err := c.Bind(testUser, testUserPW); err != nil {
		t.Errorf("bind after StartTLS: %v", err)
	}
	// StartTLS again: operationsError
	_, err = c.Extended(ldap.NewExtendedRequest("1.3.6.1.4.1.1466.20037", nil))
	if code(err) != 1 {
		t.Errorf("second StartTLS: %v", err)
	}
	res, _ := search(t, c, "", 0, "(objectClass=*)", "supportedExtension")
	if got := res.Entries[0].GetAttributeValues("supportedExtension"); len(got) == 0 || got[0] != "1.3.6.1.4.1.1466.20037" {
		t.Errorf("supportedExtension %v", got)
	}
}

func TestStartTLSUnconfigured(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	err := c.StartTLS(clientTLS)
	if code(err) != 2 || !strings.Contains(err.Error(), "unsupported extended operation") {
		t.Errorf("StartTLS without certificate: %v", err)
	}
}

func TestLDAPSAndLDAPI(t *testing.T) {
	ts := newTestServer(t, withTLS(t))
	ts.load(t)
	sdir, err := os.MkdirTemp("", "ldapi")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sdir)
	sock := filepath.Join(sdir, "s")
	ls, err := ts.srv.Listen("ldaps://127.0.0.1:0/ ldapi://" + url.PathEscape(sock))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		go ts.srv.Serve(context.Background(), l)
	}
	c, err := ldap.DialURL("ldaps://"+ls[0].Addr().String(), ldap.DialWithTLSConfig(clientTLS))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(testRootDN, testRootPW); err != nil {
		t.Fatalf("bind over LDAPS: %v", err)
	}
	w, err := c.WhoAmI(nil)
	if err != nil || w.AuthzID != "dn:"+testRootDN {
		t.Errorf("whoami over LDAPS: %v %v", w, err)
	}
	uc, err := ldap.DialURL("ldapi://" + url.PathEscape(sock))
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	res, err := search(t, uc, testBase, ldap.ScopeWholeSubtree, "(mail=user@example.com)", "mailbox")
	if err != nil || len(res.Entries) != 1 {
		t.Errorf("search over ldapi: %v %v", res, err)
	}
	if !strings.Contains(ts.logs.String(), "PATH="+sock) {
		t.Error("ldapi peer not logged as PATH=")
	}
}

func TestParseListenURLs(t *testing.T) {
	tests := []struct {
		in   string
		want []ListenURL
		err  bool
	}{
		{"ldap:///", []ListenURL{{"ldap", ":389"}}, false},
		{"ldap://127.0.0.1:3389/ ldaps://host:1636/", []ListenURL{{"ldap", "127.0.0.1:3389"}, {"ldaps", "host:1636"}}, false},
		{"ldaps://host/", []ListenURL{{"ldaps", "host:636"}}, false},
		{"ldapi://%2Fpath%2Fto%2Fsock", []ListenURL{{"ldapi", "/path/to/sock"}}, false},
		{"ldapi:///", []ListenURL{{"ldapi", DefaultLDAPIPath}}, false},
		{"ldap://[::1]:389/", []ListenURL{{"ldap", "[::1]:389"}}, false},
		{"http://x/", nil, true},
		{"", nil, true},
		{"nonsense", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseListenURLs(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("%q: error %v", tt.in, err)
			continue
		}
		if !tt.err && !equalURLs(got, tt.want) {
			t.Errorf("%q: %v, want %v", tt.in, got, tt.want)
		}
	}
}

func equalURLs(a, b []ListenURL) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
