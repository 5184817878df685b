package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCheck runs Check and returns its exit code and output.
func runCheck(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Check(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCheck(t *testing.T) {
	td := filepath.Join("..", "..", "testdata")
	dir := t.TempDir()
	twoBad := filepath.Join(dir, "two-bad.conf")
	if err := os.WriteFile(twoBad, []byte("include core.schema\nbogus\ndatabase mdb\nsuffix dc=example\nindex cn eq,nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	howto := filepath.Join(td, "howto-slapd.conf")
	bad := filepath.Join(td, "howto-slapd-badindex.conf")
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
		lacks    []string
	}{
		{"howto 2.0", []string{"-f", howto}, 0, []string{
			howto + ":22: notice: /usr/local/etc/openldap/schema/core.schema not found; using hostdir's built-in core.schema",
			"notice: database ldbm: served by hostdir's store",
			"config file testing succeeded\n"}, nil},
		{"howto 2.5", []string{"-u", "-f", filepath.Join(td, "howto-slapd-2.5.conf")}, 0, []string{
			"notice: moduleload not needed: hostdir has every backend and scheme built in",
			"config file testing succeeded\n"}, nil},
		{"quiet", []string{"-q", "-f", howto}, 0, nil, []string{"notice", "succeeded"}},
		{"verbose", []string{"-v", "-f", howto}, 0, []string{"database ldbm: suffix [dc=myhosting,dc=example]", "by group/JammPostmaster/roleOccupant.expand="}, nil},
		{"default", nil, 0, []string{"config file testing succeeded"}, []string{"notice"}},
		{"bad index", []string{"-f", bad}, 1, []string{bad + `:36: index type "subb" undefined`, "bad configuration file (1 problem)"}, []string{"succeeded"}},
		{"every problem", []string{"-f", twoBad}, 1, []string{twoBad + `:2: unknown directive "bogus"`, twoBad + `:5: index type "nope" undefined`, "(2 problems)"}, nil},
		{"missing file", []string{"-f", filepath.Join(dir, "nope.conf")}, 1, []string{"nope.conf:0: cannot open configuration"}, nil},
		{"bad flag", []string{"-x"}, 1, []string{"Usage: hostdir check"}, nil},
		{"extra argument", []string{"-f", howto, "extra"}, 1, []string{`unexpected argument "extra"`}, nil},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCheck(t, tt.args...)
		if code != tt.code {
			t.Errorf("%s: exit %d, want %d\n%s", tt.name, code, tt.code, stderr)
		}
		if stdout != "" {
			t.Errorf("%s: unexpected stdout %q", tt.name, stdout)
		}
		for _, c := range tt.contains {
			if !strings.Contains(stderr, c) {
				t.Errorf("%s: stderr lacks %q:\n%s", tt.name, c, stderr)
			}
		}
		for _, c := range tt.lacks {
			if strings.Contains(stderr, c) {
				t.Errorf("%s: stderr has %q:\n%s", tt.name, c, stderr)
			}
		}
	}
}

func TestCheckCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	if code := Check(ctx, []string{"-f", "x"}, &out, &errOut); code != 1 {
		t.Errorf("canceled: exit %d", code)
	}
}
