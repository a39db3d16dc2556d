package store_test

import (
	"testing"
	"time"

	"kam/domain"
	"kam/store"
	"kam/store/storetest"
)

func TestAnnouncementsKeepFirstListingAndForgetFailedRuns(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		now := time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)
		d15, d16, d17 := domain.DateOf(2026, 7, 15), domain.DateOf(2026, 7, 16), domain.DateOf(2026, 7, 17)

		run1, err := s.StartRun(ctx, "tender", "2026-07-15", "manual", now)
		must(t, err)
		must(t, s.RecordAnnouncement(ctx, d15, run1, []string{"k1", "k2"}))
		must(t, s.FinishRun(ctx, run1, "succeeded", nil, "", now))

		// A later run lists k1 again and k3 for the first time, then fails to publish.
		run2, err := s.StartRun(ctx, "tender", "2026-07-16", "manual", now)
		must(t, err)
		must(t, s.RecordAnnouncement(ctx, d16, run2, []string{"k1", "k3"}))
		got, err := s.Announced(ctx)
		must(t, err)
		equal(t, "announced while run 2 runs", got, map[string]bool{"k1": true, "k2": true, "k3": true})
		must(t, s.FinishRun(ctx, run2, "failed", nil, "publish failed", now))
		got, err = s.Announced(ctx)
		must(t, err)
		equal(t, "announced after run 2 failed", got, map[string]bool{"k1": true, "k2": true})

		run3, err := s.StartRun(ctx, "tender", "2026-07-17", "manual", now)
		must(t, err)
		must(t, s.RecordAnnouncement(ctx, d17, run3, []string{"k1", "k2", "k3"}))
		var rows []struct {
			Claim string    `db:"claim_id"`
			AsOf  time.Time `db:"as_of"`
			Run   int64     `db:"run_id"`
		}
		must(t, s.DB().Select(&rows, "SELECT claim_id, as_of, run_id FROM announcements ORDER BY claim_id"))
		type announced struct {
			Claim string
			AsOf  domain.Date
			Run   int64
		}
		stored := make([]announced, len(rows))
		for i, r := range rows {
			stored[i] = announced{r.Claim, domain.DateFromTime(r.AsOf), r.Run}
		}
		equal(t, "stored announcements", stored, []announced{{"k1", d15, run1}, {"k2", d15, run1}, {"k3", d17, run3}})
	})
}

func TestCustomerRevenueSumsMonthsInRange(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		load(t, s, "revenue.csv", func(tx *store.Tx) error {
			return tx.PutRevenue([]domain.Revenue{
				{Customer: "C1", Month: 202604, Line: "函件", Unit: "U1", Amount: 10_000},
				{Customer: "C1", Month: 202605, Line: "速递", Unit: "U2", Amount: 2_050},
				{Customer: "C1", Month: 202606, Line: "函件", Unit: "U1", Amount: -50},
				{Customer: "C2", Month: 202606, Line: "函件", Unit: "U1", Amount: 0},
				{Customer: "C3", Month: 202607, Line: "函件", Unit: "U1", Amount: 99},
			})
		})
		got, err := s.CustomerRevenue(ctx, 202605, 202606)
		must(t, err)
		equal(t, "May–June", got, map[string]domain.Money{"C1": 2_000, "C2": 0})
		got, err = s.CustomerRevenue(ctx, 202608, 202608)
		must(t, err)
		equal(t, "a month with no rows", got, map[string]domain.Money{})
	})
}

func TestLatestGradedQuarter(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		q2 := domain.Quarter{Year: 2026, Q: 2}
		if _, ok, err := s.LatestGradedQuarter(ctx, q2); err != nil || ok {
			t.Fatalf("no grades: ok %v, err %v", ok, err)
		}
		grade := []domain.CustomerGrade{{Customer: domain.Customer{ID: "C1"}, Level: 8, Tier: domain.Ordinary, Change: domain.ChangeNew}}
		for _, q := range []domain.Quarter{{Year: 2025, Q: 4}, {Year: 2026, Q: 1}, {Year: 2026, Q: 3}} {
			must(t, s.ReplaceGrades(ctx, q, grade))
		}
		got, ok, err := s.LatestGradedQuarter(ctx, q2)
		must(t, err)
		equal(t, "latest up to 2026Q2", got, domain.Quarter{Year: 2026, Q: 1})
		equal(t, "found", ok, true)
		got, _, err = s.LatestGradedQuarter(ctx, domain.Quarter{Year: 2027, Q: 1})
		must(t, err)
		equal(t, "latest up to 2027Q1", got, domain.Quarter{Year: 2026, Q: 3})
	})
}
