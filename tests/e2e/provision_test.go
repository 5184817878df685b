package e2e

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"hostdir/directory/password"
	"hostdir/internal/peers"
)

// provisioner is how the test changes the directory, as the three roles
// of Jamm do: the site admin adds domains, a domain admin adds and
// deactivates accounts, aliases and the catch-all, and a user changes its
// own password.
//
// ldapProvisioner does it over LDAP with the entries Jamm writes. When the
// web admin (package admin) can be started on its own, an httpProvisioner
// driving its forms will replace it here; the rest of the test does not
// change.
type provisioner interface {
	AddDomain(t testing.TB, domain string)
	AddAccount(t testing.TB, addr, secret string)
	AddAlias(t testing.TB, addr string, dests ...string)
	SetActive(t testing.TB, addr string, active bool)
	Delete(t testing.TB, addr string)
	// ChangeOwnPassword binds as the user with old and sets secret; an
	// error is the directory's refusal.
	ChangeOwnPassword(t testing.TB, addr, old, secret string) error
}

// ldapProvisioner writes Jamm's entries as the rootdn.
type ldapProvisioner struct {
	url, rootDN, rootPW, base string
	// home is the homeDirectory of new accounts (Jamm's site option).
	home string
}

var _ provisioner = (*ldapProvisioner)(nil)

func (p *ldapProvisioner) conn(t testing.TB, dn, pw string) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(p.url)
	if err != nil {
		t.Fatalf("dial %s: %v", p.url, err)
	}
	c.SetTimeout(10 * time.Second)
	if err := c.Bind(dn, pw); err != nil {
		c.Close()
		t.Fatalf("bind as %s: %v", dn, err)
	}
	return c
}

func (p *ldapProvisioner) root(t testing.TB) *ldap.Conn { return p.conn(t, p.rootDN, p.rootPW) }

func (p *ldapProvisioner) domainDN(domain string) string {
	return "jvd=" + ldap.EscapeDN(domain) + "," + p.base
}

// mailDN is the DN Jamm gives an account or alias of addr.
func (p *ldapProvisioner) mailDN(addr string) string {
	_, domain := splitAddr(addr)
	return "mail=" + ldap.EscapeDN(addr) + "," + p.domainDN(domain)
}

func splitAddr(addr string) (local, domain string) {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == '@' {
			return addr[:i], addr[i+1:]
		}
	}
	return addr, ""
}

func now() string { return strconv.FormatInt(time.Now().Unix(), 10) }

func add(t testing.TB, c *ldap.Conn, dn string, attrs map[string][]string) {
	t.Helper()
	r := ldap.NewAddRequest(dn, nil)
	for _, k := range []string{"objectClass", "jvd", "cn", "mail", "homeDirectory", "mailbox", "maildrop",
		"roleOccupant", "postfixTransport", "editAccounts", "editPostmasters", "userPassword",
		"accountActive", "delete", "lastChange"} {
		if v, ok := attrs[k]; ok {
			r.Attribute(k, v)
		}
	}
	if err := c.Add(r); err != nil {
		t.Fatalf("add %s: %v", dn, err)
	}
}

// AddDomain adds the domain, its postmaster and its abuse alias.
func (p *ldapProvisioner) AddDomain(t testing.TB, domain string) {
	t.Helper()
	c := p.root(t)
	defer c.Close()
	ddn := p.domainDN(domain)
	add(t, c, ddn, map[string][]string{
		"objectClass": {"top", "JammVirtualDomain"}, "jvd": {domain}, "postfixTransport": {"virtual:"},
		"editAccounts": {"TRUE"}, "editPostmasters": {"TRUE"}, "accountActive": {"TRUE"},
		"delete": {"FALSE"}, "lastChange": {now()},
	})
	pdn := "cn=postmaster," + ddn
	add(t, c, pdn, map[string][]string{
		"objectClass": {"top", "JammMailAlias", "JammPostmaster"}, "cn": {"postmaster"},
		"mail": {"postmaster@" + domain}, "maildrop": {"postmaster"}, "roleOccupant": {pdn},
		"accountActive": {"TRUE"}, "lastChange": {now()},
	})
	add(t, c, p.mailDN("abuse@"+domain), map[string][]string{
		"objectClass": {"top", "JammMailAlias"}, "mail": {"abuse@" + domain}, "maildrop": {"postmaster"},
		"accountActive": {"TRUE"}, "lastChange": {now()},
	})
}

// AddAccount adds an account with an {SSHA} password and the mailbox
// "domain/local/" under p.home.
func (p *ldapProvisioner) AddAccount(t testing.TB, addr, secret string) {
	t.Helper()
	c := p.root(t)
	defer c.Close()
	local, domain := splitAddr(addr)
	hash, err := password.Hash("{SSHA}", []byte(secret))
	if err != nil {
		t.Fatalf("hash: %v", err)
	}
	add(t, c, p.mailDN(addr), map[string][]string{
		"objectClass": {"top", "JammMailAccount"}, "mail": {addr}, "cn": {local},
		"homeDirectory": {p.home}, "mailbox": {domain + "/" + local + "/"}, "userPassword": {hash},
		"accountActive": {"TRUE"}, "delete": {"FALSE"}, "lastChange": {now()},
	})
}

// AddAlias adds an alias; "@domain" is the catch-all.
func (p *ldapProvisioner) AddAlias(t testing.TB, addr string, dests ...string) {
	t.Helper()
	c := p.root(t)
	defer c.Close()
	add(t, c, p.mailDN(addr), map[string][]string{
		"objectClass": {"top", "JammMailAlias"}, "mail": {addr}, "maildrop": dests,
		"accountActive": {"TRUE"}, "lastChange": {now()},
	})
}

// SetActive sets accountActive, as a domain admin's "Account Is Active".
func (p *ldapProvisioner) SetActive(t testing.TB, addr string, active bool) {
	t.Helper()
	c := p.root(t)
	defer c.Close()
	m := ldap.NewModifyRequest(p.mailDN(addr), nil)
	m.Replace("accountActive", []string{map[bool]string{true: "TRUE", false: "FALSE"}[active]})
	m.Replace("lastChange", []string{now()})
	if err := c.Modify(m); err != nil {
		t.Fatalf("set accountActive of %s: %v", addr, err)
	}
}

// Delete removes an alias (Jamm removes aliases at once).
func (p *ldapProvisioner) Delete(t testing.TB, addr string) {
	t.Helper()
	c := p.root(t)
	defer c.Close()
	if err := c.Del(ldap.NewDelRequest(p.mailDN(addr), nil)); err != nil {
		t.Fatalf("delete %s: %v", addr, err)
	}
}

// ChangeOwnPassword does what Jamm's user page does: bound as the user, a
// modify that replaces userPassword (the HOWTO's "by self write").
func (p *ldapProvisioner) ChangeOwnPassword(t testing.TB, addr, old, secret string) error {
	t.Helper()
	dn := p.mailDN(addr)
	c := p.conn(t, dn, old)
	defer c.Close()
	hash, err := password.Hash("{SSHA}", []byte(secret))
	if err != nil {
		t.Fatalf("hash: %v", err)
	}
	m := ldap.NewModifyRequest(dn, nil)
	m.Replace("userPassword", []string{hash})
	if err := c.Modify(m); err != nil {
		return fmt.Errorf("%s changing its own password (bound as itself): %w", addr, err)
	}
	return nil
}

// newLDAPProvisioner provisions through h as its rootdn.
func newLDAPProvisioner(t testing.TB, h *peers.Hostdir, home string) *ldapProvisioner {
	t.Helper()
	if h.RootPW == "" {
		t.Fatalf("no root password in hostdir's first-start banner:\n%s", h.Output())
	}
	return &ldapProvisioner{url: h.URL, rootDN: h.RootDN, rootPW: h.RootPW, base: peers.DefaultJammBase, home: home}
}
