package dn

import (
	"errors"
	"fmt"
	"strings"
)

// fakeSchema is a Normalizer standing in for the schema package. Its types
// follow OpenLDAP's core/cosine schema (plus the test types Zeta and bin
// that /tmp test runs of slapdn defined); values of directoryString-like
// types are compared ignoring case and insignificant spaces.
type fakeSchema struct {
	// lowerNorm makes the norm key the lower-cased primary name, as
	// CONTRACTS.md describes; otherwise it is the primary name as spelled,
	// which is what slapd's normalized DNs show.
	lowerNorm bool
}

type fakeType struct {
	name string
	kind int // 0 caseIgnore, 1 octet string, 2 DN
}

var fakeTypes = func() map[string]fakeType {
	m := map[string]fakeType{}
	add := func(t fakeType, aliases ...string) {
		for _, a := range aliases {
			m[strings.ToLower(a)] = t
		}
	}
	add(fakeType{"cn", 0}, "cn", "commonName", "2.5.4.3")
	add(fakeType{"sn", 0}, "sn", "surname", "2.5.4.4")
	add(fakeType{"l", 0}, "l", "localityName", "2.5.4.7")
	add(fakeType{"o", 0}, "o", "organizationName", "2.5.4.10")
	add(fakeType{"ou", 0}, "ou", "organizationalUnitName", "2.5.4.11")
	add(fakeType{"businessCategory", 0}, "businessCategory", "2.5.4.15")
	add(fakeType{"dc", 0}, "dc", "domainComponent", "0.9.2342.19200300.100.1.25")
	add(fakeType{"uid", 0}, "uid", "userid", "0.9.2342.19200300.100.1.1")
	add(fakeType{"mail", 0}, "mail", "rfc822Mailbox", "0.9.2342.19200300.100.1.3")
	add(fakeType{"jvd", 0}, "jvd", "1.3.6.1.4.1.6089.1.1.1")
	add(fakeType{"seeAlso", 2}, "seeAlso", "2.5.4.34")
	add(fakeType{"Zeta", 0}, "Zeta", "1.3.6.1.4.1.99999.1")
	add(fakeType{"bin", 1}, "bin", "1.3.6.1.4.1.99999.2")
	return m
}()

var errUndefined = errors.New("undefined attribute type")

func (f fakeSchema) AttrType(name string) (string, string, error) {
	t, ok := fakeTypes[strings.ToLower(name)]
	if !ok {
		return "", "", fmt.Errorf("%s: %w", name, errUndefined)
	}
	if f.lowerNorm {
		return t.name, strings.ToLower(t.name), nil
	}
	return t.name, t.name, nil
}

func (f fakeSchema) NormalizeValue(attrType string, value []byte) ([]byte, error) {
	t, ok := fakeTypes[strings.ToLower(attrType)]
	if !ok {
		return nil, fmt.Errorf("%s: %w", attrType, errUndefined)
	}
	switch t.kind {
	case 1:
		return value, nil
	case 2:
		d, err := Parse(string(value))
		if err != nil {
			return nil, err
		}
		s, err := d.Normalize(f)
		return []byte(s), err
	}
	if len(value) == 0 {
		return nil, errors.New("empty directoryString")
	}
	// caseIgnoreMatch-like: fold case, squeeze spaces; all spaces gives " ".
	var fields []string
	for _, f := range strings.Split(strings.ToLower(string(value)), " ") {
		if f != "" {
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 {
		return []byte(" "), nil
	}
	return []byte(strings.Join(fields, " ")), nil
}
