package bench

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"hostdir/directory/password"
)

// The names of the HOWTO's tree.
const (
	// Suffix is the HOWTO's database suffix.
	Suffix = "dc=myhosting,dc=example"
	// HostingBase is the search base of the HOWTO's Postfix maps.
	HostingBase = "o=hosting," + Suffix
	// RootDN and RootPW are the HOWTO's rootdn and its password ("secret",
	// whose {SSHA} hash is the HOWTO's rootpw).
	RootDN = "cn=Manager," + Suffix
	RootPW = "secret"
	// rootPWHash is the HOWTO's rootpw line, the {SSHA} of "secret".
	rootPWHash = "{SSHA}ra0sD47QP32ASAlaAhF8kgi+8Aflbgr7"
	// homeDirectory is the HOWTO's virtual_mailbox_base.
	homeDirectory = "/home/vmail/domains"
	// lastChange is the fixed lastChange of generated entries, so that two
	// generations of the same size give the same LDIF except for salts.
	lastChange = "1700000000"
)

// DefaultPasswordPool is the number of distinct {SSHA} hashes a tree uses
// when Tree.PasswordPool is 0: accounts share them round robin.
const DefaultPasswordPool = 1000

// Tree describes a generated directory: the HOWTO's base entries and, per
// domain, the JammVirtualDomain entry, its postmaster (JammMailAlias +
// JammPostmaster, roleOccupant itself), the abuse alias, Accounts accounts,
// Aliases aliases and a catch-all.
//
// Domain d (0-based) is "d<d>.example"; its account k is "u<k>@d<d>.example"
// and alias j "a<j>@d<d>.example" (maildrop u<j>@...). Account g =
// d*Accounts+k has the password Password(g): each distinct password gets one
// {SSHA} hash with a fresh 4-byte salt (hostdir's password package, as
// slappasswd), and there are PasswordPool of them: hashing a million values
// takes seconds and a bind costs the server the same whichever hash it
// checks, so large trees reuse a pool.
type Tree struct {
	Domains  int // number of virtual domains
	Accounts int // accounts per domain
	// Aliases is the number of aliases per domain; 0 means Accounts/10
	// (at least 1), negative means none.
	Aliases int
	// PasswordPool is the number of distinct passwords (and hashes);
	// 0 means DefaultPasswordPool, and never more than the accounts.
	PasswordPool int
	hashes       []string
}

// Entries returns the number of entries in the tree's LDIF.
func (t *Tree) Entries() int {
	return 3 + t.Domains*(4+t.Accounts+t.aliases())
}

func (t *Tree) aliases() int {
	switch {
	case t.Aliases > 0:
		return t.Aliases
	case t.Aliases < 0:
		return 0
	}
	return max(1, t.Accounts/10)
}

// pool returns the number of distinct passwords.
func (t *Tree) pool() int {
	p := t.PasswordPool
	if p <= 0 {
		p = DefaultPasswordPool
	}
	return max(1, min(p, t.Domains*t.Accounts))
}

// Domain returns the name of domain d.
func Domain(d int) string { return "d" + strconv.Itoa(d) + ".example" }

// DomainDN returns the DN of domain d's JammVirtualDomain entry.
func DomainDN(d int) string { return "jvd=" + Domain(d) + "," + HostingBase }

// Address returns the mail address of account k of domain d.
func Address(d, k int) string { return "u" + strconv.Itoa(k) + "@" + Domain(d) }

// AccountDN returns the DN of account k of domain d.
func AccountDN(d, k int) string { return "mail=" + Address(d, k) + "," + DomainDN(d) }

// Password returns the password of account g (g = d*Accounts+k).
func (t *Tree) Password(g int) string { return "pw-" + strconv.Itoa(g%t.pool()) }

// hash returns the userPassword value for account g, hashing the pool on
// first use.
func (t *Tree) hash(g int) (string, error) {
	if t.hashes == nil {
		hs := make([]string, t.pool())
		for i := range hs {
			h, err := password.Hash("{SSHA}", []byte(t.Password(i)))
			if err != nil {
				return "", fmt.Errorf("hash password: %w", err)
			}
			hs[i] = h
		}
		t.hashes = hs
	}
	return t.hashes[g%len(t.hashes)], nil
}

// BaseLDIF is the HOWTO's base.ldif (section 4.3.2), DNs written without
// the spaces the HOWTO has after the commas.
const BaseLDIF = `dn: ` + Suffix + `
objectClass: top
objectClass: domain
dc: myhosting

dn: ` + RootDN + `
objectClass: top
objectClass: organizationalRole
cn: Manager

dn: ` + HostingBase + `
objectClass: top
objectClass: organization
o: hosting

`

// WriteLDIF writes the whole tree, base entries first, parents before
// children.
func (t *Tree) WriteLDIF(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(BaseLDIF); err != nil {
		return fmt.Errorf("write LDIF: %w", err)
	}
	if err := t.WriteDomainsLDIF(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write LDIF: %w", err)
	}
	return nil
}

// WriteDomainsLDIF writes the tree without its base entries.
func (t *Tree) WriteDomainsLDIF(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	for d := range t.Domains {
		dom := Domain(d)
		ddn := DomainDN(d)
		fmt.Fprintf(bw, "dn: %s\nobjectClass: top\nobjectClass: JammVirtualDomain\njvd: %s\n"+
			"postfixTransport: virtual:\naccountActive: TRUE\ndelete: FALSE\neditAccounts: TRUE\n"+
			"editPostmasters: TRUE\nlastChange: %s\n\n", ddn, dom, lastChange)
		pm := "cn=postmaster," + ddn
		fmt.Fprintf(bw, "dn: %s\nobjectClass: top\nobjectClass: JammMailAlias\nobjectClass: JammPostmaster\n"+
			"cn: postmaster\nmail: postmaster@%s\nmaildrop: postmaster\naccountActive: TRUE\n"+
			"lastChange: %s\nroleOccupant: %s\n\n", pm, dom, lastChange, pm)
		fmt.Fprintf(bw, "dn: mail=abuse@%s,%s\nobjectClass: top\nobjectClass: JammMailAlias\n"+
			"mail: abuse@%s\nmaildrop: postmaster\naccountActive: TRUE\nlastChange: %s\n\n", dom, ddn, dom, lastChange)
		for k := range t.Accounts {
			h, err := t.hash(d*t.Accounts + k)
			if err != nil {
				return err
			}
			writeAccount(bw, d, "u"+strconv.Itoa(k), h)
		}
		for j := range t.aliases() {
			a := "a" + strconv.Itoa(j) + "@" + dom
			fmt.Fprintf(bw, "dn: mail=%s,%s\nobjectClass: top\nobjectClass: JammMailAlias\nmail: %s\n"+
				"maildrop: %s\naccountActive: TRUE\nlastChange: %s\n\n", a, ddn, a, Address(d, j%max(1, t.Accounts)), lastChange)
		}
		fmt.Fprintf(bw, "dn: mail=@%s,%s\nobjectClass: top\nobjectClass: JammMailAlias\nmail: @%s\n"+
			"maildrop: postmaster@%s\naccountActive: TRUE\nlastChange: %s\n\n", dom, ddn, dom, dom, lastChange)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write LDIF: %w", err)
	}
	return nil
}

// writeAccount writes the entry of account local@Domain(d).
func writeAccount(w *bufio.Writer, d int, local, hash string) {
	dom := Domain(d)
	addr := local + "@" + dom
	fmt.Fprintf(w, "dn: mail=%s,%s\nobjectClass: top\nobjectClass: JammMailAccount\nmail: %s\n"+
		"cn: %s\nhomeDirectory: %s\nmailbox: %s/%s/\nuserPassword: %s\naccountActive: TRUE\n"+
		"delete: FALSE\nlastChange: %s\n\n", addr, DomainDN(d), addr, local, homeDirectory, dom, local, hash, lastChange)
}

// accountAttrs returns the attributes of a new account local@Domain(d), as
// an add request carries them.
func accountAttrs(d int, local, hash string) []attr {
	dom := Domain(d)
	return []attr{
		{"objectClass", []string{"top", "JammMailAccount"}},
		{"mail", []string{local + "@" + dom}},
		{"cn", []string{local}},
		{"homeDirectory", []string{homeDirectory}},
		{"mailbox", []string{dom + "/" + local + "/"}},
		{"userPassword", []string{hash}},
		{"accountActive", []string{"TRUE"}},
		{"delete", []string{"FALSE"}},
		{"lastChange", []string{lastChange}},
	}
}
