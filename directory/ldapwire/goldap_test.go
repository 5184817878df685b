package ldapwire

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	ldap "github.com/go-ldap/ldap/v3"
)

// fakeServer answers go-ldap over a net.Pipe with this package's encoder
// and reports what it decoded: a full client/server round trip of every
// operation.
func fakeServer(t *testing.T, c net.Conn, seen chan<- string) {
	defer c.Close()
	defer close(seen)
	rd := NewReader(c, MaxPDUAnonymous)
	var m Message
	var out []byte
	for {
		pdu, err := rd.ReadPDU()
		if err != nil {
			return
		}
		if err := Decode(pdu, &m); err != nil {
			t.Errorf("decode %x: %v", pdu, err)
			return
		}
		d := dump(&m)
		seen <- d[strings.IndexByte(d, ' ')+1:] // without the message ID
		out = out[:0]
		switch m.Op {
		case OpUnbindRequest:
			return
		case OpAbandonRequest:
			continue
		case OpBindRequest:
			r := Result{}
			if string(m.Bind.Password) == "bad" {
				r = Result{Code: InvalidCredentials, Message: "bad password"}
			}
			out = AppendBindResponse(out, m.ID, r, nil)
		case OpSearchRequest:
			b, e := StartEntry(out, m.ID, "cn=e,dc=x")
			for _, a := range m.Search.Attributes {
				b = AppendAttr(b, string(a), []byte("v1"), []byte("v2"))
			}
			out = e.Finish(b)
			var ctrls []Control
			for _, c := range m.Controls {
				if string(c.Type) == OIDPagedResults {
					_, cookie, err := ParsePagedResults(c.Value)
					if err != nil {
						t.Error(err)
					}
					next := []byte("c1")
					if string(cookie) == "c1" {
						next = nil
					}
					ctrls = append(ctrls, Control{Type: []byte(OIDPagedResults), HasValue: true,
						Value: AppendPagedResultsValue(nil, 0, next)})
				}
			}
			out = AppendResult(out, m.ID, OpSearchResultDone, Result{}, ctrls...)
		case OpCompareRequest:
			code := CompareFalse
			if string(m.Compare.Value) == "yes" {
				code = CompareTrue
			}
			out = AppendResult(out, m.ID, OpCompareResponse, Result{Code: code})
		case OpDelRequest:
			r := Result{}
			if string(m.Del) == "cn=missing,dc=x" {
				r = Result{Code: NoSuchObject, MatchedDN: "dc=x", Message: "no such entry"}
			}
			out = AppendResult(out, m.ID, OpDelResponse, r)
		case OpExtendedRequest:
			switch string(m.Extended.Name) {
			case OIDPasswordModify:
				pm, err := ParsePasswdModify(m.Extended.Value)
				if err != nil {
					t.Error(err)
				}
				seen <- "passwd " + string(pm.UserIdentity) + " " + string(pm.OldPasswd) + " " + string(pm.NewPasswd)
				out = AppendExtendedResponse(out, m.ID, Result{}, "", AppendPasswdModifyResponseValue(nil, []byte("gen")))
			case OIDWhoAmI:
				out = AppendWhoAmIResponse(out, m.ID, "dn:cn=me,dc=x")
			default:
				out = AppendExtendedResponse(out, m.ID, Result{Code: ProtocolError, Message: "unsupported"}, "", nil)
			}
		default:
			out = AppendResult(out, m.ID, ResponseOp(m.Op), Result{})
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

func TestGoLDAPRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		run  func(l *ldap.Conn) error
		want []string
	}{
		{"simple bind", func(l *ldap.Conn) error { return l.Bind("cn=a,dc=x", "pw") },
			[]string{`BindRequest v=3 name="cn=a,dc=x" method=0 pw="pw"`}},
		{"failed bind", func(l *ldap.Conn) error {
			err := l.Bind("cn=a,dc=x", "bad")
			if !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
				return errors.New("want invalidCredentials, got " + errString(err))
			}
			return nil
		}, []string{`BindRequest v=3 name="cn=a,dc=x" method=0 pw="bad"`}},
		{"search", func(l *ldap.Conn) error {
			res, err := l.Search(ldap.NewSearchRequest("o=hosting,dc=x", ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
				100, 5, false, `(&(objectClass=JammMailAccount)(mail=a\2ab@x)(accountActive=TRUE)(delete=FALSE))`,
				[]string{"mailbox", "cn"}, nil))
			if err != nil {
				return err
			}
			if len(res.Entries) != 1 || res.Entries[0].DN != "cn=e,dc=x" ||
				strings.Join(res.Entries[0].GetAttributeValues("cn"), ",") != "v1,v2" {
				return errors.New("bad search result")
			}
			return nil
		}, []string{`SearchRequest base="o=hosting,dc=x" scope=2 deref=0 size=100 time=5 typesOnly=false filter=(&(objectClass=JammMailAccount)(mail=a\2ab@x)(accountActive=TRUE)(delete=FALSE)) attrs=["mailbox" "cn"]`}},
		{"paged search", func(l *ldap.Conn) error {
			res, err := l.SearchWithPaging(ldap.NewSearchRequest("dc=x", ldap.ScopeSingleLevel, ldap.DerefAlways,
				0, 0, true, `(|(cn=a*)(!(sn>=b))(uid~=c)(cn:dn:2.5.13.5:=x))`, []string{"cn"}, nil), 2)
			if err != nil {
				return err
			}
			if len(res.Entries) != 2 {
				return errors.New("want 2 entries")
			}
			return nil
		}, []string{
			`SearchRequest ctrl{1.2.840.113556.1.4.319 crit=false val=30050201020400} base="dc=x" scope=1 deref=3 size=0 time=0 typesOnly=true filter=(|(cn=a*)(!(sn>=b))(uid~=c)(cn:dn:2.5.13.5:=x)) attrs=["cn"]`,
			`SearchRequest ctrl{1.2.840.113556.1.4.319 crit=false val=300702010204026331} base="dc=x" scope=1 deref=3 size=0 time=0 typesOnly=true filter=(|(cn=a*)(!(sn>=b))(uid~=c)(cn:dn:2.5.13.5:=x)) attrs=["cn"]`,
		}},
		{"modify", func(l *ldap.Conn) error {
			r := ldap.NewModifyRequest("uid=a,dc=x", nil)
			r.Add("mail", []string{"a@x", "b@x"})
			r.Delete("description", nil)
			r.Replace("userPassword", []string{"{SSHA}x"})
			r.Increment("uidNumber", "1")
			return l.Modify(r)
		}, []string{`ModifyRequest object="uid=a,dc=x" [0 mail ["a@x" "b@x"]] [1 description []] [2 userPassword ["{SSHA}x"]] [3 uidNumber ["1"]]`}},
		{"add", func(l *ldap.Conn) error {
			r := ldap.NewAddRequest("cn=n,dc=x", nil)
			r.Attribute("objectClass", []string{"top", "person"})
			r.Attribute("cn", []string{"n"})
			return l.Add(r)
		}, []string{`AddRequest entry="cn=n,dc=x" [objectClass ["top" "person"]] [cn ["n"]]`}},
		{"delete with control", func(l *ldap.Conn) error {
			return l.Del(ldap.NewDelRequest("cn=n,dc=x", []ldap.Control{ldap.NewControlManageDsaIT(true)}))
		}, []string{`DelRequest ctrl{2.16.840.1.113730.3.4.2 crit=true} dn="cn=n,dc=x"`}},
		{"delete missing", func(l *ldap.Conn) error {
			err := l.Del(ldap.NewDelRequest("cn=missing,dc=x", nil))
			var le *ldap.Error
			if !errors.As(err, &le) || le.ResultCode != ldap.LDAPResultNoSuchObject || le.MatchedDN != "dc=x" ||
				!strings.Contains(le.Error(), "no such entry") {
				return errors.New("want noSuchObject, got " + errString(err))
			}
			return nil
		}, []string{`DelRequest dn="cn=missing,dc=x"`}},
		{"modrdn", func(l *ldap.Conn) error {
			return l.ModifyDN(ldap.NewModifyDNRequest("cn=a,dc=x", "cn=b", true, "dc=y"))
		}, []string{`ModifyDNRequest entry="cn=a,dc=x" newrdn="cn=b" deleteold=true newsup="dc=y"`}},
		{"compare true and false", func(l *ldap.Conn) error {
			ok, err := l.Compare("cn=a,dc=x", "sn", "yes")
			if err != nil || !ok {
				return errors.New("compare true failed: " + errString(err))
			}
			ok, err = l.Compare("cn=a,dc=x", "sn", "no")
			if err != nil || ok {
				return errors.New("compare false failed: " + errString(err))
			}
			return nil
		}, []string{`CompareRequest entry="cn=a,dc=x" sn="yes"`, `CompareRequest entry="cn=a,dc=x" sn="no"`}},
		{"password modify", func(l *ldap.Conn) error {
			res, err := l.PasswordModify(ldap.NewPasswordModifyRequest("uid=a,dc=x", "old", ""))
			if err != nil {
				return err
			}
			if res.GeneratedPassword != "gen" {
				return errors.New("generated password " + res.GeneratedPassword)
			}
			return nil
		}, []string{`ExtendedRequest name=1.3.6.1.4.1.4203.1.11.1 value=3011800a7569643d612c64633d7881036f6c64`, "passwd uid=a,dc=x old "}},
		{"who am i", func(l *ldap.Conn) error {
			res, err := l.WhoAmI(nil)
			if err != nil {
				return err
			}
			if res.AuthzID != "dn:cn=me,dc=x" {
				return errors.New("authzid " + res.AuthzID)
			}
			return nil
		}, []string{`ExtendedRequest name=1.3.6.1.4.1.4203.1.11.3`}},
		{"unbind", func(l *ldap.Conn) error { return l.Unbind() }, []string{`UnbindRequest`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cli, srv := net.Pipe()
			seen := make(chan string, 16)
			go fakeServer(t, srv, seen)
			l := ldap.NewConn(cli, false)
			l.Start()
			l.SetTimeout(5 * time.Second)
			defer l.Close()
			if err := tc.run(l); err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.want {
				select {
				case got := <-seen:
					if got != want {
						t.Errorf("server decoded\n got  %s\n want %s", got, want)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("server saw nothing, want %s", want)
				}
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestGoLDAPFilters decodes filters compiled by go-ldap, checks String()
// against the source and that AppendFilter reproduces go-ldap's bytes.
func TestGoLDAPFilters(t *testing.T) {
	tests := []struct{ in, want string }{
		{`(&(objectClass=JammMailAccount)(mail=a\2ab@x)(accountActive=TRUE)(delete=FALSE))`, ""},
		{`(cn=*)`, ""},
		{`(cn=a*)`, ""},
		{`(cn=*a)`, ""},
		{`(cn=*a*)`, ""},
		{`(cn=a*b*c)`, ""},
		{`(cn=a**b)`, `(cn=a*b)`}, // go-ldap drops the empty any
		{`(uidNumber>=1000)`, ""},
		{`(uidNumber<=1000)`, ""},
		{`(cn~=jon)`, ""},
		{`(!(cn=x))`, ""},
		{`(|(a=1)(b=2)(!(&(c=3)(d=4))))`, ""},
		{`(cn:caseExactMatch:=Fred)`, ""},
		{`(cn:dn:2.5.13.5:=x)`, ""},
		{`(:dn:2.4.6.8.10:=Dino)`, ""},
		{`(o:dn:=Ace Industry)`, ""},
		{`(cn=\28paren\29 \5c back \00 nul)`, ""},
		{`(cn=Lu\c4\8di\c4\87)`, `(cn=Lučić)`},
		{`(cn=\ff\fe)`, ""},
		{`(cn=tab\09x)`, ""},
		{`(&)`, ""},
		{`(|)`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			pkt, err := ldap.CompileFilter(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			enc := pkt.Bytes()
			var f Filter
			if err := (*Decoder)(nil).DecodeFilter(enc, &f); err != nil {
				t.Fatalf("DecodeFilter(%x): %v", enc, err)
			}
			want := tc.want
			if want == "" {
				want = tc.in
			}
			if got := f.String(); got != want {
				t.Errorf("String() = %s, want %s", got, want)
			}
			// go-ldap encodes TRUE as 0x01, we as 0xff: compare those
			// structurally, the others byte for byte.
			got := AppendFilter(nil, &f)
			var f2 Filter
			if err := (*Decoder)(nil).DecodeFilter(got, &f2); err != nil || !f.Equal(&f2) {
				t.Errorf("AppendFilter = %x does not decode to the same filter (%v)", got, err)
			}
			if !strings.Contains(tc.in, ":dn") && !bytes.Equal(got, enc) {
				t.Errorf("AppendFilter = %x, want %x", got, enc)
			}
			// And go-ldap accepts our string form back, to the same bytes.
			pkt2, err := ldap.CompileFilter(f.String())
			if err != nil {
				t.Fatalf("go-ldap rejects %s: %v", f.String(), err)
			}
			if tc.want == "" && !bytes.Equal(pkt2.Bytes(), enc) {
				t.Errorf("go-ldap recompiles %s to %x, want %x", f.String(), pkt2.Bytes(), enc)
			}
		})
	}
}
