package web

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"kam/store"
	"kam/store/storetest"
)

// /metrics has a series of the dead letters (死信) an alert rule can watch,
// on either database; a retry takes them off it and back into the queue.
func TestMetricsCountDeadLetters(t *testing.T) {
	for _, db := range []string{store.SQLite, store.MySQL} {
		t.Run(db, func(t *testing.T) {
			cfg := testConfig(t, t.TempDir())
			if db == store.MySQL {
				cfg.DB.DSN = storetest.NewMySQLDatabase(t)
			}
			app, _, _ := newApp(t, cfg, testNow)
			ctx := context.Background()
			for i, to := range []string{"a@example.cn", "b@example.cn", "c@example.cn"} {
				if err := app.Store.QueueMail(ctx, store.Mail{Kind: "rejection", Recipient: to, Subject: "s",
					MessageID: to, CreatedAt: testNow.Add(-time.Minute)}); err != nil {
					t.Fatal(err)
				}
				if i < 2 {
					if err := app.Store.MailAttemptFailed(ctx, int64(i+1), "550 no such user", testNow, true); err != nil {
						t.Fatal(err)
					}
				}
			}
			srv, err := New(app, nil, "test")
			if err != nil {
				t.Fatal(err)
			}
			scrape := func() (dead, queued float64) {
				t.Helper()
				rec := httptestGet(srv, "/metrics")
				p := expfmt.NewTextParser(model.UTF8Validation)
				fams, err := p.TextToMetricFamilies(rec.Body)
				if err != nil {
					t.Fatal(err)
				}
				d, q := fams["kam_mail_dead_letters"], fams["kam_mail_queue_depth"]
				if d == nil || q == nil || d.GetType().String() != "GAUGE" {
					t.Fatalf("/metrics lacks the mail series: %v %v", d, q)
				}
				return d.GetMetric()[0].GetGauge().GetValue(), q.GetMetric()[0].GetGauge().GetValue()
			}
			if dead, queued := scrape(); dead != 2 || queued != 1 {
				t.Errorf("dead %v, queued %v; want 2 and 1", dead, queued)
			}
			if n, err := app.RetryDead(ctx, ""); err != nil || n != 2 {
				t.Fatalf("retry: %d %v", n, err)
			}
			if dead, queued := scrape(); dead != 0 || queued != 3 {
				t.Errorf("after the retry: dead %v, queued %v; want 0 and 3", dead, queued)
			}
		})
	}
}
