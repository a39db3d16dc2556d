package pipeline

import (
	"context"
	"fmt"
	"io"

	"kam/domain"
	"kam/reports"
	"kam/rules"
)

func init() {
	register(Job{Name: "review-diamond", Period: monthPeriod, Run: reviewJob("review-diamond", domain.Diamond, rules.DiamondWindow)})
	register(Job{Name: "review-gold", Period: evenMonthPeriod, Run: reviewJob("review-gold", domain.Gold, rules.GoldWindow)})
}

// reviewJob writes a tier's review pack (第九条(三)(四)) for the window of
// window months ending at the period's month.
func reviewJob(name string, tier domain.Tier, window int) func(context.Context, *App, string, domain.Date, *Output) error {
	return func(ctx context.Context, a *App, period string, _ domain.Date, out *Output) error {
		m, err := domain.ParseMonth(period)
		if err != nil {
			return domain.Usagef("--period: %v", err)
		}
		has, err := a.Store.HasRevenue(ctx, m)
		if err != nil {
			return domain.Failed(err, "读取 %s 收入", m)
		}
		if !has {
			return domain.Refusedf("%s 还没有任何收入数据，无法生成%s客户用邮分析；请先导入该月收入", m, tier.Label())
		}
		if err := out.requireComplete(ctx, a, monthsOf(domain.MonthSpan{From: m.AddMonths(1 - window), To: m})); err != nil {
			return err
		}
		g, err := gradingInForce(ctx, a, quarterEndedBy(m))
		if err != nil {
			return err
		}
		all, err := a.Store.Customers(ctx)
		if err != nil {
			return domain.Failed(err, "读取客户资料")
		}
		customers := g.Of(tier, all)
		responsible, basis := g.Responsible, g.Basis(tier, len(customers))
		ids := make([]string, len(customers))
		for i, c := range customers {
			ids[i] = c.ID
		}
		from, to := rules.ReviewSpan(m, window)
		revenue, err := a.Store.LineRevenue(ctx, ids, from, to)
		if err != nil {
			return err
		}
		drop := domain.Ratio(a.Cfg.Review.YoYDropPct * 100)
		// A comparison month never loaded has no base: shown empty, never as 0.00 (SPEC §4.6).
		pairs, err := a.Store.RevenuePairs(ctx, from, to)
		if err != nil {
			return domain.Failed(err, "读取已导入的收入月份")
		}
		loaded := map[domain.Month]bool{}
		for _, p := range pairs {
			loaded[p.Month] = true
		}
		rows := rules.Review(rules.ReviewInput{
			Month: m, Window: window, Customers: customers, Revenue: revenue, Lines: a.Cfg.BusinessLines, DropAlert: drop,
			Loaded: func(m domain.Month) bool { return loaded[m] },
		})
		units, err := a.Store.Units(ctx)
		if err != nil {
			return err
		}
		pack := reports.ReviewPack{
			Tier: tier, Month: m, Window: window, Basis: basis, DropAlert: drop, ChartTopN: a.Cfg.Review.ChartTopN,
			Rows: rows, Responsible: responsible,
		}
		book, err := reports.Review(a.reportMeta(ctx, out), pack, directoryOf(nil, units, nil))
		if err != nil {
			return err
		}
		if err := out.AddFile(name+"_"+period+".xlsx", func(w io.Writer) error { _, err := book.WriteTo(w); return err }); err != nil {
			return err
		}

		var current domain.Money
		var alerts, lost int64
		for i := range rows {
			current += rows[i].Current
			if rows[i].Alert {
				alerts++
			}
			if rows[i].Lost {
				lost++
			}
		}
		out.Act = reviewActions(rows, responsible, directoryOf(nil, units, nil))
		out.Count("customers", int64(len(rows)))
		out.Count("alerts", alerts)
		out.Count("lost", lost)
		out.Headline = fmt.Sprintf("%s客户用邮分析 %s：%d 户，本期收入 %s 元，预警 %d 户（流失 %d 户）",
			tier.Label(), pack.Period(), len(rows), current.Yuan(), alerts, lost)
		return nil
	}
}
