package domain

import (
	"strconv"
	"strings"
)

// Money is an amount in fen (0.01 yuan). Never a float.
type Money int64

// Yuan formats the amount as yuan with two decimals and thousands separators: -1,234.50.
func (m Money) Yuan() string {
	neg := m < 0
	v := uint64(m)
	if neg {
		v = uint64(-m)
	}
	intPart := strconv.FormatUint(v/100, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	b.WriteByte('.')
	f := v % 100
	b.WriteByte(byte('0' + f/10))
	b.WriteByte(byte('0' + f%10))
	return b.String()
}

// Plain formats the amount as yuan with two decimals and no separators: -1234.50 (CSV for finance).
func (m Money) Plain() string {
	return strings.ReplaceAll(m.Yuan(), ",", "")
}

// Float returns yuan as float64, only for writing a numeric spreadsheet cell.
func (m Money) Float() float64 { return float64(m) / 100 }

// Ratio is a share in basis points: 10000 = 100.00%.
type Ratio int32

// FullRatio is 100.00%.
const FullRatio Ratio = 10000

// String formats the ratio as a percentage with two decimals: 33.33.
func (r Ratio) String() string {
	v := int64(r)
	s := ""
	if v < 0 {
		s, v = "-", -v
	}
	return s + strconv.FormatInt(v/100, 10) + "." + strconv.FormatInt(v%100/10, 10) + strconv.FormatInt(v%10, 10)
}
