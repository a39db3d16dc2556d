package pipeline

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"kam/config"
	"kam/domain"
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
			seedSplitMonth(b, s, 202606, rows)
			benchSplits(b, s, "2026-06")
		})
	}
}

func benchSplits(b *testing.B, s *store.Store, period string) {
	a := &App{Store: s, Log: zerolog.Nop(), Now: func() time.Time { return time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC) }}
	a.Cfg = benchConfig(b)
	var out *Output
	// Start the peak-memory count here, not at seeding (Linux: 5 resets VmHWM to the current RSS).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	b.ResetTimer()
	for b.Loop() {
		var err error
		out, err = a.RunJob(b.Context(), "splits", RunRequest{Period: period})
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
	cfg := config.Default()
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

// seedSplitMonth loads 300 units, split agreements shaped like gen's (a
// quarter of the customers share with a second unit, some lines with a third,
// some agreements expired) and rows revenue rows for month m, eight lines per customer.
func seedSplitMonth(tb testing.TB, s *store.Store, m domain.Month, rows int) {
	tb.Helper()
	ctx := context.Background()
	const nUnits = 300
	units := make([]domain.Unit, nUnits)
	for i := range units {
		units[i] = domain.Unit{Code: fmt.Sprintf("U%03d", i), Name: fmt.Sprintf("第%d营业部", i), Kind: domain.District}
	}
	lines := domain.DefaultBusinessLines
	customers := (rows + len(lines) - 1) / len(lines)
	var agreements []domain.SplitAgreement
	for c := 0; c < customers; c += 4 {
		id := fmt.Sprintf("KH%07d", c)
		u := func(k int) string { return units[(c*7+k*13)%nUnits].Code }
		agreements = append(agreements, domain.SplitAgreement{ID: "XY" + id, Customer: id, From: m.AddMonths(-c % 24),
			Parties: []domain.SplitParty{{Unit: u(0), Ratio: 6666}, {Unit: u(1), Ratio: 3334}}})
		if c%12 == 0 {
			agreements = append(agreements, domain.SplitAgreement{ID: "XS" + id, Customer: id, From: m.AddMonths(-1), Line: "速递",
				Parties: []domain.SplitParty{{Unit: u(2), Ratio: 5000}, {Unit: u(0), Ratio: 3333}, {Unit: u(3), Ratio: 1667}}})
		}
		if c%20 == 0 {
			agreements = append(agreements, domain.SplitAgreement{ID: "XE" + id, Customer: id, From: m.AddMonths(-30),
				To: m.AddMonths(-1), Line: "包裹", Parties: []domain.SplitParty{{Unit: u(4), Ratio: 10000}}})
		}
	}
	err := s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.PutUnits(units); err != nil {
			return err
		}
		if err := tx.PutAgreements(agreements); err != nil {
			return err
		}
		if _, err := tx.RecordFile(store.FileRecord{Name: "revenue.csv", SHA256: fmt.Sprintf("bench-%d-%d", m, rows),
			Kind: domain.KindRevenue, Outcome: store.FileLoaded, StartedAt: time.Now()}); err != nil {
			return err
		}
		chunk := make([]domain.Revenue, 0, 5000)
		for i := 0; i < rows; i++ {
			c := i / len(lines)
			chunk = append(chunk, domain.Revenue{
				Customer: fmt.Sprintf("KH%07d", c), Month: m, Line: lines[i%len(lines)],
				Unit:   units[(c*7+i%3)%nUnits].Code,
				Amount: domain.Money((int64(i)*7919)%5_000_000 - 5_000),
			})
			if len(chunk) == cap(chunk) || i == rows-1 {
				if err := tx.PutRevenue(chunk); err != nil {
					return err
				}
				chunk = chunk[:0]
			}
		}
		pairs := make([]domain.MonthLine, len(lines))
		for i, l := range lines {
			pairs[i] = domain.MonthLine{Month: m, Line: l}
		}
		return tx.FinishRevenue(pairs)
	})
	if err != nil {
		tb.Fatal(err)
	}
}
