package jobs

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"kam/config"
	"kam/domain"
	"kam/pipeline/core"
	"kam/rules"
	"kam/store"
	"kam/store/storetest"
)

// Explain and the card read one customer by key; the grading they take from
// it (gradingInForceOf) is, for every customer, exactly its entry in the whole
// grading in force (gradingInForce): computed now and stored.
func TestOneCustomersGradingIsItsPartOfTheWholeGrading(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		cfg := DefaultConfig()
		dir := t.TempDir()
		cfg.Paths = config.Paths{Inbox: filepath.Join(dir, "inbox"), Processed: filepath.Join(dir, "processed"),
			Rejected: filepath.Join(dir, "rejected"), Reports: filepath.Join(dir, "reports")}
		a := &core.App{Cfg: cfg, Store: s, Log: zerolog.New(zerolog.NewTestWriter(t)),
			Now: func() time.Time { return time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC) }}
		const yuan = domain.Money(100)
		customers := []domain.Customer{
			{ID: "A", Name: "甲", Category: domain.Comprehensive, Status: domain.Cooperating, Territory: "T1"},
			{ID: "B", Name: "乙", Category: domain.Specialized, MainLine: "包裹", Status: domain.Cooperating, Territory: "D1"},
			{ID: "C", Name: "丙", Category: domain.Comprehensive, Status: domain.Potential, Territory: "D1"},   // 潜在 with revenue
			{ID: "D", Name: "丁", Category: domain.Comprehensive, Status: domain.Cooperating, Territory: "D1"}, // 合作, no revenue
			{ID: "E", Name: "戊", Category: domain.Comprehensive, Status: domain.Potential, Territory: "D1"},   // 潜在, none: ungraded
			{ID: "F", Name: "己", Category: domain.Specialized, MainLine: "速递", Status: domain.Cooperating},    // no centre to find
			{ID: "G", Name: "庚", Category: domain.Comprehensive, Status: domain.Cooperating, Territory: "D1"}, // a refund below zero
		}
		var rows []domain.Revenue
		add := func(c string, m domain.Month, line string, v domain.Money) {
			rows = append(rows, domain.Revenue{Customer: c, Month: m, Line: line, Unit: "D1", Amount: v})
		}
		for m := domain.Month(202601); m <= 202606; m++ {
			add("A", m, "函件", 110_000*yuan)
			add("A", m, "包裹", 40_000*yuan)
		}
		add("A", 202512, "函件", 500_000*yuan)
		add("B", 202512, "包裹", 550_000*yuan)
		add("B", 202602, "包裹", 300_000*yuan)
		add("B", 202606, "包裹", 0)
		add("C", 202605, "函件", 10_000*yuan)
		add("F", 202604, "速递", 2_000_000*yuan)
		add("G", 202603, "函件", 5_000*yuan)
		add("G", 202604, "函件", -8_000*yuan)
		add("Z", 202606, "速递", 99*yuan) // a customer not on file
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.PutUnits([]domain.Unit{
				{Code: "C0", Name: "市局大客户中心", Kind: domain.CityCenter},
				{Code: "P1", Name: "包裹专业局", Kind: domain.Professional, Line: "包裹"},
				{Code: "D1", Name: "莞城镇区局", Kind: domain.District},
				{Code: "T1", Name: "莞城营投一班", Kind: domain.Team, Parent: "D1"},
			}); err != nil {
				return err
			}
			if err := tx.PutCustomers(customers); err != nil {
				return err
			}
			if _, err := tx.RecordFile(store.FileRecord{Name: "r.csv", SHA256: "sha-r", Size: 1,
				Kind: domain.KindRevenue, Outcome: store.FileLoaded, StartedAt: time.Now()}); err != nil {
				return err
			}
			return tx.PutRevenue(rows)
		}); err != nil {
			t.Fatal(err)
		}
		compare := func(q domain.Quarter, stored bool) {
			t.Helper()
			whole, err := gradingInForce(ctx, a, q)
			if err != nil {
				t.Fatal(err)
			}
			if whole.Stored != stored {
				t.Fatalf("%s stored %v", q, whole.Stored)
			}
			cur, prev := rules.GradingSpans(q)
			for _, c := range customers {
				own, err := s.CustomerRevenueRows(ctx, c.ID, min(cur.From, prev.From), max(cur.To, prev.To))
				if err != nil {
					t.Fatal(err)
				}
				one, err := gradingInForceOf(ctx, a, q, c, own)
				if err != nil {
					t.Fatal(err)
				}
				wantTier, wantGraded := whole.Tier[c.ID]
				gotTier, gotGraded := one.Tier[c.ID]
				if one.Stored != whole.Stored || gotGraded != wantGraded || gotTier != wantTier ||
					one.Responsible[c.ID] != whole.Responsible[c.ID] || len(one.Tier) > 1 {
					t.Errorf("%s %s: one customer's grading %v %v %q %q (stored %v); the whole grading %v %v %q (stored %v)",
						q, c.ID, gotGraded, gotTier, one.Responsible[c.ID], one.Tier, one.Stored, wantGraded, wantTier, whole.Responsible[c.ID], whole.Stored)
				}
			}
		}
		for _, q := range []domain.Quarter{{Year: 2026, Q: 1}, {Year: 2026, Q: 2}} {
			compare(q, false)
			g, err := computeGrading(ctx, a, q)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.ReplaceGrades(q, g.grades) }); err != nil {
				t.Fatal(err)
			}
			compare(q, true)
		}
		// A quarter whose last month has no revenue is refused alike.
		q := domain.Quarter{Year: 2026, Q: 3}
		_, wholeErr := gradingInForce(ctx, a, q)
		_, oneErr := gradingInForceOf(ctx, a, q, customers[0], nil)
		if wholeErr == nil || oneErr == nil || wholeErr.Error() != oneErr.Error() {
			t.Errorf("ungradable quarter: whole %v; one %v", wholeErr, oneErr)
		}
	})
}
