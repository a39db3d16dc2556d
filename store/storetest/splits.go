package storetest

import (
	"context"
	"fmt"
	"kam/domain"
	"kam/store"
	"testing"
	"time"
)

// SeedSplitMonth loads 300 units, split agreements shaped like gen's (a
// quarter of the customers share with a second unit, some lines with a third,
// some agreements expired) and rows revenue rows for month m, eight lines per customer.
func SeedSplitMonth(tb testing.TB, s *store.Store, m domain.Month, rows int) {
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
