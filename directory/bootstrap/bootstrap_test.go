package bootstrap

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hostdir/directory/config"
	"hostdir/directory/entry"
	"hostdir/directory/password"
	"hostdir/directory/store"
)

func TestRootPW(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	hash, clear, err := RootPW(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(clear) != RootPWLength || !strings.HasPrefix(hash, "{SSHA}") {
		t.Fatalf("RootPW = %q, %q", hash, clear)
	}
	if ok, err := password.Verify(hash, []byte(clear)); !ok {
		t.Fatalf("hash does not verify: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, RootPWFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("rootpw file: %v %v", fi, err)
	}
	if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v", di.Mode().Perm())
	}
	b, _ := os.ReadFile(filepath.Join(dir, RootPWFile))
	if string(b) != hash+"\n" {
		t.Errorf("file holds %q", b)
	}
	hash2, clear2, err := RootPW(dir)
	if err != nil || hash2 != hash || clear2 != "" {
		t.Errorf("second RootPW = %q, %q, %v", hash2, clear2, err)
	}
	if err := os.WriteFile(filepath.Join(dir, RootPWFile), []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := RootPW(dir); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty rootpw file: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".rootpw-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestStamperCSN(t *testing.T) {
	fixed := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)
	s := &Stamper{SID: 0x2a, Now: func() time.Time { return fixed }}
	want := []string{
		"20240102030405.123456Z#000000#02a#000000",
		"20240102030405.123456Z#000001#02a#000000",
		"20240102030405.123456Z#000002#02a#000000",
	}
	for i, w := range want {
		if got := s.CSN(); got != w {
			t.Errorf("CSN %d = %q, want %q", i, got, w)
		}
	}
	// A clock going back keeps CSNs increasing.
	fixed = fixed.Add(-time.Second)
	if got := s.CSN(); got != "20240102030405.123456Z#000003#02a#000000" {
		t.Errorf("CSN after the clock went back = %q", got)
	}
	var wg sync.WaitGroup
	seen := sync.Map{}
	real := &Stamper{}
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				c := real.CSN()
				if _, dup := seen.LoadOrStore(c, true); dup {
					t.Errorf("duplicate CSN %s", c)
				}
			}
		}()
	}
	wg.Wait()
}

// uuidV1RE is a version 1 UUID with slapd's clock sequence range
// (8000-9fff) and a multicast node (odd first octet).
var uuidV1RE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89][0-9a-f]{3}-[0-9a-f][13579bdf][0-9a-f]{10}$`)

func TestNewUUID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		u, err := NewUUID()
		if err != nil || !uuidV1RE.MatchString(u) || seen[u] {
			t.Fatalf("NewUUID = %q, %v", u, err)
		}
		seen[u] = true
		if ut, ok := UUIDTime(u); !ok || time.Since(ut).Abs() > time.Minute {
			t.Fatalf("UUIDTime(%q) = %v, %v", u, ut, ok)
		}
	}
}

func TestUUIDGenerator(t *testing.T) {
	base := time.Date(2024, 5, 6, 7, 8, 9, 123456700, time.UTC)
	tests := []struct {
		name string
		// clock are the times the generator reads, one per UUID.
		clock []time.Duration
		// want are the expected times of the UUIDs, from base.
		want []time.Duration
	}{
		{"increasing", []time.Duration{0, time.Microsecond, time.Second}, []time.Duration{0, time.Microsecond, time.Second}},
		{"repeated", []time.Duration{0, 0, 0}, []time.Duration{0, 100, 200}},
		{"backwards", []time.Duration{time.Second, 0, 2 * time.Second}, []time.Duration{time.Second, time.Second + 100, 2 * time.Second}},
		{"sub-100ns steps", []time.Duration{0, 10, 20, 150}, []time.Duration{0, 100, 200, 300}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i := 0
			g := &UUIDGenerator{Now: func() time.Time { d := tc.clock[i]; i++; return base.Add(d) }}
			var prev string
			var prevSeq uint64
			for k, w := range tc.want {
				u, err := g.New()
				if err != nil {
					t.Fatal(err)
				}
				if !uuidV1RE.MatchString(u) {
					t.Fatalf("UUID %q is not version 1 with a multicast node", u)
				}
				got, ok := UUIDTime(u)
				if !ok || !got.Equal(base.Add(w)) {
					t.Errorf("UUID %d %s: time %v, want %v", k, u, got, base.Add(w))
				}
				seq, _ := strconv.ParseUint(u[19:23], 16, 16)
				if prev != "" {
					if u[24:] != prev[24:] {
						t.Errorf("node changed: %s then %s", prev, u)
					}
					if seq&0x1fff != (prevSeq+1)&0x1fff {
						t.Errorf("clock sequence %04x after %04x, want +1 as slapd", seq, prevSeq)
					}
				}
				prev, prevSeq = u, seq
			}
		})
	}
}

func TestUUIDGeneratorConcurrent(t *testing.T) {
	var g UUIDGenerator
	const workers, each = 8, 500
	out := make([][]string, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				u, err := g.New()
				if err != nil {
					t.Error(err)
					return
				}
				out[w] = append(out[w], u)
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, us := range out {
		var last time.Time
		for _, u := range us {
			if seen[u] {
				t.Fatalf("duplicate UUID %s", u)
			}
			seen[u] = true
			ut, _ := UUIDTime(u)
			if !ut.After(last) {
				t.Fatalf("UUID %s not after %v", u, last)
			}
			last = ut
		}
	}
}

func attr(typ string, vals ...string) entry.Attribute {
	a := entry.Attribute{Type: typ}
	for _, v := range vals {
		a.Values = append(a.Values, []byte(v))
	}
	return a
}

func TestStamp(t *testing.T) {
	cfg, err := config.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	fixed := time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)
	tests := []struct {
		name  string
		in    []entry.Attribute
		opts  StampOptions
		types []string
		err   string
	}{
		{name: "all", in: []entry.Attribute{attr("objectClass", "top", "organization"), attr("o", "x")},
			opts:  StampOptions{Structural: true, LastMod: true, Creator: "cn=Manager,dc=x"},
			types: []string{"objectClass", "o", "structuralObjectClass", "entryUUID", "creatorsName", "createTimestamp", "entryCSN", "modifiersName", "modifyTimestamp"}},
		{name: "present kept", in: []entry.Attribute{attr("objectClass", "organization"), attr("o", "x"), attr("2.5.18.1", "20000101000000Z"), attr("entryuuid", "u")},
			opts:  StampOptions{Structural: true, LastMod: true},
			types: []string{"objectClass", "o", "2.5.18.1", "entryuuid", "structuralObjectClass", "creatorsName", "entryCSN", "modifiersName", "modifyTimestamp"}},
		{name: "lastmod off", in: []entry.Attribute{attr("objectClass", "organization"), attr("o", "x")},
			opts: StampOptions{Structural: true}, types: []string{"objectClass", "o", "structuralObjectClass"}},
		{name: "no structural", in: []entry.Attribute{attr("objectClass", "top"), attr("o", "x")},
			opts: StampOptions{Structural: true}, err: "no structural object class provided"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &Stamper{Now: func() time.Time { return fixed }}
			e := &entry.Entry{DN: "o=x", Attrs: append([]entry.Attribute(nil), tc.in...)}
			err := s.Stamp(cfg.Schema, e, tc.opts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var types []string
			for _, a := range e.Attrs {
				types = append(types, a.Type)
			}
			if strings.Join(types, " ") != strings.Join(tc.types, " ") {
				t.Errorf("types %v, want %v", types, tc.types)
			}
			get := func(n string) string {
				if a := e.Get(n); a != nil {
					return string(a.Values[0])
				}
				return ""
			}
			if tc.opts.LastMod {
				creator := tc.opts.Creator
				if creator == "" {
					creator = AnonymousDN
				}
				if get("creatorsName") != creator || get("modifiersName") != creator {
					t.Errorf("creator %q / %q", get("creatorsName"), get("modifiersName"))
				}
				if get("modifyTimestamp") != "20240102030405Z" || get("entryCSN") != "20240102030405.000006Z#000000#000#000000" {
					t.Errorf("timestamp %q csn %q", get("modifyTimestamp"), get("entryCSN"))
				}
			}
			if tc.opts.Structural && get("structuralObjectClass") != "organization" {
				t.Errorf("structuralObjectClass %q", get("structuralObjectClass"))
			}
		})
	}
}

func TestLoadConfigAndSelect(t *testing.T) {
	t.Setenv(DataDirEnv, "")
	cfg, err := LoadConfig("", "")
	if err != nil {
		t.Fatal(err)
	}
	if d := cfg.Databases[0].Directory; d != DefaultDataDir {
		t.Errorf("default directory %q", d)
	}
	t.Setenv(DataDirEnv, "/srv/x")
	cfg, _ = LoadConfig("", "")
	if d := cfg.Databases[0].Directory; d != "/srv/x" {
		t.Errorf("$HOSTDIR_DATA directory %q", d)
	}
	cfg, _ = LoadConfig("", "/srv/y")
	if d := cfg.Databases[0].Directory; d != "/srv/y" {
		t.Errorf("--data directory %q", d)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "slapd.conf")
	text := "include core.schema\ndatabase mdb\nsuffix dc=a\ndirectory /a\nindex cn eq,sub\nindex objectClass eq,pres\ndatabase mdb\nsuffix \"dc=b,dc=c\"\ndirectory /b\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	t.Chdir(dir)
	_ = wd
	if err := os.WriteFile(filepath.Join(dir, "core.schema"), mustRead(t, filepath.Join(wd, "../../schema/builtin/core.schema")), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = LoadConfig(conf, "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Databases[0].Directory != "/a" || cfg.Databases[1].Directory != "/b" {
		t.Errorf("directories without --data: %q %q", cfg.Databases[0].Directory, cfg.Databases[1].Directory)
	}
	cfg, _ = LoadConfig(conf, "/d")
	if cfg.Databases[0].Directory != "/d/1" || cfg.Databases[1].Directory != "/d/2" {
		t.Errorf("directories with --data: %q %q", cfg.Databases[0].Directory, cfg.Databases[1].Directory)
	}
	specs := IndexSpecs(cfg.Databases[0])
	if len(specs) != 2 || specs[0].Attr != "cn" || specs[0].Kinds != store.IndexEquality|store.IndexSubstrings ||
		specs[1].Kinds != store.IndexEquality|store.IndexPresence {
		t.Errorf("IndexSpecs = %+v", specs)
	}
	for _, tc := range []struct {
		n      int
		suffix string
		want   int
		err    string
	}{
		{0, "", 1, ""}, {2, "", 2, ""}, {3, "", 0, "only 2 configured"},
		{0, "DC=B, dc=C", 2, ""}, {0, "ou=x,dc=a", 1, ""}, {0, "dc=z", 0, "no database configured"}, {0, "bad", 0, "invalid DN"},
	} {
		_, n, err := SelectDatabase(cfg, tc.n, tc.suffix)
		if n != tc.want || (tc.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("SelectDatabase(%d, %q) = %d, %v", tc.n, tc.suffix, n, err)
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInitDefault(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg, err := LoadConfig("", dir)
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Databases[0]
	fs, err := InitDefault(context.Background(), cfg, d, &Stamper{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"dc=myhosting,dc=example", "cn=Manager,dc=myhosting,dc=example", "o=hosting,dc=myhosting,dc=example"}
	if strings.Join(fs.Created, "|") != strings.Join(want, "|") || fs.Password == "" || d.RootPW != fs.RootPW {
		t.Fatalf("first InitDefault = %+v", fs)
	}
	// Second start: nothing created, no password shown, same hash.
	cfg2, _ := LoadConfig("", dir)
	fs2, err := InitDefault(context.Background(), cfg2, cfg2.Databases[0], &Stamper{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs2.Created) != 0 || fs2.Password != "" || cfg2.Databases[0].RootPW != fs.RootPW {
		t.Errorf("second InitDefault = %+v", fs2)
	}
	db, _, err := OpenStore(cfg2, cfg2.Databases[0], store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ndn, err := db.NormalizeDN("cn=Manager,dc=myhosting,dc=example")
	if err != nil {
		t.Fatal(err)
	}
	e, err := db.Get(context.Background(), ndn)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, a := range e.Attrs {
		types = append(types, a.Type)
	}
	if got := strings.Join(types, " "); got != "objectClass cn structuralObjectClass entryUUID creatorsName createTimestamp entryCSN modifiersName modifyTimestamp" {
		t.Errorf("cn=Manager attributes: %s", got)
	}
	if v := string(e.Get("creatorsName").Values[0]); v != "cn=Manager,dc=myhosting,dc=example" {
		t.Errorf("creatorsName %q", v)
	}
}

func TestOpenStoreLocked(t *testing.T) {
	dir := t.TempDir()
	cfg, err := LoadConfig("", dir)
	if err != nil {
		t.Fatal(err)
	}
	db, created, err := OpenStore(cfg, cfg.Databases[0], store.Options{})
	if err != nil || !created {
		t.Fatalf("OpenStore: %v created=%v", err, created)
	}
	defer db.Close()
	_, _, err = OpenStore(cfg, cfg.Databases[0], store.Options{Timeout: 100 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), ErrLocked.Error()) {
		t.Errorf("second open: %v", err)
	}
	cfg2, _ := LoadConfig("", filepath.Join(dir, "missing"))
	if _, _, err := OpenStore(cfg2, cfg2.Databases[0], store.Options{ReadOnly: true}); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("read-only open of a missing store: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func TestBaseTree(t *testing.T) {
	cfg, err := config.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		suffix, rootdn string
		want           []string
		err            string
	}{
		{"dc=myhosting, dc=example", "cn=Manager,dc=myhosting,dc=example", []string{"dc=myhosting,dc=example", "cn=Manager,dc=myhosting,dc=example", "o=hosting,dc=myhosting,dc=example"}, ""},
		{"o=Example", "cn=admin,ou=people,o=Example", []string{"o=Example", "o=hosting,o=Example"}, ""},
		{"ou=mail", "", []string{"ou=mail", "o=hosting,ou=mail"}, ""},
		{"cn=x", "", nil, "cannot make a base entry"},
	}
	for _, tc := range tests {
		d := &config.Database{SuffixesRaw: []string{tc.suffix}, RootDNRaw: tc.rootdn}
		es, err := BaseTree(cfg.Schema, d)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v", tc.suffix, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.suffix, err)
		}
		var dns []string
		for _, e := range es {
			dns = append(dns, e.DN)
			if err := cfg.Schema.CheckEntry(e); err != nil {
				t.Errorf("%s: %v", e.DN, err)
			}
		}
		if strings.Join(dns, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: %v, want %v", tc.suffix, dns, tc.want)
		}
	}
}
