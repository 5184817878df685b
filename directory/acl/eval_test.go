package acl_test

import (
	"net/netip"
	"strings"
	"testing"

	"hostdir/directory/acl"
	"hostdir/directory/config"
	"hostdir/directory/entry"
	"hostdir/directory/filter"
	"hostdir/schema"
)

// compileText loads rules (slapd.conf text of access directives) in a
// database with suffix dc=ex and rootdn cn=root,dc=ex over the built-in
// schema.
func compileText(t testing.TB, rules string) (*acl.Policy, *schema.Schema) {
	t.Helper()
	text := "include /usr/local/etc/openldap/schema/core.schema\n" +
		"include /usr/local/etc/openldap/schema/cosine.schema\n" +
		"include /usr/local/etc/openldap/schema/nis.schema\n" +
		"include /usr/local/etc/openldap/schema/jamm.schema\n" +
		"database mdb\nsuffix dc=ex\nrootdn cn=root,dc=ex\n" + rules
	cfg, err := config.Parse("test.conf", strings.NewReader(text))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	sc := cfg.Schema
	db := cfg.Databases[0]
	cf := func(s string) (acl.FilterFunc, error) {
		f, err := filter.Parse(s, sc)
		if err != nil {
			return nil, err
		}
		return func(e acl.Entry) bool {
			raw := acl.Raw(e)
			return raw != nil && f.Eval(filter.Entry{E: raw, Schema: sc}) == filter.True
		}, nil
	}
	p, err := acl.Compile(db.Access, cfg.Access, sc, acl.Options{RootDN: db.RootDN, CompileFilter: cf})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return p, sc
}

// handEntries are the entries of the unit tests.
var handEntries = []entry.Entry{
	{DN: "cn=u,ou=p,dc=ex", Attrs: []entry.Attribute{
		{Type: "objectClass", Values: [][]byte{[]byte("person")}},
		{Type: "cn", Values: [][]byte{[]byte("u")}},
		{Type: "sn", Values: [][]byte{[]byte("special")}},
		{Type: "seeAlso", Values: [][]byte{[]byte("cn=a,ou=p,dc=ex")}},
	}},
	{DN: "cn=a,ou=p,dc=ex", Attrs: []entry.Attribute{
		{Type: "objectClass", Values: [][]byte{[]byte("person")}},
		{Type: "cn", Values: [][]byte{[]byte("a")}},
		{Type: "sn", Values: [][]byte{[]byte("plain")}},
	}},
	{DN: "cn=g,ou=g,dc=ex", Attrs: []entry.Attribute{
		{Type: "objectClass", Values: [][]byte{[]byte("groupOfNames")}},
		{Type: "cn", Values: [][]byte{[]byte("g")}},
		{Type: "member", Values: [][]byte{[]byte("CN=A, OU=P, DC=EX")}},
	}},
	{DN: "cn=r,ou=g,dc=ex", Attrs: []entry.Attribute{
		{Type: "objectClass", Values: [][]byte{[]byte("organizationalRole")}},
		{Type: "cn", Values: [][]byte{[]byte("r")}},
		{Type: "roleOccupant", Values: [][]byte{[]byte("cn=u,ou=p,dc=ex")}},
	}},
	{DN: "ou=p,dc=ex", Attrs: []entry.Attribute{
		{Type: "objectClass", Values: [][]byte{[]byte("organizationalUnit")}},
		{Type: "ou", Values: [][]byte{[]byte("p")}},
	}},
}

type tree map[string]acl.Entry

func newTree(t testing.TB, sc *schema.Schema) tree {
	tr := tree{}
	for i := range handEntries {
		e := &handEntries[i]
		ndn, err := sc.NormalizeDN(e.DN)
		if err != nil {
			t.Fatal(err)
		}
		tr[ndn] = acl.NewEntry(e, ndn, sc)
	}
	return tr
}

func (tr tree) fetch(ndn string) acl.Entry { return tr[ndn] }

const (
	anon = ""
	u    = "cn=u,ou=p,dc=ex"
	a    = "cn=a,ou=p,dc=ex"
	root = "cn=root,dc=ex"
)

func TestEvalForms(t *testing.T) {
	type check struct {
		subj, target, attr, val string
		peer                    string
		ssf                     uint
		want                    acl.Priv // privileges that must be granted
		deny                    acl.Priv // privileges that must not be granted
	}
	cases := []struct {
		name   string
		rules  string
		checks []check
	}{
		{"no rules: read for all", "", []check{
			{subj: anon, target: u, attr: "sn", want: acl.LevelRead, deny: acl.PrivWrite},
			{subj: root, target: u, attr: "sn", want: acl.LevelManage},
		}},
		{"implicit access to * by * none", "access to dn.base=\"ou=p,dc=ex\" by * read", []check{
			{subj: a, target: "ou=p,dc=ex", attr: "ou", want: acl.LevelRead},
			{subj: a, target: u, attr: "sn", deny: acl.PrivDisclose},
		}},
		{"dn styles", `access to dn.one="ou=p,dc=ex" by * write
access to dn.children="dc=ex" by * read
access to dn.subtree="dc=ex" by * search`, []check{
			{subj: anon, target: u, attr: "sn", want: acl.LevelWrite},
			{subj: anon, target: "ou=p,dc=ex", attr: "ou", want: acl.LevelRead, deny: acl.PrivWrite},
		}},
		{"dn regex unanchored, case-insensitive", `access to dn.regex="OU=P" by * write`, []check{
			{subj: anon, target: u, attr: "cn", want: acl.LevelWrite},
			{subj: anon, target: "ou=p,dc=ex", attr: "ou", want: acl.LevelWrite},
		}},
		{"attrs entry children objectClass lists", `access to attrs=entry by * read
access to attrs=children by users write
access to attrs=@person by * compare
access to attrs=!person by * search`, []check{
			{subj: anon, target: u, attr: "entry", want: acl.LevelRead, deny: acl.PrivWrite},
			{subj: a, target: "ou=p,dc=ex", attr: "children", want: acl.LevelWrite},
			{subj: anon, target: u, attr: "sn", want: acl.LevelCompare, deny: acl.PrivSearch},
			{subj: anon, target: u, attr: "mail", want: acl.LevelSearch, deny: acl.PrivRead},
		}},
		{"attr subtypes: attrs=name covers cn", `access to attrs=name by * write`, []check{
			{subj: anon, target: u, attr: "cn", want: acl.LevelWrite},
			{subj: anon, target: u, attr: "mail", deny: acl.PrivDisclose},
		}},
		{"filter", `access to filter=(sn=special) by * write
access to * by * read`, []check{
			{subj: anon, target: u, attr: "cn", want: acl.LevelWrite},
			{subj: anon, target: a, attr: "cn", want: acl.LevelRead, deny: acl.PrivWrite},
		}},
		{"val exact, regex and DN styles need a value", `access to attrs=sn val="plain" by * write
access to attrs=cn val.regex="^u$" by * write
access to attrs=seeAlso val.one="ou=p,dc=ex" by * write
access to * by * read`, []check{
			{subj: anon, target: a, attr: "sn", val: "PLAIN", want: acl.LevelWrite},
			{subj: anon, target: a, attr: "sn", deny: acl.PrivWrite},
			{subj: anon, target: u, attr: "cn", val: "u", want: acl.LevelWrite},
			{subj: anon, target: u, attr: "seeAlso", val: "cn=z,ou=p,dc=ex", want: acl.LevelWrite},
			{subj: anon, target: u, attr: "seeAlso", val: "cn=z,dc=ex", deny: acl.PrivWrite},
		}},
		{"who anonymous users self", `access to * by anonymous auth by self write by users read`, []check{
			{subj: anon, target: u, attr: "userPassword", want: acl.LevelAuth, deny: acl.PrivCompare},
			{subj: u, target: u, attr: "userPassword", want: acl.LevelWrite},
			{subj: a, target: u, attr: "userPassword", want: acl.LevelRead, deny: acl.PrivWrite},
		}},
		{"self.level", `access to * by self.level{1} write by self.level{-1} read by * none`, []check{
			{subj: u, target: "ou=p,dc=ex", attr: "ou", want: acl.LevelWrite},
			{subj: "ou=p,dc=ex", target: u, attr: "cn", want: acl.LevelRead, deny: acl.PrivWrite},
		}},
		{"who dn styles and expand", `access to dn.regex="^cn=([^,]+),ou=p,dc=ex$" by dn.exact,expand="cn=$1,ou=p,dc=ex" write by dn.regex="^cn=$1,ou=p,dc=ex$$" read by dn.children="ou=p,dc=ex" search by dn.level{1}="ou=g,dc=ex" compare`, []check{
			{subj: u, target: u, attr: "cn", want: acl.LevelWrite},
			{subj: a, target: u, attr: "cn", want: acl.LevelSearch, deny: acl.PrivRead},
			{subj: "cn=x,ou=g,dc=ex", target: u, attr: "cn", want: acl.LevelCompare, deny: acl.PrivSearch},
		}},
		{"dnattr", `access to * by dnattr=seeAlso write by * read`, []check{
			{subj: a, target: u, attr: "cn", want: acl.LevelWrite},
			{subj: u, target: u, attr: "cn", want: acl.LevelRead, deny: acl.PrivWrite},
			{subj: anon, target: u, attr: "cn", want: acl.LevelRead, deny: acl.PrivWrite},
		}},
		{"group default class and member, normalized compare", `access to * by group="cn=g,ou=g,dc=ex" write by * read`, []check{
			{subj: a, target: u, attr: "cn", want: acl.LevelWrite},
			{subj: u, target: u, attr: "cn", want: acl.LevelRead, deny: acl.PrivWrite},
		}},
		{"group with class and attribute, expand", `access to dn.regex="^cn=([^,]+),ou=p,dc=ex$" by group/organizationalRole/roleOccupant.expand="cn=r,ou=g,dc=ex" write by group/groupOfNames/member.expand="cn=$1,ou=g,dc=ex" read by * none`, []check{
			{subj: u, target: a, attr: "cn", want: acl.LevelWrite},
			{subj: a, target: a, attr: "cn", deny: acl.PrivDisclose},
		}},
		{"group: wrong object class", `access to * by group/groupOfNames/member="cn=r,ou=g,dc=ex" write by * read`, []check{
			{subj: u, target: a, attr: "cn", want: acl.LevelRead, deny: acl.PrivWrite},
		}},
		{"peername and ssf", `access to * by peername.ip=10.0.0.0%255.0.0.0 write by peername.regex="^IP=192\\." read by ssf=128 compare by * none`, []check{
			{subj: anon, target: u, attr: "cn", peer: "10.2.3.4:5", want: acl.LevelWrite},
			{subj: anon, target: u, attr: "cn", peer: "192.168.0.1:5", want: acl.LevelRead, deny: acl.PrivWrite},
			{subj: anon, target: u, attr: "cn", peer: "127.0.0.1:5", ssf: 256, want: acl.LevelCompare, deny: acl.PrivSearch},
			{subj: anon, target: u, attr: "cn", peer: "127.0.0.1:5", deny: acl.PrivDisclose},
		}},
		{"priv forms =, +, -", `access to * by * =rs continue by users +w continue by dn.base="cn=a,ou=p,dc=ex" -s stop`, []check{
			{subj: a, target: u, attr: "cn", want: acl.PrivRead | acl.PrivWrite, deny: acl.PrivSearch | acl.PrivCompare},
			{subj: anon, target: u, attr: "cn", deny: acl.PrivRead}, // continue then implicit by * none
		}},
		{"break carries the mask to the next matching rule", `access to attrs=cn by * =cs break
access to dn.subtree="ou=p,dc=ex" by users +r
access to * by * =d`, []check{
			{subj: a, target: u, attr: "cn", want: acl.PrivRead | acl.PrivCompare | acl.PrivSearch},
			{subj: anon, target: u, attr: "cn", deny: acl.PrivCompare},
		}},
		{"break with no rule after denies", `access to * by * read break`, []check{
			{subj: a, target: u, attr: "cn", deny: acl.PrivDisclose},
		}},
		{"selfwrite on a DN value", `access to attrs=member by users selfwrite by * read`, []check{
			{subj: a, target: "cn=g,ou=g,dc=ex", attr: "member", val: "cn=a,ou=p,dc=ex", want: acl.LevelWrite},
			{subj: a, target: "cn=g,ou=g,dc=ex", attr: "member", val: "cn=u,ou=p,dc=ex", want: acl.LevelRead, deny: acl.PrivWrite},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, sc := compileText(t, tc.rules)
			tr := newTree(t, sc)
			for _, c := range tc.checks {
				var s acl.Subject
				s.NDN, _ = sc.NormalizeDN(c.subj)
				if c.peer != "" {
					s.Peer = netip.MustParseAddrPort(c.peer)
					s.PeerName = "IP=" + c.peer
				}
				s.SSF = c.ssf
				ev := p.NewEvaluator(s, tr.fetch)
				tndn, _ := sc.NormalizeDN(c.target)
				var at = acl.EntryAttr
				switch c.attr {
				case "entry":
				case "children":
					at = acl.ChildrenAttr
				default:
					at = sc.AttributeType(c.attr)
				}
				var val []byte
				if c.val != "" {
					val = []byte(c.val)
					if n, err := at.Equality.Normalize(sc, val); err == nil {
						val = n
					}
				}
				target := tr[tndn]
				if target == nil {
					t.Fatalf("no entry %q", c.target)
				}
				r := acl.Request{Entry: target, Attr: at, Value: val}
				m, _ := ev.Mask(r)
				if c.want != 0 && !ev.Allowed(r, c.want) {
					t.Errorf("%q on %q %s=%q: mask %s, want %s granted", c.subj, c.target, c.attr, c.val, m, c.want)
				}
				for bit := acl.Priv(1); bit <= acl.PrivManage; bit <<= 1 {
					if c.deny&bit != 0 && ev.Allowed(r, bit) {
						t.Errorf("%q on %q %s=%q: mask %s, want %s denied", c.subj, c.target, c.attr, c.val, m, bit)
					}
				}
				ev.Release()
			}
		})
	}
}

// TestOperationChecks checks the operation helpers' result codes and the
// disclose masking.
func TestOperationChecks(t *testing.T) {
	p, sc := compileText(t, `access to dn.base="cn=a,ou=p,dc=ex" by * none
access to attrs=children by dn.base="cn=u,ou=p,dc=ex" write by * read
access to * by self write by users read by * disclose`)
	tr := newTree(t, sc)
	ndn := func(s string) string { n, _ := sc.NormalizeDN(s); return n }
	uEv := p.NewEvaluator(acl.Subject{NDN: ndn(u)}, tr.fetch)
	defer uEv.Release()
	anonEv := p.NewEvaluator(acl.Subject{}, tr.fetch)
	defer anonEv.Release()
	cn := sc.AttributeType("cn")
	ou := tr[ndn("ou=p,dc=ex")]
	ue, ae := tr[ndn(u)], tr[ndn(a)]
	tests := []struct {
		name string
		got  int
		want int
	}{
		{"compare hidden entry", uEv.Compare(ae, cn, "", []byte("a")), acl.ResultNoSuchObject},
		{"compare disclosed entry", anonEv.Compare(ue, cn, "", []byte("u")), acl.ResultInsufficientAccess},
		{"compare allowed", uEv.Compare(ue, cn, "", []byte("u")), acl.ResultSuccess},
		{"search base hidden", uEv.SearchBase(ae), acl.ResultNoSuchObject},
		{"search base", uEv.SearchBase(ue), acl.ResultSuccess},
		{"add under ou=p", uEv.Add(ou, ae), acl.ResultInsufficientAccess}, // entry cn=a: none
		{"add allowed", uEv.Add(ou, ue), acl.ResultSuccess},
		{"delete refused on parent", anonEv.Delete(ou, ue), acl.ResultInsufficientAccess},
		{"modify own", uEv.Modify(ue, []acl.Mod{{Op: acl.ModReplace, Attr: cn, Values: [][]byte{[]byte("x")}}}), acl.ResultSuccess},
		{"modify other", uEv.Modify(ou, []acl.Mod{{Op: acl.ModAdd, Attr: sc.AttributeType("description"), Values: [][]byte{[]byte("x")}}}), acl.ResultInsufficientAccess},
		{"password modify own", uEv.PasswordModify(ue, sc.AttributeType("userPassword"), []byte("{SSHA}x")), acl.ResultSuccess},
		{"modify operational no-user-mod is not checked", anonEv.Modify(ue, []acl.Mod{{Op: acl.ModReplace, Attr: sc.AttributeType("modifyTimestamp"), Values: [][]byte{[]byte("x")}}}), acl.ResultSuccess},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, tc.got, tc.want)
		}
	}
	if !anonEv.CanDisclose(ue) || uEv.CanDisclose(ae) {
		t.Errorf("CanDisclose wrong")
	}
	if !p.IsRoot(ndn(root)) || p.IsRoot("") {
		t.Errorf("IsRoot wrong")
	}
}
