package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"hostdir/directory/bootstrap"
	"hostdir/directory/dn"
	"hostdir/directory/entry"
	"hostdir/directory/store"
	"hostdir/schema"
)

// PrepareOptions tell PrepareEntry how to complete an entry.
type PrepareOptions struct {
	// Creator is the DN written to creatorsName and modifiersName when
	// the entry has none (slapadd writes the database's root DN).
	Creator string
	// Now is the time of createTimestamp, modifyTimestamp and entryCSN
	// when absent (zero: time.Now()).
	Now time.Time
	// NoOperational skips the operational attributes (lastmod off).
	NoOperational bool
	// UUIDs makes the entryUUIDs (nil: a generator per entry). Give one
	// generator to all the entries of an import: their UUIDs are then
	// ordered as slapadd's are.
	UUIDs *bootstrap.UUIDGenerator
}

// PrepareEntry does to an entry what the server does before storing an
// added one, for imports (slapadd) and tools: the DN becomes slapd's
// pretty form, attribute types are spelled as the schema names them, the
// RDN values are added, the schema is checked (a *schema.CheckError on
// failure) and the operational attributes slapd maintains
// (structuralObjectClass, entryUUID, creatorsName, createTimestamp,
// entryCSN, modifiersName, modifyTimestamp) are added where missing.
// Unlike an LDAP add, NO-USER-MODIFICATION attributes present in e are
// kept (an export re-imported keeps its UUIDs and timestamps).
func PrepareEntry(sc *schema.Schema, e *entry.Entry, opts PrepareOptions) error {
	pretty, _, err := sc.PrettyNormalDN(e.DN)
	if err != nil {
		return &schema.CheckError{Code: schema.ResultInvalidDNSyntax, Msg: "invalid DN"}
	}
	e.DN = pretty
	canonicalTypes(sc, e)
	if err := sc.AddNamingValues(e); err != nil {
		return err
	}
	if err := sc.CheckEntry(e); err != nil {
		return err
	}
	if opts.NoOperational {
		return nil
	}
	oc, err := sc.StructuralClass(e)
	if err != nil {
		return err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	var clock csnClock
	ts := generalizedTime(now)
	setIfMissing := func(name, val string) {
		if e.Get(name) == nil {
			e.Attrs = append(e.Attrs, entry.Attribute{Type: name, Values: [][]byte{[]byte(val)}})
		}
	}
	setIfMissing(atStructuralObjectClass, oc.Name())
	if e.Get(atEntryUUID) == nil {
		g := opts.UUIDs
		if g == nil {
			g = new(bootstrap.UUIDGenerator)
		}
		u, err := g.New()
		if err != nil {
			return err
		}
		setIfMissing(atEntryUUID, u)
	}
	setIfMissing(atCreatorsName, opts.Creator)
	setIfMissing(atCreateTimestamp, ts)
	setIfMissing(atEntryCSN, clock.next(now))
	setIfMissing(atModifiersName, opts.Creator)
	setIfMissing(atModifyTimestamp, ts)
	return nil
}

// BaseEntry returns the entry slapd's tools would create for a suffix: for
// "dc=x,..." a dcObject and organization with o: x; for "o=x,..." an
// organization; for "ou=x,..." an organizationalUnit; for "cn=x,..." an
// organizationalRole. Other naming types get
// extensibleObject with the RDN value. The entry still needs
// PrepareEntry.
func BaseEntry(sc *schema.Schema, suffix string) (*entry.Entry, error) {
	d, err := dn.Parse(suffix)
	if err != nil || len(d.RDNs) == 0 {
		return nil, fmt.Errorf("directory: suffix %q: not a DN", suffix)
	}
	pretty, err := d.Pretty(sc)
	if err != nil {
		return nil, fmt.Errorf("directory: suffix %q: %w", suffix, err)
	}
	ava := d.RDNs[0][0]
	e := &entry.Entry{DN: pretty}
	add := func(t string, vals ...string) {
		a := entry.Attribute{Type: t}
		for _, v := range vals {
			a.Values = append(a.Values, []byte(v))
		}
		e.Attrs = append(e.Attrs, a)
	}
	switch strings.ToLower(ava.Type) {
	case "dc", "domaincomponent", "0.9.2342.19200300.100.1.25":
		add("objectClass", "top", "dcObject", "organization")
		add("dc", ava.Value)
		add("o", ava.Value)
	case "o", "organizationname", "2.5.4.10":
		add("objectClass", "top", "organization")
		add("o", ava.Value)
	case "ou", "organizationalunitname", "2.5.4.11":
		add("objectClass", "top", "organizationalUnit")
		add("ou", ava.Value)
	case "cn", "commonname", "2.5.4.3":
		add("objectClass", "top", "organizationalRole")
		add("cn", ava.Value)
	default:
		add("objectClass", "top", "extensibleObject")
		add(ava.Type, ava.Value)
	}
	return e, nil
}

// EnsureSuffixes adds the suffix entry of every database whose store does
// not have it yet (see BaseEntry), written as by the database's root DN.
// It returns the DNs added.
func (s *Server) EnsureSuffixes(ctx context.Context) ([]string, error) {
	var added []string
	for _, d := range s.dbs {
		for i, suf := range d.suffixes {
			if _, err := d.backend.Get(ctx, suf); err == nil {
				continue
			} else if !errors.Is(err, store.ErrNoSuchObject) {
				return added, fmt.Errorf("directory: suffix %s: %w", d.pretty[i], err)
			}
			e, err := BaseEntry(s.schema, d.pretty[i])
			if err != nil {
				return added, err
			}
			if err := PrepareEntry(s.schema, e, PrepareOptions{Creator: d.rootDN, Now: s.now(), NoOperational: !d.lastMod, UUIDs: &s.uuids}); err != nil {
				return added, fmt.Errorf("directory: suffix %s: %w", d.pretty[i], err)
			}
			if err := d.backend.Add(ctx, e); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
				return added, fmt.Errorf("directory: add suffix %s: %w", d.pretty[i], err)
			}
			added = append(added, e.DN)
		}
	}
	return added, nil
}
