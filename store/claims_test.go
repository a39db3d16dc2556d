package store_test

import (
	"errors"
	"testing"
	"time"

	"kam/domain"
	"kam/store"
	"kam/store/storetest"
)

func TestAnnouncementsKeepEarliestListing(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		now := time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)
		d14, d15, d16, d17 := domain.DateOf(2026, 7, 14), domain.DateOf(2026, 7, 15), domain.DateOf(2026, 7, 16), domain.DateOf(2026, 7, 17)
		record := func(asOf domain.Date, claims ...string) int64 {
			t.Helper()
			run, err := s.StartRun(ctx, "tender", asOf.String(), "manual", now)
			must(t, err)
			must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.RecordAnnouncement(asOf, run, claims) }))
			return run
		}
		before := func(asOf domain.Date) map[string]bool {
			t.Helper()
			got, err := s.AnnouncedBefore(ctx, asOf)
			must(t, err)
			return got
		}
		run1 := record(d15, "k1", "k2")
		equal(t, "before the first day", before(d15), map[string]bool{})
		equal(t, "the day after", before(d16), map[string]bool{"k1": true, "k2": true})

		// A failed publish leaves nothing behind: the transaction rolls back.
		err := s.InTx(ctx, func(tx *store.Tx) error {
			must(t, tx.RecordAnnouncement(d16, 999, []string{"k9"}))
			return errors.New("publish failed")
		})
		if err == nil {
			t.Fatal("failing transaction committed")
		}
		equal(t, "after a failed publish", before(d17), map[string]bool{"k1": true, "k2": true})

		run3 := record(d17, "k1", "k2", "k3")
		// A run as of an earlier day than any listing moves that claim's first day back.
		run4 := record(d14, "k2")
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
		equal(t, "stored announcements", stored, []announced{{"k1", d15, run1}, {"k2", d14, run4}, {"k3", d17, run3}})
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
