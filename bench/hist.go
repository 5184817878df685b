package bench

import (
	"math/bits"
	"time"
)

// histSubBits is the number of mantissa bits each power of two is divided
// into: 2^6 = 64 sub-buckets, a relative error under 1.6%.
const histSubBits = 6

// histBuckets covers every int64 nanosecond value.
const histBuckets = (64 - histSubBits + 1) << histSubBits

// Histogram records latencies in log-linear buckets, in the manner of an
// HDR histogram: exact below 64 ns, then 64 buckets per power of two, so
// any percentile it reports is within 1.6% of the recorded value. The zero
// value is ready to use; it is not safe for concurrent use (give each worker
// its own and Merge them).
type Histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

// bucket returns the bucket index of a value in nanoseconds.
func bucket(v uint64) int {
	if v < 1<<histSubBits {
		return int(v)
	}
	e := bits.Len64(v) - histSubBits - 1 // shift that leaves histSubBits+1 bits
	return (e+1)<<histSubBits + int(v>>uint(e)) - 1<<histSubBits
}

// bucketHigh returns the largest value that falls in bucket i.
func bucketHigh(i int) uint64 {
	if i < 1<<histSubBits {
		return uint64(i)
	}
	e := i>>histSubBits - 1
	m := uint64(i&(1<<histSubBits-1)) + 1<<histSubBits
	return (m+1)<<uint(e) - 1
}

// Record adds one latency.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucket(uint64(d))]++
	h.n++
	h.sum += d
	if d > h.max {
		h.max = d
	}
}

// Merge adds the values recorded in o to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	if o.max > h.max {
		h.max = o.max
	}
}

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Mean returns the mean of the recorded values.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Max returns the largest recorded value.
func (h *Histogram) Max() time.Duration { return h.max }

// Quantile returns the value below or at which the fraction q (0..1) of the
// recorded values lie (the upper edge of its bucket, capped at the maximum);
// 0 when nothing was recorded.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	if rank < 1 {
		rank = 1
	}
	if rank > h.n {
		rank = h.n
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := time.Duration(bucketHigh(i))
			if v > h.max {
				v = h.max
			}
			return v
		}
	}
	return h.max
}
