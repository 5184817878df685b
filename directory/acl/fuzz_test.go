package acl

import (
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is a
// *SyntaxError naming a token in range, and that a parsed rule prints to a
// form that parses again to the same rule.
func FuzzParse(f *testing.F) {
	for _, s := range howto20 {
		f.Add(s)
	}
	for _, s := range howto25 {
		f.Add(s)
	}
	f.Add(`access to dn.subtree="dc=example" filter=(objectClass=*) attrs=member val.regex="^a" by dn.exact,expand="uid=$1" =wx continue by * +0 break`)
	f.Add(`access to * by peername.ip=10.0.0.0%255.0.0.0{389} read by ssf=128 write`)
	f.Fuzz(func(t *testing.T, s string) {
		args := split(s)
		if len(args) > 0 && strings.EqualFold(args[0], "access") {
			args = args[1:]
		}
		r, err := Parse(args)
		if err != nil {
			se, ok := err.(*SyntaxError)
			if !ok {
				t.Fatalf("error %T %v", err, err)
			}
			if se.Arg < -1 || se.Arg >= len(args)+1 {
				t.Fatalf("error arg %d out of range (%d args): %v", se.Arg, len(args), err)
			}
			return
		}
		printed := r.String()
		r2, err := Parse(split(printed)[1:])
		if err != nil {
			t.Fatalf("printed rule %q does not parse: %v", printed, err)
		}
		if r2.String() != printed {
			t.Fatalf("print not a fixed point:\n%s\n%s", printed, r2.String())
		}
		_ = r.Bind(fakeSchema{})
	})
}
