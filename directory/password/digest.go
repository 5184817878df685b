package password

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"
)

// The digest constructors used by the {SHA}/{MD5}/pw-sha2 families.
var (
	sha1Digest   = sha1.New
	md5Digest    = md5.New
	sha256Digest = sha256.New
	sha384Digest = sha512.New384
	sha512Digest = sha512.New
)

// digestScheme builds a scheme storing base64(H(secret||salt)||salt).
// saltLen is the salt length of new hashes; 0 means unsalted, in which case
// stored values must hold exactly the digest. Salted stored values may carry
// a salt of any length of at least one byte.
func digestScheme(name string, newHash func() hash.Hash, saltLen int) *scheme {
	size := newHash().Size()
	return &scheme{
		name: name,
		check: func(data string, secret []byte) (bool, error) {
			raw, err := base64.StdEncoding.DecodeString(data)
			if err != nil {
				return false, fmt.Errorf("%w: bad base64: %v", ErrMalformed, err)
			}
			if saltLen == 0 && len(raw) != size || saltLen > 0 && len(raw) <= size {
				return false, fmt.Errorf("%w: %d bytes after base64 decoding", ErrMalformed, len(raw))
			}
			h := newHash()
			h.Write(secret)
			h.Write(raw[size:])
			sum := h.Sum(nil)
			return subtle.ConstantTimeCompare(sum, raw[:size]) == 1, nil
		},
		hash: func(hs *Hasher, secret []byte) (string, error) {
			salt := make([]byte, saltLen)
			if err := hs.random(salt); err != nil {
				return "", err
			}
			h := newHash()
			h.Write(secret)
			h.Write(salt)
			return name + base64.StdEncoding.EncodeToString(append(h.Sum(nil), salt...)), nil
		},
	}
}
