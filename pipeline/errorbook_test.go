package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"kam/pipeline/ingest"
	"kam/status"
	"kam/store"
	"kam/store/storetest"
)

// rejectionMail is what a rejection notice carries about its error workbook.
type rejectionMail struct {
	Attachment string `db:"attachment_name"`
	Text       string `db:"body_text"`
}

func rejectionMails(t *testing.T, s *store.Store) []rejectionMail {
	t.Helper()
	var ms []rejectionMail
	if err := s.DB().Select(&ms, `SELECT attachment_name, body_text FROM outbox WHERE kind = 'rejection' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return ms
}

// lastScanFile is the status model's one file of the last scan.
func lastScanFile(t *testing.T, a *App) status.File {
	t.Helper()
	m, err := status.Gather(t.Context(), a.Store, a.Cfg, a.Clock(), status.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 1 {
		t.Fatalf("status files %+v", m.Files)
	}
	return m.Files[0]
}

const badManagers = hManagers + "M9,某经理,不存在的单位,在职\r\n"

// A file moved back from rejected/ and rejected again gets a second error
// workbook, " (2)": the scan, the stored record, the status model and the
// notice all name that one, not the first rejection's; and the second
// notice is queued beside the first.
func TestARejectedAgainFileNamesItsOwnErrorWorkbook(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		a.Cfg.Recipients.Rejections = []string{"clerk@dg.cn"}
		drop(t, a, "fix_me.csv", []byte(badManagers))
		first := scan(t, a).Files[0]
		wantFirst := filepath.Join(a.Cfg.Paths.Rejected, "fix_me.csv.errors.xlsx")
		if first.Outcome != ingest.OutcomeRejected || first.ErrorBook != wantFirst {
			t.Fatalf("first rejection %+v; want its workbook %s", first, wantFirst)
		}
		if err := os.Rename(first.MovedTo, filepath.Join(a.Cfg.Paths.Inbox, "fix_me.csv")); err != nil {
			t.Fatal(err)
		}
		res, err := a.Ingest(t.Context())
		if err != nil {
			t.Fatalf("the second rejection failed the scan: %v", err)
		}
		second := res.Files[0]
		want := filepath.Join(a.Cfg.Paths.Rejected, "fix_me.csv (2).errors.xlsx")
		if second.Outcome != ingest.OutcomeRejected || second.MovedTo != first.MovedTo || second.ErrorBook != want {
			t.Fatalf("second rejection %+v; want it in %s with its workbook %s", second, first.MovedTo, want)
		}
		for _, p := range []string{wantFirst, want} {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("workbook %s: %v", p, err)
			}
		}
		recs, err := s.LastScanFiles(t.Context())
		if err != nil || len(recs) != 1 || recs[0].ErrorBook != want {
			t.Errorf("stored record %+v, %v; want its workbook %s", recs, err, want)
		}
		if f := lastScanFile(t, a); f.ErrorBook != want {
			t.Errorf("status names %q, want %q", f.ErrorBook, want)
		}
		ms := rejectionMails(t, s)
		if len(ms) != 2 {
			t.Fatalf("rejection notices %+v; want one per rejection", ms)
		}
		if ms[1].Attachment != "fix_me.csv (2).errors.xlsx" || !strings.Contains(ms[1].Text, "fix_me.csv (2).errors.xlsx") {
			t.Errorf("second notice attaches %q and says\n%s", ms[1].Attachment, ms[1].Text)
		}
	})
}

// An error workbook that could not be written (a full disk) is named
// nowhere: not by the scan, the stored record, the status model nor the
// notice, which attaches nothing; the reason says it could not be written.
func TestAnUnwrittenErrorWorkbookIsNamedNowhere(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		a.Cfg.Recipients.Rejections = []string{"clerk@dg.cn"}
		a.FailErrorBook = func(string) error { return &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC} }
		drop(t, a, "fix_me.csv", []byte(badManagers))
		f := scan(t, a).Files[0]
		if f.Outcome != ingest.OutcomeRejected || f.ErrorBook != "" || !strings.Contains(f.Reason, "错误明细无法写出") {
			t.Errorf("scan result %+v; want no workbook and the reason it was not written", f)
		}
		if books, _ := filepath.Glob(filepath.Join(a.Cfg.Paths.Rejected, "*.errors.xlsx")); len(books) > 0 {
			t.Errorf("workbooks %v", books)
		}
		var book *string
		if err := s.DB().Get(&book, `SELECT error_book FROM files`); err != nil || book != nil {
			t.Errorf("stored error_book %v, %v; want NULL", book, err)
		}
		if sf := lastScanFile(t, a); sf.ErrorBook != "" || sf.OutcomeLabel != "已退回" {
			t.Errorf("status file %+v; want rejected with no workbook", sf)
		}
		ms := rejectionMails(t, s)
		if len(ms) != 1 || ms[0].Attachment != "" || strings.Contains(ms[0].Text, ".errors.xlsx") || strings.Contains(ms[0].Text, "附件") ||
			!strings.Contains(ms[0].Text, "未能写出") {
			t.Errorf("notice %+v; want no workbook named or attached, and that it was not written", ms)
		}
	})
}
