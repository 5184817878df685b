package maildir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseQuota(t *testing.T) {
	tests := []struct {
		in   string
		want Quota
		bad  bool
	}{
		{"", Quota{}, false},
		{"0", Quota{}, false},
		{"1048576", Quota{Bytes: 1048576}, false},
		{"10K", Quota{Bytes: 10240}, false},
		{"10k", Quota{Bytes: 10240}, false},
		{"5M", Quota{Bytes: 5 << 20}, false},
		{"2G", Quota{Bytes: 2 << 30}, false},
		{" 7M ", Quota{Bytes: 7 << 20}, false},
		{"1000S,10C", Quota{Bytes: 1000, Count: 10}, false},
		{"10C", Quota{Count: 10}, false},
		{"1000S", Quota{Bytes: 1000}, false},
		{"10T", Quota{}, true},
		{"-5", Quota{}, true},
		{"M", Quota{}, true},
		{"1.5M", Quota{}, true},
		{"99999999999999999999", Quota{}, true},
		{"9999999999999G", Quota{}, true},
		{"1000S,", Quota{}, true},
	}
	for _, tc := range tests {
		got, err := ParseQuota(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseQuota(%q) = %+v, %v; want %+v, bad=%v", tc.in, got, err, tc.want, tc.bad)
		}
	}
	if s := (Quota{Bytes: 1000, Count: 10}).String(); s != "1000S,10C" {
		t.Errorf("String = %q", s)
	}
}

func TestParseSizeFile(t *testing.T) {
	tests := []struct {
		in string
		q  Quota
		u  Usage
		ok bool
	}{
		{"1000S\n100 1\n200 2\n", Quota{Bytes: 1000}, Usage{300, 3}, true},
		{"1000S,5C\n100 1\n-50 -1\n", Quota{Bytes: 1000, Count: 5}, Usage{50, 0}, true},
		{"1000S\n", Quota{Bytes: 1000}, Usage{}, true},
		{"1000S\n100 1\n200", Quota{}, Usage{}, false},
		{"1000S", Quota{}, Usage{}, false},
		{"junk\n", Quota{}, Usage{}, false},
		{"1000S\nx y\n", Quota{}, Usage{}, false},
		{"1000S\n1 2 3\n", Quota{}, Usage{}, false},
	}
	for _, tc := range tests {
		q, u, ok := ParseSizeFile([]byte(tc.in))
		if ok != tc.ok || (ok && (q != tc.q || u != tc.u)) {
			t.Errorf("ParseSizeFile(%q) = %+v %+v %v", tc.in, q, u, ok)
		}
	}
}

// quotaMaildir makes a maildir with messages of the given sizes in new/,
// cur/, a folder and .Trash.
func quotaMaildir(t *testing.T) (*Writer, string) {
	t.Helper()
	base := t.TempDir()
	dir := filepath.Join(base, "m")
	w := New()
	if err := w.Ensure(base, dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{".Sent", ".Trash"} {
		if err := w.Ensure(base, filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string, size int) {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(strings.Repeat("x", size)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("new/1.M1P1Q1.h,S=100", 100)
	write("cur/2.M1P1Q2.h,S=200:2,S", 200)
	write("cur/3.M1P1Q3.h:2,", 300) // no S=: stat
	write(".Sent/cur/4.M1P1Q4.h,S=400:2,S", 400)
	write(".Trash/cur/5.M1P1Q5.h,S=5000:2,ST", 5000)
	return w, dir
}

func TestCheckQuota(t *testing.T) {
	q := Quota{Bytes: 2000}
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
		size    int64
		usage   Usage
		fits    bool
	}{
		{name: "missing file recalculated", size: 100, usage: Usage{1000, 4}, fits: true},
		{name: "exactly full fits", size: 1000, usage: Usage{1000, 4}, fits: true},
		{name: "one byte over", size: 1001, usage: Usage{1000, 4}, fits: false},
		{name: "file trusted", prepare: func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, SizeFileName), []byte("2000S\n500 2\n"), 0o600)
		}, size: 100, usage: Usage{500, 2}, fits: true},
		{name: "other definition recalculated", prepare: func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, SizeFileName), []byte("9999S\n500 2\n"), 0o600)
		}, size: 100, usage: Usage{1000, 4}, fits: true},
		{name: "large file recalculated", prepare: func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, SizeFileName), []byte("2000S\n"+strings.Repeat("1 0\n", 1300)), 0o600)
		}, size: 100, usage: Usage{1000, 4}, fits: true},
		{name: "fresh over quota trusted", prepare: func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, SizeFileName), []byte("2000S\n1990 2\n"), 0o600)
		}, size: 100, usage: Usage{1990, 2}, fits: false},
		{name: "stale over quota recalculated", prepare: func(t *testing.T, dir string) {
			p := filepath.Join(dir, SizeFileName)
			os.WriteFile(p, []byte("2000S\n1990 2\n"), 0o600)
			past := time.Now().Add(-16 * time.Minute)
			os.Chtimes(p, past, past)
		}, size: 100, usage: Usage{1000, 4}, fits: true},
		{name: "torn file recalculated", prepare: func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, SizeFileName), []byte("2000S\n1990"), 0o600)
		}, size: 100, usage: Usage{1000, 4}, fits: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, dir := quotaMaildir(t)
			if tc.prepare != nil {
				tc.prepare(t, dir)
			}
			u, fits, err := w.CheckQuota(dir, q, tc.size)
			if err != nil || u != tc.usage || fits != tc.fits {
				t.Fatalf("CheckQuota = %+v %v %v, want %+v %v", u, fits, err, tc.usage, tc.fits)
			}
			if ents, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(ents) != 0 {
				t.Errorf("tmp/ left with %v", ents)
			}
		})
	}
}

func TestCountQuota(t *testing.T) {
	w, dir := quotaMaildir(t)
	q := Quota{Count: 5}
	if _, fits, _ := w.CheckQuota(dir, q, 1); !fits {
		t.Fatal("4 of 5 messages: should fit")
	}
	if err := w.AddUsage(dir, 10, 1); err != nil {
		t.Fatal(err)
	}
	u, fits, _ := w.CheckQuota(dir, q, 1)
	if fits || u.Count != 5 {
		t.Fatalf("5 of 5: %+v %v", u, fits)
	}
	if p := q.Percent(u); p != 100 {
		t.Errorf("Percent = %d", p)
	}
	b, _ := os.ReadFile(filepath.Join(dir, SizeFileName))
	if string(b) != "5C\n1000 4\n10 1\n" {
		t.Errorf("maildirsize = %q", b)
	}
}

func TestAddUsageMissing(t *testing.T) {
	dir := t.TempDir()
	if err := New().AddUsage(dir, 1, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, SizeFileName)); !os.IsNotExist(err) {
		t.Fatalf("AddUsage created maildirsize: %v", err)
	}
}

func TestSizeFromName(t *testing.T) {
	tests := []struct {
		in string
		n  int64
		ok bool
	}{
		{"1.M2P3Q4.h,S=1234", 1234, true},
		{"1.M2P3Q4.h,S=1234:2,S", 1234, true},
		{"1.M2P3Q4.h,S=12,W=14:2,", 12, true},
		{"1.M2P3Q4.h:2,S", 0, false},
		{"1.h,S=:2,", 0, false},
	}
	for _, tc := range tests {
		n, ok := SizeFromName(tc.in)
		if n != tc.n || ok != tc.ok {
			t.Errorf("SizeFromName(%q) = %d %v", tc.in, n, ok)
		}
	}
}
