package pipeline

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kam/domain"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

const yuan domain.Money = 100

// seedGradeData stores a city centre, a parcel bureau, a district with a team
// and four customers, with revenue shaped so that at 2026Q2
//   - A (综合, on team T1) rises from gold to diamond: 升级, handed from D1 to C0;
//   - B (专业 包裹) falls from diamond to gold: 降级, handed from C0 to P1;
//   - C is 潜在 but has revenue: 新进 and a data warning;
//   - D cooperates with no revenue: 普通, 持平;
//   - Z has revenue but is no known customer: a data warning.
func seedGradeData(t *testing.T, s *store.Store) {
	seed(t, s, func(tx *store.Tx) error {
		if err := tx.PutUnits([]domain.Unit{
			{Code: "C0", Name: "市局大客户中心", Kind: domain.CityCenter},
			{Code: "P1", Name: "包裹专业局", Kind: domain.Professional, Line: "包裹"},
			{Code: "D1", Name: "莞城镇区局", Kind: domain.District},
			{Code: "T1", Name: "莞城营投一班", Kind: domain.Team, Parent: "D1"},
		}); err != nil {
			return err
		}
		return tx.PutCustomers([]domain.Customer{
			{ID: "A", Name: "东莞某制造有限公司", Category: domain.Comprehensive, Status: domain.Cooperating, Territory: "T1"},
			{ID: "B", Name: "某物流公司", Category: domain.Specialized, MainLine: "包裹", Status: domain.Cooperating, Territory: "D1"},
			{ID: "C", Name: "莞城某学校", Category: domain.Comprehensive, Status: domain.Potential, Territory: "D1"},
			{ID: "D", Name: "某保险公司", Category: domain.Comprehensive, Status: domain.Cooperating, Territory: "D1"},
		})
	})
	var rows []domain.Revenue
	add := func(customer string, m domain.Month, line string, amount domain.Money) {
		rows = append(rows, domain.Revenue{Customer: customer, Month: m, Line: line, Unit: "D1", Amount: amount})
	}
	for m := domain.Month(202601); m <= 202603; m++ {
		add("A", m, "函件", 50_000*yuan) // Q1 150,000: gold (the Q1 bar of L3 exactly)
	}
	for m := domain.Month(202604); m <= 202606; m++ {
		add("A", m, "函件", 110_000*yuan)
		add("A", m, "包裹", 40_000*yuan) // Q2 cumulative 600,000: diamond
	}
	add("A", 202506, "函件", 500_000*yuan) // June last year: June 2026's 150,000 is a 70% fall
	add("B", 202505, "包裹", 150_000*yuan) // May–June last year: lost in the gold pack
	add("B", 202512, "包裹", 550_000*yuan) // 2025: 700,000, gold at Q4
	add("B", 202602, "包裹", 300_000*yuan) // Q1 300,000: diamond; Q2 300,000: gold
	add("C", 202605, "函件", 10_000*yuan)  // 潜在 with revenue
	add("Z", 202606, "速递", 99*yuan)      // unknown customer
	add("B", 202606, "包裹", 0)            // a zero row keeps the month present for B too
	seedRevenue(t, s, "revenue-2026.csv", rows)
}

// seedRevenue stores revenue rows as one loaded file.
func seedRevenue(t *testing.T, s *store.Store, name string, rows []domain.Revenue) {
	t.Helper()
	seed(t, s, func(tx *store.Tx) error {
		if _, err := tx.RecordFile(store.FileRecord{Name: name, SHA256: "sha-" + name, Size: 1,
			Kind: domain.KindRevenue, Outcome: store.FileLoaded, StartedAt: time.Now()}); err != nil {
			return err
		}
		return tx.PutRevenue(rows)
	})
}

// gradeLines renders stored grades as "id tier prev change unit" for comparison.
func gradeLines(t *testing.T, a *App, q domain.Quarter) []string {
	t.Helper()
	gs, err := a.Store.Grades(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, g := range gs {
		out = append(out, fmt.Sprintf("%s L%d %s %s←%s %s %s", g.Customer, g.Level, g.Cumulative.Yuan(), g.Tier, g.PrevTier, g.Change, g.Responsible))
	}
	return out
}

func TestGradeJob(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedGradeData(t, s)
		a := newTestApp(t, s, time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC))
		ctx := t.Context()

		// No --period: the last complete quarter before 2026-07-10.
		out, err := a.RunJob(ctx, "grade", jobs.RunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if out.Period != "2026Q2" {
			t.Fatalf("period %s; want 2026Q2", out.Period)
		}
		q2 := domain.Quarter{Year: 2026, Q: 2}
		want := []string{
			"A L2 600,000.00 diamond←gold 升级 C0",
			"B L3 300,000.00 gold←diamond 降级 P1",
			"C L8 10,000.00 ordinary← 新进 D1",
			"D L8 0.00 ordinary←ordinary 持平 D1",
		}
		if got := gradeLines(t, a, q2); !reflect.DeepEqual(got, want) {
			t.Errorf("stored grades:\n got %q\nwant %q", got, want)
		}
		if want := "2026Q2 分级 4 户：钻石 1 户，黄金 1 户，白银 0 户，普通 2 户；升级 1 户，降级 1 户，新进 1 户；数据警告 2 条"; out.Headline != want {
			t.Errorf("headline %q; want %q", out.Headline, want)
		}
		if out.Counts["diamond"] != 1 || out.Counts["down"] != 1 || out.Counts["graded"] != 4 {
			t.Errorf("counts %v", out.Counts)
		}

		if len(out.Paths) != 1 || !strings.HasSuffix(out.Paths[0], "grades_2026Q2.xlsx") {
			t.Fatalf("files %v; want grades_2026Q2.xlsx", out.Paths)
		}
		sheets := tenderSheets(t, out.Paths[0])
		if got := sheetNames(t, out.Paths[0]); !reflect.DeepEqual(got, []string{"分级结果", "等级变动", "汇总", "数据警告", "说明"}) {
			t.Errorf("sheets %v", got)
		}
		results := sheets["分级结果"]
		if got := strings.Join(results[0][:8], ","); got != "客户编号,客户名称,累计收入,级别,等级,上季等级,变动,负责单位编码" {
			t.Errorf("分级结果 header %s", got)
		}
		if got := strings.Join(results[1][:11], "|"); got != "A|东莞某制造有限公司|600,000.00|2|钻石|黄金|升级|C0|500,000.00|1,900,000.00|市局大客户中心" {
			t.Errorf("分级结果 first row %s", got)
		}
		var handover []string
		for _, r := range sheets["等级变动"][1:] {
			handover = append(handover, r[0]+" "+r[2]+" "+r[6]+"→"+r[8])
		}
		if want := []string{"A 升级 D1→C0", "B 降级 C0→P1", "C 新进 →D1"}; !reflect.DeepEqual(handover, want) {
			t.Errorf("等级变动 %q; want %q", handover, want)
		}
		var warned []string
		for _, r := range sheets["数据警告"][1:] {
			warned = append(warned, r[0])
		}
		if !reflect.DeepEqual(warned, []string{"C", "Z"}) || !strings.Contains(sheets["数据警告"][1][2], "潜在") {
			t.Errorf("数据警告 %q", sheets["数据警告"])
		}
		city := ""
		for _, r := range sheets["说明"] {
			if len(r) > 1 && r[0] == "全市合计" {
				city = r[1]
			}
		}
		if !strings.HasPrefix(city, "4 户，累计收入 910,000.00 元") {
			t.Errorf("说明 全市合计 %q", city)
		}

		// New revenue for D, then grade again: the stored grading is replaced, both workbooks stay archived.
		seedRevenue(t, s, "revenue-d.csv", []domain.Revenue{{Customer: "D", Month: 202606, Line: "函件", Unit: "D1", Amount: 320_000 * yuan}})
		if _, err := a.RunJob(ctx, "grade", jobs.RunRequest{Period: "2026q2"}); err != nil {
			t.Fatal(err)
		}
		want = []string{
			"A L2 600,000.00 diamond←gold 升级 C0",
			"D L3 320,000.00 gold←ordinary 升级 D1",
			"B L3 300,000.00 gold←diamond 降级 P1",
			"C L8 10,000.00 ordinary← 新进 D1",
		}
		if got := gradeLines(t, a, q2); !reflect.DeepEqual(got, want) {
			t.Errorf("regraded:\n got %q\nwant %q", got, want)
		}
		reps, err := a.Store.ListReports(ctx, store.ReportFilter{Job: "grade", Period: "2026Q2"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(reps) != 2 || reps[0].FileName != "grades_2026Q2.xlsx" || reps[0].SHA256 == reps[1].SHA256 {
			t.Errorf("archived reports %+v; want both runs' workbooks, different", reps)
		}
	})
}

func TestGradeJobQ1ComparesWithLastYear(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedGradeData(t, s)
		a := newTestApp(t, s, time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC))
		if _, err := a.RunJob(t.Context(), "grade", jobs.RunRequest{Period: "2026Q1"}); err != nil {
			t.Fatal(err)
		}
		// B: 700,000 over 2025 is gold against the annual bars; 300,000 in Q1 is diamond.
		// A: 150,000 is exactly Q1's L3 bar; its 500,000 of 2025 was L4, gold too.
		want := []string{
			"B L2 300,000.00 diamond←gold 升级 C0",
			"A L3 150,000.00 gold←gold 持平 D1",
			"D L8 0.00 ordinary←ordinary 持平 D1",
		}
		if got := gradeLines(t, a, domain.Quarter{Year: 2026, Q: 1}); !reflect.DeepEqual(got, want) {
			t.Errorf("2026Q1 grades:\n got %q\nwant %q", got, want)
		}
	})
}

func TestGradeJobRefusesAQuarterWithoutRevenue(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedGradeData(t, s)
		a := newTestApp(t, s, time.Date(2026, 10, 10, 9, 0, 0, 0, time.UTC))
		_, err := a.RunJob(t.Context(), "grade", jobs.RunRequest{Period: "2026Q3"})
		wantRefused(t, s, err, "2026-09")
		if has, _ := s.HasGrades(t.Context(), domain.Quarter{Year: 2026, Q: 3}); has {
			t.Error("grades stored for a refused quarter")
		}
	})
}

func TestGradeJobRejectsABadScheme(t *testing.T) {
	s := storetest.OpenSQLite(t)
	seedGradeData(t, s)
	a := newTestApp(t, s, time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC))
	a.Cfg.Grading.Thresholds[7] = "1"
	_, err := a.RunJob(t.Context(), "grade", jobs.RunRequest{Period: "2026Q2"})
	var ue *domain.Error
	if !errors.As(err, &ue) || ue.Kind != domain.EInvalid || !strings.Contains(ue.Msg, "grading.thresholds") {
		t.Fatalf("err = %v; want a configuration error naming grading.thresholds", err)
	}
}

// sheetNames lists a workbook's sheets in order.
func sheetNames(t *testing.T, path string) []string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.GetSheetList()
}
