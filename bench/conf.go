package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"hostdir/schema/builtin"
)

// DebianSchemaDir is where Debian's slapd package keeps its schema files.
const DebianSchemaDir = "/etc/ldap/schema"

// DefaultModulePath is where Debian's slapd keeps back_mdb.
const DefaultModulePath = "/usr/lib/ldap"

// DefaultMaxSize is the back-mdb maxsize written into the configuration:
// address space only (the file grows as needed), enough for several
// million entries.
const DefaultMaxSize = 64 << 30

// howtoACL is the HOWTO's access control (section 4.3.1) in OpenLDAP 2.5
// syntax, as testdata/howto-slapd-2.5.conf has it.
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

// ConfigOptions are the choices a generated slapd.conf leaves open.
type ConfigOptions struct {
	// SchemaDir holds core, cosine, nis and inetorgperson.schema
	// (DebianSchemaDir when empty).
	SchemaDir string
	// JammSchema is the path of jamm.schema; when empty, hostdir's built-in
	// copy is written next to the configuration.
	JammSchema string
	// ModulePath is slapd's modulepath (DefaultModulePath when empty).
	ModulePath string
	// ExtraIndexes are index lines added after the HOWTO's two, e.g.
	// "jvd eq" (the HOWTO's indexes are always kept as they are).
	ExtraIndexes []string
	// MaxSize is back-mdb's maxsize in bytes (DefaultMaxSize when 0).
	MaxSize int64
	// LogLevel, when not empty, adds a loglevel line (e.g. "0", "stats");
	// the HOWTO has none, so both servers log at their default, stats.
	LogLevel string
}

// WriteConfig writes the HOWTO's slapd.conf for a server whose files live
// in dir: dir/slapd.conf, with the database in dir/data (created) and
// pidfile/argsfile in dir. It returns the configuration's path.
func WriteConfig(dir string, o ConfigOptions) (string, error) {
	if o.SchemaDir == "" {
		o.SchemaDir = DebianSchemaDir
	}
	if o.ModulePath == "" {
		o.ModulePath = DefaultModulePath
	}
	if o.MaxSize == 0 {
		o.MaxSize = DefaultMaxSize
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		return "", fmt.Errorf("create data directory: %w", err)
	}
	jamm := o.JammSchema
	if jamm == "" {
		b, err := builtin.FS.ReadFile("jamm.schema")
		if err != nil {
			return "", fmt.Errorf("built-in jamm.schema: %w", err)
		}
		jamm = filepath.Join(dir, "jamm.schema")
		if err := os.WriteFile(jamm, b, 0o644); err != nil {
			return "", fmt.Errorf("write jamm.schema: %w", err)
		}
	}
	var b strings.Builder
	b.WriteString("# The Virtual Mailserver HOWTO's slapd.conf (sections 4.3.1), OpenLDAP 2.5\n# syntax, written by hostdir-bench.\n")
	for _, s := range []string{"core", "cosine", "nis", "inetorgperson"} {
		fmt.Fprintf(&b, "include         %s\n", filepath.Join(o.SchemaDir, s+".schema"))
	}
	fmt.Fprintf(&b, "include         %s\n\n", jamm)
	fmt.Fprintf(&b, "pidfile         %s\nargsfile        %s\n", filepath.Join(dir, "slapd.pid"), filepath.Join(dir, "slapd.args"))
	if o.LogLevel != "" {
		fmt.Fprintf(&b, "loglevel        %s\n", o.LogLevel)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "modulepath      %s\nmoduleload      back_mdb\n\n", o.ModulePath)
	fmt.Fprintf(&b, "database        mdb\nmaxsize         %d\ndirectory       %s\n", o.MaxSize, filepath.Join(dir, "data"))
	fmt.Fprintf(&b, "suffix          %q\n\nrootdn          %q\nrootpw          %s\n\n", Suffix, RootDN, rootPWHash)
	b.WriteString("index           objectClass  pres,eq\nindex           mail,cn      eq,sub\n")
	for _, ix := range o.ExtraIndexes {
		fmt.Fprintf(&b, "index           %s\n", ix)
	}
	b.WriteString("\n" + howtoACL)
	path := filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("write configuration: %w", err)
	}
	return path, nil
}
