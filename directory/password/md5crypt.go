package password

import (
	"crypto/md5"
	"strings"
)

// md5Crypt computes Poul-Henning Kamp's MD5-based crypt ("$1$"). setting is
// what follows "$1$": the salt is its first up to 8 characters before a '$'.
func md5Crypt(secret []byte, setting string) string {
	salt := setting
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > 8 {
		salt = salt[:8]
	}
	const magic = "$1$"

	alt := md5.New()
	alt.Write(secret)
	alt.Write([]byte(salt))
	alt.Write(secret)
	altSum := alt.Sum(nil)

	ctx := md5.New()
	ctx.Write(secret)
	ctx.Write([]byte(magic))
	ctx.Write([]byte(salt))
	for n := len(secret); n > 0; n -= 16 {
		ctx.Write(altSum[:min(n, 16)])
	}
	for n := len(secret); n > 0; n >>= 1 {
		if n&1 != 0 {
			ctx.Write([]byte{0})
		} else {
			ctx.Write(secret[:1])
		}
	}
	final := ctx.Sum(nil)

	for i := 0; i < 1000; i++ {
		c := md5.New()
		if i&1 != 0 {
			c.Write(secret)
		} else {
			c.Write(final)
		}
		if i%3 != 0 {
			c.Write([]byte(salt))
		}
		if i%7 != 0 {
			c.Write(secret)
		}
		if i&1 != 0 {
			c.Write(final)
		} else {
			c.Write(secret)
		}
		final = c.Sum(final[:0])
	}

	var b strings.Builder
	b.Grow(3 + len(salt) + 1 + 22)
	b.WriteString(magic)
	b.WriteString(salt)
	b.WriteByte('$')
	for _, g := range [5][3]int{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}} {
		to64(&b, uint32(final[g[0]])<<16|uint32(final[g[1]])<<8|uint32(final[g[2]]), 4)
	}
	to64(&b, uint32(final[11]), 2)
	return b.String()
}

// to64 writes the n low 6-bit groups of v, least significant first, in the
// crypt alphabet.
func to64(b *strings.Builder, v uint32, n int) {
	for ; n > 0; n-- {
		b.WriteByte(cryptAlphabet[v&0x3f])
		v >>= 6
	}
}
