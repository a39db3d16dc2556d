package store_test

import (
	"testing"

	"kam/domain"
	"kam/store"
	"kam/store/storetest"
)

// The per-customer reads behind `kam explain` and `kam card` (one customer by
// key) give exactly that customer's part of the whole-table reads.
func TestCustomerReadsAreTheWholeTablesPart(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		customers := []domain.Customer{
			{ID: "C1", Name: "甲公司", Category: domain.Comprehensive, Status: domain.Cooperating, Territory: "U03", ManagerA: "M1", ManagerB: "M2",
				Archive: domain.Archive{Address: "东莞市莞城区", Present: domain.AllArchiveFields}},
			{ID: "C2", Name: "乙公司", Category: domain.Specialized, MainLine: "速递", Status: domain.Potential, Territory: "U03"},
			{ID: "C3", Name: "丙公司", Category: domain.Comprehensive, Status: domain.Cooperating, Territory: "U03"},
		}
		claims := []domain.Claim{
			{ID: "K1", Customer: "C1", Unit: "U03", Manager: "M1", Registered: domain.DateOf(2026, 1, 5), Confirmed: domain.DateOf(2026, 1, 31), Type: domain.Regular},
			{ID: "K2", Customer: "C2", Unit: "U02", Manager: "M2", Registered: domain.DateOf(2026, 2, 1), Type: domain.Holiday, PeriodMonths: 3},
			{ID: "K3", Customer: "C1", Unit: "U02", Manager: "M2", Registered: domain.DateOf(2026, 3, 1), Type: domain.Regular, Developed: domain.DateOf(2026, 4, 1)},
		}
		agreements := []domain.SplitAgreement{
			{ID: "A1", Customer: "C1", From: 202601, Line: "速递", Parties: []domain.SplitParty{{Unit: "U03", Ratio: 6000}, {Unit: "U02", Ratio: 4000}}},
			{ID: "A2", Customer: "C2", From: 202602, To: 202612, Parties: []domain.SplitParty{{Unit: "U02", Ratio: 10000}}},
			{ID: "A3", Customer: "C1", From: 202603, Parties: []domain.SplitParty{{Unit: "U02", Ratio: 3334}, {Unit: "U03", Ratio: 3333}, {Unit: "U01", Ratio: 3333}}},
		}
		q := domain.Quarter{Year: 2026, Q: 2}
		grades := []domain.CustomerGrade{
			{Customer: customers[0], Cumulative: 600_000_00, Level: 2, Tier: domain.Diamond, PrevTier: domain.Gold, Change: domain.ChangeUp, Responsible: "U01"},
			{Customer: customers[2], Cumulative: 0, Level: 8, Tier: domain.Ordinary, PrevTier: domain.Ordinary, Change: domain.ChangeSame, Responsible: "U03"},
		}
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			must(t, tx.PutCustomers(customers))
			must(t, tx.PutClaims(claims))
			must(t, tx.PutAgreements(agreements))
			return tx.ReplaceGrades(q, grades)
		}))
		allCustomers, err := s.Customers(ctx)
		must(t, err)
		allClaims, err := s.Claims(ctx)
		must(t, err)
		allAgreements, err := s.Agreements(ctx)
		must(t, err)
		allGrades, err := s.Grades(ctx, q)
		must(t, err)
		for _, want := range allCustomers {
			id := want.ID
			got, found, err := s.Customer(ctx, id)
			must(t, err)
			equal(t, id+" found", found, true)
			equal(t, id, got, want)

			var wantClaims []domain.Claim
			for _, c := range allClaims {
				if c.Customer == id {
					wantClaims = append(wantClaims, c)
				}
			}
			gotClaims, err := s.CustomerClaims(ctx, id)
			must(t, err)
			equal(t, id+" claims", nilIfEmpty(gotClaims), wantClaims)

			var wantAgreements []domain.SplitAgreement
			for _, a := range allAgreements {
				if a.Customer == id {
					wantAgreements = append(wantAgreements, a)
				}
			}
			gotAgreements, err := s.CustomerAgreements(ctx, id)
			must(t, err)
			equal(t, id+" agreements", nilIfEmpty(gotAgreements), wantAgreements)

			var wantGrade store.Grade
			graded := false
			for _, g := range allGrades {
				if g.Customer == id {
					wantGrade, graded = g, true
				}
			}
			gotGrade, found, err := s.CustomerGrade(ctx, q, id)
			must(t, err)
			equal(t, id+" graded", found, graded)
			equal(t, id+" grade", gotGrade, wantGrade)
		}
		_, found, err := s.Customer(ctx, "C9")
		must(t, err)
		equal(t, "unknown customer found", found, false)
		_, found, err = s.CustomerGrade(ctx, q.Prev(), "C1")
		must(t, err)
		equal(t, "ungraded quarter found", found, false)
	})
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
