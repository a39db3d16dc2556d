package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"kam/domain"
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
	if err := CheckLayout(data); err != nil {
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
