// Package password hashes and verifies userPassword values in the schemes
// OpenLDAP's slapd understands, so that values move freely between slapd and
// hostdir in both directions.
//
// A stored value is "{SCHEME}data"; the scheme name is case-insensitive.
// Supported schemes:
//
//	{SSHA}     salted SHA-1: base64(sha1(secret||salt)||salt); new hashes use a
//	           4-byte salt like slappasswd, any salt of at least 1 byte verifies
//	{SHA}      base64(sha1(secret))
//	{SMD5}     salted MD5, 4-byte salt for new hashes
//	{MD5}      base64(md5(secret))
//	{SSHA256}, {SSHA384}, {SSHA512}
//	           salted SHA-2 in the format of OpenLDAP's contrib pw-sha2 module:
//	           base64(digest||salt), 8-byte salt for new hashes
//	{SHA256}, {SHA384}, {SHA512}
//	           unsalted SHA-2 (pw-sha2)
//	{CRYPT}    crypt(3) values as Debian's libxcrypt computes them:
//	           $1$ (MD5-crypt), $5$ and $6$ (SHA-crypt, with rounds=),
//	           $2a$, $2b$, $2y$ (bcrypt) and traditional DES crypt (two salt
//	           characters, 13 characters in all) and its bigcrypt extension
//	           (longer values, as slappasswd's default salt format "%s" makes)
//	{ARGON2}   the encoding of OpenLDAP's argon2 module:
//	           {ARGON2}$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>
//	           (argon2i and argon2id, version 19, unpadded base64)
//	{CLEARTEXT}
//	           only for Hash: like slappasswd it returns the secret itself,
//	           without a prefix
//
// A value without a "{scheme}" prefix is compared with the secret as
// cleartext, as slapd does. A value that starts with "{name}" (name at least
// one character) where name is not a known scheme never matches: Verify
// returns an error wrapping ErrUnknownScheme, and a bind against it fails
// with invalidCredentials, as in slapd. This includes "{CLEARTEXT}secret":
// slapd has no checker for {CLEARTEXT} and rejects such values, and so does
// Verify.
//
// There is no {BCRYPT} scheme: no OpenLDAP release or common module uses
// such a prefix; bcrypt reaches slapd through {CRYPT}$2b$..., which is how
// this package handles it too.
//
// Not supported (Verify returns an error wrapping ErrUnsupported, the bind
// fails): {SASL} pass-through, the crypt(3) methods yescrypt ($y$, $gy$),
// scrypt ($7$), SunMD5 ($md5), sha1crypt ($sha1$), NT-hash ($3$), BSDi
// extended DES (_...), the bug-compatible bcrypt variant $2x$,
// argon2d and Argon2 version 16 values.
//
// Every comparison of a computed digest with a stored one uses
// crypto/subtle. Verify never panics on a hostile stored value and allocates
// in proportion to its input only, with these caps on the cost parameters a
// stored value may ask for (values above them fail with ErrTooExpensive):
//
//	bcrypt cost                 MaxBcryptCost (16)
//	SHA-crypt rounds            MaxSHACryptRounds (1,000,000)
//	SHA-crypt secret length     MaxSHACryptSecret (1024 bytes; the
//	                            algorithm is quadratic in it)
//	Argon2 memory               MaxArgon2Memory (262144 KiB = 256 MiB)
//	Argon2 iterations           MaxArgon2Time (16)
//	Argon2 parallelism          MaxArgon2Threads (16)
//	Argon2 salt and hash length 1024 bytes each
//
// Verify also treats an empty secret as never matching, like slapd's
// lutil_passwd.
package password
