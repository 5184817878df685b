package password

import (
	"crypto/des"
	"testing"
)

// stdDES encrypts one block with crypto/des.
func stdDES(t *testing.T, key, plain []byte) []byte {
	t.Helper()
	c, err := des.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 8)
	c.Encrypt(out, plain)
	return out
}
