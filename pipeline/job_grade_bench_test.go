package pipeline

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"kam/config"
	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// benchStore opens the store a benchmark measures: one already loaded with
// `kam gen` data (KAM_BENCH_SQLITE = a SQLite file, or KAM_BENCH_DSN = a MySQL
// DSN), since loading 19 million rows is not part of what is measured.
func benchStore(b *testing.B) *store.Store {
	dsn, path := os.Getenv("KAM_BENCH_DSN"), os.Getenv("KAM_BENCH_SQLITE")
	if dsn == "" && path == "" {
		b.Skip("KAM_BENCH_SQLITE or KAM_BENCH_DSN must name a store loaded with kam gen data")
	}
	if dsn != "" {
		path = ""
	}
	s, err := store.Open(context.Background(), store.Options{DSN: dsn, SQLitePath: path, Log: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// benchApp is an App on s with its reports folder in a temp dir.
func benchApp(b *testing.B, s *store.Store) *App {
	cfg := jobs.DefaultConfig()
	dir := b.TempDir()
	cfg.Paths = config.Paths{Inbox: filepath.Join(dir, "inbox"), Processed: filepath.Join(dir, "processed"),
		Rejected: filepath.Join(dir, "rejected"), Reports: filepath.Join(dir, "reports")}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	return New(&core.App{Cfg: cfg, Store: s, Log: zerolog.Nop(), Now: time.Now})
}

// latestRevenueMonth is the last month with stored revenue (KAM_BENCH_MONTH overrides it).
func latestRevenueMonth(b *testing.B, s *store.Store) domain.Month {
	if v := os.Getenv("KAM_BENCH_MONTH"); v != "" {
		m, err := domain.ParseMonth(v)
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	var m int64
	if err := s.DB().Get(&m, "SELECT COALESCE(MAX(month), 0) FROM revenue"); err != nil {
		b.Fatal(err)
	}
	if m == 0 {
		b.Fatal("the bench store has no revenue")
	}
	return domain.Month(m)
}

// peakRSS is the process's peak resident memory so far in MB (Linux VmHWM; 0 elsewhere).
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkGradeJob runs `kam run grade` for the latest quarter whose last
// month is loaded (a full year of 200,000 customers is about 19 million rows):
// the aggregate, grading, storing 200,000 grades and the streamed workbook.
// Target: ≤ 20 s and ≤ 500 MB peak RSS on either store. Run with -benchtime=1x.
func BenchmarkGradeJob(b *testing.B) {
	s := benchStore(b)
	a := benchApp(b, s)
	m := latestRevenueMonth(b, s) // the quarter it ends, or else the one before
	q := m.Quarter()
	if q.LastMonth() != m {
		q = q.Prev()
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		out, err := a.RunJob(ctx, "grade", jobs.RunRequest{Period: q.String(), Trigger: jobs.TriggerManual})
		if err != nil {
			b.Fatal(err)
		}
		b.Log(out.Headline)
	}
	b.StopTimer()
	b.ReportMetric(peakRSS(), "peak-RSS-MB")
	// Counted after the peak is taken: a full count would fill a connection's page cache.
	rows, err := storetest.RevenueCount(ctx, s)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s store, %d revenue rows, graded %s", s.Dialect(), rows, q)
}

// BenchmarkReviewJobs writes the diamond and gold packs for the latest loaded
// (even) month on the same store, after grading its quarter when it is not stored.
func BenchmarkReviewJobs(b *testing.B) {
	s := benchStore(b)
	a := benchApp(b, s)
	m := latestRevenueMonth(b, s)
	gold := m
	if gold.Mon()%2 == 1 {
		gold = gold.AddMonths(-1)
	}
	ctx := context.Background()
	for _, job := range []struct {
		name   string
		period domain.Month
	}{{"review-diamond", m}, {"review-gold", gold}} {
		b.Run(job.name, func(b *testing.B) {
			for b.Loop() {
				out, err := a.RunJob(ctx, job.name, jobs.RunRequest{Period: job.period.String(), Trigger: jobs.TriggerManual})
				if err != nil {
					b.Fatal(err)
				}
				b.Log(out.Headline)
			}
		})
	}
}

// BenchmarkJob runs any job on a loaded store, for a profile of it:
// KAM_BENCH_JOB=tender KAM_BENCH_PERIOD=2026-10-31 KAM_BENCH_SQLITE=var/kam.db
// go test ./pipeline -run '^$' -bench 'Job$' -benchtime 1x -cpuprofile cpu.prof
func BenchmarkJob(b *testing.B) {
	job, period := os.Getenv("KAM_BENCH_JOB"), os.Getenv("KAM_BENCH_PERIOD")
	if job == "" || period == "" {
		b.Skip("set KAM_BENCH_JOB and KAM_BENCH_PERIOD, and KAM_BENCH_SQLITE or KAM_BENCH_DSN")
	}
	a := benchApp(b, benchStore(b))
	for b.Loop() {
		out, err := a.RunJob(b.Context(), job, jobs.RunRequest{Period: period, Trigger: jobs.TriggerManual})
		if err != nil {
			b.Fatal(err)
		}
		b.Log(out.Headline)
	}
	b.ReportMetric(peakRSS(), "peak-RSS-MB")
}
