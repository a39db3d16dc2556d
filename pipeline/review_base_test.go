package pipeline

import (
	"slices"
	"strings"
	"testing"
	"time"

	"kam/gen"
	"kam/pipeline/jobs"
	"kam/reports"
	"kam/store/storetest"
)

// Ten months of kam gen data (2025-09 … 2026-06): the gold pack of 2026-06
// has no 去年同期 (2025-05, 2025-06) and its trend two months before the
// first loaded one. It says so in 说明, on 预警 and in the mail instead of
// reporting 预警 0 户, and its trend has gaps there, not 0. 分级结果 and
// 用邮分析 name each customer's managers as the store holds them.
func TestAPackWithoutABaseSaysSo(t *testing.T) {
	s := storetest.OpenSQLite(t)
	now := time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC)
	a := newTestApp(t, s, now)
	srv := startMailServer(t)
	a.Cfg.SMTP.Host, a.Cfg.SMTP.Port, a.Cfg.SMTP.TLS, a.Cfg.SMTP.From = "127.0.0.1", srv.port(), "none", "kam@example.com"
	a.Cfg.Recipients.Reports["review_gold"] = []string{"o@x.cn"}
	ctx := t.Context()
	if _, err := gen.Run(ctx, gen.Options{Out: a.Cfg.Paths.Inbox, Customers: 80, Months: 10, Seed: 7, End: 202606, Now: now}); err != nil {
		t.Fatal(err)
	}
	_, err := a.Ingest(ctx)
	mustDo(t, err)
	grade, err := a.RunJob(ctx, "grade", jobs.RunRequest{Period: "2026Q2"})
	mustDo(t, err)
	out, err := a.RunJob(ctx, "review-gold", jobs.RunRequest{Period: "2026-06"})
	mustDo(t, err)
	if !strings.Contains(out.Headline, reports.NoBaseWarning) || strings.Contains(out.Headline, "预警 0 户") || out.Counts["no_base"] != 1 {
		t.Errorf("headline %q, counts %v; want %s and no 预警 0 户", out.Headline, out.Counts, reports.NoBaseWarning)
	}
	book := tenderSheets(t, out.Paths[0])
	customers := len(book["用邮分析"]) - 1
	if customers == 0 {
		t.Fatal("no gold customer to review")
	}
	var said bool
	for _, row := range book["说明"] {
		said = said || (len(row) > 1 && row[0] == "同比预警" && strings.Contains(row[1], reports.NoBaseWarning) && strings.Contains(row[1], "2025-05 至 2025-06"))
	}
	if !said {
		t.Errorf("说明 does not say 同比 could not be judged: %q", book["说明"])
	}
	if alerts := book["预警"]; len(alerts)-1 != customers || !strings.Contains(alerts[1][2], "未判断") {
		t.Errorf("预警 lists %d of %d customers: %q", len(alerts)-1, customers, alerts[:min(2, len(alerts))])
	}
	// 趋势数据: 2025-07 and 2025-08 were never loaded: empty cells (a gap), in 元 and in 万元.
	trend := book["趋势数据"]
	for _, month := range []string{"2025-07", "2025-08", "2025-07 万元", "2025-08 万元", "2025-09", "2025-09 万元"} {
		col := slices.Index(trend[0], month)
		if col < 0 {
			t.Fatalf("趋势数据 has no column %s: %q", month, trend[0])
		}
		for _, row := range trend[1:] {
			v := ""
			if col < len(row) {
				v = row[col]
			}
			if gap := !strings.HasPrefix(month, "2025-09"); gap != (v == "") {
				t.Errorf("趋势数据 %s %s = %q; want a gap only before the first loaded month", row[0], month, v)
			}
		}
	}

	// The managers, as stored.
	stored, err := s.Customers(ctx)
	mustDo(t, err)
	managers, err := s.Managers(ctx)
	mustDo(t, err)
	name := map[string]string{}
	for _, m := range managers {
		name[m.StaffID] = m.Name
	}
	want := map[string][]string{}
	for _, c := range stored {
		p, b := c.Maintainers()
		want[c.ID] = []string{p, name[p], name[b]}
	}
	for path, sheet := range map[string]string{grade.Paths[0]: "分级结果", out.Paths[0]: "用邮分析"} {
		rows := tenderSheets(t, path)[sheet]
		at := slices.Index(rows[0], "主维护客户经理工号")
		if at < 0 {
			t.Fatalf("%s: no managers: %q", sheet, rows[0])
		}
		for _, r := range rows[1:] {
			got := append(r[min(at, len(r)):min(at+3, len(r))], "", "", "")[:3]
			if w := want[r[0]]; !slices.Equal(got, w) {
				t.Errorf("%s %s managers %q; want %q", sheet, r[0], got, w)
			}
		}
	}

	// The mail says it too.
	_, err = a.Deliver(ctx)
	mustDo(t, err)
	var mailed bool
	for _, msg := range srv.messages() {
		if msg.to[0] == "o@x.cn" {
			m := parseMail(t, msg.data)
			mailed = strings.Contains(m.Subject, reports.NoBaseWarning) && strings.Contains(m.Text, "这不是“没有预警”")
			if !mailed {
				t.Errorf("mail: %s\n%s", m.Subject, m.Text)
			}
		}
	}
	if !mailed {
		t.Error("no gold mail")
	}
}
