package ingest

import (
	"math"
	"testing"

	"kam/domain"
)

// The shrink guard compares in 128 bits: a stored month near the limit, times 100, does not wrap.
func TestCutsMoreNeverWraps(t *testing.T) {
	near := int64(math.MaxInt64 - 7)
	for _, c := range []struct {
		name               string
		before, after, pct int64
		want               bool
	}{
		{"nothing stored", 0, 0, 50, false},
		{"grows", 10, 20, 50, false},
		{"half is not more than half", 40, 20, 50, false},
		{"one fen more than half", 40, 19, 50, true},
		{"rows: 40 → 1", 40, 1, 50, true},
		{"near the limit, cut to a fen", near, 1, 50, true},
		{"near the limit, cut by a third", near, near / 3 * 2, 50, false},
		{"near the limit, cut by 60%", near, near / 10 * 4, 50, true},
		{"near the limit, any cut past 1%", near, near / 100 * 98, 1, true},
		{"the most MaxAmount rows that fit, cut to one row", 9_223 * int64(domain.MaxAmount), int64(domain.MaxAmount), 50, true},
	} {
		if got := cutsMore(c.before, c.after, c.pct); got != c.want {
			t.Errorf("%s: cutsMore(%d, %d, %d) = %v; want %v", c.name, c.before, c.after, c.pct, got, c.want)
		}
	}
}
