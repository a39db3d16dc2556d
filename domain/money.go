package domain

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Money is an amount in fen (0.01 yuan). Never a float.
type Money int64

// MaxAmount is the largest amount one value may hold (SPEC §3.3): 15
// significant digits, 9,999,999,999,999.99 yuan, what a spreadsheet cell
// holds exactly. A sum of many such amounts can still exceed Money: see Sum.
const MaxAmount Money = 999_999_999_999_999

// Sum adds amounts exactly, in 128 bits, so no addition wraps; Total says
// whether the result fits in Money. The zero value is an empty sum. Every sum
// of money kam makes goes through one (SPEC §3.3: a wrapped total is never
// published).
type Sum struct {
	hi int64
	lo uint64
}

// Add adds m.
func (s *Sum) Add(m Money) {
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, uint64(m), 0)
	s.hi += int64(carry) + int64(m)>>63 // m's sign extended into the high word
}

// Sub subtracts m, exactly (m may be math.MinInt64: nothing is negated in 64 bits).
func (s *Sum) Sub(m Money) {
	var borrow uint64
	s.lo, borrow = bits.Sub64(s.lo, uint64(m), 0)
	s.hi -= int64(borrow) + int64(m)>>63
}

// Merge adds another sum, exactly (parts of one sum computed apart).
func (s *Sum) Merge(o Sum) {
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, o.lo, 0)
	s.hi += o.hi + int64(carry)
}

// Total is the sum, and false when it does not fit in Money (it is then 0).
func (s Sum) Total() (Money, bool) {
	if (s.hi == 0 && s.lo < 1<<63) || (s.hi == -1 && s.lo >= 1<<63) {
		return Money(s.lo), true
	}
	return 0, false
}

// Difference is a − b, and false when it does not fit in Money (two totals
// that each fit can still differ by more than Money holds).
func Difference(a, b Money) (Money, bool) {
	var s Sum
	s.Add(a)
	s.Sub(b)
	return s.Total()
}

// ErrOverflow is the cause of every refusal for a sum beyond Money.
var ErrOverflow = errors.New("合计超过 ±92,233,720,368,547,758.07 元")

// Overflowf refuses a run whose sum would not fit in Money, naming what it was
// adding (a noun phrase: 客户 KH0000001 2026 年 1–6 月的收入). The kind is
// ERefused: the data does not allow the run, and no wrapped number is published.
func Overflowf(what string, a ...any) error {
	return &Error{Kind: ERefused, Err: ErrOverflow,
		Msg: "无法汇总" + fmt.Sprintf(what, a...) + "：合计超出 kam 能精确计算的范围，已拒绝运行，不发布错误的数字；请检查数据中是否有写错的金额"}
}

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
