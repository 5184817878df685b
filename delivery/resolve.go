package delivery

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"hostdir/delivery/maildir"
)

// Mailbox is one maildir a message goes to.
type Mailbox struct {
	// Address is the mailbox address the expansion reached, lower-case and
	// with the extension when there was one ("alice+news@example.com").
	// Re-submitting to it reaches the same mailbox.
	Address string
	// Account is the directory entry.
	Account Account
	// Base is the directory the maildir must stay below: the configured
	// mailbox base, or the entry's homeDirectory.
	Base string
	// Path is the maildir: Base joined with the entry's mailbox (clean,
	// absolute, checked against "..").
	Path string
	// Extension is the address extension that selected this mailbox
	// ("news" for alice+news@d), or "".
	Extension string
}

// Resolution is where one recipient's mail goes.
type Resolution struct {
	// Recipient is the resolved address, trimmed and lower-case.
	Recipient string
	// Mailboxes are the maildirs to write, without duplicates.
	Mailboxes []Mailbox
	// Forwards are addresses to re-submit through sendmail: addresses
	// outside the domains served here, local names without a domain
	// (postmaster), and alias targets in served domains that name nobody
	// (Postfix then bounces just that address). No duplicates.
	Forwards []string
}

// Resolver resolves recipient addresses the way Postfix resolves them with
// the HOWTO's maps (virtual_alias_maps = aliases, accountsmap;
// virtual_mailbox_maps = accounts; transport_maps = transport):
//
//   - the domain must be an active, not delete-marked JammVirtualDomain;
//   - for the address, then for the address without its extension
//     (user+ext@d -> user@d): an active, not delete-marked account is a
//     mailbox; otherwise the maildrop values of active aliases are expanded
//     recursively (an extension found only on the stripped key is
//     propagated to the targets, as Postfix's propagate_unmatched_extensions);
//   - only when neither matched, the catch-all alias "@d";
//   - matching is case-insensitive; each address is expanded once, so
//     duplicates and loops drop out; nesting deeper than RecursionLimit or
//     more than ExpansionLimit addresses is ErrExpansionLimit (Postfix
//     defers such mail too).
//
// The top-level recipient must resolve (ErrUnknownUser otherwise, or ErrLoop
// when its expansion only loops back); alias targets that do not resolve are
// forwarded, so Postfix bounces each of them on its own.
//
// A Resolver holds no per-call state and is safe for concurrent use when its
// Directory is.
type Resolver struct {
	// Dir answers the lookups.
	Dir Directory
	// Delimiter holds the extension delimiter characters ("+"); "" disables
	// extensions.
	Delimiter string
	// MailboxBase, when set, replaces the entries' homeDirectory as the
	// directory maildirs are placed in (Postfix's virtual_mailbox_base).
	MailboxBase string
	// RecursionLimit bounds alias nesting (DefaultRecursionLimit if 0).
	RecursionLimit int
	// ExpansionLimit bounds the addresses one recipient expands to
	// (DefaultExpansionLimit if 0).
	ExpansionLimit int
}

// NewResolver returns a Resolver with the settings of c.
func NewResolver(dir Directory, c *Config) *Resolver {
	return &Resolver{
		Dir:            dir,
		Delimiter:      c.RecipientDelimiter,
		MailboxBase:    c.MailboxBase,
		RecursionLimit: c.AliasRecursionLimit,
		ExpansionLimit: c.AliasExpansionLimit,
	}
}

// resolution is the state of one Resolve call.
type resolution struct {
	r        *Resolver
	res      *Resolution
	seen     map[string]bool
	domains  map[string]bool
	paths    map[string]bool
	skipped  int // addresses dropped as already seen
	maxDepth int
	maxAddrs int
}

// Resolve resolves one recipient address. Errors: ErrUnknownUser,
// ErrLoop, ErrExpansionLimit, ErrBadEntry (an account whose maildir path is
// unusable or ambiguous accounts) and ErrDirectory, wrapped with details.
func (r *Resolver) Resolve(ctx context.Context, addr string) (*Resolution, error) {
	st := &resolution{
		r:        r,
		res:      &Resolution{Recipient: NormalizeAddress(addr)},
		seen:     make(map[string]bool),
		domains:  make(map[string]bool),
		paths:    make(map[string]bool),
		maxDepth: r.RecursionLimit,
		maxAddrs: r.ExpansionLimit,
	}
	if st.maxDepth <= 0 {
		st.maxDepth = DefaultRecursionLimit
	}
	if st.maxAddrs <= 0 {
		st.maxAddrs = DefaultExpansionLimit
	}
	a := st.res.Recipient
	local, _, ok := SplitAddress(a)
	if !ok || local == "" {
		return nil, fmt.Errorf("%w: <%s>", ErrUnknownUser, a)
	}
	if err := st.expand(ctx, a, 0); err != nil {
		return nil, err
	}
	if len(st.res.Mailboxes) == 0 && len(st.res.Forwards) == 0 {
		if st.skipped > 0 {
			return nil, fmt.Errorf("%w for <%s>", ErrLoop, a)
		}
		return nil, fmt.Errorf("%w: <%s>", ErrUnknownUser, a)
	}
	return st.res, nil
}

// expand resolves addr (already lower-case) at nesting depth.
func (st *resolution) expand(ctx context.Context, addr string, depth int) error {
	if depth > st.maxDepth {
		return fmt.Errorf("%w: nesting deeper than %d at <%s>", ErrExpansionLimit, st.maxDepth, addr)
	}
	if st.seen[addr] {
		st.skipped++
		return nil
	}
	st.seen[addr] = true
	if len(st.seen) > st.maxAddrs {
		return fmt.Errorf("%w: more than %d addresses for <%s>", ErrExpansionLimit, st.maxAddrs, st.res.Recipient)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrDirectory, err)
	}
	local, domain, ok := SplitAddress(addr)
	if !ok {
		// A local name such as "postmaster": Postfix delivers it.
		st.forward(addr)
		return nil
	}
	served, err := st.domain(ctx, domain)
	if err != nil {
		return err
	}
	if !served {
		if depth == 0 {
			return fmt.Errorf("%w: <%s> (domain not served)", ErrUnknownUser, addr)
		}
		st.forward(addr)
		return nil
	}
	keys := []string{addr}
	base, ext := SplitExtension(local, st.r.Delimiter)
	if base != local {
		keys = append(keys, base+"@"+domain)
	}
	for i, key := range keys {
		accts, err := st.r.Dir.Accounts(ctx, key)
		if err != nil {
			return err
		}
		if len(accts) > 1 {
			return fmt.Errorf("%w: %d accounts for <%s>: %s and %s", ErrBadEntry, len(accts), key, accts[0].DN, accts[1].DN)
		}
		if len(accts) == 1 {
			e := ""
			if i == 1 {
				e = ext
			}
			return st.mailbox(addr, accts[0], e)
		}
		drops, err := st.r.Dir.Aliases(ctx, key)
		if err != nil {
			return err
		}
		if len(drops) > 0 {
			for _, d := range drops {
				d = NormalizeAddress(d)
				if d == "" {
					continue
				}
				if i == 1 {
					d = addExtension(d, ext, st.r.Delimiter)
				}
				if err := st.expand(ctx, d, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
	}
	drops, err := st.r.Dir.Aliases(ctx, "@"+domain)
	if err != nil {
		return err
	}
	if len(drops) > 0 {
		for _, d := range drops {
			d = NormalizeAddress(d)
			if d == "" {
				continue
			}
			if err := st.expand(ctx, d, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if depth == 0 {
		return fmt.Errorf("%w: <%s>", ErrUnknownUser, addr)
	}
	// An alias target in a served domain that names nobody: let Postfix
	// bounce this one address.
	st.forward(addr)
	return nil
}

func (st *resolution) domain(ctx context.Context, d string) (bool, error) {
	if v, ok := st.domains[d]; ok {
		return v, nil
	}
	v, err := st.r.Dir.Domain(ctx, d)
	if err != nil {
		return false, err
	}
	st.domains[d] = v
	return v, nil
}

func (st *resolution) forward(addr string) {
	st.res.Forwards = append(st.res.Forwards, addr)
}

func (st *resolution) mailbox(addr string, a Account, ext string) error {
	base := st.r.MailboxBase
	if base == "" {
		base = a.HomeDirectory
	}
	if base == "" {
		return fmt.Errorf("%w: %s has no homeDirectory and no mailbox base is configured", ErrBadEntry, a.DN)
	}
	p, err := maildir.Join(base, a.Mailbox)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadEntry, a.DN, err)
	}
	key := p + "\x00" + ext
	if st.paths[key] {
		st.skipped++
		return nil
	}
	st.paths[key] = true
	st.res.Mailboxes = append(st.res.Mailboxes, Mailbox{
		Address:   addr,
		Account:   a,
		Base:      strings.TrimRight(base, "/"),
		Path:      p,
		Extension: ext,
	})
	return nil
}

// NormalizeAddress trims spaces and one pair of angle brackets and
// lower-cases the address (all lookups are case-insensitive).
func NormalizeAddress(a string) string {
	a = strings.TrimSpace(a)
	if len(a) >= 2 && a[0] == '<' && a[len(a)-1] == '>' {
		a = strings.TrimSpace(a[1 : len(a)-1])
	}
	return strings.ToLower(a)
}

// SplitAddress splits at the last '@'; ok is false without '@'. A trailing
// dot of the domain is dropped.
func SplitAddress(a string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(a, '@')
	if i < 0 {
		return a, "", false
	}
	return a[:i], strings.TrimSuffix(a[i+1:], "."), true
}

// SplitExtension splits a local part at the first delimiter character:
// "alice+news" -> "alice", "news"; "alice+" -> "alice", "". A local part
// starting with a delimiter, or an empty delimiter set, has no extension
// (base == local then).
func SplitExtension(local, delims string) (base, ext string) {
	if delims == "" {
		return local, ""
	}
	i := strings.IndexAny(local, delims)
	if i <= 0 {
		return local, ""
	}
	_, n := utf8.DecodeRuneInString(local[i:])
	return local[:i], local[i+n:]
}

// addExtension appends "+ext" to the local part of d (unless it has an
// extension already).
func addExtension(d, ext, delims string) string {
	if ext == "" || delims == "" {
		return d
	}
	local, domain, ok := SplitAddress(d)
	if strings.ContainsAny(local, delims) {
		return d
	}
	r, _ := utf8.DecodeRuneInString(delims)
	local += string(r) + ext
	if !ok {
		return local
	}
	return local + "@" + domain
}
