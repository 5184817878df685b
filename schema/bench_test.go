package schema

import "testing"

// BenchmarkCheckEntry checks a typical JammMailAccount entry.
func BenchmarkCheckEntry(b *testing.B) {
	s := builtinSchema(b)
	e := jammAccount()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.CheckEntry(e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckEntryNoDN is CheckEntry without the RDN check (e.DN empty).
func BenchmarkCheckEntryNoDN(b *testing.B) {
	s := builtinSchema(b)
	e := jammAccount()
	e.DN = ""
	b.ReportAllocs()
	for b.Loop() {
		if err := s.CheckEntry(e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAttributeTypeLookup resolves names as clients write them.
func BenchmarkAttributeTypeLookup(b *testing.B) {
	s := builtinSchema(b)
	names := []string{"mail", "MAIL", "accountActive", "0.9.2342.19200300.100.1.3"}
	b.ReportAllocs()
	for b.Loop() {
		for _, n := range names {
			if s.AttributeType(n) == nil {
				b.Fatal(n)
			}
		}
	}
}

// BenchmarkBuiltin loads the whole built-in schema.
func BenchmarkBuiltin(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Builtin(); err != nil {
			b.Fatal(err)
		}
	}
}
