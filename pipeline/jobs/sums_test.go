package jobs

import (
	"errors"
	"math"
	"strings"
	"testing"

	"kam/domain"
	"kam/reports"
	"kam/rules"
)

// The jobs' own sums and differences are checked: each refuses naming what it added.
func TestJobSumsBeyondMoneyAreRefused(t *testing.T) {
	half := domain.Money(math.MaxInt64/2 + 1)
	row := func(id string, current domain.Money) rules.ReviewRow {
		r := rules.ReviewRow{Customer: domain.Customer{ID: id}}
		r.Current = current
		return r
	}
	for _, c := range []struct {
		name string
		err  func() error
		want string
	}{
		{"a review pack's 本期", func() error {
			_, err := summarizeReview([]rules.ReviewRow{row("G1", half), row("G2", half)}, "钻石客户用邮分析 2026-06")
			return err
		}, "无法汇总钻石客户用邮分析 2026-06 的本期收入合计"},
		{"a unit's 分成增减", func() error {
			_, err := splitActions(reports.SplitsTotals{ByUnit: map[string]domain.Money{"D01": math.MaxInt64},
				Booked: map[string]domain.Money{"D01": -1}}, nil)
			return err
		}, "无法汇总单位 D01 的分成增减"},
	} {
		err := c.err()
		if domain.KindOf(err) != domain.ERefused || !errors.Is(err, domain.ErrOverflow) || !strings.Contains(domain.Message(err), c.want) {
			t.Errorf("%s: %v; want a refusal naming %q", c.name, err, c.want)
		}
	}
	// Within Money, the same sums are exact.
	s, err := summarizeReview([]rules.ReviewRow{row("G1", half), row("G2", half), row("G3", -half)}, "钻石客户用邮分析 2026-06")
	if err != nil || s.current != half {
		t.Errorf("本期 %d, %v; want %d", s.current, err, half)
	}
	tab, err := splitActions(reports.SplitsTotals{ByUnit: map[string]domain.Money{"D01": 150}, Booked: map[string]domain.Money{"D01": 200}}, nil)
	if err != nil || len(tab.Rows) != 1 || tab.Rows[0][3] != "-0.50" {
		t.Errorf("分成增减 %v, %v", tab, err)
	}
}
