package rules

import (
	"math"
	"testing"
)

func TestPct(t *testing.T) {
	cases := []struct {
		p    Pct
		s    string
		frac float64
	}{
		{0, "0.00%", 0}, {1, "0.01%", 0.0001}, {-1, "-0.01%", -0.0001}, {1234, "12.34%", 0.1234},
		{-10000, "-100.00%", -1}, {150000, "1500.00%", 15},
		{math.MinInt64, "-92233720368547758.08%", float64(math.MinInt64) / 10000},
	}
	for _, c := range cases {
		if c.p.String() != c.s || c.p.Fraction() != c.frac {
			t.Errorf("Pct(%d) = %s, %v; want %s, %v", int64(c.p), c.p, c.p.Fraction(), c.s, c.frac)
		}
	}
}
