package web

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"kam/domain"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// A report a later file changed the data of is 待更正 (SPEC §5.2) on the
// page and in /metrics, on either database, until kam re-issues it: then the
// archive shows 第 2 版 as the current one.
func TestStaleReportsOnThePageAndInMetrics(t *testing.T) {
	for _, db := range []string{store.SQLite, store.MySQL} {
		t.Run(db, func(t *testing.T) {
			cfg := testConfig(t, t.TempDir())
			if db == store.MySQL {
				cfg.DB.DSN = storetest.NewMySQLDatabase(t)
			}
			app, c, logs := newApp(t, cfg, testNow)
			seed(t, app) // splits 2026-10 issued
			k := start(t, app, c, logs)
			hc := client(t)
			login(t, k, hc, testPassword)
			ctx := context.Background()
			stale := func() float64 {
				t.Helper()
				_, body := get(t, hc, k.Base+"/metrics")
				p := expfmt.NewTextParser(model.UTF8Validation)
				fams, err := p.TextToMetricFamilies(strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				f := fams["kam_reports_stale"]
				if f == nil || f.GetType().String() != "GAUGE" {
					t.Fatalf("/metrics lacks kam_reports_stale: %v", f)
				}
				for _, m := range f.GetMetric() {
					if m.GetLabel()[0].GetValue() == "splits" {
						return m.GetGauge().GetValue()
					}
				}
				t.Fatal("no kam_reports_stale series for splits")
				return 0
			}
			if n := stale(); n != 0 {
				t.Fatalf("待更正 before any correction: %v", n)
			}
			// A later file adds October revenue the splits read.
			if err := app.Store.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.RecordFile(store.FileRecord{Name: "revenue_2026-10_补录.csv", SHA256: "late", Size: 1,
					Kind: domain.KindRevenue, Outcome: store.FileLoaded, StartedAt: testNow}); err != nil {
					return err
				}
				return tx.PutRevenue([]domain.Revenue{{Customer: "KH0000001", Month: 202610, Line: "函件", Unit: "DG000", Amount: 100_000}})
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := jobs.MarkStale(ctx, app.App); err != nil {
				t.Fatal(err)
			}
			if n := stale(); n != 1 {
				t.Errorf("待更正 after the late file: %v, want 1", n)
			}
			_, page := get(t, hc, k.Base+"/")
			for _, want := range []string{"待更正的报表", "收入 2026-10 函件 由 revenue_2026-10_补录.csv 替换", "kam run splits --period 2026-10", "第 1 版（当前）"} {
				if !strings.Contains(page, want) {
					t.Errorf("the page does not say %q", want)
				}
			}
			if _, err := app.ReissueStale(ctx); err != nil {
				t.Fatal(err)
			}
			if n := stale(); n != 0 {
				t.Errorf("待更正 after the re-issue: %v", n)
			}
			_, page = get(t, hc, k.Base+"/")
			if strings.Contains(page, "待更正的报表") || !strings.Contains(page, "第 2 版（当前）") || !strings.Contains(page, "第 1 版<") {
				t.Errorf("after the re-issue the page should show 第 2 版 current, 第 1 版 not, and nothing 待更正")
			}
		})
	}
}
