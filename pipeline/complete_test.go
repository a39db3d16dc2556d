package pipeline

import (
	"errors"
	"strings"
	"testing"
	"time"

	"kam/domain"
	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

func TestCheckCompleteRefusesGapsUnlessAllowed(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		a.Cfg.BusinessLines = []string{"函件", "包裹"}
		base := baselineFiles(t)
		for _, n := range []string{"d_units.csv", "c_managers.csv", "b_customers.csv"} {
			drop(t, a, n, []byte(base[n]))
		}
		var b strings.Builder
		b.WriteString("客户编号,月份,业务种类,收入单位编码,收入金额\n")
		for _, m := range []string{"2026-03", "2026-04", "2026-05", "2026-06", "2026-07"} {
			b.WriteString("C001," + m + ",函件,DC,1\n")
			if m != "2026-06" {
				b.WriteString("C001," + m + ",包裹,DC,1\n")
			}
		}
		drop(t, a, "rev.csv", []byte(b.String()))
		if res := scan(t, a); res.Count(ingest.OutcomeLoaded) != 4 {
			t.Fatalf("%+v", res.Files)
		}
		m := func(mon time.Month) domain.Month { return domain.NewMonth(2026, mon) }
		ctx := t.Context()

		if w, err := jobs.CheckComplete(ctx, a.App, []domain.Month{m(3), m(4), m(5)}, false); err != nil || w != nil {
			t.Errorf("03-05: %v %v", w, err)
		}
		if _, err := jobs.CheckComplete(ctx, a.App, []domain.Month{m(5), m(6), m(7)}, false); err == nil || !strings.Contains(err.Error(), "缺少 2026-06 包裹 的收入") {
			t.Errorf("05-07 (包裹 in each of 03-05, not in 06): %v", err)
		}
		_, err := jobs.CheckComplete(ctx, a.App, []domain.Month{m(7), m(8), m(9)}, false)
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != domain.ERefused || !strings.Contains(err.Error(), "缺少 2026-08（整月无收入）、2026-09（整月无收入） 的收入") {
			t.Errorf("07-09: %v", err)
		}
		w, err := jobs.CheckComplete(ctx, a.App, []domain.Month{m(7), m(8), m(9)}, true)
		if err != nil || len(w) != 2 || !strings.Contains(w[0], "2026-08") {
			t.Errorf("allowed: %q %v", w, err)
		}
	})
}
