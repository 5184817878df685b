package password

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// cryptAlphabet is crypt(3)'s base-64 alphabet, in value order.
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// bcryptAlphabet is bcrypt's base-64 alphabet, in value order.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// defaultCryptSaltFormat is the {CRYPT} salt format of the zero Hasher.
const defaultCryptSaltFormat = "$6$%.16s"

// badSetting reports whether a crypt(3) setting contains a character
// libxcrypt refuses anywhere in it: controls, space, bytes >= 0x7f and
// any of *:;\! (they would break the formats crypt values are stored in).
func badSetting(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte("*:;\\!", c) >= 0 {
			return true
		}
	}
	return false
}

// cryptString computes crypt(3) of secret with the given setting (a salt
// string or a complete stored value, as crypt(3) accepts both), for every
// method except bcrypt. The result is what libxcrypt returns; a setting
// libxcrypt rejects gives an error.
func cryptString(secret []byte, setting string) (string, error) {
	if badSetting(setting) {
		return "", fmt.Errorf("%w: invalid character in crypt setting", ErrMalformed)
	}
	if bytes.IndexByte(secret, 0) >= 0 {
		return "", errSecretNUL
	}
	switch {
	case strings.HasPrefix(setting, "$1$"):
		return md5Crypt(secret, setting[3:]), nil
	case strings.HasPrefix(setting, "$5$"):
		return shaCrypt(secret, setting, false)
	case strings.HasPrefix(setting, "$6$"):
		return shaCrypt(secret, setting, true)
	case strings.HasPrefix(setting, "$2"):
		return "", fmt.Errorf("%w: bcrypt setting", ErrMalformed) // handled by callers
	case len(setting) >= 2 && setting[0] != '$' && setting[0] != '_':
		return desCrypt(secret, setting)
	}
	return "", fmt.Errorf("%w: crypt method of %.8q", ErrUnsupported, setting)
}

// errSecretNUL: crypt(3) takes C strings; slapd refuses such secrets.
var errSecretNUL = errors.New("secret contains a NUL byte")

// checkCrypt verifies a {CRYPT} value: crypt(secret, stored) == stored,
// compared in constant time.
func checkCrypt(stored string, secret []byte) (bool, error) {
	if bytes.IndexByte(secret, 0) >= 0 {
		return false, nil
	}
	if strings.HasPrefix(stored, "$2") {
		return checkBcrypt(stored, secret)
	}
	got, err := cryptString(secret, stored)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(stored)) == 1, nil
}

// parseBcrypt checks the prefix "$2b$NN$" of a bcrypt value or setting and
// returns the minor version letter, the cost and the remainder.
func parseBcrypt(s string) (minor byte, cost int, rest string, err error) {
	if len(s) < 7 || s[0] != '$' || s[1] != '2' || s[3] != '$' || s[6] != '$' {
		return 0, 0, "", fmt.Errorf("%w: bcrypt prefix", ErrMalformed)
	}
	minor = s[2]
	if minor != 'a' && minor != 'b' && minor != 'y' {
		return 0, 0, "", fmt.Errorf("%w: bcrypt variant $2%c$", ErrUnsupported, minor)
	}
	if s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9' {
		return 0, 0, "", fmt.Errorf("%w: bcrypt cost", ErrMalformed)
	}
	cost = int(s[4]-'0')*10 + int(s[5]-'0')
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return 0, 0, "", fmt.Errorf("%w: bcrypt cost %d", ErrMalformed, cost)
	}
	return minor, cost, s[7:], nil
}

// checkBcrypt verifies a $2a$/$2b$/$2y$ value as libxcrypt would: exactly
// 60 characters, a canonically encoded salt, the secret cut at 72 bytes.
func checkBcrypt(stored string, secret []byte) (bool, error) {
	_, cost, rest, err := parseBcrypt(stored)
	if err != nil {
		return false, err
	}
	if cost > MaxBcryptCost {
		return false, fmt.Errorf("%w: bcrypt cost %d > %d", ErrTooExpensive, cost, MaxBcryptCost)
	}
	if len(rest) != 53 {
		return false, fmt.Errorf("%w: bcrypt value length", ErrMalformed)
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(bcryptAlphabet, rest[i]) < 0 {
			return false, fmt.Errorf("%w: bcrypt character %q", ErrMalformed, rest[i])
		}
	}
	// 22 characters carry 132 bits of which the salt uses 128: crypt(3)
	// re-encodes a salt whose last character has low bits set, so such a
	// stored value never equals its own crypt output.
	if strings.IndexByte(bcryptAlphabet, rest[21])&0x0f != 0 {
		return false, nil
	}
	if len(secret) > 72 {
		secret = secret[:72]
	}
	err = bcrypt.CompareHashAndPassword([]byte(stored), secret)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, fmt.Errorf("%w: %v", ErrMalformed, err)
}

// hashCrypt makes a new {CRYPT} value per the Hasher's salt format.
func hashCrypt(h *Hasher, secret []byte) (string, error) {
	if bytes.IndexByte(secret, 0) >= 0 {
		return "", errSecretNUL
	}
	format := h.CryptSaltFormat
	if format == "" {
		format = defaultCryptSaltFormat
	}
	rnd := make([]byte, 31)
	if err := h.random(rnd); err != nil {
		return "", err
	}
	for i, b := range rnd {
		rnd[i] = cryptAlphabet[b&0x3f]
	}
	setting, err := formatSalt(format, string(rnd))
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(setting, "$2") {
		minor, cost, _, err := parseBcrypt(setting)
		if err != nil {
			return "", err
		}
		if cost > MaxBcryptCost {
			return "", fmt.Errorf("%w: bcrypt cost %d > %d", ErrTooExpensive, cost, MaxBcryptCost)
		}
		if len(secret) > 72 {
			secret = secret[:72]
		}
		v, err := bcrypt.GenerateFromPassword(secret, cost)
		if err != nil {
			return "", fmt.Errorf("bcrypt: %w", err)
		}
		// x/crypto writes $2a$; the computation is the same for 2a/2b/2y.
		v[2] = minor
		return "{CRYPT}" + string(v), nil
	}
	v, err := cryptString(secret, setting)
	if err != nil {
		return "", err
	}
	return "{CRYPT}" + v, nil
}

// formatSalt expands a printf-style salt format with at most one %s
// conversion (optional '-' flag, width and precision) and %% escapes.
func formatSalt(format, random string) (string, error) {
	var b strings.Builder
	conversions := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i < len(format) && format[i] == '%' {
			b.WriteByte('%')
			continue
		}
		left := false
		for i < len(format) && format[i] == '-' {
			left = true
			i++
		}
		start := i
		for i < len(format) && format[i] >= '0' && format[i] <= '9' {
			i++
		}
		width, _ := strconv.Atoi(format[start:i])
		prec := -1
		if i < len(format) && format[i] == '.' {
			i++
			start = i
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				i++
			}
			prec, _ = strconv.Atoi(format[start:i])
		}
		if i >= len(format) || format[i] != 's' || width > 256 {
			return "", fmt.Errorf("%w: crypt salt format %q: only one %%s conversion is allowed", ErrMalformed, format)
		}
		conversions++
		if conversions > 1 {
			return "", fmt.Errorf("%w: crypt salt format %q: more than one %%s conversion", ErrMalformed, format)
		}
		s := random
		if prec >= 0 && prec < len(s) {
			s = s[:prec]
		}
		pad := strings.Repeat(" ", max(0, width-len(s)))
		if left {
			s += pad
		} else {
			s = pad + s
		}
		b.WriteString(s)
	}
	return b.String(), nil
}
