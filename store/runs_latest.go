package store

import (
	"context"
	"fmt"
	"time"
)

// MailSuperseded is the status of a report mail that a newer period's made moot.
const MailSuperseded = "superseded"

// LastSuccess is, per job, the latest period any run — manual, scheduled or
// caught up — succeeded for (periods of one job sort as text: 2026Q2,
// 2026-06, 2026-06-15). Catch-up runs only periods after it.
func (s *Store) LastSuccess(ctx context.Context) (map[string]string, error) {
	var rows []struct {
		Job    string `db:"job"`
		Period string `db:"period"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT job, MAX(period) AS period FROM job_runs
		WHERE outcome = 'succeeded' GROUP BY job`)
	if err != nil {
		return nil, fmt.Errorf("读取运行记录: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Job] = r.Period
	}
	return out, nil
}

// NewerPeriodSucceeded reports whether a run of job succeeded for a period
// after period: its reports have gone out, so an older period's must not follow.
func (t *Tx) NewerPeriodSucceeded(job, period string) (bool, error) {
	var n int
	err := t.tx.GetContext(t.ctx, &n, `SELECT COUNT(*) FROM job_runs WHERE outcome = 'succeeded' AND job = ? AND period > ?`, job, period)
	if err != nil {
		return false, fmt.Errorf("读取运行记录: %w", err)
	}
	return n > 0, nil
}

// MailSuperseded marks m, a report mail, superseded when its recipient was
// already sent the same job's report of a newer period (two instances racing
// through a catch-up can queue them out of order); such a mail never goes out.
func (s *Store) MailSuperseded(ctx context.Context, m Mail, at time.Time) (bool, error) {
	if m.ReportID == 0 {
		return false, nil
	}
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM outbox o
		JOIN reports r ON r.id = o.report_id
		JOIN reports mine ON mine.id = ?
		WHERE o.status = 'sent' AND o.recipient = ? AND r.job = mine.job AND r.period > mine.period`, m.ReportID, m.Recipient)
	if err != nil || n == 0 {
		return false, wrap(err, "检查邮件是否已过时")
	}
	err = s.Retry(ctx, "记录邮件已过时", func() error {
		_, err := s.db.ExecContext(ctx, `UPDATE outbox SET status = ?, last_error = ?, next_attempt_at = ? WHERE id = ?`,
			MailSuperseded, "较新期间的报表已经发出，本邮件不再发送", at.UTC(), m.ID)
		return err
	})
	return err == nil, wrap(err, "记录邮件已过时")
}
