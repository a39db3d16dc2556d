package pipeline

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
		a, genDir := fixSheetApp(t, s)
		must := func(err error) { t.Helper(); mustDo(t, err) }
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

// A file rejected for its header row gets a fix sheet too: the header as
// written with the cells kam cannot read marked red and commented, the
// columns it lacks added (red) for staff to fill; the sheet declares its true
// range; corrected there and dropped back, the workbook loads every row.
func TestHeaderErrorFixSheetLoads(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a, genDir := fixSheetApp(t, s)
		must := func(err error) { t.Helper(); mustDo(t, err) }
		entries, err := os.ReadDir(genDir)
		must(err)
		for _, e := range entries { // the reference data first, as it was
			if !strings.HasPrefix(e.Name(), "revenue_") {
				data, err := os.ReadFile(filepath.Join(genDir, e.Name()))
				must(err)
				must(os.WriteFile(filepath.Join(a.Cfg.Paths.Inbox, e.Name()), data, 0o644))
			}
		}
		if _, err := a.Ingest(t.Context()); err != nil {
			t.Fatal(err)
		}
		header, rows := genRows(t, genDir, domain.KindRevenue)
		amount := slices.Index(header, "收入金额")
		cases := []struct {
			name    string
			title   bool                          // a title row above the header (in an .xlsx)
			shape   func() ([]string, [][]string) // the file's header and rows
			problem string                        // the header cell (by its title) or added column marked, and what its comment says
			comment string
			fix     func(f *excelize.File, col int) // corrects the fix sheet; col is the marked column (1-based)
		}{
			{"a column left out", false, func() ([]string, [][]string) {
				h := slices.Delete(slices.Clone(header), amount, amount+1)
				var rs [][]string
				for _, r := range rows {
					rs = append(rs, slices.Delete(slices.Clone(r), amount, amount+1))
				}
				return h, rs
			}, "收入金额", "缺少「收入金额」列", func(f *excelize.File, col int) {
				for i, r := range rows {
					cell, _ := excelize.CoordinatesToCellName(col, i+2)
					must(f.SetCellStr(reports.FixSheet, cell, r[amount]))
				}
			}},
			{"a misspelt column under a title row", true, func() ([]string, [][]string) {
				h := slices.Clone(header)
				h[amount] = "收人金额"
				return h, rows
			}, "收人金额", "是否应为「收入金额」", func(f *excelize.File, col int) {
				cell, _ := excelize.CoordinatesToCellName(col, 1)
				must(f.SetCellStr(reports.FixSheet, cell, "收入金额"))
			}},
			{"a column written twice", false, func() ([]string, [][]string) {
				h := append(slices.Clone(header), "customer_id")
				var rs [][]string
				for _, r := range rows {
					rs = append(rs, append(slices.Clone(r), r[0]))
				}
				return h, rs
			}, "customer_id", "重复", func(f *excelize.File, col int) {
				must(f.RemoveCol(reports.FixSheet, mustColName(t, col)))
			}},
		}
		for i, c := range cases {
			h, rs := c.shape()
			name := filepath.Join(a.Cfg.Paths.Inbox, fmt.Sprintf("收入_表头有误_%d", i))
			if c.title {
				name += ".xlsx"
				f := excelize.NewFile()
				must(f.SetSheetRow("Sheet1", "A1", &[]any{"2026年10月收入明细"}))
				row := make([]any, len(h))
				for j, v := range h {
					row[j] = v
				}
				must(f.SetSheetRow("Sheet1", "A2", &row))
				for j, r := range rs {
					cells := make([]any, len(r))
					for k, v := range r {
						cells[k] = v
					}
					must(f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", j+3), &cells))
				}
				must(f.SaveAs(name))
				f.Close()
			} else {
				name += ".csv"
				fh, err := os.Create(name)
				must(err)
				w := csv.NewWriter(fh)
				must(w.Write(h))
				must(w.WriteAll(rs))
				must(fh.Close())
			}
			res, err := a.Ingest(t.Context())
			must(err)
			if len(res.Files) != 1 || res.Files[0].Outcome != ingest.OutcomeRejected || res.Files[0].ErrorBook == "" {
				t.Fatalf("%s: %+v", c.name, res.Files)
			}
			book, err := excelize.OpenFile(res.Files[0].ErrorBook)
			must(err)
			fixRows, err := book.GetRows(reports.FixSheet)
			if err != nil || len(fixRows) != len(rows)+1 {
				t.Fatalf("%s: fix sheet rows %d (%v), want %d", c.name, len(fixRows), err, len(rows)+1)
			}
			col := slices.Index(fixRows[0], c.problem) + 1
			if col == 0 {
				t.Fatalf("%s: no column %s in the fix sheet's header %v", c.name, c.problem, fixRows[0])
			}
			cell, _ := excelize.CoordinatesToCellName(col, 1)
			comments, _ := book.GetComments(reports.FixSheet)
			if len(comments) != 1 || comments[0].Cell != cell || !strings.Contains(comments[0].Text+commentText(comments[0]), c.comment) {
				t.Errorf("%s: comments %+v, want one on %s saying %s", c.name, comments, cell, c.comment)
			}
			if red, plain := cellFill(t, book, cell), cellFill(t, book, "A1"); slices.Equal(red, plain) {
				t.Errorf("%s: the header cell %s is not marked (fill %v)", c.name, cell, red)
			}
			dim, _ := book.GetSheetDimension(reports.FixSheet)
			last, _ := excelize.CoordinatesToCellName(len(fixRows[0]), len(rows)+1)
			if dim != "A1:"+last {
				t.Errorf("%s: fix sheet declares %s, holds A1:%s", c.name, dim, last)
			}
			c.fix(book, col)
			must(book.SaveAs(filepath.Join(a.Cfg.Paths.Inbox, fmt.Sprintf("收入_已改正_%d.xlsx", i))))
			book.Close()
			res, err = a.Ingest(t.Context())
			must(err)
			if len(res.Files) != 1 || res.Files[0].Outcome != ingest.OutcomeLoaded || res.Files[0].Rows != len(rows) {
				t.Fatalf("%s, corrected in its error workbook: %+v (want %d rows loaded)", c.name, res.Files, len(rows))
			}
		}
	})
}

// fixSheetApp is an App on s with an empty inbox, and kam gen's files (40
// customers, October 2026) in the folder it returns, to drop from.
func fixSheetApp(t *testing.T, s *store.Store) (*App, string) {
	t.Helper()
	now := time.Date(2026, 11, 15, 10, 0, 0, 0, time.UTC)
	a := newTestApp(t, s, now)
	genDir := t.TempDir()
	_, err := gen.Run(t.Context(), gen.Options{Out: genDir, Customers: 40, Months: 1, Seed: 5, End: 202610, Now: now})
	mustDo(t, err)
	mustDo(t, os.MkdirAll(a.Cfg.Paths.Inbox, 0o755))
	return a, genDir
}

func mustColName(t *testing.T, col int) string {
	t.Helper()
	name, err := excelize.ColumnNumberToName(col)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// commentText is a comment's runs' text (excelize reads a rich comment into Paragraph).
func commentText(c excelize.Comment) string {
	var b strings.Builder
	for _, p := range c.Paragraph {
		b.WriteString(p.Text)
	}
	return b.String()
}

// cellFill is the fill colours of a cell's style.
func cellFill(t *testing.T, f *excelize.File, cell string) []string {
	t.Helper()
	id, err := f.GetCellStyle(reports.FixSheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st.Fill.Color
}
