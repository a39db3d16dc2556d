package store_test

import (
	"errors"
	"testing"

	"kam/domain"
	"kam/store"
	"kam/store/storetest"
)

func TestReadMonthRevenue(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		june := []domain.Revenue{
			{Customer: "C2", Month: 202606, Line: "速递", Unit: "U02", Amount: 5000},
			{Customer: "C1", Month: 202606, Line: "函件", Unit: "U03", Amount: -1250},
			{Customer: "C1", Month: 202606, Line: "包裹", Unit: "U03", Amount: 999},
			{Customer: "C9", Month: 202606, Line: "函件", Unit: "U01", Amount: 7},
			{Customer: "C1", Month: 202606, Line: "函件", Unit: "U03", Amount: 300},
		}
		may := []domain.Revenue{{Customer: "C1", Month: 202605, Line: "函件", Unit: "U03", Amount: 123456}}
		load(t, s, "revenue.csv", func(tx *store.Tx) error { return tx.PutRevenue(append(may, june...)) })

		var got []domain.Revenue
		must(t, s.ReadMonthRevenue(ctx, 202606, func(rows *store.RevenueCursor) error {
			for rows.Next() {
				got = append(got, rows.Revenue())
			}
			return rows.Err()
		}))
		// By line in byte order (函 E5 87 BD, 包 E5 8C 85, 速 E9 80 9F), then as the file listed them.
		equal(t, "rows in table order", got, []domain.Revenue{june[1], june[3], june[4], june[2], june[0]})

		called := false
		err := s.ReadMonthRevenue(ctx, 202607, func(*store.RevenueCursor) error { called = true; return nil })
		if !errors.Is(err, store.ErrNoRevenue) || called {
			t.Errorf("a month with no revenue: err %v, fn called %v; want ErrNoRevenue without a call", err, called)
		}

		stop := errors.New("stop")
		if err := s.ReadMonthRevenue(ctx, 202606, func(*store.RevenueCursor) error { return stop }); err != stop {
			t.Errorf("fn's error came back as %v", err)
		}
	})
}

// A file loading while the report reads must not change what the report sees.
func TestReadMonthRevenueIsOneSnapshot(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		load(t, s, "first.csv", func(tx *store.Tx) error {
			return tx.PutRevenue([]domain.Revenue{
				{Customer: "C1", Month: 202606, Line: "函件", Unit: "U01", Amount: 100},
				{Customer: "C2", Month: 202606, Line: "速递", Unit: "U01", Amount: 200},
			})
		})
		must(t, s.ReadMonthRevenue(ctx, 202606, func(rows *store.RevenueCursor) error {
			load(t, s, "second.csv", func(tx *store.Tx) error {
				return tx.PutRevenue([]domain.Revenue{{Customer: "C0", Month: 202606, Line: "包裹", Unit: "U02", Amount: 50}})
			})
			var n int
			var total domain.Money
			for rows.Next() {
				n++
				total += rows.Revenue().Amount
			}
			if n != 2 || total != 300 {
				t.Errorf("the cursor gave %d rows, %d fen; want the 2 rows, 300 fen stored when it began", n, total)
			}
			return rows.Err()
		}))
		n, err := storetest.RevenueCount(ctx, s)
		must(t, err)
		equal(t, "rows after both loads", n, int64(3))
	})
}

// The month's scan shrinks the SQLite page cache of the connection it borrows, and gives it back.
func TestReadMonthRevenueRestoresThePageCache(t *testing.T) {
	s := storetest.OpenSQLite(t)
	s.DB().SetMaxOpenConns(1) // so every statement below meets the same connection
	load(t, s, "revenue.csv", func(tx *store.Tx) error {
		return tx.PutRevenue([]domain.Revenue{{Customer: "C1", Month: 202606, Line: "函件", Unit: "U01", Amount: 100}})
	})
	cacheSize := func() (n int64) {
		must(t, s.DB().Get(&n, "PRAGMA cache_size"))
		return n
	}
	before := cacheSize()
	must(t, s.ReadMonthRevenue(ctx, 202606, func(rows *store.RevenueCursor) error {
		for rows.Next() {
		}
		return rows.Err()
	}))
	if after := cacheSize(); after != before || before == -2048 {
		t.Errorf("page cache %d before the scan, %d after", before, after)
	}
}
