package ldif

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hostdir/directory/entry"
)

func readAll(t *testing.T, r *Reader) []*Record {
	t.Helper()
	var out []*Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, rec)
	}
}

func TestReadHOWTOBase(t *testing.T) {
	in := `version: 1

# the HOWTO's base.ldif
dn: dc=myhosting, dc=example
objectClass: top
objectClass: domain
domainComponent: myhosting

dn: cn=Manager, dc=myhosting, dc=example
objectClass: top
objectClass: organizationalRole
cn: Manager

dn: o=hosting, dc=myhosting, dc=example
objectClass: top
objectClass: organization
o: hosting
`
	recs := readAll(t, NewReader(strings.NewReader(in)))
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	if recs[0].Entry.DN != "dc=myhosting, dc=example" || recs[0].Line != 4 {
		t.Errorf("first record: dn %q line %d", recs[0].Entry.DN, recs[0].Line)
	}
	oc := recs[0].Entry.Get("objectclass")
	if oc == nil || len(oc.Values) != 2 || string(oc.Values[1]) != "domain" {
		t.Errorf("objectClass values: %+v", oc)
	}
	if recs[2].Change != ChangeNone {
		t.Errorf("content record has change %v", recs[2].Change)
	}
}

func TestReadRecords(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, r *Record)
	}{
		{"folded and base64", "dn: cn=a,dc=x\ndescription: hello\n  world\nuserPassword:: e1NTSEF9YWJj\n", func(t *testing.T, r *Record) {
			if got := string(r.Entry.Get("description").Values[0]); got != "hello world" {
				t.Errorf("folded value %q", got)
			}
			if got := string(r.Entry.Get("userPassword").Values[0]); got != "{SSHA}abc" {
				t.Errorf("base64 value %q", got)
			}
		}},
		{"base64 dn", "dn:: Y249YSxkYz14\ncn: a\n", func(t *testing.T, r *Record) {
			if r.Entry.DN != "cn=a,dc=x" {
				t.Errorf("dn %q", r.Entry.DN)
			}
		}},
		{"comment folded", "# a comment\n  continued\ndn: cn=a\ncn: a\n", func(t *testing.T, r *Record) {
			if r.Entry.DN != "cn=a" {
				t.Errorf("dn %q", r.Entry.DN)
			}
		}},
		{"crlf", "dn: cn=a\r\ncn: a\r\n", func(t *testing.T, r *Record) {
			if string(r.Entry.Get("cn").Values[0]) != "a" {
				t.Errorf("cn %q", r.Entry.Get("cn").Values[0])
			}
		}},
		{"add", "dn: cn=a\nchangetype: add\ncn: a\n", func(t *testing.T, r *Record) {
			if r.Change != ChangeAdd || r.Entry.Get("cn") == nil {
				t.Errorf("record %+v", r)
			}
		}},
		{"delete", "dn: cn=a\nchangetype: delete\n", func(t *testing.T, r *Record) {
			if r.Change != ChangeDelete {
				t.Errorf("change %v", r.Change)
			}
		}},
		{"modify", "dn: cn=a\nchangetype: modify\nadd: mail\nmail: a@b\nmail: c@d\n-\ndelete: description\n-\nreplace: cn\ncn: b\n-\nincrement: uidNumber\nuidNumber: 1\n", func(t *testing.T, r *Record) {
			if r.Change != ChangeModify || len(r.Mods) != 4 {
				t.Fatalf("mods %+v", r.Mods)
			}
			if r.Mods[0].Op != ModAdd || len(r.Mods[0].Values) != 2 || r.Mods[1].Op != ModDelete || len(r.Mods[1].Values) != 0 || r.Mods[2].Op != ModReplace || r.Mods[3].Op != ModIncrement {
				t.Errorf("mods %+v", r.Mods)
			}
		}},
		{"modify last without dash", "dn: cn=a\nchangetype: modify\nreplace: cn\ncn: b\n", func(t *testing.T, r *Record) {
			if len(r.Mods) != 1 || string(r.Mods[0].Values[0]) != "b" {
				t.Errorf("mods %+v", r.Mods)
			}
		}},
		{"modrdn", "dn: cn=a,dc=x\nchangetype: modrdn\nnewrdn: cn=b\ndeleteoldrdn: 1\nnewsuperior: dc=y\n", func(t *testing.T, r *Record) {
			if r.Change != ChangeModRDN || r.NewRDN != "cn=b" || !r.DeleteOldRDN || !r.HasNewSuperior || r.NewSuperior != "dc=y" {
				t.Errorf("record %+v", r)
			}
		}},
		{"control", "dn: cn=a\ncontrol: 1.2.840.113556.1.4.805 true\nchangetype: delete\n", func(t *testing.T, r *Record) {
			if len(r.Controls) != 1 || r.Change != ChangeDelete {
				t.Errorf("record %+v", r)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs := readAll(t, NewReader(strings.NewReader(tc.in)))
			if len(recs) != 1 {
				t.Fatalf("got %d records", len(recs))
			}
			tc.check(t, recs[0])
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		msg      string
	}{
		{"no dn", "cn: a\n", 1, "does not start with dn"},
		{"no colon", "dn: cn=a\ncn\n", 2, "missing ':'"},
		{"bad base64", "dn: cn=a\ncn:: !!!\n", 2, "invalid base64"},
		{"url refused", "dn: cn=a\njpegPhoto:< file:///etc/passwd\n", 2, "not allowed"},
		{"bad changetype", "dn: cn=a\nchangetype: frob\n", 2, "unknown changetype"},
		{"bad modop", "dn: cn=a\nchangetype: modify\nfrob: cn\n", 3, "unknown modify operation"},
		{"mixed mod attr", "dn: cn=a\nchangetype: modify\nadd: cn\nsn: x\n", 4, "missing '-'"},
		{"modrdn no newrdn", "dn: cn=a\nchangetype: modrdn\ndeleteoldrdn: 1\n", 1, "without newrdn"},
		{"deleteoldrdn value", "dn: cn=a\nchangetype: modrdn\nnewrdn: cn=b\ndeleteoldrdn: yes\n", 4, "must be 0 or 1"},
		{"leading continuation", " x\n", 1, "continuation"},
		{"bad version", "version: 2\n\ndn: cn=a\n", 1, "unsupported LDIF version"},
		{"bad attr desc", "dn: cn=a\nc n: x\n", 2, "invalid attribute description"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tc.in))
			r.Name = "in.ldif"
			_, err := r.Next()
			var le *Error
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if le.Line != tc.line || !strings.Contains(le.Msg, tc.msg) || !strings.HasPrefix(err.Error(), "in.ldif:") {
				t.Errorf("err = %v (line %d), want line %d containing %q", err, le.Line, tc.line, tc.msg)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	long := "dn: cn=a\ndescription: " + strings.Repeat("x", 100) + "\n"
	r := NewReader(strings.NewReader(long))
	r.MaxLineBytes = 50
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("long line: err = %v", err)
	}
	folded := "dn: cn=a\ndescription: x\n" + strings.Repeat(" yyyyyyyyyy\n", 20)
	r = NewReader(strings.NewReader(folded))
	r.MaxLineBytes = 50
	if _, err := r.Next(); err == nil {
		t.Error("long folded line accepted")
	}
	many := "dn: cn=a\n" + strings.Repeat("description: 0123456789\n", 20)
	r = NewReader(strings.NewReader(many))
	r.MaxRecordBytes = 100
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "record larger") {
		t.Errorf("big record: err = %v", err)
	}
}

func TestURLAllowed(t *testing.T) {
	p := filepath.Join(t.TempDir(), "photo")
	if err := os.WriteFile(p, []byte("\xff\xd8bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := NewReader(strings.NewReader("dn: cn=a\njpegPhoto:< file://" + p + "\n"))
	r.AllowURLs = true
	rec, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(rec.Entry.Get("jpegPhoto").Values[0]); got != "\xff\xd8bytes" {
		t.Errorf("value %q", got)
	}
}

func TestWriterRoundTrip(t *testing.T) {
	entries := []*entry.Entry{
		{DN: "dc=myhosting,dc=example", Attrs: []entry.Attribute{
			{Type: "objectClass", Values: [][]byte{[]byte("top"), []byte("domain")}},
			{Type: "dc", Values: [][]byte{[]byte("myhosting")}},
		}},
		{DN: "mail=alice@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example", Attrs: []entry.Attribute{
			{Type: "userPassword", Values: [][]byte{[]byte("{SSHA}ra0sD47QP32ASAlaAhF8kgi+8Aflbgr7")}},
			{Type: "description", Values: [][]byte{[]byte(" leading space"), []byte("trailing "), []byte("Grüße"), []byte(":colon"), []byte("<lt"), []byte("")}},
			{Type: "cn", Values: [][]byte{[]byte(strings.Repeat("long value ", 20))}},
		}},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, e := range entries {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"userPassword:: e1NTSEF9", "description:: IGxlYWRpbmcgc3BhY2U=", "dn: dc=myhosting,dc=example\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 76 {
			t.Errorf("line longer than 76: %q", line)
		}
	}
	recs := readAll(t, NewReader(strings.NewReader(out)))
	if len(recs) != len(entries) {
		t.Fatalf("read back %d records", len(recs))
	}
	for i, rec := range recs {
		if rec.Entry.DN != entries[i].DN || len(rec.Entry.Attrs) != len(entries[i].Attrs) {
			t.Fatalf("record %d: %+v", i, rec.Entry)
		}
		for j, a := range rec.Entry.Attrs {
			want := entries[i].Attrs[j]
			if a.Type != want.Type || len(a.Values) != len(want.Values) {
				t.Fatalf("record %d attr %d: %+v", i, j, a)
			}
			for k := range a.Values {
				if !bytes.Equal(a.Values[k], want.Values[k]) {
					t.Errorf("record %d %s value %d: %q, want %q", i, a.Type, k, a.Values[k], want.Values[k])
				}
			}
		}
	}
}

func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"dn: cn=a\ncn: a\n",
		"version: 1\n\ndn:: Y249YQ==\ncn:: YQ==\n",
		"dn: cn=a\nchangetype: modify\nadd: cn\ncn: b\n-\n",
		"dn: cn=a\nchangetype: modrdn\nnewrdn: cn=b\ndeleteoldrdn: 0\n",
		"# c\n  d\ndn: x\n y\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		r.MaxLineBytes = 1 << 12
		r.MaxRecordBytes = 1 << 14
		var got []*Record
		for i := 0; i < 1000; i++ {
			rec, err := r.Next()
			if err != nil {
				break
			}
			got = append(got, rec)
		}
		// Content records written back read the same.
		var buf bytes.Buffer
		w := NewWriter(&buf)
		var written []*Record
		for _, rec := range got {
			if rec.Change == ChangeNone {
				if err := w.Write(&rec.Entry); err != nil {
					t.Fatal(err)
				}
				written = append(written, rec)
			}
		}
		w.Close()
		back := NewReader(&buf)
		for _, want := range written {
			rec, err := back.Next()
			if err != nil {
				t.Fatalf("re-read: %v\n%s", err, buf.Bytes())
			}
			if rec.Entry.DN != want.Entry.DN || len(rec.Entry.Attrs) != len(want.Entry.Attrs) {
				t.Fatalf("round trip changed %+v into %+v", want.Entry, rec.Entry)
			}
		}
	})
}
