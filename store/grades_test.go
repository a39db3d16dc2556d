package store_test

import (
	"fmt"
	"testing"

	"kam/domain"
	"kam/rules"
	"kam/store"
	"kam/store/storetest"
)

func rev(customer string, month domain.Month, line string, amount domain.Money) domain.Revenue {
	return domain.Revenue{Customer: customer, Month: month, Line: line, Unit: "U03", Amount: amount}
}

func TestGradingRevenue(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		load(t, s, "revenue.csv", func(tx *store.Tx) error {
			return tx.PutRevenue([]domain.Revenue{
				rev("A", 202412, "函件", 1), // before every range asked for below
				rev("A", 202501, "函件", 10), rev("A", 202512, "包裹", 20),
				rev("A", 202601, "函件", 100), rev("A", 202601, "包裹", 200), rev("A", 202603, "函件", 300),
				rev("A", 202604, "函件", 1000), rev("A", 202606, "速递", 2000),
				rev("A", 202607, "函件", 5000),                            // after Q2
				rev("B", 202503, "函件", 70),                              // last year only
				rev("C", 202605, "函件", 40), rev("C", 202605, "包裹", -40), // a row that sums to 0 still counts
				rev("D", 202602, "函件", -15), // a net refund
			})
		})
		cases := []struct {
			q         domain.Quarter
			cum, prev map[string]domain.Money
		}{
			{domain.Quarter{Year: 2026, Q: 1},
				map[string]domain.Money{"A": 600, "D": -15},
				map[string]domain.Money{"A": 30, "B": 70}},
			{domain.Quarter{Year: 2026, Q: 2},
				map[string]domain.Money{"A": 3600, "C": 0, "D": -15},
				map[string]domain.Money{"A": 600, "D": -15}},
			{domain.Quarter{Year: 2025, Q: 4},
				map[string]domain.Money{"A": 30, "B": 70},
				map[string]domain.Money{"A": 10, "B": 70}},
			{domain.Quarter{Year: 2023, Q: 1}, map[string]domain.Money{}, map[string]domain.Money{}},
		}
		for _, c := range cases {
			cur, prev := rules.GradingSpans(c.q)
			cum, prevCum, err := s.GradingRevenue(ctx, cur, prev)
			must(t, err)
			equal(t, c.q.String()+" cumulative", cum, c.cum)
			equal(t, c.q.String()+" previous quarter-end cumulative", prevCum, c.prev)
		}
		for m, want := range map[domain.Month]bool{202606: true, 202512: true, 202608: false} {
			got, err := s.HasRevenue(ctx, m)
			must(t, err)
			equal(t, fmt.Sprint("has revenue in ", m), got, want)
		}
	})
}

func TestReplaceGrades(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		c1 := domain.Customer{ID: "C1", Name: "甲公司", Category: domain.Comprehensive, Status: domain.Cooperating, Territory: "D1"}
		c2 := domain.Customer{ID: "C2", Name: "乙公司", Category: domain.Specialized, MainLine: "包裹", Status: domain.Potential, Strategic: true}
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.PutCustomers([]domain.Customer{c1, c2}) }))
		q1, q2 := domain.Quarter{Year: 2026, Q: 1}, domain.Quarter{Year: 2026, Q: 2}
		first := []domain.CustomerGrade{
			{Customer: c1, Cumulative: 600_000_00, Level: 2, Tier: domain.Diamond, PrevTier: domain.Gold, Change: domain.ChangeUp, Responsible: "C0"},
			{Customer: c2, Cumulative: -5, Level: 8, Tier: domain.Ordinary, Change: domain.ChangeNew},
		}
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.ReplaceGrades(q1, first[:1]) }))
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.ReplaceGrades(q2, first) }))
		got, err := s.Grades(ctx, q2)
		must(t, err)
		equal(t, "stored grades", got, []store.Grade{
			{Quarter: "2026Q2", Customer: "C1", Cumulative: 600_000_00, Level: 2, Tier: domain.Diamond, PrevTier: domain.Gold, Change: "升级", Responsible: "C0"},
			{Quarter: "2026Q2", Customer: "C2", Cumulative: -5, Level: 8, Tier: domain.Ordinary, Change: "新进"},
		})

		// Grading 2026Q2 again replaces its rows and leaves 2026Q1 alone.
		again := []domain.CustomerGrade{{Customer: c2, Cumulative: 700_000_00, Level: 2, Tier: domain.Diamond, PrevTier: domain.Ordinary, Change: domain.ChangeUp, Responsible: "C0"}}
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.ReplaceGrades(q2, again) }))
		got, err = s.Grades(ctx, q2)
		must(t, err)
		equal(t, "regraded", got, []store.Grade{
			{Quarter: "2026Q2", Customer: "C2", Cumulative: 700_000_00, Level: 2, Tier: domain.Diamond, PrevTier: domain.Ordinary, Change: "升级", Responsible: "C0"},
		})
		got, err = s.Grades(ctx, q1)
		must(t, err)
		equal(t, "other quarter", len(got), 1)

		for q, want := range map[domain.Quarter]bool{q1: true, q2: true, {Year: 2026, Q: 3}: false} {
			has, err := s.HasGrades(ctx, q)
			must(t, err)
			equal(t, "has grades "+q.String(), has, want)
		}
	})
}

func TestLineRevenue(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		// More customers than one query names, so the chunks must add up.
		const n = 1234
		var rows []domain.Revenue
		var ids []string
		for i := range n {
			id := fmt.Sprintf("C%04d", i)
			ids = append(ids, id)
			rows = append(rows, rev(id, 202606, "函件", domain.Money(i)), rev(id, 202606, "函件", 1), rev(id, 202605, "包裹", 7))
		}
		rows = append(rows, rev("C0001", 202604, "函件", 99), rev("C0001", 202607, "函件", 99), rev("X", 202606, "函件", 5))
		load(t, s, "revenue.csv", func(tx *store.Tx) error { return tx.PutRevenue(rows) })

		got, err := s.LineRevenue(ctx, ids, 202605, 202606)
		must(t, err)
		equal(t, "rows", len(got), 2*n)
		type key struct {
			customer string
			month    domain.Month
			line     string
		}
		byKey := map[key]domain.Money{}
		for _, r := range got {
			if r.Unit != "" {
				t.Errorf("row %+v names a unit; the sum is over every unit", r)
			}
			byKey[key{r.Customer, r.Month, r.Line}] += r.Amount
		}
		equal(t, "C0000 June 函件", byKey[key{"C0000", 202606, "函件"}], domain.Money(1))
		equal(t, "C1233 June 函件", byKey[key{"C1233", 202606, "函件"}], domain.Money(1234))
		equal(t, "C0700 May 包裹", byKey[key{"C0700", 202605, "包裹"}], domain.Money(7))
		if _, ok := byKey[key{"X", 202606, "函件"}]; ok {
			t.Error("a customer not asked for was returned")
		}
		none, err := s.LineRevenue(ctx, nil, 202605, 202606)
		must(t, err)
		equal(t, "no customers", len(none), 0)
	})
}
