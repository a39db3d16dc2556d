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

		names := directoryOf(nil, units, nil)
		sum := summarizeReview(rows)
		out.Act = reviewActions(rows, responsible, names)
		sum.count(out.Count)
		out.Headline = fmt.Sprintf("%s客户用邮分析 %s：%s", tier.Label(), pack.Period(), sum)
		if tier == domain.Diamond {
			// The diamond pack is the city centre's (第九条(三)): its mailbox gets the city's workbook.
			for _, p := range a.unitParts(units, domain.CityCenter) {
				out.AlsoTo = append(out.AlsoTo, p.Mailboxes...)
			}
			return nil
		}
		// Each professional bureau and district centre holds its own meeting on its gold customers (第九条(四)).
		return writeParts(out, a.unitParts(units, domain.Professional, domain.District), name+"_"+period, func(p *UnitPart) (*reports.Book, error) {
			scope := rules.NewScope(units, p.Unit.Code)
			var mine []rules.ReviewRow
			for i := range rows {
				if scope.Owns(responsible[rows[i].Customer.ID]) {
					mine = append(mine, rows[i])
				}
			}
			own := pack
			own.Rows = mine
			s := summarizeReview(mine)
			p.Act = reviewActions(mine, responsible, names)
			s.count(p.Count)
			p.Headline = fmt.Sprintf("%s %s客户用邮分析 %s：%s", p.label(), tier.Label(), pack.Period(), s)
			return reports.Review(a.unitMeta(a.reportMeta(ctx, out), p, "只含本单位负责的"+tier.Label()+"客户"), own, names)
		})
	}
}

// reviewSummary is a review pack's headline figures.
type reviewSummary struct {
	customers, alerts, lost int64
	current                 domain.Money
}

func summarizeReview(rows []rules.ReviewRow) reviewSummary {
	s := reviewSummary{customers: int64(len(rows))}
	for i := range rows {
		s.current += rows[i].Current
		if rows[i].Alert {
			s.alerts++
		}
		if rows[i].Lost {
			s.lost++
		}
	}
	return s
}

func (s reviewSummary) count(put func(string, int64)) {
	put("customers", s.customers)
	put("alerts", s.alerts)
	put("lost", s.lost)
}

func (s reviewSummary) String() string {
	return fmt.Sprintf("%d 户，本期收入 %s 元，预警 %d 户（流失 %d 户）", s.customers, s.current.Yuan(), s.alerts, s.lost)
}
