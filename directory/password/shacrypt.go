package password

import (
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// SHA-crypt limits from Ulrich Drepper's specification.
const (
	shaCryptDefaultRounds = 5000
	shaCryptMinRounds     = 1000
	shaCryptMaxRounds     = 999999999
	shaCryptMaxSalt       = 16
)

// Byte orders of the final encoding, three bytes per group (Drepper's
// specification, "b64_from_24bit").
var (
	sha256CryptOrder = [][3]int{
		{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14},
		{15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29},
	}
	sha512CryptOrder = [][3]int{
		{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4},
		{47, 5, 26}, {6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51},
		{31, 52, 10}, {53, 11, 32}, {12, 33, 54}, {34, 55, 13}, {56, 14, 35},
		{15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19},
		{62, 20, 41},
	}
)

// shaCrypt computes SHA-256 ("$5$") or SHA-512 ("$6$") crypt. setting starts
// with the magic; an optional "rounds=N$" follows, then the salt (up to 16
// characters before a '$'). Like libxcrypt, rounds outside [1000, 999999999]
// or written with leading zeros or a sign are an error; rounds above
// MaxSHACryptRounds are refused as too expensive.
func shaCrypt(secret []byte, setting string, is512 bool) (string, error) {
	magic := setting[:3]
	rest := setting[3:]
	rounds := shaCryptDefaultRounds
	custom := false
	if strings.HasPrefix(rest, "rounds=") {
		end := strings.IndexByte(rest, '$')
		if end < 0 {
			return "", fmt.Errorf("%w: rounds= without '$'", ErrMalformed)
		}
		digits := rest[len("rounds="):end]
		if digits == "" || digits[0] < '1' || digits[0] > '9' || len(digits) > 9 {
			return "", fmt.Errorf("%w: rounds=%.12q", ErrMalformed, digits)
		}
		n, err := strconv.Atoi(digits)
		if err != nil {
			return "", fmt.Errorf("%w: rounds=%.12q", ErrMalformed, digits)
		}
		if n < shaCryptMinRounds || n > shaCryptMaxRounds {
			return "", fmt.Errorf("%w: rounds=%d out of range", ErrMalformed, n)
		}
		if n > MaxSHACryptRounds {
			return "", fmt.Errorf("%w: rounds=%d > %d", ErrTooExpensive, n, MaxSHACryptRounds)
		}
		rounds, custom = n, true
		rest = rest[end+1:]
	}
	if len(secret) > MaxSHACryptSecret {
		return "", fmt.Errorf("%w: secret longer than %d bytes", ErrTooExpensive, MaxSHACryptSecret)
	}
	salt := rest
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > shaCryptMaxSalt {
		salt = salt[:shaCryptMaxSalt]
	}
	newHash := sha256.New
	order := sha256CryptOrder
	if is512 {
		newHash = sha512.New
		order = sha512CryptOrder
	}
	sum := shaCryptSum(newHash, secret, []byte(salt), rounds)

	var b strings.Builder
	b.WriteString(magic)
	if custom {
		b.WriteString("rounds=")
		b.WriteString(strconv.Itoa(rounds))
		b.WriteByte('$')
	}
	b.WriteString(salt)
	b.WriteByte('$')
	for _, g := range order {
		to64(&b, uint32(sum[g[0]])<<16|uint32(sum[g[1]])<<8|uint32(sum[g[2]]), 4)
	}
	if is512 {
		to64(&b, uint32(sum[63]), 2)
	} else {
		to64(&b, uint32(sum[31])<<8|uint32(sum[30]), 3)
	}
	return b.String(), nil
}

// shaCryptSum runs the SHA-crypt digest steps and returns the final digest.
func shaCryptSum(newHash func() hash.Hash, p, s []byte, rounds int) []byte {
	// Digest B: P S P.
	h := newHash()
	h.Write(p)
	h.Write(s)
	h.Write(p)
	bSum := h.Sum(nil)
	size := len(bSum)

	// Digest A: P S, then B for each byte of P, then B or P per bit of len(P).
	h = newHash()
	h.Write(p)
	h.Write(s)
	n := len(p)
	for ; n > size; n -= size {
		h.Write(bSum)
	}
	h.Write(bSum[:n])
	for n = len(p); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write(bSum)
		} else {
			h.Write(p)
		}
	}
	aSum := h.Sum(nil)

	// Digest DP: P once for each byte of P; P' is DP repeated to len(P).
	h = newHash()
	for range len(p) {
		h.Write(p)
	}
	pBytes := repeatTo(h.Sum(nil), len(p))

	// Digest DS: S 16+A[0] times; S' is DS repeated to len(S).
	h = newHash()
	for range 16 + int(aSum[0]) {
		h.Write(s)
	}
	sBytes := repeatTo(h.Sum(nil), len(s))

	c := aSum
	for i := 0; i < rounds; i++ {
		h.Reset()
		if i&1 != 0 {
			h.Write(pBytes)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(sBytes)
		}
		if i%7 != 0 {
			h.Write(pBytes)
		}
		if i&1 != 0 {
			h.Write(c)
		} else {
			h.Write(pBytes)
		}
		c = h.Sum(c[:0])
	}
	return c
}

// repeatTo returns d repeated (and cut) to length n.
func repeatTo(d []byte, n int) []byte {
	out := make([]byte, n)
	for i := 0; i < n; i += len(d) {
		copy(out[i:], d)
	}
	return out
}
