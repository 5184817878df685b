package bench

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"hostdir/directory/ldapwire"
)

// decode decodes one request the generator encoded, with hostdir's wire
// layer as the oracle.
func decode(t *testing.T, id int32, op []byte) *ldapwire.Message {
	t.Helper()
	pdu := appendMessage(nil, id, op)
	var m ldapwire.Message
	if err := ldapwire.Decode(pdu, &m); err != nil {
		t.Fatalf("ldapwire.Decode(% x): %v", pdu, err)
	}
	if m.ID != id {
		t.Fatalf("message ID %d, want %d", m.ID, id)
	}
	return &m
}

func TestEncodeRequests(t *testing.T) {
	long := strings.Repeat("x", 70000) // lengths of 1, 2 and 3 bytes
	tests := []struct {
		name  string
		id    int32
		op    []byte
		check func(t *testing.T, m *ldapwire.Message)
	}{
		{"anonymous bind", 1, appendBind(nil, "", ""), func(t *testing.T, m *ldapwire.Message) {
			if m.Op != ldapwire.OpBindRequest || m.Bind.Version != 3 || len(m.Bind.Name) != 0 || m.Bind.Method != ldapwire.AuthSimple {
				t.Errorf("bind = %+v", m.Bind)
			}
		}},
		{"user bind", 128, appendBind(nil, AccountDN(3, 7), "pw-37"), func(t *testing.T, m *ldapwire.Message) {
			if string(m.Bind.Name) != AccountDN(3, 7) || string(m.Bind.Password) != "pw-37" {
				t.Errorf("bind = %q %q", m.Bind.Name, m.Bind.Password)
			}
		}},
		{"postfix lookup", 70000, appendSearch(nil, HostingBase, scopeSub, []eq{
			{"objectClass", "JammMailAccount"}, {"mail", "a*b@d1.example"}, {"accountActive", "TRUE"}, {"delete", "FALSE"},
		}, []string{"mailbox"}), func(t *testing.T, m *ldapwire.Message) {
			s := m.Search
			if m.Op != ldapwire.OpSearchRequest || string(s.BaseObject) != HostingBase || s.Scope != 2 || len(s.Attributes) != 1 || string(s.Attributes[0]) != "mailbox" {
				t.Errorf("search = %+v", s)
			}
			want := `(&(objectClass=JammMailAccount)(mail=a\2ab@d1.example)(accountActive=TRUE)(delete=FALSE))`
			if got := s.Filter.String(); got != want {
				t.Errorf("filter %s, want %s", got, want)
			}
		}},
		{"modify", 1 << 30, appendModifyReplace(nil, AccountDN(0, 0), []attr{{"description", []string{long}}, {"lastChange", []string{"1"}}}),
			func(t *testing.T, m *ldapwire.Message) {
				c := m.Modify.Changes
				if m.Op != ldapwire.OpModifyRequest || len(c) != 2 || c[0].Op != ldapwire.ModReplace || string(c[0].Values[0]) != long || string(c[1].Type) != "lastChange" {
					t.Errorf("modify of %q: %d changes", m.Modify.Object, len(c))
				}
			}},
		{"add", 5, appendAdd(nil, AccountDN(1, 2), accountAttrs(1, "u2", "{SSHA}x")), func(t *testing.T, m *ldapwire.Message) {
			a := m.Add
			if m.Op != ldapwire.OpAddRequest || string(a.Entry) != AccountDN(1, 2) || len(a.Attributes) != 9 || len(a.Attributes[0].Values) != 2 {
				t.Errorf("add = %q with %d attributes", a.Entry, len(a.Attributes))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, decode(t, tt.id, tt.op)) })
	}
}

func TestParseResponse(t *testing.T) {
	entry := func() []byte {
		b, e := ldapwire.StartEntry(nil, 9, AccountDN(0, 1))
		b = ldapwire.AppendAttr(b, "mailbox", []byte("d0.example/u1/"))
		return e.Finish(b)
	}
	tests := []struct {
		name string
		pdu  []byte
		want response
		ok   bool
	}{
		{"bind ok", ldapwire.AppendBindResponse(nil, 1, ldapwire.Result{}, nil), response{ID: 1, Op: tagBindResponse}, true},
		{"bind 49", ldapwire.AppendBindResponse(nil, 300, ldapwire.Result{Code: 49, Message: "bad"}, nil), response{ID: 300, Op: tagBindResponse, Code: 49}, true},
		{"entry", entry(), response{ID: 9, Op: tagSearchEntry, DN: []byte(AccountDN(0, 1))}, true},
		{"done", ldapwire.AppendResult(nil, 9, ldapwire.OpSearchResultDone, ldapwire.Result{Code: 32, MatchedDN: Suffix}), response{ID: 9, Op: tagSearchDone, Code: 32}, true},
		{"modify", ldapwire.AppendResult(nil, 2, ldapwire.OpModifyResponse, ldapwire.Result{}), response{ID: 2, Op: tagModifyResponse}, true},
		{"add 68", ldapwire.AppendResult(nil, 2, ldapwire.OpAddResponse, ldapwire.Result{Code: 68}), response{ID: 2, Op: tagAddResponse, Code: 68}, true},
		{"notice", ldapwire.AppendNoticeOfDisconnection(nil, ldapwire.ProtocolError, "bye"), response{ID: 0, Op: tagExtendedResp, Code: 2}, true},
		{"empty", nil, response{}, false},
		{"trailing", append(ldapwire.AppendBindResponse(nil, 1, ldapwire.Result{}, nil), 0), response{}, false},
		{"truncated", ldapwire.AppendBindResponse(nil, 1, ldapwire.Result{}, nil)[:5], response{}, false},
		{"request op", appendMessage(nil, 1, appendBind(nil, "", "")), response{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseResponse(tt.pdu)
			if (err == nil) != tt.ok {
				t.Fatalf("parseResponse: err %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && (got.ID != tt.want.ID || got.Op != tt.want.Op || got.Code != tt.want.Code || !bytes.Equal(got.DN, tt.want.DN)) {
				t.Errorf("parseResponse = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadPDU(t *testing.T) {
	big := make([]byte, 0)
	b, e := ldapwire.StartEntry(big, 3, "cn=x")
	b = ldapwire.AppendAttr(b, "description", bytes.Repeat([]byte("y"), 100000))
	big = e.Finish(b)
	stream := append(append(ldapwire.AppendBindResponse(nil, 1, ldapwire.Result{}, nil), big...),
		ldapwire.AppendResult(nil, 3, ldapwire.OpSearchResultDone, ldapwire.Result{})...)
	c := &conn{rd: bufio.NewReader(bytes.NewReader(stream))}
	var ops []byte
	for range 3 {
		pdu, err := c.readPDU()
		if err != nil {
			t.Fatal(err)
		}
		r, err := parseResponse(pdu)
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, r.Op)
	}
	if !bytes.Equal(ops, []byte{tagBindResponse, tagSearchEntry, tagSearchDone}) {
		t.Errorf("ops % x", ops)
	}
	if _, err := c.readPDU(); err == nil {
		t.Error("readPDU at EOF: no error")
	}
}

// FuzzResponses feeds arbitrary server bytes to the generator's response
// reader: it must return errors, never panic or allocate beyond its limit.
func FuzzResponses(f *testing.F) {
	f.Add(ldapwire.AppendBindResponse(nil, 1, ldapwire.Result{}, nil))
	f.Add(ldapwire.AppendResult(nil, 7, ldapwire.OpSearchResultDone, ldapwire.Result{Code: 32, Message: "no such object"}))
	f.Add(ldapwire.AppendNoticeOfDisconnection(nil, ldapwire.ProtocolError, "x"))
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x30, 0x05, 0x02, 0x01, 0x01, 0x64, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &conn{rd: bufio.NewReader(bytes.NewReader(data))}
		for range 16 {
			pdu, err := c.readPDU()
			if err != nil {
				return
			}
			r, err := parseResponse(pdu)
			if err == nil && r.Op == tagSearchEntry && r.DN == nil {
				t.Fatal("entry without DN")
			}
		}
	})
}
