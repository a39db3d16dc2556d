package store_test

import (
	"bytes"
	"testing"
	"time"

	"kam/domain"
	"kam/store"
	"kam/store/storetest"
)

// The file, re-drop, impact and mail queries the other store tests leave to the
// pipeline's run here on both databases, each answer checked, so the MySQL 8.0
// grammar also sees what they send (grammar_test.go).
func TestLessUsedQueriesOnEveryDatabase(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		at := time.Date(2026, 7, 10, 3, 0, 0, 0, time.UTC)
		record := func(rec store.FileRecord) int64 {
			t.Helper()
			rec.Size, rec.Outcome, rec.StartedAt, rec.ScanID = 1, store.FileLoaded, at, at.UnixMicro()
			id, err := s.RecordFile(ctx, rec)
			must(t, err)
			return id
		}
		units := record(store.FileRecord{Name: "units.csv", SHA256: "u1", Kind: domain.KindUnits, StoredAs: "processed/units.csv",
			Unit: "D01", Confirmed: true})
		rev := load(t, s, "revenue.csv", func(tx *store.Tx) error {
			return tx.PutRevenue([]domain.Revenue{{Customer: "C1", Month: 202606, Line: "函件", Unit: "U1", Amount: 100}})
		})
		must(t, s.RecordImpacts(ctx, rev, []store.RevenueImpact{{Month: 202606, Line: "函件", RowsAfter: 1, AmountAfter: 100, AbsAfter: 100}}))
		impacts, err := s.FileImpacts(ctx, rev)
		must(t, err)
		equal(t, "impacts", len(impacts), 1)
		rows, err := s.CustomerRevenueRows(ctx, "C1", 202605, 202606)
		must(t, err)
		equal(t, "C1's rows", len(rows), 1)

		last, err := s.LastScanFiles(ctx)
		must(t, err)
		if len(last) != 1 || last[0].ID != units || last[0].Unit != "D01" || !last[0].Confirmed {
			t.Errorf("last scan's files %+v, want units.csv from D01, confirmed", last)
		}
		since, err := s.LoadedSince(ctx, at)
		must(t, err)
		equal(t, "files loaded and kept since", len(since), 1)
		for _, rec := range []store.FileRecord{{ID: units, Kind: domain.KindUnits}, {ID: rev, Kind: domain.KindRevenue}} {
			holds, err := s.StillHolds(ctx, rec)
			must(t, err)
			equal(t, string(rec.Kind)+" still holds", holds, true)
		}
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.RetireFile(units) }))
		if rec, _, err := s.FileBySHA(ctx, "u1"); err != nil || rec.Outcome != store.FileReplaced {
			t.Errorf("retired file: %+v, %v", rec, err)
		}

		found := []store.UnreadFile{{Path: "a.lnk", Reason: "链接", FirstSeen: at}, {Path: ".x", Reason: "隐藏", FirstSeen: at}}
		fresh, err := s.SyncUnreadFiles(ctx, found)
		must(t, err)
		equal(t, "fresh unread", len(fresh), 2)
		fresh, err = s.SyncUnreadFiles(ctx, found[:1])
		must(t, err)
		equal(t, "fresh unread again", len(fresh), 0)
		unread, err := s.UnreadFiles(ctx)
		must(t, err)
		equal(t, "unread left", len(unread), 1)

		// A mail of 2026Q1's report to one who already got 2026Q2's is superseded.
		run1 := orphanRun(t, s, "grade", "2026Q1", "manual", store.RunSucceeded)
		run2 := orphanRun(t, s, "grade", "2026Q2", "manual", store.RunSucceeded)
		var old, newer int64
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			for _, r := range []struct {
				run    int64
				period string
				id     *int64
			}{{run1, "2026Q1", &old}, {run2, "2026Q2", &newer}} {
				rep, err := tx.ArchiveReport(store.Report{RunID: r.run, Job: "grade", Period: r.period, FileName: "g.xlsx"}, bytes.NewReader([]byte("x")))
				if err != nil {
					return err
				}
				if *r.id, err = tx.QueueMail(store.Mail{ReportID: rep.ID, Kind: "grade", Recipient: "a@example.com", Subject: "分级",
					MessageID: "m." + r.period, CreatedAt: at}); err != nil {
					return err
				}
			}
			newerDone, err := tx.NewerPeriodSucceeded("grade", "2026Q1")
			equal(t, "a newer period succeeded", newerDone, true)
			return err
		}))
		must(t, s.MailSent(ctx, newer, at))
		due, err := s.DueMail(ctx, at.Add(time.Hour), 10)
		must(t, err)
		if len(due) != 1 || due[0].ID != old {
			t.Fatalf("due mail %+v, want only %d", due, old)
		}
		superseded, err := s.MailSuperseded(ctx, due[0], at)
		must(t, err)
		equal(t, "older period's mail superseded", superseded, true)
	})
}
