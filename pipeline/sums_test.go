package pipeline

import (
	"errors"
	"strings"
	"testing"
	"time"

	"kam/domain"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// seedNearTheLimit stores a June of 5,000 rows of the largest amount a row may
// hold in each of 函件 and 包裹 for customer KH0000001: each (month, line) fits
// in Money, as ingest requires; the month's and the quarter's totals do not.
func seedNearTheLimit(t *testing.T, s *store.Store) {
	t.Helper()
	seed(t, s, func(tx *store.Tx) error {
		if err := tx.PutUnits([]domain.Unit{
			{Code: "U00", Name: "市局大客户中心", Kind: domain.CityCenter},
			{Code: "ZQ14", Name: "虎门镇区局", Kind: domain.District},
		}); err != nil {
			return err
		}
		return tx.PutCustomers([]domain.Customer{{ID: "KH0000001", Name: "东莞某制造有限公司", Category: domain.Comprehensive,
			Status: domain.Cooperating, Territory: "ZQ14"}})
	})
	var rows []domain.Revenue
	for _, line := range []string{"函件", "包裹"} {
		for range 5_000 {
			rows = append(rows, domain.Revenue{Customer: "KH0000001", Month: 202606, Line: line, Unit: "ZQ14", Amount: domain.MaxAmount})
		}
	}
	seedRevenue(t, s, "revenue-near-the-limit.csv", rows)
}

// A splits run whose month adds up beyond Money is refused (拒绝), naming what
// it was adding, and publishes nothing; kam explain refuses the same way.
func TestRunsOverAmountsNearTheLimitRefuseNamingTheSum(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedNearTheLimit(t, s)
		a := newTestApp(t, s, time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC))

		out, err := a.RunJob(t.Context(), "splits", jobs.RunRequest{Period: "2026-06"})
		if !errors.Is(err, domain.ErrOverflow) {
			t.Errorf("splits: %v; want the overflow refusal", err)
		}
		wantRefused(t, s, err, "无法汇总收入分成 2026-06 的收入合计（10000 行）", "已拒绝运行")
		if out != nil && len(out.Paths) > 0 {
			t.Errorf("published %v", out.Paths)
		}
		var archived int
		if err := s.DB().Get(&archived, "SELECT COUNT(*) FROM reports"); err != nil || archived != 0 {
			t.Errorf("%d reports archived (%v)", archived, err)
		}

		// The id as typed in lower case is the stored customer (SPEC §3.3).
		_, err = a.Explain(t.Context(), "kh0000001", "2026Q2")
		if domain.KindOf(err) != domain.ERefused || !errors.Is(err, domain.ErrOverflow) ||
			!strings.Contains(domain.Message(err), "无法汇总客户 KH0000001 2026-01 至 2026-06 的累计收入") {
			t.Errorf("explain: %v; want the overflow refusal naming the customer's cumulative revenue", err)
		}
	})
}

// kam explain reads the customer id as the store holds it: kh0000001 and a
// full-width ＫＨ００００００１ are KH0000001; a name is still matched as written.
func TestExplainFindsTheCustomerInAnyCase(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedGradeData(t, s)
		seed(t, s, func(tx *store.Tx) error {
			return tx.PutCustomers([]domain.Customer{{ID: "KH0000001", Name: "某新客户", Category: domain.Comprehensive,
				Status: domain.Cooperating, Territory: "D1"}})
		})
		a := newTestApp(t, s, time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC))
		for _, who := range []string{"KH0000001", "kh0000001", "ＫＨ００００００１", " kh0000001\u200b", "某新客户"} {
			e, err := a.Explain(t.Context(), who, "2026Q2")
			if err != nil {
				t.Errorf("explain %q: %v", who, err)
				continue
			}
			if e.Customer.ID != "KH0000001" {
				t.Errorf("explain %q found %s", who, e.Customer.ID)
			}
		}
		if _, err := a.Explain(t.Context(), "КН0000001", "2026Q2"); domain.KindOf(err) != domain.EInvalid { // Cyrillic К, Н
			t.Errorf("a look-alike id: %v; want not found", err)
		}
	})
}
