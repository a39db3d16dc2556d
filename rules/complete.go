package rules

import "kam/domain"

// Gap is a hole in the revenue a period reads (SPEC §4.6): a whole month
// without revenue (Line ""), or a business line without revenue in a month
// although it had some in each of the months before.
type Gap struct {
	Month domain.Month
	Line  string // "" for the whole month
}

// String names the gap as staff read it: 2026-08 or 2026-08 包裹.
func (g Gap) String() string {
	if g.Line == "" {
		return g.Month.String() + "（整月无收入）"
	}
	return g.Month.String() + " " + g.Line
}

// Completeness lists the gaps of months (in the order given): a month with
// no revenue at all, or a line absent from a month although present in each
// of the history months before it. present holds every (month, line) with
// stored revenue, the history months before the first one included.
func Completeness(months []domain.Month, lines []string, present map[domain.MonthLine]bool, history int) []Gap {
	loaded := map[domain.Month]bool{}
	for p, ok := range present {
		if ok {
			loaded[p.Month] = true
		}
	}
	var gaps []Gap
	for _, m := range months {
		if !loaded[m] {
			gaps = append(gaps, Gap{Month: m})
			continue
		}
		for _, line := range lines {
			if present[domain.MonthLine{Month: m, Line: line}] || history <= 0 {
				continue
			}
			before := true
			for k := 1; k <= history && before; k++ {
				before = present[domain.MonthLine{Month: m.AddMonths(-k), Line: line}]
			}
			if before {
				gaps = append(gaps, Gap{Month: m, Line: line})
			}
		}
	}
	return gaps
}
