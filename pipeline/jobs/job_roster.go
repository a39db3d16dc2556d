package jobs

import (
	"context"
	"fmt"
	"io"
	"strings"

	"kam/domain"
	"kam/pipeline/core"
	"kam/reports"
	"kam/rules"
)

var rosterJob = Job{
	Name: "roster", Title: "客户经理名册", Period: Monthly,
	ScheduleKey: "roster", RecipientsKey: "roster", DefaultSchedule: "0 6 25 * *",
	Share: "它的客户经理（区县中心还有它的班组与网点），以及它负责的客户上的提示",
	KeyFigure: func(c map[string]int64) (string, bool) {
		if !has(c, "handover") {
			return "", false
		}
		return rosterFigure(c), true
	},
	// A unit hears of its roster only when one of its flags is set.
	MailPart: anyOf(rosterFlags...),
	Basis:    rosterBasis,
	Run:      runRoster,
}

// rosterAsOf is the day a month's roster is read as of: within the month after it.
func rosterAsOf(month domain.Month, asOf domain.Date) domain.Date {
	next := month.AddMonths(1)
	return max(min(asOf, next.Last()), next.First())
}

// rosterBasis is what a roster depends on besides its data: whether next month's targets are due.
func rosterBasis(a *core.App, period string, asOf domain.Date) string {
	month, err := domain.ParseMonth(period)
	if err != nil {
		return ""
	}
	if rosterAsOf(month, asOf).Time().Day() >= a.Cfg.Roster.TargetsDueDay {
		return fmt.Sprintf("%s 目标已到截止日", month.AddMonths(2))
	}
	return fmt.Sprintf("%s 目标未到截止日", month.AddMonths(2))
}

// runRoster writes the account-manager roster of one month (第十一条(一), 第十二条(七)).
func runRoster(ctx context.Context, a *core.App, period string, asOf domain.Date, out *Output) error {
	month, err := domain.ParseMonth(period)
	if err != nil {
		return domain.Usagef("--period: %v", err)
	}
	managers, err := a.Store.Managers(ctx)
	if err != nil {
		return err
	}
	customers, err := a.Store.Customers(ctx)
	if err != nil {
		return err
	}
	if len(managers) == 0 && len(customers) == 0 {
		return domain.Refusedf("还没有导入客户经理和客户资料，无法生成 %s 客户经理名册", month)
	}
	units, err := a.Store.Units(ctx)
	if err != nil {
		return err
	}
	revenue, err := a.Store.CustomerRevenue(ctx, month, month)
	if err != nil {
		return err
	}
	centres, err := rosterCentres(ctx, a, month, units, customers)
	if err != nil {
		return err
	}
	// The roster of a month is read in the month after it: its targets are
	// last month's, and next month's are due by the configured day. A late
	// rerun is read as at that month's last day, an early one as at its first.
	next := month.AddMonths(1)
	ruleAsOf := rosterAsOf(month, asOf)
	var targets []domain.Target
	for _, m := range []domain.Month{month, next.AddMonths(1)} {
		ts, err := a.Store.Targets(ctx, m)
		if err != nil {
			return err
		}
		targets = append(targets, ts...)
	}
	claims, err := a.Store.Claims(ctx)
	if err != nil {
		return err
	}
	r, err := rules.Roster(rules.RosterInput{
		AsOf: ruleAsOf, Managers: managers, Customers: customers, Revenue: revenue, Responsible: centres,
		Targets: targets, Claims: claims,
		Config: rules.RosterConfig{
			ShareAlert:    domain.Ratio(a.Cfg.Roster.ConcentrationPct * 100),
			TargetsDueDay: a.Cfg.Roster.TargetsDueDay,
		},
	})
	if err != nil {
		return err
	}

	meta := reportMeta(a, ctx, out, reads{kinds: []domain.Kind{domain.KindManagers, domain.KindCustomers, domain.KindUnits, domain.KindTargets,
		domain.KindClaims, domain.KindRevenue}, from: month, to: month},
		reports.Setting{Item: "集中度", Text: fmt.Sprintf("主维护收入占负责单位收入超过 %d%%", a.Cfg.Roster.ConcentrationPct), Key: "roster.concentration_percent"},
		reports.Setting{Item: "目标截止", Text: fmt.Sprintf("下月目标每月 %d 日前报", a.Cfg.Roster.TargetsDueDay), Key: "roster.targets_due_day"})
	names := directoryOf(customers, units, managers)
	book, err := reports.Roster(meta, r, revenue, names)
	if err != nil {
		return err
	}
	if err := out.AddFile("roster_"+period+".xlsx", func(w io.Writer) error { _, err := book.WriteTo(w); return err }); err != nil {
		return err
	}
	// Each unit gets the roster of the managers it leads (a district: its teams' and windows' too).
	staff := make(map[string]string, len(managers))
	for _, m := range managers {
		staff[m.StaffID] = m.Unit
	}
	err = writeParts(out, unitParts(a, units), "roster_"+period, func(p *UnitPart) (*reports.Book, error) {
		mine := rules.NewScope(units, p.Unit.Code).Roster(r, centres, staff)
		handover := len(mine.Departed) + len(mine.UnknownManagers)
		p.Count("managers", int64(len(mine.Managers)))
		p.Count("handover", int64(handover))
		p.Count("no_b", int64(len(mine.NoB)))
		p.Count("same_ab", int64(len(mine.SameAB)))
		p.Count("concentration", int64(len(mine.OverShare)))
		p.Count("no_targets", int64(len(mine.NoTargets)))
		p.Headline = fmt.Sprintf("%s 客户经理 %d 人，无B角 %d 户，A等于B %d 户，离职待交接 %d 户次，集中度超标 %d 项，目标未报 %d 人",
			p.label(), len(mine.Managers), len(mine.NoB), len(mine.SameAB), handover, len(mine.OverShare), len(mine.NoTargets))
		return reports.Roster(unitMeta(a, meta, p, "客户经理、目标未报、目标达成只含本单位（镇区局含其营投班组、营业窗口）的客户经理；"+
			"无B角、A等于B、离职待交接、集中度只含本单位负责的客户"), mine, revenue, names)
	})
	if err != nil {
		return err
	}

	handover := len(r.Departed) + len(r.UnknownManagers)
	out.Count("managers", int64(len(r.Managers)))
	out.Count("no_b", int64(len(r.NoB)))
	out.Count("same_ab", int64(len(r.SameAB)))
	out.Count("handover", int64(handover))
	out.Count("concentration", int64(len(r.OverShare)))
	out.Count("no_targets", int64(len(r.NoTargets)))
	out.Count("targets_developed", int64(len(r.DevelopedTargets)))
	targetsLine := fmt.Sprintf("%s 目标未报 %d 人", r.NextMonth, len(r.NoTargets))
	if !r.TargetsDue {
		targetsLine = fmt.Sprintf("%s 目标 %d 日截止", r.NextMonth, a.Cfg.Roster.TargetsDueDay)
	}
	out.Headline = fmt.Sprintf("客户经理 %d 人，无B角 %d 户，A等于B %d 户，离职待交接 %d 户次，集中度超标 %d 项，%s，%s 目标达成 %d 项",
		len(r.Managers), len(r.NoB), len(r.SameAB), handover, len(r.OverShare), targetsLine, r.LastMonth, len(r.DevelopedTargets))
	if len(revenue) == 0 {
		out.Headline += fmt.Sprintf("（%s 尚无收入数据）", month)
	}
	return nil
}

// rosterFlags are the roster's counts that ask someone to act, most pressing first, as the figure says them.
var rosterFlags = []string{"handover", "concentration", "no_b", "same_ab", "no_targets"}

var rosterFlagFormats = map[string]string{"handover": "离职待交接 %d 户次", "concentration": "集中度超标 %d 项",
	"no_b": "无B角 %d 户", "same_ab": "A等于B %d 户", "no_targets": "目标未报 %d 人"}

// rosterFigure names the flags that are set, most pressing first; 离职待交接 0 户次 when none is.
func rosterFigure(c map[string]int64) string {
	var set []string
	for _, k := range rosterFlags {
		if c[k] > 0 {
			set = append(set, fmt.Sprintf(rosterFlagFormats[k], c[k]))
		}
	}
	if len(set) == 0 {
		return fmt.Sprintf(rosterFlagFormats["handover"], 0)
	}
	return strings.Join(set, "，")
}

// rosterCentres names each customer's responsible centre (第九条) under the
// grading in force at the last quarter complete by the end of month; a
// customer that grading left out by the rule applied to no tier.
func rosterCentres(ctx context.Context, a *core.App, month domain.Month, units []domain.Unit, customers []domain.Customer) (map[string]string, error) {
	g, err := gradingInForce(ctx, a, quarterEndedBy(month))
	if err != nil {
		return nil, err
	}
	centres := rules.ResponsibleCentres(units, customers, g.Tier)
	for id, centre := range g.Responsible {
		if centre != "" {
			centres[id] = centre
		}
	}
	return centres, nil
}
