package acl

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// split tokenizes like the slapd.conf lexer: whitespace separates tokens,
// double quotes group and are removed, a backslash escapes the next byte.
func split(s string) []string {
	var toks []string
	var cur strings.Builder
	in, have := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			have = true
		case c == '"':
			in = !in
			have = true
		case !in && (c == ' ' || c == '\t' || c == '\n'):
			if have {
				toks = append(toks, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if have {
		toks = append(toks, cur.String())
	}
	return toks
}

func mustParse(t *testing.T, s string) *Rule {
	t.Helper()
	args := split(s)
	if strings.EqualFold(args[0], "access") {
		args = args[1:]
	}
	r, err := Parse(args)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return r
}

// The HOWTO's three rules as printed for OpenLDAP 2.0 (with the line
// breaks after "=\" joined and the lost attr=userPassword put back), and
// the same rules in OpenLDAP 2.5 syntax.
var (
	howto20 = []string{
		`access to dn=".*,jvd=([^,]+),o=hosting,dc=myhosting,dc=example" attr=userPassword
			by self write
			by group/jammPostmaster/roleOccupant="cn=postmaster,jvd=$1,o=hosting,dc=myhosting,dc=example" write
			by anonymous auth
			by * none`,
		`access to dn=".*jvd=([^,]+),o=hosting,dc=myhosting,dc=example"
			by self write
			by group/jammPostmaster/roleOccupant="cn=postmaster,jvd=$1,o=hosting,dc=myhosting,dc=example" write
			by * read`,
		`access to * by * read`,
	}
	howto25 = []string{
		`access to dn.regex=".*,jvd=([^,]+),o=hosting,dc=myhosting,dc=example" attrs=userPassword
			by self write
			by group/jammPostmaster/roleOccupant.expand="cn=postmaster,jvd=$1,o=hosting,dc=myhosting,dc=example" write
			by anonymous auth
			by * none`,
		`access to dn.regex=".*jvd=([^,]+),o=hosting,dc=myhosting,dc=example"
			by self write
			by group/jammPostmaster/roleOccupant.expand="cn=postmaster,jvd=$1,o=hosting,dc=myhosting,dc=example" write
			by * read`,
		`access to * by * read`,
	}
	howtoPrinted = []string{
		`access to dn.regex=".*,jvd=([^,]+),o=hosting,dc=myhosting,dc=example" attrs=userPassword by self write stop by group/jammPostmaster/roleOccupant.expand="cn=postmaster,jvd=$1,o=hosting,dc=myhosting,dc=example" write stop by anonymous auth stop by * none stop`,
		`access to dn.regex=".*jvd=([^,]+),o=hosting,dc=myhosting,dc=example" by self write stop by group/jammPostmaster/roleOccupant.expand="cn=postmaster,jvd=$1,o=hosting,dc=myhosting,dc=example" write stop by * read stop`,
		`access to * by * read stop`,
	}
)

func TestHOWTORules(t *testing.T) {
	for i := range howto20 {
		r20 := mustParse(t, howto20[i])
		r25 := mustParse(t, howto25[i])
		if got := r20.String(); got != howtoPrinted[i] {
			t.Errorf("2.0 rule %d:\n got %s\nwant %s", i, got, howtoPrinted[i])
		}
		if got := r25.String(); got != howtoPrinted[i] {
			t.Errorf("2.5 rule %d:\n got %s\nwant %s", i, got, howtoPrinted[i])
		}
		if len(r25.Warnings) != 0 {
			t.Errorf("2.5 rule %d: unexpected warnings %q", i, r25.Warnings)
		}
		if i < 2 && len(r20.Warnings) == 0 {
			t.Errorf("2.0 rule %d: want legacy warnings", i)
		}
	}

	r := mustParse(t, howto20[0])
	if r.What.DN == nil || r.What.DN.Style != StyleRegex || !r.What.DN.Legacy || r.What.DN.Regex == nil {
		t.Fatalf("what dn = %+v", r.What.DN)
	}
	m := r.What.DN.Regex.FindStringSubmatch("uid=joe,jvd=example.com,o=hosting,dc=myhosting,dc=example")
	if len(m) != 2 || m[1] != "example.com" {
		t.Errorf("regex submatches = %q", m)
	}
	if len(r.What.Attrs) != 1 || r.What.Attrs[0].Name != "userPassword" || r.What.Attrs[0].Kind != AttrType {
		t.Errorf("attrs = %+v", r.What.Attrs)
	}
	if len(r.By) != 4 {
		t.Fatalf("by clauses = %d", len(r.By))
	}
	g := r.By[1].Who.Group
	if g == nil || g.ObjectClass != "jammPostmaster" || g.Attr != "roleOccupant" || g.Style != StyleExpand || !g.Legacy {
		t.Fatalf("group = %+v", g)
	}
	if got := g.Template.Expand(m, nil); got != "cn=postmaster,jvd=example.com,o=hosting,dc=myhosting,dc=example" {
		t.Errorf("expanded group = %q", got)
	}
	wantAccess := []Priv{LevelWrite, LevelWrite, LevelAuth, LevelNone}
	for i, c := range r.By {
		if c.Access.Apply(PrivAll) != wantAccess[i] || c.Control != Stop {
			t.Errorf("clause %d: access %v control %v", i, c.Access, c.Control)
		}
	}
	if !r.By[0].Who.Self || !r.By[2].Who.Anonymous || !r.By[3].Who.Any {
		t.Errorf("who = %+v", r.By)
	}
	// The catch-all rule selects everything.
	all := mustParse(t, howto20[2])
	if all.What.DN != nil || all.What.Attrs != nil || all.What.Filter != "" {
		t.Errorf("access to * = %+v", all.What)
	}
}

func TestParseForms(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// <what>
		{`to * by * read`, `access to * by * read stop`},
		{`to dn.base="dc=example" by * read`, `access to dn.base="dc=example" by * read stop`},
		{`to dn.exact="dc=example" by * read`, `access to dn.base="dc=example" by * read stop`},
		{`to dn.baseObject="dc=example" by * read`, `access to dn.base="dc=example" by * read stop`},
		{`to dn.one="dc=example" by * read`, `access to dn.one="dc=example" by * read stop`},
		{`to dn.onelevel="dc=example" by * read`, `access to dn.one="dc=example" by * read stop`},
		{`to dn.sub="dc=example" by * read`, `access to dn.subtree="dc=example" by * read stop`},
		{`to dn.subtree="dc=example" by * read`, `access to dn.subtree="dc=example" by * read stop`},
		{`to dn.children="dc=example" by * read`, `access to dn.children="dc=example" by * read stop`},
		{`to dn.regex="^(.+,)?dc=example$" by * read`, `access to dn.regex="^(.+,)?dc=example$" by * read stop`},
		{`to dn.regex="uid=([^,]+), dc=example" by * read`, `access to dn.regex="uid=([^,]+),dc=example" by * read stop`},
		{`to dn.regex="[, ]x" by * read`, `access to dn.regex="[, ]x" by * read stop`},
		{`to dn.regex=".*" by * read`, `access to * by * read stop`},
		{`to dn="^.*$" by * read`, `access to * by * read stop`},
		{`to dn="dc=example" by * read`, `access to dn.base="dc=example" by * read stop`},
		{`to dn="" by * read`, `access to dn.base="" by * read stop`},
		{`to DN.Regex="x" by * read`, `access to dn.regex="x" by * read stop`},
		{`to filter=(objectClass=person) by * read`, `access to filter="(objectClass=person)" by * read stop`},
		{`to filter=objectClass=person by * read`, `access to filter="(objectClass=person)" by * read stop`},
		{`to filter="(&(objectClass=jammMailAccount)(accountActive=TRUE))" by * read`, `access to filter="(&(objectClass=jammMailAccount)(accountActive=TRUE))" by * read stop`},
		{`to attrs=userPassword by * auth`, `access to attrs=userPassword by * auth stop`},
		{`to attr=userPassword by * auth`, `access to attrs=userPassword by * auth stop`},
		{`to attrs=mail,cn,entry,children,@jammMailAccount,!jammVirtualDomain,name;x-hidden by * read`, `access to attrs=mail,cn,entry,children,@jammMailAccount,!jammVirtualDomain,name;x-hidden by * read stop`},
		{`to attrs=member val.regex="^cn=a.*" by * read`, `access to attrs=member val.regex="^cn=a.*" by * read stop`},
		{`to attrs=member val="cn=a" by * read`, `access to attrs=member val.exact="cn=a" by * read stop`},
		{`to attrs=member val.subtree="dc=example" by * read`, `access to attrs=member val.subtree="dc=example" by * read stop`},
		{`to attrs=member val/distinguishedNameMatch.children="dc=example" by * read`, `access to attrs=member val/distinguishedNameMatch.children="dc=example" by * read stop`},
		{`to attrs=mail val/1.3.6.1.4.1.1466.109.114.2="a@b" by * read`, `access to attrs=mail val/1.3.6.1.4.1.1466.109.114.2.exact="a@b" by * read stop`},
		{`to dn.subtree="o=hosting,dc=example" filter=(objectClass=jammVirtualDomain) attrs=editAccounts by * read`,
			`access to dn.subtree="o=hosting,dc=example" filter="(objectClass=jammVirtualDomain)" attrs=editAccounts by * read stop`},
		{`to * attrs=userPassword by * auth`, `access to attrs=userPassword by * auth stop`},
		// <who>
		{`to * by anonymous auth by users read by self write`, `access to * by anonymous auth stop by users read stop by self write stop`},
		{`to * by self.level{1} read`, `access to * by self.level{1} read stop`},
		{`to * by realanonymous auth by realusers read by realself write`, `access to * by realanonymous auth stop by realusers read stop by realself write stop`},
		{`to * by dn.exact="cn=a,dc=example" write`, `access to * by dn.base="cn=a,dc=example" write stop`},
		{`to * by dn="cn=a,dc=example" write`, `access to * by dn.base="cn=a,dc=example" write stop`},
		{`to * by dn=".*,dc=example" write`, `access to * by dn.regex=".*,dc=example" write stop`},
		{`to * by dn="*" write`, `access to * by dn.regex=".*" write stop`},
		{`to * by dn.one="dc=example" read`, `access to * by dn.one="dc=example" read stop`},
		{`to * by dn.subtree="dc=example" read`, `access to * by dn.subtree="dc=example" read stop`},
		{`to * by dn.children="dc=example" read`, `access to * by dn.children="dc=example" read stop`},
		{`to * by dn.level{2}="dc=example" read`, `access to * by dn.level{2}="dc=example" read stop`},
		{`to dn.regex="^(.+,)?uid=([^,]+),dc=example$" by dn.regex="^uid=$2,dc=example$$" write`,
			`access to dn.regex="^(.+,)?uid=([^,]+),dc=example$" by dn.regex="^uid=$2,dc=example$$" write stop`},
		{`to dn.regex="^(.+,)?uid=([^,]+),dc=example$" by dn.exact,expand="uid=$2,dc=example" write`,
			`access to dn.regex="^(.+,)?uid=([^,]+),dc=example$" by dn.base,expand="uid=$2,dc=example" write stop`},
		{`to dn.subtree="dc=com" by dn.subtree,expand="$1" read`, `access to dn.subtree="dc=com" by dn.subtree,expand="$1" read stop`},
		{`to * by dn.expand="cn=$1" read`, `access to * by dn.base,expand="cn=$1" read stop`},
		{`to * by realdn.exact="cn=a" read`, `access to * by realdn.base="cn=a" read stop`},
		{`to * by dnattr=owner write`, `access to * by dnattr=owner write stop`},
		{`to * by realdnattr=owner write`, `access to * by realdnattr=owner write stop`},
		{`to * by group="cn=admins,dc=example" write`, `access to * by group/groupOfNames/member.exact="cn=admins,dc=example" write stop`},
		{`to * by group/groupOfUniqueNames/uniqueMember="cn=admins,dc=example" write`, `access to * by group/groupOfUniqueNames/uniqueMember.exact="cn=admins,dc=example" write stop`},
		{`to * by group/jammPostmaster.exact="cn=p,dc=example" write`, `access to * by group/jammPostmaster/member.exact="cn=p,dc=example" write stop`},
		{`to * by group.regex="cn=$1" write`, `access to * by group/groupOfNames/member.expand="cn=$1" write stop`},
		{`to * by peername="IP=127.0.0.1:389" read`, `access to * by peername.exact="IP=127.0.0.1:389" read stop`},
		{`to * by peername.ip=127.0.0.1 read`, `access to * by peername.ip="127.0.0.1" read stop`},
		{`to * by peername.ip=192.168.1.16%255.255.255.240{9009} read`, `access to * by peername.ip="192.168.1.16%255.255.255.240{9009}" read stop`},
		{`to * by peername.ipv6=::1 read`, `access to * by peername.ipv6="::1" read stop`},
		{`to * by peername.path=/run/ldapi read`, `access to * by peername.path="/run/ldapi" read stop`},
		{`to * by peername.regex="^IP=127\\.0\\.0\\.1:" read`, `access to * by peername.regex="^IP=127\\.0\\.0\\.1:" read stop`},
		{`to * by sockname="PATH=/run/ldapi" read`, `access to * by sockname.exact="PATH=/run/ldapi" read stop`},
		{`to * by domain.subtree=example.com read`, `access to * by domain.subtree="example.com" read stop`},
		{`to * by domain.exact,expand=$1.example.com read`, `access to * by domain.exact,expand="$1.example.com" read stop`},
		{`to * by sockurl.regex="^ldaps://" read`, `access to * by sockurl.regex="^ldaps://" read stop`},
		{`to * by ssf=128 transport_ssf=1 tls_ssf=2 sasl_ssf=3 read`, `access to * by ssf=128 transport_ssf=1 tls_ssf=2 sasl_ssf=3 read stop`},
		{`to * by users ssf=71 write`, `access to * by users ssf=71 write stop`},
		// <access> and <control>
		{`to * by * none`, `access to * by * none stop`},
		{`to * by * disclose`, `access to * by * disclose stop`},
		{`to * by * compare`, `access to * by * compare stop`},
		{`to * by * search`, `access to * by * search stop`},
		{`to * by * add`, `access to * by * add stop`},
		{`to * by * delete`, `access to * by * delete stop`},
		{`to * by * manage`, `access to * by * manage stop`},
		{`to * by * READ`, `access to * by * read stop`},
		{`to * by * =wrscxd`, `access to * by * =wrscxd stop`},
		{`to * by * +az`, `access to * by * +w stop`},
		{`to * by * -m`, `access to * by * -m stop`},
		{`to * by * =0`, `access to * by * =0 stop`},
		{`to * by * +0`, `access to * by * +0 stop`},
		{`to * by *`, `access to * by * +0 stop`},
		{`to * by * break`, `access to * by * +0 break`},
		{`to * by dnattr=member selfwrite`, `access to * by dnattr=member selfwrite stop`},
		{`to * by * self+w`, `access to * by * self+w stop`},
		{`to * by * realselfwrite`, `access to * by * realselfwrite stop`},
		{`to * by * =cs continue by users +r break`, `access to * by * =sc continue by users +r break`},
		{`to * by * read STOP`, `access to * by * read stop`},
		{`TO * BY * READ`, `access to * by * read stop`},
	}
	for _, tt := range tests {
		r, err := Parse(split(tt.in))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := r.String(); got != tt.want {
			t.Errorf("Parse(%q).String():\n got %s\nwant %s", tt.in, got, tt.want)
			continue
		}
		// Printing is a fixed point: the printed rule parses to itself.
		r2, err := Parse(split(r.String())[1:])
		if err != nil {
			t.Errorf("reparse %q: %v", r.String(), err)
		} else if r2.String() != r.String() {
			t.Errorf("reparse %q: got %s", r.String(), r2.String())
		}
	}
}

func TestGrant(t *testing.T) {
	tests := []struct {
		in     string
		op     Op
		privs  Priv
		self   bool
		apply  Priv // result of Apply(LevelRead)
		printd string
	}{
		{"none", OpLevel, LevelNone, false, LevelNone, "none"},
		{"disclose", OpLevel, PrivDisclose, false, PrivDisclose, "disclose"},
		{"auth", OpLevel, PrivDisclose | PrivAuth, false, LevelAuth, "auth"},
		{"compare", OpLevel, LevelAuth | PrivCompare, false, LevelCompare, "compare"},
		{"search", OpLevel, LevelCompare | PrivSearch, false, LevelSearch, "search"},
		{"read", OpLevel, LevelSearch | PrivRead, false, LevelRead, "read"},
		{"add", OpLevel, LevelRead | PrivAdd, false, LevelAdd, "add"},
		{"delete", OpLevel, LevelRead | PrivDelete, false, LevelDelete, "delete"},
		{"write", OpLevel, LevelRead | PrivAdd | PrivDelete, false, LevelWrite, "write"},
		{"manage", OpLevel, LevelWrite | PrivManage, false, LevelManage, "manage"},
		{"selfwrite", OpLevel, LevelWrite, true, LevelWrite, "selfwrite"},
		{"=wx", OpSet, PrivWrite | PrivAuth, false, PrivWrite | PrivAuth, "=wx"},
		{"+w", OpAdd, PrivWrite, false, LevelWrite, "+w"},
		{"+az", OpAdd, PrivWrite, false, LevelWrite, "+w"},
		{"-rs", OpRemove, PrivRead | PrivSearch, false, LevelCompare, "-rs"},
		{"=0", OpSet, 0, false, 0, "=0"},
		{"+0", OpAdd, 0, false, LevelRead, "+0"},
		{"=mwrscxd", OpSet, PrivAll, false, PrivAll, "=mwrscxd"},
	}
	for _, tt := range tests {
		g, ok, err := parseGrant(tt.in)
		if !ok || err != nil {
			t.Errorf("parseGrant(%q) = %v, %v", tt.in, ok, err)
			continue
		}
		if g.Op != tt.op || g.Privs != tt.privs || g.Self != tt.self {
			t.Errorf("parseGrant(%q) = %+v", tt.in, g)
		}
		if got := g.Apply(LevelRead); got != tt.apply {
			t.Errorf("%q.Apply(read) = %v, want %v", tt.in, got, tt.apply)
		}
		if got := g.String(); got != tt.printd {
			t.Errorf("%q.String() = %q", tt.in, got)
		}
	}
	// Levels are ordered: each implies every lower one.
	for i := 1; i < len(levels); i++ {
		lo, hi := levels[i-1], levels[i]
		if lo.name == "add" && hi.name == "delete" {
			continue
		}
		if hi.mask&lo.mask != lo.mask || hi.mask == lo.mask {
			t.Errorf("level %s does not strictly imply %s", hi.name, lo.name)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in      string
		arg     int // index into the args after "access"
		wantMsg string
	}{
		{``, 0, `expected "to"`},
		{`from * by * read`, 0, `expected "to"`},
		{`to`, 1, `missing <what>`},
		{`to by * read`, 1, `missing <what>`},
		{`to *`, -1, `no by clause`},
		{`to * * by * read`, 2, `dn pattern already specified`},
		{`to dn.base="a" dn.base="b" by * read`, 2, `dn pattern already specified`},
		{`to dn.bogus="a" by * read`, 1, `unknown dn style "bogus"`},
		{`to dn.level{1}="a" by * read`, 1, `unknown dn style`},
		{`to dn.regex="(" by * read`, 1, `bad regular expression`},
		{`to dn.regex="a\\1" by * read`, 1, `bad regular expression`},
		{`to foo by * read`, 1, `unknown <what> "foo"`},
		{`to foo=bar by * read`, 1, `unknown <what> "foo"`},
		{`to filter=(cn=a by * read`, 1, `bad filter`},
		{`to filter= by * read`, 1, `empty filter`},
		{`to attrs= by * read`, 1, `empty attrs`},
		{`to attrs=a,,b by * read`, 1, `bad attribute name ""`},
		{`to attrs=a$b by * read`, 1, `bad attribute name`},
		{`to attrs=a,b val=x by * read`, 2, `single attribute`},
		{`to val=x by * read`, 1, `single attribute`},
		{`to attrs=a val.bogus=x by * read`, 2, `unknown val style`},
		{`to attrs=a val.regex="[" by * read`, 2, `bad regular expression`},
		{`to * by`, 2, `missing <who>`},
		{`to * by read`, 3, `unknown <who> "read"`},
		{`to * by * bogus`, 4, `unknown access "bogus"`},
		{`to * by * read bogus`, 5, `unexpected "bogus"`},
		{`to * by * =q`, 4, `unknown privilege "q"`},
		{`to * by * =w0`, 4, `0 must be used by itself`},
		{`to * by * =`, 4, `no privileges`},
		{`to * by * selfbogus`, 4, `unknown access level`},
		{`to * by dn.bogus=x read`, 3, `unknown dn style "bogus"`},
		{`to * by dn.exact,bogus=x read`, 3, `unknown modifier "bogus"`},
		{`to * by dn.regex,expand=x read`, 3, `always expands`},
		{`to * by dn.regex="(" read`, 3, `bad regular expression`},
		{`to * by dn.regex="a${x}" read`, 3, `bad submatch reference`},
		{`to * by dn.regex="a${1" read`, 3, `unterminated ${`},
		{`to * by dn.exact=a dn.exact=b read`, 4, `already specified`},
		{`to * by dn read`, 3, `missing "="`},
		{`to * by group/jammPostmaster/roleOccupant= "cn=postmaster,jvd=$1" write`, 3, `join it with the next line`},
		{`to * by group read`, 3, `missing value after "group="`},
		{`to * by group.bogus=x read`, 3, `inappropriate style "bogus"`},
		{`to * by group/a/b/c=x read`, 3, `want group[/objectClass[/attribute]]`},
		{`to * by group/a$=x read`, 3, `bad object class`},
		{`to * by group=a group=b read`, 4, `group pattern already specified`},
		{`to * by dnattr= read`, 3, `missing value`},
		{`to * by dnattr=a,b read`, 3, `bad attribute name`},
		{`to * by ssf=0 read`, 3, `positive integer`},
		{`to * by ssf=x read`, 3, `positive integer`},
		{`to * by tls_ssf=-1 read`, 3, `positive integer`},
		{`to * by peername.ip=300.1.1.1 read`, 3, `bad IPv4 address`},
		{`to * by peername.ip=::1 read`, 3, `bad IPv4 address`},
		{`to * by peername.ipv6=127.0.0.1 read`, 3, `bad IPv6 address`},
		{`to * by peername.ip=1.2.3.4%255.0 read`, 3, `bad mask`},
		{`to * by peername.ip=1.2.3.4{x} read`, 3, `bad port`},
		{`to * by peername.ip=1.2.3.4{80 read`, 3, `unterminated {port}`},
		{`to * by domain.ip=x read`, 3, `only for peername`},
		{`to * by peername.subtree=x read`, 3, `only for domain`},
		{`to * by peername.exact,expand=x read`, 3, `not allowed in peername`},
		{`to * by sockurl.bogus=x read`, 3, `unknown style`},
		{`to * by peername=a peername=b read`, 4, `already specified`},
		{`to * by set="user/uid" read`, 3, `not supported`},
		{`to * by dynacl/aci read`, 3, `not supported`},
		{`to * by self=x read`, 3, `takes no value`},
		{`to * by dn.anonymous=x read`, 3, `for limits`},
		{`to * by * read by`, 5, `missing <who>`},
	}
	for _, tt := range tests {
		_, err := Parse(split(tt.in))
		if err == nil {
			t.Errorf("Parse(%q): no error, want %q", tt.in, tt.wantMsg)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q): error %T, want *SyntaxError", tt.in, err)
			continue
		}
		if !strings.Contains(se.Msg, tt.wantMsg) || se.Arg != tt.arg {
			t.Errorf("Parse(%q) = arg %d %q, want arg %d containing %q", tt.in, se.Arg, se.Msg, tt.arg, tt.wantMsg)
		}
	}
}

func TestRegexSemantics(t *testing.T) {
	// Unanchored and case-insensitive, as slapd's regexec with REG_ICASE.
	r := mustParse(t, `to dn.regex="dc=example,dc=com" by * read`)
	for _, dn := range []string{"uid=joe,dc=example,dc=com", "dc=example,dc=com,uid=joe", "DC=Example,DC=Com"} {
		if !r.What.DN.Regex.MatchString(dn) {
			t.Errorf("%q does not match %q", r.What.DN.Raw, dn)
		}
	}
	// Leftmost-longest, as POSIX.
	r = mustParse(t, `to dn.regex="(a|ab)(c|bcd)" by * read`)
	if m := r.What.DN.Regex.FindString("abcd"); m != "abcd" {
		t.Errorf("leftmost-longest match = %q", m)
	}
	// Who regexes with references are expanded first; $$ is a literal $.
	r = mustParse(t, `to dn.regex="^(.+,)?uid=([^,]+),dc=example$" by dn.regex="^uid=$2,dc=example$$" write`)
	d := r.By[0].Who.DN
	if !d.Expand || d.Regex != nil {
		t.Fatalf("who dn = %+v", d)
	}
	m := r.What.DN.Regex.FindStringSubmatch("cn=x,uid=joe,dc=example")
	if got := d.Template.Expand(m, nil); got != "^uid=joe,dc=example$" {
		t.Errorf("expanded = %q", got)
	}
	// Without references the who regex is compiled at once.
	r = mustParse(t, `to * by dn.regex="^cn=[^,]+,dc=example$" write`)
	if re := r.By[0].Who.DN.Regex; re == nil || !re.MatchString("cn=a,dc=example") || re.MatchString("cn=a,ou=x,dc=example") {
		t.Errorf("who regex = %v", re)
	}
}

func TestTemplate(t *testing.T) {
	tests := []struct {
		in   string
		dn   []string
		val  []string
		want string
	}{
		{"cn=$1,dc=x", []string{"all", "a"}, nil, "cn=a,dc=x"},
		{"$0", []string{"all"}, nil, "all"},
		{"${1}${d2}", []string{"", "a", "b"}, nil, "ab"},
		{"${v1}-$1", []string{"", "d"}, []string{"", "v"}, "v-d"},
		{"$$ and $x and $", nil, nil, "$ and $x and $"},
		{"cn=$9", []string{"only"}, nil, "cn="},
		{"${12}", make([]string, 13), nil, ""},
	}
	for _, tt := range tests {
		tp, err := parseTemplate(tt.in)
		if err != nil {
			t.Errorf("parseTemplate(%q): %v", tt.in, err)
			continue
		}
		if got := tp.Expand(tt.dn, tt.val); got != tt.want {
			t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	tp, _ := parseTemplate("a$2b${v3}")
	if tp.MaxRef(RefDN) != 2 || tp.MaxRef(RefVal) != 3 || !tp.HasRefs() {
		t.Errorf("MaxRef/HasRefs wrong: %+v", tp)
	}
}

func TestIPPattern(t *testing.T) {
	r := mustParse(t, `to * by peername.ip=192.168.1.16%255.255.255.240{9009} read by peername.ipv6=fe80::%ffff:: read`)
	p := r.By[0].Who.PeerName
	if p.Port != 9009 || p.Net.String() != "192.168.1.16/28" {
		t.Errorf("ip pattern = %v port %d", p.Net, p.Port)
	}
	if !p.Net.Contains([]byte{192, 168, 1, 31}) || p.Net.Contains([]byte{192, 168, 1, 32}) {
		t.Errorf("mask wrong: %v", p.Net)
	}
	if p6 := r.By[1].Who.PeerName; p6.Net.String() != "fe80::/16" {
		t.Errorf("ipv6 pattern = %v", p6.Net)
	}
}

// fakeSchema is a Resolver knowing a few names of the HOWTO's schema.
type fakeSchema struct{}

func (fakeSchema) NormalizeDN(dn string) (string, error) {
	if strings.Contains(dn, "bad") || (dn != "" && !strings.Contains(dn, "=")) {
		return "", fmt.Errorf("invalid DN")
	}
	return strings.ToLower(strings.ReplaceAll(dn, ", ", ",")), nil
}

func (fakeSchema) AttributeType(name string) (string, bool, bool) {
	for _, a := range []struct {
		name string
		dn   bool
	}{{"userPassword", false}, {"roleOccupant", true}, {"member", true}, {"mail", false}, {"cn", false}} {
		if strings.EqualFold(a.name, name) {
			return a.name, a.dn, true
		}
	}
	return "", false, false
}

func (fakeSchema) ObjectClass(name string) (string, bool) {
	for _, oc := range []string{"jammPostmaster", "groupOfNames", "jammMailAccount"} {
		if strings.EqualFold(oc, name) {
			return oc, true
		}
	}
	return "", false
}

func TestBind(t *testing.T) {
	r := mustParse(t, `to dn.subtree="DC=Example, dc=COM" attrs=USERPASSWORD,jammmailaccount,@JAMMMAILACCOUNT,entry
		by dn.exact="CN=Admin,dc=example" write
		by group/JAMMPOSTMASTER/ROLEOCCUPANT="cn=postmaster,dc=example" write
		by dnattr=MEMBER read
		by dn.regex=".*" read`)
	if errs := r.Bind(fakeSchema{}); len(errs) != 0 {
		t.Fatalf("Bind: %v", errs)
	}
	if r.What.DN.Norm != "dc=example,dc=com" {
		t.Errorf("what norm = %q", r.What.DN.Norm)
	}
	wantAttrs := "userPassword,@jammMailAccount,@jammMailAccount,entry"
	var got []string
	for _, a := range r.What.Attrs {
		got = append(got, a.String())
	}
	if strings.Join(got, ",") != wantAttrs {
		t.Errorf("attrs = %v, want %s", got, wantAttrs)
	}
	if r.By[0].Who.DN.Norm != "cn=admin,dc=example" {
		t.Errorf("who norm = %q", r.By[0].Who.DN.Norm)
	}
	g := r.By[1].Who.Group
	if g.ObjectClass != "jammPostmaster" || g.Attr != "roleOccupant" || g.Norm != "cn=postmaster,dc=example" {
		t.Errorf("group = %+v", g)
	}
	if r.By[2].Who.DNAttr != "member" {
		t.Errorf("dnattr = %q", r.By[2].Who.DNAttr)
	}

	bad := mustParse(t, `to dn.base="bad" attrs=nosuch,@nosuchclass,!nosuch by dnattr=mail read by group/nosuch/nosuch="cn=bad" read by dn.exact="bad" read`)
	errs := bad.Bind(fakeSchema{})
	want := []string{
		`bad DN "bad" in to clause`,
		`undefined attribute type or object class "nosuch"`,
		`undefined object class "nosuchclass"`,
		`undefined object class "nosuch" in attrs`,
		`attribute "mail" in dnattr must have DN syntax`,
		`bad DN "bad" in by clause`,
		`undefined object class "nosuch" in group`,
		`undefined attribute type "nosuch" in group`,
		`bad group DN "cn=bad"`,
	}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("Bind errors lack %q:\n%s", w, all)
		}
	}
	if len(errs) != len(want) {
		t.Errorf("Bind: %d errors, want %d:\n%s", len(errs), len(want), all)
	}

	v := mustParse(t, `to attrs=member val.subtree="DC=Example" by * read`)
	if errs := v.Bind(fakeSchema{}); len(errs) != 0 || v.What.Val.Norm != "dc=example" {
		t.Errorf("val bind: %v %q", errs, v.What.Val.Norm)
	}
	v = mustParse(t, `to attrs=mail val.subtree="dc=example" by * read`)
	if errs := v.Bind(fakeSchema{}); len(errs) != 1 {
		t.Errorf("val.subtree on mail: %v", errs)
	}
}
