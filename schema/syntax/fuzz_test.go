package syntax

import (
	"bytes"
	"math/big"
	"testing"
	"time"
	"unicode/utf8"
)

// idempotentRules are the rules whose canonical forms are valid input of
// the same rule, so normalize(normalize(x)) == normalize(x) must hold.
var idempotentRules = []string{
	"caseIgnoreMatch", "caseExactMatch", "caseIgnoreIA5Match", "caseExactIA5Match", "numericStringMatch",
	"telephoneNumberMatch", "generalizedTimeMatch", "UUIDMatch", "booleanMatch", "bitStringMatch",
	"octetStringMatch", "caseIgnoreListMatch", "objectIdentifierMatch", "CSNMatch", "CSNSIDMatch",
	"uniqueMemberMatch", "distinguishedNameMatch", "wordMatch", "integerBitAndMatch",
}

func FuzzStringPrep(f *testing.F) {
	for _, s := range []string{"", " ", "Foo  Bar", "  x  ", "Straße", "ﬁ", "\u212a", "a\u0301", "\u1e9e",
		"ǅ", "ΐ", "\u0345", "a\u00a0\u2028b", "\x00\x7f\t", "İ", "ﾊﾟ", "\u0390\u0301", "\xff"} {
		f.Add([]byte(s))
	}
	rules := []*MatchingRule{LookupRule("caseIgnoreSubstringsMatch"), LookupRule("caseExactSubstringsMatch"),
		LookupRule("caseIgnoreIA5SubstringsMatch"), LookupRule("caseIgnoreListSubstringsMatch")}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range rules {
			n, err := r.Normalize(nil, data)
			if err != nil {
				continue
			}
			n2, err := r.Normalize(nil, n)
			if err != nil || !bytes.Equal(n, n2) {
				t.Fatalf("%s: not idempotent: %q -> %q -> %q (%v)", r.Name(), data, n, n2, err)
			}
			if r.spaces == spaceList {
				continue // pieces of a list value are plain strings, not escaped lines
			}
			for pos := SubInitial; pos <= SubFinal; pos++ {
				p, err := r.NormalizeSubstring(nil, data, pos)
				if err != nil {
					t.Fatalf("%s: value normalizes but piece %v does not: %q: %v", r.Name(), pos, data, err)
				}
				p2, err := r.NormalizeSubstring(nil, p, pos)
				if err != nil || !bytes.Equal(p, p2) {
					t.Fatalf("%s: piece %v not idempotent: %q -> %q -> %q", r.Name(), pos, data, p, p2)
				}
				var ini, fin []byte
				var anys [][]byte
				switch pos {
				case SubInitial:
					ini = p
				case SubAny:
					anys = [][]byte{p}
				case SubFinal:
					fin = p
				}
				if !r.MatchSubstrings(n, ini, anys, fin) {
					t.Fatalf("%s: value %q (%q) does not match itself as %v piece %q", r.Name(), data, n, pos, p)
				}
			}
		}
		ApproxKey(nil, data)
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "TRUE", "-12", "20240101120000.5+0130", "cn=foo#'01'B", `a\24b$c`,
		"8bd5e7a2-1b2c-4d5e-8f90-123456789abc", "( 2.5.4.3 NAME 'cn' )", "a*b*c", "(a,b,c)", "k=s:/p",
		"20240101120000.123456Z#000000#000#000000", "\x30\x03\x02\x01\x01", `{ serialNumber 1, issuer "cn=x" }`} {
		f.Add([]byte(s))
	}
	env := fakeEnv{}
	idem := map[string]bool{}
	for _, n := range idempotentRules {
		idem[n] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, s := range Syntaxes() {
			_ = s.Check(nil, data)
			_ = s.Check(env, data)
		}
		for _, r := range Rules() {
			n, err := r.Normalize(env, data)
			if err != nil || !idem[r.Name()] {
				continue
			}
			n2, err := r.Normalize(env, n)
			if err != nil || !bytes.Equal(n, n2) {
				t.Fatalf("%s: not idempotent: %q -> %q -> %q (%v)", r.Name(), data, n, n2, err)
			}
		}
		ParseSubstringAssertion(data)
	})
}

func FuzzIntegerOrder(f *testing.F) {
	f.Add("0", "-1")
	f.Add("123456789012345678901234567890", "-99")
	f.Add("10", "9")
	r := LookupRule("integerOrderingMatch")
	f.Fuzz(func(t *testing.T, a, b string) {
		ka, errA := r.Normalize(nil, []byte(a))
		kb, errB := r.Normalize(nil, []byte(b))
		ia, okA := new(big.Int).SetString(a, 10)
		if (errA == nil) != (validateInteger([]byte(a)) == nil) {
			t.Fatalf("validate/normalize disagree on %q", a)
		}
		if errA != nil || errB != nil {
			return
		}
		ib, okB := new(big.Int).SetString(b, 10)
		if !okA || !okB {
			t.Fatalf("valid integers %q %q do not parse", a, b)
		}
		if got, want := bytes.Compare(ka, kb), ia.Cmp(ib); got != want || r.Compare(ka, kb) != want {
			t.Fatalf("order of %q and %q: keys say %d, numbers say %d", a, b, got, want)
		}
	})
}

func FuzzGeneralizedTime(f *testing.F) {
	for _, s := range []string{"20240101120000Z", "2024010112Z", "20240101120000.5+0130", "20240229235960-1200",
		"00000101000000+2359", "99991231235959.999999999999-0001", "2024010112,5Z", "202401011200.25Z"} {
		f.Add(s)
	}
	r := LookupRule("generalizedTimeOrderingMatch")
	f.Fuzz(func(t *testing.T, s string) {
		verr := validateGeneralizedTime([]byte(s))
		c, err := r.Normalize(nil, []byte(s))
		if verr != nil {
			if err == nil {
				t.Fatalf("invalid %q normalized to %q", s, c)
			}
			return
		}
		if err != nil {
			return // valid but out of range once in UTC
		}
		c2, err := r.Normalize(nil, c)
		if err != nil || !bytes.Equal(c, c2) {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, c, c2)
		}
		// Differential check against the time package for plain forms.
		if len(s) == 15 && s[14] == 'Z' && s[12:14] != "60" || len(s) == 19 && (s[14] == '+' || s[14] == '-') && s[12:14] != "60" {
			layout := "20060102150405Z0700"
			if s[14] == 'Z' {
				layout = "20060102150405Z"
			}
			tm, err := time.Parse(layout, s)
			if err != nil {
				return
			}
			want := tm.UTC().Format("20060102150405") + ".000000000Z"
			if string(c) != want {
				t.Fatalf("%q: canonical %q, time package says %q", s, c, want)
			}
		}
		if !utf8.Valid(c) {
			t.Fatal("canonical form not UTF-8")
		}
	})
}
