package password

import (
	"strings"
	"testing"
)

// FuzzVerify feeds hostile stored values and secrets to Verify: it must not
// panic, and a value that verifies must verify again (determinism).
func FuzzVerify(f *testing.F) {
	for _, v := range verifyVectors {
		if strings.Contains(v.stored, "rounds=123456") || strings.Contains(v.stored, "rounds=77777") {
			continue // keep the fuzzer fast
		}
		f.Add(v.stored, []byte(v.secret))
	}
	f.Add("{CRYPT}$5$rounds=1000$$", []byte("x"))
	f.Add("{ARGON2}$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$AAAAAA", []byte("x"))
	f.Add("{CRYPT}$2b$04$......................", []byte("x"))
	f.Fuzz(func(t *testing.T, stored string, secret []byte) {
		ok, err := Verify(stored, secret)
		if ok && err != nil {
			t.Fatalf("Verify(%q) = true with error %v", stored, err)
		}
		if ok {
			if ok2, _ := Verify(stored, secret); !ok2 {
				t.Fatalf("Verify(%q, %q) not deterministic", stored, secret)
			}
		}
	})
}
