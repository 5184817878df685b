package acl_test

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"hostdir/directory/acl"
	"hostdir/directory/config"
	"hostdir/directory/entry"
	"hostdir/directory/filter"
	"hostdir/directory/ldif"
)

// diffConf exercises every <what> and <who> form hostdir evaluates, the
// privilege forms and the three controls. Each rule is reachable.
const diffRules = `
access to dn.base="cn=u,ou=p,dc=ex" attrs=description
	by self write
	by * none
access to dn.one="ou=p,dc=ex" attrs=seeAlso
	by dnattr=seeAlso write
	by * read
access to dn.children="ou=g,dc=ex" attrs=description
	by group.exact="cn=admins,ou=g,dc=ex" write
	by users read
	by * none
access to dn.regex="^cn=([^,]+),ou=p,dc=ex$" attrs=telephoneNumber
	by dn.exact,expand="cn=$1,ou=p,dc=ex" write
	by dn.regex="^cn=a[^,]*,ou=p,dc=ex$" read
	by anonymous auth
access to dn.regex="^cn=([^,]+),ou=(p|g),dc=ex$" attrs=street
	by group/groupOfNames/member.expand="cn=$1s,ou=g,dc=ex" write
	by self.level{1} read
	by * +d
access to filter=(sn=special) attrs=title
	by users =rsc
	by * +d
access to attrs=l val.regex="^x"
	by * =r
access to attrs=l
	by * =cs continue
	by users +r continue
	by dn.subtree="ou=g,dc=ex" -s
access to dn.subtree="ou=p,dc=ex" attrs=sn
	by * =cs break
access to dn.subtree="ou=p,dc=ex" attrs=sn
	by dn.children="ou=p,dc=ex" +r
access to attrs=member val.children="ou=p,dc=ex"
	by users selfwrite
	by * read
access to attrs=postalCode
	by peername.ip=127.0.0.0%255.0.0.0 read
	by ssf=128 write
	by peername.regex="^IP=10\\." compare
	by * none
access to attrs=@organizationalPerson
	by dn.one="ou=g,dc=ex" write
	by realusers read
access to attrs=entry,children
	by dn.base="cn=admin,ou=g,dc=ex" write
	by users read
	by * disclose
access to attrs=!person
	by dn.level{2}="dc=ex" =w
	by * read
access to *
	by * search
`

const diffLDIF = `dn: dc=ex
objectClass: dcObject
objectClass: organization
o: ex
dc: ex

dn: ou=p,dc=ex
objectClass: organizationalUnit
ou: p

dn: ou=g,dc=ex
objectClass: organizationalUnit
ou: g

dn: cn=u,ou=p,dc=ex
objectClass: organizationalPerson
cn: u
sn: special
seeAlso: cn=a,ou=p,dc=ex
title: boss
l: xyz
l: abc
telephoneNumber: 1
street: 1
postalCode: 1
description: d

dn: cn=a,ou=p,dc=ex
objectClass: organizationalPerson
cn: a
sn: plain
title: t
l: x
telephoneNumber: 2
street: 2

dn: cn=admin,ou=g,dc=ex
objectClass: person
cn: admin
sn: admin
description: d

dn: cn=admins,ou=g,dc=ex
objectClass: groupOfNames
cn: admins
member: cn=admin,ou=g,dc=ex
member: cn=u,ou=p,dc=ex
description: d

dn: cn=as,ou=g,dc=ex
objectClass: groupOfNames
cn: as
member: cn=u,ou=p,dc=ex
`

// query is one slapacl check: attr/access[:value].
type query struct{ attr, access, value string }

func (q query) arg() string {
	s := q.attr + "/" + q.access
	if q.value != "" {
		s += ":" + q.value
	}
	return s
}

var diffQueries = func() []query {
	var qs []query
	for _, a := range []string{"description", "seeAlso", "telephoneNumber", "street", "title", "l", "sn", "postalCode", "cn", "ou", "entry", "children", "objectClass", "member"} {
		for _, lv := range []string{"disclose", "auth", "compare", "search", "read", "write", "add", "delete", "manage"} {
			qs = append(qs, query{attr: a, access: lv})
		}
	}
	for _, lv := range []string{"read", "search", "write"} {
		qs = append(qs,
			query{"l", lv, "xyz"}, query{"l", lv, "abc"},
			query{"member", lv, "cn=u,ou=p,dc=ex"}, query{"member", lv, "cn=admin,ou=g,dc=ex"},
			query{"member", lv, "cn=a,ou=p,dc=ex"})
	}
	return qs
}()

var accessPriv = map[string]acl.Priv{
	"disclose": acl.PrivDisclose, "auth": acl.PrivAuth, "compare": acl.PrivCompare,
	"search": acl.PrivSearch, "read": acl.PrivRead, "write": acl.PrivWrite,
	"add": acl.PrivAdd, "delete": acl.PrivDelete, "manage": acl.PrivManage,
}

// TestSlapaclDifferential asks slapacl(8) and the evaluator the same
// questions (subjects x entries x attributes x access levels, with peer
// names and SSF) and wants the same answers.
func TestSlapaclDifferential(t *testing.T) {
	const slapacl, slapadd = "/usr/sbin/slapacl", "/usr/sbin/slapadd"
	if _, err := os.Stat(slapacl); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing", slapacl)
		}
		t.Skipf("%s missing", slapacl)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n" +
		"modulepath /usr/lib/ldap\nmoduleload back_mdb\ndatabase mdb\nsuffix \"dc=ex\"\n" +
		"rootdn \"cn=root,dc=ex\"\ndirectory " + filepath.Join(dir, "db") + "\n" + diffRules
	confPath := filepath.Join(dir, "slapd.conf")
	ldifPath := filepath.Join(dir, "tree.ldif")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ldifPath, []byte(diffLDIF), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(slapadd, "-f", confPath, "-l", ldifPath).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}

	cfg, err := config.Parse(confPath, strings.NewReader(conf))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	sc := cfg.Schema
	db := cfg.Databases[0]
	compileFilter := func(text string) (acl.FilterFunc, error) {
		f, err := filter.Parse(text, sc)
		if err != nil {
			return nil, err
		}
		return func(e acl.Entry) bool {
			raw := acl.Raw(e)
			return raw != nil && f.Eval(filter.Entry{E: raw, Schema: sc}) == filter.True
		}, nil
	}
	p, err := acl.Compile(db.Access, cfg.Access, sc, acl.Options{RootDN: db.RootDN, CompileFilter: compileFilter})
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string]acl.Entry{}
	r := ldif.NewReader(strings.NewReader(diffLDIF))
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		e := rec.Entry
		ndn, err := sc.NormalizeDN(e.DN)
		if err != nil {
			t.Fatal(err)
		}
		entries[ndn] = acl.NewEntry(&entry.Entry{DN: e.DN, Attrs: e.Attrs}, ndn, sc)
	}
	fetch := func(ndn string) acl.Entry { return entries[ndn] }

	type conn struct {
		name   string
		peer   string
		ssf    uint
		slapop []string
	}
	conns := []conn{
		{name: "local", peer: "IP=127.0.0.1:1000"},
		{name: "remote-ssf", peer: "IP=10.1.2.3:1000", ssf: 128},
	}
	subjects := []string{"", "cn=u,ou=p,dc=ex", "cn=a,ou=p,dc=ex", "cn=admin,ou=g,dc=ex", "cn=nobody,dc=ex", "cn=root,dc=ex"}
	targets := []string{"cn=u,ou=p,dc=ex", "cn=a,ou=p,dc=ex", "cn=admin,ou=g,dc=ex", "cn=admins,ou=g,dc=ex", "ou=p,dc=ex"}
	checked := 0
	for _, c := range conns {
		for _, subj := range subjects {
			for _, target := range targets {
				args := []string{"-f", confPath, "-b", target, "-o", "peername=" + c.peer}
				if c.ssf != 0 {
					args = append(args, "-o", fmt.Sprintf("ssf=%d", c.ssf))
				}
				if subj != "" {
					args = append(args, "-D", subj)
				}
				for _, q := range diffQueries {
					args = append(args, q.arg())
				}
				out, err := exec.Command(slapacl, args...).CombinedOutput()
				if err != nil {
					t.Fatalf("slapacl %q: %v\n%s", args, err, out)
				}
				var answers []bool
				for _, line := range strings.Split(string(out), "\n") {
					switch {
					case strings.HasSuffix(line, ": ALLOWED"):
						answers = append(answers, true)
					case strings.HasSuffix(line, ": DENIED"):
						answers = append(answers, false)
					}
				}
				if len(answers) != len(diffQueries) {
					t.Fatalf("slapacl gave %d answers for %d queries:\n%s", len(answers), len(diffQueries), out)
				}
				ndn, _ := sc.NormalizeDN(subj)
				tndn, _ := sc.NormalizeDN(target)
				ap, _ := netip.ParseAddrPort(strings.TrimPrefix(c.peer, "IP="))
				ev := p.NewEvaluator(acl.Subject{NDN: ndn, PeerName: c.peer, Peer: ap, SSF: c.ssf}, fetch)
				for i, q := range diffQueries {
					var at = acl.EntryAttr
					switch q.attr {
					case "entry":
					case "children":
						at = acl.ChildrenAttr
					default:
						at = sc.AttributeType(q.attr)
					}
					var val []byte
					if q.value != "" {
						val = []byte(q.value)
						if at.Equality != nil && at.Equality.Normalize != nil {
							if n, err := at.Equality.Normalize(sc, val); err == nil {
								val = n
							}
						}
					}
					got := ev.Allowed(acl.Request{Entry: entries[tndn], Attr: at, Value: val}, accessPriv[q.access])
					if got != answers[i] {
						t.Errorf("%s subject %q target %q %s: hostdir %v, slapacl %v", c.name, subj, target, q.arg(), got, answers[i])
					}
					checked++
				}
				ev.Release()
			}
		}
	}
	t.Logf("%d checks compared with slapacl", checked)
}
