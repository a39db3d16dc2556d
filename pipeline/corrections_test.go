package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"kam/domain"
	"kam/gen"
	"kam/pipeline/daemon"
	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	"kam/reports"
	"kam/store"
	"kam/store/storetest"
)

// correctionApp is an App on kam gen data (June 2026 reported), every unit
// with a mailbox, and each report's recipients named.
func correctionApp(t *testing.T, s *store.Store) (*App, map[string]string) {
	t.Helper()
	now := time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC)
	a := newTestApp(t, s, now)
	r := &a.Cfg.Recipients
	r.Reports["grades"], r.Reports["splits"] = []string{"g@x.cn"}, []string{"s@x.cn"}
	ctx := t.Context()
	if _, err := gen.Run(ctx, gen.Options{Out: a.Cfg.Paths.Inbox, Customers: 80, Months: 14, Seed: 7, End: 202606, Now: now}); err != nil {
		t.Fatal(err)
	}
	scan, err := a.Ingest(ctx)
	mustDo(t, err)
	if scan.Count(ingest.OutcomeRejected) != 0 {
		t.Fatalf("scan: %+v", scan.Files)
	}
	return a, mailEveryUnit(t, a)
}

// mailEveryUnit gives each unit without exactly one mailbox of its own one
// (recipients.units), so every unit's mail can be told apart: mailbox → unit.
func mailEveryUnit(t *testing.T, a *App) map[string]string {
	t.Helper()
	units, err := a.Store.Units(t.Context())
	mustDo(t, err)
	r := &a.Cfg.Recipients
	r.Units = map[string][]string{}
	unitOf := map[string]string{}
	for _, u := range units {
		if boxes := u.Mailboxes(); len(boxes) == 1 {
			unitOf[boxes[0]] = u.Code
		} else {
			box := strings.ToLower(u.Code) + "@unit.test"
			r.Units[u.Code] = []string{box}
			unitOf[box] = u.Code
		}
	}
	return unitOf
}

// newMail is the mail queued since the mail with id after: recipient → subject.
func newMail(t *testing.T, s *store.Store, after int64) (map[string][]string, int64) {
	t.Helper()
	ms, err := s.UnsentMail(t.Context(), 100000)
	mustDo(t, err)
	out := map[string][]string{}
	last := after
	for _, m := range ms {
		if m.ID > after {
			out[m.Recipient] = append(out[m.Recipient], m.Subject)
		}
		last = max(last, m.ID)
	}
	return out, last
}

// rawBook reads every sheet of an archived report, cells as stored (amounts in yuan, unformatted).
func rawBook(t *testing.T, s *store.Store, id int64) map[string][][]string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := s.ReportContent(t.Context(), id, &buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	mustDo(t, err)
	defer f.Close()
	out := map[string][][]string{}
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh, excelize.Options{RawCellValue: true})
		mustDo(t, err)
		out[sh] = rows
	}
	return out
}

// column is the index of title in a sheet's header.
func column(t *testing.T, rows [][]string, title string) int {
	t.Helper()
	if len(rows) == 0 {
		t.Fatalf("no header to find %s in", title)
	}
	i := slices.Index(rows[0], title)
	if i < 0 {
		t.Fatalf("no column %s in %q", title, rows[0])
	}
	return i
}

func yuanFen(t *testing.T, s string) domain.Money {
	t.Helper()
	if s == "" {
		return 0
	}
	m, err := domain.ParseMoney(s)
	mustDo(t, err)
	return m
}

// unitSplit is each unit's 分成金额 in a 单位汇总 sheet.
func unitSplit(t *testing.T, rows [][]string) map[string]domain.Money {
	t.Helper()
	code, amount := column(t, rows, "单位编码"), column(t, rows, "分成金额")
	out := map[string]domain.Money{}
	for _, r := range rows[1:] {
		out[r[code]] = yuanFen(t, r[amount])
	}
	return out
}

// detailDiffs sums 变更's 差额 of 分成明细's 分成金额 per 分成单位编码 (the key's fourth part).
func detailDiffs(t *testing.T, changes [][]string) map[string]domain.Money {
	t.Helper()
	out := map[string]domain.Money{}
	for _, r := range changes[1:] {
		if r[0] != "分成明细" || r[3] != "分成金额" {
			continue
		}
		key := strings.Split(r[2], " / ")
		out[key[3]] += yuanFen(t, r[6])
	}
	return out
}

// dataSheets are a workbook's sheets but 说明 and 变更, as text: what a reader compares between versions.
func dataSheets(book map[string][][]string) string {
	var names []string
	for n := range book {
		if n != "说明" && n != reports.ChangesSheet {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		for _, r := range book[n] {
			b.WriteString(strings.Join(r, "|") + "\n")
		}
	}
	return b.String()
}

func explainText(book map[string][][]string) string {
	var b strings.Builder
	for _, r := range book["说明"] {
		b.WriteString(strings.Join(r, " ") + "\n")
	}
	return b.String()
}

// correctRevenue drops a correction of June's revenue file: the first row of
// line's (any line's when "") amount raised by 12,345.67 yuan, the rest as they were. It returns the customer and line.
func correctRevenue(t *testing.T, a *App, line string) (string, string) {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(a.Cfg.Paths.Processed, "*revenue_2026-06*.csv"))
	mustDo(t, err)
	if len(matches) != 1 {
		t.Fatalf("June's revenue file in processed/: %v", matches)
	}
	raw, err := os.ReadFile(matches[0])
	mustDo(t, err)
	text := strings.TrimPrefix(string(raw), "\ufeff")
	if !utf8.ValidString(text) {
		text, err = simplifiedchinese.GB18030.NewDecoder().String(string(raw))
		mustDo(t, err)
	}
	lines := strings.Split(text, "\n")
	customer := ""
	for i, l := range lines[1:] {
		f := strings.Split(strings.TrimRight(l, "\r"), ",")
		if len(f) == 5 && (line == "" || f[2] == line) {
			m := yuanFen(t, f[4]) + 1_234_567
			f[4] = m.Yuan()
			f[4] = strings.ReplaceAll(f[4], ",", "")
			lines[i+1] = strings.Join(f, ",") + "\r"
			customer, line = f[0], f[2]
			break
		}
	}
	if customer == "" {
		t.Fatalf("no %s row in %s", line, matches[0])
	}
	mustDo(t, os.WriteFile(filepath.Join(a.Cfg.Paths.Inbox, "revenue_2026-06_更正.csv"), []byte("\ufeff"+strings.Join(lines, "\n")), 0o644))
	return customer, line
}

// A report follows its data (SPEC §5.2): a revenue correction for a reported
// month marks its splits 待更正 and re-issues them as 第 2 版, with a 变更 sheet
// whose differences sum, per unit, to the change in its 单位汇总 row, mailed
// only to the units whose statement changed; a rerun on unchanged data issues
// and mails nothing; --force issues 第 N 版; --no-mail queues no mail.
func TestRevenueCorrectionReissuesSplits(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		a, box := correctionApp(t, s)
		_, last := newMail(t, s, 0)
		v1, err := a.RunJob(ctx, "splits", jobs.RunRequest{Period: "2026-06"})
		mustDo(t, err)
		if v1.Version != 1 {
			t.Fatalf("first issue is version %d", v1.Version)
		}
		first, last := newMail(t, s, last)
		if len(first) < 5 {
			t.Fatalf("first issue mailed %d recipients", len(first))
		}

		// Nothing changed: nothing issued, nobody mailed.
		again, err := a.RunJob(ctx, "splits", jobs.RunRequest{Period: "2026-06"})
		mustDo(t, err)
		if !again.Unchanged || len(again.Reports) != 0 || !strings.Contains(again.Headline, "自第 1 版发布以来没有变化") {
			t.Errorf("rerun on unchanged data: unchanged %v, %d reports, %q", again.Unchanged, len(again.Reports), again.Headline)
		}
		if m, _ := newMail(t, s, last); len(m) != 0 {
			t.Errorf("rerun on unchanged data mailed %v", m)
		}
		// A byte-identical re-drop is a duplicate and marks nothing.
		stale, err := s.StaleIssues(ctx)
		mustDo(t, err)
		if len(stale) != 0 {
			t.Fatalf("待更正 before any correction: %+v", stale)
		}

		customer, line := correctRevenue(t, a, "")
		scan, err := a.Ingest(ctx)
		mustDo(t, err)
		if scan.Count(ingest.OutcomeLoaded) != 1 {
			t.Fatalf("correction scan: %+v", scan.Files)
		}
		stale, err = s.StaleIssues(ctx)
		mustDo(t, err)
		if len(stale) != 1 || stale[0].Job != "splits" || stale[0].Period != "2026-06" ||
			!strings.Contains(stale[0].StaleReason, "收入 2026-06 "+line+" 由 revenue_2026-06_更正.csv 替换") {
			t.Fatalf("待更正 after the correction: %+v", stale)
		}

		v2, err := a.RunJob(ctx, "splits", jobs.RunRequest{Period: "2026-06"})
		mustDo(t, err)
		if v2.Version != 2 || !strings.Contains(v2.Why, "由 revenue_2026-06_更正.csv 替换") {
			t.Fatalf("re-issue: version %d, why %q", v2.Version, v2.Why)
		}
		stale, err = s.StaleIssues(ctx)
		mustDo(t, err)
		if len(stale) != 0 {
			t.Errorf("待更正 after the re-issue: %+v", stale)
		}

		byUnit := func(out *jobs.Output) map[string]store.Report {
			m := map[string]store.Report{}
			for _, r := range out.Reports {
				if strings.HasSuffix(r.FileName, ".xlsx") {
					m[r.Unit] = r
				}
			}
			return m
		}
		old, cur := byUnit(v1), byUnit(v2)
		oldCity, newCity := rawBook(t, s, old[""].ID), rawBook(t, s, cur[""].ID)
		if !strings.Contains(explainText(newCity), "第 2 版") || !strings.Contains(explainText(newCity), "revenue_2026-06_更正.csv") {
			t.Errorf("说明 of 第 2 版:\n%s", explainText(newCity))
		}
		before, after := unitSplit(t, oldCity["单位汇总"]), unitSplit(t, newCity["单位汇总"])
		diffs := detailDiffs(t, newCity[reports.ChangesSheet])
		changedUnits := 0
		for code := range mergeKeys(before, after) {
			if diffs[code] != after[code]-before[code] {
				t.Errorf("unit %s: 变更 sums to %s, its 单位汇总 moved %s", code, diffs[code].Yuan(), (after[code] - before[code]).Yuan())
			}
			if after[code] != before[code] {
				changedUnits++
			}
		}
		if changedUnits == 0 {
			t.Fatalf("the correction of %s changed no unit's split", customer)
		}
		if !slices.ContainsFunc(newCity[reports.ChangesSheet], func(r []string) bool { return strings.HasPrefix(r[2], customer+" / ") }) {
			t.Errorf("变更 does not list customer %s", customer)
		}

		// Each unit's statement: changed exactly when its rows differ, and its 变更 agrees with the city's.
		mailed, last := newMail(t, s, last)
		wantMailed := map[string]bool{"s@x.cn": true}
		for unit, rep := range cur {
			if unit == "" {
				continue
			}
			was, now := rawBook(t, s, old[unit].ID), rawBook(t, s, rep.ID)
			if dataSheets(was) == dataSheets(now) {
				if _, ok := now[reports.ChangesSheet]; ok && len(now[reports.ChangesSheet]) > 1 {
					t.Errorf("unit %s: unchanged statement lists changes %q", unit, now[reports.ChangesSheet][1:])
				}
				continue
			}
			if d := detailDiffs(t, now[reports.ChangesSheet])[unit]; d != after[unit]-before[unit] {
				t.Errorf("unit %s statement: 变更 sums to %s, 单位汇总 moved %s", unit, d.Yuan(), (after[unit] - before[unit]).Yuan())
			}
			for m, u := range box {
				if u == unit {
					wantMailed[m] = true
				}
			}
		}
		var got []string
		for rcpt, subjects := range mailed {
			got = append(got, rcpt)
			for _, sub := range subjects {
				if !strings.HasPrefix(sub, "【更正】") {
					t.Errorf("correction mail to %s: subject %q", rcpt, sub)
				}
			}
		}
		var want []string
		for m := range wantMailed {
			want = append(want, m)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("correction mailed %q, want the city's recipients and the units whose statement changed %q", got, want)
		}
		if len(got) >= len(first) {
			t.Errorf("correction mailed %d recipients, as many as the first issue (%d)", len(got), len(first))
		}

		// --force: a new version although nothing changed; --no-mail: archived, no mail.
		v3, err := a.RunJob(ctx, "splits", jobs.RunRequest{Period: "2026-06", Force: true, NoMail: true})
		mustDo(t, err)
		if v3.Version != 3 || v3.Unchanged || !v3.NotMailed {
			t.Fatalf("--force --no-mail: version %d, unchanged %v, not mailed %v", v3.Version, v3.Unchanged, v3.NotMailed)
		}
		if !strings.Contains(explainText(rawBook(t, s, byUnit(v3)[""].ID)), "第 3 版") {
			t.Error("说明 of the forced version does not say 第 3 版")
		}
		if m, _ := newMail(t, s, last); len(m) != 0 {
			t.Errorf("--no-mail queued mail to %v", m)
		}
		list, err := s.ListReports(ctx, store.ReportFilter{Job: "splits", Period: "2026-06", CityOnly: true}, 20)
		mustDo(t, err)
		var versions []string
		for _, r := range list {
			if strings.HasSuffix(r.FileName, ".xlsx") {
				versions = append(versions, strings.TrimSpace(strings.Repeat("当前", b2i(r.Current))+" 第"+string(rune('0'+r.Version))+"版"))
			}
		}
		if !slices.Equal(versions, []string{"当前 第3版", "第2版", "第1版"}) {
			t.Errorf("the archive's versions, newest first: %q", versions)
		}
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func mergeKeys[V any](ms ...map[string]V) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

// A grade correction (SPEC §5.2): more June revenue for one district
// customer lifts it across the diamond threshold, which moves it from its
// district to the city centre (第九条); the re-issued grades go to those two
// centres and the grades' recipients only, as 【更正】.
func TestGradeCorrectionMailsTheTwoCentres(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		a, box := correctionApp(t, s)
		_, last := newMail(t, s, 0)
		v1, err := a.RunJob(ctx, "grade", jobs.RunRequest{Period: "2026Q2"})
		mustDo(t, err)
		_, last = newMail(t, s, last)
		var city store.Report
		for _, r := range v1.Reports {
			if r.Unit == "" {
				city = r
			}
		}
		units, err := s.Units(ctx)
		mustDo(t, err)
		kind := map[string]domain.UnitKind{}
		centre := ""
		for _, u := range units {
			kind[u.Code] = u.Kind
			if u.Kind == domain.CityCenter {
				centre = u.Code
			}
		}
		// A customer below diamond a district is responsible for.
		rows := rawBook(t, s, city.ID)["分级结果"]
		id, tier, unit := column(t, rows, "客户编号"), column(t, rows, "等级"), column(t, rows, "负责单位编码")
		customer, district := "", ""
		for _, r := range rows[1:] {
			if r[tier] != "钻石" && kind[r[unit]] == domain.District {
				customer, district = r[id], r[unit]
				break
			}
		}
		if customer == "" {
			t.Fatal("no district customer below diamond in the test data")
		}
		seedRevenue(t, s, "revenue_2026-06_补录.csv", []domain.Revenue{{Customer: customer, Month: 202606, Line: "函件", Unit: district, Amount: 60_000_000 * 100}})
		n, err := jobs.MarkStale(ctx, a.App)
		mustDo(t, err)
		if n != 1 {
			t.Fatalf("待更正 after the correction: %d, want the grades", n)
		}
		// kam serve re-issues it at its delivery window.
		sched, err := a.NewScheduler()
		mustDo(t, err)
		sched.Fire(ctx, daemon.TaskDelivery)
		reissued, err := s.ListReports(ctx, store.ReportFilter{Job: "grade", Period: "2026Q2"}, 1000)
		mustDo(t, err)
		var current []store.Report
		for _, r := range reissued {
			if r.Current {
				current = append(current, r)
				if r.Version != 2 {
					t.Errorf("current %s is version %d after the re-issue", r.FileName, r.Version)
				}
			}
		}
		outs := []*jobs.Output{{Reports: current}}
		mailed, _ := newMail(t, s, last)
		var got []string
		for rcpt, subjects := range mailed {
			got = append(got, rcpt)
			if !strings.HasPrefix(subjects[0], "【更正】") {
				t.Errorf("mail to %s: %q", rcpt, subjects[0])
			}
		}
		var want []string
		for m, u := range box {
			if u == district || u == centre {
				want = append(want, m)
			}
		}
		want = append(want, "g@x.cn")
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("the grade correction mailed %q, want the two centres %s and %s and the grades' recipients: %q", got, district, centre, want)
		}
		for _, r := range outs[0].Reports {
			changes := rawBook(t, s, r.ID)[reports.ChangesSheet]
			switch {
			case r.Unit == "" && strings.HasSuffix(r.FileName, ".xlsx"):
				if !slices.ContainsFunc(changes, func(row []string) bool {
					return row[0] == "分级结果" && row[1] == "修改" && row[2] == customer && row[3] == "等级" && row[5] == "钻石"
				}) {
					t.Errorf("the city's 变更 does not show %s's tier change: %q", customer, changes)
				}
			case r.Unit == district || r.Unit == centre:
				if !slices.ContainsFunc(changes, func(row []string) bool { return row[0] == "等级变动" && row[1] == "新增" && row[2] == customer }) {
					t.Errorf("%s's 变更 does not show %s's move: %q", r.Unit, customer, changes)
				}
			}
		}
		stale, err := s.StaleIssues(ctx)
		mustDo(t, err)
		if len(stale) != 0 {
			t.Errorf("待更正 after the re-issue: %+v", stale)
		}
	})
}
