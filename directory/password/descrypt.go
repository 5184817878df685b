package password

import (
	"fmt"
	"strings"
)

// Traditional DES-based crypt(3): the key is the first 8 characters of the
// secret (7 bits each), the two salt characters perturb the E expansion
// (12 bits: bit i swaps E outputs i and i+24), and a zero block is encrypted
// 25 times. The tables below are the standard DES tables (FIPS 46-3), 1-based.

var desIP = [64]uint8{
	58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
	62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
	57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
	61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
}

var desFP = [64]uint8{
	40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31,
	38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21, 61, 29,
	36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27,
	34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49, 17, 57, 25,
}

var desPC1C = [28]uint8{
	57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
	10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
}

var desPC1D = [28]uint8{
	63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
	14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
}

var desShifts = [16]uint8{1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1}

var desPC2C = [24]uint8{
	14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
	23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
}

var desPC2D = [24]uint8{
	41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
	44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
}

var desE = [48]uint8{
	32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9,
	8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17,
	16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25,
	24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1,
}

var desS = [8][64]uint8{
	{14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
		0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
		4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
		15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13},
	{15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
		3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
		0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
		13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9},
	{10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
		13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
		13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
		1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12},
	{7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
		13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
		10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
		3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14},
	{2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
		14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
		4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
		11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3},
	{12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
		10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
		9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
		4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13},
	{4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
		13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
		1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
		6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12},
	{13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
		1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
		7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
		2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11},
}

var desP = [32]uint8{
	16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
	2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
}

// desSchedule returns the 16 round keys of a 64-bit key given as bits.
func desSchedule(key *[64]uint8) (ks [16][48]uint8) {
	var c, d [28]uint8
	for i := range 28 {
		c[i] = key[desPC1C[i]-1]
		d[i] = key[desPC1D[i]-1]
	}
	for r := range 16 {
		for range desShifts[r] {
			c0, d0 := c[0], d[0]
			copy(c[:], c[1:])
			copy(d[:], d[1:])
			c[27], d[27] = c0, d0
		}
		for j := range 24 {
			ks[r][j] = c[desPC2C[j]-1]
			ks[r][j+24] = d[desPC2D[j]-28-1]
		}
	}
	return ks
}

// desEncryptBits encrypts a 64-bit block given as bits, in place, with the
// round keys ks and the (possibly salt-perturbed) expansion table e.
func desEncryptBits(block *[64]uint8, ks *[16][48]uint8, e *[48]uint8) {
	var lr [64]uint8
	for i := range 64 {
		lr[i] = block[desIP[i]-1]
	}
	l, r := lr[:32], lr[32:]
	var pre [48]uint8
	var f, tmp [32]uint8
	for round := range 16 {
		for j := range 48 {
			pre[j] = r[e[j]-1] ^ ks[round][j]
		}
		for k := range 8 {
			b := pre[6*k : 6*k+6]
			row := b[0]<<1 | b[5]
			col := b[1]<<3 | b[2]<<2 | b[3]<<1 | b[4]
			v := desS[k][int(row)*16+int(col)]
			f[4*k] = v >> 3 & 1
			f[4*k+1] = v >> 2 & 1
			f[4*k+2] = v >> 1 & 1
			f[4*k+3] = v & 1
		}
		copy(tmp[:], r)
		for j := range 32 {
			r[j] = l[j] ^ f[desP[j]-1]
		}
		copy(l, tmp[:])
	}
	// Undo the last swap: the preoutput is R16 L16.
	var pre64 [64]uint8
	copy(pre64[:32], r)
	copy(pre64[32:], l)
	for i := range 64 {
		block[i] = pre64[desFP[i]-1]
	}
}

// desSaltValue maps a crypt alphabet character to its 6-bit value.
func desSaltValue(c byte) (uint8, bool) {
	i := strings.IndexByte(cryptAlphabet, c)
	return uint8(i), i >= 0
}

// desCrypt computes traditional DES crypt(3) with the first two characters
// of setting as the salt; both must be in [./0-9A-Za-z], as libxcrypt
// requires. Like libxcrypt, a setting of 14 or more characters selects
// bigcrypt: the secret (up to 128 bytes) is processed in blocks of 8, each
// block after the first salted with the first two output characters of the
// block before, and the 11 output characters of every block are appended.
func desCrypt(secret []byte, setting string) (string, error) {
	s0, ok0 := desSaltValue(setting[0])
	s1, ok1 := desSaltValue(setting[1])
	if !ok0 || !ok1 {
		return "", fmt.Errorf("%w: DES salt %.2q", ErrMalformed, setting)
	}
	blocks := 1
	if len(setting) >= 14 {
		blocks = min(max(1, (len(secret)+7)/8), 16)
	}
	var b strings.Builder
	b.Grow(2 + 11*blocks)
	b.WriteString(setting[:2])
	for i := range blocks {
		var chunk []byte
		if 8*i < len(secret) {
			chunk = secret[8*i : min(8*i+8, len(secret))]
		}
		out := desBlock(chunk, s0, s1)
		b.Write(out[:])
		s0, _ = desSaltValue(out[0])
		s1, _ = desSaltValue(out[1])
	}
	return b.String(), nil
}

// desBlock encrypts a zero block 25 times with key (up to 8 characters,
// 7 bits each) and the 12-bit salt s0|s1<<6, and encodes the result in 11
// characters.
func desBlock(key8 []byte, s0, s1 uint8) (out [11]byte) {
	var key [64]uint8
	for i, c := range key8 {
		for j := range 7 {
			key[8*i+j] = c >> (6 - j) & 1
		}
	}
	ks := desSchedule(&key)
	e := desE
	salt := [2]uint8{s0, s1}
	for i := range 2 {
		for j := range 6 {
			if salt[i]>>j&1 != 0 {
				k := 6*i + j
				e[k], e[k+24] = e[k+24], e[k]
			}
		}
	}
	var block [64]uint8
	for range 25 {
		desEncryptBits(&block, &ks, &e)
	}
	for i := range 11 {
		var v uint8
		for j := range 6 {
			bit := 6*i + j
			v <<= 1
			if bit < 64 {
				v |= block[bit]
			}
		}
		out[i] = cryptAlphabet[v]
	}
	return out
}
