package directory

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hostdir/directory/config"
)

// clientCA makes a CA (written to dir/ca.pem) and a client certificate
// it signed for subject.
func clientCA(t *testing.T, dir string, subject pkix.Name) (caFile string, client tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(10), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(11), Subject: subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return caFile, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestTLSExternal binds with SASL EXTERNAL after StartTLS with a client
// certificate: the identity is the certificate's subject DN (normalized
// as slapd's), mapped by authz-regexp like the ldapi:// identity.
func TestTLSExternal(t *testing.T) {
	caFile, cert := clientCA(t, t.TempDir(), pkix.Name{CommonName: "Client One", Organization: []string{"hostdir tests"}})
	withCA := func(verify string) serverOpt {
		return func(cfg *config.Config, o *Options) {
			cfg.TLS.CACertificateFile = caFile
			cfg.TLS.VerifyClient = verify
		}
	}
	tests := []struct {
		name, verify string
		rules        []string
		cert         bool
		whoami       string // "" : the bind fails (no mechanism)
	}{
		{"demand", "demand", nil, true, "dn:cn=client one,o=hostdir tests"},
		{"allow", "allow", nil, true, "dn:cn=client one,o=hostdir tests"},
		{"mapped to root", "try", []string{"^cn=client one,o=hostdir tests$", testRootDN}, true, "dn:cn=manager,dc=myhosting,dc=example"},
		{"no certificate", "try", nil, false, ""},
		{"never asks", "never", nil, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, withTLS(t), withCA(tc.verify), authzRules(t, tc.rules...))
			c := ts.dial(t)
			cfg := &tls.Config{InsecureSkipVerify: true}
			if tc.cert {
				cfg.Certificates = []tls.Certificate{cert}
			}
			if err := c.StartTLS(cfg); err != nil {
				t.Fatalf("StartTLS: %v", err)
			}
			err := c.ExternalBind()
			if tc.whoami == "" {
				if code(err) != 7 {
					t.Errorf("EXTERNAL bind: %v, want authMethodNotSupported", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("EXTERNAL bind: %v", err)
			}
			w, err := c.WhoAmI(nil)
			if err != nil || w.AuthzID != tc.whoami {
				t.Errorf("whoami = %v %v, want %s", w, err, tc.whoami)
			}
		})
	}
}
