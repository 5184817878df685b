package directory

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"hostdir/directory/config"
)

// TLSConfigFrom builds the server's TLS configuration from the TLS
// directives of slapd.conf: TLSCertificateFile and TLSCertificateKeyFile
// (PEM), TLSCACertificateFile / TLSCACertificatePath (client CAs),
// TLSVerifyClient (never, allow, try, demand) and TLSProtocolMin ("3.1" is
// TLS 1.0, "3.3" TLS 1.2, "3.4" TLS 1.3). It returns nil, nil when no
// certificate is configured. TLSCipherSuite (OpenSSL syntax) is not
// interpreted: Go's default suites are used.
func TLSConfigFrom(t *config.TLS) (*tls.Config, error) {
	if t == nil || t.CertificateFile == "" && t.CertificateKeyFile == "" {
		return nil, nil
	}
	if t.CertificateFile == "" || t.CertificateKeyFile == "" {
		return nil, errors.New("directory: TLSCertificateFile and TLSCertificateKeyFile must be given together")
	}
	cert, err := tls.LoadX509KeyPair(t.CertificateFile, t.CertificateKeyFile)
	if err != nil {
		return nil, fmt.Errorf("directory: TLS certificate: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10}
	switch t.ProtocolMin {
	case "":
	case "3.0", "3.1":
		tc.MinVersion = tls.VersionTLS10
	case "3.2":
		tc.MinVersion = tls.VersionTLS11
	case "3.3":
		tc.MinVersion = tls.VersionTLS12
	case "3.4":
		tc.MinVersion = tls.VersionTLS13
	default:
		return nil, fmt.Errorf("directory: TLSProtocolMin %q not supported", t.ProtocolMin)
	}
	if t.CACertificateFile != "" || t.CACertificatePath != "" {
		pool := x509.NewCertPool()
		var files []string
		if t.CACertificateFile != "" {
			files = append(files, t.CACertificateFile)
		}
		if t.CACertificatePath != "" {
			m, _ := filepath.Glob(filepath.Join(t.CACertificatePath, "*"))
			files = append(files, m...)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				if f == t.CACertificateFile {
					return nil, fmt.Errorf("directory: TLSCACertificateFile: %w", err)
				}
				continue
			}
			pool.AppendCertsFromPEM(b)
		}
		tc.ClientCAs = pool
	}
	switch strings.ToLower(t.VerifyClient) {
	case "", "never":
		tc.ClientAuth = tls.NoClientCert
	case "allow":
		tc.ClientAuth = tls.RequestClientCert
	case "try":
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	case "demand", "hard", "true":
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// tlsSSF returns the security strength factor of a TLS connection as slapd
// computes it: the symmetric cipher's key size in bits.
func tlsSSF(st *tls.ConnectionState) int {
	name := tls.CipherSuiteName(st.CipherSuite)
	switch {
	case strings.Contains(name, "AES_256"), strings.Contains(name, "CHACHA20"):
		return 256
	case strings.Contains(name, "AES_128"):
		return 128
	case strings.Contains(name, "3DES"):
		return 112
	}
	return 128
}

// tlsExternal returns the SASL EXTERNAL authentication identity of a
// TLS client: the subject DN of its certificate (RFC 4514 string, most
// specific RDN first) when the certificate is verified against the
// configured CAs (TLSVerifyClient try or demand verify it during the
// handshake; with allow it is verified here, and a bad one is ignored as
// slapd ignores it), "" otherwise.
func tlsExternal(st *tls.ConnectionState, roots *x509.CertPool) string {
	if len(st.PeerCertificates) == 0 {
		return ""
	}
	leaf := st.PeerCertificates[0]
	if len(st.VerifiedChains) == 0 {
		if roots == nil {
			return ""
		}
		inter := x509.NewCertPool()
		for _, c := range st.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			return ""
		}
	}
	return leaf.Subject.ToRDNSequence().String()
}

// ldapiSSF is the SSF slapd gives ldapi:// connections (its local_ssf).
const ldapiSSF = 71
