package schema

import (
	"strings"
	"sync"
	"testing"

	"hostdir/schema/builtin"
)

// slapdDefs are descriptions as Debian's slapd 2.5 prints them in
// cn=Subschema with core, cosine, nis, inetorgperson and jamm loaded.
var slapdDefs = []string{
	"( 2.5.4.4 NAME ( 'sn' 'surname' ) DESC 'RFC2256: last (family) name(s) for which the entity is known by' SUP name )",
	"( 0.9.2342.19200300.100.1.3 NAME ( 'mail' 'rfc822Mailbox' ) DESC 'RFC1274: RFC822 Mailbox' EQUALITY caseIgnoreIA5Match SUBSTR caseIgnoreIA5SubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.26{256} )",
	"( 0.9.2342.19200300.100.1.7 NAME 'photo' DESC 'RFC1274: photo (G3 fax)' SYNTAX 1.3.6.1.4.1.1466.115.121.1.23{25000} )",
	"( 1.3.6.1.1.1.1.3 NAME 'homeDirectory' DESC 'The absolute path to the home directory' EQUALITY caseExactIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )",
	"( 1.3.6.1.1.1.1.14 NAME 'nisNetgroupTriple' DESC 'Netgroup triple' SYNTAX 1.3.6.1.1.1.0.0 )",
	"( 1.3.6.1.4.1.12461.1.1.1 NAME 'postfixTransport' DESC 'A string directing postfix which transport to use' EQUALITY caseExactIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26{20} SINGLE-VALUE )",
	"( 1.3.6.1.4.1.12461.1.1.7 NAME 'clearPassword' DESC 'A separate text that stores the mail account password in clear text' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40{128} )",
	"( 2.5.6.6 NAME 'person' DESC 'RFC2256: a person' SUP top STRUCTURAL MUST ( sn $ cn ) MAY ( userPassword $ telephoneNumber $ seeAlso $ description ) )",
	"( 1.3.6.1.4.1.1466.344 NAME 'dcObject' DESC 'RFC2247: domain component object' SUP top AUXILIARY MUST dc )",
	"( 1.3.6.1.1.1.2.0 NAME 'posixAccount' DESC 'Abstraction of an account with POSIX attributes' SUP top AUXILIARY MUST ( cn $ uid $ uidNumber $ gidNumber $ homeDirectory ) MAY ( userPassword $ loginShell $ gecos $ description ) )",
	"( 2.16.840.1.113730.3.2.2 NAME 'inetOrgPerson' DESC 'RFC2798: Internet Organizational Person' SUP organizationalPerson STRUCTURAL MAY ( audio $ businessCategory $ carLicense $ departmentNumber $ displayName $ employeeNumber $ employeeType $ givenName $ homePhone $ homePostalAddress $ initials $ jpegPhoto $ labeledURI $ mail $ manager $ mobile $ o $ pager $ photo $ roomNumber $ secretary $ uid $ userCertificate $ x500uniqueIdentifier $ preferredLanguage $ userSMIMECertificate $ userPKCS12 ) )",
	"( 1.3.6.1.4.1.12461.1.2.1 NAME 'JammMailAccount' SUP top STRUCTURAL MUST ( mail $ homeDirectory $ mailbox $ accountActive $ lastChange $ delete ) MAY ( uidNumber $ gidNumber $ uid $ cn $ description $ quota $ userPassword $ clearPassword ) )",
	"( 1.3.6.1.4.1.12461.1.2.4 NAME 'JammPostmaster' DESC 'Added to a JammMailAlias to create a postmaster entry' SUP top AUXILIARY MUST roleOccupant )",
}

func TestDebianSchema(t *testing.T) {
	s := debianSchema(t)
	defs := map[string]bool{}
	for _, at := range s.AttributeTypes() {
		defs[at.Def] = true
	}
	for _, oc := range s.ObjectClasses() {
		defs[oc.Def] = true
	}
	for _, d := range slapdDefs {
		if !defs[d] {
			t.Errorf("no definition renders as slapd's\n %s", d)
		}
	}
	// Counts of what the files define (Debian's slapd 2.5.13 files).
	if n := len(s.ObjectClasses()); n < 60 {
		t.Errorf("only %d object classes", n)
	}
}

func TestDebianMatchingRuleUse(t *testing.T) {
	s := debianSchema(t)
	// Observed in slapd's matchingRuleUse; the part after the system schema.
	want := map[string]string{
		"booleanMatch":             "accountActive $ editAliases $ editAccounts $ editPostmasters $ editCatchAlls $ delete ) )",
		"caseIgnoreIA5Match":       "c $ mail $ dc $ associatedDomain $ email $ aRecord $ mDRecord $ mXRecord $ nSRecord $ sOARecord $ cNAMERecord $ janetMailbox $ gecos $ homeDirectory $ loginShell $ memberUid $ memberNisNetgroup $ ipHostNumber $ ipNetworkNumber $ ipNetmaskNumber $ macAddress $ bootFile $ nisMapEntry $ postfixTransport $ jvd $ mailbox $ quota $ maildrop $ mailsource ) )",
		"octetStringMatch":         "clearPassword ) )",
		"integerMatch":             "mailPreferenceOption $ shadowLastChange $ shadowMin $ shadowMax $ shadowWarning $ shadowInactive $ shadowExpire $ shadowFlag $ ipServicePort $ ipProtocolNumber $ oncRpcNumber $ lastChange ) )",
		"caseExactSubstringsMatch": "serialNumber $ c $ telephoneNumber $ destinationIndicator $ dnQualifier $ homePhone $ mobile $ pager ) )",
		"telephoneNumberMatch":     "APPLIES ( telephoneNumber $ homePhone $ mobile $ pager ) )",
		"uniqueMemberMatch":        "APPLIES uniqueMember )",
	}
	got := map[string]string{}
	for _, d := range s.MatchingRuleUseDescriptions() {
		i := strings.Index(d, "NAME '")
		j := strings.Index(d[i+6:], "'")
		got[d[i+6:i+6+j]] = d
	}
	for name, suffix := range want {
		if !strings.HasSuffix(got[name], suffix) {
			t.Errorf("matchingRuleUse %s =\n %s\nwant suffix\n %s", name, got[name], suffix)
		}
	}
	for _, hidden := range []string{"caseIgnoreIA5SubstringsMatch", "UUIDMatch", "octetStringSubstringsMatch"} {
		if d, ok := got[hidden]; ok {
			t.Errorf("slapd shows no matchingRuleUse for %s, got %s", hidden, d)
		}
	}
}

func TestBuiltin(t *testing.T) {
	s := builtinSchema(t)
	tests := []struct {
		name, oid, primary string
	}{
		{"cn", "2.5.4.3", "cn"},
		{"COMMONNAME", "2.5.4.3", "cn"},
		{"2.5.4.3", "2.5.4.3", "cn"},
		{"rfc822mailbox", "0.9.2342.19200300.100.1.3", "mail"},
		{"JVD", "1.3.6.1.4.1.12461.1.1.4", "jvd"},
		{"lastchange", "1.3.6.1.4.1.12461.1.1.3", "lastChange"},
		{"homeDirectory", "1.3.6.1.1.1.1.3", "homeDirectory"},
		{"entryUUID", "1.3.6.1.1.16.4", "entryUUID"},
	}
	for _, tt := range tests {
		at := s.AttributeType(tt.name)
		if at == nil {
			t.Errorf("AttributeType(%q) = nil", tt.name)
			continue
		}
		if at.OID != tt.oid || at.Name() != tt.primary {
			t.Errorf("AttributeType(%q) = %s %s, want %s %s", tt.name, at.OID, at.Name(), tt.oid, tt.primary)
		}
	}
	if s.AttributeType("nosuch") != nil || s.ObjectClass("nosuch") != nil {
		t.Error("unknown names resolve")
	}

	// Inheritance through SUP.
	cn := s.AttributeType("cn")
	name := s.AttributeType("name")
	if cn.Sup != name || cn.Equality == nil || cn.Equality.Name() != "caseIgnoreMatch" ||
		cn.Substr == nil || cn.Syntax.OID != "1.3.6.1.4.1.1466.115.121.1.15" || cn.SyntaxLen != name.SyntaxLen {
		t.Errorf("cn did not inherit from name: %+v", cn)
	}
	if !cn.IsSubtypeOf(name) || name.IsSubtypeOf(cn) {
		t.Error("IsSubtypeOf")
	}
	found := false
	for _, st := range name.Subtypes() {
		if st == cn {
			found = true
		}
	}
	if !found || name.Subtypes()[0] != name {
		t.Error("name.Subtypes lacks cn or does not start with name")
	}

	// Jamm facts.
	lc := s.AttributeType("lastChange")
	if lc.Equality != nil || lc.Ordering != nil || lc.Substr != nil || !lc.SingleValue {
		t.Errorf("lastChange: %+v", lc)
	}
	pt := s.AttributeType("postfixTransport")
	if pt.SyntaxLen != 20 || pt.Equality.Name() != "caseExactIA5Match" {
		t.Errorf("postfixTransport: %+v", pt)
	}
	acct := s.ObjectClass("jammmailaccount")
	if acct == nil || acct.Kind != Structural {
		t.Fatalf("JammMailAccount: %+v", acct)
	}
	names := func(list []*AttributeType) string {
		var out []string
		for _, at := range list {
			out = append(out, at.Name())
		}
		return strings.Join(out, " ")
	}
	if got := names(acct.AllMust()); got != "mail homeDirectory mailbox accountActive lastChange delete objectClass" {
		t.Errorf("AllMust = %s", got)
	}
	if got := names(acct.AllMay()); got != "uidNumber gidNumber uid cn description quota userPassword clearPassword" {
		t.Errorf("AllMay = %s", got)
	}
	if !acct.Allows(s.AttributeType("objectClass")) || acct.Allows(s.AttributeType("maildrop")) {
		t.Error("Allows")
	}
	if !acct.IsSubclassOf(s.ObjectClass("top")) || s.ObjectClass("top").IsSubclassOf(acct) {
		t.Error("IsSubclassOf")
	}
	pm := s.ObjectClass("JammPostmaster")
	if pm.Kind != Auxiliary || pm.Desc != "Added to a JammMailAlias to create a postmaster entry" {
		t.Errorf("JammPostmaster: %+v", pm)
	}
	if !s.IsOperational(s.AttributeType("createTimestamp")) || s.IsOperational(cn) {
		t.Error("IsOperational")
	}
	for _, f := range builtin.Files {
		if f == systemFile {
			continue
		}
		if _, err := builtin.FS.ReadFile(f); err != nil {
			t.Errorf("builtin %s: %v", f, err)
		}
	}
}

func TestResolveOID(t *testing.T) {
	s := builtinSchema(t)
	for in, want := range map[string]string{
		"cn":                    "2.5.4.3",
		"JammMailAccount":       "1.3.6.1.4.1.12461.1.2.1",
		"top":                   "2.5.6.0",
		"caseIgnoreMatch":       "2.5.13.2",
		"1.2.3":                 "1.2.3",
		"objectIdentifierMatch": "2.5.13.0",
	} {
		got, ok := s.ResolveOID(in)
		if !ok || got != want {
			t.Errorf("ResolveOID(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := s.ResolveOID("nosuchthing"); ok {
		t.Error("ResolveOID(nosuchthing) ok")
	}
}

// TestDNNormalization compares with slapdn -N / -P output of Debian's slapd.
func TestDNNormalization(t *testing.T) {
	s := builtinSchema(t)
	tests := []struct{ in, pretty, norm string }{
		{"lastChange=1,dc=X", "lastChange=1,dc=X", "lastChange=1,dc=x"},
		{"JVD=Ab.Com + mail=X@Y , DC=X", "jvd=Ab.Com+mail=X@Y,dc=X", "jvd=ab.com+mail=x@y,dc=x"},
		{"mailbox=A  B,dc=x", "mailbox=A  B,dc=x", "mailbox=A B,dc=x"},
		{"cn=  A   b ,dc=x", "cn=A   b,dc=x", "cn=a b,dc=x"},
		{"userPassword=AB,dc=x", "userPassword=AB,dc=x", "userPassword=AB,dc=x"},
		{"uid=a\\2cb,dc=x", "uid=a\\2Cb,dc=x", "uid=a\\2Cb,dc=x"},
		{"commonName=x,2.5.4.3=y,dc=x", "cn=x,cn=y,dc=x", "cn=x,cn=y,dc=x"},
	}
	for _, tt := range tests {
		p, n, err := s.PrettyNormalDN(tt.in)
		if err != nil {
			t.Errorf("PrettyNormalDN(%q): %v", tt.in, err)
			continue
		}
		if p != tt.pretty || n != tt.norm {
			t.Errorf("PrettyNormalDN(%q) = %q, %q; want %q, %q", tt.in, p, n, tt.pretty, tt.norm)
		}
		if n2, err := s.NormalizeDN(tt.in); err != nil || n2 != n {
			t.Errorf("NormalizeDN(%q) = %q, %v", tt.in, n2, err)
		}
	}
	for _, bad := range []string{"foo=1,dc=x", "accountActive=yes,dc=x", "cn=x,,dc=y"} {
		if n, err := s.NormalizeDN(bad); err == nil {
			t.Errorf("NormalizeDN(%q) = %q, want error", bad, n)
		}
	}
}

func TestSubschemaEntry(t *testing.T) {
	s := builtinSchema(t)
	e := s.Subschema()
	if e.DN != "cn=Subschema" {
		t.Errorf("DN %q", e.DN)
	}
	for _, typ := range []string{"objectClass", "cn", "ldapSyntaxes", "matchingRules", "matchingRuleUse",
		"attributeTypes", "objectClasses", "structuralObjectClass", "entryDN", "subschemaSubentry"} {
		a := e.Get(typ)
		if a == nil || len(a.Values) == 0 {
			t.Errorf("subschema lacks %s", typ)
		}
	}
	if got, want := len(e.Get("attributeTypes").Values), len(s.AttributeTypes()); got != want {
		t.Errorf("%d attributeTypes, want %d", got, want)
	}
	// Every published description parses back into an identical schema
	// element (round trip through the parser).
	s2 := New()
	for _, typ := range []string{"attributeTypes", "objectClasses"} {
		for _, v := range e.Get(typ).Values {
			d := string(v)
			if err := s2.AddDirective("subschema", 1, typ+": "+d); err != nil &&
				!strings.Contains(err.Error(), "Duplicate") {
				s2.loadingSystem = true
				err = s2.AddDirective("subschema", 1, typ+": "+d)
				s2.loadingSystem = false
				if err != nil && !strings.Contains(err.Error(), "Duplicate") {
					t.Errorf("re-adding %s: %v", d, err)
				}
			}
		}
	}
	if len(s2.AttributeTypes()) != len(s.AttributeTypes()) || len(s2.ObjectClasses()) != len(s.ObjectClasses()) {
		t.Errorf("round trip: %d/%d types, %d/%d classes", len(s2.AttributeTypes()), len(s.AttributeTypes()),
			len(s2.ObjectClasses()), len(s.ObjectClasses()))
	}
}

// TestConcurrentReads runs lookups and checks from many goroutines (for -race).
func TestConcurrentReads(t *testing.T) {
	s := builtinSchema(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if err := s.CheckEntry(jammAccount()); err != nil {
					t.Error(err)
					return
				}
				if s.AttributeType("MAIL") == nil {
					t.Error("lookup failed")
					return
				}
				if _, err := s.NormalizeDN("mail=U@Example.com,jvd=example.com," + jammBase); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestClone(t *testing.T) {
	s := builtinSchema(t)
	c := s.Clone()
	if err := c.AddDirective("x", 1, "attributetype ( 1.2.3.4 NAME 'cloneOnly' SUP name )"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddDirective("x", 2, "objectclass ( 1.2.3.5 NAME 'cloneClass' SUP JammMailAlias MAY cloneOnly )"); err != nil {
		t.Fatal(err)
	}
	if s.AttributeType("cloneOnly") != nil || s.ObjectClass("cloneClass") != nil {
		t.Fatal("clone changed the original")
	}
	for _, st := range s.AttributeType("name").Subtypes() {
		if st.Name() == "cloneOnly" {
			t.Fatal("clone changed the original's subtypes")
		}
	}
	// The clone's elements point into the clone.
	cc := c.ObjectClass("cloneClass")
	if cc.Sup[0] != c.ObjectClass("JammMailAlias") || !cc.Allows(c.AttributeType("mail")) ||
		cc.Allows(s.AttributeType("mail")) || c.AttributeType("cn").Sup != c.AttributeType("name") {
		t.Fatal("clone shares elements with the original")
	}
	e := mkEntry("mail=a@b,"+jammBase, "objectClass: cloneClass", "mail: a@b", "maildrop: x",
		"accountActive: TRUE", "lastChange: 1", "cloneOnly: y")
	if err := c.CheckEntry(e); err != nil {
		t.Errorf("clone CheckEntry: %v", err)
	}
	if err := s.CheckEntry(e); err == nil {
		t.Error("original accepts the clone's class")
	}
	if New() == New() {
		t.Error("New returns a shared schema")
	}
}
