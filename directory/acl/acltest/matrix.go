// Package acltest holds the access-control matrix of the HOWTO's rules:
// who (anonymous, an account, another account of the same domain, the
// domain's postmaster entry, an appointed postmaster, another domain's
// postmaster, an account of another domain, the rootdn) may do what
// (read and search userPassword, bind, modify attributes and passwords,
// add and delete entries, modify the domain and o=hosting) on the tree of
// testdata/acl-tree.ldif.
//
// RunMatrix runs the matrix over LDAP against any server (slapd, hostdir)
// loaded with that tree and configured with the HOWTO's ACLs, so that
// the same Results can be compared between servers; Predict computes it
// in-process with package acl.
package acltest

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// DNs of the tree of testdata/acl-tree.ldif.
const (
	Suffix    = "dc=myhosting,dc=example"
	RootDN    = "cn=Manager," + Suffix
	Hosting   = "o=hosting," + Suffix
	DomainCom = "jvd=example.com," + Hosting
	DomainOrg = "jvd=example.org," + Hosting
	PMCom     = "cn=postmaster," + DomainCom
	PMOrg     = "cn=postmaster," + DomainOrg
	Alice     = "mail=alice@example.com," + DomainCom
	Bob       = "mail=bob@example.com," + DomainCom
	Dave      = "mail=dave@example.com," + DomainCom
	Carol     = "mail=carol@example.org," + DomainOrg
	// NewCom is the entry the add-com cell adds; VictimCom the one the
	// del-com cell deletes (the rootdn creates it first); NewDomain the
	// domain add-domain adds.
	NewCom    = "mail=new@example.com," + DomainCom
	VictimCom = "mail=victim@example.com," + DomainCom
	NewDomain = "jvd=example.net," + Hosting
)

// Passwords of the tree's entries: clear text and the stored {SSHA} value.
var (
	Passwords = map[string]string{
		Alice: "alicepw", Bob: "bobpw", Dave: "davepw", Carol: "carolpw",
		PMCom: "pmcompw", PMOrg: "pmorgpw",
	}
	Stored = map[string]string{
		Alice: "{SSHA}UxGwGlXQ2+N99czrHsejw4WI/WntIjES",
		Bob:   "{SSHA}WDwN/21gHv2iugaRi7L3o+tIUWj/CqOs",
		Dave:  "{SSHA}4VAuJspYmaIRhMbZhYDqkChpr5D1vRCk",
		Carol: "{SSHA}n1H/iLwTFFxFRcLyTU0aYUsnptMhOFrj",
		PMCom: "{SSHA}DUKL6It6DjrIgNtCKIbSJqW7tdICeLQM",
		PMOrg: "{SSHA}BNpFk+q7V1LV3m9jQvXpsftH4s9ry+Z/",
	}
)

// Identity is who runs the operations: DN "" is anonymous; Root is the
// rootdn (its password is given to RunMatrix).
type Identity struct {
	Name string
	DN   string
	Root bool
}

// Identities of the matrix, in order.
var Identities = []Identity{
	{Name: "anonymous"},
	{Name: "alice", DN: Alice},             // an account, on itself
	{Name: "dave", DN: Dave},               // another account of the same domain
	{Name: "pm-com", DN: PMCom},            // the domain's postmaster entry
	{Name: "bob", DN: Bob},                 // an appointed postmaster of example.com
	{Name: "pm-org", DN: PMOrg},            // another domain's postmaster
	{Name: "carol", DN: Carol},             // an account of another domain
	{Name: "root", DN: RootDN, Root: true}, // the rootdn
}

// OpKind is what an operation of the matrix does.
type OpKind int

// Operation kinds.
const (
	// Read is a base search of Target with filter (objectClass=*) asking
	// for ReadAttrs; the cell holds the attribute names returned.
	Read OpKind = iota
	// SearchPassword is a subtree search under Target with filter
	// (userPassword=*) asking for no attributes; the cell holds the DNs.
	SearchPassword
	// Rebind binds as Target with its password on the identity's
	// connection.
	Rebind
	// ComparePassword compares Target's stored userPassword value.
	ComparePassword
	// ModifyDescription replaces Target's description.
	ModifyDescription
	// ModifyPassword replaces Target's userPassword by a modify.
	ModifyPassword
	// PasswordExop sets Target's password by the Password Modify extended
	// operation (RFC 3062).
	PasswordExop
	// AddAccount adds the account Target.
	AddAccount
	// AddDomain adds the domain Target.
	AddDomain
	// Delete deletes Target (an account the rootdn creates first).
	Delete
)

// IsWrite reports whether the operation is an update (anonymous updates
// get strongerAuthRequired before access control is consulted).
func (k OpKind) IsWrite() bool { return k >= ModifyDescription }

// Op is one operation (a column) of the matrix.
type Op struct {
	Name   string
	Kind   OpKind
	Target string
}

// ReadAttrs are the attributes the Read operations ask for.
var ReadAttrs = []string{"userPassword", "mail", "mailbox", "description"}

// Ops of the matrix, in order.
var Ops = []Op{
	{"read-alice", Read, Alice},
	{"read-carol", Read, Carol},
	{"search-pw", SearchPassword, Hosting},
	{"bind-alice", Rebind, Alice},
	{"cmp-pw-alice", ComparePassword, Alice},
	{"mod-desc-alice", ModifyDescription, Alice},
	{"mod-desc-dave", ModifyDescription, Dave},
	{"mod-desc-carol", ModifyDescription, Carol},
	{"mod-pw-alice", ModifyPassword, Alice},
	{"mod-pw-carol", ModifyPassword, Carol},
	{"passwd-alice", PasswordExop, Alice},
	{"passwd-carol", PasswordExop, Carol},
	{"add-com", AddAccount, NewCom},
	{"del-com", Delete, VictimCom},
	{"mod-domain-com", ModifyDescription, DomainCom},
	{"mod-domain-org", ModifyDescription, DomainOrg},
	{"mod-hosting", ModifyDescription, Hosting},
	{"add-domain", AddDomain, NewDomain},
}

// Cell is the outcome of one operation by one identity: the LDAP result
// code and, for reads and searches, what came back (attribute names of a
// Read, sorted; DNs of a SearchPassword, sorted, lower-cased).
type Cell struct {
	Identity, Op string
	Code         int
	Values       []string
}

// String prints the cell as one golden-file line.
func (c Cell) String() string {
	s := c.Identity + " " + c.Op + " " + strconv.Itoa(c.Code)
	if c.Values != nil {
		s += " [" + strings.Join(c.Values, " ") + "]"
	}
	return s
}

// Results are the cells of a run, in Identities x Ops order.
type Results []Cell

// String prints one cell per line.
func (r Results) String() string {
	var b strings.Builder
	for _, c := range r {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Parse reads Results from their String form.
func Parse(text string) (Results, error) {
	var out Results
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		head, vals, hasVals := strings.Cut(line, " [")
		f := strings.Fields(head)
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: want `identity op code [values]`: %q", n+1, line)
		}
		code, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("line %d: bad code: %w", n+1, err)
		}
		c := Cell{Identity: f[0], Op: f[1], Code: code}
		if hasVals {
			c.Values = strings.Fields(strings.TrimSuffix(vals, "]"))
			if c.Values == nil {
				c.Values = []string{}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// Diff returns one line per cell that differs between a (named an) and
// b (named bn), or that only one of them has.
func Diff(an string, a Results, bn string, b Results) []string {
	key := func(c Cell) string { return c.Identity + " " + c.Op }
	bm := map[string]Cell{}
	for _, c := range b {
		bm[key(c)] = c
	}
	var out []string
	seen := map[string]bool{}
	for _, c := range a {
		k := key(c)
		seen[k] = true
		d, ok := bm[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: only in %s: %s", k, an, c))
		case c.String() != d.String():
			out = append(out, fmt.Sprintf("%s: %s %s, %s %s", k, an, c, bn, d))
		}
	}
	for _, c := range b {
		if !seen[key(c)] {
			out = append(out, fmt.Sprintf("%s: only in %s: %s", key(c), bn, c))
		}
	}
	return out
}

// TestdataDir returns the repository's top-level testdata directory
// (acl-tree.ldif, the HOWTO's configs, the golden matrix).
func TestdataDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata")
}

// newAccount is the entry AddAccount adds (and the rootdn adds as the
// victim of Delete).
func newAccount(dn string) *ldap.AddRequest {
	local := strings.TrimPrefix(strings.SplitN(dn, ",", 2)[0], "mail=")
	user, domain, _ := strings.Cut(local, "@")
	r := ldap.NewAddRequest(dn, nil)
	r.Attribute("objectClass", []string{"top", "JammMailAccount"})
	r.Attribute("mail", []string{local})
	r.Attribute("homeDirectory", []string{"/home/vmail/domains"})
	r.Attribute("mailbox", []string{domain + "/" + user + "/"})
	r.Attribute("accountActive", []string{"TRUE"})
	r.Attribute("lastChange", []string{"1700000000"})
	r.Attribute("delete", []string{"FALSE"})
	r.Attribute("userPassword", []string{"{SSHA}4VAuJspYmaIRhMbZhYDqkChpr5D1vRCk"})
	return r
}

func newDomain(dn string) *ldap.AddRequest {
	r := ldap.NewAddRequest(dn, nil)
	r.Attribute("objectClass", []string{"top", "JammVirtualDomain"})
	r.Attribute("jvd", []string{strings.TrimPrefix(strings.SplitN(dn, ",", 2)[0], "jvd=")})
	r.Attribute("postfixTransport", []string{"virtual:"})
	r.Attribute("accountActive", []string{"TRUE"})
	r.Attribute("lastChange", []string{"1700000000"})
	r.Attribute("delete", []string{"FALSE"})
	r.Attribute("editAccounts", []string{"TRUE"})
	r.Attribute("editPostmasters", []string{"TRUE"})
	return r
}

// code returns the LDAP result code of err (0 for nil, -1 for an error
// that is not an LDAP result).
func code(err error) int {
	if err == nil {
		return 0
	}
	var le *ldap.Error
	if errors.As(err, &le) {
		return int(le.ResultCode)
	}
	return -1
}

func dial(t testing.TB, url string) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(url)
	if err != nil {
		t.Fatalf("acltest: dial %s: %v", url, err)
	}
	c.SetTimeout(10 * time.Second)
	return c
}

// RunMatrix runs every operation of Ops as every identity of Identities
// against the server at url, which must hold the tree of
// testdata/acl-tree.ldif under the HOWTO's ACLs with rootdn RootDN and
// root password rootPW. Each write is undone by the rootdn afterwards, so
// cells do not depend on each other and the tree ends as it began.
func RunMatrix(t testing.TB, url, rootPW string) Results {
	t.Helper()
	root := dial(t, url)
	defer root.Close()
	if err := root.Bind(RootDN, rootPW); err != nil {
		t.Fatalf("acltest: bind %s: %v", RootDN, err)
	}
	var out Results
	for _, id := range Identities {
		for _, op := range Ops {
			c := runCell(t, url, rootPW, root, id, op)
			out = append(out, c)
		}
	}
	return out
}

func runCell(t testing.TB, url, rootPW string, root *ldap.Conn, id Identity, op Op) Cell {
	t.Helper()
	c := Cell{Identity: id.Name, Op: op.Name}
	// Set up.
	if op.Kind == Delete {
		if err := root.Add(newAccount(op.Target)); err != nil && code(err) != ldap.LDAPResultEntryAlreadyExists {
			t.Fatalf("acltest: set up %s: %v", op.Name, err)
		}
	}
	conn := dial(t, url)
	defer conn.Close()
	switch {
	case id.Root:
		if err := conn.Bind(RootDN, rootPW); err != nil {
			t.Fatalf("acltest: bind root: %v", err)
		}
	case id.DN != "":
		if err := conn.Bind(id.DN, Passwords[id.DN]); err != nil {
			t.Fatalf("acltest: bind %s: %v", id.DN, err)
		}
	}
	switch op.Kind {
	case Read:
		res, err := conn.Search(ldap.NewSearchRequest(op.Target, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
			0, 0, false, "(objectClass=*)", ReadAttrs, nil))
		c.Code = code(err)
		c.Values = []string{}
		if err == nil {
			if len(res.Entries) == 0 {
				c.Values = append(c.Values, "(no-entry)")
			}
			for _, e := range res.Entries {
				for _, a := range e.Attributes {
					c.Values = append(c.Values, a.Name)
				}
			}
			sort.Strings(c.Values)
		}
	case SearchPassword:
		res, err := conn.Search(ldap.NewSearchRequest(op.Target, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
			0, 0, false, "(userPassword=*)", []string{"1.1"}, nil))
		c.Code = code(err)
		c.Values = []string{}
		if err == nil {
			for _, e := range res.Entries {
				c.Values = append(c.Values, strings.ToLower(e.DN))
			}
			sort.Strings(c.Values)
		}
	case Rebind:
		c.Code = code(conn.Bind(op.Target, Passwords[op.Target]))
	case ComparePassword:
		ok, err := conn.Compare(op.Target, "userPassword", Stored[op.Target])
		c.Code = code(err)
		if err == nil {
			c.Code = ldap.LDAPResultCompareFalse
			if ok {
				c.Code = ldap.LDAPResultCompareTrue
			}
		}
	case ModifyDescription:
		m := ldap.NewModifyRequest(op.Target, nil)
		m.Replace("description", []string{"set by " + id.Name})
		c.Code = code(conn.Modify(m))
	case ModifyPassword:
		m := ldap.NewModifyRequest(op.Target, nil)
		m.Replace("userPassword", []string{"{CLEARTEXT}set-by-" + id.Name})
		c.Code = code(conn.Modify(m))
	case PasswordExop:
		_, err := conn.PasswordModify(ldap.NewPasswordModifyRequest(op.Target, "", "set-by-"+id.Name))
		c.Code = code(err)
	case AddAccount:
		c.Code = code(conn.Add(newAccount(op.Target)))
	case AddDomain:
		c.Code = code(conn.Add(newDomain(op.Target)))
	case Delete:
		c.Code = code(conn.Del(ldap.NewDelRequest(op.Target, nil)))
	}
	// Undo.
	switch op.Kind {
	case ModifyDescription:
		m := ldap.NewModifyRequest(op.Target, nil)
		m.Replace("description", nil)
		if err := root.Modify(m); err != nil {
			t.Fatalf("acltest: undo %s: %v", op.Name, err)
		}
	case ModifyPassword, PasswordExop:
		m := ldap.NewModifyRequest(op.Target, nil)
		m.Replace("userPassword", []string{Stored[op.Target]})
		if err := root.Modify(m); err != nil {
			t.Fatalf("acltest: undo %s: %v", op.Name, err)
		}
	case AddAccount, AddDomain, Delete:
		if err := root.Del(ldap.NewDelRequest(op.Target, nil)); err != nil && code(err) != ldap.LDAPResultNoSuchObject {
			t.Fatalf("acltest: undo %s: %v", op.Name, err)
		}
	}
	return c
}
