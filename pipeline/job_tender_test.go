package pipeline

import (
	"path/filepath"
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

// seedTenderData stores two districts' worth of units, managers, customers and claims:
// on 2026-07-15 k1 and k2 are overdue and k3 is due in 2 days (overdue from 07-18).
func seedTenderData(t *testing.T, s *store.Store) {
	seed(t, s, func(tx *store.Tx) error {
		if err := tx.PutUnits([]domain.Unit{
			{Code: "U00", Name: "市局大客户中心", Kind: domain.CityCenter},
			{Code: "D01", Name: "莞城镇区局", Kind: domain.District},
			{Code: "P01", Name: "速递专业局", Kind: domain.Professional, Line: "速递"},
		}); err != nil {
			return err
		}
		if err := tx.PutManagers([]domain.Manager{
			{StaffID: "M1", Name: "张三", Unit: "D01", Status: domain.Active},
			{StaffID: "M2", Name: "李四", Unit: "P01", Status: domain.Active},
		}); err != nil {
			return err
		}
		var cs []domain.Customer
		for _, id := range []string{"C1", "C2", "C3", "C4", "C5"} {
			cs = append(cs, domain.Customer{ID: id, Name: "客户" + id, Category: domain.Comprehensive,
				Status: domain.Potential, Territory: "D01", Signing: "D01", ManagerA: "M1"})
		}
		if err := tx.PutCustomers(cs); err != nil {
			return err
		}
		return tx.PutClaims([]domain.Claim{
			{ID: "k1", Customer: "C1", Unit: "D01", Manager: "M1", Registered: day(2026, 4, 1), Confirmed: day(2026, 4, 10), Type: domain.Regular},
			{ID: "k2", Customer: "C2", Unit: "P01", Manager: "M2", Registered: day(2026, 5, 10), Confirmed: day(2026, 5, 16), Type: domain.Holiday},
			{ID: "k3", Customer: "C3", Unit: "D01", Manager: "M1", Registered: day(2026, 5, 10), Confirmed: day(2026, 5, 17), Type: domain.Regular},
			{ID: "k4", Customer: "C4", Unit: "P01", Manager: "M2", Registered: day(2026, 4, 1), Confirmed: day(2026, 4, 2), Type: domain.Regular, Developed: day(2026, 6, 1)},
			{ID: "k5", Customer: "C5", Unit: "D01", Manager: "M1", Registered: day(2026, 7, 1), Type: domain.Regular},
			{ID: "k6", Customer: "C3", Unit: "P01", Manager: "M2", Registered: day(2026, 7, 1), Type: domain.Regular},
		})
	})
}

// tenderSheets reads every sheet of a workbook as GetRows strings.
func tenderSheets(t *testing.T, path string) map[string][][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][][]string{}
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		out[sh] = rows
	}
	return out
}

// tenderAnnounced lists "claim 新增" for each row of 竞标公告.
func tenderAnnounced(t *testing.T, out *jobs.Output) []string {
	t.Helper()
	if len(out.Paths) != 1 {
		t.Fatalf("files %v; want one workbook", out.Paths)
	}
	var got []string
	for _, row := range tenderSheets(t, out.Paths[0])["竞标公告"][1:] {
		got = append(got, row[0]+" "+row[8])
	}
	return got
}

func TestTenderMarksOnlyNewlyOverdue(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedTenderData(t, s)
		a := newTestApp(t, s, time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC))
		ctx := t.Context()

		out, err := a.RunJob(ctx, "tender", jobs.RunRequest{AsOf: day(2026, 7, 15)})
		if err != nil {
			t.Fatal(err)
		}
		if got := filepath.Base(out.Paths[0]); got != "tender_2026-07-15.xlsx" {
			t.Errorf("file %s", got)
		}
		tenderSame(t, "first announcement", tenderAnnounced(t, out), []string{"k1 是", "k2 是"})
		if out.Headline != "逾期 2 项（新增 2 项），临期 1 项，待确认 2 项，争议 1 项，超额 0 项" {
			t.Errorf("headline %q", out.Headline)
		}

		// Nothing changed, so only a forced rerun issues anything (SPEC §5.2).
		if again, err := a.RunJob(ctx, "tender", jobs.RunRequest{AsOf: day(2026, 7, 15)}); err != nil || !again.Unchanged {
			t.Fatalf("a rerun on unchanged data: %+v %v", again, err)
		}
		out, err = a.RunJob(ctx, "tender", jobs.RunRequest{AsOf: day(2026, 7, 15), Force: true})
		if err != nil {
			t.Fatal(err)
		}
		// A rerun of the same day keeps its marks: 新增 is what no earlier day announced.
		tenderSame(t, "rerun on the same day", tenderAnnounced(t, out), []string{"k1 是", "k2 是"})
		if out.Counts["new"] != 2 || out.Counts["overdue"] != 2 {
			t.Errorf("rerun counts %v", out.Counts)
		}

		// --period names the as-of day too.
		a.Now = func() time.Time { return time.Date(2026, 7, 20, 9, 0, 0, 0, time.UTC) }
		out, err = a.RunJob(ctx, "tender", jobs.RunRequest{Period: "2026-07-20"})
		if err != nil {
			t.Fatal(err)
		}
		tenderSame(t, "a later day", tenderAnnounced(t, out), []string{"k1 否", "k2 否", "k3 是"})

		var firsts []string
		if err := s.DB().Select(&firsts, "SELECT claim_id FROM announcements WHERE as_of = ? ORDER BY claim_id", day(2026, 7, 15).String()); err != nil {
			t.Fatal(err)
		}
		tenderSame(t, "first announced on 07-15", firsts, []string{"k1", "k2"})
	})
}

func TestTenderWorkbook(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedTenderData(t, s)
		a := newTestApp(t, s, time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC))
		out, err := a.RunJob(t.Context(), "tender", jobs.RunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(out.Paths[0]) != "tender_2026-07-15.xlsx" {
			t.Fatalf("default as-of is today: %v", out.Paths)
		}
		sheets := tenderSheets(t, out.Paths[0])
		wantHead := "申报编号 客户编号 客户名称 申报单位编码 客户经理工号 确认日期 开发截止日期 逾期天数 新增"
		if got := strings.Join(sheets["竞标公告"][0][:9], " "); got != wantHead {
			t.Errorf("竞标公告 header %q", got)
		}
		tenderSame(t, "k1", sheets["竞标公告"][1], []string{"k1", "C1", "客户C1", "D01", "M1", "2026-04-10", "2026-06-10", "35", "是", "2026-07-30", "莞城镇区局", "张三", "常规"})
		tenderSame(t, "临期", sheets["临期"][1][:10], []string{"k3", "C3", "客户C3", "D01", "莞城镇区局", "M1", "张三", "2026-05-17", "2026-07-17", "2"})
		tenderSame(t, "待确认", []string{sheets["待确认"][1][0], sheets["待确认"][2][0], sheets["待确认"][2][8]}, []string{"k5", "k6", "14"})
		tenderSame(t, "争议", sheets["争议"][1][:7], []string{"C3", "客户C3", "k6", "P01", "M2", "2026-07-01", "k3"})
		if len(sheets["超额"]) != 1 {
			t.Errorf("超额 rows %v; want the header only", sheets["超额"])
		}

		f, err := excelize.OpenFile(out.Paths[0])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if v, _ := f.GetCellValue("竞标公告", "G2", excelize.Options{RawCellValue: true}); v != "46183" {
			t.Errorf("开发截止日期 raw %q; want the date serial 46183", v)
		}
	})
}

func TestTenderOverCap(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedTenderData(t, s)
		a := newTestApp(t, s, time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC))
		a.Cfg.Claims.ManagerCap = 1
		out, err := a.RunJob(t.Context(), "tender", jobs.RunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		// M1 holds k3 then k5 open; M2 holds k6 only (k2 is overdue, k4 developed).
		rows := tenderSheets(t, out.Paths[0])["超额"]
		if len(rows) != 2 {
			t.Fatalf("超额 %v", rows)
		}
		tenderSame(t, "超额", rows[1][:6], []string{"M1", "张三", "2", "1", "2", "k5"})
	})
}

func tenderSame(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}
