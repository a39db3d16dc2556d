package pipeline

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kam/domain"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// seedRoster stores a small bureau: C7 is diamond by 2026Q2 (the city centre's),
// M3 has left, C3 has no B and C4 has A = B.
func seedRoster(t *testing.T, s *store.Store) {
	seed(t, s, func(tx *store.Tx) error {
		if err := tx.PutUnits([]domain.Unit{
			{Code: "U00", Name: "市局大客户中心", Kind: domain.CityCenter},
			{Code: "D01", Name: "莞城镇区局", Kind: domain.District},
			{Code: "D02", Name: "南城镇区局", Kind: domain.District},
			{Code: "P01", Name: "速递专业局", Kind: domain.Professional, Line: "速递"},
			{Code: "T01", Name: "莞城营投班", Kind: domain.Team, Parent: "D01"},
		}); err != nil {
			return err
		}
		if err := tx.PutManagers([]domain.Manager{
			{StaffID: "M1", Name: "张三", Unit: "D01", Status: domain.Active},
			{StaffID: "M2", Name: "李四", Unit: "D01", Status: domain.Active},
			{StaffID: "M3", Name: "王五", Unit: "D02", Status: domain.Departed},
			{StaffID: "M4", Name: "赵六", Unit: "P01", Status: domain.Active},
		}); err != nil {
			return err
		}
		C, P := domain.Cooperating, domain.Potential
		cust := func(id string, st domain.CoopStatus, territory, a, b string) domain.Customer {
			return domain.Customer{ID: id, Name: "客户" + id, Category: domain.Comprehensive, Status: st,
				Territory: territory, Signing: territory, ManagerA: a, ManagerB: b}
		}
		c4 := cust("C4", C, "D01", "M4", "M4")
		c4.Category, c4.MainLine = domain.Specialized, "速递"
		if err := tx.PutCustomers([]domain.Customer{
			cust("C1", C, "D01", "M1", "M2"), cust("C2", P, "T01", "M1", "M2"), cust("C3", C, "D02", "M1", ""), c4,
			cust("C5", C, "D02", "M3", "M1"), cust("C6", P, "D02", "M3", "M2"), cust("C7", C, "D01", "M2", "M4"),
		}); err != nil {
			return err
		}
		if err := tx.PutTargets([]domain.Target{
			{StaffID: "M1", Month: 202608, Customer: "C2", Project: "中秋礼盒"},
			{StaffID: "M2", Month: 202606, Customer: "C6", Project: "速递月结"},
			{StaffID: "M4", Month: 202606, CustomerName: "新客户", Project: "函件"},
		}); err != nil {
			return err
		}
		if err := tx.PutClaims([]domain.Claim{
			{ID: "k1", Customer: "C6", Unit: "D01", Manager: "M2", Registered: day(2026, 5, 1), Confirmed: day(2026, 5, 2), Type: domain.Regular, Developed: day(2026, 6, 20)},
		}); err != nil {
			return err
		}
		if _, err := tx.RecordFile(store.FileRecord{Name: "revenue.csv", SHA256: "r", Size: 1, Kind: domain.KindRevenue,
			Outcome: store.FileLoaded, StartedAt: time.Now()}); err != nil {
			return err
		}
		rev := []domain.Revenue{
			{Customer: "C7", Month: 202604, Line: "速递", Unit: "D01", Amount: 300_000_000}, // 3,000,000 yuan: diamond by Q2
			{Customer: "C1", Month: 202606, Line: "函件", Unit: "D01", Amount: 600},
			{Customer: "C2", Month: 202606, Line: "函件", Unit: "D01", Amount: 100},
			{Customer: "C3", Month: 202606, Line: "函件", Unit: "D02", Amount: 300},
			{Customer: "C4", Month: 202606, Line: "速递", Unit: "P01", Amount: 50},
			{Customer: "C7", Month: 202606, Line: "速递", Unit: "D01", Amount: 1000},
		}
		if err := tx.PutRevenue(rev); err != nil {
			return err
		}
		return tx.FinishRevenue([]domain.MonthLine{{Month: 202604, Line: "速递"}, {Month: 202606, Line: "函件"}, {Month: 202606, Line: "速递"}})
	})
}

func TestRosterWorkbook(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedRoster(t, s)
		a := newTestApp(t, s, time.Date(2026, 7, 26, 9, 0, 0, 0, time.UTC))
		out, err := a.RunJob(t.Context(), "roster", jobs.RunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Paths) != 1 || filepath.Base(out.Paths[0]) != "roster_2026-06.xlsx" {
			t.Fatalf("files %v; want roster_2026-06.xlsx (the last complete month)", out.Paths)
		}
		sheets := tenderSheets(t, out.Paths[0])
		cols := func(sheet string, n int) (got []string) {
			for _, row := range sheets[sheet][1:] {
				got = append(got, strings.Join(row[:n], " "))
			}
			return got
		}
		tenderSame(t, "客户经理 header", sheets["客户经理"][0][:5], []string{"工号", "姓名", "主维护客户数", "辅助客户数", "主维护收入"})
		tenderSame(t, "客户经理", cols("客户经理", 8), []string{
			"M1 张三 3 1 4.00 D01 莞城镇区局 在职",
			"M2 李四 1 3 6.00 D01 莞城镇区局 在职",
			"M3 王五 1 1 0.00 D02 南城镇区局 离职",
			"M4 赵六 2 0 10.50 P01 速递专业局 在职",
		})
		tenderSame(t, "无B角", cols("无B角", 1), []string{"C3"})
		tenderSame(t, "A等于B", cols("A等于B", 1), []string{"C4"})
		tenderSame(t, "离职待交接", cols("离职待交接", 10), []string{
			"M3 王五 离职 C5 客户C5 合作 A角 否 D02 南城镇区局",
			"M3 王五 离职 C6 客户C6 潜在 A角 是 D02 南城镇区局",
		})
		tenderSame(t, "集中度", cols("集中度", 7), []string{
			"D01 莞城镇区局 M2 李四 6.00 7.00 85.71%",
			"D02 南城镇区局 M1 张三 3.00 3.00 100.00%",
			"P01 速递专业局 M4 赵六 0.50 0.50 100.00%",
			"U00 市局大客户中心 M4 赵六 10.00 10.00 100.00%",
		})
		tenderSame(t, "目标未报", cols("目标未报", 5), []string{"M2 李四 D01 莞城镇区局 2026-08", "M4 赵六 P01 速递专业局 2026-08"})
		tenderSame(t, "目标达成", cols("目标达成", 8), []string{"M2 李四 2026-06 C6 客户C6 速递月结 k1 2026-06-20"})
		if !strings.Contains(out.Headline, "2026-08 目标未报 2 人") || out.Counts["handover"] != 2 {
			t.Errorf("headline %q counts %v", out.Headline, out.Counts)
		}
	})
}

func TestRosterTargetsNotYetDue(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedRoster(t, s)
		a := newTestApp(t, s, time.Date(2026, 7, 24, 9, 0, 0, 0, time.UTC))
		out, err := a.RunJob(t.Context(), "roster", jobs.RunRequest{Period: "2026-06"})
		if err != nil {
			t.Fatal(err)
		}
		if rows := tenderSheets(t, out.Paths[0])["目标未报"]; len(rows) != 1 {
			t.Errorf("目标未报 before the 25th: %v; want the header only", rows)
		}
		if !strings.Contains(out.Headline, "2026-08 目标 25 日截止") {
			t.Errorf("headline %q", out.Headline)
		}
		// A late rerun of June reads as at July's end: August's targets were due.
		a.Now = func() time.Time { return time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC) }
		out, err = a.RunJob(t.Context(), "roster", jobs.RunRequest{Period: "2026-06"})
		if err != nil {
			t.Fatal(err)
		}
		if rows := tenderSheets(t, out.Paths[0])["目标未报"]; len(rows) != 3 {
			t.Errorf("目标未报 of a late rerun: %v; want M2 and M4", rows)
		}
	})
}

func TestRosterNeedsManagersOrCustomers(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, time.Date(2026, 7, 26, 9, 0, 0, 0, time.UTC))
		_, err := a.RunJob(t.Context(), "roster", jobs.RunRequest{})
		wantRefused(t, s, err, "客户经理")
	})
}

func TestRosterUsesStoredGrades(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedRoster(t, s)
		ctx := t.Context()
		grade := func(id string, tier domain.Tier, centre string) domain.CustomerGrade {
			return domain.CustomerGrade{Customer: domain.Customer{ID: id}, Level: 1, Tier: tier, Change: domain.ChangeNew, Responsible: centre}
		}
		// 2026Q2's grading made C1 diamond and left C7 out; 2026Q3's is later than June and not read.
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.ReplaceGrades(domain.Quarter{Year: 2026, Q: 2}, []domain.CustomerGrade{grade("C1", domain.Diamond, "U00"), grade("C3", domain.Gold, "D02")})
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.ReplaceGrades(domain.Quarter{Year: 2026, Q: 3}, []domain.CustomerGrade{grade("C1", domain.Gold, "P01")})
		}); err != nil {
			t.Fatal(err)
		}
		a := newTestApp(t, s, time.Date(2026, 7, 26, 9, 0, 0, 0, time.UTC))
		out, err := a.RunJob(ctx, "roster", jobs.RunRequest{Period: "2026-06"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, row := range tenderSheets(t, out.Paths[0])["集中度"][1:] {
			got = append(got, strings.Join(row[:7], " "))
		}
		tenderSame(t, "集中度", got, []string{
			"D01 莞城镇区局 M4 赵六 10.00 11.00 90.91%",
			"D02 南城镇区局 M1 张三 3.00 3.00 100.00%",
			"P01 速递专业局 M4 赵六 0.50 0.50 100.00%",
			"U00 市局大客户中心 M2 李四 6.00 6.00 100.00%",
		})
	})
}
