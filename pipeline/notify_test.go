package pipeline

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kam/domain"
	"kam/store"
	"kam/store/storetest"
)

func TestPeriodLabels(t *testing.T) {
	for _, c := range [][3]string{
		{"grade", "2026Q2", "2026 年第 2 季度"},
		{"splits", "2026-06", "2026 年 6 月"},
		{"review-gold", "2026-06", "2026 年 5—6 月"},
		{"tender", "2026-07-15", "2026 年 7 月 15 日"},
		{"other", "whatever", "whatever"},
	} {
		if got := PeriodLabel(c[0], c[1]); got != c[2] {
			t.Errorf("PeriodLabel(%s, %s) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

// When another instance's scheduled run of the same period commits first, this run's archive, mail
// and report files all roll back together, and no one is told of a failure that is not one.
func TestLosingRunLeavesNoReportsOrMail(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, time.Date(2026, 7, 6, 5, 0, 0, 0, time.UTC))
		a.Cfg.Recipients.Splits = []string{"finance@example.com"}
		a.Cfg.Recipients.Admin = []string{"admin@example.com"}
		job := splitsJob(100, 100)
		run := job.Run
		job.Run = func(ctx context.Context, a *App, period string, asOf domain.Date, out *Output) error {
			// The other instance finishes the same period meanwhile (its lock was lost, say).
			id, err := a.Store.StartRun(ctx, "splits", period, TriggerSchedule, time.Now())
			if err != nil {
				return err
			}
			if err := a.Store.InTx(ctx, func(tx *store.Tx) error { return tx.SucceedRun(id, nil, "", time.Now()) }); err != nil {
				return err
			}
			return run(ctx, a, period, asOf, out)
		}
		_, err := a.runJob(t.Context(), job, RunRequest{Period: "2026-06", Trigger: TriggerSchedule})
		if !errors.Is(err, store.ErrAlreadySucceeded) {
			t.Fatalf("err = %v, want ErrAlreadySucceeded", err)
		}
		var reports, mails int
		mustDo(t, s.DB().Get(&reports, "SELECT COUNT(*) FROM reports"))
		mustDo(t, s.DB().Get(&mails, "SELECT COUNT(*) FROM outbox"))
		entries, _ := os.ReadDir(a.Cfg.Paths.Reports)
		if reports != 0 || mails != 0 || len(entries) != 0 {
			t.Errorf("the losing run left %d reports, %d mails, %d files", reports, mails, len(entries))
		}
		wantEqual(t, "runs", runOutcomes(t, s), []string{"splits 2026-06 schedule failed", "splits 2026-06 schedule succeeded"})
	})
}

func TestFailedManualRunTellsTheAdministrator(t *testing.T) {
	s := storetest.OpenSQLite(t)
	a := newTestApp(t, s, time.Date(2026, 7, 10, 3, 0, 0, 0, time.UTC))
	a.Cfg.Recipients.Admin = []string{"admin@example.com", "boss@example.com"}
	job := Job{Name: "grade", Period: quarterPeriod, Run: func(ctx context.Context, a *App, period string, asOf domain.Date, out *Output) error {
		return out.AddFile("grade.xlsx", func(w io.Writer) error { return errors.New("磁盘已满") })
	}}
	_, err := a.runJob(t.Context(), job, RunRequest{Period: "2026Q2"})
	if err == nil {
		t.Fatal("the run did not fail")
	}
	var mails []store.Mail
	mustDo(t, s.DB().Select(&mails, "SELECT recipient, subject, body_text, message_id FROM outbox ORDER BY id"))
	if len(mails) != 2 || mails[0].Recipient != "admin@example.com" || mails[0].Subject != "kam 作业失败：季度客户分级 · 2026 年第 2 季度" {
		t.Fatalf("mails: %+v", mails)
	}
	for _, want := range []string{"磁盘已满", "kam run grade --period 2026Q2", "手动"} {
		if !strings.Contains(mails[0].Text, want) {
			t.Errorf("admin mail lacks %q:\n%s", want, mails[0].Text)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(a.Cfg.Paths.Reports, "*")); len(files) != 0 {
		t.Errorf("a failed run published %v", files)
	}
}
