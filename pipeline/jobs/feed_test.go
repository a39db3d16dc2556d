package jobs

import (
	"kam/rules"
	"kam/store"
	"kam/store/storetest"
	"testing"
	"time"
)

// A report that fails half way stops the feed, which lets go of the cursor at once.
func TestLineFeedStopsWhenTheReportGivesUp(t *testing.T) {
	s := storetest.OpenSQLite(t)
	storetest.SeedSplitMonth(t, s, 202606, 20*feedBatch)
	index, err := rules.NewAgreementIndex(nil)
	if err != nil {
		t.Fatal(err)
	}
	err = s.ReadMonthRevenue(t.Context(), 202606, func(rows *store.RevenueCursor) error {
		feed := feedLines(index, rows, nil)
		batch, err := feed.Next()
		if err != nil || len(batch) < feedBatch {
			t.Errorf("first batch: %d lines, %v", len(batch), err)
		}
		done := make(chan struct{})
		go func() { feed.stop(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the feed did not stop")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
