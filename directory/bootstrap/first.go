package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hostdir/directory/config"
	"hostdir/directory/dn"
	"hostdir/directory/entry"
	"hostdir/directory/password"
	"hostdir/directory/store"
	"hostdir/schema"
)

// RootPWLength is the length of a generated root password.
const RootPWLength = 16

// RootPWScheme is the scheme of the stored root password hash.
const RootPWScheme = "{SSHA}"

// RootPW returns the root password hash kept in dir (RootPWFile). When
// there is none it generates a password (password.Generate), stores its
// RootPWScheme hash in a new file of mode 0600 and returns the clear text
// too: the only time it is ever available. clear is "" when the hash was
// already there.
func RootPW(dir string) (hash, clear string, err error) {
	path := filepath.Join(dir, RootPWFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		hash = strings.TrimSpace(string(b))
		if hash == "" {
			return "", "", fmt.Errorf("%s is empty: remove it to generate a new root password", path)
		}
		return hash, "", nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", "", fmt.Errorf("read root password: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("create data directory: %w", err)
	}
	clear, err = password.Generate(RootPWLength)
	if err != nil {
		return "", "", err
	}
	hash, err = password.Hash(RootPWScheme, []byte(clear))
	if err != nil {
		return "", "", fmt.Errorf("hash root password: %w", err)
	}
	// Write a temporary file and link it into place: a crash never leaves
	// a partial rootpw, and two servers starting at once cannot both win.
	tmp, err := os.CreateTemp(dir, ".rootpw-*")
	if err != nil {
		return "", "", fmt.Errorf("store root password: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.WriteString(hash + "\n")
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Link(tmp.Name(), path)
		}
		if err != nil {
			return "", "", fmt.Errorf("store root password: %w", err)
		}
	} else {
		tmp.Close()
		return "", "", fmt.Errorf("store root password: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return hash, clear, nil
}

// BaseTree returns the HOWTO's base tree (section 4.3.2, base.ldif) for a
// database: the suffix entry (a domain for dc=, an organization for o=, an
// organizationalUnit for ou=), the root DN's organizationalRole when the
// root DN is cn=X directly under the suffix, and o=hosting under the
// suffix. DNs are in slapd's pretty form; attribute types as the schema
// names them.
func BaseTree(sc *schema.Schema, d *config.Database) ([]*entry.Entry, error) {
	if len(d.SuffixesRaw) == 0 {
		return nil, fmt.Errorf("%s:%d: database has no suffix", d.File, d.Line)
	}
	suffix, nsuffix, err := sc.PrettyNormalDN(d.SuffixesRaw[0])
	if err != nil {
		return nil, fmt.Errorf("suffix %q: %w", d.SuffixesRaw[0], err)
	}
	top, err := rdnOf(suffix)
	if err != nil {
		return nil, err
	}
	var out []*entry.Entry
	switch strings.ToLower(top.Type) {
	case "dc", "domaincomponent":
		out = append(out, newEntry(suffix, "objectClass", []string{"top", "domain"}, "dc", top.Value))
	case "o", "organizationname":
		out = append(out, newEntry(suffix, "objectClass", []string{"top", "organization"}, "o", top.Value))
	case "ou", "organizationalunitname":
		out = append(out, newEntry(suffix, "objectClass", []string{"top", "organizationalUnit"}, "ou", top.Value))
	default:
		return nil, fmt.Errorf("suffix %q: cannot make a base entry for %s=", suffix, top.Type)
	}
	if d.RootDNRaw != "" {
		root, nroot, err := sc.PrettyNormalDN(d.RootDNRaw)
		if err != nil {
			return nil, fmt.Errorf("rootdn %q: %w", d.RootDNRaw, err)
		}
		if rdn, err := rdnOf(root); err == nil && strings.EqualFold(rdn.Type, "cn") &&
			dn.ParentOf(nroot) == nsuffix {
			out = append(out, newEntry(root, "objectClass", []string{"top", "organizationalRole"}, "cn", rdn.Value))
		}
	}
	out = append(out, newEntry("o=hosting,"+suffix, "objectClass", []string{"top", "organization"}, "o", "hosting"))
	return out, nil
}

// rdnOf returns the single AVA of a DN's first RDN.
func rdnOf(s string) (dn.AVA, error) {
	d, err := dn.Parse(s)
	if err != nil || len(d.RDNs) == 0 || len(d.RDNs[0]) != 1 {
		return dn.AVA{}, fmt.Errorf("%q: want a DN whose first RDN has one value", s)
	}
	return d.RDNs[0][0], nil
}

func newEntry(d, ocType string, ocs []string, naming, value string) *entry.Entry {
	e := &entry.Entry{DN: d}
	a := entry.Attribute{Type: ocType}
	for _, oc := range ocs {
		a.Values = append(a.Values, []byte(oc))
	}
	e.Attrs = append(e.Attrs, a, entry.Attribute{Type: naming, Values: [][]byte{[]byte(value)}})
	return e
}

// FirstStart is what InitDefault did.
type FirstStart struct {
	// Created lists the DNs of the base entries added, in order (empty
	// when the database already had entries).
	Created []string
	// Password is the generated root password in clear text ("" when a
	// hash was already stored). It is shown once and never stored.
	Password string
	// RootPW is the stored hash, to put into the database's rootpw.
	RootPW string
}

// InitDefault prepares database d of the default configuration before
// the server starts: the root password (RootPW in d.Directory, set as
// d.RootPW when the configuration has none), and, when the store holds no
// entry at all, the HOWTO's base tree, schema-checked and stamped with the
// operational attributes of an add by the root DN. The store must not be
// open elsewhere; it is closed again before InitDefault returns.
func InitDefault(ctx context.Context, cfg *config.Config, d *config.Database, st *Stamper) (*FirstStart, error) {
	fsr := &FirstStart{}
	if d.RootPW == "" {
		hash, clear, err := RootPW(d.Directory)
		if err != nil {
			return nil, err
		}
		d.RootPW, fsr.RootPW, fsr.Password = hash, hash, clear
	}
	db, _, err := OpenStore(cfg, d, store.Options{Timeout: LockTimeout})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	empty := true
	err = db.Search(ctx, store.SearchRequest{Scope: store.ScopeOne}, func(*store.Entry) error {
		empty = false
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, fmt.Errorf("look for entries: %w", err)
	}
	if !empty {
		return fsr, db.Close()
	}
	tree, err := BaseTree(cfg.Schema, d)
	if err != nil {
		return nil, err
	}
	creator := d.RootDNRaw
	if creator != "" {
		if p, _, err := cfg.Schema.PrettyNormalDN(creator); err == nil {
			creator = p
		}
	}
	for _, e := range tree {
		if err := cfg.Schema.CheckEntry(e); err != nil {
			return nil, fmt.Errorf("base entry %q: %w", e.DN, err)
		}
		if err := st.Stamp(cfg.Schema, e, StampOptions{Structural: true, LastMod: d.LastMod, Creator: creator}); err != nil {
			return nil, fmt.Errorf("base entry %q: %w", e.DN, err)
		}
		if err := db.Add(ctx, e); err != nil {
			return nil, fmt.Errorf("add base entry %q: %w", e.DN, err)
		}
		fsr.Created = append(fsr.Created, e.DN)
	}
	return fsr, db.Close()
}

// LockTimeout is how long the tools wait for a store file locked by
// another process before giving up with ErrLocked.
const LockTimeout = 2 * time.Second

var errStop = errors.New("stop")
