package domain

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestSumIsExactAndSaysWhenItDoesNotFit(t *testing.T) {
	total := func(ms ...Money) (Money, bool) {
		var s Sum
		for _, m := range ms {
			s.Add(m)
		}
		return s.Total()
	}
	for _, c := range []struct {
		name string
		ms   []Money
		want Money
		ok   bool
	}{
		{"empty", nil, 0, true},
		{"mixed signs", []Money{150, -300, 25}, -125, true},
		{"up to the top", []Money{math.MaxInt64 - 1, 1}, math.MaxInt64, true},
		{"down to the bottom", []Money{math.MinInt64 + 1, -1}, math.MinInt64, true},
		{"one past the top", []Money{math.MaxInt64, 1}, 0, false},
		{"one past the bottom", []Money{math.MinInt64, -1}, 0, false},
		// Exact, not wrapping: an excursion past the top that comes back is a valid total, in any order.
		{"out and back", []Money{math.MaxInt64, math.MaxInt64, -math.MaxInt64}, math.MaxInt64, true},
		{"back and out", []Money{-math.MaxInt64, math.MaxInt64, math.MaxInt64}, math.MaxInt64, true},
		{"bottom twice", []Money{math.MinInt64, math.MinInt64}, 0, false},
	} {
		got, ok := total(c.ms...)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: Total = %d, %v; want %d, %v", c.name, got, ok, c.want, c.ok)
		}
	}
	// Parts summed apart merge exactly: the total does not depend on how the rows were split.
	var a, b Sum
	a.Add(math.MaxInt64)
	a.Add(math.MaxInt64)
	b.Add(-math.MaxInt64)
	b.Add(-5)
	a.Merge(b)
	if got, ok := a.Total(); !ok || got != math.MaxInt64-5 {
		t.Errorf("merged = %d, %v", got, ok)
	}
	// The report's case: 100 rows of the largest amount a row may hold still fit;
	// 9,224 of them do not.
	var s Sum
	for range 100 {
		s.Add(MaxAmount)
	}
	if got, ok := s.Total(); !ok || got != 100*MaxAmount {
		t.Errorf("100 × MaxAmount = %d, %v", got, ok)
	}
	for range 9224 - 100 {
		s.Add(MaxAmount)
	}
	if _, ok := s.Total(); ok {
		t.Error("9,224 × MaxAmount fits in Money")
	}
}

func TestOverflowfRefusesNamingTheSum(t *testing.T) {
	err := Overflowf("客户 %s %s 的收入", "KH0000001", "2026-03")
	if KindOf(err) != ERefused || !errors.Is(err, ErrOverflow) {
		t.Fatalf("kind %v, Is(ErrOverflow) %v", KindOf(err), errors.Is(err, ErrOverflow))
	}
	if msg := Message(err); !strings.Contains(msg, "无法汇总客户 KH0000001 2026-03 的收入") || !strings.Contains(msg, "拒绝") {
		t.Errorf("message %q", msg)
	}
	// What the run was doing wraps it and keeps it a refusal.
	if err := Failed(err, "汇总 %s 累计收入", "2026Q1"); KindOf(err) != ERefused || !strings.Contains(Message(err), "KH0000001") {
		t.Errorf("wrapped: kind %v, %q", KindOf(err), Message(err))
	}
}

func TestSubAndDifferenceAreExact(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b Money
		want Money
		ok   bool
	}{
		{"small", 150, 300, -150, true},
		{"a refund taken off", 100, -25, 125, true},
		{"to the top", math.MaxInt64 - 1, -1, math.MaxInt64, true},
		{"to the bottom", math.MinInt64 + 1, 1, math.MinInt64, true},
		{"one past the top", math.MaxInt64, -1, 0, false},
		{"one past the bottom", math.MinInt64, 1, 0, false},
		{"the bottom taken off itself", math.MinInt64, math.MinInt64, 0, true},
		{"the bottom taken off zero", 0, math.MinInt64, 0, false}, // −MinInt64 is beyond the top
		{"the bottom taken off minus one", -1, math.MinInt64, math.MaxInt64, true},
		{"opposite totals", math.MaxInt64, math.MinInt64 + 1, 0, false},
	} {
		got, ok := Difference(c.a, c.b)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: Difference(%d, %d) = %d, %v; want %d, %v", c.name, c.a, c.b, got, ok, c.want, c.ok)
		}
	}
	// Sub undoes Add, whatever came between.
	var s Sum
	s.Add(math.MaxInt64)
	s.Add(math.MaxInt64)
	s.Sub(math.MaxInt64)
	s.Sub(math.MinInt64)
	s.Add(math.MinInt64)
	if got, ok := s.Total(); !ok || got != math.MaxInt64 {
		t.Errorf("add, add, sub, sub, add = %d, %v; want MaxInt64", got, ok)
	}
}
