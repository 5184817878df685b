package password

import (
	"crypto/rand"
	"fmt"
	"io"
)

// generateAlphabet has no characters that are easy to confuse when read
// aloud or copied by hand (no 0/O/o, 1/l/I).
const generateAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// MaxGenerate is the longest password Generate makes.
const MaxGenerate = 1024

// Generate returns a random password of n characters (1 <= n <= MaxGenerate)
// drawn uniformly from a readable alphabet with crypto/rand, for the
// Password Modify extended operation and `hostdir passwd -g`.
func Generate(n int) (string, error) {
	return generate(rand.Reader, n)
}

// generate draws n characters from r by rejection sampling.
func generate(r io.Reader, n int) (string, error) {
	if n < 1 || n > MaxGenerate {
		return "", fmt.Errorf("password: generate: length %d not in 1..%d", n, MaxGenerate)
	}
	const limit = 256 - 256%len(generateAlphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2+8)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("password: generate: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, generateAlphabet[int(b)%len(generateAlphabet)])
			}
		}
	}
	return string(out), nil
}
