package password

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// DefaultScheme is the scheme new hashes use when none is configured, as in
// slapd and slappasswd.
const DefaultScheme = "{SSHA}"

// Caps on the cost parameters a stored value may request (see the package
// documentation).
const (
	// MaxBcryptCost is the highest bcrypt cost Verify computes.
	MaxBcryptCost = 16
	// MaxSHACryptRounds is the highest rounds= value of $5$/$6$ Verify computes.
	MaxSHACryptRounds = 1000000
	// MaxSHACryptSecret is the longest secret, in bytes, SHA-crypt processes.
	MaxSHACryptSecret = 1024
	// MaxArgon2Memory is the highest Argon2 m= (KiB) Verify computes.
	MaxArgon2Memory = 256 * 1024
	// MaxArgon2Time is the highest Argon2 t= Verify computes.
	MaxArgon2Time = 16
	// MaxArgon2Threads is the highest Argon2 p= Verify computes.
	MaxArgon2Threads = 16
	// maxArgon2Len bounds Argon2 salt and hash lengths.
	maxArgon2Len = 1024
)

// Errors returned (wrapped) by Hash and Verify.
var (
	// ErrUnknownScheme: the {scheme} is not one this package knows.
	ErrUnknownScheme = errors.New("scheme not recognized")
	// ErrUnsupported: the scheme is known but this variant of it is not
	// implemented (for example {CRYPT}$y$).
	ErrUnsupported = errors.New("unsupported password hash")
	// ErrMalformed: the stored value is not a valid value of its scheme.
	ErrMalformed = errors.New("malformed password hash")
	// ErrTooExpensive: the stored value asks for more work than the caps allow.
	ErrTooExpensive = errors.New("password hash parameters exceed limits")
)

// scheme describes one {SCHEME}: how to check a stored value and how to make
// a new one. Both take the data after the "{SCHEME}" prefix.
type scheme struct {
	name  string // canonical, upper case, with braces
	check func(data string, secret []byte) (bool, error)
	hash  func(h *Hasher, secret []byte) (string, error) // nil: verify only
}

// schemes is the read-only registry, keyed by upper-case "{NAME}".
var schemes = func() map[string]*scheme {
	list := []*scheme{
		digestScheme("{SHA}", sha1Digest, 0),
		digestScheme("{SSHA}", sha1Digest, 4),
		digestScheme("{MD5}", md5Digest, 0),
		digestScheme("{SMD5}", md5Digest, 4),
		digestScheme("{SHA256}", sha256Digest, 0),
		digestScheme("{SSHA256}", sha256Digest, 8),
		digestScheme("{SHA384}", sha384Digest, 0),
		digestScheme("{SSHA384}", sha384Digest, 8),
		digestScheme("{SHA512}", sha512Digest, 0),
		digestScheme("{SSHA512}", sha512Digest, 8),
		{name: "{CRYPT}", check: checkCrypt, hash: hashCrypt},
		{name: "{ARGON2}", check: checkArgon2, hash: hashArgon2},
		// slapd registers {CLEARTEXT} for hashing only; a stored
		// "{CLEARTEXT}..." value never verifies.
		{name: "{CLEARTEXT}", hash: func(_ *Hasher, secret []byte) (string, error) {
			return string(secret), nil
		}},
	}
	m := make(map[string]*scheme, len(list))
	for _, s := range list {
		m[s.name] = s
	}
	return m
}()

// lookup finds a scheme by name, case-insensitively ("{ssha}" works).
func lookup(name string) *scheme {
	return schemes[strings.ToUpper(name)]
}

// Schemes returns the names of the schemes Verify understands, sorted.
func Schemes() []string {
	var out []string
	for name, s := range schemes {
		if s.check != nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// CanHash reports whether Hash accepts the scheme name (case-insensitive,
// with braces, e.g. "{SSHA}"). Configuration code uses it to validate
// password-hash.
func CanHash(name string) bool {
	s := lookup(name)
	return s != nil && s.hash != nil
}

// SplitScheme splits a stored value into its upper-case "{SCHEME}" prefix
// and the rest, following slapd's rule: a value starting with "{" whose first
// "}" is at index 2 or later has a scheme; anything else is cleartext and
// SplitScheme returns "" and the whole value. The scheme is returned whether
// or not it is known.
func SplitScheme(stored string) (name, data string) {
	if len(stored) > 0 && stored[0] == '{' {
		if i := strings.IndexByte(stored, '}'); i >= 2 {
			return strings.ToUpper(stored[:i+1]), stored[i+1:]
		}
	}
	return "", stored
}

// Hasher makes new password values. The zero value is ready to use and
// gives slappasswd's defaults, except for {CRYPT}, which defaults to
// SHA-512 crypt instead of DES.
type Hasher struct {
	// CryptSaltFormat is the salt format for {CRYPT}, as slapd's
	// password-crypt-salt-format and slappasswd -c: a printf-style format
	// with at most one %s conversion (flags, width and precision allowed,
	// "%%" for a percent sign), replaced by 31 random characters of
	// [./0-9A-Za-z]. The result chooses the crypt(3) method: "$1$%.8s"
	// MD5-crypt, "$5$%.16s" / "$6$rounds=N$%.16s" SHA-crypt, "$2b$12$%.22s"
	// bcrypt (random salt; the cost is taken from the format), "%.2s" DES.
	// Empty means "$6$%.16s".
	CryptSaltFormat string
	// Argon2 holds the parameters for new {ARGON2} hashes; zero fields take
	// the defaults of DefaultArgon2.
	Argon2 Argon2Params
	// Rand is the source of salts; nil means crypto/rand.Reader.
	Rand io.Reader
}

// Hash returns a userPassword value for secret in the given scheme ("{SSHA}",
// "{CRYPT}", ...; case-insensitive) with a fresh random salt, using the
// defaults of the zero Hasher.
func Hash(scheme string, secret []byte) (string, error) {
	var h Hasher
	return h.Hash(scheme, secret)
}

// Hash returns a userPassword value for secret in the given scheme, with a
// fresh random salt. {CLEARTEXT} returns the secret unchanged, as slappasswd
// does. An unknown scheme gives an error wrapping ErrUnknownScheme.
func (h *Hasher) Hash(name string, secret []byte) (string, error) {
	s := lookup(name)
	if s == nil || s.hash == nil {
		return "", fmt.Errorf("password: hash %s: %w", name, ErrUnknownScheme)
	}
	v, err := s.hash(h, secret)
	if err != nil {
		return "", fmt.Errorf("password: hash %s: %w", s.name, err)
	}
	return v, nil
}

// random fills b from the Hasher's source of randomness.
func (h *Hasher) random(b []byte) error {
	r := h.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, b); err != nil {
		return fmt.Errorf("reading random salt: %w", err)
	}
	return nil
}

// Verify reports whether secret matches the stored userPassword value.
// A mismatch is (false, nil). An error means the stored value cannot match
// any secret (unknown scheme, malformed or unsupported value, parameters
// above the caps); slapd answers such binds with invalidCredentials. An
// empty secret never matches.
func Verify(stored string, secret []byte) (bool, error) {
	if len(secret) == 0 {
		return false, nil
	}
	name, data := SplitScheme(stored)
	if name == "" {
		return subtle.ConstantTimeCompare([]byte(stored), secret) == 1, nil
	}
	s := lookup(name)
	if s == nil || s.check == nil {
		return false, fmt.Errorf("password: verify %s: %w", name, ErrUnknownScheme)
	}
	ok, err := s.check(data, secret)
	if err != nil {
		return false, fmt.Errorf("password: verify %s: %w", s.name, err)
	}
	return ok, nil
}
