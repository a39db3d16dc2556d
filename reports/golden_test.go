package reports

import (
	"archive/zip"
	"bytes"
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"kam/config"
	"kam/domain"
	"kam/reports/reportstest"
	"kam/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// checkGolden compares every sheet's cell values, as Excel shows them, with
// testdata/golden/<name>.txt: one "== sheet" section per sheet, one
// tab-separated line per row. With -update it rewrites the file instead.
func checkGolden(t *testing.T, name string, xlsx []byte) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatalf("%s: open workbook: %v", name, err)
	}
	defer f.Close()
	if err := reportstest.CheckLayout(xlsx); err != nil {
		t.Errorf("%s: %v", name, err)
	}
	var b strings.Builder
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatalf("%s: read sheet %s: %v", name, sheet, err)
		}
		b.WriteString("== " + sheet + "\n")
		for _, row := range rows {
			b.WriteString(strings.Join(row, "\t") + "\n")
		}
	}
	b.WriteString(chartsText(t, name, xlsx))
	got := b.String()
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (run go test ./reports/ -run Golden -update to create it)", name, err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test ./reports/ -run Golden -update rewrites it):\n--- got\n%s--- want\n%s", name, path, got, want)
	}
}

var chartText = regexp.MustCompile(`<a:t>([^<]*)</a:t>|<f>([^<]*)</f>|<grouping val="([^"]*)"|<(lineChart|barChart|pieChart)>|<numFmt formatCode="([^"]+)"|<legendPos val="([^"]*)"`)

// chartsText lists each chart's kind, title and axis texts and the cell
// ranges its series read, one "== chart" section per chart ("" when none).
func chartsText(t *testing.T, name string, xlsx []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var charts []*zip.File
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "xl/charts/chart") {
			charts = append(charts, f)
		}
	}
	sort.Slice(charts, func(i, j int) bool { return charts[i].Name < charts[j].Name })
	var b strings.Builder
	for _, f := range charts {
		r, err := f.Open()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		xml, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b.WriteString("== chart " + f.Name + "\n")
		for _, m := range chartText.FindAllStringSubmatch(string(xml), -1) {
			switch {
			case m[1] != "":
				b.WriteString("text\t" + html.UnescapeString(m[1]) + "\n")
			case m[2] != "":
				b.WriteString("range\t" + html.UnescapeString(m[2]) + "\n")
			case m[3] != "":
				b.WriteString("grouping\t" + m[3] + "\n")
			case m[4] != "":
				b.WriteString("type\t" + m[4] + "\n")
			case m[5] != "":
				b.WriteString("number format\t" + html.UnescapeString(m[5]) + "\n")
			case m[6] != "":
				b.WriteString("legend\t" + m[6] + "\n")
			}
		}
	}
	return b.String()
}

// gradeFixture is a small 2026Q2 grading with every 变动, a handover, a 潜在
// customer with revenue, a refund, and data warnings.
func gradeFixture(t *testing.T) ([]domain.CustomerGrade, []rules.Warning, Directory) {
	units := []domain.Unit{
		{Code: "C0", Name: "市局大客户中心", Kind: domain.CityCenter},
		{Code: "P1", Name: "包裹专业局", Kind: domain.Professional, Line: "包裹"},
		{Code: "P2", Name: "速递专业局", Kind: domain.Professional, Line: "速递"},
		{Code: "D1", Name: "莞城镇区局", Kind: domain.District},
		{Code: "D2", Name: "南城镇区局", Kind: domain.District},
		{Code: "T1", Name: "莞城营投一班", Kind: domain.Team, Parent: "D1"},
		{Code: "W1", Name: "南城营业窗口", Kind: domain.Window, Parent: "D2"},
	}
	customer := func(id, name string, cat domain.Category, line, territory string, status domain.CoopStatus) domain.Customer {
		return domain.Customer{ID: id, Name: name, Category: cat, MainLine: line, Territory: territory, Status: status, ManagerA: "M1", ManagerB: "M2"}
	}
	C, S, coop, potential := domain.Comprehensive, domain.Specialized, domain.Cooperating, domain.Potential
	const yuan = 100
	grades, warnings := rules.Grade(rules.GradeInput{
		Quarter: domain.Quarter{Year: 2026, Q: 2},
		Customers: []domain.Customer{
			customer("G01", "东莞某制造有限公司", C, "", "D1", coop),
			customer("G02", "某银行东莞分行", S, "速递", "T1", coop),
			customer("G03", "=某物流公司", S, "包裹", "D1", coop),
			customer("G04", "南城某医院", C, "", "W1", coop),
			customer("G05", "莞城某学校", C, "", "T1", potential),
			customer("G06", "某保险公司", C, "", "D2", coop),
			customer("G07", "某电力公司", S, "集邮", "D2", coop),
			customer("G10", "某潜在客户", C, "", "D2", potential), // no revenue: not graded
		},
		Cumulative: map[string]domain.Money{
			"G01": 2_600_000 * yuan, "G02": 500_000 * yuan, "G03": 500_000*yuan - 1, "G04": 100_000 * yuan,
			"G05": 20_000 * yuan, "G06": -300 * yuan, "X99": 12 * yuan,
		},
		PrevCumulative: map[string]domain.Money{
			"G01": 1_300_000 * yuan, "G02": 200_000 * yuan, "G03": 260_000 * yuan, "G04": 50_000 * yuan, "G06": 100 * yuan,
		},
		Units:  units,
		Scheme: defaultScheme(t),
	})
	names := Directory{Units: map[string]string{}, Managers: map[string]string{"M1": "张三", "M2": "李四"}}
	for _, u := range units {
		names.Units[u.Code] = u.Name
	}
	return grades, warnings, names
}

func TestGradesGolden(t *testing.T) {
	grades, warnings, names := gradeFixture(t)
	b, err := Grades(testMeta, GradeBasis{Scheme: defaultScheme(t), Quarter: domain.Quarter{Year: 2026, Q: 2}}, grades, warnings, names)
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "grades_2026Q2", data)
}

func TestGradesToneChanges(t *testing.T) {
	grades, warnings, names := gradeFixture(t)
	b, err := Grades(testMeta, GradeBasis{Scheme: defaultScheme(t), Quarter: domain.Quarter{Year: 2026, Q: 2}}, grades, warnings, names)
	if err != nil {
		t.Fatal(err)
	}
	f := openBook(t, b)
	rows, err := f.GetRows("分级结果")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(rows[0][:8], ","), "客户编号,客户名称,累计收入,级别,等级,上季等级,变动,负责单位编码"; got != want {
		t.Errorf("分级结果 contract columns = %s; want %s", got, want)
	}
	fills := map[string]string{}
	for i, row := range rows[1:] {
		cell := fmt.Sprintf("G%d", i+2)
		style, err := f.GetCellStyle("分级结果", cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(style)
		if err != nil {
			t.Fatal(err)
		}
		fill := ""
		if len(st.Fill.Color) > 0 {
			fill = st.Fill.Color[0]
		}
		if prev, ok := fills[row[6]]; ok && prev != fill {
			t.Errorf("变动 %s coloured both %q and %q", row[6], prev, fill)
		}
		fills[row[6]] = fill
	}
	if fills["升级"] != toneFill[Good] || fills["降级"] != toneFill[Bad] || fills["持平"] != "" || fills["新进"] != "" {
		t.Errorf("变动 fills = %v; want 升级 green, 降级 red, others plain", fills)
	}
}

// reviewFixture is a month of diamond revenue: a fall flagged overall and on
// one line, a lost customer, one with no base to compare with and one with nothing.
func reviewFixture(tier domain.Tier, m domain.Month, window int, revenue []domain.Revenue, customers ...domain.Customer) ReviewPack {
	rows, err := rules.Review(rules.ReviewInput{
		Month: m, Window: window, Customers: customers, Revenue: revenue,
		Lines: domain.DefaultBusinessLines, DropAlert: rules.DefaultDropAlert,
	})
	if err != nil {
		panic(err) // a fixture's sums are small
	}
	resp := map[string]string{}
	for _, c := range customers {
		resp[c.ID] = "C0"
		if tier == domain.Gold {
			resp[c.ID] = "D1"
		}
	}
	return ReviewPack{Tier: tier, Month: m, Window: window, Basis: "2026Q2 分级结果（已存档）中的" + tier.Label() + "客户",
		DropAlert: rules.DefaultDropAlert, ChartTopN: 2, Rows: rows, Responsible: resp}
}

func goldenRev(customer string, month domain.Month, line string, yuan int64) domain.Revenue {
	return domain.Revenue{Customer: customer, Month: month, Line: line, Amount: domain.Money(yuan * 100)}
}

func TestReviewDiamondGolden(t *testing.T) {
	var revenue []domain.Revenue
	for m := domain.Month(202507); m <= 202604; m = m.AddMonths(1) {
		revenue = append(revenue, goldenRev("G01", m, "函件", 80_000))
	}
	revenue = append(revenue,
		goldenRev("G01", 202506, "函件", 100_000), goldenRev("G01", 202506, "包裹", 50_000),
		goldenRev("G01", 202605, "函件", 120_000), goldenRev("G01", 202606, "函件", 90_000), goldenRev("G01", 202606, "包裹", 30_000),
		goldenRev("G02", 202506, "速递", 40_000), goldenRev("G02", 202605, "速递", 10_000),
		goldenRev("G08", 202606, "代理金融", 5_000),
	)
	p := reviewFixture(domain.Diamond, 202606, rules.DiamondWindow, revenue,
		domain.Customer{ID: "G01", Name: "东莞某制造有限公司", Status: domain.Cooperating, ManagerA: "M1", ManagerB: "M2"}, domain.Customer{ID: "G02", Name: "某银行东莞分行"},
		domain.Customer{ID: "G08", Name: "+某新客户"}, domain.Customer{ID: "G09", Name: "某无收入客户"})
	b, err := Review(testMeta, p, Directory{Units: map[string]string{"C0": "市局大客户中心"}, Managers: map[string]string{"M1": "张三", "M2": "李四"}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "review-diamond_2026-06", data)
}

func TestReviewGoldGolden(t *testing.T) {
	revenue := []domain.Revenue{
		goldenRev("G03", 202505, "包裹", 80_000), goldenRev("G03", 202506, "包裹", 10_000),
		goldenRev("G03", 202603, "包裹", 60_000), goldenRev("G03", 202604, "包裹", 60_000),
		goldenRev("G03", 202605, "包裹", 100_000), goldenRev("G03", 202606, "包裹", -10_000),
		goldenRev("G04", 202505, "函件", 1_000),
	}
	p := reviewFixture(domain.Gold, 202606, rules.GoldWindow, revenue,
		domain.Customer{ID: "G03", Name: "=某物流公司"}, domain.Customer{ID: "G04", Name: "南城某医院"})
	p.ChartTopN = 10
	b, err := Review(testMeta, p, Directory{Units: map[string]string{"D1": "莞城镇区局"}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "review-gold_2026-06", data)
}

func TestReviewWithoutAChart(t *testing.T) {
	b, err := Review(testMeta, ReviewPack{Tier: domain.Gold, Month: 202606, Window: 2, ChartTopN: 10, DropAlert: 1000}, Directory{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("趋势图", "A1"); !strings.Contains(v, "没有黄金客户") {
		t.Errorf("趋势图 A1 = %q; want a note that there are no gold customers", v)
	}
	if charts := chartsText(t, "empty", data); charts != "" {
		t.Errorf("charts in an empty pack:\n%s", charts)
	}

	// Customers, but the chart turned off in the configuration.
	b, err = Review(testMeta, ReviewPack{Tier: domain.Diamond, Month: 202606, Window: 1, ChartTopN: 0, DropAlert: 1000,
		Rows: []rules.ReviewRow{{Customer: domain.Customer{ID: "C1"}}}}, Directory{})
	if err != nil {
		t.Fatal(err)
	}
	if data, err = b.Bytes(); err != nil {
		t.Fatal(err)
	}
	f2, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	if v, _ := f2.GetCellValue("趋势图", "A1"); !strings.Contains(v, "review.chart_top_n") {
		t.Errorf("趋势图 A1 = %q; want a note that the chart is turned off", v)
	}
	if charts := chartsText(t, "off", data); charts != "" {
		t.Errorf("charts with chart_top_n 0:\n%s", charts)
	}
}

// A pack large enough that excelize spills its streamed sheets to disk must
// still get its chart (the chart sheet must not make excelize reread them).
func TestReviewLargePack(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 120,000-row sheet")
	}
	p := ReviewPack{Tier: domain.Gold, Month: 202606, Window: 2, ChartTopN: 10, DropAlert: 1000}
	for i := range 40_000 {
		r := rules.ReviewRow{Customer: domain.Customer{ID: fmt.Sprintf("C%06d", i), Name: fmt.Sprintf("客户%d", i)}}
		r.Current = domain.Money(i * 100)
		for _, line := range []string{"函件", "包裹", "速递"} {
			r.Lines = append(r.Lines, rules.LineReview{Line: line, ReviewFigures: r.ReviewFigures})
		}
		for m := range r.Trend {
			r.Trend[m] = domain.Money(i * m)
		}
		p.Rows = append(p.Rows, r)
	}
	b, err := Review(testMeta, p, Directory{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if charts := chartsText(t, "large", buf.Bytes()); strings.Count(charts, "range\t'趋势数据'!$C$1:$N$1") != 10 {
		t.Errorf("chart of the large pack:\n%s", charts)
	}
}

// defaultScheme is the configured default grading table.
func defaultScheme(t *testing.T) rules.GradeScheme {
	t.Helper()
	g, err := config.Default().GradeTable()
	if err != nil {
		t.Fatal(err)
	}
	return rules.GradeScheme(g)
}
