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
	// MailDead is a 死信: given up after smtp.max_attempts failed attempts of its own, or at
	// once when the server refused it for good; `kam deliver --retry-dead` queues it again.
	MailDead = "dead"
	// MailHeld is a report mail waiting for the delivery window (mail.digest_at):
	// next_attempt_at is that window. It is not due: FoldDigest makes it go.
	MailHeld = "held"
	// MailFolded is a held report mail that went into a digest (digest_id); the digest is the mail that is sent.
	MailFolded = "folded"
)

// Mail is one message to one recipient in the outbox.
type Mail struct {
	ID             int64        `db:"id"`
	ReportID       int64        `db:"report_id"` // the report the mail is about; 0 for notices
	Kind           string       `db:"kind"`      // the job's name, or rejection / run-failed / digest
	Title          string       `db:"title"`     // a report mail's report, as readers name it (a digest's subject lists them)
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
	DigestID       int64        `db:"digest_id"` // the digest a folded mail went into
	Period         string       `db:"period"`    // the period of its report (HeldMail only)
}

const mailColumns = `id, COALESCE(report_id, 0) AS report_id, kind, title, recipient, subject, body_html, body_text,
	attachment_name, attachment, message_id, status, attempts, next_attempt_at, last_error, created_at, sent_at,
	COALESCE(digest_id, 0) AS digest_id`

// QueueMail adds m to the outbox in this transaction, due at once (m.CreatedAt, or now) —
// or, with m.Status MailHeld, held for the delivery window m.NextAttemptAt.
func (t *Tx) QueueMail(m Mail) (int64, error) {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = t.s.now()
	}
	status, next := MailQueued, m.CreatedAt
	if m.Status == MailHeld {
		status, next = MailHeld, m.NextAttemptAt
	}
	report := sql.NullInt64{Int64: m.ReportID, Valid: m.ReportID != 0}
	var attachment any
	if m.Attachment != nil {
		attachment = m.Attachment
	}
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO outbox (report_id, kind, title, recipient, subject, body_html, body_text,
		attachment_name, attachment, message_id, status, attempts, next_attempt_at, last_error, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, '', ?)`,
		report, m.Kind, m.Title, m.Recipient, m.Subject, m.HTML, m.Text, m.AttachmentName, attachment, m.MessageID,
		status, next.UTC(), m.CreatedAt.UTC())
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
	return ms, s.withReports(ctx, ms)
}

// withReports fills in the archived reports each mail attaches.
func (s *Store) withReports(ctx context.Context, ms []Mail) error {
	if len(ms) == 0 {
		return nil
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
		return fmt.Errorf("读取邮件附件: %w", err)
	}
	for _, l := range links {
		m := byID[l.Mail]
		m.Reports = append(m.Reports, l.Report)
	}
	return nil
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

// MailAttemptFailed records a failed attempt of the mail: it is tried again
// at next, or, when dead, given up (next is then when it died).
func (s *Store) MailAttemptFailed(ctx context.Context, id int64, errText string, next time.Time, dead bool) error {
	status := MailQueued
	if dead {
		status = MailDead
	}
	err := s.Retry(ctx, "记录邮件发送失败", func() error {
		_, err := s.db.ExecContext(ctx, `UPDATE outbox SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?
			WHERE id = ?`, status, next.UTC(), errText, id)
		return err
	})
	return wrap(err, "记录邮件发送失败")
}

// DeferDueMail records that the server could not take mail now (down, busy,
// or refusing kam's session): every queued mail due by now waits until next
// with errText as its last error, and no attempt of its own is counted. It
// returns how many mails wait.
func (s *Store) DeferDueMail(ctx context.Context, now time.Time, errText string, next time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = ?, last_error = ?
		WHERE status = 'queued' AND next_attempt_at <= ?`, next.UTC(), errText, now.UTC())
	if err != nil {
		return 0, wrap(err, "记录邮件等待服务器")
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Backlog sums up the outbox for `kam status` and /metrics.
type Backlog struct {
	Queued       int  `db:"queued"`
	Held         int  `db:"held"` // report mails waiting for the delivery window (待汇总)
	Dead         int  `db:"dead"`
	Sent         int  `db:"sent"`
	OldestQueued When `db:"oldest_queued"`
	LastSent     When `db:"last_sent"`
	NextWindow   When `db:"next_window"` // the earliest window a held mail waits for
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

// MailBacklog counts queued, held, dead and sent mail.
func (s *Store) MailBacklog(ctx context.Context) (Backlog, error) {
	var b Backlog
	err := s.db.GetContext(ctx, &b, `SELECT
		COALESCE(SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), 0) AS queued,
		COALESCE(SUM(CASE WHEN status = 'held' THEN 1 ELSE 0 END), 0) AS held,
		COALESCE(SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END), 0) AS dead,
		COALESCE(SUM(CASE WHEN status = 'sent' THEN 1 ELSE 0 END), 0) AS sent,
		MIN(CASE WHEN status = 'queued' THEN created_at END) AS oldest_queued,
		MAX(sent_at) AS last_sent,
		MIN(CASE WHEN status = 'held' THEN next_attempt_at END) AS next_window
		FROM outbox`)
	if err != nil {
		return b, fmt.Errorf("统计邮件: %w", err)
	}
	return b, nil
}

// UnsentMail lists up to n mails neither sent nor dead nor folded into a digest (queued, held, or made moot),
// newest first, without attachments; DeadMail lists the dead letters.
func (s *Store) UnsentMail(ctx context.Context, n int) ([]Mail, error) {
	var ms []Mail
	err := s.db.SelectContext(ctx, &ms, `SELECT `+mailSummary+`
		FROM outbox WHERE status NOT IN ('sent', 'dead', 'folded') ORDER BY id DESC LIMIT ?`, n)
	if err != nil {
		return nil, fmt.Errorf("读取未发邮件: %w", err)
	}
	return ms, nil
}

// mailSummary is a mail's columns without its bodies and attachment.
const mailSummary = `id, COALESCE(report_id, 0) AS report_id, kind, recipient, subject,
	attachment_name, message_id, status, attempts, next_attempt_at, last_error, created_at, sent_at`

// DeadMail lists up to n dead letters, the latest given up first (a dead
// letter's next_attempt_at is when it died), without attachments.
func (s *Store) DeadMail(ctx context.Context, n int) ([]Mail, error) {
	var ms []Mail
	err := s.db.SelectContext(ctx, &ms, `SELECT `+mailSummary+`
		FROM outbox WHERE status = 'dead' ORDER BY next_attempt_at DESC, id DESC LIMIT ?`, n)
	if err != nil {
		return nil, fmt.Errorf("读取死信: %w", err)
	}
	return ms, nil
}

// UnreportedDeadMail lists, oldest first, the dead letters no alert has
// reported yet, but those of kind except (the alerts themselves: an alert
// that could not be sent is never reported by another).
func (t *Tx) UnreportedDeadMail(except string) ([]Mail, error) {
	var ms []Mail
	err := t.tx.SelectContext(t.ctx, &ms, `SELECT `+mailSummary+` FROM outbox o
		WHERE o.status = 'dead' AND o.kind <> ?
		AND NOT EXISTS (SELECT 1 FROM outbox_dead_reported r WHERE r.outbox_id = o.id) ORDER BY o.id`, except)
	if err != nil {
		return nil, fmt.Errorf("读取未报告的死信: %w", err)
	}
	return ms, nil
}

// DeadMailReported records that an alert, queued in this transaction, reports the dead letters ids.
func (t *Tx) DeadMailReported(ids []int64, at time.Time) error {
	err := t.execBatches("INSERT INTO outbox_dead_reported (outbox_id, reported_at) VALUES", 2, "", len(ids),
		func(a []any, i int) []any { return append(a, ids[i], at.UTC()) })
	return wrap(err, "记录死信已报告")
}

// RequeueDeadMail queues the dead letters again — all, or those to recipient
// (any case) — due at once with a fresh smtp.max_attempts, and forgets that an
// alert reported them, so a second death is reported again. Dead letters of
// kind moot (alerts about dead letters, which the retry puts out of date) are
// marked superseded instead. It returns how many mails it queued.
func (s *Store) RequeueDeadMail(ctx context.Context, recipient, moot string, at time.Time) (int, error) {
	which := `status = 'dead'`
	var filter []any
	if recipient != "" {
		which += ` AND LOWER(recipient) = LOWER(?)`
		filter = []any{strings.TrimSpace(recipient)}
	}
	// args is the statement's own arguments, then the filter's.
	args := func(own ...any) []any { return append(own, filter...) }
	var n int64
	err := s.InTx(ctx, func(t *Tx) error {
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE outbox SET status = ?, last_error = ?, next_attempt_at = ?
			WHERE kind = ? AND `+which, args(MailSuperseded, "死信已重新排队，这封提醒已过时", at.UTC(), moot)...); err != nil {
			return err
		}
		if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM outbox_dead_reported WHERE outbox_id IN
			(SELECT id FROM outbox WHERE `+which+`)`, args()...); err != nil {
			return err
		}
		res, err := t.tx.ExecContext(t.ctx, `UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = ?
			WHERE `+which, args(at.UTC())...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), wrap(err, "重新排队死信")
}
