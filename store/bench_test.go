package store_test

import (
	"fmt"
	"testing"
	"time"

	"kam/domain"
	"kam/store"
	"kam/store/storetest"
)

// BenchmarkPutRevenue loads 1,000,000 revenue rows in one transaction, as one
// large revenue file would, in the loader's chunk size; run with -benchtime=1x.
func BenchmarkPutRevenue(b *testing.B) {
	const rows = 1_000_000
	lines := domain.DefaultBusinessLines
	rs := make([]domain.Revenue, rows)
	for i := range rs {
		rs[i] = domain.Revenue{
			Customer: fmt.Sprintf("C%06d", i%40_000),
			Month:    domain.NewMonth(2025, time.Month(i/40_000%12+1)),
			Line:     lines[i%len(lines)],
			Unit:     fmt.Sprintf("U%03d", i%300),
			Amount:   domain.Money(i*37%1_000_000 - 20_000),
		}
	}
	benchPutRevenue(b, rs)
}

// BenchmarkPutRevenueFile is BenchmarkPutRevenue with one file's shape, as kam gen
// writes it: one month, each customer's rows together (a line each), one unit a customer.
func BenchmarkPutRevenueFile(b *testing.B) {
	const rows = 1_000_000
	lines := domain.DefaultBusinessLines
	rs := make([]domain.Revenue, rows)
	for i := range rs {
		c := i / len(lines)
		rs[i] = domain.Revenue{
			Customer: fmt.Sprintf("KH%07d", c),
			Month:    domain.NewMonth(2026, 10),
			Line:     lines[i%len(lines)],
			Unit:     fmt.Sprintf("U%03d", c%300),
			Amount:   domain.Money(i*37%1_000_000 - 20_000),
		}
	}
	benchPutRevenue(b, rs)
}

// benchPutRevenue writes rs in one transaction, in the loader's chunk size, on each store.
func benchPutRevenue(b *testing.B, rs []domain.Revenue) {
	const chunk = 5_000
	rows := len(rs)
	for _, db := range []struct {
		name     string
		open     func(testing.TB) *store.Store
		loadData bool
	}{{"sqlite", storetest.OpenSQLite, false}, {"mariadb-insert", storetest.OpenMySQL, false},
		{"mariadb-loaddata", storetest.OpenMySQL, true}} {
		b.Run(db.name, func(b *testing.B) {
			s := db.open(b)
			store.UseLoadData(s, db.loadData)
			if db.loadData && !store.LoadsWithLoadData(s) {
				b.Skip("server has local_infile off")
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				err := s.InTx(ctx, func(tx *store.Tx) error {
					if _, err := tx.RecordFile(store.FileRecord{Name: "bench.csv", SHA256: fmt.Sprint("bench", i),
						Outcome: store.FileLoaded, StartedAt: time.Now()}); err != nil {
						return err
					}
					for start := 0; start < rows; start += chunk {
						if err := tx.PutRevenue(rs[start:min(start+chunk, rows)]); err != nil {
							return err
						}
					}
					return tx.FinishRevenue([]domain.MonthLine{{Month: 202501, Line: "函件"}})
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
