package admin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Errors of the model layer, for errors.Is. Directory refusals are mapped
// onto them: insufficientAccessRights (50) and strongerAuthRequired (8)
// are ErrNotAllowed, entryAlreadyExists (68) ErrExists, noSuchObject (32)
// ErrNotFound.
var (
	ErrNotAllowed = errors.New("not allowed")
	ErrExists     = errors.New("already exists")
	ErrNotFound   = errors.New("no such entry")
)

// InputError is a form value the application refuses; its text is shown
// to the user.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErr(format string, a ...any) error { return &InputError{Msg: fmt.Sprintf(format, a...)} }

// mapLDAP turns LDAP result codes into the model's errors, keeping the
// original in the chain.
func mapLDAP(op string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case ldap.IsErrorAnyOf(err, ldap.LDAPResultInsufficientAccessRights, ldap.LDAPResultStrongAuthRequired,
		ldap.LDAPResultUnwillingToPerform):
		return fmt.Errorf("%s: %w (%w)", op, ErrNotAllowed, err)
	case ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists):
		return fmt.Errorf("%s: %w (%w)", op, ErrExists, err)
	case ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject):
		return fmt.Errorf("%s: %w (%w)", op, ErrNotFound, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// dial opens a connection to the directory with a timeout on the
// connection and on each operation. The connection is closed when ctx
// ends; the returned function closes it earlier.
func dial(ctx context.Context, url string, tlsConf *tls.Config, timeout time.Duration) (*ldap.Conn, func(), error) {
	d := &net.Dialer{Timeout: timeout}
	opts := []ldap.DialOpt{ldap.DialWithDialer(d)}
	if tlsConf != nil {
		opts = append(opts, ldap.DialWithTLSConfig(tlsConf))
	}
	c, err := ldap.DialURL(url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	c.SetTimeout(timeout)
	stop := context.AfterFunc(ctx, func() { c.Close() })
	return c, func() { stop(); c.Close() }, nil
}

// Dir is the Jamm model: the tree of jamm.md read and written over one
// LDAP connection, bound as whoever the caller bound it as.
type Dir struct {
	// Conn is the bound connection.
	Conn *ldap.Conn
	// Base is the parent of the jvd= entries.
	Base string
	// Now gives lastChange values; nil means time.Now.
	Now func() time.Time
}

func (d *Dir) now() string {
	n := time.Now
	if d.Now != nil {
		n = d.Now
	}
	return strconv.FormatInt(n().Unix(), 10)
}

// DomainDN returns the DN of a domain entry.
func DomainDN(base, domain string) string { return "jvd=" + ldap.EscapeDN(domain) + "," + base }

// PostmasterDN returns the DN of a domain's postmaster entry.
func PostmasterDN(base, domain string) string { return "cn=postmaster," + DomainDN(base, domain) }

// MailDN returns the DN Jamm gives an account or alias with this address.
func MailDN(base, domain, addr string) string {
	return "mail=" + ldap.EscapeDN(addr) + "," + DomainDN(base, domain)
}

// Domain is a JammVirtualDomain entry.
type Domain struct {
	Name, DN                                      string
	Active, EditAccounts, EditPostmasters, Delete bool
	LastChange                                    time.Time
	// Accounts and Aliases count the domain's entries (Domains only);
	// the postmaster, abuse and catch-all entries count as aliases.
	Accounts, Aliases int
}

// Account is a JammMailAccount entry.
type Account struct {
	DN, Mail, Local, Name  string
	Active, Delete         bool
	Quota                  string
	HomeDirectory, Mailbox string
	LastChange             time.Time
	// Postmaster: the account is a roleOccupant of the domain's
	// postmaster entry.
	Postmaster bool
}

// Alias is a JammMailAlias entry.
type Alias struct {
	DN, Mail, Local string
	Active          bool
	Destinations    []string
	LastChange      time.Time
	// Role is "postmaster", "abuse", "catch-all" or "".
	Role string
}

// DomainView is a domain with everything under it, as the domain page
// shows it.
type DomainView struct {
	Domain
	Accounts  []Account
	Aliases   []Alias
	Special   []Alias  // postmaster, abuse, catch-all (in that order, when present)
	CatchAll  *Alias   // also in Special
	Occupants []string // roleOccupant DNs of the postmaster entry
	// Partial is set when the directory's size limit cut the list.
	Partial bool
}

func boolAttr(e *ldap.Entry, name string) bool {
	return strings.EqualFold(e.GetEqualFoldAttributeValue(name), "TRUE")
}

func timeAttr(e *ldap.Entry, name string) time.Time {
	v, err := strconv.ParseInt(e.GetEqualFoldAttributeValue(name), 10, 64)
	if err != nil || v <= 0 {
		return time.Time{}
	}
	return time.Unix(v, 0)
}

func hasClass(e *ldap.Entry, class string) bool {
	for _, c := range e.GetEqualFoldAttributeValues("objectClass") {
		if strings.EqualFold(c, class) {
			return true
		}
	}
	return false
}

func ldapBool(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

func (d *Dir) search(base string, scope int, filter string, attrs []string) ([]*ldap.Entry, bool, error) {
	req := ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil)
	res, err := d.Conn.Search(req)
	if err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) && res != nil {
			return res.Entries, true, nil
		}
		return nil, false, mapLDAP("search "+base, err)
	}
	return res.Entries, false, nil
}

var domainAttrs = []string{"jvd", "accountActive", "editAccounts", "editPostmasters", "delete", "lastChange"}

func toDomain(e *ldap.Entry) Domain {
	return Domain{
		Name: strings.ToLower(e.GetEqualFoldAttributeValue("jvd")), DN: e.DN,
		Active: boolAttr(e, "accountActive"), EditAccounts: boolAttr(e, "editAccounts"),
		EditPostmasters: boolAttr(e, "editPostmasters"), Delete: boolAttr(e, "delete"),
		LastChange: timeAttr(e, "lastChange"),
	}
}

// Domains lists the domains under Base with their counts, sorted by name.
func (d *Dir) Domains(ctx context.Context) ([]Domain, error) {
	es, _, err := d.search(d.Base, ldap.ScopeSingleLevel, "(objectClass=JammVirtualDomain)", domainAttrs)
	if err != nil {
		return nil, err
	}
	out := make([]Domain, 0, len(es))
	index := map[string]int{}
	for _, e := range es {
		dom := toDomain(e)
		if dom.Name == "" {
			continue
		}
		index[dom.Name] = len(out)
		out = append(out, dom)
	}
	kids, _, err := d.search(d.Base, ldap.ScopeWholeSubtree,
		"(|(objectClass=JammMailAccount)(objectClass=JammMailAlias))", []string{"objectClass"})
	if err != nil {
		return nil, err
	}
	for _, e := range kids {
		name := domainOfDN(e.DN)
		i, ok := index[name]
		if !ok {
			continue
		}
		if hasClass(e, "JammMailAccount") {
			out[i].Accounts++
		} else {
			out[i].Aliases++
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, ctx.Err()
}

// domainOfDN returns the (lower-case) jvd value of the nearest jvd= RDN of
// dn, or "".
func domainOfDN(dn string) string {
	p, err := ldap.ParseDN(dn)
	if err != nil {
		return ""
	}
	for _, rdn := range p.RDNs {
		for _, ava := range rdn.Attributes {
			if strings.EqualFold(ava.Type, "jvd") {
				return strings.ToLower(ava.Value)
			}
		}
	}
	return ""
}

// Domain reads one domain entry.
func (d *Dir) Domain(ctx context.Context, name string) (*Domain, error) {
	es, _, err := d.search(DomainDN(d.Base, name), ldap.ScopeBaseObject, "(objectClass=JammVirtualDomain)", domainAttrs)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("domain %s: %w", name, ErrNotFound)
	}
	dom := toDomain(es[0])
	return &dom, ctx.Err()
}

var entryAttrs = []string{"objectClass", "mail", "cn", "accountActive", "delete", "quota", "homeDirectory",
	"mailbox", "lastChange", "maildrop", "roleOccupant"}

// DomainView reads a domain and all its accounts and aliases.
func (d *Dir) DomainView(ctx context.Context, name string) (*DomainView, error) {
	dom, err := d.Domain(ctx, name)
	if err != nil {
		return nil, err
	}
	v := &DomainView{Domain: *dom}
	es, partial, err := d.search(dom.DN, ldap.ScopeSingleLevel,
		"(|(objectClass=JammMailAccount)(objectClass=JammMailAlias))", entryAttrs)
	if err != nil {
		return nil, err
	}
	v.Partial = partial
	var pm, abuse *Alias
	for _, e := range es {
		if hasClass(e, "JammPostmaster") {
			v.Occupants = e.GetEqualFoldAttributeValues("roleOccupant")
		}
	}
	for _, e := range es {
		mail := strings.ToLower(e.GetEqualFoldAttributeValue("mail"))
		local, _, _ := strings.Cut(mail, "@")
		if hasClass(e, "JammMailAccount") {
			v.Accounts = append(v.Accounts, toAccount(e, local, v.Occupants))
			continue
		}
		a := Alias{DN: e.DN, Mail: mail, Local: local, Active: boolAttr(e, "accountActive"),
			Destinations: e.GetEqualFoldAttributeValues("maildrop"), LastChange: timeAttr(e, "lastChange")}
		switch {
		case hasClass(e, "JammPostmaster") || mail == "postmaster@"+name:
			a.Role = "postmaster"
			pm = &a
		case mail == "abuse@"+name:
			a.Role = "abuse"
			abuse = &a
		case mail == "@"+name:
			a.Role = "catch-all"
			v.CatchAll = &a
		default:
			v.Aliases = append(v.Aliases, a)
		}
	}
	for _, a := range []*Alias{pm, abuse, v.CatchAll} {
		if a != nil {
			v.Special = append(v.Special, *a)
		}
	}
	sort.Slice(v.Accounts, func(i, j int) bool { return v.Accounts[i].Mail < v.Accounts[j].Mail })
	sort.Slice(v.Aliases, func(i, j int) bool { return v.Aliases[i].Mail < v.Aliases[j].Mail })
	return v, ctx.Err()
}

func toAccount(e *ldap.Entry, local string, occupants []string) Account {
	return Account{
		DN: e.DN, Mail: strings.ToLower(e.GetEqualFoldAttributeValue("mail")), Local: local,
		Name: e.GetEqualFoldAttributeValue("cn"), Active: boolAttr(e, "accountActive"),
		Delete: boolAttr(e, "delete"), Quota: e.GetEqualFoldAttributeValue("quota"),
		HomeDirectory: e.GetEqualFoldAttributeValue("homeDirectory"),
		Mailbox:       e.GetEqualFoldAttributeValue("mailbox"), LastChange: timeAttr(e, "lastChange"),
		Postmaster: containsDN(occupants, e.DN),
	}
}

// SameDN compares two DNs as JNDI clients do: parsed, case-insensitively.
func SameDN(a, b string) bool {
	if strings.EqualFold(a, b) {
		return true
	}
	pa, err1 := ldap.ParseDN(a)
	pb, err2 := ldap.ParseDN(b)
	return err1 == nil && err2 == nil && pa.EqualFold(pb)
}

func containsDN(list []string, dn string) bool {
	for _, v := range list {
		if SameDN(v, dn) {
			return true
		}
	}
	return false
}

// Entry is an account or an alias found by its address.
type Entry struct {
	// Account is set for a JammMailAccount, Alias for a JammMailAlias.
	Account *Account
	Alias   *Alias
	DN      string
}

// FindMail finds the account or alias of addr in domain (one-level
// search under the domain, so cn=postmaster is found by its mail).
func (d *Dir) FindMail(ctx context.Context, domain, addr string) (*Entry, error) {
	es, _, err := d.search(DomainDN(d.Base, domain), ldap.ScopeSingleLevel,
		"(&(|(objectClass=JammMailAccount)(objectClass=JammMailAlias))(mail="+ldap.EscapeFilter(addr)+"))", entryAttrs)
	if err != nil {
		return nil, err
	}
	if len(es) != 1 {
		return nil, fmt.Errorf("%s: %w", addr, ErrNotFound)
	}
	e := es[0]
	local, _, _ := strings.Cut(addr, "@")
	if hasClass(e, "JammMailAccount") {
		var occ []string
		if pm, err := d.occupants(domain); err == nil {
			occ = pm
		}
		a := toAccount(e, local, occ)
		return &Entry{Account: &a, DN: e.DN}, ctx.Err()
	}
	a := Alias{DN: e.DN, Mail: strings.ToLower(e.GetEqualFoldAttributeValue("mail")), Local: local,
		Active: boolAttr(e, "accountActive"), Destinations: e.GetEqualFoldAttributeValues("maildrop"),
		LastChange: timeAttr(e, "lastChange")}
	switch {
	case hasClass(e, "JammPostmaster") || addr == "postmaster@"+domain:
		a.Role = "postmaster"
	case addr == "abuse@"+domain:
		a.Role = "abuse"
	case addr == "@"+domain:
		a.Role = "catch-all"
	}
	return &Entry{Alias: &a, DN: e.DN}, ctx.Err()
}

// ReadEntry reads the account or alias at dn (used for the logged-in
// identity's own page).
func (d *Dir) ReadEntry(ctx context.Context, dn string) (*Entry, error) {
	es, _, err := d.search(dn, ldap.ScopeBaseObject, "(objectClass=*)", entryAttrs)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("%s: %w", dn, ErrNotFound)
	}
	mail := strings.ToLower(es[0].GetEqualFoldAttributeValue("mail"))
	dom := domainOfDN(dn)
	if dom == "" {
		return nil, fmt.Errorf("%s: not in a domain: %w", dn, ErrNotFound)
	}
	return d.FindMail(ctx, dom, mail)
}

func (d *Dir) occupants(domain string) ([]string, error) {
	es, _, err := d.search(PostmasterDN(d.Base, domain), ldap.ScopeBaseObject, "(objectClass=*)", []string{"roleOccupant"})
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, nil
	}
	return es[0].GetEqualFoldAttributeValues("roleOccupant"), nil
}

// IsPostmaster reports whether dn is a roleOccupant of domain's postmaster
// entry.
func (d *Dir) IsPostmaster(ctx context.Context, domain, dn string) (bool, error) {
	occ, err := d.occupants(domain)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	return containsDN(occ, dn), ctx.Err()
}

// PostmasterOf lists the domains whose postmaster entry has dn as a
// roleOccupant, sorted.
func (d *Dir) PostmasterOf(ctx context.Context, dn string) ([]string, error) {
	es, _, err := d.search(d.Base, ldap.ScopeWholeSubtree,
		"(&(objectClass=JammPostmaster)(roleOccupant="+ldap.EscapeFilter(dn)+"))", []string{"roleOccupant"})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range es {
		if dom := domainOfDN(e.DN); dom != "" {
			out = append(out, dom)
		}
	}
	sort.Strings(out)
	return out, ctx.Err()
}

// AddDomain creates a domain as Jamm does: the domain entry, its
// postmaster (with userPassword pw, a stored value; "" for none) and its
// abuse alias. When a later entry fails, the earlier ones are removed.
func (d *Dir) AddDomain(ctx context.Context, name, pw string) error {
	now := d.now()
	ddn := DomainDN(d.Base, name)
	add := ldap.NewAddRequest(ddn, nil)
	add.Attribute("objectClass", []string{"top", "JammVirtualDomain"})
	add.Attribute("jvd", []string{name})
	add.Attribute("postfixTransport", []string{"virtual:"})
	add.Attribute("editAccounts", []string{"TRUE"})
	add.Attribute("editPostmasters", []string{"TRUE"})
	add.Attribute("accountActive", []string{"TRUE"})
	add.Attribute("delete", []string{"FALSE"})
	add.Attribute("lastChange", []string{now})
	if err := d.Conn.Add(add); err != nil {
		return mapLDAP("add domain "+name, err)
	}
	pdn := PostmasterDN(d.Base, name)
	pm := ldap.NewAddRequest(pdn, nil)
	pm.Attribute("objectClass", []string{"top", "JammMailAlias", "JammPostmaster"})
	pm.Attribute("cn", []string{"postmaster"})
	pm.Attribute("mail", []string{"postmaster@" + name})
	pm.Attribute("maildrop", []string{"postmaster"})
	pm.Attribute("roleOccupant", []string{pdn})
	pm.Attribute("accountActive", []string{"TRUE"})
	pm.Attribute("lastChange", []string{now})
	if pw != "" {
		pm.Attribute("userPassword", []string{pw})
	}
	if err := d.Conn.Add(pm); err != nil {
		_ = d.Conn.Del(ldap.NewDelRequest(ddn, nil))
		return mapLDAP("add postmaster of "+name, err)
	}
	abuse := ldap.NewAddRequest(MailDN(d.Base, name, "abuse@"+name), nil)
	abuse.Attribute("objectClass", []string{"top", "JammMailAlias"})
	abuse.Attribute("mail", []string{"abuse@" + name})
	abuse.Attribute("maildrop", []string{"postmaster"})
	abuse.Attribute("accountActive", []string{"TRUE"})
	abuse.Attribute("lastChange", []string{now})
	if err := d.Conn.Add(abuse); err != nil {
		_ = d.Conn.Del(ldap.NewDelRequest(pdn, nil))
		_ = d.Conn.Del(ldap.NewDelRequest(ddn, nil))
		return mapLDAP("add abuse alias of "+name, err)
	}
	return ctx.Err()
}

// DomainFlags are the site admin's switches of a domain.
type DomainFlags struct {
	EditAccounts, EditPostmasters, Active, Delete bool
}

// SetDomainFlags writes a domain's flags. A change of Active is carried to
// every account and alias of the domain, as Jamm does.
func (d *Dir) SetDomainFlags(ctx context.Context, name string, f DomainFlags) error {
	cur, err := d.Domain(ctx, name)
	if err != nil {
		return err
	}
	now := d.now()
	m := ldap.NewModifyRequest(cur.DN, nil)
	m.Replace("editAccounts", []string{ldapBool(f.EditAccounts)})
	m.Replace("editPostmasters", []string{ldapBool(f.EditPostmasters)})
	m.Replace("accountActive", []string{ldapBool(f.Active)})
	m.Replace("delete", []string{ldapBool(f.Delete)})
	m.Replace("lastChange", []string{now})
	if err := d.Conn.Modify(m); err != nil {
		return mapLDAP("modify domain "+name, err)
	}
	if f.Active == cur.Active {
		return nil
	}
	es, _, err := d.search(cur.DN, ldap.ScopeWholeSubtree,
		"(|(objectClass=JammMailAccount)(objectClass=JammMailAlias))", []string{"accountActive"})
	if err != nil {
		return err
	}
	for _, e := range es {
		if boolAttr(e, "accountActive") == f.Active {
			continue
		}
		if err := d.SetActive(ctx, e.DN, f.Active); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// NewAccount describes an account to add.
type NewAccount struct {
	Domain, Local, Name, Quota string
	// Password is the stored userPassword value ("" for none: set it
	// afterwards with the Password Modify operation).
	Password      string
	HomeDirectory string
}

// AddAccount adds an account entry as Jamm does (mailbox "domain/local/").
func (d *Dir) AddAccount(ctx context.Context, a NewAccount) error {
	addr := a.Local + "@" + a.Domain
	r := ldap.NewAddRequest(MailDN(d.Base, a.Domain, addr), nil)
	r.Attribute("objectClass", []string{"top", "JammMailAccount"})
	r.Attribute("mail", []string{addr})
	r.Attribute("homeDirectory", []string{a.HomeDirectory})
	r.Attribute("mailbox", []string{a.Domain + "/" + a.Local + "/"})
	r.Attribute("accountActive", []string{"TRUE"})
	r.Attribute("delete", []string{"FALSE"})
	r.Attribute("lastChange", []string{d.now()})
	if a.Name != "" {
		r.Attribute("cn", []string{a.Name})
	}
	if a.Quota != "" {
		r.Attribute("quota", []string{a.Quota})
	}
	if a.Password != "" {
		r.Attribute("userPassword", []string{a.Password})
	}
	return errors.Join(mapLDAP("add account "+addr, d.Conn.Add(r)), ctx.Err())
}

// AddAlias adds an alias (or, with local "", the catch-all) of domain.
func (d *Dir) AddAlias(ctx context.Context, domain, local string, dests []string) error {
	addr := local + "@" + domain
	r := ldap.NewAddRequest(MailDN(d.Base, domain, addr), nil)
	r.Attribute("objectClass", []string{"top", "JammMailAlias"})
	r.Attribute("mail", []string{addr})
	r.Attribute("maildrop", dests)
	r.Attribute("accountActive", []string{"TRUE"})
	r.Attribute("lastChange", []string{d.now()})
	return errors.Join(mapLDAP("add alias "+addr, d.Conn.Add(r)), ctx.Err())
}

func (d *Dir) modify(ctx context.Context, dn string, what string, fn func(m *ldap.ModifyRequest)) error {
	m := ldap.NewModifyRequest(dn, nil)
	fn(m)
	m.Replace("lastChange", []string{d.now()})
	return errors.Join(mapLDAP(what+" "+dn, d.Conn.Modify(m)), ctx.Err())
}

// SetActive sets accountActive of an account or alias.
func (d *Dir) SetActive(ctx context.Context, dn string, on bool) error {
	return d.modify(ctx, dn, "set accountActive of", func(m *ldap.ModifyRequest) {
		m.Replace("accountActive", []string{ldapBool(on)})
	})
}

// SetDelete sets or clears the delete mark of an account (or domain).
func (d *Dir) SetDelete(ctx context.Context, dn string, on bool) error {
	return d.modify(ctx, dn, "set delete mark of", func(m *ldap.ModifyRequest) {
		m.Replace("delete", []string{ldapBool(on)})
	})
}

// SetQuota sets (or with "" removes) an account's quota.
func (d *Dir) SetQuota(ctx context.Context, dn, quota string) error {
	return d.modify(ctx, dn, "set quota of", func(m *ldap.ModifyRequest) {
		if quota == "" {
			m.Replace("quota", nil)
		} else {
			m.Replace("quota", []string{quota})
		}
	})
}

// SetDestinations replaces an alias's maildrop values.
func (d *Dir) SetDestinations(ctx context.Context, dn string, dests []string) error {
	return d.modify(ctx, dn, "set destinations of", func(m *ldap.ModifyRequest) {
		m.Replace("maildrop", dests)
	})
}

// SetPassword stores a new userPassword value; for accounts it also
// removes any clearPassword, so no old clear-text copy keeps working.
func (d *Dir) SetPassword(ctx context.Context, dn, stored string, account bool) error {
	return d.modify(ctx, dn, "set password of", func(m *ldap.ModifyRequest) {
		m.Replace("userPassword", []string{stored})
		if account {
			m.Replace("clearPassword", nil)
		}
	})
}

// PasswordModify sets a password with the Password Modify extended
// operation (RFC 3062): the directory hashes it.
func (d *Dir) PasswordModify(ctx context.Context, dn, secret string) error {
	_, err := d.Conn.PasswordModify(ldap.NewPasswordModifyRequest(dn, "", secret))
	return errors.Join(mapLDAP("password modify "+dn, err), ctx.Err())
}

// Delete removes an entry (aliases; accounts are only marked).
func (d *Dir) Delete(ctx context.Context, dn string) error {
	return errors.Join(mapLDAP("delete "+dn, d.Conn.Del(ldap.NewDelRequest(dn, nil))), ctx.Err())
}

// SetPostmaster appoints (on) or removes dn as a postmaster of domain.
func (d *Dir) SetPostmaster(ctx context.Context, domain, dn string, on bool) error {
	pdn := PostmasterDN(d.Base, domain)
	occ, err := d.occupants(domain)
	if err != nil {
		return err
	}
	if containsDN(occ, dn) == on {
		return ctx.Err()
	}
	return d.modify(ctx, pdn, "set roleOccupant of", func(m *ldap.ModifyRequest) {
		if on {
			m.Add("roleOccupant", []string{dn})
			return
		}
		var del []string
		for _, v := range occ {
			if SameDN(v, dn) {
				del = append(del, v)
			}
		}
		m.Delete("roleOccupant", del)
	})
}
