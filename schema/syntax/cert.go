package syntax

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// validateDER accepts one complete DER/BER element that is a SEQUENCE.
func validateDER(what string) func([]byte) error {
	return func(v []byte) error {
		s := cryptobyte.String(v)
		var seq cryptobyte.String
		if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() {
			return invalid(what, "not a DER SEQUENCE")
		}
		return nil
	}
}

// certFields extracts the serial number and the issuer (as an RFC 4514
// string) from a DER certificate.
func certFields(v []byte) (*big.Int, string, error) {
	s := cryptobyte.String(v)
	var cert, tbs, issuer cryptobyte.String
	var sigAlg cryptobyte.String
	if !s.ReadASN1(&cert, cbasn1.SEQUENCE) || !s.Empty() ||
		!cert.ReadASN1(&tbs, cbasn1.SEQUENCE) ||
		!cert.ReadASN1(&sigAlg, cbasn1.SEQUENCE) ||
		!cert.SkipASN1(cbasn1.BIT_STRING) || !cert.Empty() {
		return nil, "", invalid("certificate", "not a DER certificate")
	}
	serial := new(big.Int)
	if !tbs.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) ||
		!tbs.ReadASN1Integer(serial) ||
		!tbs.SkipASN1(cbasn1.SEQUENCE) ||
		!tbs.ReadASN1Element(&issuer, cbasn1.SEQUENCE) {
		return nil, "", invalid("certificate", "bad TBSCertificate")
	}
	name, err := rdnString(issuer)
	if err != nil {
		return nil, "", err
	}
	return serial, name, nil
}

func rdnString(der []byte) (string, error) {
	var rdns pkix.RDNSequence
	rest, err := asn1.Unmarshal(der, &rdns)
	if err != nil || len(rest) > 0 {
		return "", invalid("certificate", "bad issuer name")
	}
	return rdns.String(), nil
}

func validateCertificate(v []byte) error {
	_, _, err := certFields(v)
	return err
}

func validateCertList(v []byte) error {
	if _, err := x509.ParseRevocationList(v); err != nil {
		return invalid("certificateList", "not a DER certificate list")
	}
	return nil
}

// gser is a tiny reader for the GSER assertions of RFC 4523.
type gser struct{ s string }

func (g *gser) ws() { g.s = strings.TrimLeft(g.s, " \t\n") }

func (g *gser) lit(p string) bool {
	g.ws()
	if strings.HasPrefix(g.s, p) {
		g.s = g.s[len(p):]
		return true
	}
	return false
}

func (g *gser) word() string {
	g.ws()
	i := 0
	for i < len(g.s) && (isAlpha(g.s[i]) || g.s[i] >= '0' && g.s[i] <= '9' || g.s[i] == '-') {
		i++
	}
	w := g.s[:i]
	g.s = g.s[i:]
	return w
}

// quoted reads a GSER string: "...", with "" for a quote.
func (g *gser) quoted() (string, bool) {
	g.ws()
	if !strings.HasPrefix(g.s, `"`) {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(g.s); i++ {
		if g.s[i] == '"' {
			if i+1 < len(g.s) && g.s[i+1] == '"' {
				b.WriteByte('"')
				i++
				continue
			}
			g.s = g.s[i+1:]
			return b.String(), true
		}
		b.WriteByte(g.s[i])
	}
	return "", false
}

// issuer reads `rdnSequence:"dn"` (the rdnSequence: prefix is optional).
func (g *gser) issuer() (string, bool) {
	g.lit("rdnSequence:")
	return g.quoted()
}

// parseCertExactAssertion parses
// { serialNumber 123, issuer rdnSequence:"cn=ca" }.
func parseCertExactAssertion(v []byte) (*big.Int, string, error) {
	g := &gser{s: string(v)}
	bad := invalid("certificateExactAssertion", `expected { serialNumber N, issuer rdnSequence:"DN" }`)
	if !g.lit("{") || g.word() != "serialNumber" {
		return nil, "", bad
	}
	num := g.word()
	neg := false
	if num == "" && g.lit("-") {
		neg, num = true, g.word()
	}
	serial, ok := new(big.Int).SetString(num, 10)
	if !ok || !g.lit(",") || g.word() != "issuer" {
		return nil, "", bad
	}
	if neg {
		serial.Neg(serial)
	}
	dn, ok := g.issuer()
	if !ok || !g.lit("}") {
		return nil, "", bad
	}
	g.ws()
	if g.s != "" {
		return nil, "", bad
	}
	return serial, dn, nil
}

func validateCertExactAssertion(v []byte) error {
	_, _, err := parseCertExactAssertion(v)
	return err
}

// nCertExact: "serial$normalized-issuer-DN" from a certificate or from a
// certificate exact assertion.
func nCertExact(dst []byte, env Env, v []byte) ([]byte, error) {
	var serial *big.Int
	var issuer string
	var err error
	if len(v) > 0 && v[0] == 0x30 {
		serial, issuer, err = certFields(v)
	} else {
		serial, issuer, err = parseCertExactAssertion(v)
	}
	if err != nil {
		return dst, err
	}
	dst = serial.Append(dst, 10)
	dst = append(dst, '$')
	return nDN(dst, env, []byte(issuer))
}

// parseCRLExactAssertion parses
// { issuer rdnSequence:"cn=ca", thisUpdate "20240101000000Z" }, the time
// optionally prefixed by utcTime: or generalTime:.
func parseCRLExactAssertion(v []byte) (string, []byte, error) {
	g := &gser{s: string(v)}
	bad := invalid("certificateListExactAssertion", `expected { issuer rdnSequence:"DN", thisUpdate "time" }`)
	if !g.lit("{") || g.word() != "issuer" {
		return "", nil, bad
	}
	dn, ok := g.issuer()
	if !ok || !g.lit(",") || g.word() != "thisUpdate" {
		return "", nil, bad
	}
	utc := g.lit("utcTime:")
	if !utc {
		g.lit("generalTime:")
	}
	t, ok := g.quoted()
	if !ok {
		return "", nil, bad
	}
	// an optional distributionPoint is ignored
	if g.lit(",") {
		i := strings.LastIndexByte(g.s, '}')
		if i < 0 {
			return "", nil, bad
		}
		g.s = g.s[i:]
	}
	if !g.lit("}") {
		return "", nil, bad
	}
	g.ws()
	if g.s != "" {
		return "", nil, bad
	}
	tb := []byte(t)
	if utc || validateGeneralizedTime(tb) != nil && validateUTCTime(tb) == nil {
		if err := validateUTCTime(tb); err != nil {
			return "", nil, err
		}
		if tb[0] < '5' {
			tb = append([]byte("20"), tb...)
		} else {
			tb = append([]byte("19"), tb...)
		}
	}
	tc, err := appendTimeCanonical(nil, tb)
	if err != nil {
		return "", nil, err
	}
	return dn, tc, nil
}

func validateCRLExactAssertion(v []byte) error {
	_, _, err := parseCRLExactAssertion(v)
	return err
}

// nCRLExact: "normalized-issuer-DN$thisUpdate" from a certificate list or
// from a certificate list exact assertion.
func nCRLExact(dst []byte, env Env, v []byte) ([]byte, error) {
	var issuer string
	var when []byte
	if len(v) > 0 && v[0] == 0x30 {
		crl, err := x509.ParseRevocationList(v)
		if err != nil {
			return dst, invalid("certificateList", "not a DER certificate list")
		}
		if issuer, err = rdnString(crl.RawIssuer); err != nil {
			return dst, err
		}
		gt := crl.ThisUpdate.UTC().Format("20060102150405.000000000Z")
		when = []byte(gt)
	} else {
		var err error
		if issuer, when, err = parseCRLExactAssertion(v); err != nil {
			return dst, err
		}
	}
	dst, err := nDN(dst, env, []byte(issuer))
	if err != nil {
		return dst, err
	}
	dst = append(dst, '$')
	return append(dst, bytes.TrimSpace(when)...), nil
}
