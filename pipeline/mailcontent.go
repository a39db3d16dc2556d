package pipeline

import (
	"fmt"
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
	if t == nil || len(t.Rows) == 0 {
		return ""
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
		Head: []string{"情况", "申报编号", "客户编号", "客户名称", "申报单位", "客户经理", "开发截止日期", "天数"}}
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
