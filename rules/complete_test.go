package rules

import (
	"slices"
	"testing"
	"time"

	"kam/domain"
)

func TestCompleteness(t *testing.T) {
	m := func(mon time.Month) domain.Month { return domain.NewMonth(2026, mon) }
	has := func(pairs ...any) map[domain.MonthLine]bool {
		out := map[domain.MonthLine]bool{}
		for i := 0; i < len(pairs); i += 2 {
			out[domain.MonthLine{Month: pairs[i].(domain.Month), Line: pairs[i+1].(string)}] = true
		}
		return out
	}
	lines := []string{"函件", "包裹"}
	all := func(ms ...time.Month) map[domain.MonthLine]bool {
		out := map[domain.MonthLine]bool{}
		for _, mon := range ms {
			for _, l := range lines {
				out[domain.MonthLine{Month: m(mon), Line: l}] = true
			}
		}
		return out
	}
	q3 := []domain.Month{m(7), m(8), m(9)}
	for _, tc := range []struct {
		name    string
		months  []domain.Month
		present map[domain.MonthLine]bool
		history int
		want    []Gap
	}{
		{"complete quarter", q3, all(4, 5, 6, 7, 8, 9), 3, nil},
		{"a month missing", q3, all(4, 5, 6, 7, 9), 3, []Gap{{Month: m(8)}}},
		{"nothing loaded", q3, nil, 3, []Gap{{Month: m(7)}, {Month: m(8)}, {Month: m(9)}}},
		{"a line gone after three months", q3,
			merge(all(4, 5, 6, 7, 8), has(m(9), "函件")), 3, []Gap{{Month: m(9), Line: "包裹"}}},
		{"a line with a gap before is not expected", q3,
			merge(all(4, 6, 7, 9), has(m(5), "函件"), has(m(8), "函件")), 3, nil},
		{"a new line is not expected before its history", q3,
			merge(has(m(4), "函件", m(5), "函件", m(6), "函件", m(7), "函件", m(8), "函件", m(9), "函件"), has(m(8), "包裹")), 3, nil},
		{"no history asked: only whole months", q3, merge(all(4, 5, 6, 7, 8), has(m(9), "函件")), 0, nil},
		{"history shorter", []domain.Month{m(9)}, merge(all(8), has(m(9), "函件")), 1, []Gap{{Month: m(9), Line: "包裹"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Completeness(tc.months, lines, tc.present, tc.history)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if s := (Gap{Month: m(8)}).String(); s != "2026-08（整月无收入）" {
		t.Errorf("String %q", s)
	}
	if s := (Gap{Month: m(8), Line: "包裹"}).String(); s != "2026-08 包裹" {
		t.Errorf("String %q", s)
	}
}

func merge(ms ...map[domain.MonthLine]bool) map[domain.MonthLine]bool {
	out := map[domain.MonthLine]bool{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
