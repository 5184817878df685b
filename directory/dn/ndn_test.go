package dn

import "testing"

func TestNormalizedStringHelpers(t *testing.T) {
	tests := []struct {
		ndn, nbase        string
		under, desc, chld bool
	}{
		{"dc=example", "dc=example", true, false, false},
		{"cn=a,dc=example", "dc=example", true, true, true},
		{"cn=b,cn=a,dc=example", "dc=example", true, true, false},
		{"cn=b,cn=a,dc=example", "cn=a,dc=example", true, true, true},
		{"dc=myexample", "dc=example", false, false, false},       // no ',' boundary
		{"cn=a\\2Cdc=example", "dc=example", false, false, false}, // escaped comma
		{"dc=example", "cn=a,dc=example", false, false, false},
		{"dc=example", "", true, true, true},
		{"cn=a,dc=example", "", true, true, false},
		{"", "", true, false, false},
		{"", "dc=example", false, false, false},
		{"dc=other", "dc=example", false, false, false},
	}
	for _, tt := range tests {
		if got := IsUnder(tt.ndn, tt.nbase); got != tt.under {
			t.Errorf("IsUnder(%q, %q) = %v", tt.ndn, tt.nbase, got)
		}
		if got := IsDescendant(tt.ndn, tt.nbase); got != tt.desc {
			t.Errorf("IsDescendant(%q, %q) = %v", tt.ndn, tt.nbase, got)
		}
		if got := IsChild(tt.ndn, tt.nbase); got != tt.chld {
			t.Errorf("IsChild(%q, %q) = %v", tt.ndn, tt.nbase, got)
		}
	}
	split := []struct {
		ndn, rdn, parent string
		depth            int
	}{
		{"", "", "", 0},
		{"dc=example", "dc=example", "", 1},
		{"cn=a\\2Cb+sn=c,dc=example", "cn=a\\2Cb+sn=c", "dc=example", 2},
		{"mail=alice@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example", "mail=alice@example.com", "jvd=example.com,o=hosting,dc=myhosting,dc=example", 5},
	}
	for _, tt := range split {
		r, p := SplitRDN(tt.ndn)
		if r != tt.rdn || p != tt.parent || ParentOf(tt.ndn) != tt.parent {
			t.Errorf("SplitRDN(%q) = %q, %q", tt.ndn, r, p)
		}
		if d := Depth(tt.ndn); d != tt.depth {
			t.Errorf("Depth(%q) = %d, want %d", tt.ndn, d, tt.depth)
		}
	}
}

// TestHelpersAgreeWithModel checks the string helpers against the parsed
// model on normalized DNs.
func TestHelpersAgreeWithModel(t *testing.T) {
	n := fakeSchema{}
	for _, c := range slapdCases {
		d, err := Parse(c.in)
		if err != nil {
			t.Fatal(err)
		}
		nd, err := d.Normalize(n)
		if err != nil {
			t.Fatal(err)
		}
		if Depth(nd) != len(d.RDNs) {
			t.Errorf("Depth(%q) = %d, model has %d RDNs", nd, Depth(nd), len(d.RDNs))
		}
		np, err := d.Parent().Normalize(n)
		if err != nil {
			t.Fatal(err)
		}
		if ParentOf(nd) != np {
			t.Errorf("ParentOf(%q) = %q, model parent %q", nd, ParentOf(nd), np)
		}
		if !IsUnder(nd, np) || !IsUnder(nd, nd) || (nd != "" && !IsChild(nd, np)) {
			t.Errorf("%q is not under/child of its parent %q", nd, np)
		}
	}
}
