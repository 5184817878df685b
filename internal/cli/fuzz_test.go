package cli

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"hostdir/directory/bootstrap"
	"hostdir/directory/ldif"
)

// FuzzImportPrepare feeds arbitrary LDIF through the import's reader and
// entry preparation (pretty DN, attribute names, structuralObjectClass,
// RDN values, schema check, operational attributes) in both value-check
// modes: nothing may panic, and a prepared entry must pass the schema
// check again.
func FuzzImportPrepare(f *testing.F) {
	for _, s := range []string{
		base3,
		base3 + jvdBad,
		"dn: cn=A+sn=B,dc=myhosting,dc=example\nobjectClass: person\n",
		"version: 1\ndn:: ZGM9bXlob3N0aW5nLGRjPWV4YW1wbGU=\nobjectClass: domain\ndc: myhosting\ndomainComponent: myhosting\n",
		"dn: o=x,dc=myhosting,dc=example\nchangetype: add\nobjectClass: organization\n",
		"dn: o=x,dc=other\nobjectClass: organization\no: x\n",
		"dn: uid=\\2C,dc=myhosting,dc=example\nobjectClass: account\nuid: ,\nuid: ,\n",
	} {
		f.Add([]byte(s))
	}
	cfg, err := bootstrap.LoadConfig("", f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, vc := range []bool{false, true} {
			im := newImporter(cfg, cfg.Databases[0], 1, &importOptions{valueCheck: vc})
			im.name = "fuzz"
			r := ldif.NewReader(bytes.NewReader(data))
			r.MaxLineBytes, r.MaxRecordBytes = 1<<16, 1<<18
			for i := 0; i < 50; i++ {
				rec, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					var le *ldif.Error
					if !errors.As(err, &le) {
						break
					}
					continue
				}
				e, _, err := im.prepare(rec)
				if err != nil || !vc {
					continue
				}
				if err := cfg.Schema.CheckEntry(e); err != nil {
					t.Fatalf("prepared entry fails the schema check: %v\n%+v", err, e)
				}
			}
		}
	})
}
