package ldapwire

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	ctrl := func(typ string, rest ...[]byte) []byte { return seq(append([][]byte{str(typ)}, rest...)...) }
	tests := []struct {
		name string
		pdu  []byte
		want string
	}{
		{"simple bind", msg(1, tl(0x60, num(3), str("cn=admin,dc=example"), prim(0x80, "secret"))),
			`1 BindRequest v=3 name="cn=admin,dc=example" method=0 pw="secret"`},
		{"anonymous bind (libldap capture)", golden(t, "ldapsearch_bind.hex"),
			`1 BindRequest v=3 name="" method=0 pw=""`},
		{"sasl bind with credentials", msg(2, tl(0x60, num(3), str(""), tl(0xa3, str("PLAIN"), str("\x00u\x00p")))),
			`2 BindRequest v=3 name="" method=3 mech="PLAIN" creds="\x00u\x00p"`},
		{"sasl bind without credentials", msg(2, tl(0x60, num(3), str(""), tl(0xa3, str("EXTERNAL")))),
			`2 BindRequest v=3 name="" method=3 mech="EXTERNAL"`},
		{"bind with unknown auth choice", msg(3, tl(0x60, num(3), str("cn=x"), prim(0x81, "krb"))),
			`3 BindRequest v=3 name="cn=x" method=1`},
		{"bind v2", msg(4, tl(0x60, num(2), str("cn=x"), prim(0x80, "p"))),
			`4 BindRequest v=2 name="cn=x" method=0 pw="p"`},
		{"bind with trailing extension ignored", msg(5, tl(0x60, num(3), str("cn=x"), prim(0x80, "p"), str("ext"))),
			`5 BindRequest v=3 name="cn=x" method=0 pw="p"`},
		{"unbind", msg(9, []byte{0x42, 0}), `9 UnbindRequest`},
		{"postfix search (postmap capture)", golden(t, "postfix_search.hex"),
			`1 SearchRequest base="o=hosting,dc=myhosting,dc=example" scope=2 deref=0 size=0 time=10 typesOnly=false filter=(&(objectClass=JammMailAccount)(mail=a\2ab@example.com)(accountActive=TRUE)(delete=FALSE)) attrs=["mailbox"]`},
		{"ldapsearch search (capture)", golden(t, "ldapsearch_search.hex"),
			`2 SearchRequest base="o=hosting,dc=myhosting,dc=example" scope=2 deref=0 size=100 time=0 typesOnly=false filter=(&(objectClass=JammMailAccount)(mail=a\2ab@example.com)(accountActive=TRUE)(delete=FALSE)) attrs=["mailbox"]`},
		{"search all filter kinds", msg(7, tl(0x63, str("dc=x"), enum(1), enum(3), num(500), num(3600), boolean(0x01),
			tl(0xa1,
				tl(0xa2, prim(0x87, "cn")),
				tl(0xa4, str("cn"), seq(prim(0x80, "a"), prim(0x81, "b"), prim(0x81, "c"), prim(0x82, "d"))),
				tl(0xa4, str("sn"), seq(prim(0x81, "x"))),
				tl(0xa4, str("sn"), seq(prim(0x82, "(x)"))),
				tl(0xa5, str("uidNumber"), str("1000")),
				tl(0xa6, str("uidNumber"), str("2000")),
				tl(0xa8, str("cn"), str("jon")),
				tl(0xa9, prim(0x81, "caseExactMatch"), prim(0x82, "cn"), prim(0x83, "J*"), prim(0x84, "\x01")),
				tl(0xa9, prim(0x81, "2.5.13.2"), prim(0x83, "x")),
				tl(0xa0),
				tl(0xa1),
				prim(0x8a, "future"),
			), seq(str("cn"), str("+"), str("*"))),
			[]byte{0xa0, 0}),
			`7 SearchRequest base="dc=x" scope=1 deref=3 size=500 time=3600 typesOnly=true filter=(|(!(cn=*))(cn=a*b*c*d)(sn=*x*)(sn=*\28x\29)(uidNumber>=1000)(uidNumber<=2000)(cn~=jon)(cn:dn:caseExactMatch:=J\2a)(:2.5.13.2:=x)(&)(|)(?=undefined)) attrs=["cn" "+" "*"]`},
		{"search scope children", msg(8, searchReq(prim(0x87, "objectClass")), nil),
			`8 SearchRequest base="dc=example" scope=2 deref=0 size=0 time=0 typesOnly=false filter=(objectClass=*) attrs=[]`},
		{"modify all operations", msg(10, tl(0x66, str("uid=a,dc=x"), seq(
			seq(enum(0), seq(str("mail"), set(str("a@x"), str("b@x")))),
			seq(enum(1), seq(str("description"), set())),
			seq(enum(2), seq(str("userPassword"), set(str("{SSHA}x")))),
			seq(enum(3), seq(str("uidNumber"), set(str("1")))),
		))),
			`10 ModifyRequest object="uid=a,dc=x" [0 mail ["a@x" "b@x"]] [1 description []] [2 userPassword ["{SSHA}x"]] [3 uidNumber ["1"]]`},
		{"add", msg(11, tl(0x68, str("cn=n,dc=x"), seq(
			seq(str("objectClass"), set(str("top"), str("person"))),
			seq(str("cn"), set(str("n"))),
		))),
			`11 AddRequest entry="cn=n,dc=x" [objectClass ["top" "person"]] [cn ["n"]]`},
		{"delete", msg(12, prim(0x4a, "cn=n,dc=x")), `12 DelRequest dn="cn=n,dc=x"`},
		{"modrdn", msg(13, tl(0x6c, str("cn=a,dc=x"), str("cn=b"), boolean(0xff))),
			`13 ModifyDNRequest entry="cn=a,dc=x" newrdn="cn=b" deleteold=true`},
		{"modrdn newSuperior", msg(13, tl(0x6c, str("cn=a,dc=x"), str("cn=b"), boolean(0), prim(0x80, "dc=y"))),
			`13 ModifyDNRequest entry="cn=a,dc=x" newrdn="cn=b" deleteold=false newsup="dc=y"`},
		{"compare", msg(14, tl(0x6e, str("cn=a,dc=x"), seq(str("sn"), str("Doe")))),
			`14 CompareRequest entry="cn=a,dc=x" sn="Doe"`},
		{"abandon", msg(15, integer(0x50, 7)), `15 AbandonRequest abandon=7`},
		{"abandon non-minimal int", msg(15, tl(0x50, []byte{0, 0, 0, 7})), `15 AbandonRequest abandon=7`},
		{"abandon negative", msg(15, integer(0x50, -3)), `15 AbandonRequest abandon=-3`},
		{"abandon empty", msg(15, tl(0x50)), `15 AbandonRequest abandon=0`},
		{"extended starttls", msg(16, tl(0x77, prim(0x80, OIDStartTLS))), `16 ExtendedRequest name=1.3.6.1.4.1.1466.20037`},
		{"extended with value", msg(17, tl(0x77, prim(0x80, OIDPasswordModify), prim(0x81, "\x30\x00"))),
			`17 ExtendedRequest name=1.3.6.1.4.1.4203.1.11.1 value=3000`},
		{"controls", msg(18, prim(0x4a, "cn=a"), tl(0xa0,
			ctrl(OIDManageDsaIT, boolean(0xff)),
			ctrl(OIDPagedResults, str("\x30\x05\x02\x01\x0a\x04\x00")),
			ctrl("1.2.3", boolean(0x00), str(""), str("ignored-extension")),
		)), `18 DelRequest ctrl{2.16.840.1.113730.3.4.2 crit=true} ctrl{1.2.840.113556.1.4.319 crit=false val=300502010a0400} ctrl{1.2.3 crit=false val=} dn="cn=a"`},
		{"boolean any non-zero is true", msg(19, tl(0x6c, str("a"), str("b"), boolean(0x01))),
			`19 ModifyDNRequest entry="a" newrdn="b" deleteold=true`},
		{"non-minimal lengths", tl4(0x30, num(20), tl4(0x63, str("dc=x"), enum(0), enum(0), num(0), num(0), boolean(0),
			tl4(0xa0, tl4(0xa3, str("a"), str("b"))), tl4(0x30))),
			`20 SearchRequest base="dc=x" scope=0 deref=0 size=0 time=0 typesOnly=false filter=(&(a=b)) attrs=[]`},
		{"message id 0 and maxInt", msg(0, prim(0x4a, "x")), `0 DelRequest dn="x"`},
		{"message id maxInt", msg(maxInt, prim(0x4a, "x")), `2147483647 DelRequest dn="x"`},
		{"trailing LDAPMessage component ignored", msg(21, prim(0x4a, "x"), tl(0xa0), str("future")),
			`21 DelRequest dn="x"`},
		{"high tag number trailing component ignored", msg(22, prim(0x4a, "x"), []byte{0x9f, 0x81, 0x01, 0x01, 0x00}),
			`22 DelRequest dn="x"`},
	}
	var m Message
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Decode(tc.pdu, &m); err != nil {
				t.Fatalf("Decode(%x): %v", tc.pdu, err)
			}
			if got := dump(&m); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestDecodeErrors is the malformed-PDU table.
func TestDecodeErrors(t *testing.T) {
	postfix := golden(t, "postfix_search.hex")
	deepNot := func(n int) []byte {
		f := prim(0x87, "cn")
		for i := 0; i < n; i++ {
			f = tl(0xa2, f)
		}
		return f
	}
	wide := func(n int) []byte {
		var fs [][]byte
		for i := 0; i < n; i++ {
			fs = append(fs, prim(0x87, "cn"))
		}
		return and(fs...)
	}
	tests := []struct {
		name  string
		pdu   []byte
		fatal bool
		is    error
		code  ResultCode
	}{
		{"empty", nil, true, ErrTruncated, 0},
		{"bad first byte", append([]byte{0x31}, postfix[1:]...), true, ErrBadTag, 0},
		{"indefinite length", append(append([]byte{0x30, 0x80}, msg(1, prim(0x4a, "x"))[2:]...), 0, 0), true, ErrIndefiniteLength, 0},
		{"indefinite inner length", seq(num(1), []byte{0x63, 0x80, 0, 0}), true, ErrIndefiniteLength, 0},
		{"five length octets", []byte{0x30, 0x85, 0, 0, 0, 0, 3, 2, 1, 1}, true, ErrLengthTooLong, 0},
		{"huge length claim", []byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 2, 1, 1}, true, ErrTruncated, 0},
		{"truncated", postfix[:len(postfix)-1], true, ErrTruncated, 0},
		{"garbage after message", append(bytes.Clone(postfix), 0), true, ErrTrailingData, 0},
		{"inner exceeds outer", seq(num(1), []byte{0x4a, 0x10, 'x'}), true, ErrTruncated, 0},
		{"message id wrong tag", seq(str("1"), prim(0x4a, "x")), true, ErrBadTag, 0},
		{"message id negative", msg(-1, prim(0x4a, "x")), true, ErrBadValue, 0},
		{"message id beyond maxInt", msg(maxInt+1, prim(0x4a, "x")), true, ErrBadValue, 0},
		{"message id empty", seq(tl(0x02), prim(0x4a, "x")), true, ErrBadValue, 0},
		{"message id 9 octets", seq(tl(0x02, make([]byte, 9)), prim(0x4a, "x")), true, ErrBadValue, 0},
		{"no protocolOp", seq(num(1)), true, ErrTruncated, 0},
		{"response from client", msg(1, tl(0x61, enum(0), str(""), str(""))), true, ErrUnsupportedOp, 0},
		{"search result entry from client", msg(1, tl(0x64, str("dc=x"), seq())), true, ErrUnsupportedOp, 0},
		{"intermediate response from client", msg(1, tl(0x79)), true, ErrUnsupportedOp, 0},
		{"unknown application tag", msg(1, tl(0x7e)), true, ErrUnsupportedOp, 0},
		{"constructed unbind", msg(1, tl(0x62)), true, ErrUnsupportedOp, 0},
		{"bind version not integer", msg(1, tl(0x60, str("3"), str(""), prim(0x80, ""))), true, ErrBadTag, 0},
		{"bind auth universal tag", msg(1, tl(0x60, num(3), str(""), str(""))), true, ErrBadTag, 0},
		{"sasl mechanism missing", msg(1, tl(0x60, num(3), str(""), tl(0xa3))), true, ErrTruncated, 0},
		{"search scope as integer", msg(1, tl(0x63, str(""), num(2), enum(0), num(0), num(0), boolean(0), prim(0x87, "cn"), seq())), true, ErrBadTag, 0},
		{"search invalid scope", msg(1, tl(0x63, str(""), enum(5), enum(0), num(0), num(0), boolean(0), prim(0x87, "cn"), seq())), false, ErrInvalidField, ProtocolError},
		{"search invalid deref", msg(1, tl(0x63, str(""), enum(0), enum(4), num(0), num(0), boolean(0), prim(0x87, "cn"), seq())), false, ErrInvalidField, ProtocolError},
		{"search negative size limit", msg(1, tl(0x63, str(""), enum(0), enum(0), num(-1), num(0), boolean(0), prim(0x87, "cn"), seq())), false, ErrInvalidField, ProtocolError},
		{"search bool two octets", msg(1, tl(0x63, str(""), enum(0), enum(0), num(0), num(0), tl(0x01, []byte{0, 0}), prim(0x87, "cn"), seq())), true, ErrBadValue, 0},
		{"search attributes not a sequence", msg(1, tl(0x63, str(""), enum(0), enum(0), num(0), num(0), boolean(0), prim(0x87, "cn"), set())), true, ErrBadTag, 0},
		{"search attribute wrong tag", msg(1, tl(0x63, str(""), enum(0), enum(0), num(0), num(0), boolean(0), prim(0x87, "cn"), seq(num(1)))), true, ErrBadTag, 0},
		{"search missing attributes", msg(1, tl(0x63, str(""), enum(0), enum(0), num(0), num(0), boolean(0), prim(0x87, "cn"))), true, ErrTruncated, 0},
		{"filter equality primitive", msg(1, searchReq(prim(0x83, "cn"))), true, ErrBadTag, 0},
		{"filter present constructed", msg(1, searchReq(tl(0xa7, str("cn")))), true, ErrBadTag, 0},
		{"filter universal tag", msg(1, searchReq(str("cn"))), true, ErrBadTag, 0},
		{"filter not empty", msg(1, searchReq(tl(0xa2))), true, ErrTruncated, 0},
		{"filter not with two", msg(1, searchReq(tl(0xa2, prim(0x87, "a"), prim(0x87, "b")))), true, ErrTrailingData, 0},
		{"filter ava missing value", msg(1, searchReq(tl(0xa3, str("cn")))), true, ErrTruncated, 0},
		{"filter inner exceeds outer", msg(1, searchReq(tl(0xa0, []byte{0x87, 0x09, 'c', 'n'}))), true, ErrTruncated, 0},
		{"filter high tag", msg(1, searchReq([]byte{0xbf, 0x81, 0x01, 0x00})), true, ErrBadTag, 0},
		{"substrings empty", msg(1, searchReq(tl(0xa4, str("cn"), seq()))), false, ErrInvalidField, ProtocolError},
		{"substrings initial not first", msg(1, searchReq(tl(0xa4, str("cn"), seq(prim(0x81, "a"), prim(0x80, "b"))))), false, ErrInvalidField, ProtocolError},
		{"substrings final not last", msg(1, searchReq(tl(0xa4, str("cn"), seq(prim(0x82, "a"), prim(0x81, "b"))))), false, ErrInvalidField, ProtocolError},
		{"substrings bad piece tag", msg(1, searchReq(tl(0xa4, str("cn"), seq(prim(0x83, "a"))))), true, ErrBadTag, 0},
		{"extensible without value", msg(1, searchReq(tl(0xa9, prim(0x82, "cn")))), true, ErrTruncated, 0},
		{"extensible bad dnAttributes", msg(1, searchReq(tl(0xa9, prim(0x83, "x"), prim(0x84, "")))), true, ErrBadValue, 0},
		{"10000 nested NOTs", msg(1, searchReq(deepNot(10000))), true, ErrFilterDepth, 0},
		{"1001 nested NOTs", msg(1, searchReq(deepNot(1001))), true, ErrFilterDepth, 0},
		{"1000 nested NOTs", msg(1, searchReq(deepNot(1000))), false, ErrLimit, AdminLimitExceeded},
		{"1001 nested under an AND", msg(1, searchReq(tl(0xa0, prim(0x87, "a"), deepNot(1000)))), true, ErrFilterDepth, 0},
		{"message id 5 octets", seq(tl(0x02, []byte{0, 0, 0, 0, 5}), prim(0x4a, "x")), true, ErrBadMessageID, 0},
		{"message id not an integer", seq(str("1"), prim(0x4a, "x")), true, ErrBadMessageID, 0},
		{"101 nested NOTs", msg(1, searchReq(deepNot(101))), false, ErrLimit, AdminLimitExceeded},
		{"10001 filter nodes", msg(1, searchReq(wide(10000))), false, ErrLimit, AdminLimitExceeded},
		{"modify unknown operation", msg(1, tl(0x66, str("x"), seq(seq(enum(4), seq(str("a"), set()))))), false, ErrInvalidField, ProtocolError},
		{"modify vals not a set", msg(1, tl(0x66, str("x"), seq(seq(enum(0), seq(str("a"), seq()))))), true, ErrBadTag, 0},
		{"add value wrong tag", msg(1, tl(0x68, str("x"), seq(seq(str("a"), set(num(1)))))), true, ErrBadTag, 0},
		{"compare ava incomplete", msg(1, tl(0x6e, str("x"), seq(str("a")))), true, ErrTruncated, 0},
		{"modrdn missing deleteoldrdn", msg(1, tl(0x6c, str("x"), str("cn=y"))), true, ErrTruncated, 0},
		{"extended without name", msg(1, tl(0x77, prim(0x81, "v"))), true, ErrBadTag, 0},
		{"control criticality two octets", msg(1, prim(0x4a, "x"), tl(0xa0, seq(str("1.2"), tl(0x01, []byte{1, 1})))), true, ErrBadValue, 0},
		{"control not a sequence", msg(1, prim(0x4a, "x"), tl(0xa0, str("1.2"))), true, ErrBadTag, 0},
		{"control trailing garbage", msg(1, prim(0x4a, "x"), tl(0xa0, seq(str("1.2"), []byte{0x04}))), true, ErrTruncated, 0},
		{"trailing garbage in LDAPMessage", msg(1, prim(0x4a, "x"), []byte{0x04, 0x05, 'a'}), true, ErrTruncated, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m Message
			err := Decode(tc.pdu, &m)
			if err == nil {
				t.Fatalf("Decode(%x) succeeded: %s", tc.pdu, dump(&m))
			}
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not *Error", err)
			}
			if de.Fatal != tc.fatal {
				t.Errorf("Fatal = %v, want %v (%v)", de.Fatal, tc.fatal, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if !tc.fatal {
				if de.Code != tc.code {
					t.Errorf("Code = %v, want %v", de.Code, tc.code)
				}
				if de.ID != 1 || ResponseOp(de.Op) == 0 {
					t.Errorf("non-fatal error without ID/Op: %+v", de)
				}
			}
		})
	}
}

// TestDecodeAllPrefixes: every truncation of real PDUs is an error, never
// a panic.
func TestDecodeAllPrefixes(t *testing.T) {
	for _, name := range []string{"postfix_search.hex", "ldapsearch_search.hex", "ldapsearch_bind.hex"} {
		pdu := golden(t, name)
		var m Message
		for i := 0; i < len(pdu); i++ {
			if err := Decode(pdu[:i], &m); err == nil {
				t.Errorf("%s: prefix of %d bytes decoded", name, i)
			}
		}
	}
}

// TestDeepFilterRaisedLimits decodes, prints and re-encodes 10,000 nested
// NOTs when the limits allow it: nothing recurses.
func TestDeepFilterRaisedLimits(t *testing.T) {
	f := prim(0x87, "cn")
	for i := 0; i < 10000; i++ {
		f = tl(0xa2, f)
	}
	d := Decoder{MaxFilterDepth: 20000, MaxFilterNodes: 20000}
	var m Message
	if err := d.Decode(msg(1, searchReq(f)), &m); err != nil {
		t.Fatal(err)
	}
	if n := len(m.Search.Filter.Nodes); n != 10001 {
		t.Fatalf("%d nodes", n)
	}
	s := m.Search.Filter.String()
	if want := strings.Repeat("(!", 10000) + "(cn=*)" + strings.Repeat(")", 10000); s != want {
		t.Errorf("String() wrong for deep filter (len %d)", len(s))
	}
	if enc := AppendFilter(nil, &m.Search.Filter); !bytes.Equal(enc, f) {
		t.Error("AppendFilter does not round trip the deep filter")
	}
}

func TestDecodeElementLimit(t *testing.T) {
	var vals [][]byte
	for i := 0; i < 11; i++ {
		vals = append(vals, str("v"))
	}
	pdu := msg(1, tl(0x68, str("x"), seq(seq(str("a"), set(vals...)))))
	d := Decoder{MaxElements: 10}
	var m Message
	err := d.Decode(pdu, &m)
	var de *Error
	if !errors.As(err, &de) || de.Fatal || !errors.Is(err, ErrLimit) || de.Code != AdminLimitExceeded {
		t.Fatalf("err = %v", err)
	}
	if err := Decode(pdu, &m); err != nil {
		t.Fatal(err)
	}
}

// TestMessageReuse: decoding into a reused Message leaves nothing of the
// previous request behind, and values are capped.
func TestMessageReuse(t *testing.T) {
	var m Message
	add := msg(1, tl(0x68, str("x"), seq(seq(str("a"), set(str("1"), str("2"))), seq(str("b"), set(str("3"))))))
	if err := Decode(add, &m); err != nil {
		t.Fatal(err)
	}
	v := m.Add.Attributes[0].Values
	if cap(v) != len(v) || cap(v[0]) != len(v[0]) {
		t.Error("values are not capped")
	}
	if err := Decode(msg(2, prim(0x4a, "y")), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Add.Attributes) != 0 || m.Add.Entry != nil || string(m.Del) != "y" || m.ID != 2 {
		t.Errorf("stale fields: %s %+v", dump(&m), m.Add)
	}
}

func TestValidOID(t *testing.T) {
	for s, want := range map[string]bool{
		"1.3.6.1.4.1.1466.20037": true, "0": true, "2.5": true, "": false, "1.": false,
		".1": false, "1..2": false, "01.2": false, "1.02": false, "a.b": false, "1.2x": false,
	} {
		if got := ValidOID([]byte(s)); got != want {
			t.Errorf("ValidOID(%q) = %v", s, got)
		}
	}
}
