package bench

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"hostdir/directory/config"
	"hostdir/directory/ldif"
	"hostdir/directory/password"
)

func TestTreeLDIF(t *testing.T) {
	tests := []struct {
		name string
		tree Tree
		pool int
	}{
		{"small", Tree{Domains: 2, Accounts: 10}, 20},
		{"no aliases", Tree{Domains: 1, Accounts: 3, Aliases: -1}, 3},
		{"pooled", Tree{Domains: 3, Accounts: 50, Aliases: 2, PasswordPool: 7}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.tree.WriteLDIF(&b); err != nil {
				t.Fatal(err)
			}
			text := b.String()
			if n := strings.Count(text, "\ndn: ") + 1; n != tt.tree.Entries() {
				t.Errorf("%d entries, Entries() = %d", n, tt.tree.Entries())
			}
			hashes := map[string]bool{}
			for line := range strings.SplitSeq(text, "\n") {
				if v, ok := strings.CutPrefix(line, "userPassword: "); ok {
					hashes[v] = true
				}
			}
			if len(hashes) != tt.pool {
				t.Errorf("%d distinct hashes, want %d", len(hashes), tt.pool)
			}
			// Every account's password checks against its hash.
			d, k := tt.tree.Domains-1, tt.tree.Accounts-1
			g := d*tt.tree.Accounts + k
			i := strings.Index(text, "dn: "+AccountDN(d, k)+"\n")
			if i < 0 {
				t.Fatalf("no entry %s", AccountDN(d, k))
			}
			rest := text[i:]
			j := strings.Index(rest, "userPassword: ")
			h := rest[j+len("userPassword: "):]
			h = h[:strings.IndexByte(h, '\n')]
			if ok, err := password.Verify(h, []byte(tt.tree.Password(g))); !ok || err != nil {
				t.Errorf("password of %s does not verify: %v", AccountDN(d, k), err)
			}
			if !strings.Contains(text, "dn: mail=@"+Domain(0)+","+DomainDN(0)+"\n") {
				t.Error("no catch-all")
			}
		})
	}
}

// TestConfigAndTree checks that hostdir's configuration loader accepts the
// generated slapd.conf and that every generated entry passes the schema it
// loads (core, cosine, nis, inetorgperson from Debian, jamm).
func TestConfigAndTree(t *testing.T) {
	needProgram(t, DebianSchemaDir+"/nis.schema")
	dir := t.TempDir()
	conf, err := WriteConfig(dir, ConfigOptions{ExtraIndexes: []string{"jvd eq"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(conf)
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	tr := Tree{Domains: 2, Accounts: 3}
	var b bytes.Buffer
	if err := tr.WriteLDIF(&b); err != nil {
		t.Fatal(err)
	}
	// The entries of add workloads too.
	h, err := tr.hash(0)
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString("dn: mail=new@" + Domain(1) + "," + DomainDN(1) + "\n")
	for _, a := range accountAttrs(1, "new", h) {
		for _, v := range a.vals {
			b.WriteString(a.typ + ": " + v + "\n")
		}
	}
	r := ldif.NewReader(&b)
	n := 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("LDIF: %v", err)
		}
		n++
		if err := cfg.Schema.CheckEntry(&rec.Entry); err != nil {
			t.Errorf("%s: %v", rec.Entry.DN, err)
		}
	}
	if n != tr.Entries()+1 {
		t.Errorf("read %d entries, want %d", n, tr.Entries()+1)
	}
}
