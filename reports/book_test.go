package reports

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kam/domain"
	"kam/reports/reportstest"
)

// testMeta is what a job would say about the workbook it writes.
var testMeta = Meta{Period: "2026-06", GeneratedAt: time.Date(2026, 7, 1, 8, 30, 0, 0, time.FixedZone("CST", 8*3600)), Run: 42,
	DataAsOf: "收入_2026-06.csv（2026-07-01 08:00 导入）", Settings: []Setting{{Item: "配置项", Text: "测试值", Key: "test.key"}}}

func TestTableWritesTypedCellsAndNeverFormulas(t *testing.T) {
	b := NewBook(testMeta)
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
	if got := f.GetSheetList(); len(got) != 2 || got[0] != "明细" || got[1] != "说明" {
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
	data, err := ErrorWorkbook(testMeta, "收入.csv", domain.KindRevenue, errs, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := reportstest.CheckLayout(data); err != nil {
		t.Error(err)
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

// A streamed sheet as excelize writes it on its own declares A1 whatever it
// holds (reportstest.CheckLayout sees that); Book writes the true range, and
// the document properties and page header a workbook promises.
func TestBookDeclaresItsTrueDimension(t *testing.T) {
	b := NewBook(testMeta)
	err := b.Table("明细", []Column{{Title: "甲"}, {Title: "乙"}, {Title: "丙"}}, func(add func(...any) error) error {
		for range 2 {
			if err := add("a", "b", "c"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if err := reportstest.CheckLayout(data); err != nil {
		t.Fatal(err)
	}
	g, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if dim, _ := g.GetSheetDimension("明细"); dim != "A1:C3" {
		t.Errorf("明细 dimension = %q, want A1:C3", dim)
	}
	props, _ := g.GetDocProps()
	if props.Creator != "kam "+domain.Version() || props.Created != "2026-07-01T00:30:00Z" || props.Title != "kam 报表 2026-06" || props.Subject != "kam 报表" {
		t.Errorf("properties = %+v", props)
	}
	pl, _ := g.GetPageLayout("明细")
	if pl.Orientation == nil || *pl.Orientation != "portrait" {
		t.Errorf("a narrow table prints portrait: %+v", pl)
	}
	hf, _ := g.GetHeaderFooter("明细")
	if hf.OddHeader != "&Lkam 报表&C2026-06&R生成时间 2026-07-01 08:30" || hf.OddFooter != "&C第 &P 页 / 共 &N 页" {
		t.Errorf("header/footer = %+v", hf)
	}
}

// Text columns take the width their first rows need, a CJK character counting
// twice; every row still arrives in order past the rows that sized them.
func TestTextColumnsFitTheirNames(t *testing.T) {
	b := NewBook(testMeta)
	long := "东莞市某某电子科技制造有限公司" // 15 characters, 30 columns wide
	err := b.Table("明细", []Column{{Title: "客户名称"}, {Title: "金额", Kind: Amount}}, func(add func(...any) error) error {
		for i := range sampleRows + 5 {
			name := "短名"
			if i == 3 {
				name = long
			}
			if err := add(name, domain.Money(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f := openBook(t, b)
	if w, _ := f.GetColWidth("明细", "A"); w != 32 {
		t.Errorf("客户名称 width %v, want 32 (30 for the name, 2 to spare)", w)
	}
	rows, _ := f.GetRows("明细", excelize.Options{RawCellValue: true})
	if len(rows) != sampleRows+6 || rows[4][0] != long || rows[sampleRows+5][1] != fmt.Sprint(float64(sampleRows+4)/100) {
		t.Errorf("%d rows; row 5 %v; last %v", len(rows), rows[4], rows[len(rows)-1])
	}
}

// A Cell's comment becomes the cell's note, signed kam, beside its tone; the
// sheet keeps its true dimension and its layout.
func TestCellCommentsBecomeNotes(t *testing.T) {
	b := NewBook(testMeta)
	cols := []Column{{Title: "月份"}, {Title: "金额", Kind: Amount}}
	err := b.Table("明细", cols, func(add func(...any) error) error {
		if err := add("2026-06", Cell{V: domain.Money(100), Comment: "金额为零"}); err != nil {
			return err
		}
		return add(Cell{V: "2026-13", Tone: Bad, Comment: "月份不正确"}, domain.Money(5))
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if err := reportstest.CheckLayout(data); err != nil {
		t.Error(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	comments, err := f.GetComments("明细")
	if err != nil || len(comments) != 2 {
		t.Fatalf("comments %+v, %v", comments, err)
	}
	got := fmt.Sprintf("%s %s %s; %s %s %s", comments[0].Cell, comments[0].Author, comments[0].Text, comments[1].Cell, comments[1].Author, comments[1].Text)
	if got != "B2 kam 金额为零; A3 kam 月份不正确" {
		t.Errorf("comments: %s", got)
	}
	if style, _ := f.GetCellStyle("明细", "A3"); style == 0 {
		t.Error("the toned cell lost its tone")
	} else if s, _ := f.GetStyle(style); len(s.Fill.Color) != 1 || s.Fill.Color[0] != "FFC7CE" {
		t.Errorf("A3 fill %+v, want the 降级 red", s.Fill)
	}
	if v, _ := f.GetCellValue("明细", "B2"); v != "1.00" {
		t.Errorf("B2 = %q", v)
	}
	if c, _ := f.GetComments("说明"); len(c) != 0 {
		t.Errorf("说明 has comments %+v", c)
	}
}
