package domain

import (
	"strconv"
	"strings"
)

// Money is an amount in fen (0.01 yuan). Never a float.
type Money int64

// Yuan formats the amount as yuan with two decimals and thousands separators: -1,234.50.
func (m Money) Yuan() string {
	v := uint64(m)
	if m < 0 {
		v = uint64(-m)
	}
	var b strings.Builder
	if m < 0 {
		b.WriteByte('-')
	}
	writeGrouped(&b, v/100)
	f := v % 100
	b.WriteByte('.')
	b.WriteByte(byte('0' + f/10))
	b.WriteByte(byte('0' + f%10))
	return b.String()
}

// Grouped writes a count with thousands separators: 1,234,567.
func Grouped(n int64) string {
	var b strings.Builder
	v := uint64(n)
	if n < 0 {
		b.WriteByte('-')
		v = uint64(-n)
	}
	writeGrouped(&b, v)
	return b.String()
}

func writeGrouped(b *strings.Builder, v uint64) {
	digits := strconv.FormatUint(v, 10)
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
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
