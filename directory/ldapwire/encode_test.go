package ldapwire

import (
	"bytes"
	"strings"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// berDecode parses b with asn1-ber, checks it is one element whose minimal
// re-encoding is b itself, and returns it.
func berDecode(t *testing.T, b []byte) *ber.Packet {
	t.Helper()
	p, err := ber.DecodePacketErr(b)
	if err != nil {
		t.Fatalf("asn1-ber rejects %x: %v", b, err)
	}
	if re := p.Bytes(); !bytes.Equal(re, b) {
		t.Fatalf("not minimal/complete:\n ours %x\n ber  %x", b, re)
	}
	return p
}

// shape renders a packet tree: tags in hex, primitive contents quoted.
func shape(p *ber.Packet) string {
	var b strings.Builder
	var walk func(p *ber.Packet)
	walk = func(p *ber.Packet) {
		id := byte(p.ClassType) | byte(p.TagType) | byte(p.Tag)
		b.WriteString(hex2(id))
		if p.TagType == ber.TypeConstructed {
			b.WriteString("{")
			for i, c := range p.Children {
				if i > 0 {
					b.WriteString(" ")
				}
				walk(c)
			}
			b.WriteString("}")
			return
		}
		b.WriteString(":" + strings.ReplaceAll(p.Data.String(), "\x00", "\\0"))
	}
	walk(p)
	return b.String()
}

func TestEncode(t *testing.T) {
	long := strings.Repeat("x", 300)
	paged := AppendPagedResultsValue(nil, 0, []byte("ck"))
	tests := []struct {
		name string
		got  []byte
		want string // shape; integers appear as raw bytes
	}{
		{"search done", AppendResult(nil, 5, OpSearchResultDone, Result{}),
			"30{02:\x05 65{0a:\\0 04: 04:}}"},
		{"modify response with diagnostics", AppendResult(nil, 300, OpModifyResponse, Result{Code: NoSuchObject, MatchedDN: "dc=x", Message: "gone"}),
			"30{02:\x01\x2c 67{0a:\x20 04:dc=x 04:gone}}"},
		{"add response", AppendResult(nil, 1, OpAddResponse, Result{Code: EntryAlreadyExists}), "30{02:\x01 69{0a:\x44 04: 04:}}"},
		{"delete response", AppendResult(nil, 2, OpDelResponse, Result{Code: NotAllowedOnNonLeaf}), "30{02:\x02 6b{0a:\x42 04: 04:}}"},
		{"moddn response", AppendResult(nil, 3, OpModifyDNResponse, Result{}), "30{02:\x03 6d{0a:\\0 04: 04:}}"},
		{"compare response", AppendResult(nil, 4, OpCompareResponse, Result{Code: CompareTrue}), "30{02:\x04 6f{0a:\x06 04: 04:}}"},
		{"referral", AppendResult(nil, 7, OpSearchResultDone, Result{Code: Referral, Referral: []string{"ldap://a/", "ldap://b/"}}),
			"30{02:\x07 65{0a:\x0a 04: 04: a3{04:ldap://a/ 04:ldap://b/}}}"},
		{"bind response", AppendBindResponse(nil, 1, Result{}, nil), "30{02:\x01 61{0a:\\0 04: 04:}}"},
		{"bind response sasl creds", AppendBindResponse(nil, 1, Result{Code: SaslBindInProgress}, []byte("chal")),
			"30{02:\x01 61{0a:\x0e 04: 04: 87:chal}}"},
		{"extended response", AppendExtendedResponse(nil, 9, Result{}, OIDStartTLS, nil),
			"30{02:\x09 78{0a:\\0 04: 04: 8a:1.3.6.1.4.1.1466.20037}}"},
		{"extended response empty value", AppendExtendedResponse(nil, 9, Result{}, "", []byte{}),
			"30{02:\x09 78{0a:\\0 04: 04: 8b:}}"},
		{"who am i", AppendWhoAmIResponse(nil, 2, "dn:cn=me"), "30{02:\x02 78{0a:\\0 04: 04: 8b:dn:cn=me}}"},
		{"who am i anonymous", AppendWhoAmIResponse(nil, 2, ""), "30{02:\x02 78{0a:\\0 04: 04: 8b:}}"},
		{"notice of disconnection", AppendNoticeOfDisconnection(nil, ProtocolError, "bad PDU"),
			"30{02:\\0 78{0a:\x02 04: 04:bad PDU 8a:1.3.6.1.4.1.1466.20036}}"},
		{"intermediate", AppendIntermediateResponse(nil, 3, "1.2.3", []byte("v")), "30{02:\x03 79{80:1.2.3 81:v}}"},
		{"intermediate empty", AppendIntermediateResponse(nil, 3, "", nil), "30{02:\x03 79{}}"},
		{"reference", AppendSearchResultReference(nil, 4, []string{"ldap://h/dc=x??sub"}), "30{02:\x04 73{04:ldap://h/dc=x??sub}}"},
		{"done with paged control", AppendResult(nil, 6, OpSearchResultDone, Result{},
			Control{Type: []byte(OIDPagedResults), HasValue: true, Value: paged},
			Control{Type: []byte("1.2.3"), Critical: true}),
			"30{02:\x06 65{0a:\\0 04: 04:} a0{30{04:1.2.840.113556.1.4.319 04:" + strings.ReplaceAll(string(paged), "\x00", "\\0") + "} 30{04:1.2.3 01:\xff}}}"},
		{"entry", func() []byte {
			b, e := StartEntry([]byte("prefix"), 8, "mail=a@x,dc=x")
			b = AppendAttr(b, "mailbox", []byte("x/a/"))
			b = AppendAttrString(b, "cn", "A", "B")
			b = AppendAttr(b, "objectClass")
			return e.Finish(b)[len("prefix"):]
		}(), "30{02:\x08 64{04:mail=a@x,dc=x 30{30{04:mailbox 31{04:x/a/}} 30{04:cn 31{04:A 04:B}} 30{04:objectClass 31{}}}}}"},
		{"long entry (long-form lengths)", func() []byte {
			b, e := StartEntryBytes(nil, 8, []byte("cn=y"))
			b = AppendAttrString(b, "description", long)
			return e.Finish(b)
		}(), "30{02:\x08 64{04:cn=y 30{30{04:description 31{04:" + long + "}}}}}"},
		{"huge message id", AppendResult(nil, maxInt, OpDelResponse, Result{}), "30{02:\x7f\xff\xff\xff 6b{0a:\\0 04: 04:}}"},
		{"id needing sign octet", AppendResult(nil, 128, OpDelResponse, Result{}), "30{02:\\0\x80 6b{0a:\\0 04: 04:}}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := berDecode(t, tc.got)
			if got := shape(p); got != tc.want {
				t.Errorf("shape\n got  %q\n want %q", got, tc.want)
			}
		})
	}
}

// TestEncodeLengths crosses every length-form boundary.
func TestEncodeLengths(t *testing.T) {
	for _, n := range []int{0, 1, 100, 127, 128, 200, 255, 256, 65535, 65536, 70000, 1 << 24} {
		v := bytes.Repeat([]byte{'v'}, n)
		b, e := StartEntry(nil, 1, "cn=x")
		b = AppendAttr(b, "a", v)
		b = e.Finish(b)
		p := berDecode(t, b)
		got := p.Children[1].Children[1].Children[0].Children[1].Children[0].Data.Len()
		if got != n {
			t.Errorf("value length %d, want %d", got, n)
		}
	}
}

func TestValueHelpers(t *testing.T) {
	// Password modify request value round trip and absent fields.
	v := AppendPasswdModifyRequestValue(nil, []byte("uid=a"), nil, []byte("new"))
	r, err := ParsePasswdModify(v)
	if err != nil || string(r.UserIdentity) != "uid=a" || r.HasOldPasswd || !r.HasNewPasswd || string(r.NewPasswd) != "new" {
		t.Errorf("ParsePasswdModify = %+v, %v", r, err)
	}
	if r, err := ParsePasswdModify(nil); err != nil || r.HasUserIdentity || r.HasNewPasswd {
		t.Errorf("empty value: %+v %v", r, err)
	}
	for _, bad := range [][]byte{{0x31, 0}, {0x30, 2, 0x80}, {0x30, 0, 0}, {0x30, 3, 0x80, 5, 'a'}} {
		if _, err := ParsePasswdModify(bad); err == nil {
			t.Errorf("ParsePasswdModify(%x) accepted", bad)
		}
	}
	berDecode(t, AppendPasswdModifyResponseValue(nil, []byte("gen")))
	if s := shape(berDecode(t, AppendPasswdModifyResponseValue(nil, []byte("gen")))); s != "30{80:gen}" {
		t.Errorf("genPasswd shape %q", s)
	}

	// Paged results.
	size, cookie, err := ParsePagedResults(AppendPagedResultsValue(nil, 50, []byte("abc")))
	if err != nil || size != 50 || string(cookie) != "abc" {
		t.Errorf("ParsePagedResults = %d %q %v", size, cookie, err)
	}
	for _, bad := range [][]byte{nil, {0x30, 0}, {0x30, 3, 2, 1, 5}, {0x30, 5, 2, 1, 0xff, 4, 0}, {0x30, 5, 4, 1, 5, 4, 0}} {
		if _, _, err := ParsePagedResults(bad); err == nil {
			t.Errorf("ParsePagedResults(%x) accepted", bad)
		}
	}

	// Cancel.
	if id, err := ParseCancel(AppendCancelValue(nil, 77)); err != nil || id != 77 {
		t.Errorf("ParseCancel = %d %v", id, err)
	}
	for _, bad := range [][]byte{nil, {0x30, 0}, {0x30, 3, 2, 1, 0xff}, {0x30, 3, 4, 1, 1}} {
		if _, err := ParseCancel(bad); err == nil {
			t.Errorf("ParseCancel(%x) accepted", bad)
		}
	}

	// Assertion control.
	var f Filter
	if err := ParseAssertion(and(eq("accountActive", "TRUE")), &f); err != nil || f.String() != "(&(accountActive=TRUE))" {
		t.Errorf("ParseAssertion = %s %v", f.String(), err)
	}
	if err := ParseAssertion(append(and(), 0), &f); err == nil {
		t.Error("ParseAssertion accepted trailing data")
	}
}

// TestResponseOp maps every request to its response.
func TestResponseOp(t *testing.T) {
	for req, resp := range map[Op]Op{
		OpBindRequest: OpBindResponse, OpSearchRequest: OpSearchResultDone, OpModifyRequest: OpModifyResponse,
		OpAddRequest: OpAddResponse, OpDelRequest: OpDelResponse, OpModifyDNRequest: OpModifyDNResponse,
		OpCompareRequest: OpCompareResponse, OpExtendedRequest: OpExtendedResponse,
		OpUnbindRequest: 0, OpAbandonRequest: 0, OpBindResponse: 0,
	} {
		if got := ResponseOp(req); got != resp {
			t.Errorf("ResponseOp(%v) = %v, want %v", req, got, resp)
		}
		if req.IsRequest() != (req != OpBindResponse) {
			t.Errorf("IsRequest(%v) wrong", req)
		}
	}
	if OpSearchRequest.String() != "SearchRequest" || Op(0x7e).String() != "Op(0x7e)" ||
		InvalidCredentials.String() != "invalidCredentials" || ResultCode(999).String() != "resultCode(999)" {
		t.Error("String methods wrong")
	}
}
