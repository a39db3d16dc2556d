package pipeline

import (
	"archive/zip"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"kam/domain"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// chartXML returns the first chart's XML in a workbook, "" when it has none.
func chartXML(t *testing.T, path string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == "xl/charts/chart1.xml" {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	return ""
}

// notes reads a pack's 说明 sheet as item → text.
func notes(sheets map[string][][]string) map[string]string {
	out := map[string]string{}
	for _, r := range sheets["说明"][1:] {
		out[r[0]] = r[1]
	}
	return out
}

func TestReviewPacksUseTheStoredGrading(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedGradeData(t, s)
		// A (diamond, 30 days) was last visited on 2026-05-20, by a meeting, and called
		// since: overdue at the end of June. B (gold, 60 days) was visited on 2026-06-25.
		seed(t, s, func(tx *store.Tx) error {
			return tx.PutVisits([]domain.Visit{
				{ID: "V1", Customer: "A", On: day(2026, 5, 20), Kind: domain.VisitMeeting, StaffID: "M1"},
				{ID: "V2", Customer: "A", On: day(2026, 6, 28), Kind: domain.VisitPhone, StaffID: "M1"},
				{ID: "V3", Customer: "B", On: day(2026, 6, 25), Kind: domain.VisitOnSite, StaffID: "M1"},
				{ID: "V4", Customer: "B", On: day(2026, 7, 2), Kind: domain.VisitOnSite, StaffID: "M1"}, // after the pack's month
			})
		})
		a := newTestApp(t, s, time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC))
		ctx := t.Context()
		if _, err := a.RunJob(ctx, "grade", jobs.RunRequest{Period: "2026Q2"}); err != nil {
			t.Fatal(err)
		}

		out, err := a.RunJob(ctx, "review-diamond", jobs.RunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if out.Period != "2026-06" || len(out.Paths) != 1 || !strings.HasSuffix(out.Paths[0], "review-diamond_2026-06.xlsx") {
			t.Fatalf("period %s, files %v; want review-diamond_2026-06.xlsx", out.Period, out.Paths)
		}
		if want := "钻石客户用邮分析 2026-06：1 户，本期收入 150,000.00 元，预警 1 户（流失 0 户）"; out.Headline != want {
			t.Errorf("headline %q; want %q", out.Headline, want)
		}
		if got := sheetNames(t, out.Paths[0]); !reflect.DeepEqual(got, []string{"用邮分析", "分业务", "预警", "趋势图", "趋势数据", "说明"}) {
			t.Errorf("sheets %v", got)
		}
		sheets := tenderSheets(t, out.Paths[0])
		analysis := sheets["用邮分析"]
		if got := strings.Join(analysis[0][:9], ","); got != "客户编号,客户名称,本期收入,上期收入,去年同期收入,环比,同比,年累计,预警" {
			t.Errorf("用邮分析 header %s", got)
		}
		if got := strings.Join(analysis[1][:9], "|"); got != "A|东莞某制造有限公司|150,000.00|150,000.00|500,000.00|0.00%|-70.00%|600,000.00|同比下降超过 10.00%" {
			t.Errorf("用邮分析 row %s", got)
		}
		head := columns(analysis[0])
		if got := cell(analysis[1], head["上次走访日期"]) + "|" + cell(analysis[1], head["走访状态"]); got != "2026-05-20|超期" {
			t.Errorf("用邮分析 A's last visit and state %q, want 2026-05-20|超期", got)
		}
		var lines []string
		for _, r := range sheets["分业务"][1:] {
			lines = append(lines, strings.Join(r[2:8], " "))
		}
		if want := []string{"函件 110,000.00 110,000.00 500,000.00 0.00% -78.00%", "包裹 40,000.00 40,000.00 0.00 0.00% —"}; !reflect.DeepEqual(lines, want) {
			t.Errorf("分业务 %q; want %q", lines, want)
		}
		if len(sheets["预警"]) != 2 || sheets["预警"][1][0] != "A" {
			t.Errorf("预警 %q; want A", sheets["预警"])
		}
		if n := notes(sheets); !strings.Contains(n["客户范围"], "2026Q2 分级结果（已存档）") {
			t.Errorf("客户范围 %q; want the stored 2026Q2 grading", n["客户范围"])
		}
		chart := chartXML(t, out.Paths[0])
		if !strings.Contains(chart, "<lineChart>") || !strings.Contains(chart, "钻石客户近 12 个月收入趋势") ||
			!strings.Contains(chart, "$C$1:$N$1") || strings.Count(chart, "<ser>") != 1 {
			t.Errorf("trend chart: want one line series over 12 months with a Chinese title:\n%s", chart)
		}
		trend := sheets["趋势数据"]
		if trend[0][2] != "2025-07" || trend[0][13] != "2026-06" || trend[1][13] != "150,000.00" {
			t.Errorf("趋势数据 %q", trend)
		}

		out, err = a.RunJob(ctx, "review-gold", jobs.RunRequest{Period: "2026-06"})
		if err != nil {
			t.Fatal(err)
		}
		sheets = tenderSheets(t, out.Paths[0])
		if got := strings.Join(sheets["用邮分析"][1][:9], "|"); got != "B|某物流公司|0.00|0.00|150,000.00|—|-100.00%|300,000.00|流失" {
			t.Errorf("gold 用邮分析 row %s", got)
		}
		head = columns(sheets["用邮分析"][0])
		if got := cell(sheets["用邮分析"][1], head["上次走访日期"]) + "|" + cell(sheets["用邮分析"][1], head["走访状态"]); got != "2026-06-25|按期" {
			t.Errorf("用邮分析 B's last visit and state %q, want 2026-06-25|按期", got)
		}
		if n := notes(sheets); n["本期"] != "2026-05 至 2026-06" || n["上期（环比基数）"] != "2026-03 至 2026-04" {
			t.Errorf("gold windows %v", n)
		}
		if !strings.HasSuffix(out.Paths[0], "review-gold_2026-06.xlsx") || !strings.Contains(out.Headline, "流失 1 户") {
			t.Errorf("gold pack %v: %s", out.Paths, out.Headline)
		}
	})
}

func TestReviewPackGradesAnUngradedQuarterWithoutStoringIt(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedGradeData(t, s)
		a := newTestApp(t, s, time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC))
		out, err := a.RunJob(t.Context(), "review-diamond", jobs.RunRequest{Period: "2026-06"})
		if err != nil {
			t.Fatal(err)
		}
		sheets := tenderSheets(t, out.Paths[0])
		if len(sheets["用邮分析"]) != 2 || sheets["用邮分析"][1][0] != "A" {
			t.Errorf("用邮分析 %q; want A, diamond at 2026Q2", sheets["用邮分析"])
		}
		if n := notes(sheets); !strings.Contains(n["客户范围"], "未存档") {
			t.Errorf("客户范围 %q; want it to say the grading was computed, not stored", n["客户范围"])
		}
		if has, _ := s.HasGrades(t.Context(), domain.Quarter{Year: 2026, Q: 2}); has {
			t.Error("the review pack stored a grading")
		}
		// May's pack looks at 2026Q1, where B was the diamond.
		out, err = a.RunJob(t.Context(), "review-diamond", jobs.RunRequest{Period: "2026-05"})
		if err != nil {
			t.Fatal(err)
		}
		if rows := tenderSheets(t, out.Paths[0])["用邮分析"]; len(rows) != 2 || rows[1][0] != "B" {
			t.Errorf("May 用邮分析 %q; want B", rows)
		}
	})
}

func TestGoldReviewRefusesAnOddMonth(t *testing.T) {
	s := storetest.OpenSQLite(t)
	seedGradeData(t, s)
	a := newTestApp(t, s, time.Date(2026, 8, 10, 9, 0, 0, 0, time.UTC))
	_, err := a.RunJob(t.Context(), "review-gold", jobs.RunRequest{Period: "2026-05"})
	var ue *domain.Error
	if !errors.As(err, &ue) || ue.Kind != domain.EInvalid || !strings.Contains(ue.Msg, "双月") {
		t.Fatalf("err = %v; want a usage error asking for an even month", err)
	}
	// Without --period on 2026-08-10 the last complete month is July: the pack covers May–June.
	out, err := a.RunJob(t.Context(), "review-gold", jobs.RunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Period != "2026-06" {
		t.Errorf("default gold period %s; want 2026-06", out.Period)
	}
}

func TestReviewRefusesAMonthWithoutRevenue(t *testing.T) {
	s := storetest.OpenSQLite(t)
	seedGradeData(t, s)
	a := newTestApp(t, s, time.Date(2026, 8, 10, 9, 0, 0, 0, time.UTC))
	_, err := a.RunJob(t.Context(), "review-diamond", jobs.RunRequest{Period: "2026-07"})
	wantRefused(t, s, err, "2026-07")
}
