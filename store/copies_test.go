package store_test

import (
	"bytes"
	"maps"
	"slices"
	"testing"
	"time"

	"kam/store"
	"kam/store/storetest"
)

// A report's copy is missing until it is marked copied, and only while no
// newer report of the same unit and file name has taken its place.
func TestPendingCopiesAreTheNewestOfTheirName(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		put := func(run int64, unit, name string) int64 {
			t.Helper()
			var rep store.Report
			must(t, s.InTx(ctx, func(tx *store.Tx) error {
				var err error
				rep, err = tx.ArchiveReport(store.Report{RunID: run, Job: "grade", Period: "2026Q2", Unit: unit, FileName: name}, bytes.NewReader([]byte(name)))
				return err
			}))
			return rep.ID
		}
		pending := func() []int64 {
			t.Helper()
			reps, err := s.PendingCopies(ctx)
			must(t, err)
			var ids []int64
			for _, r := range reps {
				ids = append(ids, r.ID)
			}
			return ids
		}
		run1 := orphanRun(t, s, "grade", "2026Q2", "manual", store.RunSucceeded)
		city1, d1old := put(run1, "", "grades_2026Q2.xlsx"), put(run1, "D1", "grades_2026Q2_D1.xlsx")
		run2 := orphanRun(t, s, "grade", "2026Q2", "manual", store.RunSucceeded)
		d1new := put(run2, "D1", "grades_2026Q2_D1.xlsx")
		d2 := put(run2, "D2", "grades_2026Q2_D1.xlsx") // another unit's folder: its own place

		// The first run's D1 copy was replaced by the second's, so it is nobody's to write.
		if got, want := pending(), []int64{city1, d1new, d2}; !slices.Equal(got, want) {
			t.Fatalf("pending %v, want %v", got, want)
		}
		missing, err := s.MissingCopies(ctx)
		must(t, err)
		if want := map[int64]int{run1: 1, run2: 2}; !maps.Equal(missing, want) {
			t.Fatalf("missing per run %v, want %v", missing, want)
		}
		must(t, s.MarkCopied(ctx, []int64{city1, d1new}, time.Now()))
		if got, want := pending(), []int64{d2}; !slices.Equal(got, want) {
			t.Fatalf("after marking: pending %v, want %v", got, want)
		}
		// A copy in place of the newest never brings an older one back.
		if got := pending(); slices.Contains(got, d1old) {
			t.Fatalf("the replaced report %d is pending again", d1old)
		}
		missing, err = s.MissingCopies(ctx)
		must(t, err)
		if want := map[int64]int{run2: 1}; !maps.Equal(missing, want) {
			t.Fatalf("after marking: missing per run %v, want %v", missing, want)
		}
	})
}

// Reports archived before kam recorded copies count as copied: an upgrade
// does not write the whole archive into the reports folder again.
func TestReportsArchivedBeforeTheUpgradeCountAsCopied(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		archive(t, s, "splits_2026-06.xlsx", []byte("old"))
		undo := []string{`DROP INDEX reports_copied`, `ALTER TABLE reports DROP COLUMN copied_at`}
		if s.Dialect() == store.MySQL {
			undo = []string{`ALTER TABLE reports DROP KEY reports_copied, DROP COLUMN copied_at`}
		}
		// A database at version 11: 00012 and every later migration are still to run.
		for _, q := range append(undo, `DELETE FROM goose_db_version WHERE version_id >= 12`) {
			_, err := s.DB().Exec(q)
			must(t, err)
		}
		must(t, s.Migrate(ctx))
		reps, err := s.PendingCopies(ctx)
		must(t, err)
		if len(reps) != 0 {
			t.Fatalf("after the upgrade %d reports wait for a copy: %+v", len(reps), reps)
		}
	})
}
