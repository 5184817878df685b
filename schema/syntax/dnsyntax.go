package syntax

import (
	"bytes"
	"unicode/utf8"
)

// validateDNSyntax is the schema-free check of an RFC 4514 DN string, with
// the leniency slapd has (spaces around separators and "=", ";" as an RDN
// separator, LDAPv2 quoted values). [Syntax.Check] with an Env validates
// through Env.NormalizeDN instead, which also checks attribute types.
func validateDNSyntax(v []byte) error {
	_, err := countRDNs(v)
	return err
}

// countRDNs checks the DN syntax and returns its number of RDNs.
func countRDNs(v []byte) (int, error) {
	if !utf8.Valid(v) {
		return 0, invalid("DN", "not valid UTF-8")
	}
	if len(bytes.TrimSpace(v)) == 0 {
		return 0, nil
	}
	bad := func(why string) (int, error) { return 0, invalid("DN", "%s", why) }
	rdns := 1
	i := 0
	skip := func() {
		for i < len(v) && v[i] == ' ' {
			i++
		}
	}
	for {
		skip()
		start := i
		for i < len(v) && (isAlpha(v[i]) || v[i] >= '0' && v[i] <= '9' || v[i] == '-' || v[i] == '.') {
			i++
		}
		typ := v[start:i]
		if len(typ) > 4 && (typ[0]|0x20) == 'o' && (typ[1]|0x20) == 'i' && (typ[2]|0x20) == 'd' && typ[3] == '.' {
			typ = typ[4:]
		}
		if !isDescr(typ) && !isNumericOID(typ) {
			return bad("bad attribute type")
		}
		skip()
		if i >= len(v) || v[i] != '=' {
			return bad("missing '='")
		}
		i++
		skip()
		switch {
		case i < len(v) && v[i] == '#':
			i++
			n := 0
			for i+1 < len(v) && isHex(v[i]) && isHex(v[i+1]) {
				i += 2
				n++
			}
			if n == 0 {
				return bad("bad hex value")
			}
			skip()
		case i < len(v) && v[i] == '"':
			i++
			for i < len(v) && v[i] != '"' {
				if v[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(v) {
				return bad("unterminated quoted value")
			}
			i++
			skip()
		default:
			for i < len(v) {
				c := v[i]
				if c == '\\' {
					switch {
					case i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]):
						i += 3
					case i+1 < len(v):
						i += 2
					default:
						return bad("trailing backslash")
					}
					continue
				}
				if c == ',' || c == '+' || c == ';' {
					break
				}
				if c == '"' || c == 0 {
					return bad("unescaped special character")
				}
				i++
			}
		}
		if i == len(v) {
			return rdns, nil
		}
		switch v[i] {
		case ',', ';':
			rdns++
		case '+':
		default:
			return bad("expected ',' or '+'")
		}
		i++
	}
}

// validateRDNSyntax accepts a DN of exactly one RDN.
func validateRDNSyntax(v []byte) error {
	n, err := countRDNs(v)
	if err != nil {
		return err
	}
	if n != 1 {
		return invalid("RDN", "need exactly one RDN")
	}
	return nil
}

func validateDNEnv(env Env, v []byte) error {
	if _, err := env.NormalizeDN(string(v)); err != nil {
		return invalid("DN", "%v", err)
	}
	return nil
}

func validateRDNEnv(env Env, v []byte) error {
	if err := validateRDNSyntax(v); err != nil {
		return err
	}
	return validateDNEnv(env, v)
}

func validateNameUID(v []byte) error {
	dn, _ := splitNameUID(v)
	return validateDNSyntax(dn)
}

func validateNameUIDEnv(env Env, v []byte) error {
	dn, _ := splitNameUID(v)
	return validateDNEnv(env, dn)
}
