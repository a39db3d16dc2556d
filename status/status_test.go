package status

import (
	"context"
	"strings"
	"testing"
	"time"

	"kam/domain"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// Gather reads each section from the store and labels it, on either database.
func TestGather(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	storetest.ForEachDBWith(t, store.Options{Now: func() time.Time { return now }}, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		refused, err := st.StartRun(ctx, "grade", "2026Q3", "manual", now.Add(-3*time.Hour))
		must(err)
		must(st.FinishRun(ctx, refused, store.RunRefused, nil, "收入不完整", now.Add(-3*time.Hour+1500*time.Millisecond)))
		failed, err := st.StartRun(ctx, "splits", "2026-10", "catch-up", now.Add(-2*time.Hour))
		must(err)
		must(st.FinishRun(ctx, failed, store.RunFailed, nil, "磁盘已满", now.Add(-2*time.Hour+75*time.Second)))
		_, err = st.RecordFile(ctx, store.FileRecord{Name: "不明.csv", SHA256: strings.Repeat("ab", 32), Outcome: store.FileRejected,
			ErrorCount: 1, StoredAs: "rejected/不明.csv", ErrorBook: "rejected/不明.csv (2).errors.xlsx",
			StartedAt: now.Add(-time.Hour), ScanID: now.Add(-time.Hour).UnixMicro()})
		must(err)
		must(st.QueueMail(ctx,
			store.Mail{Kind: "splits", Recipient: "a@example.cn", Subject: "收入分成 2026 年 9 月", MessageID: "<1@kam>", CreatedAt: now.Add(-50 * time.Minute)},
			store.Mail{Kind: "splits", Recipient: "b@example.cn", Subject: "收入分成 2026 年 10 月", MessageID: "<2@kam>", CreatedAt: now.Add(-40 * time.Minute)}))
		_, err = st.DB().ExecContext(ctx, `UPDATE outbox SET status = ?, last_error = ? WHERE recipient = ?`,
			store.MailSuperseded, "较新期间的报表已经发出，本邮件不再发送", "a@example.cn")
		must(err)

		cfg := jobs.DefaultConfig()
		cfg.Timezone = "Asia/Shanghai"
		must(cfg.Validate())
		m, err := Gather(ctx, st, cfg, now, Options{Runs: 10, Failed: 10, Mail: 10, Inbox: true,
			UnitMailboxes: func([]domain.Unit) map[string][]string { return nil },
			Tasks:         []Task{{Name: "ingest", Spec: "*/5 * * * *", Next: now.Add(5 * time.Minute)}, {Name: "splits", Spec: "0 5 6 * *"}}})
		must(err)

		if m.Now != "2026-12-01 18:00" || m.Zone != "Asia/Shanghai" || m.Dialect != st.Dialect() {
			t.Errorf("header %q %q %q", m.Now, m.Zone, m.Dialect)
		}
		if len(m.Runs) != 2 {
			t.Fatalf("runs %+v", m.Runs)
		}
		if r := m.Runs[1]; r.OutcomeLabel != "拒绝" || r.Outcome != store.RunRefused || r.JobTitle != "季度客户分级" ||
			r.PeriodLabel != "2026 年第 3 季度" || r.TriggerLabel != "手动" || r.Took != "1.5s" || r.Note != "收入不完整" ||
			r.Started != "2026-12-01 15:00" {
			t.Errorf("refused run %+v", r)
		}
		if len(m.Failed) != 1 || m.Failed[0].ID != failed || m.Failed[0].OutcomeLabel != "失败" || m.Failed[0].TriggerLabel != "补跑" ||
			m.Failed[0].Took != "1m15s" || m.Failed[0].Rerun != "kam run splits --period 2026-10" {
			t.Errorf("failed runs %+v", m.Failed)
		}
		if len(m.Files) != 1 || m.Files[0].KindLabel != "无法识别" || m.Files[0].OutcomeLabel != "已退回" ||
			m.Files[0].ErrorBook != "rejected/不明.csv (2).errors.xlsx" ||
			m.ScanAt != "2026-12-01 17:00" {
			t.Errorf("files at %q: %+v", m.ScanAt, m.Files)
		}
		if m.Units != nil {
			t.Errorf("units %+v with no unit in the store", m.Units)
		}
		if len(m.Mail) != 2 || m.Mail[0].StatusLabel != "待发" || m.Mail[0].Next != "2026-12-01 17:20" ||
			m.Mail[1].Status != store.MailSuperseded || m.Mail[1].StatusLabel != "已过时" || m.Mail[1].Next != "" {
			t.Errorf("mail %+v", m.Mail)
		}
		if m.Backlog != "待发 1 封（最早排队于 2026-12-01 17:20），死信 0 封，已发送 0 封" || m.SMTP != "未配置 smtp.host：邮件只排队，不发送。" {
			t.Errorf("backlog %q, smtp %q", m.Backlog, m.SMTP)
		}
		if len(m.Firings) != 2 || m.Firings[0] != (Firing{Name: "ingest", Title: "扫描收件目录", Spec: "*/5 * * * *", Next: "2026-12-01 18:05"}) ||
			m.Firings[1].Title != "收入分成" || m.Firings[1].Next != "" {
			t.Errorf("firings %+v", m.Firings)
		}
		if m.Archive != nil {
			t.Errorf("archive %+v without Options.Reports", m.Archive)
		}
	})
}

func TestSizeLabel(t *testing.T) {
	for n, want := range map[int64]string{812: "812 字节", 14 << 10: "14 KB", 2411724: "2.3 MB"} {
		if got := sizeLabel(n); got != want {
			t.Errorf("sizeLabel(%d) = %q, want %q", n, got, want)
		}
	}
}

// A unit's part (Options.Scope): its own reports and the files dropped in
// its folder; no runs, failures or mail, which are the whole city's, on either database.
func TestGatherUnitScope(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	storetest.ForEachDBWith(t, store.Options{Now: func() time.Time { return now }}, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		run, err := st.StartRun(ctx, "splits", "2026-10", "manual", now.Add(-time.Hour))
		must(err)
		must(st.InTx(ctx, func(tx *store.Tx) error {
			for _, u := range []string{"", "D01", "D02"} {
				if _, err := tx.ArchiveReport(store.Report{RunID: run, Job: "splits", Period: "2026-10", Unit: u,
					FileName: "splits_2026-10" + strings.TrimSuffix("_"+u, "_") + ".xlsx"}, strings.NewReader("PK "+u)); err != nil {
					return err
				}
			}
			return nil
		}))
		must(st.FinishRun(ctx, run, store.RunSucceeded, nil, "", now.Add(-time.Hour+time.Minute)))
		scan := now.Add(-30 * time.Minute).UnixMicro()
		for i, u := range []string{"", "D01", "D02"} {
			_, err := st.RecordFile(ctx, store.FileRecord{Name: "file_" + u + ".csv", SHA256: strings.Repeat(string(rune('a'+i)), 64),
				Outcome: store.FileRejected, StoredAs: "rejected/file.csv", StartedAt: now.Add(-30 * time.Minute), ScanID: scan, Unit: u})
			must(err)
		}
		must(st.QueueMail(ctx, store.Mail{Kind: "splits", Recipient: "d02@example.cn", Subject: "s", MessageID: "<1@kam>"}))
		cfg := jobs.DefaultConfig()
		must(cfg.Validate())

		m, err := Gather(ctx, st, cfg, now, Options{Runs: 10, Failed: 10, Mail: 10, Reports: 10, ReportUnit: "D02", Scope: "D01", Inbox: true,
			UnitMailboxes: func([]domain.Unit) map[string][]string { return nil }})
		must(err)
		if m.Scope != "D01" || m.Unit != "D01" || len(m.Runs) != 0 || len(m.Failed) != 0 || len(m.Mail) != 0 || m.Backlog != "" || m.Units != nil {
			t.Errorf("the unit's part holds the city's: scope %q unit %q runs %d failed %d mail %d backlog %q units %v",
				m.Scope, m.Unit, len(m.Runs), len(m.Failed), len(m.Mail), m.Backlog, m.Units)
		}
		if len(m.Files) != 1 || m.Files[0].Name != "file_D01.csv" {
			t.Errorf("files %+v, want D01's only", m.Files)
		}
		if len(m.Archive) != 1 || len(m.Archive[0].Periods) != 1 || len(m.Archive[0].Periods[0].Reports) != 1 ||
			m.Archive[0].Periods[0].Reports[0].FileName != "splits_2026-10_D01.xlsx" {
			t.Errorf("archive %+v, want D01's report only", m.Archive)
		}

		city, err := Gather(ctx, st, cfg, now, Options{Runs: 10, Failed: 10, Mail: 10, Reports: 10})
		must(err)
		if len(city.Runs) != 1 || len(city.Files) != 3 || len(city.Mail) != 1 || city.Archive[0].Periods[0].Reports[0].FileName != "splits_2026-10.xlsx" {
			t.Errorf("the city's model: runs %d files %d mail %d archive %+v", len(city.Runs), len(city.Files), len(city.Mail), city.Archive)
		}
	})
}
