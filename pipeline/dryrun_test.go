package pipeline

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"kam/domain"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// tableDump is every row of the tables a run writes, as text.
func tableDump(t *testing.T, s *store.Store) string {
	return dumpTables(t, s, "job_runs", "reports", "report_chunks", "announcements", "outbox", "grades")
}

// A dry run writes its workbook and records nothing; a future date needs one.
func TestDryRunRecordsNothing(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedTenderData(t, s)
		a := newTestApp(t, s, time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC))
		if _, err := a.RunJob(t.Context(), "tender", jobs.RunRequest{}); err != nil {
			t.Fatal(err)
		}
		before := tableDump(t, s)
		// Published copies have paths.file_mode: the reports folder's group reads them (SPEC §7).
		published, _ := filepath.Glob(filepath.Join(a.Cfg.Paths.Reports, "*"))
		for _, p := range published {
			if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o640 {
				t.Errorf("%s: mode %v (%v), want 0640", p, st.Mode().Perm(), err)
			}
		}

		future := jobs.RunRequest{AsOf: day(2027, 3, 1)}
		if _, err := a.RunJob(t.Context(), "tender", future); domain.KindOf(err) != domain.EInvalid {
			t.Fatalf("future as-of without --dry-run: %v; want a usage error", err)
		}
		dst := filepath.Join(t.TempDir(), "试算.xlsx")
		out, err := a.RunJob(t.Context(), "tender", jobs.RunRequest{AsOf: day(2027, 3, 1), DryRun: true, DryRunPath: dst})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Paths) != 1 || out.Paths[0] != dst || out.RunID != 0 {
			t.Errorf("dry run wrote %v (run %d), want %s and no run", out.Paths, out.RunID, dst)
		}
		if st, err := os.Stat(dst); err != nil || st.Size() == 0 {
			t.Errorf("dry-run workbook: %v", err)
		}
		if _, err := a.RunJob(t.Context(), "tender", jobs.RunRequest{AsOf: day(2027, 3, 1), DryRun: true, DryRunPath: dst}); domain.KindOf(err) != domain.EInvalid {
			t.Errorf("dry run over an existing file: %v; want a usage error", err)
		}
		wantEqual(t, "tables after the dry runs", tableDump(t, s), before)

		// The future date took no 新增 marks: the real run of a later day still has them.
		a.Now = func() time.Time { return time.Date(2026, 7, 20, 9, 0, 0, 0, time.UTC) }
		out, err = a.RunJob(t.Context(), "tender", jobs.RunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if out.Counts["new"] != 1 {
			t.Errorf("2026-07-20 after a dry run of 2027-03-01: %d new, want 1 (k3)", out.Counts["new"])
		}
	})
}
