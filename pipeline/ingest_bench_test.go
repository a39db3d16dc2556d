package pipeline

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"kam/config"
	"kam/domain"
	"kam/gen"
	"kam/pipeline/core"
	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// BenchmarkIngestRevenue is kam ingest's revenue path end to end, in-process
// (for pprof): `kam gen` data of 20,000 customers x 3 months, reference data
// loaded first and not timed, then the three revenue CSVs (one GB18030) in one
// scan — open, parse, check, write, impact, replace, commit. On SQLite, and on
// MariaDB when KAM_TEST_MYSQL_DSN is set. Run with -benchtime=1x:
//
//	go test ./pipeline/ -run '^$' -bench IngestRevenue -benchtime 1x -cpuprofile cpu.prof
func BenchmarkIngestRevenue(b *testing.B) {
	src := b.TempDir()
	sum, err := gen.Run(b.Context(), gen.Options{Out: src, Customers: 20000, Months: 3, Seed: 1, End: domain.NewMonth(2026, time.October)})
	if err != nil {
		b.Fatal(err)
	}
	rows := sum.Rows[domain.KindRevenue]
	for _, db := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.OpenSQLite}, {"mariadb", storetest.OpenMySQL}} {
		b.Run(db.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				a := benchIngestApp(b, db.open(b))
				copyMatching(b, src, a.Cfg.Paths.Inbox, "*.xlsx")
				if _, err := a.Ingest(b.Context()); err != nil {
					b.Fatal(err)
				}
				copyMatching(b, src, a.Cfg.Paths.Inbox, "revenue_*.csv")
				b.StartTimer()
				res, err := a.Ingest(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				for _, f := range res.Files {
					if f.Outcome != ingest.OutcomeLoaded {
						b.Fatalf("%s: %s", f.Name, f.Outcome)
					}
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// benchIngestApp is an App on s with its folders in a temp dir, no quiet period and today's clock.
func benchIngestApp(b *testing.B, s *store.Store) *App {
	cfg := jobs.DefaultConfig()
	dir := b.TempDir()
	cfg.Paths = config.Paths{Inbox: filepath.Join(dir, "inbox"), Processed: filepath.Join(dir, "processed"),
		Rejected: filepath.Join(dir, "rejected"), Reports: filepath.Join(dir, "reports")}
	cfg.Ingest.QuietPeriod = config.Duration{}
	cfg.Ingest.IncompleteWait = config.Duration{} // the tests' clocks stand before their files' times
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(cfg.Paths.Inbox, 0o755); err != nil {
		b.Fatal(err)
	}
	return New(&core.App{Cfg: cfg, Store: s, Log: zerolog.Nop(), Now: time.Now})
}

func copyMatching(b *testing.B, from, to, pattern string) {
	names, err := filepath.Glob(filepath.Join(from, pattern))
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, filepath.Base(n)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}
