package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"hostdir/directory/entry"
	"hostdir/directory/filter"
	"hostdir/schema"
)

const suffix = "dc=myhosting,dc=example"

type schemaAT = schema.AttributeType

type filterT = filter.Filter

var (
	schemaOnce sync.Once
	testSchema *schema.Schema
	schemaErr  error
)

func builtin(t testing.TB) *schema.Schema {
	t.Helper()
	schemaOnce.Do(func() { testSchema, schemaErr = schema.Builtin() })
	if schemaErr != nil {
		t.Fatalf("schema.Builtin: %v", schemaErr)
	}
	return testSchema
}

// testIndexes is the HOWTO-like index configuration.
var testIndexes = []IndexSpec{
	{Attr: "objectClass", Kinds: IndexEquality},
	{Attr: "mail", Kinds: IndexEquality | IndexSubstrings},
	{Attr: "jvd", Kinds: IndexEquality},
	{Attr: "accountActive", Kinds: IndexEquality},
	{Attr: "delete", Kinds: IndexEquality},
	{Attr: "cn", Kinds: IndexPresence | IndexEquality | IndexSubstrings | IndexApprox},
	{Attr: "uid", Kinds: IndexPresence | IndexEquality},
}

func openTest(t testing.TB, opts Options) *DB {
	t.Helper()
	if opts.Suffixes == nil {
		opts.Suffixes = []string{suffix}
	}
	db, err := Open(filepath.Join(t.TempDir(), "test.db"), builtin(t), testIndexes, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func attr(typ string, vals ...string) entry.Attribute {
	a := entry.Attribute{Type: typ}
	for _, v := range vals {
		a.Values = append(a.Values, []byte(v))
	}
	return a
}

func suffixEntry() *entry.Entry {
	return &entry.Entry{DN: "dc=myhosting, dc=example", Attrs: []entry.Attribute{
		attr("objectClass", "top", "dcObject", "organization"), attr("dc", "myhosting"), attr("o", "myhosting"),
	}}
}

func hostingEntry() *entry.Entry {
	return &entry.Entry{DN: "o=hosting," + suffix, Attrs: []entry.Attribute{
		attr("objectClass", "top", "organization"), attr("o", "hosting"),
	}}
}

func domainDN(d int) string { return fmt.Sprintf("jvd=domain%d.com,o=hosting,%s", d, suffix) }

func domainEntry(d int) *entry.Entry {
	return &entry.Entry{DN: domainDN(d), Attrs: []entry.Attribute{
		attr("objectClass", "top", "JammVirtualDomain"), attr("jvd", fmt.Sprintf("domain%d.com", d)),
		attr("accountActive", "TRUE"), attr("lastChange", "5"), attr("delete", "FALSE"),
		attr("editAccounts", "TRUE"), attr("editPostmasters", "TRUE"),
	}}
}

func accountEntry(d, u int) *entry.Entry {
	mail := fmt.Sprintf("user%d@domain%d.com", u, d)
	return &entry.Entry{DN: "mail=" + mail + "," + domainDN(d), Attrs: []entry.Attribute{
		attr("objectClass", "top", "JammMailAccount"), attr("mail", mail),
		attr("homeDirectory", "/home/vmail/domains"), attr("mailbox", fmt.Sprintf("domain%d.com/user%d/", d, u)),
		attr("accountActive", "TRUE"), attr("lastChange", "5"), attr("delete", "FALSE"),
		attr("cn", fmt.Sprintf("User %d", u)),
		attr("userPassword", "{CRYPT}xx"),
	}}
}

// populate loads the suffix, o=hosting, and domains x accounts.
func populate(t testing.TB, db *DB, domains, accounts int) {
	t.Helper()
	var list []*entry.Entry
	list = append(list, suffixEntry(), hostingEntry())
	for d := 0; d < domains; d++ {
		list = append(list, domainEntry(d))
		for u := 0; u < accounts; u++ {
			list = append(list, accountEntry(d, u))
		}
	}
	i := 0
	n, err := db.BulkLoad(context.Background(), 2000, func() (*entry.Entry, error) {
		if i == len(list) {
			return nil, nil
		}
		i++
		return list[i-1], nil
	})
	if err != nil || n != len(list) {
		t.Fatalf("BulkLoad: %d of %d, %v", n, len(list), err)
	}
}

func mustFilter(t testing.TB, s string) *filter.Filter {
	t.Helper()
	f, err := filter.Parse(s, builtin(t))
	if err != nil {
		t.Fatalf("filter %q: %v", s, err)
	}
	return f
}

func ndn(t testing.TB, db *DB, s string) string {
	t.Helper()
	n, err := db.NormalizeDN(s)
	if err != nil {
		t.Fatalf("NormalizeDN(%q): %v", s, err)
	}
	return n
}

// searchNDNs returns the sorted NDNs a search finds.
func searchNDNs(t testing.TB, db *DB, req SearchRequest) ([]string, error) {
	t.Helper()
	var out []string
	err := db.Search(context.Background(), req, func(e *Entry) error {
		out = append(out, e.NDN)
		return nil
	})
	sort.Strings(out)
	return out, err
}
