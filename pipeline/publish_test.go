package pipeline

import (
	"errors"
	"os"
	"testing"
	"time"

	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// A publish that fails after a run's own writes (grades, announcements) leaves
// none of them, and no archived report, report mail or published file.
func TestFailedPublishLeavesNothingOfTheRun(t *testing.T) {
	for _, c := range []struct {
		job, period string
		now         time.Time
		seed        func(*testing.T, *store.Store)
	}{
		{"grade", "2026Q2", time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC), seedGradeData},
		{"tender", "2026-07-15", time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC), seedTenderData},
	} {
		t.Run(c.job, func(t *testing.T) {
			storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
				c.seed(t, s)
				a := newTestApp(t, s, c.now)
				a.Cfg.Recipients.Admin = []string{"admin@example.com"}
				a.Cfg.Recipients.Reports["grades"] = []string{"ops@example.com"}
				a.Cfg.Recipients.Reports["tender"] = []string{"ops@example.com"}
				injected := errors.New("injected: connection lost mid-publish")
				a.FailPublish = func() error { return injected }
				_, err := a.RunJob(t.Context(), c.job, jobs.RunRequest{Period: c.period})
				if !errors.Is(err, injected) {
					t.Fatalf("err = %v; want the injected failure", err)
				}
				for table, where := range map[string]string{
					"grades": "", "announcements": "", "reports": "", "report_chunks": "",
					"outbox": " WHERE kind <> 'run-failed'",
				} {
					var n int
					if err := s.DB().Get(&n, "SELECT COUNT(*) FROM "+table+where); err != nil {
						t.Fatal(err)
					}
					if n != 0 {
						t.Errorf("%s holds %d rows of a run whose publish failed", table, n)
					}
				}
				var outcome string
				if err := s.DB().Get(&outcome, "SELECT outcome FROM job_runs"); err != nil || outcome != store.RunFailed {
					t.Errorf("run recorded as %q (%v), want %s", outcome, err, store.RunFailed)
				}
				if entries, _ := os.ReadDir(a.Cfg.Paths.Reports); len(entries) != 0 {
					t.Errorf("reports folder holds %d files", len(entries))
				}

				// The same run without the failure publishes everything.
				a.FailPublish = nil
				if _, err := a.RunJob(t.Context(), c.job, jobs.RunRequest{Period: c.period}); err != nil {
					t.Fatal(err)
				}
				var reports int
				if err := s.DB().Get(&reports, "SELECT COUNT(*) FROM reports"); err != nil || reports == 0 {
					t.Errorf("after a clean rerun: %d reports (%v)", reports, err)
				}
			})
		})
	}
}
