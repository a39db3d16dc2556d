package reports

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"

	"kam/domain"
)

func TestTableWritesTypedCellsAndNeverFormulas(t *testing.T) {
	b := NewBook()
	cols := []Column{{Title: "客户名称"}, {Title: "金额", Kind: Amount}, {Title: "日期", Kind: Day}, {Title: "同比", Kind: Percent}}
	err := b.Table("明细", cols, func(add func(...any) error) error {
		if err := add("=HYPERLINK(\"x\")", domain.Money(-123456), domain.DateOf(2026, 3, 5), domain.Ratio(-1250)); err != nil {
			return err
		}
		return add(Cell{V: "+86 123", Tone: Bad}, domain.Money(5), domain.Date(0), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	f := openBook(t, b)
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "明细" {
		t.Fatalf("sheets = %v", got)
	}
	for _, cell := range []string{"A2", "A3"} {
		if formula, _ := f.GetCellFormula("明细", cell); formula != "" {
			t.Errorf("%s became a formula: %q", cell, formula)
		}
	}
	if v, _ := f.GetCellValue("明细", "A2"); v != "=HYPERLINK(\"x\")" {
		t.Errorf("A2 = %q", v)
	}
	if v, _ := f.GetCellValue("明细", "B2"); v != "-1,234.56" {
		t.Errorf("B2 formatted = %q, want -1,234.56", v)
	}
	if v, _ := f.GetCellValue("明细", "B2", excelize.Options{RawCellValue: true}); v != "-1234.56" {
		t.Errorf("B2 raw = %q", v)
	}
	if typ, _ := f.GetCellType("明细", "B2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("amount written as text")
	}
	if v, _ := f.GetCellValue("明细", "C2"); v != "2026-03-05" {
		t.Errorf("C2 = %q", v)
	}
	if v, _ := f.GetCellValue("明细", "C2", excelize.Options{RawCellValue: true}); v != "46086" {
		t.Errorf("C2 raw serial = %q, want 46086", v)
	}
	if v, _ := f.GetCellValue("明细", "D2"); v != "-12.50%" {
		t.Errorf("D2 = %q", v)
	}
	if v, _ := f.GetCellValue("明细", "D3"); v != "" {
		t.Errorf("D3 = %q, want empty", v)
	}
	panes, _ := f.GetPanes("明细")
	if !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("header not frozen: %+v", panes)
	}
}

func TestErrorWorkbookListsEveryRow(t *testing.T) {
	errs := []domain.RowError{{Row: 3, Column: "收入金额", Value: "abc", Reason: "金额格式不正确"}, {Row: 9, Column: "月份", Value: "2026-13", Reason: "月份不正确"}}
	data, err := ErrorWorkbook("收入.csv", domain.KindRevenue, errs, 2)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("错误明细")
	if len(rows) != 3 || rows[0][0] != "行号" || rows[0][3] != "错误" || rows[2][0] != "9" || rows[2][2] != "2026-13" {
		t.Fatalf("rows = %v", rows)
	}
}

// openBook renders b and opens the bytes again, as a reader of the e-mailed workbook would.
func openBook(t *testing.T, b *Book) *excelize.File {
	t.Helper()
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
