package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Mail statuses.
const (
	MailQueued = "queued"
	MailSent   = "sent"
	MailFailed = "failed" // given up: attempts used up, or refused by the server for good
)

// Mail is one message to one recipient in the outbox.
type Mail struct {
	ID             int64        `db:"id"`
	ReportID       int64        `db:"report_id"` // the report the mail is about; 0 for notices
	Kind           string       `db:"kind"`      // the job's name, or rejection / run-failed
	Recipient      string       `db:"recipient"`
	Subject        string       `db:"subject"`
	HTML           string       `db:"body_html"`
	Text           string       `db:"body_text"`
	AttachmentName string       `db:"attachment_name"` // a file carried in the outbox itself (a rejected file's error workbook)
	Attachment     []byte       `db:"attachment"`
	Reports        []int64      `db:"-"` // archived reports attached, in order
	MessageID      string       `db:"message_id"`
	Status         string       `db:"status"`
	Attempts       int          `db:"attempts"`
	NextAttemptAt  time.Time    `db:"next_attempt_at"`
	LastError      string       `db:"last_error"`
	CreatedAt      time.Time    `db:"created_at"`
	SentAt         sql.NullTime `db:"sent_at"`
}

const mailColumns = `id, COALESCE(report_id, 0) AS report_id, kind, recipient, subject, body_html, body_text,
	attachment_name, attachment, message_id, status, attempts, next_attempt_at, last_error, created_at, sent_at`

// QueueMail adds m to the outbox in this transaction, due at once (m.CreatedAt, or now).
func (t *Tx) QueueMail(m Mail) (int64, error) {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = t.s.now()
	}
	report := sql.NullInt64{Int64: m.ReportID, Valid: m.ReportID != 0}
	var attachment any
	if m.Attachment != nil {
		attachment = m.Attachment
	}
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO outbox (report_id, kind, recipient, subject, body_html, body_text,
		attachment_name, attachment, message_id, status, attempts, next_attempt_at, last_error, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, '', ?)`,
		report, m.Kind, m.Recipient, m.Subject, m.HTML, m.Text, m.AttachmentName, attachment, m.MessageID,
		m.CreatedAt.UTC(), m.CreatedAt.UTC())
	if err != nil {
		return 0, fmt.Errorf("邮件排队（%s → %s）: %w", m.Kind, m.Recipient, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	if len(m.Reports) > 0 {
		err = t.execBatches("INSERT INTO outbox_reports (outbox_id, report_id) VALUES", 2, "", len(m.Reports),
			func(a []any, i int) []any { return append(a, id, m.Reports[i]) })
		if err != nil {
			return 0, fmt.Errorf("邮件附件排队: %w", err)
		}
	}
	return id, nil
}

// QueueMail adds mails to the outbox in a transaction of their own.
func (s *Store) QueueMail(ctx context.Context, ms ...Mail) error {
	return s.InTx(ctx, func(t *Tx) error {
		for _, m := range ms {
			if _, err := t.QueueMail(m); err != nil {
				return err
			}
		}
		return nil
	})
}

// DueMail lists up to n queued mails due by now, oldest first, with their attachments' report ids.
func (s *Store) DueMail(ctx context.Context, now time.Time, n int) ([]Mail, error) {
	var ms []Mail
	err := s.db.SelectContext(ctx, &ms, `SELECT `+mailColumns+` FROM outbox
		WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, now.UTC(), n)
	if err != nil {
		return nil, fmt.Errorf("读取待发邮件: %w", err)
	}
	if len(ms) == 0 {
		return nil, nil
	}
	byID := make(map[int64]*Mail, len(ms))
	ids := make([]any, len(ms))
	for i := range ms {
		byID[ms[i].ID] = &ms[i]
		ids[i] = ms[i].ID
	}
	var links []struct {
		Mail   int64 `db:"outbox_id"`
		Report int64 `db:"report_id"`
	}
	q := `SELECT outbox_id, report_id FROM outbox_reports WHERE outbox_id IN (` +
		strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + `) ORDER BY outbox_id, report_id`
	if err := s.db.SelectContext(ctx, &links, q, ids...); err != nil {
		return nil, fmt.Errorf("读取邮件附件: %w", err)
	}
	for _, l := range links {
		m := byID[l.Mail]
		m.Reports = append(m.Reports, l.Report)
	}
	return ms, nil
}

// MailSent records that the server accepted m.
func (s *Store) MailSent(ctx context.Context, id int64, at time.Time) error {
	// Run again on a conflict: a sent mail not recorded would go out twice.
	err := s.Retry(ctx, "记录邮件已发送", func() error {
		_, err := s.db.ExecContext(ctx, `UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = ''
			WHERE id = ?`, at.UTC(), id)
		return err
	})
	return wrap(err, "记录邮件已发送")
}

// MailAttemptFailed records a failed attempt: the mail is tried again at next,
// or, when final, given up.
func (s *Store) MailAttemptFailed(ctx context.Context, id int64, errText string, next time.Time, final bool) error {
	status := MailQueued
	if final {
		status = MailFailed
	}
	err := s.Retry(ctx, "记录邮件发送失败", func() error {
		_, err := s.db.ExecContext(ctx, `UPDATE outbox SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?
			WHERE id = ?`, status, next.UTC(), errText, id)
		return err
	})
	return wrap(err, "记录邮件发送失败")
}

// Backlog sums up the outbox for `kam status`.
type Backlog struct {
	Queued       int  `db:"queued"`
	Failed       int  `db:"failed"`
	Sent         int  `db:"sent"`
	OldestQueued When `db:"oldest_queued"`
	LastSent     When `db:"last_sent"`
}

// When is a time that may be absent, read from an aggregate (SQLite returns those as text).
type When struct {
	time.Time
	Valid bool
}

// Scan reads NULL, a time, or SQLite's text form of one.
func (w *When) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*w = When{}
		return nil
	case time.Time:
		*w = When{v, true}
		return nil
	case []byte:
		src = string(v)
	}
	text, ok := src.(string)
	if !ok {
		return fmt.Errorf("store.When: cannot scan %T", src)
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.Parse(layout, text); err == nil {
			*w = When{t, true}
			return nil
		}
	}
	return fmt.Errorf("store.When: cannot read time %q", text)
}

// MailBacklog counts queued, failed and sent mail.
func (s *Store) MailBacklog(ctx context.Context) (Backlog, error) {
	var b Backlog
	err := s.db.GetContext(ctx, &b, `SELECT
		COALESCE(SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), 0) AS queued,
		COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS failed,
		COALESCE(SUM(CASE WHEN status = 'sent' THEN 1 ELSE 0 END), 0) AS sent,
		MIN(CASE WHEN status = 'queued' THEN created_at END) AS oldest_queued,
		MAX(sent_at) AS last_sent
		FROM outbox`)
	if err != nil {
		return b, fmt.Errorf("统计邮件: %w", err)
	}
	return b, nil
}

// UnsentMail lists up to n mails not sent (queued or given up), newest first, without attachments.
func (s *Store) UnsentMail(ctx context.Context, n int) ([]Mail, error) {
	var ms []Mail
	err := s.db.SelectContext(ctx, &ms, `SELECT id, COALESCE(report_id, 0) AS report_id, kind, recipient, subject,
		attachment_name, message_id, status, attempts, next_attempt_at, last_error, created_at, sent_at
		FROM outbox WHERE status <> 'sent' ORDER BY id DESC LIMIT ?`, n)
	if err != nil {
		return nil, fmt.Errorf("读取未发邮件: %w", err)
	}
	return ms, nil
}
