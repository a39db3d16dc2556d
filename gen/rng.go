package gen

import "math/bits"

// rng is splitmix64: tiny, allocation-free, and seedable per customer so any
// customer's attributes and any month's revenue can be derived on their own.
type rng struct{ s uint64 }

// Streams keep the draws for different purposes independent of each other.
const (
	streamProfile uint64 = iota + 1
	streamIdentity
	streamClaims
	streamSplits
	streamTargets
	streamRevenue
	streamManagers
	streamUnits
	streamVisits // added later: the streams before it keep their draws
	streamArchive
)

// newRNG derives a generator for one purpose, one item and one sub-item (a month, say).
func newRNG(seed int64, stream, item, sub uint64) rng {
	r := rng{uint64(seed) ^ 0x6a09e667f3bcc909}
	r.s ^= mix64(stream*0x9e3779b97f4a7c15 + item)
	r.s ^= mix64(sub*0xbf58476d1ce4e5b9 + 0x3c6ef372fe94f82b)
	return r
}

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// intn is uniform in [0, n).
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// between is uniform in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// float is uniform in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

func (r *rng) chance(p float64) bool { return r.float() < p }

// noise is roughly normal with mean 1 and the given spread (sum of three uniforms).
func (r *rng) noise(spread float64) float64 {
	return 1 + spread*(r.float()+r.float()+r.float()-1.5)*2
}

// pick returns an index drawn by integer weights.
func (r *rng) pick(weights []int, total int) int {
	x := r.intn(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}
