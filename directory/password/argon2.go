package password

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the parameters of new {ARGON2} hashes.
type Argon2Params struct {
	// Variant is "argon2id" or "argon2i".
	Variant string
	// Memory in KiB (m=), Time iterations (t=), Threads parallelism (p=).
	Memory, Time uint32
	Threads      uint8
	// SaltLen and KeyLen in bytes.
	SaltLen, KeyLen uint32
}

// DefaultArgon2 returns the defaults for new {ARGON2} hashes: argon2id with
// m=65536 KiB, t=2, p=1, a 16-byte salt and a 32-byte hash (the
// "interactive" limits OpenLDAP's argon2 module uses with libsodium).
// Debian's OpenLDAP 2.5 module itself defaults to argon2i m=4096,t=3,p=1;
// both verify everywhere.
func DefaultArgon2() Argon2Params {
	return Argon2Params{Variant: "argon2id", Memory: 65536, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// withDefaults fills zero fields from DefaultArgon2().
func (p Argon2Params) withDefaults() Argon2Params {
	d := DefaultArgon2()
	if p.Variant != "" {
		d.Variant = p.Variant
	}
	if p.Memory != 0 {
		d.Memory = p.Memory
	}
	if p.Time != 0 {
		d.Time = p.Time
	}
	if p.Threads != 0 {
		d.Threads = p.Threads
	}
	if p.SaltLen != 0 {
		d.SaltLen = p.SaltLen
	}
	if p.KeyLen != 0 {
		d.KeyLen = p.KeyLen
	}
	return d
}

// check reports whether the parameters are valid and within the caps.
func (p Argon2Params) check() error {
	switch {
	case p.Variant != "argon2id" && p.Variant != "argon2i":
		return fmt.Errorf("%w: argon2 variant %.16q", ErrUnsupported, p.Variant)
	case p.Time < 1 || p.Threads < 1 || p.Memory < 8*uint32(p.Threads):
		return fmt.Errorf("%w: argon2 parameters m=%d,t=%d,p=%d", ErrMalformed, p.Memory, p.Time, p.Threads)
	case p.SaltLen < 8 || p.KeyLen < 4:
		return fmt.Errorf("%w: argon2 salt or hash too short", ErrMalformed)
	case p.Memory > MaxArgon2Memory || p.Time > MaxArgon2Time || p.Threads > MaxArgon2Threads ||
		p.SaltLen > maxArgon2Len || p.KeyLen > maxArgon2Len:
		return fmt.Errorf("%w: argon2 m=%d,t=%d,p=%d", ErrTooExpensive, p.Memory, p.Time, p.Threads)
	}
	return nil
}

// argon2Key runs the chosen variant.
func argon2Key(p Argon2Params, secret, salt []byte) []byte {
	if p.Variant == "argon2i" {
		return argon2.Key(secret, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	}
	return argon2.IDKey(secret, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// hashArgon2 makes a new {ARGON2} value.
func hashArgon2(h *Hasher, secret []byte) (string, error) {
	p := h.Argon2.withDefaults()
	if err := p.check(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	if err := h.random(salt); err != nil {
		return "", err
	}
	key := argon2Key(p, secret, salt)
	return fmt.Sprintf("{ARGON2}$%s$v=%d$m=%d,t=%d,p=%d$%s$%s", p.Variant, argon2.Version,
		p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// argon2B64 is libargon2's base64: standard alphabet, no padding, unused
// trailing bits must be zero.
var argon2B64 = base64.RawStdEncoding.Strict()

// parseArgon2Uint parses "name=digits" as libargon2 does (decimal, no sign,
// fits in 32 bits).
func parseArgon2Uint(field, name string) (uint32, error) {
	v, ok := strings.CutPrefix(field, name+"=")
	if !ok || v == "" || len(v) > 10 || strings.TrimLeft(v, "0123456789") != "" {
		return 0, fmt.Errorf("%w: argon2 field %.20q", ErrMalformed, field)
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: argon2 field %.20q", ErrMalformed, field)
	}
	return uint32(n), nil
}

// checkArgon2 verifies "$argon2id$v=19$m=M,t=T,p=P$salt$hash".
func checkArgon2(data string, secret []byte) (bool, error) {
	parts := strings.Split(data, "$")
	if len(parts) != 6 || parts[0] != "" {
		if len(parts) == 5 && parts[0] == "" {
			return false, fmt.Errorf("%w: argon2 value without v= (version 16)", ErrUnsupported)
		}
		return false, fmt.Errorf("%w: argon2 value layout", ErrMalformed)
	}
	var p Argon2Params
	p.Variant = parts[1]
	if p.Variant == "argon2d" {
		return false, fmt.Errorf("%w: argon2d", ErrUnsupported)
	}
	v, err := parseArgon2Uint(parts[2], "v")
	if err != nil {
		return false, err
	}
	if v != argon2.Version {
		return false, fmt.Errorf("%w: argon2 version %d", ErrUnsupported, v)
	}
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return false, fmt.Errorf("%w: argon2 parameters %.40q", ErrMalformed, parts[3])
	}
	m, err := parseArgon2Uint(fields[0], "m")
	if err != nil {
		return false, err
	}
	t, err := parseArgon2Uint(fields[1], "t")
	if err != nil {
		return false, err
	}
	par, err := parseArgon2Uint(fields[2], "p")
	if err != nil {
		return false, err
	}
	if par > MaxArgon2Threads {
		return false, fmt.Errorf("%w: argon2 p=%d", ErrTooExpensive, par)
	}
	p.Memory, p.Time, p.Threads = m, t, uint8(par)
	if par == 0 {
		return false, fmt.Errorf("%w: argon2 p=0", ErrMalformed)
	}
	if len(parts[4]) > maxArgon2Len*2 || len(parts[5]) > maxArgon2Len*2 {
		return false, fmt.Errorf("%w: argon2 salt or hash length", ErrTooExpensive)
	}
	salt, err := argon2B64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("%w: argon2 salt: %v", ErrMalformed, err)
	}
	want, err := argon2B64.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("%w: argon2 hash: %v", ErrMalformed, err)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(want))
	if err := p.check(); err != nil {
		return false, err
	}
	got := argon2Key(p, secret, salt)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
