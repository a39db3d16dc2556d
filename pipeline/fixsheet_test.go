package pipeline

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kam/domain"
	"kam/gen"
	"kam/pipeline/ingest"
	"kam/reports"
	"kam/store"
	"kam/store/storetest"
)

// badValue is, per kind, a column and a value its loader rejects.
var badValue = map[domain.Kind][2]string{
	domain.KindUnits: {"单位类型", "总部"}, domain.KindManagers: {"状态", "请假"}, domain.KindCustomers: {"客户类别", "大型"},
	domain.KindClaims: {"项目类型", "紧急"}, domain.KindSplits: {"分成比例", "五成"}, domain.KindTargets: {"目标月份", "2026-13"},
	domain.KindVisits:  {"走访方式", "吃饭"},
	domain.KindRevenue: {"收入金额", "一百元"},
}

// For every kind: a file with one bad cell is rejected; its error workbook's
// 改正后重新导入 sheet has every row and marks that cell (the file's rows and
// their numbers reach reports; the sheet's layout is tested there), and
// corrected there and dropped back into the inbox, the workbook loads every
// row (its 错误 column ignored).
func TestErrorWorkbookFixedInPlaceLoads(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		now := time.Date(2026, 11, 15, 10, 0, 0, 0, time.UTC)
		a := newTestApp(t, s, now)
		genDir := t.TempDir()
		if _, err := gen.Run(t.Context(), gen.Options{Out: genDir, Customers: 40, Months: 1, Seed: 5, End: 202610, Now: now}); err != nil {
			t.Fatal(err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(os.MkdirAll(a.Cfg.Paths.Inbox, 0o755))
		for _, k := range domain.LoadOrder {
			header, rows := genRows(t, genDir, k)
			col := slices.Index(header, badValue[k][0])
			if col < 0 {
				t.Fatalf("%s: no column %s in %v", k, badValue[k][0], header)
			}
			bad := len(rows) - 1 // the last row: the first unit is the city centre, which others need
			good := rows[bad][col]
			rows[bad][col] = badValue[k][1]
			name := string(k) + "_有误.csv"
			f, err := os.Create(filepath.Join(a.Cfg.Paths.Inbox, name))
			must(err)
			w := csv.NewWriter(f)
			must(w.Write(header))
			must(w.WriteAll(rows))
			must(f.Close())

			res, err := a.Ingest(t.Context())
			must(err)
			if len(res.Files) != 1 || res.Files[0].Outcome != ingest.OutcomeRejected || res.Files[0].Errors != 1 {
				t.Fatalf("%s with one bad cell: %+v", k, res.Files)
			}
			book, err := excelize.OpenFile(res.Files[0].ErrorBook)
			must(err)
			cell, _ := excelize.CoordinatesToCellName(col+1, bad+2)
			if style, _ := book.GetCellStyle(reports.FixSheet, cell); style == 0 {
				t.Errorf("%s: the bad cell %s is not marked", k, cell)
			}
			comments, _ := book.GetComments(reports.FixSheet)
			if len(comments) != 1 || comments[0].Cell != cell {
				t.Errorf("%s: comments %+v, want one on %s", k, comments, cell)
			}
			if fixRows, _ := book.GetRows(reports.FixSheet); len(fixRows) != len(rows)+1 {
				t.Fatalf("%s: fix sheet has %d rows, want %d", k, len(fixRows), len(rows)+1)
			}
			must(book.SetCellStr(reports.FixSheet, cell, good))
			must(book.SaveAs(filepath.Join(a.Cfg.Paths.Inbox, string(k)+"_已改正.xlsx")))
			book.Close()

			res, err = a.Ingest(t.Context())
			must(err)
			if len(res.Files) != 1 || res.Files[0].Outcome != ingest.OutcomeLoaded || res.Files[0].Kind != k || res.Files[0].Rows != len(rows) {
				t.Fatalf("%s corrected in its error workbook: %+v (want %d rows loaded)", k, res.Files, len(rows))
			}
		}
	})
}
