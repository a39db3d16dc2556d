package pipeline

import (
	"fmt"
	"sort"
	"strings"

	"kam/domain"
	"kam/reports"
	"kam/rules"
)

// MailTable is what a report mail's recipients must act on, listed in the
// mail itself (the tender's newly overdue and 临期 claims), not only attached.
type MailTable struct {
	Caption string
	Head    []string
	Rows    [][]string
	Empty   string // said instead of the table when there is no row
}

// maxSubjectRunes keeps a subject readable in a mail client's list.
const maxSubjectRunes = 60

// mailSubject is report · period · the one figure that matters, within 60
// characters; a job that counts nothing gives its headline instead.
func mailSubject(job, period string, counts map[string]int64, headline string) string {
	s := JobTitle(job) + " · " + PeriodLabel(job, period)
	fig, ok := keyFigure(job, counts)
	if !ok {
		fig = headline
	}
	if fig != "" {
		s += " · " + fig
	}
	return clip(s, maxSubjectRunes)
}

// keyFigure is what a recipient looks for first; false when the counts lack it.
func keyFigure(job string, c map[string]int64) (string, bool) {
	has := func(keys ...string) bool {
		for _, k := range keys {
			if _, ok := c[k]; !ok {
				return false
			}
		}
		return true
	}
	switch {
	case job == "tender" && has("new", "due_soon"):
		return fmt.Sprintf("新增逾期 %d 项，临期 %d 项", c["new"], c["due_soon"]), true
	case job == "grade" && has("graded", "in", "away"): // a centre's own part
		return fmt.Sprintf("负责 %d 户，转入 %d 户，转出 %d 户", c["graded"], c["in"], c["away"]), true
	case job == "grade" && has("graded", "up", "down"):
		return fmt.Sprintf("分级 %d 户，升级 %d 户，降级 %d 户", c["graded"], c["up"], c["down"]), true
	case (job == "review-diamond" || job == "review-gold") && has("alerts"):
		return fmt.Sprintf("预警 %d 户", c["alerts"]), true
	case job == "splits" && has("split_fen", "difference_fen"):
		if d := domain.Money(c["difference_fen"]); d != 0 {
			return "差额 ¥" + d.Yuan() + "，请核对", true
		}
		return "分成合计 ¥" + domain.Money(c["split_fen"]).Yuan() + "，已平衡", true
	case job == "roster" && has("handover"):
		return fmt.Sprintf("离职待交接 %d 户次", c["handover"]), true
	}
	return "", false
}

// clip shortens s to n characters, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// text renders the table for the plain-text part: one line per row.
func (t *MailTable) text() string {
	if t == nil {
		return ""
	}
	if len(t.Rows) == 0 {
		if t.Empty == "" {
			return ""
		}
		return "\n" + t.Empty + "\n"
	}
	var b strings.Builder
	b.WriteString("\n" + t.Caption + "\n")
	b.WriteString(strings.Join(t.Head, " | ") + "\n")
	for _, r := range t.Rows {
		b.WriteString(strings.Join(r, " | ") + "\n")
	}
	return b.String()
}

// tenderActions lists every newly overdue claim (now open to tender) and every 临期 claim.
func tenderActions(r rules.TenderResult, names reports.Directory) *MailTable {
	t := &MailTable{Caption: "需要处理的申报：新增逾期（已转公开竞标）与临期（请抓紧开发）",
		Head:  []string{"情况", "申报编号", "客户编号", "客户名称", "申报单位", "客户经理", "开发截止日期", "天数"},
		Empty: "本次没有新增逾期或临期的申报。"}
	for _, o := range r.Overdue {
		if o.New {
			c := o.Claim
			t.Rows = append(t.Rows, []string{"新增逾期", c.ID, c.Customer, names.Customers[c.Customer], c.Unit, c.Manager,
				o.Deadline.String(), fmt.Sprintf("逾期 %d 天", o.DaysOverdue)})
		}
	}
	for _, d := range r.DueSoon {
		c := d.Claim
		t.Rows = append(t.Rows, []string{"临期", c.ID, c.Customer, names.Customers[c.Customer], c.Unit, c.Manager,
			d.Deadline.String(), fmt.Sprintf("剩 %d 天", d.DaysLeft)})
	}
	return t
}

// mailRowCap keeps a long list in the attachment, not the mail.
const mailRowCap = 100

// capRows ends a table at mailRowCap rows, saying how many more the workbook holds.
func (t *MailTable) capRows(sheet string) *MailTable {
	if n := len(t.Rows); n > mailRowCap {
		t.Rows = t.Rows[:mailRowCap]
		t.Caption += fmt.Sprintf("（前 %d 户，共 %d 户，其余见附件“%s”）", mailRowCap, n, sheet)
	}
	return t
}

// gradeActions counts each responsible centre's customers per tier and their changes:
// what each centre takes over or hands on (第九条).
func gradeActions(grades []domain.CustomerGrade, names reports.Directory) *MailTable {
	changes := []string{domain.ChangeUp, domain.ChangeDown, domain.ChangeNew}
	t := &MailTable{Caption: "各负责单位的客户等级与变动（需交接的客户见附件“等级变动”）", Head: []string{"负责单位"}}
	for _, tier := range domain.Tiers {
		t.Head = append(t.Head, tier.Label)
	}
	t.Head = append(t.Head, changes...)
	counts := map[string]map[string]int{}
	var order []string
	for i := range grades {
		g := &grades[i]
		c := counts[g.Responsible]
		if c == nil {
			c = map[string]int{}
			counts[g.Responsible] = c
			order = append(order, g.Responsible)
		}
		c[g.Tier.Label()]++
		c[g.Change]++
	}
	sort.Slice(order, func(i, j int) bool { return order[i] != "" && (order[j] == "" || order[i] < order[j]) })
	for _, code := range order {
		label := "（未能确定负责单位）"
		if code != "" {
			label = strings.TrimSpace(code + " " + names.Units[code])
		}
		row := []string{label}
		for _, tier := range domain.Tiers {
			row = append(row, fmt.Sprint(counts[code][tier.Label]))
		}
		for _, ch := range changes {
			row = append(row, fmt.Sprint(counts[code][ch]))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// handoverActions lists a centre's handovers: customers it takes over or hands on (第九条).
func handoverActions(grades []domain.CustomerGrade, scope rules.Scope, names reports.Directory) *MailTable {
	t := &MailTable{Caption: "本单位需交接的客户：转入本单位的请接手，转出的请交给新负责单位",
		Head:  []string{"交接", "客户编号", "客户名称", "变动", "上季等级", "等级", "原负责单位", "新负责单位"},
		Empty: "本季没有转入或转出本单位的客户。"}
	unit := func(code string) string { return strings.TrimSpace(code + " " + names.Units[code]) }
	for i := range grades {
		g := &grades[i]
		if g.PrevLevel == 0 || g.PrevResponsible == g.Responsible || !scope.Handover(g) {
			continue
		}
		way := "转入"
		if !scope.Graded(g) {
			way = "转出"
		}
		t.Rows = append(t.Rows, []string{way, g.Customer.ID, g.Customer.Name, g.Change, g.PrevTier.Label(), g.Tier.Label(),
			unit(g.PrevResponsible), unit(g.Responsible)})
	}
	return t.capRows("等级变动")
}

// reviewActions lists the 预警 customers: the ones their centre must call on (第九条(三)(四)).
func reviewActions(rows []rules.ReviewRow, responsible map[string]string, names reports.Directory) *MailTable {
	t := &MailTable{Caption: "预警客户：同比下降超过预警标准或流失，请负责单位跟进",
		Head:  []string{"客户编号", "客户名称", "预警", "本期收入（元）", "去年同期收入（元）", "同比", "负责单位"},
		Empty: "本期没有预警客户（同比下降超过预警标准或流失）。"}
	for i := range rows {
		r := &rows[i]
		if !r.Alert {
			continue
		}
		state, yoy := "同比下降", "—"
		if r.Lost {
			state = "流失"
		}
		if r.YoY != nil {
			yoy = r.YoY.String() + "%"
		}
		code := responsible[r.Customer.ID]
		t.Rows = append(t.Rows, []string{r.Customer.ID, r.Customer.Name, state, r.Current.Yuan(), r.LastYear.Yuan(), yoy,
			strings.TrimSpace(code + " " + names.Units[code])})
	}
	return t.capRows("预警")
}

// splitActions is each unit's split beside what it booked: what finance posts per unit.
func splitActions(totals reports.SplitsTotals, units []domain.Unit) *MailTable {
	t := &MailTable{Caption: "各单位分成金额（明细见附件“分成明细”）", Head: []string{"单位", "分成金额（元）", "入账收入（元）", "分成增减（元）"}}
	names := map[string]string{}
	for _, u := range units {
		names[u.Code] = u.Name
	}
	codes := make([]string, 0, len(totals.ByUnit))
	for code := range totals.ByUnit {
		codes = append(codes, code)
	}
	for code := range totals.Booked {
		if _, ok := totals.ByUnit[code]; !ok {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	for _, code := range codes {
		got, booked := totals.ByUnit[code], totals.Booked[code]
		t.Rows = append(t.Rows, []string{strings.TrimSpace(code + " " + names[code]), got.Yuan(), booked.Yuan(), (got - booked).Yuan()})
	}
	return t
}
