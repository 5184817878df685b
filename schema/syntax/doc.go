// Package syntax is hostdir's registry of LDAP syntaxes and matching rules:
// value validation (RFC 4517, RFC 4512, RFC 2307, RFC 4523 and the OpenLDAP
// extensions slapd knows), string preparation (RFC 4518) and the canonical
// forms used for filter evaluation and index keys.
//
// The registry is built once at package initialisation and is read-only
// afterwards, so every function and value here is safe for concurrent use.
//
// # Canonical forms
//
// Every matching rule has a Normalize function returning the canonical form
// of a value or of an assertion value. Two values match under an equality
// rule exactly when their canonical forms are equal (the few rules that are
// not equivalences, such as wordMatch or integerBitAndMatch, have a Match
// function instead). Canonical forms are therefore usable as index keys.
// For every ordering rule, Compare orders canonical forms, and bytes.Compare
// on canonical forms gives the same order, so ordered key/value stores can
// answer ranges. The one exception: generalizedTime canonical forms
// (YYYYMMDDHHMMSS.fffffffffZ in UTC, at least nine fraction digits) sort
// bytewise only down to the nanosecond; Compare is exact. Integer canonical
// forms are binary for that reason (below).
//
// Case-ignore and case-exact rules prepare strings as RFC 4518 says:
// mapping (controls removed, white space and separators to SPACE), Unicode
// full case folding (case-ignore rules; golang.org/x/text/cases, which also
// folds ß to ss), NFKC (golang.org/x/text/unicode/norm), prohibition of
// private-use code points, non-characters and U+FFFD, and insignificant
// space handling. The canonical form stores spaces compactly: no leading or
// trailing space, inner runs of spaces collapsed to one, and a string of
// only spaces (or the empty string) becomes a single SPACE. Pure ASCII input
// takes a fast path that allocates only the result. Unassigned code points
// are let through, so values written by clients that know a newer Unicode
// version remain storable.
//
// Other canonical forms: integers (integerMatch, integerOrderingMatch,
// integerFirstComponentMatch) are 0x02 for zero, 0x03 + 4-byte big-endian
// digit count + digits for positive numbers, 0x01 + inverted count +
// nine-complemented digits for negative ones; numericString drops spaces;
// telephoneNumber is case-folded without spaces and hyphens; DNs are what
// Env.NormalizeDN returns; OIDs are numeric when Env resolves the
// descriptor; UUIDs and CSNs are lower-cased; caseIgnoreList values are
// their lines, each prepared as by caseIgnoreMatch, escaped (\24, \5C)
// and joined by "$".
//
// # Substrings
//
// Substring pieces are prepared with [MatchingRule.NormalizeSubstring],
// which keeps the leading and trailing spaces RFC 4518 section 2.6.1 keeps
// (as one SPACE each). [MatchingRule.MatchSubstrings] then matches them with
// exactly the semantics of RFC 4518 (each inner space of the value counts as
// two spaces, the value has a virtual SPACE at either end), while
// [MatchSubstrings] is the plain byte matcher it builds on.
//
// # Differences from slapd
//
// The registry mirrors slapd 2.5 (the set of syntaxes and rules, which ones
// cn=Subschema lists, which syntaxes have no validator, the X-NOT-HUMAN-READABLE
// and X-BINARY-TRANSFER-REQUIRED flags) with these deliberate exceptions,
// all towards RFC 4517/4518: descriptors are valid OID syntax values
// (slapd accepts only numeric OIDs outside objectClass), full case folding
// (ß matches ss), substring pieces keep their significant edge spaces and
// caseIgnoreListSubstringsMatch pieces do not cross line boundaries, and
// the subschema description syntaxes (RFC 4512) and substringAssertion have
// structural validators where slapd has none.
package syntax
