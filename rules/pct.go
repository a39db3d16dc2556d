package rules

import (
	"math"
	"math/big"
	"strconv"
)

// Pct is a percentage in basis points (1234 = 12.34%), signed; int64 because
// growth against a base of a few fen can exceed what domain.Ratio holds.
type Pct int64

// String formats the percentage with two decimals and a sign when negative: -12.34%.
func (p Pct) String() string {
	v := uint64(p)
	s := ""
	if p < 0 {
		s, v = "-", uint64(-p)
	}
	return s + strconv.FormatUint(v/100, 10) + "." + strconv.FormatUint(v%100/10, 10) + strconv.FormatUint(v%10, 10) + "%"
}

// Fraction is the percentage as a fraction (0.1234), only for writing a
// percentage-formatted spreadsheet cell.
func (p Pct) Fraction() float64 { return float64(p) / 10000 }

var bigTenThousand = big.NewInt(10000)

// pctOf is round(num × 10000 / den) half away from zero, exact; den must not be 0.
// A result beyond int64 saturates (a growth beyond 9×10^14 % says the same thing).
func pctOf(num, den *big.Int) Pct {
	n := new(big.Int).Mul(num, bigTenThousand)
	d := new(big.Int).Abs(den)
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	if r.Sign() != 0 && new(big.Int).Lsh(r.Abs(r), 1).Cmp(d) >= 0 {
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if den.Sign() < 0 {
		q.Neg(q)
	}
	return Pct(saturate(q))
}

// saturate returns v as int64, clamped to the int64 range.
func saturate(v *big.Int) int64 {
	if v.IsInt64() {
		return v.Int64()
	}
	if v.Sign() < 0 {
		return math.MinInt64
	}
	return math.MaxInt64
}
