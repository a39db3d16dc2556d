package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// certificationConflict is what a Galera node answers a transaction another node's commit conflicted with.
func certificationConflict() error {
	return &mysql.MySQLError{Number: 1213, SQLState: [5]byte{'4', '0', '0', '0', '1'},
		Message: "Deadlock found when trying to get lock; try restarting transaction"}
}

// conflictsFirst fails the first n calls with a certification conflict.
func conflictsFirst(n int) (fail func() error, calls *int) {
	calls = new(int)
	return func() error {
		*calls++
		if *calls <= n {
			return certificationConflict()
		}
		return nil
	}, calls
}

// A publish the cluster refuses for a conflict runs again and succeeds: the
// run's writes, reports and mail are there once, and the run is not 失败.
func TestPublishRunsAgainAfterAConflict(t *testing.T) {
	for _, c := range []struct {
		job, period string
		seed        func(*testing.T, *store.Store)
	}{
		{"grade", "2026Q2", seedGradeData},
		{"tender", "2026-07-15", seedTenderData},
	} {
		t.Run(c.job, func(t *testing.T) {
			storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
				c.seed(t, s)
				a := newTestApp(t, s, ingestNow)
				a.Cfg.Recipients.Admin = []string{"admin@example.com"}
				a.Cfg.Recipients.Reports["grades"] = []string{"ops@example.com", "boss@example.com"}
				a.Cfg.Recipients.Reports["tender"] = []string{"ops@example.com"}
				var calls *int
				a.FailPublish, calls = conflictsFirst(2)
				before := store.ConflictRetries()
				out, err := a.RunJob(t.Context(), c.job, jobs.RunRequest{Period: c.period})
				if err != nil {
					t.Fatalf("a publish refused twice for a conflict: %v", err)
				}
				if *calls != 3 || store.ConflictRetries()-before != 2 {
					t.Errorf("publish ran %d times with %d retries, want 3 and 2", *calls, store.ConflictRetries()-before)
				}
				var runs []string
				mustDo(t, s.DB().Select(&runs, "SELECT outcome FROM job_runs"))
				if len(runs) != 1 || runs[0] != store.RunSucceeded {
					t.Errorf("runs %v, want one succeeded", runs)
				}
				var reports, distinct, mails, pairs int
				mustDo(t, s.DB().Get(&reports, "SELECT COUNT(*) FROM reports"))
				mustDo(t, s.DB().Get(&distinct, "SELECT COUNT(DISTINCT file_name) FROM reports"))
				mustDo(t, s.DB().Get(&mails, "SELECT COUNT(*) FROM outbox"))
				mustDo(t, s.DB().Get(&pairs, "SELECT COUNT(*) FROM (SELECT DISTINCT recipient, subject FROM outbox) x"))
				if reports == 0 || reports != distinct || reports != len(out.Reports) {
					t.Errorf("%d reports archived (%d names, %d in the output): each once", reports, distinct, len(out.Reports))
				}
				if mails == 0 || mails != pairs {
					t.Errorf("%d mails queued for %d (recipient, subject) pairs", mails, pairs)
				}
				if c.job == "grade" {
					var grades, customers int
					mustDo(t, s.DB().Get(&grades, "SELECT COUNT(*) FROM grades"))
					mustDo(t, s.DB().Get(&customers, "SELECT COUNT(DISTINCT customer_id) FROM grades"))
					if grades == 0 || grades != customers {
						t.Errorf("%d grades for %d customers", grades, customers)
					}
				}
			})
		})
	}
}

// A file's load refused for a conflict is read again from the file (its
// transaction streamed it) and loads once, whole; when every attempt is
// refused, the scan fails saying the retries are spent and the file waits in the inbox.
func TestLoadIsReadAgainAfterAConflict(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		for name, body := range baselineFiles(t) {
			if name != "a_revenue.csv" {
				drop(t, a, name, []byte(body))
			}
		}
		scan(t, a)
		var b strings.Builder
		b.WriteString("客户编号,月份,业务种类,收入单位编码,收入金额\n")
		const rows = 12_000 // more than one batch: the writer goroutine is under way when the conflict strikes
		for i := range rows {
			fmt.Fprintf(&b, "C00%d,2026-0%d,函件,DC,%d.%02d\n", 1+i%2, 1+i%6, i, i%100)
		}
		drop(t, a, "revenue.csv", []byte(b.String()))
		var calls *int
		a.FailLoad, calls = conflictsFirst(1)
		res := scan(t, a)
		if len(res.Files) != 1 || res.Files[0].Outcome != ingest.OutcomeLoaded || res.Files[0].Rows != rows || *calls != 2 {
			t.Fatalf("scan after a conflict: %+v, load ran %d times", res.Files, *calls)
		}
		var stored, loaded int
		mustDo(t, s.DB().Get(&stored, "SELECT COUNT(*) FROM revenue"))
		mustDo(t, s.DB().Get(&loaded, "SELECT COUNT(*) FROM files WHERE name = 'revenue.csv' AND outcome = 'loaded'"))
		if stored != rows || loaded != 1 {
			t.Errorf("%d revenue rows and %d records after the retried load, want %d and 1", stored, loaded, rows)
		}

		b.WriteString("C001,2026-07,函件,DC,1.00\n")
		drop(t, a, "revenue2.csv", []byte(b.String()))
		a.FailLoad, calls = conflictsFirst(100)
		_, err := a.Ingest(t.Context())
		if err == nil || !strings.Contains(err.Error(), "重试次数已用完") || *calls != 6 {
			t.Fatalf("every attempt refused: %v after %d attempts", err, *calls)
		}
		if _, err := os.Stat(filepath.Join(a.Cfg.Paths.Inbox, "revenue2.csv")); err != nil {
			t.Errorf("the file whose load kept conflicting left the inbox: %v", err)
		}
	})
}
