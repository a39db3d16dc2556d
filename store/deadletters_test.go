package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"kam/store"
	"kam/store/storetest"
)

const alertKind = "dead-letters" // pipeline/mail's kind of the alert about dead letters

// Dead letters are listed, reported once per batch (the alerts themselves
// never), wait out a server that is down without an attempt counted, and are
// queued again — one recipient's, or all — with a fresh count of attempts.
func TestDeadLettersAreReportedOnceAndQueuedAgain(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		t0 := time.Date(2026, 7, 6, 5, 0, 0, 0, time.UTC)
		queue := func(kind, to, id string) int64 {
			t.Helper()
			var mid int64
			must(t, s.InTx(ctx, func(tx *store.Tx) error {
				var err error
				mid, err = tx.QueueMail(store.Mail{Kind: kind, Recipient: to, Subject: "s " + id, MessageID: id, CreatedAt: t0})
				return err
			}))
			return mid
		}
		kill := func(id int64, at time.Time) {
			t.Helper()
			must(t, s.MailAttemptFailed(ctx, id, "550 5.1.1 no such user", at, true))
		}
		a1, a2, b := queue("splits", "a@example.cn", "1"), queue("grades", "A@example.cn", "2"), queue("splits", "b@example.cn", "3")
		alert := queue(alertKind, "admin@example.cn", "4")
		for i, id := range []int64{a1, a2, b, alert} {
			kill(id, t0.Add(time.Duration(i)*time.Minute))
		}

		// A batch: every dead letter not reported yet, the alerts aside, reported in the alert's transaction.
		var batch []store.Mail
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if batch, err = tx.UnreportedDeadMail(alertKind); err != nil {
				return err
			}
			ids := make([]int64, len(batch))
			for i, m := range batch {
				ids[i] = m.ID
			}
			return tx.DeadMailReported(ids, t0.Add(time.Hour))
		}))
		if len(batch) != 3 || batch[0].ID != a1 || batch[1].ID != a2 || batch[2].ID != b || batch[0].Attempts != 1 ||
			batch[0].LastError != "550 5.1.1 no such user" || batch[0].Status != store.MailDead {
			t.Fatalf("first batch: %+v", batch)
		}
		unreported := func() []int64 {
			t.Helper()
			var ids []int64
			must(t, s.InTx(ctx, func(tx *store.Tx) error {
				ms, err := tx.UnreportedDeadMail(alertKind)
				for _, m := range ms {
					ids = append(ids, m.ID)
				}
				return err
			}))
			return ids
		}
		equal(t, "reported again", unreported(), nil)
		dead, err := s.DeadMail(ctx, 2)
		must(t, err)
		if len(dead) != 2 || dead[0].ID != alert || dead[1].ID != b || !dead[0].NextAttemptAt.Equal(t0.Add(3*time.Minute)) {
			t.Errorf("dead letters, the latest given up first: %+v", dead)
		}

		// The server is down: every due mail waits, no attempt counted; one not yet due is left alone.
		c, later := queue("splits", "c@example.cn", "5"), queue("splits", "d@example.cn", "6")
		_, err = s.DB().Exec("UPDATE outbox SET next_attempt_at = ? WHERE id = ?", t0.Add(time.Hour), later)
		must(t, err)
		n, err := s.DeferDueMail(ctx, t0, "无法连接邮件服务器", t0.Add(time.Minute))
		must(t, err)
		due, err := s.DueMail(ctx, t0.Add(time.Minute), 10)
		must(t, err)
		if n != 1 || len(due) != 1 || due[0].ID != c || due[0].Attempts != 0 || due[0].LastError != "无法连接邮件服务器" {
			t.Errorf("deferred %d; due a minute later %+v", n, due)
		}
		if due, _ := s.DueMail(ctx, t0.Add(59*time.Second), 10); len(due) != 0 {
			t.Errorf("due before the next try: %+v", due)
		}

		// One recipient's dead letters, in any case, queued again with a fresh count, due at once.
		t1 := t0.Add(2 * time.Hour)
		n, err = s.RequeueDeadMail(ctx, " a@EXAMPLE.cn ", alertKind, t1)
		must(t, err)
		due, err = s.DueMail(ctx, t1, 10)
		must(t, err)
		if n != 2 || len(due) != 4 || due[0].ID != c || due[2].ID != a1 || due[3].ID != a2 || due[2].Attempts != 0 || due[2].Status != store.MailQueued {
			t.Errorf("requeued %d; due %+v", n, due)
		}
		b0, err := s.MailBacklog(ctx)
		must(t, err)
		if b0.Dead != 2 || b0.Queued != 4 {
			t.Errorf("backlog after one recipient's retry: %+v", b0)
		}
		// Dead again: reported again; b, still reported, is not.
		kill(a1, t1)
		equal(t, "dead again", unreported(), []int64{a1})

		// All: the alert about them is out of date, not sent again.
		n, err = s.RequeueDeadMail(ctx, "", alertKind, t1)
		must(t, err)
		var rows []struct {
			ID     int64  `db:"id"`
			Status string `db:"status"`
		}
		must(t, s.DB().Select(&rows, "SELECT id, status FROM outbox WHERE id IN (?, ?, ?) ORDER BY id", a1, b, alert))
		if n != 2 || rows[0].Status != store.MailQueued || rows[1].Status != store.MailQueued || rows[2].Status != store.MailSuperseded {
			t.Errorf("requeued %d: %+v", n, rows)
		}
		equal(t, "unreported after the retry", unreported(), nil)
		if b, _ := s.MailBacklog(ctx); b.Dead != 0 || b.Queued != 5 {
			t.Errorf("backlog after the retry: %+v", b)
		}
	})
}

// A bureau's mails given up before dead letters existed (status failed: the 50
// that reached 8 attempts in a 2-hour outage) are dead letters after the
// upgrade: listed, not yet reported, and queued again by a retry.
func TestMailGivenUpBeforeTheUpgradeIsADeadLetter(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.MySQL} {
		t.Run(dialect, func(t *testing.T) {
			opts := store.Options{Log: zerolog.Nop()}
			if dialect == store.MySQL {
				opts.DSN = storetest.NewMySQLDatabase(t)
			} else {
				opts.SQLitePath = filepath.Join(t.TempDir(), "kam.db")
			}
			s, err := store.Open(ctx, opts)
			must(t, err)
			t0 := time.Date(2026, 7, 6, 5, 0, 0, 0, time.UTC)
			must(t, s.QueueMail(ctx, store.Mail{Kind: "splits", Recipient: "a@example.cn", Subject: "s", MessageID: "1", CreatedAt: t0},
				store.Mail{Kind: "splits", Recipient: "b@example.cn", Subject: "s", MessageID: "2", CreatedAt: t0}))
			// The database as kam left it before migration 15 (its Down steps, and those of every later one).
			must(t, store.MigrateDownTo(ctx, s, 14))
			_, err = s.DB().Exec(`UPDATE outbox SET status = 'failed', attempts = 8, last_error = 'dial tcp: connection refused' WHERE message_id = '1'`)
			must(t, err)
			must(t, s.Close())
			s, err = store.Open(ctx, opts)
			must(t, err)
			defer s.Close()
			b, err := s.MailBacklog(ctx)
			must(t, err)
			dead, err := s.DeadMail(ctx, 10)
			must(t, err)
			if b.Dead != 1 || b.Queued != 1 || len(dead) != 1 || dead[0].Recipient != "a@example.cn" || dead[0].Attempts != 8 {
				t.Fatalf("after the upgrade: backlog %+v, dead %+v", b, dead)
			}
			must(t, s.InTx(ctx, func(tx *store.Tx) error {
				ms, err := tx.UnreportedDeadMail(alertKind)
				if len(ms) != 1 || ms[0].ID != dead[0].ID {
					t.Errorf("unreported: %+v", ms)
				}
				return err
			}))
			n, err := s.RequeueDeadMail(ctx, "", alertKind, t0)
			must(t, err)
			due, err := s.DueMail(ctx, t0, 10)
			must(t, err)
			if n != 1 || len(due) != 2 || due[0].Attempts != 0 {
				t.Errorf("requeued %d, due %+v", n, due)
			}
		})
	}
}
