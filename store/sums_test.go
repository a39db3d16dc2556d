package store_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"kam/domain"
	"kam/rules"
	"kam/store"
	"kam/store/storetest"
)

// wantRefusedSum checks the refusal for a sum beyond int64 (SPEC §3.3), naming what was being added.
func wantRefusedSum(t *testing.T, what string, err error, names ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no refusal for a sum beyond int64", what)
		return
	}
	if domain.KindOf(err) != domain.ERefused || !errors.Is(err, domain.ErrOverflow) {
		t.Errorf("%s: kind %v, Is(ErrOverflow) %v: %v", what, domain.KindOf(err), errors.Is(err, domain.ErrOverflow), err)
	}
	for _, n := range names {
		if !strings.Contains(domain.Message(err), n) {
			t.Errorf("%s: %q does not name %q", what, domain.Message(err), n)
		}
	}
}

// half is the smallest amount two of which do not fit in int64.
const half = domain.Money(math.MaxInt64/2 + 1)

// Every SQL sum of fen is checked: SQLite's "integer overflow" and MySQL's DECIMAL beyond int64 both refuse.
func TestSQLSumsBeyondInt64AreRefused(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		march, april := domain.NewMonth(2026, 3), domain.NewMonth(2026, 4)
		load(t, s, "revenue.csv", func(tx *store.Tx) error {
			return tx.PutRevenue([]domain.Revenue{
				rev("KH1", march, "函件", half), rev("KH1", march, "函件", half), // one month, one line
				rev("KH2", march, "函件", half), rev("KH2", april, "函件", half), // two months, each fits
				rev("KH3", march, "包裹", 100),
			})
		})

		q1, q2 := domain.Quarter{Year: 2026, Q: 1}, domain.Quarter{Year: 2026, Q: 2}
		cur, prev := rules.GradingSpans(q1)
		_, _, err := s.GradingRevenue(ctx, cur, prev)
		wantRefusedSum(t, "GradingRevenue Q1", err, "2026-03")

		_, err = s.LineRevenue(ctx, []string{"KH1", "KH3"}, march, march)
		wantRefusedSum(t, "LineRevenue", err, "所选 2 户客户每月各业务种类的收入（2026-03 至 2026-03）")
		got, err := s.LineRevenue(ctx, []string{"KH2", "KH3"}, march, april) // each (month, line) fits
		must(t, err)
		equal(t, "line revenue", len(got), 3)

		_, err = s.CustomerRevenue(ctx, march, april)
		wantRefusedSum(t, "CustomerRevenue", err, "2026-03 至 2026-04")

		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.RecordFile(store.FileRecord{Name: "more.csv", SHA256: "more", Size: 1, Kind: domain.KindRevenue, Outcome: store.FileLoaded, StartedAt: time.Now()})
			must(t, err)
			_, err = tx.RevenueBefore([]domain.MonthLine{{Month: march, Line: "包裹"}})
			must(t, err)
			_, err = tx.RevenueBefore([]domain.MonthLine{{Month: march, Line: "函件"}})
			wantRefusedSum(t, "RevenueBefore", err, "已存的 2026-03 函件收入")
			return nil
		}))

		// Without KH1, every month fits in SQL, but KH2's two months together do not: the store's own addition refuses.
		_, err = s.DB().ExecContext(ctx, "DELETE FROM revenue WHERE customer_id = 'KH1'")
		must(t, err)
		cur, prev = rules.GradingSpans(q2)
		_, _, err = s.GradingRevenue(ctx, cur, prev)
		wantRefusedSum(t, "GradingRevenue Q2", err, "客户 KH2 2026-01 至 2026-06 的累计收入")
		cur, prev = rules.GradingSpans(q1)
		cum, _, err := s.GradingRevenue(ctx, cur, prev)
		must(t, err)
		equal(t, "Q1 cumulative", cum, map[string]domain.Money{"KH2": half, "KH3": 100})
	})
}

// A refund that brings a customer's total back within int64 is summed exactly by the store's own addition.
func TestGradingRevenueAddsExactly(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		load(t, s, "revenue.csv", func(tx *store.Tx) error {
			return tx.PutRevenue([]domain.Revenue{
				rev("KH1", 202601, "函件", half), rev("KH1", 202602, "函件", half), rev("KH1", 202603, "函件", -half),
			})
		})
		cur, prev := rules.GradingSpans(domain.Quarter{Year: 2026, Q: 1})
		cum, _, err := s.GradingRevenue(ctx, cur, prev)
		must(t, err)
		equal(t, "cumulative", cum, map[string]domain.Money{"KH1": half})
	})
}
