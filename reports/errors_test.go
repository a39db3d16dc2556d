package reports

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"kam/domain"
	"kam/reports/reportstest"
)

// A file rejected as 疑似不完整: its error rows without row numbers, its whole
// impact on 收入影响 in yuan, and in 说明 the folder that confirms it.
func TestImpactWorkbookListsTheImpact(t *testing.T) {
	errs := []domain.RowError{{Column: "（整个文件）", Value: "2026-06 函件", Reason: "疑似不完整：导入后 2026-06 函件：40 行 ¥4,780.00 → 1 行 ¥999.00"}}
	impacts := []Impact{
		{Month: domain.NewMonth(2026, 6), Line: "函件", RowsBefore: 40, AmountBefore: 478000, RowsAfter: 1, AmountAfter: 99900},
		{Month: domain.NewMonth(2026, 7), Line: "包裹", RowsBefore: 2, AmountBefore: -5, RowsAfter: 3, AmountAfter: 7},
	}
	data, err := ImpactWorkbook(Meta{GeneratedAt: testMeta.GeneratedAt}, "收入更正_6月.csv", errs, impacts, "确认替换")
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
	if got := strings.Join(f.GetSheetList(), " "); got != "错误明细 收入影响 说明" {
		t.Errorf("sheets %s", got)
	}
	rows, _ := f.GetRows("错误明细")
	if len(rows) != 2 || strings.Join(rows[0], "|") != "行号|列|值|错误" || rows[1][0] != "" || rows[1][2] != "2026-06 函件" {
		t.Errorf("错误明细 %q", rows)
	}
	if w, _ := f.GetColWidth("错误明细", "D"); w != 80 {
		t.Errorf("错误 width %v, want 80", w)
	}
	rows, _ = f.GetRows("收入影响")
	want := []string{"月份|业务种类|导入前行数|导入前金额|导入后行数|导入后金额", "2026-06|函件|40|4,780.00|1|999.00", "2026-07|包裹|2|-0.05|3|0.07"}
	if len(rows) != len(want) {
		t.Fatalf("收入影响 %q", rows)
	}
	for i, w := range want {
		if got := strings.Join(rows[i], "|"); got != w {
			t.Errorf("收入影响 row %d = %s, want %s", i+1, got, w)
		}
	}
	explain := sheetText(t, f, "说明")
	for _, s := range []string{"报表\t退回文件错误明细", "期间\t收入更正_6月.csv", "文件\t收入更正_6月.csv", "处理结果\t整个文件未导入，数据库未做任何改动",
		"「确认替换」文件夹", "工作表 收入影响\t本文件涉及的每个月份和业务种类"} {
		if !strings.Contains(explain, s) {
			t.Errorf("说明 lacks %q:\n%s", s, explain)
		}
	}
}

// sheetText is a sheet's cells, a tab between cells and a line per row.
func sheetText(t *testing.T, f *excelize.File, sheet string) string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, "\t") + "\n")
	}
	return b.String()
}

// The fix sheet is the file's rows as they came, as text: a bad cell filled
// red with its reasons as its comment, every reason of a row in the 错误
// column; short rows are padded, cells past the header left out.
func TestErrorWorkbookFixSheet(t *testing.T) {
	errs := []domain.RowError{
		{Row: 3, Column: "月份", Value: "2026-13", Reason: "月份不正确"},
		{Row: 3, Column: "收入金额", Value: "一百元", Reason: "金额格式不正确"},
		{Row: 3, Column: "月份", Value: "2026-13", Reason: "早于开始月份"},
		{Row: 5, Column: "未知列", Value: "x", Reason: "某种错误"},
		{Row: 6, Column: "客户编号", Value: "", Reason: "不能为空"},
		{Column: "（整个文件）", Value: "收入.csv", Reason: "整体"},
	}
	rows := &FileRows{Header: []string{"客户编号", "月份", "收入金额"}, Rows: []FileRow{
		{Row: 2, Cells: []string{"C001", "2026-06", "100.00"}},
		{Row: 3, Cells: []string{"C002", "2026-13", "一百元"}},
		{Row: 5, Cells: []string{"C003", "2026-06", "=1+1", "多余"}}, // row 4 was blank
		{Row: 6, Cells: []string{"", "2026-06"}},
	}}
	data, err := ErrorWorkbook(testMeta, "收入.csv", domain.KindRevenue, errs, len(errs), rows)
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
	if got := strings.Join(f.GetSheetList(), " "); got != "错误明细 "+FixSheet+" 说明" {
		t.Errorf("sheets %s", got)
	}
	want := "客户编号\t月份\t收入金额\t错误\n" +
		"C001\t2026-06\t100.00\n" +
		"C002\t2026-13\t一百元\t月份：月份不正确；收入金额：金额格式不正确；月份：早于开始月份\n" +
		"C003\t2026-06\t=1+1\t未知列：某种错误\n" +
		"\t2026-06\t\t客户编号：不能为空\n"
	if got := sheetText(t, f, FixSheet); got != want {
		t.Errorf("%s:\n%s--- want\n%s", FixSheet, got, want)
	}
	if formula, _ := f.GetCellFormula(FixSheet, "C4"); formula != "" {
		t.Errorf("C4 became a formula: %q", formula)
	}
	comments, _ := f.GetComments(FixSheet)
	var got []string
	for _, c := range comments {
		got = append(got, c.Cell+" "+c.Author+" "+c.Text)
	}
	if want := "B3 kam 月份不正确；早于开始月份|C3 kam 金额格式不正确|A5 kam 不能为空"; strings.Join(got, "|") != want {
		t.Errorf("comments %q, want %s", got, want)
	}
	red := map[string]bool{"B3": true, "C3": true, "D3": true, "D4": true, "A5": true, "D5": true}
	for r := 2; r <= 5; r++ {
		for c := 1; c <= 4; c++ {
			cell, _ := excelize.CoordinatesToCellName(c, r)
			style, _ := f.GetCellStyle(FixSheet, cell)
			s, _ := f.GetStyle(style)
			isRed := s != nil && len(s.Fill.Color) == 1 && s.Fill.Color[0] == "FFC7CE"
			if isRed != red[cell] {
				t.Errorf("%s red %v, want %v", cell, isRed, red[cell])
			}
			if s == nil || s.NumFmt != 49 {
				t.Errorf("%s is not a text cell (style %+v): typed-in corrections would not stay as typed", cell, s)
			}
		}
	}
	if !strings.Contains(sheetText(t, f, "说明"), "工作表 "+FixSheet+"\t文件原样的各行") {
		t.Errorf("说明 does not describe %s", FixSheet)
	}
}

// The fix sheet reads like a report (SPEC §5): its true dimension (readers
// that trust it see every row), columns sized to the file's values, a frozen
// header with filter buttons, and its 错误 column wrapped in a fixed width.
func TestFixSheetIsLaidOutLikeAReport(t *testing.T) {
	rows := &FileRows{Header: []string{"客户编号", "月份", "业务种类", "收入单位编码", "收入金额"}}
	for i := range 30 {
		rows.Rows = append(rows.Rows, FileRow{Row: i + 2, Cells: []string{fmt.Sprintf("东莞市某某某某有限公司客户%02d", i), "2026-06", "函件", "ZQ01", "12.00"}})
	}
	errs := []domain.RowError{{Row: 5, Column: "月份", Value: "2026-13", Reason: "月份「2026-13」不是有效的月份：请写成 2026-06 这样的年月，月份在 01 到 12 之间；这一行的其余各列也请一并核对"},
		{Row: 5, Column: "收入金额", Value: "abc", Reason: "收入金额「abc」不是数字"}}
	data, err := ErrorWorkbook(Meta{GeneratedAt: testMeta.GeneratedAt}, "收入.csv", domain.KindRevenue, errs, len(errs), rows)
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
	if w, _ := f.GetColWidth(FixSheet, "A"); w < 30 {
		t.Errorf("客户编号 column %.1f wide for 26-character values", w)
	}
	style, err := f.GetCellStyle(FixSheet, "F5") // row 5 of the file is sheet row 5: the header is row 1
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(style)
	if err != nil {
		t.Fatal(err)
	}
	if st.Alignment == nil || !st.Alignment.WrapText {
		t.Errorf("错误 is not wrapped: %+v", st.Alignment)
	}
	if v, _ := f.GetCellValue(FixSheet, "F5"); !strings.Contains(v, "月份：") || !strings.Contains(v, "收入金额：") {
		t.Errorf("错误 of the bad row = %q", v)
	}
}
