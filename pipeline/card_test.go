package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kam/domain"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// The customer card (客户档案, `kam card`) on both stores: every quarter with
// revenue graded by the rules, 24 months by line, visits newest first, and
// 基本信息 naming the centre, why, and the visit state; explain says it too.
func TestCustomerCard(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedGradeData(t, s)
		seed(t, s, func(tx *store.Tx) error {
			return tx.PutVisits([]domain.Visit{
				{ID: "V1", Customer: "A", On: day(2026, 5, 20), Kind: domain.VisitOnSite, StaffID: "M1", Notes: "年度合作", Next: day(2026, 6, 20)},
				{ID: "V2", Customer: "A", On: day(2026, 6, 28), Kind: domain.VisitPhone, StaffID: "M1"},
			})
		})
		a := newTestApp(t, s, time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC))
		ctx := t.Context()
		if _, err := a.RunJob(ctx, "grade", jobs.RunRequest{Period: "2026Q2"}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		c, err := a.Card(ctx, "a", "", &buf)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), CardFileName(c.ID))
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if filepath.Base(path) != "客户档案_A.xlsx" {
			t.Errorf("file %s", filepath.Base(path))
		}
		sheets := tenderSheets(t, path)
		var history []string
		for _, r := range sheets["等级历史"] {
			history = append(history, strings.Join(r, "|"))
		}
		want := []string{"期间|累计收入|级别|等级|负责单位编码|负责单位名称",
			"2025Q2|500,000.00|2|钻石|C0|市局大客户中心", "2025Q3|500,000.00|3|黄金|D1|莞城镇区局", "2025Q4|500,000.00|4|黄金|D1|莞城镇区局",
			"2026Q1|150,000.00|3|黄金|D1|莞城镇区局", "2026Q2|600,000.00|2|钻石|C0|市局大客户中心"}
		if strings.Join(history, "\n") != strings.Join(want, "\n") {
			t.Errorf("等级历史\n%s\nwant\n%s", strings.Join(history, "\n"), strings.Join(want, "\n"))
		}
		rev := sheets["收入"]
		if len(rev) != 25 || strings.Join(rev[0], "|") != "月份|函件|包裹|合计" || strings.Join(rev[24], "|") != "2026-06|110,000.00|40,000.00|150,000.00" {
			t.Errorf("收入: %d rows, header %q, last %q", len(rev), rev[0], rev[len(rev)-1])
		}
		if v := sheets["走访"]; len(v) != 3 || v[1][0] != "V2" || v[2][0] != "V1" {
			t.Errorf("走访 %q; want V2 then V1", v)
		}
		profile := map[string]string{}
		for _, r := range sheets["基本信息"][1:] {
			profile[r[0]] = cell(r, 1)
		}
		if !strings.HasPrefix(profile["负责单位"], "市局大客户中心（C0）：钻石客户由市局大客户中心") {
			t.Errorf("负责单位 %q", profile["负责单位"])
		}
		// Diamond since 2026Q2 (in force in July): 30 days from 2026-05-20 was 2026-06-19.
		if want := "超期 21 天：上次走访 2026-05-20，应在 2026-06-19 前走访"; !strings.HasPrefix(profile["走访状态"], want) {
			t.Errorf("走访状态 %q, want %q…", profile["走访状态"], want)
		}
		if _, err := a.Card(ctx, "A", "D1", &bytes.Buffer{}); err == nil || domain.KindOf(err) != domain.EInvalid {
			t.Errorf("a unit not responsible for A got its card: %v", err)
		}
		x, err := a.Explain(ctx, "A", "")
		if err != nil {
			t.Fatal(err)
		}
		var text strings.Builder
		if err := x.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text.String(), "走访（分级维护）\n  超期 21 天：上次走访 2026-05-20") {
			t.Errorf("explain lacks the visits line:\n%s", text.String())
		}
	})
}
