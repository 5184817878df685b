package dn

import "strings"

// The functions in this file work on DN strings produced by Normalize (or
// Pretty or String), in which a raw "," always separates RDNs because a ","
// inside a value is written as \2C. They are plain string operations; they
// must not be given DNs as typed by users (`cn=a\, b`, `dc=a, dc=b`).
// The empty string is the root DN, above every other DN.

// IsUnder reports whether ndn is nbase or lies below it (subtree scope).
// Comparison is byte for byte, so both must be normalized.
func IsUnder(ndn, nbase string) bool {
	switch {
	case nbase == "":
		return true
	case len(ndn) == len(nbase):
		return ndn == nbase
	case len(ndn) < len(nbase):
		return false
	}
	k := len(ndn) - len(nbase)
	return ndn[k-1] == ',' && ndn[k:] == nbase
}

// IsDescendant reports whether ndn lies strictly below nbase (children scope).
func IsDescendant(ndn, nbase string) bool {
	return len(ndn) != len(nbase) && IsUnder(ndn, nbase)
}

// IsChild reports whether ndn is an immediate child of nbase (one-level scope).
func IsChild(ndn, nbase string) bool {
	return ndn != "" && ParentOf(ndn) == nbase
}

// ParentOf returns ndn without its first RDN ("" for a one-RDN DN and for "").
func ParentOf(ndn string) string {
	_, parent := SplitRDN(ndn)
	return parent
}

// SplitRDN splits ndn into its first RDN and the parent DN.
func SplitRDN(ndn string) (rdn, parent string) {
	i := strings.IndexByte(ndn, ',')
	if i < 0 {
		return ndn, ""
	}
	return ndn[:i], ndn[i+1:]
}

// Depth returns the number of RDNs of ndn (0 for the root DN "").
func Depth(ndn string) int {
	if ndn == "" {
		return 0
	}
	return strings.Count(ndn, ",") + 1
}
