package bench

import (
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Duration
		ok   bool
	}{
		{"plain", "123 (slapd) S 1 123 123 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 5 0 100 0", 3 * time.Second, true},
		{"spaces in name", "7 (a b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1 0", 30 * time.Millisecond, true},
		{"short", "7 (x) R 1 2", 0, false},
		{"no name", "7 x R", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tt.in))
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseStatCPU = %v, %v; want %v ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestProcSelf(t *testing.T) {
	if _, err := procCPU(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	hwm, err := procHWM(os.Getpid())
	if err != nil || hwm <= 0 {
		t.Fatalf("procHWM = %d, %v", hwm, err)
	}
}
