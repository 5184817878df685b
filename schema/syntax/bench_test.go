package syntax

import "testing"

func benchNormalize(b *testing.B, rule, value string) {
	r := LookupRule(rule)
	v := []byte(value)
	buf := make([]byte, 0, 64)
	b.Run("Normalize", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Normalize(nil, v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendNormalize", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if buf, err = r.AppendNormalize(buf[:0], nil, v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCaseIgnoreIA5(b *testing.B) {
	benchNormalize(b, "caseIgnoreIA5Match", "Postmaster@Example-Hosting.COM")
}

func BenchmarkCaseIgnoreASCII(b *testing.B) {
	benchNormalize(b, "caseIgnoreMatch", "John  Doe Mailbox Owner")
}

func BenchmarkCaseIgnoreUnicode(b *testing.B) {
	benchNormalize(b, "caseIgnoreMatch", "Jürgen Müller-Straße")
}

func BenchmarkIntegerKey(b *testing.B) {
	benchNormalize(b, "integerMatch", "1234567")
}

func BenchmarkGeneralizedTime(b *testing.B) {
	benchNormalize(b, "generalizedTimeMatch", "20240101120000.5+0100")
}

func BenchmarkMatchSubstrings(b *testing.B) {
	r := LookupRule("caseIgnoreIA5SubstringsMatch")
	v, _ := r.Normalize(nil, []byte("postmaster@example-hosting.com"))
	ini, _ := r.NormalizeSubstring(nil, []byte("post"), SubInitial)
	fin, _ := r.NormalizeSubstring(nil, []byte(".COM"), SubFinal)
	b.ReportAllocs()
	for b.Loop() {
		if !r.MatchSubstrings(v, ini, nil, fin) {
			b.Fatal("no match")
		}
	}
}
