package reports

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"kam/domain"
	"kam/rules"
)

// splitFixture is a June whose rows cover each case of 第十条: a three-way
// all-lines agreement, a line-specific one that beats it, an expired one, no
// agreement at all, a negative adjustment and a single fen.
func splitFixture(t *testing.T) (SplitsInput, []SplitLine, RevenueTotals) {
	t.Helper()
	ix, err := rules.NewAgreementIndex([]domain.SplitAgreement{
		{ID: "XY01", Customer: "C1", From: 202601, Parties: []domain.SplitParty{{Unit: "D01", Ratio: 3333}, {Unit: "D02", Ratio: 3333}, {Unit: "U00", Ratio: 3334}}},
		{ID: "XY02", Customer: "C1", From: 202603, Line: "速递", Parties: []domain.SplitParty{{Unit: "D01", Ratio: 6000}, {Unit: "P01", Ratio: 4000}}},
		{ID: "XY03", Customer: "C2", From: 202501, To: 202605, Parties: []domain.SplitParty{{Unit: "W01", Ratio: 10000}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	revenue := []domain.Revenue{
		{Customer: "C1", Month: 202606, Line: "函件", Unit: "D01", Amount: 100_00},
		{Customer: "C1", Month: 202606, Line: "速递", Unit: "D01", Amount: -5},
		{Customer: "C1", Month: 202606, Line: "包裹", Unit: "D02", Amount: 1},
		{Customer: "C2", Month: 202606, Line: "函件", Unit: "D02", Amount: 500_00},
		{Customer: "=C3", Month: 202606, Line: "其他", Unit: "D01", Amount: 12_34},
	}
	in := SplitsInput{
		Month: 202606,
		Units: []domain.Unit{
			{Code: "U00", Name: "市局大客户中心"}, {Code: "D01", Name: "莞城镇区局"}, {Code: "D02", Name: "南城镇区局"},
			{Code: "P01", Name: "速递专业局"}, {Code: "W01", Name: "莞城营业窗口"},
		},
		Lines:     domain.DefaultBusinessLines,
		Customers: map[string]string{"C1": "东莞某制造有限公司", "C2": "某银行东莞分行"}, // =C3 is unknown: its name stays empty
	}
	var lines []SplitLine
	var rev RevenueTotals
	for _, r := range revenue {
		rev.Add(r)
		for _, s := range ix.Split(r) {
			lines = append(lines, SplitLine{Revenue: r, Share: s})
		}
	}
	return in, lines, rev
}

// sliceSource hands out lines in batches of three, so batches and sheets meet at different seams.
type sliceSource struct {
	lines []SplitLine
	rev   RevenueTotals
	err   error // returned once the lines run out
}

func (s *sliceSource) Next() ([]SplitLine, error) {
	if len(s.lines) == 0 {
		return nil, s.err
	}
	n := min(3, len(s.lines))
	b := s.lines[:n]
	s.lines = s.lines[n:]
	return b, nil
}

func (s *sliceSource) Revenue() RevenueTotals { return s.rev }

// statementOf is a unit's lines for its statement: credited to it, and its 分出.
func statementOf(credited, outgoing []SplitLine) StatementLines {
	return statementLines{credited, outgoing}
}

type statementLines struct{ credited, outgoing []SplitLine }

func (s statementLines) Credited() SplitSource { return &sliceSource{lines: s.credited} }
func (s statementLines) Outgoing() SplitSource { return &sliceSource{lines: s.outgoing} }

func renderSplits(t *testing.T, in SplitsInput, lines []SplitLine, rev RevenueTotals) ([]byte, string, SplitsTotals) {
	t.Helper()
	var csvOut bytes.Buffer
	b, totals, err := Splits(testMeta, in, &sliceSource{lines: lines, rev: rev}, &csvOut)
	if err != nil {
		t.Fatal(err)
	}
	var xlsx bytes.Buffer
	n, err := b.WriteTo(&xlsx)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(xlsx.Len()) {
		t.Errorf("WriteTo reported %d bytes, wrote %d", n, xlsx.Len())
	}
	return xlsx.Bytes(), csvOut.String(), totals
}

func TestSplitsGolden(t *testing.T) {
	in, lines, rev := splitFixture(t)
	xlsx, _, totals := renderSplits(t, in, lines, rev)
	want := SplitsTotals{Rows: 5, Revenue: 612_30, Lines: 10, Sheets: 1, Split: 612_30,
		ByUnit: map[string]domain.Money{"D01": 45_64, "D02": 533_33, "U00": 33_35, "P01": -2},
		Booked: map[string]domain.Money{"D01": 112_29, "D02": 500_01},
		// D01 gave D02 and U00 their thirds of 100.00 and P01 -0.02 of -0.05; D02 gave D01 0.00 and U00 0.01 of 0.01.
		Out:      map[string]domain.Money{"D01": 66_65, "D02": 1},
		In:       map[string]domain.Money{"D01": 0, "D02": 33_33, "U00": 33_35, "P01": -2},
		OutLines: map[string]int64{"D01": 3, "D02": 2}, InLines: map[string]int64{"D01": 1, "D02": 1, "U00": 2, "P01": 1}}
	if !reflect.DeepEqual(totals, want) {
		t.Errorf("totals = %+v; want %+v", totals, want)
	}
	checkGolden(t, "splits", xlsx)
}

func TestSplitsCSVIsWhatFinanceImports(t *testing.T) {
	in, lines, rev := splitFixture(t)
	_, got, _ := renderSplits(t, in, lines, rev)
	want := "\uFEFF客户编号,业务种类,收入单位编码,收入金额,分成单位编码,分成比例,分成金额,协议编号,月份\r\n" +
		"C1,函件,D01,100.00,D01,33.33,33.33,XY01,2026-06\r\n" +
		"C1,函件,D01,100.00,D02,33.33,33.33,XY01,2026-06\r\n" +
		"C1,函件,D01,100.00,U00,33.34,33.34,XY01,2026-06\r\n" +
		"C1,速递,D01,-0.05,D01,60.00,-0.03,XY02,2026-06\r\n" +
		"C1,速递,D01,-0.05,P01,40.00,-0.02,XY02,2026-06\r\n" +
		"C1,包裹,D02,0.01,D01,33.33,0.00,XY01,2026-06\r\n" +
		"C1,包裹,D02,0.01,D02,33.33,0.00,XY01,2026-06\r\n" +
		"C1,包裹,D02,0.01,U00,33.34,0.01,XY01,2026-06\r\n" +
		"C2,函件,D02,500.00,D02,100.00,500.00,,2026-06\r\n" +
		"=C3,其他,D01,12.34,D01,100.00,12.34,,2026-06\r\n"
	if got != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", got, want)
	}
}

func TestSplitsContinueOnNewSheets(t *testing.T) {
	in, lines, rev := splitFixture(t) // 10 lines
	defer func(n int) { SplitSheetRows = n }(SplitSheetRows)
	for _, c := range []struct {
		rows   int // per sheet, header included
		lines  int
		sheets []int // lines on 分成明细, 分成明细2, …
	}{
		{4, 9, []int{3, 3, 3}}, // exactly full: no empty fourth sheet
		{4, 10, []int{3, 3, 3, 1}},
		{3, 10, []int{2, 2, 2, 2, 2}},
		{2, 1, []int{1}},
		{4, 0, []int{0}}, // nothing at all still has its header
	} {
		t.Run(fmt.Sprintf("%d rows, %d lines", c.rows, c.lines), func(t *testing.T) {
			SplitSheetRows = c.rows
			xlsx, csvText, totals := renderSplits(t, in, lines[:c.lines], rev)
			f, err := excelize.OpenReader(bytes.NewReader(xlsx))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var want []string
			for i := range c.sheets {
				want = append(want, splitSheetName(i+1))
			}
			want = append(want, "单位汇总", "核对", "说明")
			if got := f.GetSheetList(); !reflect.DeepEqual(got, want) {
				t.Fatalf("sheets = %v; want %v", got, want)
			}
			if totals.Sheets != len(c.sheets) || totals.Lines != int64(c.lines) {
				t.Errorf("totals = %+v", totals)
			}
			// The sheets, read in order, are the CSV: the same lines, none lost at a seam.
			records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvText, "\uFEFF"))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			var detail [][]string
			for i, n := range c.sheets {
				rows, err := f.GetRows(splitSheetName(i+1), excelize.Options{RawCellValue: true})
				if err != nil {
					t.Fatal(err)
				}
				// The sheet's header is the CSV's (the contract columns, then 月份), then 客户名称, 分成单位名称.
				if len(rows) != n+1 || !reflect.DeepEqual(rows[0][:len(records[0])], records[0]) ||
					strings.Join(rows[0][len(records[0]):], ",") != "客户名称,分成单位名称" {
					t.Fatalf("%s: %d rows, header %v; want %d lines under %v", splitSheetName(i+1), len(rows), rows[0], n, records[0])
				}
				detail = append(detail, rows[1:]...)
			}
			if len(detail) != len(records)-1 {
				t.Fatalf("%d lines in the sheets, %d in the CSV", len(detail), len(records)-1)
			}
			for i, row := range detail {
				row = append(row, make([]string, len(splitDetailColumns)-len(row))...) // GetRows drops empty trailing cells
				if row[0] != records[i+1][0] || row[4] != records[i+1][4] || row[7] != records[i+1][7] {
					t.Errorf("line %d: sheet %v, CSV %v", i+1, row, records[i+1])
				}
			}
		})
	}
}

func TestSplitsReconciliationShowsADifference(t *testing.T) {
	in, lines, rev := splitFixture(t)
	xlsx, _, totals := renderSplits(t, in, lines[1:], rev) // a share lost on the way
	if totals.Unbalanced != 3 {
		t.Errorf("unbalanced checks = %d; want 3", totals.Unbalanced)
	}
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("核对")
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, r := range rows[1:] {
		if r[4] == "不一致" {
			bad = append(bad, r[0]+" "+r[3])
		}
	}
	want := []string{"2026-06 收入合计（5 行） 33.33", "业务种类 函件 33.33", "单位汇总合计 33.33"}
	if !reflect.DeepEqual(bad, want) {
		t.Errorf("checks marked 不一致: %q; want %q", bad, want)
	}
}

func TestSplitsStopsOnAReadError(t *testing.T) {
	in, lines, rev := splitFixture(t)
	boom := errors.New("连接中断")
	var csvOut bytes.Buffer
	if _, _, err := Splits(testMeta, in, &sliceSource{lines: lines[:4], rev: rev, err: boom}, &csvOut); !errors.Is(err, boom) {
		t.Errorf("err = %v; want the cursor's", err)
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, errors.New("磁盘已满")
	}
	return len(p), nil
}

func TestSplitsStopsWhenTheCSVCannotBeWritten(t *testing.T) {
	in, lines, rev := splitFixture(t)
	many := slices.Repeat(lines, 20_000) // past the CSV writer's buffers
	_, _, err := Splits(testMeta, in, &sliceSource{lines: many, rev: rev}, &failingWriter{after: 1000})
	if err == nil || !strings.Contains(err.Error(), "磁盘已满") {
		t.Errorf("err = %v; want the CSV's write error", err)
	}
}

// A unit's 分成对账单 is two-sided (SPEC §5): 分入, what others booked and the
// splits gave it; 分出, what it booked and the splits gave others; and 对账单
// walks from its 入账收入 to its 分成后净额, its 单位汇总 分成金额, to the fen.
func TestSplitStatementIsTwoSided(t *testing.T) {
	in, lines, rev := splitFixture(t)
	_, _, city := renderSplits(t, in, lines, rev)
	var credited, outgoing []SplitLine
	for _, l := range lines {
		if l.Share.Unit == "D01" {
			credited = append(credited, l)
		}
		if l.Revenue.Unit == "D01" && l.Share.Unit != "D01" {
			outgoing = append(outgoing, l)
		}
	}
	b, totals, err := SplitStatement(testMeta, in, "D01", statementOf(credited, outgoing), city)
	if err != nil {
		t.Fatal(err)
	}
	f := openBook(t, b)
	if got, want := strings.Join(f.GetSheetList(), ","), "对账单,分入,分出,分成明细,单位汇总,核对,说明"; got != want {
		t.Errorf("sheets %s; want %s", got, want)
	}
	rows := func(sheet string) [][]string {
		r, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// 112.29 booked − 66.65 given away + 0.00 received = 45.64, D01's 单位汇总 分成金额.
	walk := rows("对账单")
	for i, want := range [][2]string{{"本单位入账收入", "112.29"}, {"减：分出", "66.65"}, {"加：分入", "0.00"}, {"分成后净额", "45.64"}} {
		if walk[i+1][0] != want[0] || walk[i+1][2] != want[1] {
			t.Errorf("对账单 row %d = %q; want %s %s", i+1, walk[i+1], want[0], want[1])
		}
	}
	if n := len(rows("分入")) - 1; n != 1 {
		t.Errorf("分入: %d lines; want 1 (D02's 包裹, 0.00 to D01)", n)
	}
	out := rows("分出")
	if len(out)-1 != 3 {
		t.Errorf("分出: %q; want D01's thirds to D02 and U00 and 40%% of -0.05 to P01", out)
	}
	for _, r := range out[1:] {
		if r[2] != "D01" || r[4] == "D01" {
			t.Errorf("分出 line %q: not D01's revenue given to another unit", r)
		}
	}
	sum := rows("单位汇总")
	if got := strings.Join(sum[1][:7], ","); got != "D01,莞城镇区局,45.64,112.29,66.65,0.00,-66.65" {
		t.Errorf("单位汇总 = %s", got)
	}
	for _, r := range rows("核对")[1:] {
		if r[4] != "一致" {
			t.Errorf("核对 %q", r)
		}
	}
	if totals.Unbalanced != 0 || totals.Out["D01"] != 66_65 || totals.In["D01"] != 0 {
		t.Errorf("totals %+v", totals)
	}
}
