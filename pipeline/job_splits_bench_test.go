package pipeline

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"kam/config"
	"kam/pipeline/core"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// BenchmarkSplitsJob splits a month already loaded into a store (1,600,000 rows
// is the target: ≤ 20 s, ≤ 300 MB): KAM_BENCH_DSN (MySQL) or KAM_BENCH_SQLITE
// (a kam.db path) names the store, KAM_BENCH_PERIOD the month. Run with
// -run '^$' -bench SplitsJob$ -benchtime 1x.
func BenchmarkSplitsJob(b *testing.B) {
	period := os.Getenv("KAM_BENCH_PERIOD")
	if period == "" {
		b.Skip("set KAM_BENCH_PERIOD, and KAM_BENCH_DSN or KAM_BENCH_SQLITE")
	}
	benchSplits(b, benchStore(b), period)
}

// BenchmarkSplitsJobSeeded seeds a month of KAM_BENCH_ROWS revenue rows
// (default 200,000) through Tx.PutRevenue, then times the job on SQLite and,
// with KAM_TEST_MYSQL_DSN set, MariaDB.
func BenchmarkSplitsJobSeeded(b *testing.B) {
	rows := 200_000
	if v := os.Getenv("KAM_BENCH_ROWS"); v != "" {
		var err error
		if rows, err = strconv.Atoi(v); err != nil {
			b.Fatalf("KAM_BENCH_ROWS: %v", err)
		}
	}
	for _, db := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.OpenSQLite}, {"mariadb", storetest.OpenMySQL}} {
		b.Run(db.name, func(b *testing.B) {
			s := db.open(b)
			storetest.SeedSplitMonth(b, s, 202606, rows)
			benchSplits(b, s, "2026-06")
		})
	}
}

func benchSplits(b *testing.B, s *store.Store, period string) {
	a := New(&core.App{Store: s, Log: zerolog.Nop(), Now: func() time.Time { return time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC) }})
	a.Cfg = benchConfig(b)
	var out *jobs.Output
	// Start the peak-memory count here, not at seeding (Linux: 5 resets VmHWM to the current RSS).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	b.ResetTimer()
	for b.Loop() {
		var err error
		out, err = a.RunJob(b.Context(), "splits", jobs.RunRequest{Period: period})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	perRun := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(out.Counts["revenue_rows"])/perRun, "rows/s")
	b.ReportMetric(float64(out.Counts["lines"]), "lines")
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
	b.Log(out.Headline)
}

// benchConfig is the default configuration with the reports folder in a temp dir.
func benchConfig(b *testing.B) config.Config {
	cfg := jobs.DefaultConfig()
	cfg.Paths.Reports = b.TempDir()
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	return cfg
}

// peakRSSMB is this process's peak resident memory (VmHWM), in MB.
func peakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
