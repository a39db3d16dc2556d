package store_test

import (
	"errors"
	"testing"
	"time"

	"kam/store"
	"kam/store/storetest"
)

// A held mail is not due until it is folded; a fold takes its held mails all or none, so the
// same fold made twice (two instances, a retry after a crash) queues one digest, never two.
func TestFoldDigestTakesHeldMailOnce(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		at := time.Date(2026, 12, 8, 0, 30, 0, 0, time.UTC)
		window := at.Add(time.Hour)
		rep := archive(t, s, "splits_2026-06.xlsx", []byte("workbook"))
		var ids []int64
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			for i, subject := range []string{"收入分成", "客户经理名册", "竞标公告"} {
				m := store.Mail{Kind: "splits", Title: subject, Recipient: "fin@x.cn", Subject: subject, MessageID: subject + "@kam",
					Status: store.MailHeld, NextAttemptAt: window, CreatedAt: at}
				if i == 0 {
					m.ReportID, m.Reports = rep.ID, []int64{rep.ID}
				}
				id, err := tx.QueueMail(m)
				ids = append(ids, id)
				if err != nil {
					return err
				}
			}
			return nil
		}))
		if due, err := s.DueMail(ctx, window.Add(time.Hour), 10); err != nil || len(due) != 0 {
			t.Fatalf("held mail due: %v %v", due, err)
		}
		if early, err := s.HeldMail(ctx, at, false); err != nil || len(early) != 0 {
			t.Fatalf("before the window, held mail past its window: %d %v", len(early), err)
		}
		held, err := s.HeldMail(ctx, window, false)
		must(t, err)
		if len(held) != 3 || held[0].Title != "收入分成" || held[0].Period != "2026-06" || len(held[0].Reports) != 1 {
			t.Fatalf("held: %+v", held)
		}
		fold := store.Fold{Held: ids, Superseded: ids[2:],
			Digest: &store.Mail{Kind: "digest", Recipient: "fin@x.cn", Subject: "kam 日报", MessageID: "digest@kam", Reports: []int64{rep.ID}, CreatedAt: window}}
		id, err := s.FoldDigest(ctx, fold, window)
		must(t, err)
		if _, err := s.FoldDigest(ctx, fold, window); !errors.Is(err, store.ErrFolded) {
			t.Errorf("the same fold again: %v, want ErrFolded", err)
		}
		due, err := s.DueMail(ctx, window, 10)
		must(t, err)
		if len(due) != 1 || due[0].ID != id || len(due[0].Reports) != 1 {
			t.Fatalf("due after the fold: %+v, want the digest %d alone", due, id)
		}
		b, err := s.MailBacklog(ctx)
		must(t, err)
		if b.Queued != 1 || b.Held != 0 {
			t.Errorf("backlog %+v", b)
		}
		var folded []int64
		must(t, s.DB().Select(&folded, s.DB().Rebind(`SELECT id FROM outbox WHERE digest_id = ? AND status = 'folded' ORDER BY id`), id))
		if len(folded) != 2 || folded[0] != ids[0] || folded[1] != ids[1] {
			t.Errorf("folded into the digest: %v, want %v", folded, ids[:2])
		}
	})
}
