package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// CleanOptions configure Clean.
type CleanOptions struct {
	// Base is the parent of the jvd= entries.
	Base string
	// MailboxBase: maildirs are removed only below this directory. Empty
	// means strictly below each account's own homeDirectory.
	MailboxBase string
	// DryRun reports what would be done and changes nothing.
	DryRun bool
	// Log receives one line per step (nil discards).
	Log io.Writer
	// RemoveAll removes a maildir; nil means os.RemoveAll. Tests set it.
	RemoveAll func(path string) error
}

// CleanReport counts what Clean did (or, in a dry run, would do).
type CleanReport struct {
	// Maildirs removed, Entries deleted, Skipped accounts or domains left
	// alone because of a problem (logged).
	Maildirs, Entries, Skipped int
}

// Clean is Jamm's cleaner. Over conn (bound as the rootdn, or any identity
// the directory lets delete the entries) it removes:
//
//   - every account marked delete=TRUE: first its maildir
//     (homeDirectory/mailbox), then its entry, and its DN from the
//     domain's postmaster roleOccupant values;
//   - every domain marked delete=TRUE: the maildirs of all its accounts,
//     then all its entries, children first, then the domain entry.
//
// An entry whose maildir cannot be removed (outside the allowed base, an
// I/O error) is kept, so that a later run can finish; Clean goes on with
// the others and returns an error at the end.
func Clean(ctx context.Context, conn *ldap.Conn, opts CleanOptions) (*CleanReport, error) {
	c := &cleaner{conn: conn, opts: opts, rep: &CleanReport{}}
	if c.opts.Log == nil {
		c.opts.Log = io.Discard
	}
	if c.opts.RemoveAll == nil {
		c.opts.RemoveAll = os.RemoveAll
	}
	d := &Dir{Conn: conn, Base: opts.Base}
	doms, _, err := d.search(opts.Base, ldap.ScopeSingleLevel,
		"(&(objectClass=JammVirtualDomain)(delete=TRUE))", []string{"jvd"})
	if err != nil {
		return c.rep, fmt.Errorf("clean: %w", err)
	}
	marked := map[string]bool{}
	for _, e := range doms {
		marked[strings.ToLower(e.GetEqualFoldAttributeValue("jvd"))] = true
	}
	accts, _, err := d.search(opts.Base, ldap.ScopeWholeSubtree,
		"(&(objectClass=JammMailAccount)(delete=TRUE))", []string{"mail", "homeDirectory", "mailbox"})
	if err != nil {
		return c.rep, fmt.Errorf("clean: %w", err)
	}
	var errs []error
	for _, e := range accts {
		if err := ctx.Err(); err != nil {
			return c.rep, err
		}
		dom := domainOfDN(e.DN)
		if marked[dom] {
			continue // removed with its domain
		}
		if err := c.account(ctx, d, dom, e); err != nil {
			errs = append(errs, err)
		}
	}
	for _, e := range doms {
		if err := ctx.Err(); err != nil {
			return c.rep, err
		}
		if err := c.domain(ctx, d, e); err != nil {
			errs = append(errs, err)
		}
	}
	verb := "done"
	if opts.DryRun {
		verb = "dry run (nothing changed; use --yes to act)"
	}
	c.logf("clean %s: %d maildir(s), %d entr(y/ies), %d skipped", verb, c.rep.Maildirs, c.rep.Entries, c.rep.Skipped)
	return c.rep, errors.Join(errs...)
}

type cleaner struct {
	conn *ldap.Conn
	opts CleanOptions
	rep  *CleanReport
}

func (c *cleaner) logf(format string, a ...any) {
	fmt.Fprintf(c.opts.Log, format+"\n", a...)
}

func (c *cleaner) would() string {
	if c.opts.DryRun {
		return "would "
	}
	return ""
}

// maildir removes (or reports) an account entry's maildir.
func (c *cleaner) maildir(e *ldap.Entry) error {
	home := e.GetEqualFoldAttributeValue("homeDirectory")
	mailbox := e.GetEqualFoldAttributeValue("mailbox")
	base := c.opts.MailboxBase
	if base == "" {
		base = home
	}
	dir, ok := MaildirPath(base, home, mailbox)
	if !ok {
		return fmt.Errorf("%s: maildir %q + %q is not below %s", e.DN, home, mailbox, base)
	}
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		c.logf("no maildir %s (%s): nothing to remove", dir, e.GetEqualFoldAttributeValue("mail"))
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", e.DN, err)
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		// The real location of the parent must still be below base.
		realParent, err1 := filepath.EvalSymlinks(filepath.Dir(dir))
		realBase, err2 := filepath.EvalSymlinks(base)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%s: resolve %s: %w", e.DN, dir, errors.Join(err1, err2))
		}
		if rel, err := filepath.Rel(realBase, realParent); err != nil || strings.HasPrefix(rel, "..") {
			return fmt.Errorf("%s: maildir %s leads outside %s", e.DN, dir, base)
		}
	}
	c.logf("%sremove maildir %s (%s)", c.would(), dir, e.GetEqualFoldAttributeValue("mail"))
	c.rep.Maildirs++
	if c.opts.DryRun {
		return nil
	}
	if err := c.opts.RemoveAll(dir); err != nil {
		c.rep.Maildirs--
		return fmt.Errorf("%s: remove %s: %w", e.DN, dir, err)
	}
	return nil
}

func (c *cleaner) del(dn string) error {
	c.logf("%sdelete entry %s", c.would(), dn)
	c.rep.Entries++
	if c.opts.DryRun {
		return nil
	}
	if err := c.conn.Del(ldap.NewDelRequest(dn, nil)); err != nil {
		c.rep.Entries--
		return mapLDAP("delete "+dn, err)
	}
	return nil
}

// account cleans one marked account of a domain that stays.
func (c *cleaner) account(ctx context.Context, d *Dir, dom string, e *ldap.Entry) error {
	if err := c.maildir(e); err != nil {
		c.rep.Skipped++
		c.logf("skip %s: %v", e.DN, err)
		return err
	}
	if dom != "" {
		if pm, err := d.IsPostmaster(ctx, dom, e.DN); err == nil && pm {
			c.logf("%sremove %s from the postmasters of %s", c.would(), e.DN, dom)
			if !c.opts.DryRun {
				if err := d.SetPostmaster(ctx, dom, e.DN, false); err != nil {
					c.rep.Skipped++
					c.logf("skip %s: %v", e.DN, err)
					return err
				}
			}
		}
	}
	if err := c.del(e.DN); err != nil {
		c.rep.Skipped++
		c.logf("skip %s: %v", e.DN, err)
		return err
	}
	return nil
}

// domain cleans one marked domain: maildirs first, then entries, deepest
// first.
func (c *cleaner) domain(ctx context.Context, d *Dir, dom *ldap.Entry) error {
	es, _, err := d.search(dom.DN, ldap.ScopeWholeSubtree, "(objectClass=*)",
		[]string{"objectClass", "mail", "homeDirectory", "mailbox"})
	if err != nil {
		c.rep.Skipped++
		return err
	}
	c.logf("%sremove domain %s with %d entr(y/ies) under it", c.would(), dom.GetEqualFoldAttributeValue("jvd"), len(es)-1)
	var failed []error
	for _, e := range es {
		if hasClass(e, "JammMailAccount") {
			if err := c.maildir(e); err != nil {
				failed = append(failed, err)
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		c.rep.Skipped++
		err := errors.Join(failed...)
		c.logf("skip domain %s: its entries stay until its maildirs are removed: %v", dom.DN, err)
		return err
	}
	depth := func(dn string) int {
		p, err := ldap.ParseDN(dn)
		if err != nil {
			return 0
		}
		return len(p.RDNs)
	}
	sort.SliceStable(es, func(i, j int) bool { return depth(es[i].DN) > depth(es[j].DN) })
	for _, e := range es {
		if err := c.del(e.DN); err != nil {
			c.rep.Skipped++
			c.logf("skip the rest of %s: %v", dom.DN, err)
			return err
		}
	}
	return nil
}
