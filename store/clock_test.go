package store_test

import (
	"bytes"
	"testing"
	"time"

	"kam/store"
	"kam/store/storetest"
)

// The store stamps archive and outbox rows from the clock it was given, not the wall clock.
func TestStoreStampsWithTheClockPassedIn(t *testing.T) {
	day := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	storetest.ForEachDBWith(t, store.Options{Now: func() time.Time { return day }}, func(t *testing.T, s *store.Store) {
		run, err := s.StartRun(ctx, "splits", "2026-06", "manual", day)
		must(t, err)
		var rep store.Report
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if rep, err = tx.ArchiveReport(store.Report{RunID: run, Job: "splits", Period: "2026-06", FileName: "splits_2026-06.csv"}, bytes.NewReader([]byte("a,b\n"))); err != nil {
				return err
			}
			_, err = tx.QueueMail(store.Mail{ReportID: rep.ID, Kind: "splits", Recipient: "fin@example.com", Subject: "分成", MessageID: "clock.1"})
			return err
		}))
		reps, err := s.ListReports(ctx, store.ReportFilter{Job: "splits", Period: "2026-06"}, 10)
		must(t, err)
		if len(reps) != 1 || !reps[0].CreatedAt.Equal(day) {
			t.Errorf("archived report stamped %v, want %v", reps, day)
		}
		due, err := s.DueMail(ctx, day, 10)
		must(t, err)
		if len(due) != 1 || !due[0].CreatedAt.Equal(day) || !due[0].NextAttemptAt.Equal(day) {
			t.Errorf("queued mail %+v, want created and due at %v", due, day)
		}
		if early, err := s.DueMail(ctx, day.Add(-time.Second), 10); err != nil || len(early) != 0 {
			t.Errorf("mail due before the clock's time: %v %v", early, err)
		}
	})
}
