package dn

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// slapdCases were run through slapd 2.5.13's slapdn -v (core, cosine, nis,
// inetorgperson schema plus Zeta and bin test types); pretty and norm are
// what slapdn printed.
var slapdCases = []struct {
	in, str, pretty, norm string
}{
	// clients.md and the HOWTO
	{`cn=Doe\, Richard,dc=example`, `cn=Doe\2C Richard,dc=example`, `cn=Doe\2C Richard,dc=example`, `cn=doe\2C richard,dc=example`},
	{`dc=myhosting, dc=example`, `dc=myhosting,dc=example`, `dc=myhosting,dc=example`, `dc=myhosting,dc=example`},
	{`mail=alice@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example`, `mail=alice@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example`, `mail=alice@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example`, `mail=alice@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example`},
	{``, ``, ``, ``},
	// case of types and values
	{`CN=A`, `CN=A`, `cn=A`, `cn=a`},
	{`Cn=A`, `Cn=A`, `cn=A`, `cn=a`},
	{`CN=a,DC=b`, `CN=a,DC=b`, `cn=a,dc=b`, `cn=a,dc=b`},
	{`BUSINESSCATEGORY=X`, `BUSINESSCATEGORY=X`, `businessCategory=X`, `businessCategory=x`},
	{`zeta=Q`, `zeta=Q`, `Zeta=Q`, `Zeta=q`},
	{`mail=A@B`, `mail=A@B`, `mail=A@B`, `mail=a@b`},
	{`uid=joe@x,dc=y`, `uid=joe@x,dc=y`, `uid=joe@x,dc=y`, `uid=joe@x,dc=y`},
	// OIDs and options
	{`2.5.4.3=x`, `2.5.4.3=x`, `cn=x`, `cn=x`},
	{`cn;lang-en=a`, `cn;lang-en=a`, `cn=a`, `cn=a`},
	{`cn;x;y=a`, `cn;x;y=a`, `cn=a`, `cn=a`},
	{`cn;=a`, `cn;=a`, `cn=a`, `cn=a`},
	{`cn;1=a`, `cn;1=a`, `cn=a`, `cn=a`},
	{`cn;x =a`, `cn;x=a`, `cn=a`, `cn=a`},
	// multi-valued RDNs: sorted by type in both forms
	{`CN=a+SN=b,DC=Example`, `CN=a+SN=b,DC=Example`, `cn=a+sn=b,dc=Example`, `cn=a+sn=b,dc=example`},
	{`sn=b+cn=a`, `sn=b+cn=a`, `cn=a+sn=b`, `cn=a+sn=b`},
	{`sn=X+cn=Y+l=z`, `sn=X+cn=Y+l=z`, `cn=Y+l=z+sn=X`, `cn=y+l=z+sn=x`},
	{`cn=x+Zeta=y`, `cn=x+Zeta=y`, `Zeta=y+cn=x`, `Zeta=y+cn=x`},
	{`cn=a + sn=b`, `cn=a+sn=b`, `cn=a+sn=b`, `cn=a+sn=b`},
	{`cn=a  +  sn = b  ;  dc=c`, `cn=a+sn=b,dc=c`, `cn=a+sn=b,dc=c`, `cn=a+sn=b,dc=c`},
	// white space
	{`cn = a , dc = b`, `cn=a,dc=b`, `cn=a,dc=b`, `cn=a,dc=b`},
	{`  cn  =  a  ,  dc  =  b  `, `cn=a,dc=b`, `cn=a,dc=b`, `cn=a,dc=b`},
	{` cn=a`, `cn=a`, `cn=a`, `cn=a`},
	{`cn=a `, `cn=a`, `cn=a`, `cn=a`},
	{`cn=  a  `, `cn=a`, `cn=a`, `cn=a`},
	{`cn=a  b`, `cn=a  b`, `cn=a  b`, `cn=a b`},
	{"cn=a\t", `cn=a`, `cn=a`, `cn=a`},
	{"\tcn=a", `cn=a`, `cn=a`, `cn=a`},
	{"cn\t=a", `cn=a`, `cn=a`, `cn=a`},
	{"cn=a,\ndc=b", `cn=a,dc=b`, `cn=a,dc=b`, `cn=a,dc=b`},
	{"cn=a,\r\ndc=b", `cn=a,dc=b`, `cn=a,dc=b`, `cn=a,dc=b`},
	{"cn=a\tb", "cn=a\tb", "cn=a\tb", "cn=a\tb"},
	{`cn=\ a\ `, `cn=\20a\20`, `cn=\20a\20`, `cn=a`},
	{`cn=\20\20a\20\20`, `cn=\20 a \20`, `cn=\20 a \20`, `cn=a`},
	{`cn=a\ \ `, `cn=a \20`, `cn=a \20`, `cn=a`},
	{`cn=a b\ `, `cn=a b\20`, `cn=a b\20`, `cn=a b`},
	{`cn=a\  `, `cn=a\20`, `cn=a\20`, `cn=a`},
	{`cn=a\ b`, `cn=a b`, `cn=a b`, `cn=a b`},
	{`cn=\20`, `cn=\20`, `cn=\20`, `cn=\20`},
	{`cn=\20\20`, `cn=\20\20`, `cn=\20\20`, `cn=\20`},
	{`cn= \ `, `cn=\20`, `cn=\20`, `cn=\20`},
	{`cn=\ `, `cn=\20`, `cn=\20`, `cn=\20`},
	// separators
	{`cn=a;dc=example`, `cn=a,dc=example`, `cn=a,dc=example`, `cn=a,dc=example`},
	{`cn=a ; dc=b`, `cn=a,dc=b`, `cn=a,dc=b`, `cn=a,dc=b`},
	// escapes
	{`cn=\2C`, `cn=\2C`, `cn=\2C`, `cn=\2C`},
	{`cn=a\,b`, `cn=a\2Cb`, `cn=a\2Cb`, `cn=a\2Cb`},
	{`cn=a\,`, `cn=a\2C`, `cn=a\2C`, `cn=a\2C`},
	{`cn=a\, b, dc=x`, `cn=a\2C b,dc=x`, `cn=a\2C b,dc=x`, `cn=a\2C b,dc=x`},
	{`cn=a\+b`, `cn=a\2Bb`, `cn=a\2Bb`, `cn=a\2Bb`},
	{`cn=\2B\2b`, `cn=\2B\2B`, `cn=\2B\2B`, `cn=\2B\2B`},
	{`cn=a\<b\>c\;d\=e`, `cn=a\3Cb\3Ec\3Bd\3De`, `cn=a\3Cb\3Ec\3Bd\3De`, `cn=a\3Cb\3Ec\3Bd\3De`},
	{`cn=a\"b`, `cn=a\22b`, `cn=a\22b`, `cn=a\22b`},
	{`cn=a\"`, `cn=a\22`, `cn=a\22`, `cn=a\22`},
	{`cn=a\;`, `cn=a\3B`, `cn=a\3B`, `cn=a\3B`},
	{`cn=\3b`, `cn=\3B`, `cn=\3B`, `cn=\3B`},
	{`cn=a\\b`, `cn=a\5Cb`, `cn=a\5Cb`, `cn=a\5Cb`},
	{`cn=a=b`, `cn=a\3Db`, `cn=a\3Db`, `cn=a\3Db`},
	{`cn==`, `cn=\3D`, `cn=\3D`, `cn=\3D`},
	{`cn=a\=`, `cn=a\3D`, `cn=a\3D`, `cn=a\3D`},
	{`cn=\#a`, `cn=\23a`, `cn=\23a`, `cn=\23a`},
	{`cn=\#`, `cn=\23`, `cn=\23`, `cn=\23`},
	{`cn=a#b`, `cn=a#b`, `cn=a#b`, `cn=a#b`},
	{`cn=a\#b`, `cn=a#b`, `cn=a#b`, `cn=a#b`},
	{`cn=\ #`, `cn=\20#`, `cn=\20#`, `cn=\23`},
	{`cn=\41`, `cn=A`, `cn=A`, `cn=a`},
	{`cn=a\00b`, `cn=a\00b`, `cn=a\00b`, `cn=a\00b`},
	{`cn=a\01b`, "cn=a\x01b", "cn=a\x01b", "cn=a\x01b"},
	{"cn=a\x01b", "cn=a\x01b", "cn=a\x01b", "cn=a\x01b"},
	{"cn=a\x7fb", "cn=a\x7fb", "cn=a\x7fb", "cn=a\x7fb"},
	{`cn=a\0Ab`, "cn=a\nb", "cn=a\nb", "cn=a\nb"},
	// UTF-8
	{`cn=é`, `cn=é`, `cn=é`, `cn=é`},
	{`cn=\c3\a9`, `cn=é`, `cn=é`, `cn=é`},
	{`cn=a\C3\A9`, `cn=aé`, `cn=aé`, `cn=aé`},
	{`cn=\c3\a9 \5c`, `cn=é \5C`, `cn=é \5C`, `cn=é \5C`},
	{`cn=\e2\82\ac`, `cn=€`, `cn=€`, `cn=€`},
	{`cn=\ef\bf\bf`, "cn=\uffff", "cn=\uffff", "cn=\uffff"},
	// quoted values (RFC 1779)
	{`cn="Doe, Richard",dc=x`, `cn=Doe\2C Richard,dc=x`, `cn=Doe\2C Richard,dc=x`, `cn=doe\2C richard,dc=x`},
	{`cn="a" `, `cn=a`, `cn=a`, `cn=a`},
	{`cn= "a"`, `cn=a`, `cn=a`, `cn=a`},
	{`cn="a\"b"`, `cn=a\22b`, `cn=a\22b`, `cn=a\22b`},
	{`cn="a+b=c;d<e"`, `cn=a\2Bb\3Dc\3Bd\3Ce`, `cn=a\2Bb\3Dc\3Bd\3Ce`, `cn=a\2Bb\3Dc\3Bd\3Ce`},
	{`cn="\41"`, `cn=41`, `cn=41`, `cn=41`},
	{`cn="a\b"`, `cn=ab`, `cn=ab`, `cn=ab`},
	{`cn="a\\"`, `cn=a\5C`, `cn=a\5C`, `cn=a\5C`},
	{`cn="é"`, `cn=é`, `cn=é`, `cn=é`},
	{`cn="a"+sn=b`, `cn=a+sn=b`, `cn=a+sn=b`, `cn=a+sn=b`},
	// DN-valued RDN values
	{`seeAlso=cn=a`, `seeAlso=cn\3Da`, `seeAlso=cn\3Da`, `seeAlso=cn\3Da`},
	{`seeAlso=cn\3Da\2Cdc=b`, `seeAlso=cn\3Da\2Cdc\3Db`, `seeAlso=cn\3Da\2Cdc\3Db`, `seeAlso=cn\3Da\2Cdc\3Db`},
	// leading/trailing TAB, LF, CR are hex-escaped; inner ones are raw
	{`bin=abc`, `bin=abc`, `bin=abc`, `bin=abc`},
	{`bin=a\00`, `bin=a\00`, `bin=a\00`, `bin=a\00`},
	{`bin=\00`, `bin=\00`, `bin=\00`, `bin=\00`},
	{`bin=a\09`, `bin=a\09`, `bin=a\09`, `bin=a\09`},
	{`bin=\09a`, `bin=\09a`, `bin=\09a`, `bin=\09a`},
	{`bin=\0a`, `bin=\0A`, `bin=\0A`, `bin=\0A`},
	{`bin=\0d\0a`, `bin=\0D\0A`, `bin=\0D\0A`, `bin=\0D\0A`},
	{`bin=a\0d\0a`, "bin=a\r\\0A", "bin=a\r\\0A", "bin=a\r\\0A"},
	{`bin=\0a\0aa`, "bin=\\0A\na", "bin=\\0A\na", "bin=\\0A\na"},
	{`bin=a\0d\0ab`, "bin=a\r\nb", "bin=a\r\nb", "bin=a\r\nb"},
	{`bin=\20\09`, `bin=\20\09`, `bin=\20\09`, `bin=\20\09`},
	{`bin=\09\20`, `bin=\09\20`, `bin=\09\20`, `bin=\09\20`},
	{`bin=\23\23`, `bin=\23#`, `bin=\23#`, `bin=\23#`},
	{`bin=\0bx`, "bin=\vx", "bin=\vx", "bin=\vx"},
	{"bin=a\v", "bin=a\v", "bin=a\v", "bin=a\v"},
	{`bin=\c2\a0a`, "bin=\u00a0a", "bin=\u00a0a", "bin=\u00a0a"},
	{`bin=a\c2\a0`, "bin=a\u00a0", "bin=a\u00a0", "bin=a\u00a0"},
	{`bin=\e3\80\80`, "bin=\u3000", "bin=\u3000", "bin=\u3000"},
}

func TestSlapdCases(t *testing.T) {
	n := fakeSchema{}
	for _, c := range slapdCases {
		d, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if d.Orig != c.in {
			t.Errorf("Parse(%q).Orig = %q", c.in, d.Orig)
		}
		if got := d.String(); got != c.str {
			t.Errorf("Parse(%q).String() = %q, want %q", c.in, got, c.str)
		}
		p, err := d.Pretty(n)
		if err != nil || p != c.pretty {
			t.Errorf("Parse(%q).Pretty() = %q, %v; want %q", c.in, p, err, c.pretty)
		}
		nd, err := d.Normalize(n)
		if err != nil || nd != c.norm {
			t.Errorf("Parse(%q).Normalize() = %q, %v; want %q", c.in, nd, err, c.norm)
		}
		p2, n2, err := d.PrettyNormal(n)
		if err != nil || p2 != c.pretty || n2 != c.norm {
			t.Errorf("Parse(%q).PrettyNormal() = %q, %q, %v", c.in, p2, n2, err)
		}
		// round trips: the printed forms parse back to the same thing
		for _, s := range []string{c.str, c.pretty, c.norm} {
			d2, err := Parse(s)
			if err != nil {
				t.Errorf("Parse(%q) (printed from %q): %v", s, c.in, err)
				continue
			}
			if d2.String() != s {
				t.Errorf("Parse(%q).String() = %q: not a fixed point", s, d2.String())
			}
		}
		if d2, _ := Parse(c.str); !d2.Identical(d) {
			t.Errorf("Parse(String(%q)) = %#v, want %#v", c.in, d2, d)
		}
		if nd2, _ := Parse(c.norm); true {
			if again, err := nd2.Normalize(n); err != nil || again != c.norm {
				t.Errorf("Normalize is not idempotent on %q: %q, %v", c.norm, again, err)
			}
		}
	}
}

func TestParseModel(t *testing.T) {
	tests := []struct {
		in   string
		want []RDN
	}{
		{``, nil},
		{`cn=a`, []RDN{{{Type: "cn", Value: "a"}}}},
		{`CN = Doe\, Richard ; DC=example`, []RDN{{{Type: "CN", Value: "Doe, Richard"}}, {{Type: "DC", Value: "example"}}}},
		{`cn=a+sn=b,dc=c`, []RDN{{{Type: "cn", Value: "a"}, {Type: "sn", Value: "b"}}, {{Type: "dc", Value: "c"}}}},
		{`OU=Sales+CN=J.  Smith,DC=example,DC=net`, []RDN{{{Type: "OU", Value: "Sales"}, {Type: "CN", Value: "J.  Smith"}}, {{Type: "DC", Value: "example"}}, {{Type: "DC", Value: "net"}}}},
		// RFC 4514 section 4 examples
		{`UID=jsmith,DC=example,DC=net`, []RDN{{{Type: "UID", Value: "jsmith"}}, {{Type: "DC", Value: "example"}}, {{Type: "DC", Value: "net"}}}},
		{`CN=James \"Jim\" Smith\, III,DC=example,DC=net`, []RDN{{{Type: "CN", Value: `James "Jim" Smith, III`}}, {{Type: "DC", Value: "example"}}, {{Type: "DC", Value: "net"}}}},
		{`CN=Before\0dAfter,DC=example,DC=net`, []RDN{{{Type: "CN", Value: "Before\rAfter"}}, {{Type: "DC", Value: "example"}}, {{Type: "DC", Value: "net"}}}},
		{`1.3.6.1.4.1.1466.0=#04024869`, []RDN{{{Type: "1.3.6.1.4.1.1466.0", Value: "\x04\x02Hi", BER: true}}}},
		{`CN=Lu\C4\8Di\C4\87`, []RDN{{{Type: "CN", Value: "Lučić"}}}},
		{`cn=#0c024869 , dc=x`, []RDN{{{Type: "cn", Value: "\x0c\x02Hi", BER: true}}, {{Type: "dc", Value: "x"}}}},
		{`cn=,dc=x`, []RDN{{{Type: "cn", Value: ""}}, {{Type: "dc", Value: "x"}}}},
		{`cn=""`, []RDN{{{Type: "cn", Value: ""}}}},
		{`cn="a;b" ; o="x+y"`, []RDN{{{Type: "cn", Value: "a;b"}}, {{Type: "o", Value: "x+y"}}}},
		{`0.9.2342.19200300.100.1.25=x`, []RDN{{{Type: "0.9.2342.19200300.100.1.25", Value: "x"}}}},
	}
	for _, tt := range tests {
		d, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !d.Identical(DN{RDNs: tt.want}) || len(d.RDNs) != len(tt.want) {
			t.Errorf("Parse(%q) = %#v, want %#v", tt.in, d.RDNs, tt.want)
		}
		// types keep their spelling exactly
		for i, r := range d.RDNs {
			for j, a := range r {
				if a.Type != tt.want[i][j].Type {
					t.Errorf("Parse(%q): type %q, want %q", tt.in, a.Type, tt.want[i][j].Type)
				}
			}
		}
		if d2, err := Parse(d.String()); err != nil || !d2.Identical(d) {
			t.Errorf("round trip of %q via %q: %#v, %v", tt.in, d.String(), d2, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		msg    string // substring of the message
	}{
		// all of these are refused by slapd as well
		{` `, 0, "only white space"},
		{"\v cn=a", 0, "invalid character"},
		{`OID.2.5.4.3=x`, 0, `"OID." prefix`},
		{`oid.2.5.4.3=x`, 0, `"OID." prefix`},
		{`cn`, 2, "missing '='"},
		{`cn a`, 3, "missing '='"},
		{`c n=a`, 2, "missing '='"},
		{`=a`, 0, "missing attribute type"},
		{`cn=a,`, 4, "missing RDN"},
		{`cn=a;`, 4, "missing RDN"},
		{`cn=a,dc=b,`, 9, "missing RDN"},
		{`cn=a, `, 4, "missing RDN"},
		{`,cn=a`, 0, "empty RDN"},
		{`cn=a,,dc=b`, 5, "empty RDN"},
		{`cn=a;;dc=b`, 5, "empty RDN"},
		{`cn=a+`, 5, "after '+'"},
		{`+cn=a`, 0, "empty RDN"},
		{`cn=a++sn=b`, 5, "empty RDN"},
		{`cn=a+,sn=b`, 5, "empty RDN"},
		{`cn=a\`, 4, "trailing backslash"},
		{`cn=a\\\`, 6, "trailing backslash"},
		{`cn=a"b`, 4, `unescaped '"'`},
		{`cn=<`, 3, `unescaped '<'`},
		{`cn=a>`, 4, `unescaped '>'`},
		{"cn=a\x00", 4, `unescaped '\x00'`},
		{`cn=\zz`, 3, "invalid escape"},
		{`cn=a\%b`, 4, "invalid escape"},
		{`cn=a\/b`, 4, "invalid escape"},
		{`cn=a\*`, 4, "invalid escape"},
		{`cn=a\(b`, 4, "invalid escape"},
		{`cn=\4`, 3, "invalid hex escape"},
		{`cn=\4g`, 3, "invalid hex escape"},
		{`cn=\c3`, 3, "not valid UTF-8"},
		{`cn=a\c3`, 3, "not valid UTF-8"},
		{`cn=\ff`, 3, "not valid UTF-8"},
		{`cn=\ed\a0\80`, 3, "not valid UTF-8"},    // surrogate
		{`cn=\c0\80`, 3, "not valid UTF-8"},       // overlong
		{`cn=\f4\90\80\80`, 3, "not valid UTF-8"}, // > U+10FFFF; slapd accepts this one
		{"cn=\xc3", 3, "not valid UTF-8"},
		{"cn=\"\xff\"", 3, "not valid UTF-8"},
		{`cn=#`, 3, "not followed by hex"},
		{`cn= #a`, 5, "odd number"},
		{`cn=#0`, 4, "odd number"},
		{`cn=#zz`, 3, "not followed by hex"},
		{`cn=#0402486`, 4, "odd number"},
		{`cn=#04024869x`, 12, "in hex value"},
		{`cn=#04024869 x`, 13, "in hex value"},
		{`cn="a`, 3, "unterminated"},
		{`cn="a\"`, 3, "unterminated"},
		{`cn="a\`, 5, "trailing backslash"},
		{`cn="a"b`, 6, "after quoted value"},
		{`cn="a" "b"`, 7, "after quoted value"},
		{"cn=\"a\x00\"", 5, "NUL"},
		{`1cn=a`, 0, "needs a dot"},
		{`2=a`, 0, "needs a dot"},
		{`2.5.4.3.=a`, 8, "invalid numeric OID"},
		{`2.5.04.3=a`, 4, "leading zero"},
		{`2.5.4.3x=a`, 7, "in numeric OID"},
		{`c_n=a`, 1, "missing '='"},
		{`cn ;x=a`, 3, "missing '='"},
		{`cn; x=a`, 4, "missing '='"},
		{`cn;lang_en=a`, 7, "missing '='"},
		{`cn;x.y=a`, 4, "missing '='"},
		{`-cn=a`, 0, "invalid character"},
		{`\63n=a`, 0, "invalid character"},
		{`"cn"=a`, 0, "invalid character"},
	}
	for _, tt := range tests {
		d, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %q, want error", tt.in, d.String())
			continue
		}
		if !errors.Is(err, ErrInvalidDN) {
			t.Errorf("Parse(%q): error %v does not match ErrInvalidDN", tt.in, err)
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q): error %T is not a *SyntaxError", tt.in, err)
			continue
		}
		if se.Offset != tt.offset || !strings.Contains(se.Msg, tt.msg) || se.DN != tt.in {
			t.Errorf("Parse(%q): %v (offset %d), want offset %d and %q", tt.in, err, se.Offset, tt.offset, tt.msg)
		}
	}
}

// TestSchemaErrors: DNs that parse but that slapd refuses (invalidDNSyntax).
func TestSchemaErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{`cn=#04024869`, "hex-form"},
		{`cn=#0C024869`, "hex-form"},
		{`cn=#13024869`, "hex-form"},
		{`cn=#4869`, "hex-form"},
		{`bin=#04024869`, "hex-form"},
		{`cn=#04024869,dc=x`, "hex-form"},
		{`cn=`, "empty value"},
		{`o=`, "empty value"},
		{`bin=`, "empty value"},
		{`cn=""`, "empty value"},
		{`ou=""`, "empty value"},
		{`cn=a,dc=`, "empty value"},
		{`cn=b+cn=a`, "twice"},
		{`cn=a+cn=a`, "twice"},
		{`cn=x+2.5.4.3=y`, "twice"},
		{`cn=x+sn=y+CN=z`, "twice"},
		{`cn=a,dc=b+dc=c`, "twice"},
		{`cn;x=a+cn;y=b`, "twice"},
		{`foo=bar`, "undefined attribute type"},
		{`cn-x=a`, "undefined attribute type"},
		{`cn=a,userPassword=x`, "undefined attribute type"},
		{`seeAlso=foo`, "value of seeAlso"},
	}
	for _, lower := range []bool{false, true} {
		n := fakeSchema{lowerNorm: lower}
		for _, tt := range tests {
			d, err := Parse(tt.in)
			if err != nil {
				t.Errorf("Parse(%q): %v", tt.in, err)
				continue
			}
			for name, f := range map[string]func() (string, error){
				"Pretty":    func() (string, error) { return d.Pretty(n) },
				"Normalize": func() (string, error) { return d.Normalize(n) },
				"PrettyNormal": func() (string, error) {
					p, _, err := d.PrettyNormal(n)
					return p, err
				},
			} {
				s, err := f()
				if err == nil {
					t.Errorf("%s(%q) = %q, want error", name, tt.in, s)
					continue
				}
				if !errors.Is(err, ErrInvalidDN) || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.in)) {
					t.Errorf("%s(%q): %v, want ErrInvalidDN with %q", name, tt.in, err, tt.msg)
				}
			}
		}
	}
	// the Normalizer's error is wrapped
	d, _ := Parse("foo=bar")
	if _, err := d.Normalize(fakeSchema{}); !errors.Is(err, errUndefined) {
		t.Errorf("Normalize(foo=bar): %v does not wrap the Normalizer's error", err)
	}
}

// TestKnownSlapdDifferences pins the places where this package deliberately
// differs from slapd 2.5.
func TestKnownSlapdDifferences(t *testing.T) {
	// slapd prints cn=a\5C\20 (it takes the unescaped space after an
	// escaped backslash for an escaped space); RFC 4514 drops it.
	d, err := Parse(`cn=a\\ `)
	if err != nil || d.String() != `cn=a\5C` {
		t.Errorf(`Parse("cn=a\\ ") = %q, %v; want cn=a\5C`, d.String(), err)
	}
	// slapd accepts UTF-8 sequences above U+10FFFF; Go's utf8 does not.
	if _, err := Parse(`cn=\f4\90\80\80`); err == nil {
		t.Error(`Parse("cn=\f4\90\80\80") succeeded`)
	}
}

func TestNormalizeLowerKeys(t *testing.T) {
	// With a Normalizer whose keys are lower case (CONTRACTS.md), the
	// normalized form uses those keys and sorts by them.
	n := fakeSchema{lowerNorm: true}
	tests := []struct{ in, pretty, norm string }{
		{`BUSINESSCATEGORY=X,DC=Example`, `businessCategory=X,dc=Example`, `businesscategory=x,dc=example`},
		{`cn=x+Zeta=Y`, `Zeta=Y+cn=x`, `cn=x+zeta=y`},
		{`zeta=Q+businessCategory=b`, `Zeta=Q+businessCategory=b`, `businesscategory=b+zeta=q`},
	}
	for _, tt := range tests {
		d, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		p, nd, err := d.PrettyNormal(n)
		if err != nil || p != tt.pretty || nd != tt.norm {
			t.Errorf("PrettyNormal(%q) = %q, %q, %v; want %q, %q", tt.in, p, nd, err, tt.pretty, tt.norm)
		}
	}
}

func TestEqual(t *testing.T) {
	n := fakeSchema{}
	tests := []struct {
		a, b string
		want bool
	}{
		{`dc=myhosting, dc=example`, `DC=MyHosting,DC=Example`, true},
		{`cn=Doe\, Richard`, `CN="doe, richard"`, true},
		{`cn=Doe\, Richard`, `cn=Doe\2C  Richard`, true},
		{`sn=b+cn=a`, `cn=A + sn=B`, true},
		{`2.5.4.3=x;dc=y`, `commonName=X,domainComponent=Y`, true},
		{`cn=a,dc=b`, `cn=a`, false},
		{`cn=a`, `sn=a`, false},
		{``, ``, true},
		{``, `dc=x`, false},
	}
	for _, tt := range tests {
		a, err := Parse(tt.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Parse(tt.b)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Equal(a, b, n); err != nil || got != tt.want {
			t.Errorf("Equal(%q, %q) = %v, %v; want %v", tt.a, tt.b, got, err, tt.want)
		}
	}
	a, _ := Parse("cn=a")
	b, _ := Parse("foo=a")
	if _, err := Equal(a, b, n); err == nil {
		t.Error("Equal with an undefined type: no error")
	}
	if _, err := Equal(b, a, n); err == nil {
		t.Error("Equal with an undefined type: no error")
	}
}

func TestIdentical(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{`cn=a,dc=b`, `CN=a, DC=b`, true},
		{`cn=a`, `cn=A`, false},
		{`cn=a+sn=b`, `sn=b+cn=a`, false},
		{`cn=a`, `cn=a+sn=b`, false},
		{`cn=a`, `cn=a,dc=b`, false},
		{`cn=Hi`, `cn=#04024869`, false},
		{`cn=#04024869`, `CN=#04024869`, true},
		{`cn=\41`, `cn="A"`, true},
		{``, ``, true},
	}
	for _, tt := range tests {
		a, _ := Parse(tt.a)
		b, _ := Parse(tt.b)
		if got := a.Identical(b); got != tt.want {
			t.Errorf("Identical(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

func TestParentAndRDN(t *testing.T) {
	tests := []struct {
		in, rdn, parentOrig, parent string
	}{
		{``, ``, ``, ``},
		{`dc=example`, `dc=example`, ``, ``},
		{`cn=a, dc=b`, `cn=a`, `dc=b`, `dc=b`},
		{`cn=a\,b;  dc=b,dc=c`, `cn=a\2Cb`, `dc=b,dc=c`, `dc=b,dc=c`},
		{`cn="x,y;z"+sn=q , dc=b`, `cn=x\2Cy\3Bz+sn=q`, `dc=b`, `dc=b`},
		{`cn;x=a,o=b`, `cn;x=a`, `o=b`, `o=b`},
		{`cn=a\"+sn=b\\,o="q\"r",c=s`, `cn=a\22+sn=b\5C`, `o="q\"r",c=s`, `o=q\22r,c=s`},
	}
	for _, tt := range tests {
		d, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := d.RDN().String(); got != tt.rdn {
			t.Errorf("Parse(%q).RDN() = %q, want %q", tt.in, got, tt.rdn)
		}
		p := d.Parent()
		if p.Orig != tt.parentOrig || p.String() != tt.parent {
			t.Errorf("Parse(%q).Parent() = %q (Orig %q), want %q (Orig %q)", tt.in, p.String(), p.Orig, tt.parent, tt.parentOrig)
		}
		if p.Orig != "" {
			q, err := Parse(p.Orig)
			if err != nil || !q.Identical(p) {
				t.Errorf("Parent().Orig %q does not parse to the parent: %v", p.Orig, err)
			}
		}
		if d.IsEmpty() != (tt.in == "") {
			t.Errorf("Parse(%q).IsEmpty() = %v", tt.in, d.IsEmpty())
		}
	}
	// hand-built DN: Orig does not match, so the parent has none
	d := DN{RDNs: []RDN{{{Type: "cn", Value: "a"}}, {{Type: "dc", Value: "b"}}}}
	if p := d.Parent(); p.Orig != "" || p.String() != "dc=b" {
		t.Errorf("Parent of hand-built DN = %q (Orig %q)", p.String(), p.Orig)
	}
	if d.RDN() == nil || (DN{}).RDN() != nil {
		t.Error("RDN() of non-empty / empty DN")
	}
}

func TestStringValue(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`cn=plain`, "plain", true},
		{`cn=#04024869`, "Hi", true},      // OCTET STRING
		{`cn=#0C024869`, "Hi", true},      // UTF8String
		{`cn=#13024869`, "Hi", true},      // PrintableString
		{`cn=#16024869`, "Hi", true},      // IA5String
		{`cn=#0400`, "", true},            // empty OCTET STRING
		{`cn=#048102484A`, "HJ", true},    // long-form length
		{`cn=#020101`, "", false},         // INTEGER
		{`cn=#4869`, "", false},           // not BER
		{`cn=#040348`, "", false},         // length mismatch
		{`cn=#04024869FF`, "", false},     // trailing bytes
		{`cn=#0480`, "", false},           // indefinite length
		{`cn=#0C01FF`, "", false},         // UTF8String, bad UTF-8
		{`cn=#04`, "", false},             // truncated
		{`cn=#3003040141`, "", false},     // constructed
		{`cn=#0485FFFFFFFFFF`, "", false}, // oversized length
	}
	for _, tt := range tests {
		d, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		got, ok := d.RDN()[0].StringValue()
		if got != tt.want || ok != tt.ok {
			t.Errorf("StringValue(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEscapeValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"Doe, Richard", `Doe\2C Richard`},
		{`a+b"c\d<e>f;g=h`, `a\2Bb\22c\5Cd\3Ce\3Ef\3Bg\3Dh`},
		{"#x#", `\23x#`},
		{" x ", `\20x\20`},
		{" ", `\20`},
		{"  ", `\20\20`},
		{"   ", `\20 \20`},
		{"\tx\n", `\09x\0A`},
		{"\rx\r", `\0Dx\0D`},
		{"a\x00b", `a\00b`},
		{"a\tb\nc", "a\tb\nc"},
		{"é€", "é€"},
		{"a\xffb", `a\FFb`},    // invalid UTF-8 (never from Parse)
		{"\xe2\x82", `\E2\82`}, // truncated sequence
		{"x\xe2\x82\xac", "x€"},
		{"\x01\x7f", "\x01\x7f"},
	}
	for _, tt := range tests {
		if got := EscapeValue(tt.in); got != tt.want {
			t.Errorf("EscapeValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
		d, err := Parse("cn=" + EscapeValue(tt.in))
		if tt.in == "" || !strings.Contains(tt.in, "\xff") && !strings.HasPrefix(tt.in, "\xe2\x82") {
			if err != nil || d.RDN()[0].Value != tt.in {
				t.Errorf("Parse(cn=EscapeValue(%q)) = %q, %v", tt.in, d.RDN()[0].Value, err)
			}
		}
	}
}

func TestStringHandBuilt(t *testing.T) {
	tests := []struct {
		d    DN
		want string
	}{
		{DN{}, ""},
		{DN{RDNs: []RDN{{{Type: "cn", Value: "a,b"}, {Type: "sn", Value: " x"}}, {{Type: "dc", Value: "y"}}}}, `cn=a\2Cb+sn=\20x,dc=y`},
		{DN{RDNs: []RDN{{{Type: "1.2.3", Value: "\x04\x01A", BER: true}}}}, `1.2.3=#040141`},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	if got := (AVA{Type: "cn", Value: "#x"}).String(); got != `cn=\23x` {
		t.Errorf("AVA.String() = %q", got)
	}
	if got := (RDN{{Type: "cn", Value: "a"}, {Type: "sn", Value: "b"}}).String(); got != `cn=a+sn=b` {
		t.Errorf("RDN.String() = %q", got)
	}
	// an RDN without AVAs cannot be normalized
	if _, err := (DN{RDNs: []RDN{{}}}).Normalize(fakeSchema{}); !errors.Is(err, ErrInvalidDN) {
		t.Errorf("Normalize of an empty RDN: %v", err)
	}
}

func TestManyAVAs(t *testing.T) {
	// more AVAs in an RDN than the renderer's stack buffer holds
	in := `uid=u+sn=s+ou=o2+o=o+l=l+cn=c+dc=d+mail=m,dc=x`
	d, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	p, nd, err := d.PrettyNormal(fakeSchema{})
	want := `cn=c+dc=d+l=l+mail=m+o=o+ou=o2+sn=s+uid=u,dc=x`
	if err != nil || p != want || nd != want {
		t.Errorf("PrettyNormal(%q) = %q, %q, %v", in, p, nd, err)
	}
}
