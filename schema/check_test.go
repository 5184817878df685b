package schema

import (
	"errors"
	"strings"
	"testing"

	"hostdir/directory/entry"
)

const jammBase = "o=hosting,dc=myhosting,dc=example"

// mkEntry builds an entry from "type: value" lines (values of repeated
// types in one attribute, as an LDIF reader would merge them).
func mkEntry(dn string, lines ...string) *entry.Entry {
	e := &entry.Entry{DN: dn}
	for _, l := range lines {
		typ, val, ok := strings.Cut(l, ": ")
		if !ok {
			panic("bad line " + l)
		}
		if a := e.Get(typ); a != nil && a.Type == typ {
			a.Values = append(a.Values, []byte(val))
			continue
		}
		e.Attrs = append(e.Attrs, entry.Attribute{Type: typ, Values: [][]byte{[]byte(val)}})
	}
	return e
}

// The entries Jamm writes (reference/jamm.md).
func jammDomain() *entry.Entry {
	return mkEntry("jvd=example.com,"+jammBase,
		"objectClass: top", "objectClass: JammVirtualDomain",
		"jvd: example.com", "postfixTransport: virtual:",
		"editAccounts: TRUE", "editPostmasters: TRUE",
		"accountActive: TRUE", "delete: FALSE", "lastChange: 1700000000")
}

func jammPostmaster() *entry.Entry {
	return mkEntry("cn=postmaster,jvd=example.com,"+jammBase,
		"objectClass: top", "objectClass: JammMailAlias", "objectClass: JammPostmaster",
		"cn: postmaster", "mail: postmaster@example.com", "maildrop: postmaster",
		"roleOccupant: cn=postmaster,jvd=example.com,"+jammBase,
		"accountActive: TRUE", "lastChange: 1700000000")
}

func jammAbuse() *entry.Entry {
	return mkEntry("mail=abuse@example.com,jvd=example.com,"+jammBase,
		"objectClass: top", "objectClass: JammMailAlias",
		"mail: abuse@example.com", "maildrop: postmaster",
		"accountActive: TRUE", "lastChange: 1700000000")
}

func jammAccount() *entry.Entry {
	return mkEntry("mail=user@example.com,jvd=example.com,"+jammBase,
		"objectClass: top", "objectClass: JammMailAccount",
		"mail: user@example.com", "homeDirectory: /home/vmail/domains",
		"mailbox: example.com/user/", "userPassword: {SSHA}mZm8bSQxbsl30Fj0R9ucpsqp52nfrOCJ",
		"accountActive: TRUE", "delete: FALSE", "lastChange: 1700000000",
		"uidNumber: 5000", "gidNumber: 5000", "cn: Some User", "quota: 100M",
		"clearPassword: secret")
}

func jammAlias() *entry.Entry {
	return mkEntry("mail=alias@example.com,jvd=example.com,"+jammBase,
		"objectClass: top", "objectClass: JammMailAlias",
		"mail: alias@example.com", "maildrop: user@example.com", "maildrop: other@example.org",
		"maildrop: postmaster", "accountActive: TRUE", "lastChange: 1700000000")
}

func jammCatchAll() *entry.Entry {
	return mkEntry("mail=@example.com,jvd=example.com,"+jammBase,
		"objectClass: top", "objectClass: JammMailAlias",
		"mail: @example.com", "maildrop: user@example.com",
		"accountActive: TRUE", "lastChange: 1700000000")
}

func TestCheckEntryJammValid(t *testing.T) {
	s := builtinSchema(t)
	tests := []struct {
		name       string
		e          *entry.Entry
		structural string
	}{
		{"domain", jammDomain(), "JammVirtualDomain"},
		{"postmaster", jammPostmaster(), "JammMailAlias"},
		{"abuse", jammAbuse(), "JammMailAlias"},
		{"account", jammAccount(), "JammMailAccount"},
		{"alias", jammAlias(), "JammMailAlias"},
		{"catch-all", jammCatchAll(), "JammMailAlias"},
		{"no top, case and OIDs", mkEntry("MAIL=X@Example.COM,jvd=example.com,"+jammBase,
			"objectclass: jammmailalias", "2.5.4.3: x", "0.9.2342.19200300.100.1.3: x@example.com",
			"MAILDROP: y", "accountactive: FALSE", "lastchange: 0"), "JammMailAlias"},
		{"extensibleObject", mkEntry("jvd=example.com,"+jammBase,
			"objectClass: JammVirtualDomain", "objectClass: extensibleObject",
			"jvd: example.com", "editAccounts: TRUE", "editPostmasters: FALSE",
			"accountActive: TRUE", "delete: FALSE", "lastChange: 1", "mail: x@y", "editAliases: TRUE"), "JammVirtualDomain"},
		{"operational attributes allowed", mkEntry("jvd=example.com,"+jammBase,
			"objectClass: JammVirtualDomain", "jvd: example.com", "editAccounts: TRUE", "editPostmasters: TRUE",
			"accountActive: TRUE", "delete: FALSE", "lastChange: 1",
			"structuralObjectClass: JammVirtualDomain", "createTimestamp: 20240101000000Z",
			"creatorsName: cn=Manager,dc=myhosting,dc=example", "entryUUID: c90f41aa-7be7-1041-8408-298755bdbcf2"), "JammVirtualDomain"},
		{"length bound not enforced", mkEntry("jvd=example.com,"+jammBase,
			"objectClass: JammVirtualDomain", "jvd: example.com", "editAccounts: TRUE", "editPostmasters: TRUE",
			"accountActive: TRUE", "delete: FALSE", "lastChange: 1",
			"postfixTransport: 123456789012345678901234567890"), "JammVirtualDomain"},
		{"inetOrgPerson alone", mkEntry("cn=p,"+jammBase,
			"objectClass: inetOrgPerson", "cn: p", "sn: q", "mail: p@example.com", "telephoneNumber: 1"), "inetOrgPerson"},
		{"structural chain any order", mkEntry("cn=p,"+jammBase,
			"objectClass: organizationalPerson", "objectClass: inetOrgPerson", "objectClass: person",
			"cn: p", "sn: q"), "inetOrgPerson"},
		{"language tag", mkEntry("cn=p,"+jammBase,
			"objectClass: person", "cn: p", "sn: q", "cn;lang-en: r"), "person"},
		{"multi-valued rdn", mkEntry("cn=p+sn=q,"+jammBase,
			"objectClass: person", "cn: p", "sn: Q"), "person"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.CheckEntry(tt.e); err != nil {
				t.Fatalf("CheckEntry: %v", err)
			}
			oc, err := s.StructuralClass(tt.e)
			if err != nil {
				t.Fatalf("StructuralClass: %v", err)
			}
			if oc.Name() != tt.structural {
				t.Errorf("StructuralClass = %s, want %s", oc.Name(), tt.structural)
			}
		})
	}
}

// with returns e with attribute typ set to vals (appended when absent;
// removed when vals is empty).
func with(e *entry.Entry, typ string, vals ...string) *entry.Entry {
	for i := range e.Attrs {
		if e.Attrs[i].Type == typ {
			if len(vals) == 0 {
				e.Attrs = append(e.Attrs[:i], e.Attrs[i+1:]...)
				return e
			}
			e.Attrs[i].Values = nil
			for _, v := range vals {
				e.Attrs[i].Values = append(e.Attrs[i].Values, []byte(v))
			}
			return e
		}
	}
	a := entry.Attribute{Type: typ}
	for _, v := range vals {
		a.Values = append(a.Values, []byte(v))
	}
	e.Attrs = append(e.Attrs, a)
	return e
}

// TestCheckEntryErrors checks codes and texts against what slapd 2.5
// answers to ldapadd (observed with Debian's slapd and the Jamm schema).
func TestCheckEntryErrors(t *testing.T) {
	s := builtinSchema(t)
	dom := func() *entry.Entry { return jammDomain() }
	tests := []struct {
		name string
		e    *entry.Entry
		code int
		msg  string
	}{
		{"no objectClass", with(dom(), "objectClass"), 65, "no objectClass attribute"},
		{"unknown class", with(dom(), "objectClass", "JammVirtualDomain", "foo"), 21, "objectClass: value #1 invalid per syntax"},
		{"only top", with(dom(), "objectClass", "top"), 65, "no structural object class provided"},
		{"only auxiliary", with(dom(), "objectClass", "JammPostmaster"), 65, "no structural object class provided"},
		{"two structural", with(dom(), "objectClass", "JammVirtualDomain", "JammMailAlias"), 65,
			"invalid structural object class chain (JammVirtualDomain/JammMailAlias)"},
		{"chain names canonical", with(dom(), "objectClass", "jammmailalias", "JAMMMAILACCOUNT"), 65,
			"invalid structural object class chain (JammMailAlias/JammMailAccount)"},
		{"alias clash", with(dom(), "objectClass", "JammVirtualDomain", "alias"), 65,
			"invalid structural object class chain (JammVirtualDomain/alias)"},
		{"missing must", with(dom(), "lastChange"), 65, "object class 'JammVirtualDomain' requires attribute 'lastChange'"},
		{"missing aux must", with(jammPostmaster(), "roleOccupant"), 65, "object class 'JammPostmaster' requires attribute 'roleOccupant'"},
		{"missing inherited must", mkEntry("cn=p,"+jammBase, "objectClass: inetOrgPerson", "cn: p"), 65,
			"object class 'inetOrgPerson' requires attribute 'sn'"},
		{"not allowed", with(dom(), "mail", "x@example.com"), 65, "attribute 'mail' not allowed"},
		{"not allowed alias name", with(dom(), "rfc822Mailbox", "x@example.com"), 65, "attribute 'mail' not allowed"},
		{"leftover type", with(dom(), "editAliases", "TRUE"), 65, "attribute 'editAliases' not allowed"},
		{"undefined type", with(dom(), "foo", "bar"), 17, "foo: attribute type undefined"},
		{"unknown option", with(dom(), "jvd;foo", "x"), 17, "jvd;foo: unrecognized option"},
		{"binary option", with(jammAccount(), "userPassword;binary", "x"), 17, `userPassword;binary: option "binary" not supported with type`},
		{"bad boolean", with(dom(), "accountActive", "yes"), 21, "accountActive: value #0 invalid per syntax"},
		{"bad integer", with(dom(), "lastChange", "x1"), 21, "lastChange: value #0 invalid per syntax"},
		{"type as written", with(dom(), "accountactive", "true"), 21, "accountactive: value #0 invalid per syntax"},
		{"bad dn value", with(jammPostmaster(), "roleOccupant", "not a dn"), 21, "roleOccupant: value #0 invalid per syntax"},
		{"syntax before single", with(dom(), "accountActive", "TRUE", "x"), 21, "accountActive: value #1 invalid per syntax"},
		{"single valued", with(dom(), "accountActive", "TRUE", "FALSE"), 19, "accountActive: multiple values provided"},
		{"single before duplicate", with(dom(), "accountActive", "TRUE", "TRUE"), 19, "accountActive: multiple values provided"},
		{"duplicate value", with(dom(), "jvd", "example.com", "EXAMPLE.com"), 20, "jvd: value #0 provided more than once"},
		{"duplicate value index", with(jammAlias(), "maildrop", "x", "a@b", "y", "A@B"), 20, "maildrop: value #1 provided more than once"},
		{"duplicate class", with(dom(), "objectClass", "top", "JammVirtualDomain", "2.5.6.0"), 20, "objectClass: value #0 provided more than once"},
		{"same type twice", with(with(jammAccount(), "cn", "a"), "commonName", "b"), 20, "attribute 'cn' provided more than once"},
		{"order: 17 first", mkEntry("jvd=x,"+jammBase, "objectClass: JammVirtualDomain", "foo: x", "lastChange: x"),
			17, "foo: attribute type undefined"},
		{"order: 21 first", mkEntry("jvd=x,"+jammBase, "objectClass: JammVirtualDomain", "lastChange: x", "foo: x"),
			21, "lastChange: value #0 invalid per syntax"},
		{"naming: value missing", with(dom(), "jvd", "other.com"), 64, "value of naming attribute 'jvd' is not present in entry"},
		{"naming: no equality", mkEntry("lastChange=1,"+jammBase, "objectClass: JammVirtualDomain", "jvd: x", "lastChange: 1"), 64,
			"naming attribute 'lastChange' has no equality matching rule"},
		{"naming before must", mkEntry("lastChange=1,"+jammBase, "objectClass: JammVirtualDomain", "lastChange: 1"), 64,
			"naming attribute 'lastChange' has no equality matching rule"},
		{"naming: attribute absent", mkEntry("cn=x,"+jammBase, "objectClass: JammVirtualDomain", "jvd: x"), 64,
			"naming attribute 'cn' is not present in entry"},
		{"bad dn", mkEntry("foo=1,"+jammBase, "objectClass: JammVirtualDomain", "jvd: x"), 34, "invalid DN"},
		{"subschema", with(dom(), "objectClass", "JammVirtualDomain", "subschema"), 65, `objectClass "2.5.20.1" only allowed in subentries`},
		{"ref", mkEntry("cn=p,"+jammBase, "objectClass: person", "cn: p", "sn: q", "ref: ldap://x/"), 65,
			`attribute "ref" only allowed in the referral`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.CheckEntry(tt.e)
			var ce *CheckError
			if !errors.As(err, &ce) {
				t.Fatalf("CheckEntry = %v (%T), want *CheckError %d %q", err, err, tt.code, tt.msg)
			}
			if ce.Code != tt.code || ce.Msg != tt.msg {
				t.Errorf("CheckEntry = %d %q, want %d %q", ce.Code, ce.Msg, tt.code, tt.msg)
			}
		})
	}
}

func TestCheckEntryMisc(t *testing.T) {
	s := builtinSchema(t)
	e := jammDomain()
	e.Attrs = append(e.Attrs, entry.Attribute{Type: "description"})
	var ce *CheckError
	if err := s.CheckEntry(e); !errors.As(err, &ce) || ce.Code != ResultProtocolError {
		t.Errorf("attribute without values: %v", err)
	}
	// RDN with a single-valued type whose entry value differs.
	e = mkEntry("jvd=example.com+accountActive=FALSE,"+jammBase,
		"objectClass: JammVirtualDomain", "jvd: example.com", "editAccounts: TRUE", "editPostmasters: TRUE",
		"accountActive: TRUE", "delete: FALSE", "lastChange: 1")
	err := s.CheckEntry(e)
	if !errors.As(err, &ce) || ce.Code != 64 ||
		ce.Msg != "value of single-valued naming attribute 'accountActive' conflicts with value present in entry" {
		t.Errorf("single-valued naming conflict: %v", err)
	}
	// No DN: naming check skipped.
	e = jammDomain()
	e.DN = ""
	if err := s.CheckEntry(e); err != nil {
		t.Errorf("empty DN: %v", err)
	}
	// StructuralClass errors.
	if _, err := s.StructuralClass(&entry.Entry{}); err == nil {
		t.Error("StructuralClass without objectClass: no error")
	}
	if _, err := s.StructuralClass(with(jammDomain(), "objectClass", "foo")); err == nil {
		t.Error("StructuralClass with an unknown class: no error")
	}
}

func TestAddNamingValues(t *testing.T) {
	s := builtinSchema(t)
	// slapd stored "jvd: x" then "jvd: e.com"; a missing mail is appended.
	e := mkEntry("jvd=e.com,"+jammBase, "objectClass: JammVirtualDomain", "jvd: x")
	if err := s.AddNamingValues(e); err != nil {
		t.Fatal(err)
	}
	if a := e.Get("jvd"); len(a.Values) != 2 || string(a.Values[1]) != "e.com" {
		t.Errorf("jvd = %q", a.Values)
	}
	e = mkEntry("MAIL=a@e.com+cn=A,"+jammBase, "objectClass: JammMailAlias", "CN: a", "maildrop: x")
	if err := s.AddNamingValues(e); err != nil {
		t.Fatal(err)
	}
	if len(e.Attrs) != 4 || e.Attrs[3].Type != "mail" || string(e.Attrs[3].Values[0]) != "a@e.com" || len(e.Attrs[1].Values) != 1 {
		t.Errorf("entry = %+v", e.Attrs)
	}
	for _, tt := range []struct {
		e    *entry.Entry
		code int
		msg  string
	}{
		{mkEntry("jvd=e.com+accountActive=FALSE,"+jammBase, "jvd: e.com", "accountActive: TRUE"), 64,
			"value of single-valued naming attribute 'accountActive' conflicts with value present in entry"},
		{mkEntry("lastChange=1,"+jammBase, "jvd: e.com"), 64, "naming attribute 'lastChange' has no equality matching rule"},
		{mkEntry("foo=1,"+jammBase, "jvd: e.com"), 34, "invalid DN"},
	} {
		n := len(tt.e.Attrs)
		err := s.AddNamingValues(tt.e)
		var ce *CheckError
		if !errors.As(err, &ce) || ce.Code != tt.code || ce.Msg != tt.msg {
			t.Errorf("%s: %v, want %d %q", tt.e.DN, err, tt.code, tt.msg)
		}
		if len(tt.e.Attrs) != n {
			t.Errorf("%s: entry changed on error", tt.e.DN)
		}
	}
}
