package jobs

import (
	"context"
	"fmt"
	"io"
	"strings"

	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/mail"
	"kam/reports"
	"kam/rules"
)

var maintenanceJob = Job{
	Name: "maintenance", Title: "分级维护", Period: Daily,
	ScheduleKey: "maintenance", RecipientsKey: "maintenance", DefaultSchedule: "40 7 * * 1",
	Centres: gradeCentres,
	Share:   "它负责的客户（走访超期、临期、约定未联系、档案不全）和它所属单位的客户经理（走访统计）",
	KeyFigure: func(c map[string]int64) (string, bool) {
		if !has(c, "overdue", "due_soon", "missed", "incomplete") {
			return "", false
		}
		// What there is to act on, first: a subject cut short still says it.
		var parts []string
		for _, f := range []struct{ key, label string }{{"overdue", "走访超期"}, {"due_soon", "临期"}, {"missed", "约定未联系"}, {"incomplete", "档案不全"}} {
			if c[f.key] > 0 {
				parts = append(parts, fmt.Sprintf("%s %d 户", f.label, c[f.key]))
			}
		}
		if len(parts) == 0 {
			return "无超期、临期、约定未联系或档案不全的客户", true
		}
		return strings.Join(parts, "，"), true
	},
	// A centre hears of maintenance only when one of its customers needs something.
	MailPart: anyOf("overdue", "due_soon", "missed", "incomplete"),
	Run:      runMaintenance,
}

// runMaintenance lists, as of one day, the tracked customers overdue or due
// for a visit, the agreed contacts nobody made, each manager's visits of the
// month and the incomplete archives (SPEC §4.7: 分级维护, 档案管理, 第四条(四)).
func runMaintenance(ctx context.Context, a *core.App, period string, _ domain.Date, out *Output) error {
	asOf, err := domain.ParseDate(period)
	if err != nil {
		return domain.Usagef("--period: %v", err)
	}
	g, err := gradingInForce(ctx, a, rules.QuarterInForce(asOf))
	if err != nil {
		return err
	}
	customers, err := a.Store.Customers(ctx)
	if err != nil {
		return domain.Failed(err, "读取客户资料")
	}
	units, err := a.Store.Units(ctx)
	if err != nil {
		return domain.Failed(err, "读取单位")
	}
	managers, err := a.Store.Managers(ctx)
	if err != nil {
		return domain.Failed(err, "读取客户经理")
	}
	visits, err := a.Store.VisitDates(ctx, asOf)
	if err != nil {
		return domain.Failed(err, "读取走访记录")
	}
	responsible := maintenanceCentres(g, units, customers)
	cfg := a.MaintenanceConfig()
	r := rules.Maintenance(rules.MaintenanceInput{AsOf: asOf, Customers: customers, Tier: g.Tier, Responsible: responsible,
		Visits: visits, Managers: managers, Config: cfg})
	names := directoryOf(nil, units, managers)
	meta := reportMeta(a, ctx, out, reads{kinds: []domain.Kind{domain.KindVisits, domain.KindCustomers, domain.KindUnits, domain.KindManagers}},
		reports.Setting{Item: "分级依据", Text: g.Source()})
	parts := unitParts(a, units, gradeCentres...)
	err = beside(func() error {
		book, err := reports.Maintenance(meta, r, cfg, names)
		if err != nil {
			return err
		}
		return out.AddFile("maintenance_"+period+".xlsx", func(w io.Writer) error { _, err := book.WriteTo(w); return err })
	}, func() error {
		return writeParts(out, parts, "maintenance_"+period, func(p *UnitPart) (*reports.Book, error) {
			mine := rules.NewScope(units, p.Unit.Code).Maintenance(r)
			countMaintenance(mine, p.Count)
			p.Act = maintenanceActions(mine, names)
			p.Headline = p.label() + "：" + maintenanceHeadline(mine)
			return reports.Maintenance(unitMeta(a, meta, p, "只含本单位负责的客户，和本单位（镇区局含其营投班组、营业窗口）的客户经理"), mine, cfg, names)
		})
	})
	if err != nil {
		return err
	}
	countMaintenance(r, out.Count)
	out.Count("tracked", int64(r.Tracked))
	out.Act = maintenanceActions(r, names)
	out.Headline = fmt.Sprintf("跟踪 %d 户：%s", r.Tracked, maintenanceHeadline(r))
	return nil
}

// maintenanceCentres is each customer's centre: the grading in force's (as in
// 分级结果), and for a customer that grading does not list, the centre
// 第九条 names for a customer that is not diamond.
func maintenanceCentres(g *inForce, units []domain.Unit, customers []domain.Customer) map[string]string {
	out := rules.ResponsibleCentres(units, customers, g.Tier)
	for id, c := range g.Responsible {
		out[id] = c
	}
	return out
}

func countMaintenance(r rules.MaintenanceResult, put func(string, int64)) {
	never := 0
	for _, g := range r.Overdue {
		if g.State == rules.VisitNever {
			never++
		}
	}
	put("overdue", int64(len(r.Overdue)))
	put("never", int64(never))
	put("due_soon", int64(len(r.DueSoon)))
	put("missed", int64(len(r.Missed)))
	put("incomplete", int64(len(r.Incomplete)))
}

func maintenanceHeadline(r rules.MaintenanceResult) string {
	never := 0
	for _, g := range r.Overdue {
		if g.State == rules.VisitNever {
			never++
		}
	}
	return fmt.Sprintf("走访超期 %d 户（从未走访 %d 户），临期 %d 户，约定未联系 %d 户，档案不全 %d 户",
		len(r.Overdue), never, len(r.DueSoon), len(r.Missed), len(r.Incomplete))
}

// maintenanceActions lists the customers someone must call on now: overdue, then due soon.
func maintenanceActions(r rules.MaintenanceResult, names reports.Directory) *mail.Table {
	t := &mail.Table{Caption: "需要走访的客户：走访超期与临期（请主维护客户经理安排上门拜访）",
		Head:  []string{"情况", "客户编号", "客户名称", "等级", "主维护客户经理", "上次走访日期", "应走访日期", "天数"},
		Empty: "本次没有走访超期或临期的客户。"}
	date := func(d domain.Date) string {
		if d == 0 {
			return "—"
		}
		return d.String()
	}
	for _, g := range r.Overdue {
		state, days := "超期", fmt.Sprintf("超期 %d 天", g.Days)
		if g.State == rules.VisitNever {
			state, days = "从未走访", "—"
		}
		t.Rows = append(t.Rows, []string{state, g.Customer.ID, g.Customer.Name, g.Tier.Label(), managerNamed(names, g.Primary),
			date(g.Last), date(g.Due), days})
	}
	for _, g := range r.DueSoon {
		t.Rows = append(t.Rows, []string{"临期", g.Customer.ID, g.Customer.Name, g.Tier.Label(), managerNamed(names, g.Primary),
			date(g.Last), date(g.Due), fmt.Sprintf("剩 %d 天", g.Days)})
	}
	return t.CapRows("走访超期")
}
