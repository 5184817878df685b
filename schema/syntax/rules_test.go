package syntax

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"
)

func norm1(t *testing.T, rule string, env Env, v string) ([]byte, error) {
	t.Helper()
	r := LookupRule(rule)
	if r == nil {
		t.Fatalf("rule %s missing", rule)
	}
	out, err := r.Normalize(env, []byte(v))
	// AppendNormalize must agree and append.
	out2, err2 := r.AppendNormalize([]byte("prefix"), env, []byte(v))
	if (err == nil) != (err2 == nil) || err == nil && string(out2) != "prefix"+string(out) {
		t.Errorf("%s: Normalize(%q)=%q,%v but AppendNormalize=%q,%v", rule, v, out, err, out2, err2)
	}
	return out, err
}

func TestEqualityNormalization(t *testing.T) {
	env := fakeEnv{}
	tests := []struct {
		rule  string
		equal [][2]string
		diff  [][2]string
		bad   []string // assertion values that are invalid (Undefined)
	}{
		{"caseIgnoreMatch",
			[][2]string{{"Foo Bar", "foo bar"}, {"  foo   bar  ", "FOO BAR"}, {"foo\tbar", "foo bar"},
				{"Ärger", "äRGER"}, {"Straße", "STRASSE"}, {"ΣΊΣΥΦΟΣ", "σίσυφος"}, {"café", "cafe\u0301"},
				{"ﬁle", "FILE"}, {"Ｆｏｏ", "foo"}, {"a\u00a0b", "a b"}, {"soft\u00adhyphen", "softhyphen"},
				{"zero\u200bwidth", "zerowidth"}, {"", " "}, {"   ", " "}, {"a\x01b", "ab"}, {"K", "\u212a"}},
			[][2]string{{"foo bar", "foobar"}, {"foo", "foo."}, {"é", "e"}, {" ", "x"}},
			[]string{"\xff", "a\ue000b", "\ufffd", "\ufdd0"}},
		{"caseExactMatch",
			[][2]string{{"Foo  Bar ", "Foo Bar"}, {"café", "cafe\u0301"}, {"Ｆｏｏ", "Foo"}},
			[][2]string{{"Foo", "foo"}, {"Straße", "STRASSE"}}, []string{"\xfe"}},
		{"caseIgnoreIA5Match",
			[][2]string{{"Foo@Example.COM", "foo@example.com"}, {"a  b", " A B "}, {"a\tb", "a b"}},
			[][2]string{{"a.b", "ab"}, {"a b", "ab"}}, []string{"é"}},
		{"caseExactIA5Match",
			[][2]string{{"/var/mail/x", "/var/mail/x"}, {" a  b ", "a b"}},
			[][2]string{{"Foo", "foo"}}, []string{"ü"}},
		{"numericStringMatch",
			[][2]string{{"12 34", "1234"}, {" 1 2 ", "12"}},
			[][2]string{{"12", "012"}}, []string{"12a", "-1"}},
		{"telephoneNumberMatch",
			[][2]string{{"+1 555-1234", "+15551234"}, {"+1 (555) 12-34", "+1(555)1234"}, {"abc", "ABC"},
				{"+1\u2010555", "+1555"}},
			[][2]string{{"+1555", "1555"}}, nil},
		{"booleanMatch",
			[][2]string{{"TRUE", "TRUE"}, {"FALSE", "FALSE"}},
			[][2]string{{"TRUE", "FALSE"}}, []string{"true", "True", "yes", ""}},
		{"integerMatch",
			[][2]string{{"10", "10"}, {"-5", "-5"}, {"0", "0"}},
			[][2]string{{"10", "-10"}, {"1", "10"}, {"0", "-1"}}, []string{"01", "-0", "+1", "", " 1", "1e3"}},
		{"generalizedTimeMatch",
			[][2]string{{"20240101120000+0100", "20240101110000Z"}, {"2024010112Z", "20240101120000.000Z"},
				{"2024010112.5Z", "20240101123000Z"}, {"202401011230.5Z", "20240101123030Z"},
				{"20240101120000,25Z", "20240101120000.250Z"}, {"20240101000000+0130", "20231231223000Z"},
				{"20240101120000-05", "20240101170000Z"}, {"20241231235960Z", "20250101000000Z"}},
			[][2]string{{"20240101120000Z", "20240101120000.000000000001Z"}, {"20240101120000Z", "20240101120001Z"}},
			[]string{"20240101120000", "2024-01-01", "00000101000000+0100"}},
		{"octetStringMatch",
			[][2]string{{"\x00ab", "\x00ab"}},
			[][2]string{{"a", "A"}, {"a ", "a"}}, nil},
		{"bitStringMatch",
			[][2]string{{"'0101'B", "'0101'B"}},
			[][2]string{{"'0101'B", "'101'B"}}, []string{"0101"}},
		{"objectIdentifierMatch",
			[][2]string{{"cn", "2.5.4.3"}, {"CN", "commonName"}, {"jammMailAccount", "1.3.6.1.4.1.12461.1.2.2"},
				{"top", "2.5.6.0"}, {"unknownName", "UNKNOWNNAME"}},
			[][2]string{{"cn", "sn"}, {"2.5.4.3", "2.5.4.4"}}, []string{"2.5.04.3", "a_b", ""}},
		{"distinguishedNameMatch",
			[][2]string{{"CN=Foo, DC=Example", "cn=foo,dc=example"}, {"", " "}},
			[][2]string{{"cn=foo", "cn=bar"}}, []string{"foo", "nosuch=x"}},
		{"uniqueMemberMatch",
			[][2]string{{"CN=Foo#'0101'B", "cn=foo#'0101'B"}, {"cn=Foo", "CN=foo"}},
			[][2]string{{"cn=foo#'0101'B", "cn=foo"}, {"cn=foo#'01'B", "cn=foo#'10'B"}}, []string{"foo#'01'B"}},
		{"caseIgnoreListMatch",
			[][2]string{{"Foo  Bar$Baz", "foo bar$BAZ"}, {`a\24b$c`, `A\24B$C`}, {`a\5cb`, `a\5Cb`}},
			[][2]string{{"a$b", "a b"}, {"a$b", `a\24b`}, {"a$b", "a$b$"}}, []string{`a\x`}},
		{"UUIDMatch",
			[][2]string{{"8BD5E7A2-1B2C-4D5E-8F90-123456789ABC", "8bd5e7a2-1b2c-4d5e-8f90-123456789abc"}},
			[][2]string{{"8bd5e7a2-1b2c-4d5e-8f90-123456789abc", "8bd5e7a2-1b2c-4d5e-8f90-123456789abd"}},
			[]string{"8bd5e7a21b2c4d5e8f90123456789abc"}},
		{"objectIdentifierFirstComponentMatch",
			[][2]string{{"( 2.5.4.3 NAME 'cn' )", "cn"}, {"( 2.5.4.3 NAME 'cn' )", "2.5.4.3"}},
			[][2]string{{"( 2.5.4.3 NAME 'cn' )", "2.5.4.4"}}, []string{"( x"}},
		{"integerFirstComponentMatch",
			[][2]string{{"( 1 NAME 'r' FORM f )", "1"}},
			[][2]string{{"( 1 NAME 'r' )", "2"}}, []string{"x"}},
		{"CSNMatch",
			[][2]string{{"20240101120000.123456Z#000000#ABC#000000", "20240101120000.123456Z#000000#abc#000000"}},
			nil, []string{"x"}},
		{"CSNSIDMatch",
			[][2]string{{"ABC", "abc"}, {"20240101120000.123456Z#000000#abc#000000", "ABC"}}, nil, []string{"1000"}},
		{"rdnMatch", [][2]string{{"CN=Foo", "cn=foo"}}, nil, []string{"x"}},
		{"authzMatch", [][2]string{{"dn:CN=Foo", "dn.exact:cn=foo"}, {"u:bar", "u:bar"}}, nil, []string{"x"}},
		{"presentationAddressMatch", [][2]string{{"A", "a"}}, nil, nil},
		{"protocolInformationMatch", [][2]string{{"A", "a"}}, nil, nil},
		{"directoryStringFirstComponentMatch", [][2]string{{"A", "a"}}, nil, nil},
	}
	for _, tc := range tests {
		for _, p := range tc.equal {
			a, err1 := norm1(t, tc.rule, env, p[0])
			b, err2 := norm1(t, tc.rule, env, p[1])
			if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
				t.Errorf("%s: %q (%q, %v) should equal %q (%q, %v)", tc.rule, p[0], a, err1, p[1], b, err2)
			}
		}
		for _, p := range tc.diff {
			a, err1 := norm1(t, tc.rule, env, p[0])
			b, err2 := norm1(t, tc.rule, env, p[1])
			if err1 != nil || err2 != nil || bytes.Equal(a, b) {
				t.Errorf("%s: %q (%q, %v) should differ from %q (%q, %v)", tc.rule, p[0], a, err1, p[1], b, err2)
			}
		}
		for _, v := range tc.bad {
			if out, err := norm1(t, tc.rule, env, v); err == nil {
				t.Errorf("%s: %q should not normalize, got %q", tc.rule, v, out)
			}
		}
	}
}

func TestCanonicalForms(t *testing.T) {
	tests := []struct{ rule, in, want string }{
		{"caseIgnoreMatch", "  Foo   BAR  ", "foo bar"},
		{"caseIgnoreMatch", "   ", " "},
		{"caseExactMatch", "\tFoo\n Bar\r", "Foo Bar"},
		{"caseIgnoreIA5Match", "User@Example.COM", "user@example.com"},
		{"numericStringMatch", " 1 2 3 ", "123"},
		{"telephoneNumberMatch", "+49 (0)30 - 1234", "+49(0)301234"},
		{"generalizedTimeMatch", "20240101120000+0100", "20240101110000.000000000Z"},
		{"generalizedTimeMatch", "19700101000000.1234567891Z", "19700101000000.1234567891Z"},
		{"generalizedTimeMatch", "2024010112.1Z", "20240101120600.000000000Z"},
		{"generalizedTimeMatch", "2024010112.0001Z", "20240101120000.360000000Z"},
		{"objectIdentifierMatch", "CN", "2.5.4.3"},
		{"caseIgnoreListMatch", `  Foo $ B\24r\5c `, `foo$b\24r\5C`},
		{"UUIDMatch", "8BD5E7A2-1B2C-4D5E-8F90-123456789ABC", "8bd5e7a2-1b2c-4d5e-8f90-123456789abc"},
		{"uniqueMemberMatch", "CN=X, DC=Y#'1'B", "cn=x,dc=y#'1'B"},
	}
	for _, tc := range tests {
		got, err := LookupRule(tc.rule).Normalize(fakeEnv{}, []byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("%s.Normalize(%q) = %q, %v; want %q", tc.rule, tc.in, got, err, tc.want)
		}
	}
}

func TestNilEnv(t *testing.T) {
	if _, err := LookupRule("distinguishedNameMatch").Normalize(nil, []byte("cn=x")); err != ErrNoEnv {
		t.Errorf("DN with nil env: %v", err)
	}
	got, err := LookupRule("objectIdentifierMatch").Normalize(nil, []byte("Top"))
	if err != nil || string(got) != "top" {
		t.Errorf("OID with nil env: %q %v", got, err)
	}
}

func TestOrdering(t *testing.T) {
	tests := []struct {
		rule string
		// ascending; "=" marks a value equal to the previous one, "~" one
		// whose canonical form need not sort bytewise after the previous
		// (generalizedTime beyond nanoseconds)
		sorted []string
	}{
		{"integerOrderingMatch", []string{"-1000", "-999", "-10", "-9", "-2", "-1", "0", "1", "2", "9", "10", "99", "100",
			"123456789012345678901234567890"}},
		{"generalizedTimeOrderingMatch", []string{"00000101000000Z", "19700101000000Z", "20240101110000Z",
			"=20240101120000+0100", "~20240101110000.0000000001Z", "20240101110000.1Z", "20240101110000.10001Z",
			"20240101110000.5Z", "202401011101Z", "20240101110100.5Z", "2024010112Z", "99991231235959.9Z"}},
		{"caseIgnoreOrderingMatch", []string{"A", "=a", "ab", "B", "b c", "bc", "é"}},
		{"caseExactOrderingMatch", []string{"B", "a"}},
		{"numericStringOrderingMatch", []string{"1", "10", "2"}},
		{"octetStringOrderingMatch", []string{"", "\x00", "a", "ab", "b"}},
		{"UUIDOrderingMatch", []string{"00000000-0000-0000-0000-000000000000", "=00000000-0000-0000-0000-000000000000",
			"0000000A-0000-0000-0000-000000000000", "ffffffff-0000-0000-0000-000000000000"}},
		{"CSNOrderingMatch", []string{"20240101120000.123456Z#000000#000#000000", "20240101120000.123456Z#000001#000#000000",
			"20240101120000.123457Z#000000#000#000000"}},
	}
	for _, tc := range tests {
		r := LookupRule(tc.rule)
		var prev []byte
		for i, s := range tc.sorted {
			eq := strings.HasPrefix(s, "=")
			subNs := strings.HasPrefix(s, "~")
			s = strings.TrimLeft(s, "=~")
			cur, err := r.Normalize(fakeEnv{}, []byte(s))
			if err != nil {
				t.Errorf("%s: %q: %v", tc.rule, s, err)
				continue
			}
			if i > 0 {
				c := r.Compare(prev, cur)
				want := -1
				if eq {
					want = 0
				}
				if c != want {
					t.Errorf("%s: Compare(%q, %q) = %d, want %d", tc.rule, tc.sorted[i-1], s, c, want)
				}
				if bc := bytes.Compare(prev, cur); bc != want && !subNs {
					t.Errorf("%s: canonical forms of %q and %q do not sort bytewise", tc.rule, tc.sorted[i-1], s)
				}
			}
			prev = cur
		}
	}
}

func TestSubstrings(t *testing.T) {
	type sub struct {
		initial string
		any     []string
		final   string
	}
	tests := []struct {
		rule  string
		value string
		s     sub
		want  bool
	}{
		{"caseIgnoreSubstringsMatch", "Foo Bar", sub{"foo", nil, ""}, true},
		{"caseIgnoreSubstringsMatch", "Foo Bar", sub{"", []string{"O B"}, ""}, true},
		{"caseIgnoreSubstringsMatch", "Foo Bar", sub{"", []string{"o  b"}, ""}, true},
		{"caseIgnoreSubstringsMatch", "Foo Bar", sub{"", nil, "BAR"}, true},
		{"caseIgnoreSubstringsMatch", "Foo Bar", sub{"foo", nil, "bar"}, true},
		{"caseIgnoreSubstringsMatch", "Foo Bar", sub{"foo b", nil, "bar"}, false}, // overlap
		{"caseIgnoreSubstringsMatch", "Foo Bar", sub{"bar", nil, ""}, false},
		// RFC 4518 2.6.1 edge spaces
		{"caseIgnoreSubstringsMatch", "foo", sub{"foo ", nil, ""}, true},
		{"caseIgnoreSubstringsMatch", "foobar", sub{"foo ", nil, ""}, false},
		{"caseIgnoreSubstringsMatch", "foo bar", sub{"foo ", nil, ""}, true},
		{"caseIgnoreSubstringsMatch", "foo bar", sub{"", []string{"foo ", " bar"}, ""}, true},
		{"caseIgnoreSubstringsMatch", "foobar", sub{"", []string{"foo ", " bar"}, ""}, false},
		{"caseIgnoreSubstringsMatch", "bar", sub{"", nil, " bar"}, true},
		{"caseIgnoreSubstringsMatch", "foobar", sub{"", nil, " bar"}, false},
		{"caseIgnoreSubstringsMatch", "foo", sub{"  ", nil, ""}, true},
		{"caseIgnoreSubstringsMatch", "foo", sub{"", []string{" "}, ""}, true},
		{"caseIgnoreSubstringsMatch", "foo", sub{"foo ", []string{" "}, ""}, false},
		{"caseIgnoreSubstringsMatch", "foo bar", sub{"foo ", []string{" "}, ""}, true},
		{"caseIgnoreSubstringsMatch", "Straße", sub{"STRASS", nil, ""}, true},
		{"caseExactSubstringsMatch", "Foo Bar", sub{"foo", nil, ""}, false},
		{"caseExactSubstringsMatch", "Foo Bar", sub{"Foo", nil, ""}, true},
		{"caseIgnoreIA5SubstringsMatch", "User@Example.COM", sub{"user", []string{"@"}, ".com"}, true},
		{"caseIgnoreIA5SubstringsMatch", "foobar", sub{"foo ", nil, ""}, false},
		{"caseExactIA5SubstringsMatch", "User@Example.COM", sub{"user", nil, ""}, false},
		{"numericStringSubstringsMatch", "12 34 56", sub{"1 2", []string{"4 5"}, "6"}, true},
		{"telephoneNumberSubstringsMatch", "+1 555-1234", sub{"", []string{"5-5"}, ""}, true},
		{"telephoneNumberSubstringsMatch", "+1 555-1234", sub{"+1555", nil, "34"}, true},
		{"octetStringSubstringsMatch", "a  b", sub{"", []string{"a ", " b"}, ""}, true},
		{"octetStringSubstringsMatch", "a b", sub{"", []string{"a ", " b"}, ""}, false},
		{"caseIgnoreListSubstringsMatch", "Foo  Bar$Baz", sub{"", []string{"r"}, ""}, true},
		{"caseIgnoreListSubstringsMatch", "Foo  Bar$Baz", sub{"", []string{"bar$baz"}, ""}, false},
		{"caseIgnoreListSubstringsMatch", "Foo  Bar$Baz", sub{"", []string{"bar "}, ""}, true},
		{"caseIgnoreListSubstringsMatch", "Foo  Bar$Baz", sub{"", []string{" baz"}, ""}, true},
		{"caseIgnoreListSubstringsMatch", `A\24B$C`, sub{"a$b", nil, ""}, true},
	}
	for _, tc := range tests {
		r := LookupRule(tc.rule)
		v, err := r.Normalize(nil, []byte(tc.value))
		if err != nil {
			t.Fatalf("%s: %q: %v", tc.rule, tc.value, err)
		}
		piece := func(s string, pos SubPos) []byte {
			if s == "" {
				return nil
			}
			p, err := r.NormalizeSubstring(nil, []byte(s), pos)
			if err != nil {
				t.Fatalf("%s: piece %q: %v", tc.rule, s, err)
			}
			return p
		}
		var anys [][]byte
		for _, a := range tc.s.any {
			anys = append(anys, piece(a, SubAny))
		}
		got := r.MatchSubstrings(v, piece(tc.s.initial, SubInitial), anys, piece(tc.s.final, SubFinal))
		if got != tc.want {
			t.Errorf("%s: %q against %+v = %v, want %v", tc.rule, tc.value, tc.s, got, tc.want)
		}
	}
}

func TestSubstringPieces(t *testing.T) {
	r := LookupRule("caseIgnoreSubstringsMatch")
	tests := []struct {
		in   string
		pos  SubPos
		want string
	}{
		{"  Foo  Bar  ", SubInitial, "foo bar "},
		{"  Foo  Bar  ", SubAny, " foo bar "},
		{"  Foo  Bar  ", SubFinal, " foo bar"},
		{"Foo", SubAny, "foo"},
		{"   ", SubInitial, ""},
		{"   ", SubAny, " "},
		{"   ", SubFinal, ""},
	}
	for _, tc := range tests {
		got, err := r.NormalizeSubstring(nil, []byte(tc.in), tc.pos)
		if err != nil || string(got) != tc.want {
			t.Errorf("piece(%q, %v) = %q, %v; want %q", tc.in, tc.pos, got, err, tc.want)
		}
	}
	if _, err := r.NormalizeSubstring(nil, []byte("x"), 0); err == nil {
		t.Error("position 0 accepted")
	}
}

func TestMatchSubstringsPlain(t *testing.T) {
	tests := []struct {
		v, i string
		a    []string
		f    string
		want bool
	}{
		{"abcdef", "ab", []string{"cd"}, "ef", true},
		{"abcdef", "abc", []string{"cd"}, "ef", false},
		{"abc", "abc", nil, "c", false},
		{"abcabc", "", []string{"bc", "ab"}, "c", true},
		{"", "", nil, "", true},
		{"abc", "", []string{""}, "", true},
	}
	for _, tc := range tests {
		var a [][]byte
		for _, s := range tc.a {
			a = append(a, []byte(s))
		}
		if got := MatchSubstrings([]byte(tc.v), []byte(tc.i), a, []byte(tc.f)); got != tc.want {
			t.Errorf("MatchSubstrings(%q, %q, %q, %q) = %v", tc.v, tc.i, tc.a, tc.f, got)
		}
	}
}

func TestParseSubstringAssertion(t *testing.T) {
	i, a, f, err := ParseSubstringAssertion([]byte(`a\2Ab*c*\5Cd*e`))
	if err != nil || string(i) != "a*b" || len(a) != 2 || string(a[0]) != "c" || string(a[1]) != `\d` || string(f) != "e" {
		t.Errorf("got %q %q %q %v", i, a, f, err)
	}
	i, a, f, err = ParseSubstringAssertion([]byte("*x"))
	if err != nil || i != nil || a != nil || string(f) != "x" {
		t.Errorf("got %q %q %q %v", i, a, f, err)
	}
}

func TestWordAndBitRules(t *testing.T) {
	tests := []struct {
		rule, value, assertion string
		want                   bool
	}{
		{"wordMatch", "The Quick  Fox", "quick", true},
		{"wordMatch", "The Quick Fox", "qui", false},
		{"keywordMatch", "The Quick Fox", "QUICK FOX", true},
		{"keywordMatch", "The Quick Fox", "he", false},
		{"integerBitAndMatch", "7", "5", true},
		{"integerBitAndMatch", "6", "5", false},
		{"integerBitOrMatch", "6", "5", true},
		{"integerBitOrMatch", "2", "5", false},
		{"caseIgnoreMatch", "Foo", "FOO", true},
	}
	for _, tc := range tests {
		got, err := LookupRule(tc.rule).Matches(nil, []byte(tc.value), []byte(tc.assertion))
		if err != nil || got != tc.want {
			t.Errorf("%s(%q, %q) = %v, %v; want %v", tc.rule, tc.value, tc.assertion, got, err, tc.want)
		}
	}
	if _, err := LookupRule("booleanMatch").Matches(nil, []byte("TRUE"), []byte("true")); err == nil {
		t.Error("booleanMatch with assertion 'true' should be Undefined")
	}
}

func TestApprox(t *testing.T) {
	keys := ApproxKey(nil, []byte("Robert  Müller-Lüdenscheidt 42"))
	var ks []string
	for _, k := range keys {
		ks = append(ks, string(k))
	}
	if want := []string{"r163", "m460", "l352", "=42"}; !slices.Equal(ks, want) {
		t.Errorf("ApproxKey = %q, want %q", ks, want)
	}
	tests := []struct {
		value, assertion string
		want             bool
	}{
		{"foo", "fo", true},
		{"foo bar", "foe bar", true},
		{"foo bar", "bar", true},
		{"foo bar", "bar foo", true},
		{"Robert Smith", "rupert smyth", true},
		{"Robert Smith", "robert jones", false},
		{"José", "jose", true},
		{"foo", "", false},
		{"foo", "  ", false},
		{"Tymczak", "t522", false},
		{"Pfister", "pfister", true},
	}
	for _, tc := range tests {
		if got := ApproxMatch(nil, []byte(tc.value), []byte(tc.assertion)); got != tc.want {
			t.Errorf("ApproxMatch(%q, %q) = %v", tc.value, tc.assertion, got)
		}
	}
	codes := map[string]string{"robert": "r163", "rupert": "r163", "rubin": "r150", "ashcraft": "a261",
		"tymczak": "t522", "pfister": "p236", "a": "a000", "lee": "l000"}
	for w, c := range codes {
		if got := string(soundex([]byte(w))); got != c {
			t.Errorf("soundex(%s) = %s, want %s", w, got, c)
		}
	}
}

func TestCertificateRules(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(4660), Subject: pkix.Name{CommonName: "Test CA"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCRLSign | x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		NextUpdate: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}, ca, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := LookupSyntax(synCertificate).Check(nil, der); err != nil {
		t.Errorf("certificate: %v", err)
	}
	if err := LookupSyntax(synCertificate).Check(nil, der[:len(der)-1]); err == nil {
		t.Error("truncated certificate accepted")
	}
	if err := LookupSyntax(synCertList).Check(nil, crl); err != nil {
		t.Errorf("CRL: %v", err)
	}
	tests := []struct {
		rule      string
		value     []byte
		assertion string
		want      bool
	}{
		{"certificateExactMatch", der, `{ serialNumber 4660, issuer rdnSequence:"CN=Test CA" }`, true},
		{"certificateExactMatch", der, `{serialNumber 4660,issuer "cn=test ca"}`, true},
		{"certificateExactMatch", der, `{ serialNumber 4661, issuer rdnSequence:"cn=test ca" }`, false},
		{"certificateListExactMatch", crl, `{ issuer rdnSequence:"cn=Test CA", thisUpdate "20240101000000Z" }`, true},
		{"certificateListExactMatch", crl, `{ issuer rdnSequence:"cn=Test CA", thisUpdate utcTime:"240101010000+0100" }`, true},
		{"certificateListExactMatch", crl, `{ issuer rdnSequence:"cn=Test CA", thisUpdate "20240102000000Z" }`, false},
	}
	for _, tc := range tests {
		got, err := LookupRule(tc.rule).Matches(fakeEnv{}, tc.value, []byte(tc.assertion))
		if err != nil || got != tc.want {
			t.Errorf("%s(%q) = %v, %v; want %v", tc.rule, tc.assertion, got, err, tc.want)
		}
	}
}
