package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"kam/domain"
	"kam/gen"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// A fresh install with a year of history: kam serve's catch-up makes up each
// job's newest period only, and /healthz agrees that this is done (issue 24:
// it used to stay 503 naming tender's period of the day before).
func TestHealthzOnAFreshInstallAfterCatchUp(t *testing.T) {
	for _, db := range []string{"sqlite", "mariadb"} {
		t.Run(db, func(t *testing.T) {
			cfg := testConfig(t, t.TempDir())
			if db == "mariadb" {
				cfg.DB.DSN = storetest.NewMySQLDatabase(t)
			}
			def := jobs.DefaultConfig().Schedule
			cfg.Schedule.Jobs = def.Jobs // every job on the default schedule; no scan, no delivery
			cfg.Schedule.CatchUpMonths = def.CatchUpMonths
			// 14:37 in Asia/Shanghai on 8 December: tender fired at 07:30 today and every day before.
			now := time.Date(2026, 12, 8, 6, 37, 0, 0, time.UTC)
			app, c, logs := newApp(t, cfg, now)
			ctx := context.Background()
			if _, err := gen.Run(ctx, gen.Options{Out: cfg.Paths.Inbox, Customers: 60, Months: 12, Seed: 3,
				End: domain.NewMonth(2026, 11), Now: now.AddDate(0, 0, -2)}); err != nil {
				t.Fatal(err)
			}
			if _, err := app.Ingest(ctx); err != nil {
				t.Fatal(err)
			}
			k := startUnchecked(t, app, c, logs)
			var code int
			var body string
			for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if code, body = get(t, http.DefaultClient, k.Base+"/healthz"); code == http.StatusOK {
					break
				}
			}
			if code != http.StatusOK || body != "ok\n" {
				runs, _ := app.Store.RecentRuns(ctx, 20)
				t.Fatalf("/healthz after catch-up: %d %q; runs %+v\n%s", code, body, runs, logs.String())
			}
			// Catch-up ran each job once, for its newest period, and every one succeeded.
			runs, err := app.Store.RecentRuns(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			ran := map[string]int{}
			for _, r := range runs {
				ran[r.Job]++
				if r.Trigger != jobs.TriggerCatchUp || r.Outcome != store.RunSucceeded {
					t.Errorf("run %s %s: %s %s, want a succeeded catch-up", r.Job, r.Period, r.Trigger, r.Outcome)
				}
			}
			for _, j := range jobs.All() {
				if ran[j.Name] != 1 {
					t.Errorf("%s ran %d times, want once (its newest period)", j.Name, ran[j.Name])
				}
			}
			// Tender's period of yesterday never ran, and still counts as done: a later one succeeded.
			if ok, _ := app.Store.Succeeded(ctx, "tender", "2026-12-07"); ok {
				t.Error("tender 2026-12-07 ran; catch-up should make up only 2026-12-08")
			}
			// Two days later with no run since, tender's 12-09 firing is more than a period late: 503 again.
			k.Clock.Set(now.Add(49 * time.Hour))
			if code, body := get(t, http.DefaultClient, k.Base+"/healthz"); code != http.StatusServiceUnavailable ||
				!strings.Contains(body, "tender") || !strings.Contains(body, "2026 年 12 月 9 日") {
				t.Errorf("two days later: %d %q, want 503 naming tender's 9 December", code, body)
			}
		})
	}
}
