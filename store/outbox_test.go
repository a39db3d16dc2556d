package store_test

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"kam/store"
	"kam/store/storetest"
)

// archive stores data as one report of a new run, as publish does.
func archive(t *testing.T, s *store.Store, name string, data []byte) store.Report {
	t.Helper()
	run := orphanRun(t, s, "splits", "2026-06", "manual", store.RunRunning)
	var rep store.Report
	must(t, s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		rep, err = tx.ArchiveReport(store.Report{RunID: run, Job: "splits", Period: "2026-06", FileName: name}, bytes.NewReader(data))
		return err
	}))
	return rep
}

func TestArchivedReportComesBackByteForByte(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		data := make([]byte, 9<<20+17) // three chunks, the last one short
		rand.Read(data)
		rep := archive(t, s, "splits_2026-06.xlsx", data)
		var got bytes.Buffer
		back, err := s.ReportContent(ctx, rep.ID, &got)
		must(t, err)
		if !bytes.Equal(got.Bytes(), data) || back.SHA256 != rep.SHA256 || back.Size != int64(len(data)) || back.RunID == 0 {
			t.Fatalf("report %d came back as %d bytes, %+v", rep.ID, got.Len(), back)
		}
		list, err := s.ListReports(ctx, store.ReportFilter{Job: "splits", Period: "2026-06"}, 10)
		must(t, err)
		if len(list) != 1 || list[0].ID != rep.ID || list[0].FileName != "splits_2026-06.xlsx" {
			t.Errorf("list: %+v", list)
		}
		if _, err := s.ReportContent(ctx, rep.ID+100, &got); err != store.ErrNoReport {
			t.Errorf("missing report: %v", err)
		}
		// A damaged chunk is caught by the SHA-256 check.
		_, err = s.DB().Exec("UPDATE report_chunks SET data = ? WHERE report_id = ? AND seq = 1", []byte("damaged"), rep.ID)
		must(t, err)
		if _, err := s.ReportContent(ctx, rep.ID, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "已损坏") {
			t.Errorf("damaged report read without complaint: %v", err)
		}
	})
}

func TestOutboxQueuesRetriesAndRecordsOutcomes(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		t0 := time.Date(2026, 7, 6, 5, 0, 0, 0, time.UTC)
		xlsx := archive(t, s, "splits_2026-06.xlsx", []byte("workbook"))
		csv := archive(t, s, "splits_2026-06.csv", []byte("csv"))
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			for _, to := range []string{"a@example.com", "b@example.com"} {
				if _, err := tx.QueueMail(store.Mail{ReportID: xlsx.ID, Kind: "splits", Recipient: to, Subject: "收入分成",
					HTML: "<p>分成</p>", Text: "分成", Reports: []int64{xlsx.ID, csv.ID}, MessageID: "report-1." + to, CreatedAt: t0}); err != nil {
					return err
				}
			}
			return nil
		}))
		must(t, s.QueueMail(ctx, store.Mail{Kind: "rejection", Recipient: "ops@example.com", Subject: "文件被退回",
			AttachmentName: "x.csv.errors.xlsx", Attachment: []byte{1, 2, 3}, MessageID: "rejected.1", CreatedAt: t0.Add(time.Second)}))
		if err := s.QueueMail(ctx, store.Mail{Kind: "rejection", Recipient: "ops@example.com", MessageID: "rejected.1", CreatedAt: t0}); err == nil {
			t.Error("a second mail with the same Message-ID was queued")
		}

		if due, err := s.DueMail(ctx, t0.Add(-time.Second), 10); err != nil || len(due) != 0 {
			t.Fatalf("due before queued: %v %v", due, err)
		}
		due, err := s.DueMail(ctx, t0.Add(time.Minute), 10)
		must(t, err)
		if len(due) != 3 {
			t.Fatalf("due: %d mails", len(due))
		}
		equal(t, "attached reports", due[0].Reports, []int64{xlsx.ID, csv.ID})
		if due[0].ReportID != xlsx.ID || due[0].Recipient != "a@example.com" || due[0].Subject != "收入分成" || due[0].HTML != "<p>分成</p>" {
			t.Errorf("first due mail: %+v", due[0])
		}
		if due[2].ReportID != 0 || due[2].AttachmentName != "x.csv.errors.xlsx" || !bytes.Equal(due[2].Attachment, []byte{1, 2, 3}) || due[2].Reports != nil {
			t.Errorf("rejection mail: %+v", due[2])
		}

		must(t, s.MailSent(ctx, due[0].ID, t0.Add(time.Minute)))
		must(t, s.MailAttemptFailed(ctx, due[1].ID, "connection refused", t0.Add(3*time.Minute), false))
		must(t, s.MailAttemptFailed(ctx, due[2].ID, "550 no such user", t0.Add(3*time.Minute), true))
		if due, err := s.DueMail(ctx, t0.Add(2*time.Minute), 10); err != nil || len(due) != 0 {
			t.Errorf("due while backing off: %+v %v", due, err)
		}
		due, err = s.DueMail(ctx, t0.Add(3*time.Minute), 10)
		must(t, err)
		if len(due) != 1 || due[0].Recipient != "b@example.com" || due[0].Attempts != 1 || due[0].LastError != "connection refused" {
			t.Errorf("due after back-off: %+v", due)
		}

		b, err := s.MailBacklog(ctx)
		must(t, err)
		if b.Queued != 1 || b.Dead != 1 || b.Sent != 1 || !b.OldestQueued.Equal(t0) || !b.LastSent.Equal(t0.Add(time.Minute)) {
			t.Errorf("backlog %+v", b)
		}
		unsent, err := s.UnsentMail(ctx, 10)
		must(t, err)
		if len(unsent) != 1 || unsent[0].Status != store.MailQueued {
			t.Errorf("unsent: %+v", unsent)
		}
		dead, err := s.DeadMail(ctx, 10)
		must(t, err)
		if len(dead) != 1 || dead[0].Status != store.MailDead || dead[0].LastError != "550 no such user" {
			t.Errorf("dead: %+v", dead)
		}
	})
}
