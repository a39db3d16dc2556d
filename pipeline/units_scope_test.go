package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"kam/domain"
	"kam/gen"
	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// Each centre gets its own (SPEC §5; 第五条, 第九条): on kam gen data, every
// unit's workbook holds exactly the city workbook's rows that are its own —
// read back from both workbooks, not from the code that split them — the
// centres' rows together are the city's, and a real SMTP server receives one
// mail per unit mailbox with that unit's workbook, and the city's to the
// report's recipients.
func TestEachCentreGetsItsOwnPart(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		now := time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC)
		a := newTestApp(t, s, now)
		srv := startMailServer(t)
		a.Cfg.SMTP.Host, a.Cfg.SMTP.Port, a.Cfg.SMTP.TLS, a.Cfg.SMTP.From = "127.0.0.1", srv.port(), "none", "kam@example.com"
		r := &a.Cfg.Recipients
		r.Reports["grades"], r.Reports["review_gold"], r.Reports["roster"], r.Reports["splits"], r.Reports["tender"] = []string{"g@x.cn"}, []string{"o@x.cn"}, []string{"r@x.cn"}, []string{"s@x.cn"}, []string{"t@x.cn"}
		ctx := t.Context()
		if _, err := gen.Run(ctx, gen.Options{Out: a.Cfg.Paths.Inbox, Customers: 120, Months: 14, Seed: 5, End: 202606, Now: now}); err != nil {
			t.Fatal(err)
		}
		scan, err := a.Ingest(ctx)
		mustDo(t, err)
		if scan.Count(ingest.OutcomeRejected) != 0 {
			t.Fatalf("scan: %+v", scan.Files)
		}
		// One district customer leaps to diamond in June: a handover from its district to the city centre.
		customers, err := s.Customers(ctx)
		mustDo(t, err)
		slices.Reverse(customers) // the small ones come last
		for _, c := range customers {
			if c.Category == domain.Comprehensive && c.Status == domain.Cooperating && c.Territory != "" {
				seedRevenue(t, s, "leap.csv", []domain.Revenue{{Customer: c.ID, Month: 202606, Line: "函件", Unit: c.Territory, Amount: 2_000_000 * yuan}})
				break
			}
		}
		units, err := s.Units(ctx)
		mustDo(t, err)
		// The units kam gen left without a mailbox get one from the configuration,
		// so every unit has its part and the parts can add up to the city.
		r.Units = map[string][]string{}
		box := map[string]string{}
		parent := map[string]string{}
		var centres []domain.Unit
		for _, u := range units {
			if boxes := u.Mailboxes(); len(boxes) == 1 {
				box[u.Code] = boxes[0]
			} else {
				box[u.Code] = strings.ToLower(u.Code) + "@unit.test"
				r.Units[u.Code] = []string{box[u.Code]}
			}
			parent[u.Code] = u.Parent
			if u.Kind == domain.CityCenter || u.Kind == domain.Professional || u.Kind == domain.District {
				centres = append(centres, u)
			}
		}
		city := ""
		for _, u := range units {
			if u.Kind == domain.CityCenter {
				city = u.Code
			}
		}

		// A wider warning window, so 120 customers give 走访临期 rows enough to divide.
		a.Cfg.Maintenance.RemindDays = 21
		outs := runEveryJob(t, a)
		// unitBook reads one unit's workbook of a job; nil when it has none.
		unitBook := func(job, code string) map[string][][]string {
			for _, p := range outs[job].UnitPaths {
				if filepath.Base(filepath.Dir(p)) == code {
					return tenderSheets(t, p)
				}
			}
			return nil
		}
		cityBook := func(job string) map[string][][]string {
			for _, p := range outs[job].Paths {
				if strings.HasSuffix(p, ".xlsx") && !strings.Contains(p, "-notice_") {
					return tenderSheets(t, p)
				}
			}
			t.Fatalf("%s: no city workbook in %v", job, outs[job].Paths)
			return nil
		}
		// owns is the rule as the rulebook puts it: a row is the unit's when
		// its unit is the unit; a row no centre was found for is the city centre's.
		owns := func(code, rowUnit string) bool { return rowUnit == code || (rowUnit == "" && code == city) }
		leads := func(code, rowUnit string) bool {
			return owns(code, rowUnit) || (rowUnit != "" && parent[rowUnit] == code)
		}

		// checkPart compares a unit's sheet with the city's rows it should hold, and
		// counts how many units hold each city row.
		checkPart := func(job, sheet, code string, cityRows [][]string, mine func(row []string) bool, seen map[string]int) {
			t.Helper()
			book := unitBook(job, code)
			if book == nil {
				t.Errorf("%s: unit %s has no workbook", job, code)
				return
			}
			var want []string
			for _, row := range cityRows[1:] {
				if mine(row) {
					want = append(want, strings.Join(row, "|"))
				}
			}
			got := rowsOf(book[sheet])
			if !slices.Equal(sorted(got), sorted(want)) {
				t.Errorf("%s %s of %s: %d rows, want the city's %d rows of it:\n got %q\nwant %q", job, sheet, code, len(got), len(want),
					got[:min(3, len(got))], want[:min(3, len(want))])
			}
			if !slices.Equal(book[sheet][0], cityRows[0]) {
				t.Errorf("%s %s of %s: header %q, the city's is %q", job, sheet, code, book[sheet][0], cityRows[0])
			}
			for _, g := range got {
				seen[g]++
			}
		}
		// partition checks that every city row is in exactly one centre's part.
		partition := func(what string, cityRows [][]string, seen map[string]int) {
			t.Helper()
			if len(cityRows) < 3 {
				t.Fatalf("%s: only %d rows in the city workbook; the test data should have more", what, len(cityRows)-1)
			}
			for _, row := range cityRows[1:] {
				if n := seen[strings.Join(row, "|")]; n != 1 {
					t.Errorf("%s: city row %q is in %d centres' workbooks, want 1", what, row, n)
				}
			}
		}

		// Grades: 分级结果 by 负责单位编码; 等级变动 on both sides of a handover.
		gc := cityBook("grade")
		col := columns(gc["分级结果"][0])
		seen := map[string]int{}
		for _, u := range centres {
			checkPart("grade", "分级结果", u.Code, gc["分级结果"], func(row []string) bool { return owns(u.Code, cell(row, col["负责单位编码"])) }, seen)
		}
		partition("分级结果", gc["分级结果"], seen)
		ch := columns(gc["等级变动"][0])
		handovers := 0
		seen = map[string]int{}
		for _, u := range centres {
			checkPart("grade", "等级变动", u.Code, gc["等级变动"], func(row []string) bool {
				from, to := cell(row, ch["原负责单位编码"]), cell(row, ch["新负责单位编码"])
				return owns(u.Code, to) || (from != "" && from == u.Code)
			}, seen)
		}
		for _, row := range gc["等级变动"][1:] {
			want := 1
			if from, to := cell(row, ch["原负责单位编码"]), cell(row, ch["新负责单位编码"]); from != "" && from != to {
				want, handovers = 2, handovers+1
			}
			if n := seen[strings.Join(row, "|")]; n != want {
				t.Errorf("等级变动 row %q is in %d centres' workbooks, want %d", row, n, want)
			}
		}
		if handovers == 0 {
			t.Error("the test data has no handover between centres; it should")
		}

		// Gold review: each professional bureau's and district centre's own gold customers.
		rc := cityBook("review-gold")
		col = columns(rc["用邮分析"][0])
		seen = map[string]int{}
		for _, u := range centres {
			if u.Kind == domain.CityCenter {
				if unitBook("review-gold", u.Code) != nil {
					t.Error("the city centre got a gold review pack of its own; gold customers are the bureaus' and districts'")
				}
				continue
			}
			checkPart("review-gold", "用邮分析", u.Code, rc["用邮分析"], func(row []string) bool { return owns(u.Code, cell(row, col["负责单位编码"])) }, seen)
		}
		partition("用邮分析", rc["用邮分析"], seen)

		// Roster: the managers of a centre's units (a district's teams and windows too).
		ro := cityBook("roster")
		col = columns(ro["客户经理"][0])
		seen = map[string]int{}
		for _, u := range units {
			mine := func(row []string) bool { return leads(u.Code, cell(row, col["所属单位编码"])) }
			if u.Kind == domain.Team || u.Kind == domain.Window {
				checkPart("roster", "客户经理", u.Code, ro["客户经理"], mine, map[string]int{})
				continue
			}
			checkPart("roster", "客户经理", u.Code, ro["客户经理"], mine, seen)
		}
		partition("客户经理", ro["客户经理"], seen)

		// Splits: every line credited to the unit; the statements add up to the city to the fen.
		sc := cityBook("splits")
		col = columns(sc["分成明细"][0])
		seen = map[string]int{}
		var statements domain.Money
		for _, u := range units {
			checkPart("splits", "分成明细", u.Code, sc["分成明细"], func(row []string) bool { return cell(row, col["分成单位编码"]) == u.Code }, seen)
			for _, row := range unitBook("splits", u.Code)["分成明细"][1:] {
				statements += money(t, cell(row, col["分成金额"]))
			}
			for _, row := range unitBook("splits", u.Code)["核对"][1:] {
				if cell(row, 4) != "一致" {
					t.Errorf("splits 核对 of %s: %q", u.Code, row)
				}
			}
		}
		partition("分成明细", sc["分成明细"], seen)
		// Two-sided (SPEC §5): 分入 are the city's lines others booked that went to the unit,
		// 分出 those it booked that went to others; 入账收入 − 分出 + 分入 is its 单位汇总 分成金额
		// to the fen, and its statement's 单位汇总 row is the city's.
		us := columns(sc["单位汇总"][0])
		cityRow := map[string][]string{}
		for _, row := range sc["单位汇总"][1:] {
			cityRow[row[0]] = row
		}
		flows := 0
		for _, u := range units {
			book := unitBook("splits", u.Code)
			checkPart("splits", "分入", u.Code, sc["分成明细"], func(row []string) bool {
				return cell(row, col["分成单位编码"]) == u.Code && cell(row, col["收入单位编码"]) != u.Code
			}, map[string]int{})
			checkPart("splits", "分出", u.Code, sc["分成明细"], func(row []string) bool {
				return cell(row, col["收入单位编码"]) == u.Code && cell(row, col["分成单位编码"]) != u.Code
			}, map[string]int{})
			var in, out domain.Money
			for _, row := range book["分入"][1:] {
				in += money(t, cell(row, col["分成金额"]))
			}
			for _, row := range book["分出"][1:] {
				out += money(t, cell(row, col["分成金额"]))
			}
			flows += len(book["分入"]) + len(book["分出"]) - 2
			c := cityRow[u.Code]
			booked, net := money(t, cell(c, us["入账收入"])), money(t, cell(c, us["分成金额"]))
			if booked-out+in != net {
				t.Errorf("splits of %s: 入账收入 %s − 分出 %s + 分入 %s ≠ 单位汇总 分成金额 %s", u.Code, booked.Yuan(), out.Yuan(), in.Yuan(), net.Yuan())
			}
			if own := book["单位汇总"]; len(own) != 2 || !slices.Equal(own[1], c) {
				t.Errorf("splits of %s: 单位汇总 %q; the city's row is %q", u.Code, own, c)
			}
			walk := book["对账单"]
			if len(walk) != 5 || walk[4][0] != "分成后净额" || money(t, walk[4][2]) != net || money(t, walk[1][2]) != booked ||
				money(t, walk[2][2]) != out || money(t, walk[3][2]) != in {
				t.Errorf("splits of %s: 对账单 %q; want %s − %s + %s = %s", u.Code, walk, booked.Yuan(), out.Yuan(), in.Yuan(), net.Yuan())
			}
		}
		if flows == 0 {
			t.Error("no split crosses units in the test data; the two-sided statements are untested")
		}
		var cityTotal domain.Money
		for _, row := range sc["分成明细"][1:] {
			cityTotal += money(t, cell(row, col["分成金额"]))
		}
		if statements != cityTotal {
			t.Errorf("the units' statements add up to %s, the city's split to %s", statements.Yuan(), cityTotal.Yuan())
		}

		// Tender: the announcement is public and goes to every unit whole; each unit's
		// workbook lists the claims its units registered.
		tc := cityBook("tender")
		notice := tenderSheets(t, filepath.Join(a.Cfg.Paths.Reports, "tender-notice_2026-07-15.xlsx"))
		if !slices.EqualFunc(notice["竞标公告"], tc["竞标公告"], slices.Equal) {
			t.Errorf("the public notice's 竞标公告 differs from the city's")
		}
		for _, sheet := range []string{"竞标公告", "临期", "待确认", "超额"} {
			col = columns(tc[sheet][0])
			seen = map[string]int{}
			for _, u := range units {
				mine := func(row []string) bool { return leads(u.Code, cell(row, col["申报单位编码"])) }
				if u.Kind == domain.Team || u.Kind == domain.Window {
					checkPart("tender", sheet, u.Code, tc[sheet], mine, map[string]int{})
					continue
				}
				checkPart("tender", sheet, u.Code, tc[sheet], mine, seen)
			}
			if sheet == "竞标公告" || sheet == "待确认" {
				partition(sheet, tc[sheet], seen)
			}
		}

		// Maintenance (SPEC §4.7, §5): a centre's customers on 走访超期, 走访临期, 约定未联系
		// and 档案不全, by 负责单位编码; the managers of its units on 走访统计.
		mc := cityBook("maintenance")
		for _, sheet := range []string{"走访超期", "走访临期", "约定未联系", "档案不全"} {
			col = columns(mc[sheet][0])
			seen = map[string]int{}
			for _, u := range centres {
				checkPart("maintenance", sheet, u.Code, mc[sheet], func(row []string) bool { return owns(u.Code, cell(row, col["负责单位编码"])) }, seen)
			}
			partition("maintenance "+sheet, mc[sheet], seen)
		}
		col = columns(mc["走访统计"][0])
		seen = map[string]int{}
		for _, u := range centres {
			checkPart("maintenance", "走访统计", u.Code, mc["走访统计"], func(row []string) bool { return leads(u.Code, cell(row, col["所属单位编码"])) }, seen)
		}
		partition("maintenance 走访统计", mc["走访统计"], seen)

		// A unit is mailed its part only when the part has something for it (SPEC §5.1), read
		// from its own workbook; the city's goes to the report's recipients.
		res, err := a.Deliver(ctx)
		mustDo(t, err)
		if res.Retry > 0 || res.Dead > 0 || res.Waiting > 0 {
			t.Fatalf("delivery: %+v", res)
		}
		attached := map[string][]string{}
		subjects := map[string][]string{} // a unit mailbox's subjects
		named := map[string]string{}      // a unit mailbox's unit, as its mails must name it
		for _, u := range units {
			named[box[u.Code]] = u.Named()
		}
		tenderTables := 0
		for _, msg := range srv.messages() {
			m := parseMail(t, msg.data)
			if unit, ok := named[msg.to[0]]; ok && !strings.HasPrefix(m.Subject, "钻石客户用邮分析") { // the city's pack, not a part
				subjects[msg.to[0]] = append(subjects[msg.to[0]], m.Subject)
				// Named by name with the code in brackets, never a bare code first.
				if !strings.HasPrefix(m.Subject, unit) || !strings.Contains(m.Text, "单位："+unit) {
					t.Errorf("%s: subject %q does not start with %s, or the body does not name it", msg.to[0], m.Subject, unit)
				}
				if strings.Contains(m.Subject, "竞标公告") && strings.Contains(m.HTML, "<td>新增逾期</td>") {
					tenderTables++
					if !regexp.MustCompile(`<td>[^<>（]+（[^<>]+）</td><td>[^<>（]+（[^<>]+）</td><td>\d{4}-\d\d-\d\d</td>`).MatchString(m.HTML) {
						t.Errorf("%s: the tender table does not name units and managers:\n%s", msg.to[0], m.HTML)
					}
				}
			}
			for name, data := range m.Files {
				attached[msg.to[0]] = append(attached[msg.to[0]], name)
				if strings.HasPrefix(name, "grades_") && name != "grades_2026Q2.xlsx" && !strings.Contains(m.Subject, "季度客户分级") {
					t.Errorf("%s: subject %q; want the grades", msg.to[0], m.Subject)
				}
				if !bytes.Equal(data, readReport(t, a, name)) {
					t.Errorf("%s: attachment %s differs from the published workbook", msg.to[0], name)
				}
			}
		}
		if tenderTables == 0 {
			t.Error("no unit's tender mail lists a newly overdue claim")
		}
		for rcpt, want := range map[string][]string{
			"g@x.cn": {"grades_2026Q2.xlsx"}, "o@x.cn": {"review-gold_2026-06.xlsx"}, "r@x.cn": {"roster_2026-06.xlsx"},
			"s@x.cn": {"splits_2026-06.csv", "splits_2026-06.xlsx"}, "t@x.cn": {"tender_2026-07-15.xlsx"},
		} {
			if got := sorted(attached[rcpt]); !slices.Equal(got, want) {
				t.Errorf("%s received %q, want %q", rcpt, got, want)
			}
		}
		// hasRows says whether any of a unit's sheets holds a row that keep accepts.
		hasRows := func(book map[string][][]string, keep func(sheet string, head, row []string) bool, sheets ...string) bool {
			for _, sheet := range sheets {
				for _, row := range book[sheet][min(1, len(book[sheet])):] {
					if keep(sheet, book[sheet][0], row) {
						return true
					}
				}
			}
			return false
		}
		anyRow := func(string, []string, []string) bool { return true }
		newlyOverdue := func(sheet string, head, row []string) bool {
			return sheet != "竞标公告" || cell(row, columns(head)["新增"]) == "是"
		}
		if !hasRows(tc, newlyOverdue, "竞标公告") {
			t.Fatal("no claim is newly overdue in the test data; the public notice would go to nobody")
		}
		before, after := map[string]int{}, map[string]int{}
		for _, u := range units {
			want := []string{"splits_2026-06_" + u.Code + ".xlsx", "tender-notice_2026-07-15.xlsx"}
			before["splits"]++
			before["tender"]++
			before["roster"]++
			if hasRows(unitBook("roster", u.Code), anyRow, "无B角", "A等于B", "离职待交接", "集中度", "目标未报") {
				want = append(want, "roster_2026-06_"+u.Code+".xlsx")
			}
			if hasRows(unitBook("tender", u.Code), newlyOverdue, "竞标公告", "临期", "待确认", "争议") {
				want = append(want, "tender_2026-07-15_"+u.Code+".xlsx")
			}
			switch u.Kind {
			case domain.CityCenter: // and the diamond pack, the city centre's (第九条(三))
				want = append(want, "grades_2026Q2_"+u.Code+".xlsx", "review-diamond_2026-06.xlsx")
				before["grade"]++
			case domain.Professional, domain.District:
				want = append(want, "grades_2026Q2_"+u.Code+".xlsx")
				before["grade"]++
				before["review-gold"]++
				if hasRows(unitBook("review-gold", u.Code), anyRow, "用邮分析") {
					want = append(want, "review-gold_2026-06_"+u.Code+".xlsx")
				}
			}
			switch u.Kind {
			case domain.CityCenter, domain.Professional, domain.District:
				before["maintenance"]++
				if hasRows(unitBook("maintenance", u.Code), anyRow, "走访超期", "走访临期", "约定未联系", "档案不全") {
					want = append(want, "maintenance_2026-07-15_"+u.Code+".xlsx")
				}
			}
			if got := sorted(attached[box[u.Code]]); !slices.Equal(got, sorted(want)) {
				t.Errorf("%s (%s) received %q, want %q", box[u.Code], u.Code, got, sorted(want))
			}
			for _, subject := range subjects[box[u.Code]] {
				for _, job := range []struct{ name, title string }{{"grade", "季度客户分级"}, {"review-gold", "黄金客户用邮分析"},
					{"roster", "客户经理名册"}, {"splits", "收入分成"}, {"tender", "竞标公告"}, {"maintenance", "分级维护"}} {
					if strings.HasPrefix(subject, u.Named()+job.title) {
						after[job.name]++
						// A mail that says nothing to act on is not sent: its figure is never all zeros.
						if fig := subject[strings.LastIndex(subject, " · ")+len(" · "):]; job.name != "splits" && job.name != "grade" &&
							!strings.ContainsAny(fig, "123456789") {
							t.Errorf("%s: %q says nothing to act on", box[u.Code], subject)
						}
					}
				}
			}
		}
		// Silence cuts the mail of every job but grades and splits, which still go to every unit with a mailbox.
		t.Logf("unit mails before → after: %v → %v", before, after)
		for _, job := range []string{"grade", "splits"} {
			if after[job] != before[job] {
				t.Errorf("%s: %d unit mails, want one to each of the %d units", job, after[job], before[job])
			}
		}
		for _, job := range []string{"review-gold", "roster"} {
			if after[job] >= before[job] {
				t.Errorf("%s: %d unit mails of %d units; the test data should leave some with nothing", job, after[job], before[job])
			}
		}

		// On a later day with no claim newly overdue, the public notice goes to nobody and
		// only the units with a claim at stake hear of the tender; every unit's workbook is archived.
		var quiet *jobs.Output
		for d := 16; d <= 20 && quiet == nil; d++ {
			a.Now = func() time.Time { return time.Date(2026, 7, d, 9, 0, 0, 0, time.UTC) }
			out, err := a.RunJob(ctx, "tender", jobs.RunRequest{AsOf: day(2026, 7, d)})
			mustDo(t, err)
			if out.Counts["new"] == 0 {
				quiet = out
			}
		}
		if quiet == nil {
			t.Fatal("every day of 16–20 July has a claim newly overdue; the test data should leave one quiet")
		}
		var queued []struct {
			Recipient string `db:"recipient"`
			Subject   string `db:"subject"`
			File      string `db:"file_name"`
		}
		mustDo(t, s.DB().Select(&queued, s.DB().Rebind(`SELECT o.recipient, o.subject, r.file_name FROM outbox o
			JOIN outbox_reports x ON x.outbox_id = o.id JOIN reports r ON r.id = x.report_id WHERE r.run_id = ?`), quiet.RunID))
		got := map[string][]string{}
		for _, q := range queued {
			got[q.Recipient] = append(got[q.Recipient], q.File)
			if strings.Contains(q.File, "tender-notice_") {
				t.Errorf("%s: the public notice went on %s, when no claim was newly overdue", q.Recipient, quiet.Period)
			}
		}
		if len(quiet.UnitPaths) != len(units) {
			t.Errorf("%s: %d units' workbooks archived, want all %d", quiet.Period, len(quiet.UnitPaths), len(units))
		}
		wantQuiet := map[string][]string{}
		for _, p := range quiet.UnitPaths {
			code := filepath.Base(filepath.Dir(p))
			if hasRows(tenderSheets(t, p), newlyOverdue, "竞标公告", "临期", "待确认", "争议") {
				wantQuiet[box[code]] = []string{filepath.Base(p)}
			}
		}
		delete(got, "t@x.cn")
		if len(wantQuiet) == 0 || !reflect.DeepEqual(got, wantQuiet) {
			t.Errorf("tender %s mailed %v, want %v", quiet.Period, got, wantQuiet)
		}
		t.Logf("tender unit mails on a day with nothing newly overdue (%s): %d of %d units", quiet.Period, len(got), len(units))

		// The archive lists a unit's own workbooks.
		reps, err := s.ListReports(ctx, store.ReportFilter{Unit: centres[1].Code}, 50)
		mustDo(t, err)
		if len(reps) < 3 {
			t.Errorf("archive of %s: %d reports", centres[1].Code, len(reps))
		}
		for _, rep := range reps {
			if rep.Unit != centres[1].Code || !strings.HasSuffix(rep.FileName, "_"+centres[1].Code+".xlsx") {
				t.Errorf("archive of %s lists %+v", centres[1].Code, rep)
			}
		}
	})
}

// columns indexes a header row by title.
func columns(header []string) map[string]int {
	m := make(map[string]int, len(header))
	for i, h := range header {
		m[h] = i
	}
	return m
}

// cell is row[i], or "" past the row's last filled cell (excelize trims them).
func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

// rowsOf joins each data row of a sheet below its header.
func rowsOf(rows [][]string) []string {
	if len(rows) < 2 {
		return nil
	}
	out := make([]string, 0, len(rows)-1)
	for _, r := range rows[1:] {
		out = append(out, strings.Join(r, "|"))
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// money reads a #,##0.00 cell as GetRows formats it.
func money(t *testing.T, s string) domain.Money {
	t.Helper()
	m, err := domain.ParseMoney(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return m
}

// readReport reads a published report by its file name: the city's from the
// reports folder, a unit's from its folder (…_<单位编码>.xlsx).
func readReport(t *testing.T, a *App, name string) []byte {
	t.Helper()
	p := filepath.Join(a.Cfg.Paths.Reports, name)
	if _, err := os.Stat(p); err != nil {
		stem := strings.TrimSuffix(name, ".xlsx")
		p = filepath.Join(a.Cfg.Paths.Reports, stem[strings.LastIndex(stem, "_")+1:], name)
	}
	data, err := os.ReadFile(p)
	mustDo(t, err)
	return data
}
