package password

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// longText is the multi-line secret of Drepper's SHA-crypt test vectors.
const longText = "a very much longer text to encrypt.  This one even stretches over morethan one line."

// verifyVectors are known answers: values made by slappasswd 2.5.13 (Debian
// 12), the SHA-crypt specification's test vectors, values computed by
// libxcrypt (perl's crypt()) and the examples of slappw-argon2(5).
var verifyVectors = []struct {
	name   string
	stored string
	secret string
	ok     bool
	err    error
}{
	// slappasswd -h ... -s secret
	{"SSHA", "{SSHA}BGIvwupCV9sP8Hrn+vzhEhKMqDiCjRhi", "secret", true, nil},
	{"SSHA wrong", "{SSHA}BGIvwupCV9sP8Hrn+vzhEhKMqDiCjRhi", "Secret", false, nil},
	{"SSHA lower-case scheme", "{ssha}BGIvwupCV9sP8Hrn+vzhEhKMqDiCjRhi", "secret", true, nil},
	{"SHA abc", "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", "abc", true, nil},
	{"SHA abc newline", "{SHA}A8/XQ2YfB5dfovEiDFGUy6/0hFE=", "abc\n", true, nil},
	{"SHA", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "secret", true, nil},
	{"SHA wrong", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "secret ", false, nil},
	{"SMD5", "{SMD5}DXYk+7dPBX+Wpus/syBaREph9uQ=", "secret", true, nil},
	{"SMD5 wrong", "{SMD5}DXYk+7dPBX+Wpus/syBaREph9uQ=", "secreT", false, nil},
	{"MD5", "{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==", "secret", true, nil},
	{"MD5 wrong", "{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==", "x", false, nil},
	{"SSHA256", "{SSHA256}KI4fAAs98MqQqt5hFwYs8dU3X+rw9W8K3oHC0fn/QGh4AfoCTPEaZg==", "secret", true, nil},
	{"SSHA384", "{SSHA384}gAJ8p/RswDdXKDtKZWKmxgYppHlReBO4lCHsfgqJBtclKEgYa9xx4VypaOsYGPM2QoyTtTTpoPQ=", "secret", true, nil},
	{"SSHA512", "{SSHA512}XfdsWOSIZ/8ODlfgOZzkYg2MuH5bKqXgvsNeq1OS04SVH5Kn8D5F+/+C9kEtYwU+MJiPiF5+Jt5vMqEAQHXAa0mcLYuRFZlk", "secret", true, nil},
	{"SSHA512 wrong", "{SSHA512}XfdsWOSIZ/8ODlfgOZzkYg2MuH5bKqXgvsNeq1OS04SVH5Kn8D5F+/+C9kEtYwU+MJiPiF5+Jt5vMqEAQHXAa0mcLYuRFZlk", "secrets", false, nil},
	{"SHA256", "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=", "secret", true, nil},
	{"SHA384", "{SHA384}WKd1ukESvjAFrkQHznV9iP2nHUBJe7gCbsrFTU4//HIyzo3jq1rLMK45dg/ufFPt", "secret", true, nil},
	{"SHA512", "{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg==", "secret", true, nil},
	{"SHA512 wrong", "{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg==", "sec", false, nil},
	{"CRYPT DES slappasswd", "{CRYPT}D4bd3UiNtNpp2", "secret", true, nil},
	{"CRYPT DES wrong", "{CRYPT}D4bd3UiNtNpp2", "secreT", false, nil},
	{"CRYPT $6$ slappasswd", "{CRYPT}$6$j1CdSdxsymAJ9M7J$u8ATPHDwuSx96YtN3Jw1bSqtXipj8tvWngZqhgSxtfSeAWGjPd7NcFZV5MG65NX.Id/TeBGTTiXVW2F8ooQrf1", "secret", true, nil},
	{"CRYPT $1$ slappasswd", "{CRYPT}$1$3Dp833lA$bst5GdJuqKXYTG2n4D7kD/", "secret", true, nil},
	{"CRYPT $1$ wrong", "{CRYPT}$1$3Dp833lA$bst5GdJuqKXYTG2n4D7kD/", "secret1", false, nil},
	{"CRYPT $5$ rounds slappasswd", "{CRYPT}$5$rounds=5000$9b5W/zrsdmN9FDfF$xqFw7au2FCgWKkjJKsuCXXXY5rog39.GeiQQls3Jop3", "secret", true, nil},
	{"CRYPT $5$ slappasswd", "{CRYPT}$5$Jy/Y4cSuSwwF/UvA$ZdIPDrAdXNnj0IaI4ZvHTQj9nELUU22.AkqxnXuaUTC", "secret", true, nil},
	{"CRYPT bcrypt slappasswd", "{CRYPT}$2b$10$Mpi/L8g/61AeXteIt1fjxOqWBxvQcqOmOUtCmLFO3Yq5ssqArpp4e", "secret", true, nil},
	{"CRYPT bcrypt wrong", "{CRYPT}$2b$10$Mpi/L8g/61AeXteIt1fjxOqWBxvQcqOmOUtCmLFO3Yq5ssqArpp4e", "secreu", false, nil},
	{"crypt lower-case scheme", "{crypt}D4bd3UiNtNpp2", "secret", true, nil},
	// Ulrich Drepper's SHA-crypt specification vectors (the 1400-rounds
	// SHA-256 one as libxcrypt computes it).
	{"sha256crypt spec 1", "{CRYPT}$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world!", true, nil},
	{"sha256crypt spec 2", "{CRYPT}$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA", "Hello world!", true, nil},
	{"sha256crypt spec 3", "{CRYPT}$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5", "This is just a test", true, nil},
	{"sha256crypt spec 4", "{CRYPT}$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1", longText, true, nil},
	{"sha256crypt spec 5", "{CRYPT}$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/", "we have a short salt string but not a short password", true, nil},
	{"sha256crypt spec 6", "{CRYPT}$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD", "a short string", true, nil},
	{"sha512crypt spec 1", "{CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "Hello world!", true, nil},
	{"sha512crypt spec 2", "{CRYPT}$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.", "Hello world!", true, nil},
	{"sha512crypt spec 3", "{CRYPT}$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0", "This is just a test", true, nil},
	{"sha512crypt spec 4", "{CRYPT}$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1", longText, true, nil},
	{"sha512crypt spec 5", "{CRYPT}$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0", "we have a short salt string but not a short password", true, nil},
	{"sha512crypt spec 6", "{CRYPT}$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1", "a short string", true, nil},
	// The spec's "rounds=10" vector: glibc clamps to 1000, libxcrypt
	// (Debian's crypt) refuses the setting; we follow libxcrypt.
	{"sha256crypt rounds too low", "{CRYPT}$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC", "the minimum number is still observed", true, nil},
	{"sha256crypt rounds=10", "{CRYPT}$5$rounds=10$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC", "the minimum number is still observed", false, ErrMalformed},
	{"sha512crypt rounds above cap", "{CRYPT}$6$rounds=5000000$x$abc", "x", false, ErrTooExpensive},
	{"sha512crypt rounds leading zero", "{CRYPT}$6$rounds=05000$x$abc", "x", false, ErrMalformed},
	// MD5-crypt, values computed by libxcrypt.
	{"md5crypt password", "{CRYPT}$1$saltstri$qQY4WxjABChYG1ccLpfkz/", "password", true, nil},
	{"md5crypt a", "{CRYPT}$1$saltstri$HP4ANLG0Ln2mcWmFUeETo.", "a", true, nil},
	{"md5crypt 20 chars", "{CRYPT}$1$saltstri$BrAOQEEVSY.ZgACcahc0p0", "12345678901234567890", true, nil},
	{"md5crypt secret", "{CRYPT}$1$saltstri$WHZcnT3IOdSrMvizOq7Ht1", "secret", true, nil},
	{"md5crypt salt cut at 8", "{CRYPT}$1$abcdefgh$znAnv9M.XU2pRYfmSs46h/", "x", true, nil},
	{"md5crypt bad salt char", "{CRYPT}$1$a:b$znAnv9M.XU2pRYfmSs46h/", "x", false, ErrMalformed},
	// DES crypt, values computed by libxcrypt.
	{"des ..", "{CRYPT}..EBVOMug1tuI", "secret", true, nil},
	{"des ab", "{CRYPT}abNANd1rDfiNc", "secret", true, nil},
	{"des zZ", "{CRYPT}zZ5x4y8hS4SZE", "secret", true, nil},
	{"des ./", "{CRYPT}./17m29LFAflg", "secret", true, nil},
	{"des 9A", "{CRYPT}9AQXQ31yFb2qo", "secret", true, nil},
	{"des a", "{CRYPT}9AD4IEr1aDGL6", "a", true, nil},
	{"des 8 chars", "{CRYPT}zZYQyo/kK5WTQ", "12345678", true, nil},
	{"des 9th char ignored", "{CRYPT}zZYQyo/kK5WTQ", "123456789", true, nil},
	{"des 7th char counts", "{CRYPT}zZYQyo/kK5WTQ", "1234567", false, nil},
	{"des space", "{CRYPT}./KCkU8uoC6eg", "hello world", true, nil},
	{"des high bit dropped", "{CRYPT}abGXCZdt888ZI", "\xe9t\xe9", true, nil},
	{"des bad salt", "{CRYPT}a-GXCZdt888ZI", "x", false, ErrMalformed},
	{"des locked", "{CRYPT}!abGXCZdt888ZI", "x", false, ErrMalformed},
	{"des too long", "{CRYPT}abNANd1rDfiNcX", "secret", false, nil},
	// bigcrypt (DES with a setting of 14 or more characters), as libxcrypt
	// computes it; slappasswd's default {CRYPT} salt "%s" produces these.
	{"bigcrypt one block", "{CRYPT}ab1iBa.N.U2C6L/YRXS3klt2", "12345678", false, nil},
	{"bigcrypt two blocks", "{CRYPT}ab1iBa.N.U2C6L/YRXS3klt2", "123456789", true, nil},
	{"bigcrypt three blocks", "{CRYPT}abip46apN3YDMkupzlwn.BJ.YW/lzvq4Bno", "p@ss w0rd!$%xxxxxxxxxxxx", true, nil},
	{"bigcrypt 16 blocks", "{CRYPT}abzDJoqKYZJww0zSKj5k64o2KGYXTMSqrvsDznszBtJLScPwkrenZB/XAZcar2VNV9E.EKPPD8D3d92NH7JuT5TQPMPhMu9V1To9shV4JpEhjBCUEoKkNcpIlv.DqruC6odhIcSX2n0EpqVrcqX/7pn7SZuUwAQJmut1G2gpZwTXlloM7g", strings.Repeat("x", 200), true, nil},
	{"bigcrypt slappasswd", "{CRYPT}ibyOm1NboCzzgTk3zDisD3hI", "p@ss w0rd!$%", true, nil},
	{"bigcrypt slappasswd wrong", "{CRYPT}ibyOm1NboCzzgTk3zDisD3hI", "p@ss w0rd!$", false, nil},
	// bcrypt through libxcrypt.
	{"bcrypt 2b", "{CRYPT}$2b$04$abcdefghijklmnopqrstuuPp7HPfoAs8I2dCQCQ/fW7zEJv8I8C8e", "x", true, nil},
	{"bcrypt 2a 8-bit", "{CRYPT}$2a$04$abcdefghijklmnopqrstuuRtUTlJ7x9U0MyDKaxRluoDfx.ig2v9a", "\xff\xa3abc\xc3\xa9", true, nil},
	{"bcrypt 2y 8-bit", "{CRYPT}$2y$04$abcdefghijklmnopqrstuuRtUTlJ7x9U0MyDKaxRluoDfx.ig2v9a", "\xff\xa3abc\xc3\xa9", true, nil},
	{"bcrypt non-canonical salt", "{CRYPT}$2b$04$abcdefghijklmnopqrstuvPp7HPfoAs8I2dCQCQ/fW7zEJv8I8C8e", "x", false, nil},
	{"bcrypt 2x", "{CRYPT}$2x$04$abcdefghijklmnopqrstuu9o85qZFs/niEmh3LVPfAwQfUo.rOJ9m", "x", false, ErrUnsupported},
	{"bcrypt one-digit cost", "{CRYPT}$2b$4$abcdefghijklmnopqrstuuPp7HPfoAs8I2dCQCQ/fW7zEJv8I8C8e", "x", false, ErrMalformed},
	{"bcrypt cost above cap", "{CRYPT}$2b$31$abcdefghijklmnopqrstuuPp7HPfoAs8I2dCQCQ/fW7zEJv8I8C8e", "x", false, ErrTooExpensive},
	{"bcrypt trailing junk", "{CRYPT}$2b$04$abcdefghijklmnopqrstuuPp7HPfoAs8I2dCQCQ/fW7zEJv8I8C8ex", "x", false, ErrMalformed},
	{"yescrypt", "{CRYPT}$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7", "x", false, ErrUnsupported},
	{"crypt NUL in secret", "{CRYPT}abNANd1rDfiNc", "secret\x00x", false, nil},
	// slappw-argon2(5) examples; argon2id made by this package's tests.
	{"argon2i man 1", "{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$DKlexoEJUoZTmkAAC3SaMWk30El9/RvVhlqGo6afIng", "secret", true, nil},
	{"argon2i man 2", "{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0$qOCkx9nMeFlaGOO4DUmPDgrlUbgMMuO9T1+vQCFuyzw", "secret", true, nil},
	{"argon2i wrong", "{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$DKlexoEJUoZTmkAAC3SaMWk30El9/RvVhlqGo6afIng", "Secret", false, nil},
	{"argon2i slappasswd", "{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$/B9VvxixDNeoyjqeBnzGsg$n5jMb4Qbao2ATO5tf1FbteLqvakjCsdunazyBB4Ml/Y", "secret", true, nil},
	{"argon2i slappasswd p=2", "{ARGON2}$argon2i$v=19$m=4096,t=3,p=2$9v1ebgwZuBUSRuW8bxLnDQ$OLsQqw/xHHt0bCYPOoSXO6Cu2hTbiGnoeCBsZ28VxGw", "secret", true, nil},
	{"argon2 memory above cap", "{ARGON2}$argon2id$v=19$m=4194304,t=3,p=1$c2FsdHNhbHQ$DKlexoEJUoZTmkAAC3SaMWk30El9/RvVhlqGo6afIng", "secret", false, ErrTooExpensive},
	{"argon2 t above cap", "{ARGON2}$argon2id$v=19$m=4096,t=300,p=1$c2FsdHNhbHQ$DKlexoEJUoZTmkAAC3SaMWk30El9/RvVhlqGo6afIng", "secret", false, ErrTooExpensive},
	{"argon2 p above cap", "{ARGON2}$argon2id$v=19$m=4096,t=3,p=255$c2FsdHNhbHQ$DKlexoEJUoZTmkAAC3SaMWk30El9/RvVhlqGo6afIng", "secret", false, ErrTooExpensive},
	{"argon2d", "{ARGON2}$argon2d$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$DKlexoEJUoZTmkAAC3SaMWk30El9/RvVhlqGo6afIng", "secret", false, ErrUnsupported},
	{"argon2 version 16", "{ARGON2}$argon2i$m=4096,t=3,p=1$c2FsdHNhbHQ$DKlexoEJUoZTmkAAC3SaMWk30El9/RvVhlqGo6afIng", "secret", false, ErrUnsupported},
	{"argon2 padded base64", "{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ=$DKlexoEJUoZTmkAAC3SaMWk30El9/RvVhlqGo6afIng", "secret", false, ErrMalformed},
	{"argon2 short salt", "{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$c2FsdA$DKlexoEJUoZTmkAAC3SaMWk30El9/RvVhlqGo6afIng", "secret", false, ErrMalformed},
	// Cleartext and unknown schemes, as slapd's lutil_passwd.
	{"cleartext", "secret", "secret", true, nil},
	{"cleartext wrong", "secret", "secret2", false, nil},
	{"cleartext brace without scheme", "{}secret", "{}secret", true, nil},
	{"cleartext unclosed brace", "{secret", "{secret", true, nil},
	{"CLEARTEXT prefix never matches", "{CLEARTEXT}secret", "secret", false, ErrUnknownScheme},
	{"unknown scheme", "{BOGUS}secret", "{BOGUS}secret", false, ErrUnknownScheme},
	{"BCRYPT is not a scheme", "{BCRYPT}$2b$04$abcdefghijklmnopqrstuuPp7HPfoAs8I2dCQCQ/fW7zEJv8I8C8e", "x", false, ErrUnknownScheme},
	{"empty secret", "", "", false, nil},
	{"empty secret against hash", "{SHA}2jmj7l5rSw0yVb/vlWAYkK/YBwk=", "", false, nil},
	// Malformed digest values.
	{"SSHA without salt", "{SSHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "secret", false, ErrMalformed},
	{"SHA with extra bytes", "{SHA}BGIvwupCV9sP8Hrn+vzhEhKMqDiCjRhi", "secret", false, ErrMalformed},
	{"SHA bad base64", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ", "secret", false, ErrMalformed},
}

func TestVerifyKnownAnswers(t *testing.T) {
	for _, tc := range verifyVectors {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := Verify(tc.stored, []byte(tc.secret))
			if ok != tc.ok {
				t.Errorf("Verify(%q, %q) = %v, want %v (err %v)", tc.stored, tc.secret, ok, tc.ok, err)
			}
			switch {
			case tc.err == nil && err != nil:
				t.Errorf("Verify(%q) error %v, want none", tc.stored, err)
			case tc.err != nil && !errors.Is(err, tc.err):
				t.Errorf("Verify(%q) error %v, want %v", tc.stored, err, tc.err)
			}
		})
	}
}

// fixedRand is a deterministic randomness source for known-answer hashing.
type fixedRand byte

func (f fixedRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(f) + byte(i)
	}
	return len(p), nil
}

func TestHashKnownAnswers(t *testing.T) {
	// Salts from fixedRand(1): 01 02 03 ...; crypt salts map each byte
	// b to cryptAlphabet[b&63].
	tests := []struct {
		scheme string
		format string
		want   string
	}{
		{"{SHA}", "", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="},
		{"{MD5}", "", "{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ=="},
		{"{SHA256}", "", "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols="},
		{"{sha384}", "", "{SHA384}WKd1ukESvjAFrkQHznV9iP2nHUBJe7gCbsrFTU4//HIyzo3jq1rLMK45dg/ufFPt"},
		{"{SHA512}", "", "{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg=="},
		{"{CLEARTEXT}", "", "secret"},
		{"{CRYPT}", "%.2s", "{CRYPT}/0" + "" + desMust(t, "/0")[2:]},
		{"{CRYPT}", "$1$%.8s", "{CRYPT}" + md5Crypt([]byte("secret"), "/0123456")},
		{"{CRYPT}", "", "{CRYPT}" + shaMust(t, "$6$/0123456789ABCDE", true)},
		{"{CRYPT}", "$5$rounds=2000$%.4s", "{CRYPT}" + shaMust(t, "$5$rounds=2000$/012", false)},
		{"{CRYPT}", "ab", "{CRYPT}abNANd1rDfiNc"},
	}
	for _, tc := range tests {
		t.Run(tc.scheme+tc.format, func(t *testing.T) {
			h := Hasher{CryptSaltFormat: tc.format, Rand: fixedRand(1)}
			got, err := h.Hash(tc.scheme, []byte("secret"))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Hash(%s) = %q, want %q", tc.scheme, got, tc.want)
			}
		})
	}
}

func desMust(t *testing.T, salt string) string {
	t.Helper()
	s, err := desCrypt([]byte("secret"), salt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func shaMust(t *testing.T, setting string, is512 bool) string {
	t.Helper()
	s, err := shaCrypt([]byte("secret"), setting, is512)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHashVerifyRoundTrip(t *testing.T) {
	secrets := []string{"secret", "x", "pässwörd with spaces", strings.Repeat("long", 40)}
	tests := []struct {
		scheme string
		h      Hasher
		prefix string
		length int // expected length of the value, 0: don't check
	}{
		{"{SSHA}", Hasher{}, "{SSHA}", 6 + 32},
		{"{SHA}", Hasher{}, "{SHA}", 5 + 28},
		{"{SMD5}", Hasher{}, "{SMD5}", 6 + 28},
		{"{MD5}", Hasher{}, "{MD5}", 5 + 24},
		{"{SSHA256}", Hasher{}, "{SSHA256}", 9 + 56},
		{"{SSHA384}", Hasher{}, "{SSHA384}", 9 + 76},
		{"{SSHA512}", Hasher{}, "{SSHA512}", 9 + 96},
		{"{SHA256}", Hasher{}, "{SHA256}", 8 + 44},
		{"{SHA384}", Hasher{}, "{SHA384}", 8 + 64},
		{"{SHA512}", Hasher{}, "{SHA512}", 8 + 88},
		{"{CRYPT}", Hasher{}, "{CRYPT}$6$", 7 + 3 + 16 + 1 + 86},
		{"{CRYPT}", Hasher{CryptSaltFormat: "$5$%.16s"}, "{CRYPT}$5$", 7 + 3 + 16 + 1 + 43},
		{"{CRYPT}", Hasher{CryptSaltFormat: "$6$rounds=10000$%.16s"}, "{CRYPT}$6$rounds=10000$", 0},
		{"{CRYPT}", Hasher{CryptSaltFormat: "$1$%.8s"}, "{CRYPT}$1$", 7 + 3 + 8 + 1 + 22},
		{"{CRYPT}", Hasher{CryptSaltFormat: "$2b$05$%.22s"}, "{CRYPT}$2b$05$", 7 + 60},
		{"{CRYPT}", Hasher{CryptSaltFormat: "$2y$04$"}, "{CRYPT}$2y$04$", 7 + 60},
		{"{CRYPT}", Hasher{CryptSaltFormat: "%.2s"}, "{CRYPT}", 7 + 13},
		{"{CRYPT}", Hasher{CryptSaltFormat: "%s"}, "{CRYPT}", 0}, // bigcrypt
		{"{ARGON2}", Hasher{}, "{ARGON2}$argon2id$v=19$m=65536,t=2,p=1$", 0},
		{"{ARGON2}", Hasher{Argon2: Argon2Params{Variant: "argon2i", Memory: 4096, Time: 3}}, "{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$", 0},
	}
	for _, tc := range tests {
		t.Run(tc.scheme+tc.h.CryptSaltFormat+tc.h.Argon2.Variant, func(t *testing.T) {
			secrets := secrets
			if tc.scheme == "{ARGON2}" && tc.h.Argon2.Memory == 0 {
				secrets = secrets[:1] // 64 MiB per computation
			}
			for _, secret := range secrets {
				v, err := tc.h.Hash(tc.scheme, []byte(secret))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(v, tc.prefix) {
					t.Errorf("Hash = %q, want prefix %q", v, tc.prefix)
				}
				if tc.length != 0 && len(v) != tc.length {
					t.Errorf("Hash = %q: length %d, want %d", v, len(v), tc.length)
				}
				ok, err := Verify(v, []byte(secret))
				if !ok || err != nil {
					t.Errorf("Verify(%q, %q) = %v, %v; want true", v, secret, ok, err)
				}
				wrong := secret + "!"
				if tc.h.CryptSaltFormat == "%s" || tc.h.CryptSaltFormat == "%.2s" && len(secret) >= 8 || strings.HasPrefix(tc.prefix, "{CRYPT}$2") && len(secret) >= 72 {
					wrong = "!" + secret // DES reads 8 characters, bigcrypt 128, bcrypt 72
				}
				if ok, err := Verify(v, []byte(wrong)); ok || err != nil {
					t.Errorf("Verify(%q, wrong) = %v, %v; want false, nil", v, ok, err)
				}
			}
		})
	}
}

func TestHashErrors(t *testing.T) {
	tests := []struct {
		scheme string
		h      Hasher
		secret string
		err    error
	}{
		{"{BOGUS}", Hasher{}, "x", ErrUnknownScheme},
		{"SSHA", Hasher{}, "x", ErrUnknownScheme},
		{"{BCRYPT}", Hasher{}, "x", ErrUnknownScheme},
		{"{CRYPT}", Hasher{CryptSaltFormat: "%s%s"}, "x", ErrMalformed},
		{"{CRYPT}", Hasher{CryptSaltFormat: "$6$%d"}, "x", ErrMalformed},
		{"{CRYPT}", Hasher{CryptSaltFormat: "%%%s"}, "x", ErrMalformed},
		{"{CRYPT}", Hasher{CryptSaltFormat: "$6$rounds=9000000$%s"}, "x", ErrTooExpensive},
		{"{CRYPT}", Hasher{CryptSaltFormat: "$2b$20$%s"}, "x", ErrTooExpensive},
		{"{CRYPT}", Hasher{CryptSaltFormat: "$y$%s"}, "x", ErrUnsupported},
		{"{CRYPT}", Hasher{}, "a\x00b", errSecretNUL},
		{"{ARGON2}", Hasher{Argon2: Argon2Params{Variant: "argon2d"}}, "x", ErrUnsupported},
		{"{ARGON2}", Hasher{Argon2: Argon2Params{Memory: 1 << 30}}, "x", ErrTooExpensive},
	}
	for _, tc := range tests {
		t.Run(tc.scheme+tc.h.CryptSaltFormat, func(t *testing.T) {
			v, err := tc.h.Hash(tc.scheme, []byte(tc.secret))
			if !errors.Is(err, tc.err) {
				t.Errorf("Hash(%s) = %q, %v; want error %v", tc.scheme, v, err, tc.err)
			}
		})
	}
}

func TestFormatSalt(t *testing.T) {
	tests := []struct{ format, want string }{
		{"%s", "ABCDEFGHIJ"},
		{"%.2s", "AB"},
		{"$1$%.8s", "$1$ABCDEFGH"},
		{"$6$rounds=5000$%.16s", "$6$rounds=5000$ABCDEFGHIJ"},
		{"zz", "zz"},
		{"100%%$%.3s", "100%$ABC"},
		{"%12s|", "  ABCDEFGHIJ|"},
		{"%-12.3s|", "ABC         |"},
	}
	for _, tc := range tests {
		got, err := formatSalt(tc.format, "ABCDEFGHIJ")
		if err != nil || got != tc.want {
			t.Errorf("formatSalt(%q) = %q, %v; want %q", tc.format, got, err, tc.want)
		}
	}
}

func TestSplitSchemeAndLists(t *testing.T) {
	tests := []struct{ in, name, data string }{
		{"{ssha}abc", "{SSHA}", "abc"},
		{"{}abc", "", "{}abc"},
		{"{abc", "", "{abc"},
		{"abc", "", "abc"},
		{"{x}", "{X}", ""},
	}
	for _, tc := range tests {
		if n, d := SplitScheme(tc.in); n != tc.name || d != tc.data {
			t.Errorf("SplitScheme(%q) = %q, %q; want %q, %q", tc.in, n, d, tc.name, tc.data)
		}
	}
	if !CanHash("{ssha}") || !CanHash("{CLEARTEXT}") || CanHash("{BOGUS}") {
		t.Error("CanHash gives wrong answers")
	}
	got := strings.Join(Schemes(), " ")
	want := "{ARGON2} {CRYPT} {MD5} {SHA256} {SHA384} {SHA512} {SHA} {SMD5} {SSHA256} {SSHA384} {SSHA512} {SSHA}"
	if got != want {
		t.Errorf("Schemes() = %s, want %s", got, want)
	}
}

// TestDESCoreAgainstStdlib checks the bit-level DES (salt 0, one
// encryption) against crypto/des.
func TestDESCoreAgainstStdlib(t *testing.T) {
	for _, keyStr := range []string{"\x00\x00\x00\x00\x00\x00\x00\x00", "\x13\x34\x57\x79\x9b\xbc\xdf\xf1", "secret12", "\xff\xfe\xfd\xfc\x01\x02\x03\x04"} {
		for _, plain := range []string{"\x00\x00\x00\x00\x00\x00\x00\x00", "\x01\x23\x45\x67\x89\xab\xcd\xef", "ABCDEFGH"} {
			want := stdDES(t, []byte(keyStr), []byte(plain))
			var key, block [64]uint8
			for i := range 64 {
				key[i] = keyStr[i/8] >> (7 - i%8) & 1
				block[i] = plain[i/8] >> (7 - i%8) & 1
			}
			ks := desSchedule(&key)
			e := desE
			desEncryptBits(&block, &ks, &e)
			got := make([]byte, 8)
			for i := range 64 {
				got[i/8] |= block[i] << (7 - i%8)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("DES(%x, %x) = %x, want %x", keyStr, plain, got, want)
			}
		}
	}
}

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range []int{1, 8, 20, MaxGenerate} {
		p, err := Generate(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != n || strings.Trim(p, generateAlphabet) != "" {
			t.Errorf("Generate(%d) = %q", n, p)
		}
		seen[p] = true
	}
	if len(seen) != 4 {
		t.Error("Generate repeated itself")
	}
	for _, n := range []int{0, -1, MaxGenerate + 1} {
		if _, err := Generate(n); err == nil {
			t.Errorf("Generate(%d) succeeded", n)
		}
	}
}

func BenchmarkVerifySSHA(b *testing.B) {
	stored := "{SSHA}BGIvwupCV9sP8Hrn+vzhEhKMqDiCjRhi"
	secret := []byte("secret")
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := Verify(stored, secret); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
