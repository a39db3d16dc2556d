package pipeline

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"kam/config"
	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/jobs"
	"kam/store"
)

// newTestApp is an App on store s with every folder in a temp dir and the clock fixed at now.
func newTestApp(t *testing.T, s *store.Store, now time.Time) *App {
	t.Helper()
	cfg := jobs.DefaultConfig()
	dir := t.TempDir()
	cfg.Paths = config.Paths{
		Inbox:     filepath.Join(dir, "inbox"),
		Processed: filepath.Join(dir, "processed"),
		Rejected:  filepath.Join(dir, "rejected"),
		Reports:   filepath.Join(dir, "reports"),
	}
	cfg.Ingest.QuietPeriod = config.Duration{}
	cfg.Ingest.IncompleteWait = config.Duration{} // the tests' clocks stand before their files' times
	cfg.Mail.DigestAt = ""                        // one mail per report, read as such; the digest tests set a window
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return New(&core.App{Cfg: cfg, Store: s, Log: zerolog.New(zerolog.NewTestWriter(t)), Now: func() time.Time { return now }})
}

// seed writes domain values straight through the store's loader Writer, in one transaction.
func seed(t *testing.T, s *store.Store, fill func(tx *store.Tx) error) {
	t.Helper()
	if err := s.InTx(t.Context(), fill); err != nil {
		t.Fatal(err)
	}
}

// day is a test shorthand for a calendar date.
func day(y int, m time.Month, d int) domain.Date { return domain.DateOf(y, m, d) }

// registered is the registered job name (its title, period, recipients and
// figures) with run in place of its report.
func registered(name string, run func(ctx context.Context, a *core.App, period string, asOf domain.Date, out *jobs.Output) error) *jobs.Job {
	j, ok := jobs.Lookup(name)
	if !ok {
		panic("no job " + name)
	}
	job := *j
	job.Run = run
	return &job
}
