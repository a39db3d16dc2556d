package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrFolded is a fold that found one of its held mails no longer held: another
// instance folded or released it first. Nothing was written.
var ErrFolded = errors.New("待汇总的邮件已由另一个 kam 处理")

// HeldMail lists the report mails held for a delivery window, oldest first,
// with their reports' periods and attachments: every one when all is set (kam
// deliver, a window firing), else those whose window is past by now (a window
// this instance slept through, or another instance's).
func (s *Store) HeldMail(ctx context.Context, now time.Time, all bool) ([]Mail, error) {
	q := `SELECT o.id, COALESCE(o.report_id, 0) AS report_id, o.kind, o.title, o.recipient, o.subject, o.body_html, o.body_text,
		o.message_id, o.status, o.attempts, o.next_attempt_at, o.created_at, COALESCE(r.period, '') AS period
		FROM outbox o LEFT JOIN reports r ON r.id = o.report_id WHERE o.status = 'held'`
	args := []any{}
	if !all {
		q += ` AND o.next_attempt_at <= ?`
		args = append(args, now.UTC())
	}
	var ms []Mail
	if err := s.db.SelectContext(ctx, &ms, q+` ORDER BY o.id`, args...); err != nil {
		return nil, fmt.Errorf("读取待汇总的邮件: %w", err)
	}
	return ms, s.withReports(ctx, ms)
}

// Fold is one recipient's held report mails going out at a window.
type Fold struct {
	Held       []int64 // the held mails it takes, all to one recipient
	Superseded []int64 // of those, the ones a newer period's report of the same job in the fold makes moot
	// Digest is the one mail that goes instead; nil when a single mail is left, which then goes as it is.
	Digest *Mail
}

// FoldDigest makes f go in one transaction: the superseded mails are marked so,
// the others folded into the digest queued here (due at once) — or, with no
// digest, the one left queued as it is. Only mails still held are taken, all
// or none: a fold racing another instance's returns ErrFolded and writes nothing,
// so a crash before or after it, or two instances at one window, neither lose nor
// double a mail. It returns the id of the mail that now goes.
func (s *Store) FoldDigest(ctx context.Context, f Fold, at time.Time) (int64, error) {
	var sent int64
	err := s.InTx(ctx, func(t *Tx) error {
		if err := t.takeHeld(f.Superseded, MailSuperseded, "同一报表较新期间的邮件在同一封汇总中，本邮件不再发送", at); err != nil {
			return err
		}
		moot := make(map[int64]bool, len(f.Superseded))
		for _, id := range f.Superseded {
			moot[id] = true
		}
		var rest []int64
		for _, id := range f.Held {
			if !moot[id] {
				rest = append(rest, id)
			}
		}
		if f.Digest == nil {
			if len(rest) != 1 {
				return fmt.Errorf("汇总 %d 封邮件却没有汇总邮件", len(rest))
			}
			sent = rest[0]
			return t.takeHeld(rest, MailQueued, "", at)
		}
		if err := t.takeHeld(rest, MailFolded, "", at); err != nil {
			return err
		}
		id, err := t.QueueMail(*f.Digest)
		if err != nil {
			return err
		}
		sent = id
		_, err = t.tx.ExecContext(t.ctx, `UPDATE outbox SET digest_id = ? WHERE id IN (`+placeholders(len(rest))+`)`,
			append([]any{id}, int64s(rest)...)...)
		return err
	})
	if err != nil && !errors.Is(err, ErrFolded) {
		err = fmt.Errorf("汇总邮件: %w", err)
	}
	return sent, err
}

// takeHeld moves the held mails ids to status, due at at; ErrFolded when any of them is no longer held.
func (t *Tx) takeHeld(ids []int64, status, why string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	res, err := t.tx.ExecContext(t.ctx, `UPDATE outbox SET status = ?, last_error = ?, next_attempt_at = ?
		WHERE status = 'held' AND id IN (`+placeholders(len(ids))+`)`, append([]any{status, why, at.UTC()}, int64s(ids)...)...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(ids)) {
		return cmpErr(err, ErrFolded)
	}
	return nil
}

func int64s(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// cmpErr is err, or else fallback.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}
