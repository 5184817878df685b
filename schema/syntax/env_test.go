package syntax

import (
	"errors"
	"strings"
)

// fakeEnv is a tiny schema: DN normalization lower-cases, drops spaces
// around separators and refuses RDNs without "=" or with unknown types.
type fakeEnv struct{}

var fakeOIDs = map[string]string{
	"cn": "2.5.4.3", "commonname": "2.5.4.3", "top": "2.5.6.0", "person": "2.5.6.6",
	"jammmailaccount": "1.3.6.1.4.1.12461.1.2.2", "dc": "0.9.2342.19200300.100.1.25",
	"o": "2.5.4.10", "ou": "2.5.4.11", "uid": "0.9.2342.19200300.100.1.1", "c": "2.5.4.6",
	"caseignorematch": "2.5.13.2",
}

func (fakeEnv) ResolveOID(name string) (string, bool) {
	oid, ok := fakeOIDs[strings.ToLower(name)]
	return oid, ok
}

func (fakeEnv) NormalizeDN(v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", nil
	}
	var out []string
	for _, rdn := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(rdn, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" {
			return "", errors.New("invalid DN: missing '='")
		}
		if _, known := fakeOIDs[k]; !known {
			return "", errors.New("invalid DN: undefined attribute type " + k)
		}
		out = append(out, k+"="+strings.ToLower(strings.Join(strings.Fields(val), " ")))
	}
	return strings.Join(out, ","), nil
}
