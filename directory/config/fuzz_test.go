package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, never reads the file system
// for includes (the reader is replaced), and fails only with an *Error
// whose entries all carry a file and line.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"howto-slapd.conf", "howto-slapd-2.5.conf", "howto-slapd-badindex.conf"} {
		if data, err := os.ReadFile(testdata + "/" + name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(Default()))
	f.Add([]byte(dbHeader + "limits dn.this.regex=\"^x\" size.soft=1 time.hard=soft\nsizelimit size.unchecked=disabled\nindex default pres\nindex cn\n"))
	f.Add([]byte("include a.conf\nattributetype ( 1.2 NAME 'x'\n  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )\nsuffix \"a\\\nb\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		o := func(o *options) {
			o.builtinIncludes = true
			o.readFile = func(name string) ([]byte, error) {
				if strings.Contains(name, "loop") {
					return []byte("include loop.conf\n"), nil
				}
				return nil, os.ErrNotExist
			}
		}
		c, err := Parse("fuzz.conf", strings.NewReader(string(data)), o)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || len(ce.Errors) == 0 {
				t.Fatalf("error %T %v", err, err)
			}
			for _, le := range ce.Errors {
				if le.File == "" || le.Msg == "" {
					t.Fatalf("error without file or message: %+v", le)
				}
			}
			return
		}
		if c == nil || c.Schema == nil {
			t.Fatal("nil config without error")
		}
	})
}
