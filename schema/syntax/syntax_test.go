package syntax

import (
	"errors"
	"strings"
	"testing"
)

func TestValidators(t *testing.T) {
	tests := []struct {
		oid     string
		valid   []string
		invalid []string
	}{
		{synDirString, []string{"x", " ", "é", "\x01", "a\tb", "Ünïcödé 漢字"}, []string{"", "\xff", "a\xc3"}},
		{synIA5, []string{"abc", " ", "a\tb", "a  b", "Foo.Bar@example.com"}, []string{"", "é", "\x80"}},
		{synPrintable, []string{"Abc 09'()+,-./:?=", " "}, []string{"", "a*b", "a@b", "a_b", "é", `a"b`, "a!b"}},
		{synNumeric, []string{"123", "1 2 3", " "}, []string{"", "12a", "-1"}},
		{synBoolean, []string{"TRUE", "FALSE"}, []string{"true", "True", " TRUE", "TRUE ", "", "yes", "1"}},
		{synInteger, []string{"0", "-1", "1", "10", "123456789012345678901234567890", "-42"},
			[]string{"-0", "01", "+1", " 1", "1 ", "-", "", "1.5", "0x10", "--1", "00"}},
		{synGenTime, []string{"20240101120000Z", "2024010112Z", "202401011200Z", "20240101120000.5Z",
			"20240101120000,5Z", "2024010112.5Z", "20240101120000+0100", "20240101120000-05",
			"20240229120000Z", "20240101235960Z", "00000101000000Z", "19700101000000.123456789Z", "20000229000000Z"},
			[]string{"20230229120000Z", "20240431120000Z", "20240101126000Z", "20240101120000", "20240101120000.Z",
				"20241301000000Z", "20240100000000Z", "20240101240000Z", "20240101120000+2400",
				"20240101120000+0160", "19000229000000Z", "2024010112000Z", "20240101120000+1", "", "2024"}},
		{synOID, []string{"2.5.4.3", "2", "1.2.3", "cn", "top", "Cn-1", "jammMailAccount"},
			[]string{"", "2.5.04.3", "2.", ".2", "a_b", "1a", "-a", "a.b"}},
		{synBitString, []string{"'0101'B", "''B", "'1'B"}, []string{"'012'B", "0101", "'0101'b", "'0101'", "B", ""}},
		{synPostal, []string{"a$b", `a\24b$c\5Cd`, "$", "a$", "a$$b", `a\5cb`, " $b", "x"}, []string{`a\x`, `a\`, `a\2`, "", "\xff"}},
		{synCountry, []string{"US", "us", "DE"}, []string{"USA", "U", "U*", ""}},
		{synNameUID, []string{"cn=foo,dc=example,dc=com", "cn=foo#'0101'B", "cn=foo#0101", "#'01'B", "cn=foo", ""},
			[]string{"foo", "foo#'01'B", "=x"}},
		{synUUID, []string{"8bd5e7a2-1b2c-4d5e-8f90-123456789abc", "8BD5E7A2-1B2C-4D5E-8F90-123456789ABC"},
			[]string{"8bd5e7a21b2c4d5e8f90123456789abc", "8bd5e7a2-1b2c-4d5e-8f90-123456789abg", ""}},
		{oidPrefix + "22", []string{"+1 555", "+1 555$twoDimensional", "+1 555$fineResolution$a4Width", "+1$bogus"},
			[]string{"a@b", "$a4Width", "+1$", ""}},
		{oidPrefix + "39", []string{"smtp$a@b", "smtp", "$a", "a$", "sm tp$x"}, []string{"é$x", "a$é", ""}},
		{oidPrefix + "52", []string{"123$US$abc", "123$US", "a$b$c$d"}, []string{"$$", "", "a@b$US$x"}},
		{oidPrefix + "14", []string{"any", "telephone $ g3fax", "ANY", "mhs$physical"}, []string{"bogus", "", "any$"}},
		{"1.3.6.1.1.1.0.0", []string{"(host,user,domain)", "(,,)", "(-,user,)"},
			[]string{"host,user,domain", "(a,b)", "( a , b , c )", "(a,b,c,d)", ""}},
		{"1.3.6.1.1.1.0.1", []string{"key=server:/path", "key=server:", "key=:/p"}, []string{"bogus", "=s:/p", "key=server", ""}},
		{synDN, []string{"", "cn=foo", "cn=foo,dc=example,dc=com", "CN = Foo , DC=x", "cn=a\\,b", "cn=#04024869",
			"cn=a+sn=b,dc=x", "cn=foo;dc=x", `cn="a,b",dc=x`, "2.5.4.3=x", "oid.2.5.4.3=x", "cn=foo#0101", "cn="},
			[]string{"foo", "cn=foo,", ",cn=foo", "=x", "cn=#zz", "cn=a\\", "c_n=x", "cn=\"abc", "\xff=x"}},
		{synRDN, []string{"cn=foo", "cn=foo+sn=bar"}, []string{"cn=foo,dc=x", "", "foo"}},
		{synCSN, []string{"20240101120000.123456Z#000000#000#000000", "20240101120000.123456Z#000000#ABC#000000"},
			[]string{"20240101120000Z#000000#000#000000", "20240101120000.123456Z#000000#00#000000",
				"20240101120000.123456Z#000000#000#00000", "20241301120000.123456Z#000000#000#000000", ""}},
		{synSID, []string{"000", "abc", "ABC", "fff"}, []string{"1000", "0", "", "xyz"}},
		{synAuthz, []string{"dn:cn=foo", "u:bar", "dn.exact:cn=x", "*", "group/groupOfNames/member=cn=g", "ldap:///dc=x??sub?(uid=y)"},
			[]string{"x", "", "dn.exact"}},
		{synSubstring, []string{"a*b", "*a", "a*", "a*b*c", `a\2Ab*c`, "*a*"}, []string{"abc", "*", "a**b", `a\2*`, "**", ""}},
		{oidPrefix + "3", []string{"( 2.5.4.3 NAME 'cn' SUP name )", "(2.5.4.3)", "( 1.2.3 DESC 'a (b' )"},
			[]string{"2.5.4.3", "( cn NAME 'x' )", "( 2.5.4.3 NAME 'cn' ", "( 2.5.4.3 ))", ""}},
		{oidPrefix + "17", []string{"( 1 NAME 'x' FORM y )", "( 0 )"}, []string{"( 2.5 )", "( -1 )", "( 01 )"}},
		{oidPrefix + "37", []string{"( 2.5.6.0 NAME 'top' ABSTRACT MUST objectClass )"}, []string{"( top )"}},
		{oidPrefix + "54", []string{"( 1.3.6.1.4.1.1466.115.121.1.15 DESC 'Directory String' )"}, []string{"x"}},
		{oidPrefix + "30", []string{"( 2.5.13.2 NAME 'caseIgnoreMatch' SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )"}, []string{"()"}},
		{oidPrefix + "31", []string{"( 2.5.13.2 APPLIES cn )"}, []string{""}},
		{oidPrefix + "40", []string{"", "anything\x00\xff"}, nil},
		{oidPrefix + "5", []string{"", "\x00\xff"}, nil},
		{oidPrefix + "28", []string{"x"}, nil},
		{oidPrefix + "4", []string{"x"}, nil},
		{oidPrefix + "45", []string{"x", "{}"}, nil},
		{oidPrefix + "10", []string{"\x30\x00"}, []string{"x", "\x30\x00\x00"}},
		{synCertExact, []string{`{ serialNumber 4660, issuer rdnSequence:"cn=test" }`, `{serialNumber -3,issuer "cn=x"}`},
			[]string{"x", `{ serialNumber x, issuer rdnSequence:"cn=test" }`, `{ serialNumber 1 }`, `{ serialNumber 1, issuer rdnSequence:"cn=t" } x`}},
		{synCRLExact, []string{`{ issuer rdnSequence:"cn=test", thisUpdate "20240101000000Z" }`,
			`{ issuer rdnSequence:"cn=test", thisUpdate utcTime:"240101000000Z" }`},
			[]string{"x", `{ issuer rdnSequence:"cn=test", thisUpdate "x" }`}},
	}
	for _, tc := range tests {
		s := LookupSyntax(tc.oid)
		if s == nil {
			t.Errorf("syntax %s not registered", tc.oid)
			continue
		}
		for _, v := range tc.valid {
			if err := s.Check(nil, []byte(v)); err != nil {
				t.Errorf("%s (%s): %q should be valid: %v", s.Desc, tc.oid, v, err)
			}
		}
		for _, v := range tc.invalid {
			err := s.Check(nil, []byte(v))
			if err == nil {
				t.Errorf("%s (%s): %q should be invalid", s.Desc, tc.oid, v)
			} else if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: error %v does not wrap ErrInvalid", s.Desc, err)
			}
		}
	}
}

func TestValidateWithEnv(t *testing.T) {
	env := fakeEnv{}
	tests := []struct {
		oid   string
		value string
		ok    bool
	}{
		{synDN, "cn=foo,dc=example", true},
		{synDN, "nosuchattr=foo", false},
		{synDN, "", true},
		{synNameUID, "cn=foo#'0101'B", true},
		{synNameUID, "bogus=foo#'0101'B", false},
		{synRDN, "cn=foo", true},
		{synRDN, "cn=foo,dc=x", false},
		{synRDN, "bogus=x", false},
		{synBoolean, "TRUE", true}, // syntaxes without ValidateEnv use Validate
		{synBoolean, "true", false},
	}
	for _, tc := range tests {
		err := LookupSyntax(tc.oid).Check(env, []byte(tc.value))
		if (err == nil) != tc.ok {
			t.Errorf("Check(%s, %q) = %v, want ok=%v", tc.oid, tc.value, err, tc.ok)
		}
	}
}

func TestNoValidatorSyntaxes(t *testing.T) {
	for _, oid := range []string{oidPrefix + "25", oidPrefix + "21", oidPrefix + "23", oidPrefix + "42",
		oidPrefix + "43", oidPrefix + "51", oidPrefix + "19", oidPrefix + "33"} {
		s := LookupSyntax(oid)
		if s == nil {
			t.Fatalf("syntax %s missing", oid)
		}
		err := s.Validate([]byte("x"))
		if !errors.Is(err, ErrNoValidator) || !strings.Contains(err.Error(), "no validator for syntax "+oid) {
			t.Errorf("%s: got %v, want slapd's no-validator error", oid, err)
		}
	}
}

func TestSyntaxFlagsAndDefs(t *testing.T) {
	// As slapd 2.5 prints them in cn=Subschema.
	want := map[string]string{
		oidPrefix + "28": "( 1.3.6.1.4.1.1466.115.121.1.28 DESC 'JPEG' X-NOT-HUMAN-READABLE 'TRUE' )",
		oidPrefix + "8":  "( 1.3.6.1.4.1.1466.115.121.1.8 DESC 'Certificate' X-BINARY-TRANSFER-REQUIRED 'TRUE' X-NOT-HUMAN-READABLE 'TRUE' )",
		oidPrefix + "15": "( 1.3.6.1.4.1.1466.115.121.1.15 DESC 'Directory String' )",
		oidPrefix + "40": "( 1.3.6.1.4.1.1466.115.121.1.40 DESC 'Octet String' )",
	}
	for oid, def := range want {
		if got := LookupSyntax(oid).Def(); got != def {
			t.Errorf("Def(%s) = %q, want %q", oid, got, def)
		}
	}
	for _, oid := range []string{"4", "5", "8", "9", "10", "23", "28"} {
		if LookupSyntax(oidPrefix + oid).HumanReadable {
			t.Errorf("syntax .%s should be X-NOT-HUMAN-READABLE", oid)
		}
	}
	// The visible syntaxes, in slapd's order.
	wantOrder := []string{"4", "5", "6", "7", "8", "9", "10", "1.3.6.1.4.1.4203.666.11.10.2.1", "12",
		"1.2.36.79672281.1.5.0", "14", "15", "22", "24", "26", "27", "28", "34", "36", "38", "39", "40", "41",
		"44", "11", "45", "49", "50", "52", "1.3.6.1.1.1.0.0", "1.3.6.1.1.1.0.1", "1.3.6.1.1.16.1",
		"1.2.840.113549.1.8.1.1"}
	var got []string
	for _, s := range Syntaxes() {
		if !s.Hidden {
			got = append(got, strings.TrimPrefix(s.OID, oidPrefix))
		}
	}
	if strings.Join(got, " ") != strings.Join(wantOrder, " ") {
		t.Errorf("visible syntaxes\n got %v\nwant %v", got, wantOrder)
	}
}

func TestRuleOrderAndDefs(t *testing.T) {
	want := []string{"UUIDOrderingMatch", "UUIDMatch", "integerBitOrMatch", "integerBitAndMatch",
		"caseExactIA5SubstringsMatch", "caseIgnoreIA5SubstringsMatch", "caseIgnoreIA5Match", "caseExactIA5Match",
		"certificateListExactMatch", "certificateExactMatch", "objectIdentifierFirstComponentMatch",
		"integerFirstComponentMatch", "generalizedTimeOrderingMatch", "generalizedTimeMatch", "uniqueMemberMatch",
		"telephoneNumberSubstringsMatch", "telephoneNumberMatch", "octetStringSubstringsMatch",
		"octetStringOrderingMatch", "octetStringMatch", "bitStringMatch", "integerOrderingMatch", "integerMatch",
		"booleanMatch", "caseIgnoreListSubstringsMatch", "caseIgnoreListMatch", "numericStringSubstringsMatch",
		"numericStringOrderingMatch", "numericStringMatch", "caseExactSubstringsMatch", "caseExactOrderingMatch",
		"caseExactMatch", "caseIgnoreSubstringsMatch", "caseIgnoreOrderingMatch", "caseIgnoreMatch", "rdnMatch",
		"distinguishedNameMatch", "objectIdentifierMatch"}
	var got []string
	for _, r := range Rules() {
		if !r.Hidden {
			got = append(got, r.Name())
		}
		if (r.Kind == Ordering) != (r.Compare != nil) {
			t.Errorf("%s: Compare set iff ordering rule", r.Name())
		}
		if (r.Kind == Substrings) != (r.NormalizeSubstring != nil) {
			t.Errorf("%s: NormalizeSubstring set iff substrings rule", r.Name())
		}
		if LookupSyntax(r.Syntax) == nil {
			t.Errorf("%s: assertion syntax %s unknown", r.Name(), r.Syntax)
		}
		for _, s := range r.AttrSyntaxes {
			if LookupSyntax(s) == nil {
				t.Errorf("%s: attribute syntax %s unknown", r.Name(), s)
			}
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("visible rules\n got %v\nwant %v", got, want)
	}
	if d := LookupRule("caseignorematch").Def(); d != "( 2.5.13.2 NAME 'caseIgnoreMatch' SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )" {
		t.Errorf("Def = %q", d)
	}
	if LookupRule("2.5.13.2") != LookupRule("CASEIGNOREMATCH") || LookupRule("nosuchMatch") != nil {
		t.Error("LookupRule by OID/name")
	}
	if LookupSyntax("1.3.6.1.4.1.1466.115.121.1.53") != nil {
		t.Error("UTC Time is unknown to slapd 2.5")
	}
}

func TestAppliesTo(t *testing.T) {
	tests := []struct {
		rule, syntax string
		ok           bool
	}{
		{"caseIgnoreMatch", synDirString, true},
		{"caseIgnoreMatch", synPrintable, true},
		{"caseIgnoreMatch", synCountry, true},
		{"caseIgnoreMatch", synTelephone, true},
		{"caseIgnoreMatch", synIA5, false},
		{"caseIgnoreSubstringsMatch", synDirString, true},
		{"caseIgnoreSubstringsMatch", synSubstring, false},
		{"caseIgnoreIA5Match", synIA5, true},
		{"caseIgnoreIA5Match", synDirString, false},
		{"objectIdentifierFirstComponentMatch", oidPrefix + "54", true},
		{"integerFirstComponentMatch", oidPrefix + "17", true},
		{"integerBitAndMatch", synInteger, false},
		{"certificateExactMatch", synCertificate, true},
		{"CSNSIDMatch", synCSN, true},
	}
	for _, tc := range tests {
		if got := LookupRule(tc.rule).AppliesTo(tc.syntax); got != tc.ok {
			t.Errorf("%s.AppliesTo(%s) = %v, want %v", tc.rule, tc.syntax, got, tc.ok)
		}
	}
}
