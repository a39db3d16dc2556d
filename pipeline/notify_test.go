package pipeline

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"net/mail"
	"unicode/utf8"

	"kam/domain"
	"kam/gen"
	"kam/pipeline/core"
	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	"kam/reports/reportstest"
	"kam/store"
	"kam/store/storetest"
)

func TestPeriodLabels(t *testing.T) {
	for _, c := range [][3]string{
		{"grade", "2026Q2", "2026 年第 2 季度"},
		{"splits", "2026-06", "2026 年 6 月"},
		{"review-gold", "2026-06", "2026 年 5—6 月"},
		{"tender", "2026-07-15", "2026 年 7 月 15 日"},
		{"other", "whatever", "whatever"},
	} {
		if got := jobs.PeriodLabel(c[0], c[1]); got != c[2] {
			t.Errorf("jobs.PeriodLabel(%s, %s) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

// When another instance's scheduled run of the same period commits first, this run's archive, mail
// and report files all roll back together, and no one is told of a failure that is not one.
func TestLosingRunLeavesNoReportsOrMail(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, time.Date(2026, 7, 6, 5, 0, 0, 0, time.UTC))
		a.Cfg.Recipients.Reports["splits"] = []string{"finance@example.com"}
		a.Cfg.Recipients.Admin = []string{"admin@example.com"}
		job := splitsJob(100, 100)
		run := job.Run
		job.Run = func(ctx context.Context, a *core.App, period string, asOf domain.Date, out *jobs.Output) error {
			// The other instance finishes the same period meanwhile (its lock was lost, say).
			id, err := a.Store.StartRun(ctx, "splits", period, jobs.TriggerSchedule, time.Now())
			if err != nil {
				return err
			}
			if err := a.Store.InTx(ctx, func(tx *store.Tx) error { return tx.SucceedRun(id, nil, "", time.Now()) }); err != nil {
				return err
			}
			return run(ctx, a, period, asOf, out)
		}
		_, err := jobs.RunJob(t.Context(), a.App, job, jobs.RunRequest{Period: "2026-06", Trigger: jobs.TriggerSchedule})
		if !errors.Is(err, store.ErrAlreadySucceeded) {
			t.Fatalf("err = %v, want ErrAlreadySucceeded", err)
		}
		var reports, mails int
		mustDo(t, s.DB().Get(&reports, "SELECT COUNT(*) FROM reports"))
		mustDo(t, s.DB().Get(&mails, "SELECT COUNT(*) FROM outbox"))
		entries, _ := os.ReadDir(a.Cfg.Paths.Reports)
		if reports != 0 || mails != 0 || len(entries) != 0 {
			t.Errorf("the losing run left %d reports, %d mails, %d files", reports, mails, len(entries))
		}
		wantEqual(t, "runs", runOutcomes(t, s), []string{"splits 2026-06 schedule failed", "splits 2026-06 schedule succeeded"})
	})
}

func TestFailedManualRunTellsTheAdministrator(t *testing.T) {
	s := storetest.OpenSQLite(t)
	a := newTestApp(t, s, time.Date(2026, 7, 10, 3, 0, 0, 0, time.UTC))
	a.Cfg.Recipients.Admin = []string{"admin@example.com", "boss@example.com"}
	job := registered("grade", func(ctx context.Context, a *core.App, period string, asOf domain.Date, out *jobs.Output) error {
		return out.AddFile("grade.xlsx", func(w io.Writer) error { return errors.New("磁盘已满") })
	})
	_, err := jobs.RunJob(t.Context(), a.App, job, jobs.RunRequest{Period: "2026Q2"})
	if err == nil {
		t.Fatal("the run did not fail")
	}
	var mails []store.Mail
	mustDo(t, s.DB().Select(&mails, "SELECT recipient, subject, body_text, message_id FROM outbox ORDER BY id"))
	if len(mails) != 2 || mails[0].Recipient != "admin@example.com" || mails[0].Subject != "kam 作业失败：季度客户分级 · 2026 年第 2 季度" {
		t.Fatalf("mails: %+v", mails)
	}
	for _, want := range []string{"磁盘已满", "kam run grade --period 2026Q2", "手动"} {
		if !strings.Contains(mails[0].Text, want) {
			t.Errorf("admin mail lacks %q:\n%s", want, mails[0].Text)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(a.Cfg.Paths.Reports, "*")); len(files) != 0 {
		t.Errorf("a failed run published %v", files)
	}
}

// runEveryJob runs each job for 2026Q2, June 2026 and 15 July 2026, grade first.
func runEveryJob(t *testing.T, a *App) map[string]*jobs.Output {
	t.Helper()
	outs := map[string]*jobs.Output{}
	for _, run := range []struct {
		job string
		req jobs.RunRequest
	}{
		{"grade", jobs.RunRequest{Period: "2026Q2"}},
		{"review-diamond", jobs.RunRequest{Period: "2026-06"}},
		{"review-gold", jobs.RunRequest{Period: "2026-06"}},
		{"roster", jobs.RunRequest{Period: "2026-06"}},
		{"splits", jobs.RunRequest{Period: "2026-06"}},
		{"tender", jobs.RunRequest{AsOf: day(2026, 7, 15)}},
		{"maintenance", jobs.RunRequest{AsOf: day(2026, 7, 15)}},
	} {
		out, err := a.RunJob(t.Context(), run.job, run.req)
		if err != nil {
			t.Fatalf("%s: %v", run.job, err)
		}
		outs[run.job] = out
	}
	return outs
}

// Every workbook kam writes — each job's, and the error workbook of a rejected
// file — declares its true used range, filters and prints its tables and says
// what it is (SPEC §5), read back as openpyxl and Excel would.
func TestEveryWorkbookDeclaresWhatItHolds(t *testing.T) {
	s := storetest.OpenSQLite(t)
	now := time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC)
	a := newTestApp(t, s, now)
	srv := startMailServer(t)
	a.Cfg.SMTP.Host, a.Cfg.SMTP.Port, a.Cfg.SMTP.TLS, a.Cfg.SMTP.From = "127.0.0.1", srv.port(), "none", "kam@example.com"
	r := &a.Cfg.Recipients
	r.Reports["grades"], r.Reports["review_diamond"], r.Reports["review_gold"], r.Reports["roster"], r.Reports["splits"], r.Reports["tender"] = []string{"g@x.cn"}, []string{"d@x.cn"}, []string{"o@x.cn"}, []string{"r@x.cn"}, []string{"s@x.cn"}, []string{"t@x.cn"}
	ctx := t.Context()
	if _, err := gen.Run(ctx, gen.Options{Out: a.Cfg.Paths.Inbox, Customers: 60, Months: 14, Seed: 5, End: 202606, Now: now}); err != nil {
		t.Fatal(err)
	}
	mustDo(t, os.WriteFile(filepath.Join(a.Cfg.Paths.Inbox, "不明.csv"), []byte("甲,乙\n1,2\n"), 0o644))
	scan, err := a.Ingest(ctx)
	mustDo(t, err)
	if scan.Count(ingest.OutcomeRejected) != 1 {
		t.Fatalf("scan: %+v", scan.Files)
	}
	books := map[string]string{"错误明细": filepath.Join(a.Cfg.Paths.Rejected, "不明.csv.errors.xlsx")}
	for _, out := range runEveryJob(t, a) {
		for _, p := range out.Paths {
			if strings.HasSuffix(p, ".xlsx") {
				books[filepath.Base(p)] = p
			}
		}
	}
	if len(books) < 7 {
		t.Fatalf("workbooks %v; want one per job and the error workbook", books)
	}
	detail := tenderSheets(t, books["splits_2026-06.xlsx"])["分成明细"]
	if len(detail) < 2 || len(detail[1]) < 11 || detail[0][9] != "客户名称" || detail[1][9] == "" || detail[1][10] == "" {
		t.Errorf("分成明细 does not name its customers and units: %q", detail[:min(2, len(detail))])
	}
	// 说明 says which run, which data and which configuration made the workbook.
	// In Chinese; a configuration key stands apart, in its own column (配置项).
	explain, keys := map[string]string{}, map[string]string{}
	for _, row := range tenderSheets(t, books["tender_2026-07-15.xlsx"])["说明"] {
		if len(row) > 1 {
			explain[row[0]] = row[1]
		}
		if len(row) > 2 {
			keys[row[0]] = row[2]
		}
	}
	for item, text := range explain {
		if item != "数据截至" && strings.Contains(item+text, "claims.") {
			t.Errorf("tender 说明: a configuration key inside %s: %s", item, text)
		}
	}
	// 数据截至 names the files the report read: the tender reads claims, not revenue.
	if asOf := explain["数据截至"]; !strings.Contains(asOf, "项目报备：claims.xlsx（") || !strings.Contains(asOf, "客户：customers.xlsx（") || strings.Contains(asOf, "revenue") {
		t.Errorf("tender 数据截至 %q: want the claims, customers, units and managers files it read, and no revenue file", asOf)
	}
	grades := map[string]string{}
	for _, row := range tenderSheets(t, books["grades_2026Q2.xlsx"])["说明"] {
		if len(row) > 1 {
			grades[row[0]] = row[1]
		}
	}
	if asOf := grades["数据截至"]; !strings.HasPrefix(asOf, "收入：revenue_2026-01.csv、") || !strings.Contains(asOf, "revenue_2026-06.csv（最近导入") ||
		strings.Contains(asOf, "revenue_2025") {
		t.Errorf("grades 数据截至 %q: want the revenue files of 2026-01 … 2026-06 it read, and none of 2025", asOf)
	}
	// The public notice says by when and to whom units bid, and how (第十条(一)).
	notice := tenderSheets(t, filepath.Join(a.Cfg.Paths.Reports, "tender-notice_2026-07-15.xlsx"))
	if !slices.Contains(notice["竞标公告"][0], "竞标截止日期") {
		t.Errorf("竞标公告 has no 竞标截止日期: %q", notice["竞标公告"][0])
	}
	terms := map[string]string{}
	for _, row := range notice["说明"] {
		if len(row) > 1 {
			terms[row[0]] = row[1]
		}
	}
	if !strings.Contains(terms["竞标办法"], "分成比例") || terms["联系人"] != a.Cfg.Claims.TenderContact || !strings.Contains(terms["竞标截止日期"], "15 天") {
		t.Errorf("notice 说明 %q: want 竞标办法, 竞标截止日期 and 联系人", terms)
	}
	if explain["运行编号"] == "" || explain["临期"] == "" || keys["临期"] != "claims.due_soon_days" ||
		explain["生成时间"] != "2026-07-15 17:00:00 +08:00" {
		t.Errorf("tender 说明: %q", explain)
	}
	for name, p := range books {
		data, err := os.ReadFile(p)
		mustDo(t, err)
		if err := reportstest.CheckLayout(data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	// Each mail carries in its body what its reader acts on.
	_, err = a.Deliver(ctx)
	mustDo(t, err)
	acts := map[string][]string{
		"g@x.cn": {"各负责单位的客户等级与变动", "<th>钻石</th>", "<th>升级</th>"},
		"d@x.cn": {"预警客户"}, "o@x.cn": {"预警客户"},
		"s@x.cn": {"各单位分成金额", "<th>入账收入（元）</th>"},
		"t@x.cn": {"竞标公告 · "},
		"r@x.cn": {"客户经理名册"},
	}
	var got []received
	for _, msg := range srv.messages() {
		if _, ok := acts[msg.to[0]]; ok { // the units' own mails are TestEachCentreGetsItsOwnPart's
			got = append(got, msg)
		}
	}
	if len(got) != len(acts) {
		t.Fatalf("%d mails, want %d", len(got), len(acts))
	}
	for _, msg := range got {
		m := parseMail(t, msg.data)
		if n := utf8.RuneCountInString(m.Subject); n > 60 {
			t.Errorf("%s: subject of %d characters: %q", msg.to[0], n, m.Subject)
		}
		for _, want := range acts[msg.to[0]] {
			if !strings.Contains(m.HTML+m.Subject, want) {
				t.Errorf("%s (%s) lacks %q:\n%s", msg.to[0], m.Subject, want, m.HTML)
			}
		}
		if strings.Contains(m.Text, "<") {
			t.Errorf("%s: plain text part holds markup", msg.to[0])
		}
	}
}

// The tender mail, on a real SMTP server: a named sender, a short subject
// with the figure that matters, and every newly overdue and 临期 claim in the
// body itself, as HTML and as text.
func TestTenderMailListsTheClaimsToActOn(t *testing.T) {
	s := storetest.OpenSQLite(t)
	seedTenderData(t, s)
	srv := startMailServer(t)
	a, c := mailApp(t, s, srv)
	c.t = time.Date(2026, 7, 15, 9, 0, 0, 0, a.Cfg.Location())
	a.Cfg.Recipients.Reports["tender"] = []string{"units@example.com"}
	ctx := t.Context()
	out, err := a.RunJob(ctx, "tender", jobs.RunRequest{AsOf: day(2026, 7, 15)})
	mustDo(t, err)
	_, err = a.Deliver(ctx)
	mustDo(t, err)
	got := srv.messages()
	if len(got) != 1 {
		t.Fatalf("%d mails", len(got))
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(got[0].data)))
	mustDo(t, err)
	from, err := (&mail.AddressParser{}).Parse(msg.Header.Get("From"))
	mustDo(t, err)
	wantEqual(t, "From", *from, mail.Address{Name: "东莞邮政大客户管理", Address: "kam@example.com"})
	m := parseMail(t, got[0].data)
	if n := utf8.RuneCountInString(m.Subject); n > 60 {
		t.Errorf("subject has %d characters: %q", n, m.Subject)
	}
	wantEqual(t, "subject", m.Subject, "竞标公告 · "+jobs.PeriodLabel("tender", out.Period)+" · 新增逾期 2 项，临期 1 项")
	var newly []string
	f := tenderSheets(t, out.Paths[0])
	for _, row := range f["竞标公告"][1:] {
		if row[8] == "是" {
			newly = append(newly, row[0])
		}
	}
	if len(newly) != 2 {
		t.Fatalf("newly overdue %v; the fixture has k1 and k2", newly)
	}
	for _, id := range append(newly, "k3") { // k3 is 临期
		if !strings.Contains(m.HTML, "<td>"+id+"</td>") || !strings.Contains(m.Text, " "+id+" ") {
			t.Errorf("mail does not list claim %s:\n%s\n%s", id, m.HTML, m.Text)
		}
	}
	if !strings.Contains(m.HTML, "客户C1") || !strings.Contains(m.HTML, "逾期") {
		t.Errorf("claims listed without customer names or state:\n%s", m.HTML)
	}
	for name, data := range m.Files {
		if err := reportstest.CheckLayout(data); err != nil {
			t.Errorf("attachment %s: %v", name, err)
		}
	}
}
