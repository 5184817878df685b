package dn

import "testing"

const benchDN = `mail=alice@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example`

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchDN); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseEscaped(b *testing.B) {
	const s = `cn=Doe\, Richard+sn=Doe, jvd=example.com, o=hosting, dc=myhosting, dc=example`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkString(b *testing.B) {
	d, err := Parse(benchDN)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = d.String()
	}
}

func BenchmarkNormalize(b *testing.B) {
	d, err := Parse(benchDN)
	if err != nil {
		b.Fatal(err)
	}
	n := fakeSchema{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Normalize(n); err != nil {
			b.Fatal(err)
		}
	}
}

// nopSchema is a Normalizer that costs nothing, to measure this package's
// own share of Normalize.
type nopSchema struct{}

func (nopSchema) AttrType(name string) (string, string, error) { return name, name, nil }
func (nopSchema) NormalizeValue(_ string, v []byte) ([]byte, error) {
	return v, nil
}

func BenchmarkNormalizeNop(b *testing.B) {
	d, err := Parse(benchDN)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Normalize(nopSchema{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseNormalize is the search hot path: a base DN from a query.
func BenchmarkParseNormalize(b *testing.B) {
	n := fakeSchema{}
	b.ReportAllocs()
	for b.Loop() {
		d, err := Parse(benchDN)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.Normalize(n); err != nil {
			b.Fatal(err)
		}
	}
}
