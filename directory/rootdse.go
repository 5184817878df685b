package directory

import (
	"hostdir/directory/entry"
	"hostdir/directory/ldapwire"
	"hostdir/schema"
)

// supportedControls are the controls the server implements, in slapd's
// order.
var supportedControls = []string{
	ldapwire.OIDManageDsaIT,
	ldapwire.OIDPagedResults,
	ldapwire.OIDAssertion,
}

// supportedFeatures are the features of RFC 4525 (increment), RFC 3673
// ("+"), RFC 4529 ("@class"), RFC 4526 (absolute true/false filters) and
// language tag options (1.3.6.1.4.1.4203.1.5.4).
var supportedFeatures = []string{
	ldapwire.OIDModifyIncrement,
	ldapwire.OIDAllOperationalAttrs,
	ldapwire.OIDAttributesByObjectClass,
	ldapwire.OIDAbsoluteTrueFalse,
	"1.3.6.1.4.1.4203.1.5.4",
}

// rootDSEInfo is the root DSE, built once, in two forms: e for every
// connection, ldapi with supportedSASLMechanisms EXTERNAL for ldapi://
// clients whose peer credentials are known (slapd lists EXTERNAL only
// to them).
type rootDSEInfo struct {
	e, ldapi *entry.Entry
}

// buildRootDSE builds the root DSE as slapd shows it: objectClass top and
// OpenLDAProotDSE as user attributes, then the operational attributes in
// slapd's order.
func (s *Server) buildRootDSE() rootDSEInfo {
	e := &entry.Entry{DN: ""}
	add := func(typ string, vals ...string) {
		if len(vals) == 0 {
			return
		}
		a := entry.Attribute{Type: typ}
		for _, v := range vals {
			a.Values = append(a.Values, []byte(v))
		}
		e.Attrs = append(e.Attrs, a)
	}
	add("objectClass", "top", "OpenLDAProotDSE")
	add(atStructuralObjectClass, "OpenLDAProotDSE")
	var ncs []string
	for _, d := range s.dbs {
		ncs = append(ncs, d.pretty...)
	}
	add("namingContexts", ncs...)
	add("supportedControl", supportedControls...)
	var exts []string
	if s.tls != nil {
		exts = append(exts, ldapwire.OIDStartTLS)
	}
	exts = append(exts, ldapwire.OIDPasswordModify, ldapwire.OIDWhoAmI, ldapwire.OIDCancel)
	add("supportedExtension", exts...)
	add("supportedFeatures", supportedFeatures...)
	add("supportedLDAPVersion", "3")
	// No vendorName/vendorVersion (RFC 3045): slapd 2.5 publishes none,
	// and clients must not be able to tell the servers apart.
	tail := []entry.Attribute{
		{Type: atEntryDN, Values: [][]byte{{}}},
		{Type: atSubschemaSubentry, Values: [][]byte{[]byte(schema.SubschemaDN)}},
	}
	li := &entry.Entry{DN: "", Attrs: append(append([]entry.Attribute(nil), e.Attrs...),
		entry.Attribute{Type: "supportedSASLMechanisms", Values: [][]byte{[]byte("EXTERNAL")}})}
	li.Attrs = append(li.Attrs, tail...)
	e.Attrs = append(e.Attrs, tail...)
	return rootDSEInfo{e: e, ldapi: li}
}

// rootDSEEntry returns the root DSE as connection c sees it (shared;
// read-only).
func (s *Server) rootDSEEntry(c *conn) *entry.Entry {
	if c.external != "" {
		return s.rootDSE.ldapi
	}
	return s.rootDSE.e
}
