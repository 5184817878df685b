package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketBounds(t *testing.T) {
	for _, v := range []uint64{0, 1, 63, 64, 65, 127, 128, 129, 1000, 123456789, 1 << 40, 1<<63 - 1} {
		i := bucket(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("bucket(%d) = %d out of range", v, i)
		}
		if hi := bucketHigh(i); hi < v {
			t.Errorf("bucketHigh(bucket(%d)) = %d < value", v, hi)
		}
		if i > 0 && bucketHigh(i-1) >= v {
			t.Errorf("value %d also fits bucket %d (high %d)", v, i-1, bucketHigh(i-1))
		}
		if hi := bucketHigh(i); v >= 64 && float64(hi-v) > 0.016*float64(v) {
			t.Errorf("bucket of %d too wide: high %d", v, hi)
		}
	}
}

func TestQuantile(t *testing.T) {
	tests := []struct {
		name string
		vals []time.Duration
	}{
		{"one", []time.Duration{time.Millisecond}},
		{"uniform", func() []time.Duration {
			var v []time.Duration
			for i := 1; i <= 10000; i++ {
				v = append(v, time.Duration(i)*time.Microsecond)
			}
			return v
		}()},
		{"random", func() []time.Duration {
			r := rand.New(rand.NewPCG(1, 2))
			var v []time.Duration
			for range 5000 {
				v = append(v, time.Duration(r.ExpFloat64()*float64(time.Millisecond)))
			}
			return v
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h, a, b Histogram
			for i, v := range tt.vals {
				if i%2 == 0 {
					a.Record(v)
				} else {
					b.Record(v)
				}
			}
			h.Merge(&a)
			h.Merge(&b)
			sorted := slices.Clone(tt.vals)
			slices.Sort(sorted)
			for _, q := range []float64{0.5, 0.9, 0.99, 1} {
				idx := int(q*float64(len(sorted))+0.5) - 1
				idx = max(0, min(idx, len(sorted)-1))
				want := sorted[idx]
				got := h.Quantile(q)
				if got < want || float64(got-want) > 0.02*float64(want)+1 {
					t.Errorf("Quantile(%v) = %v, want about %v", q, got, want)
				}
			}
			if h.Count() != uint64(len(tt.vals)) || h.Max() != sorted[len(sorted)-1] {
				t.Errorf("Count %d Max %v", h.Count(), h.Max())
			}
		})
	}
}
