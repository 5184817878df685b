package ldaputils

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hostdir/internal/peers"
)

// hostdirBin is the hostdir binary TestMain builds once for every test.
var hostdirBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	root, err := peers.FindRepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "hostdir-ldaputils")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	hostdirBin, err = peers.BuildHostdir(ctx, root, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// clientTools are the ldap-utils programs the tests run.
var clientTools = []string{"ldapsearch", "ldapadd", "ldapmodify", "ldapdelete", "ldapmodrdn", "ldapcompare", "ldappasswd", "ldapwhoami"}

// needClients skips the test (or fails it on CI) without ldap-utils.
func needClients(t *testing.T) {
	t.Helper()
	for _, c := range clientTools {
		peers.RequireProgram(t, "/usr/bin/"+c)
	}
}

// result is what a client printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs an ldap-utils client with LDAPCONF=/dev/null and an LDAPRC
// that names no file, so that no ldap.conf or .ldaprc of the machine
// changes its behaviour (LDAPNOINIT would also disable the LDAPTLS_*
// variables the TLS tests set).
func run(t *testing.T, env []string, stdin, tool string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/"+tool, args...)
	cmd.Env = append(append(os.Environ(), "LDAPCONF=/dev/null", "LDAPRC=.hostdir-tests-no-ldaprc"), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s %s: %v", tool, strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// repoFile returns the path of a file of the repository.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	return filepath.Join(peers.RepoRoot(t), rel)
}

// howtoACL is the HOWTO's access control (section 4.3.1) in OpenLDAP 2.5
// syntax, as hostdir's default configuration has it.
const howtoACL = `access to dn.regex=".*,jvd=([^,]+),o=hosting,dc=myhosting,dc=example"
        attrs=userPassword
        by self write
        by group/jammPostmaster/roleOccupant.expand="cn=postmaster,jvd=$1,o=hosting,dc=myhosting,dc=example" write
        by anonymous auth
        by * none
access to dn.regex=".*jvd=([^,]+),o=hosting,dc=myhosting,dc=example"
        by self write
        by group/jammPostmaster/roleOccupant.expand="cn=postmaster,jvd=$1,o=hosting,dc=myhosting,dc=example" write
        by * read
access to *
        by * read
`

// tlsFiles are a self-signed certificate for 127.0.0.1 and localhost,
// its key, and the certificate again as the CA file.
type tlsFiles struct {
	cert, key, ca string
}

// makeCert writes a self-signed RSA certificate into dir.
func makeCert(t *testing.T, dir string) tlsFiles {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "127.0.0.1", Organization: []string{"hostdir tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	f := tlsFiles{cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem"), ca: filepath.Join(dir, "ca.pem")}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	for p, b := range map[string][]byte{
		f.cert: certPEM,
		f.ca:   certPEM,
		f.key:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
	} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// globalConfig returns the TLS directives for f.
func (f tlsFiles) globalConfig() string {
	return fmt.Sprintf("TLSCertificateFile %s\nTLSCertificateKeyFile %s\nTLSCACertificateFile %s\n", f.cert, f.key, f.ca)
}

// volatileRE matches values that differ between two loads of the same
// data: operational timestamps and ids, generated passwords, paged
// results cookies.
var volatileRE = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`(?m)^(entryUUID|entryCSN|createTimestamp|modifyTimestamp|contextCSN):: ?.*$`), "$1: *"},
	{regexp.MustCompile(`(?m)^(entryUUID|entryCSN|createTimestamp|modifyTimestamp|contextCSN): .*$`), "$1: *"},
	{regexp.MustCompile(`(?m)^New password: .*$`), "New password: *"},
	{regexp.MustCompile(`cookie=[A-Za-z0-9+/=]*`), "cookie=*"},
	{regexp.MustCompile(`(?m)^control: 1\.2\.840\.113556\.1\.4\.319 false \S+$`), "control: 1.2.840.113556.1.4.319 false *"},
}

// mask replaces volatile values and the server's URLs.
func mask(s string, urls ...string) string {
	for _, v := range volatileRE {
		s = v.re.ReplaceAllString(s, v.repl)
	}
	for i, u := range urls {
		if u != "" {
			s = strings.ReplaceAll(s, strings.TrimSuffix(u, "/"), fmt.Sprintf("{URL%d}", i))
		}
	}
	return s
}
