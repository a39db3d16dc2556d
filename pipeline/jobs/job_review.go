package jobs

import (
	"context"
	"fmt"
	"io"

	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/mail"
	"kam/reports"
	"kam/rules"
)

var reviewDiamondJob = Job{
	Name: "review-diamond", Title: "钻石客户用邮分析", Period: Monthly,
	ScheduleKey: "review_diamond", RecipientsKey: "review_diamond", DefaultSchedule: "0 4 8 * *",
	Centres: diamondCentres, Share: "全市一份：钻石客户由市中心维护，市中心的邮箱收到全市的分析",
	KeyFigure: alertsFigure,
	MailPart:  anyOf("customers"),
	Run:       reviewJob("review-diamond", domain.Diamond, rules.DiamondWindow, diamondCentres),
}

var reviewGoldJob = Job{
	Name: "review-gold", Title: "黄金客户用邮分析", Period: Bimonthly,
	ScheduleKey: "review_gold", RecipientsKey: "review_gold", DefaultSchedule: "30 4 8 1,3,5,7,9,11 *",
	Centres: goldCentres, Share: "它负责的黄金客户（专业局与区县中心）",
	// A centre without gold customers holds no meeting: it is not mailed an empty pack.
	KeyFigure: alertsFigure,
	MailPart:  anyOf("customers"),
	Run:       reviewJob("review-gold", domain.Gold, rules.GoldWindow, goldCentres),
}

// diamondCentres get the city's diamond pack; goldCentres their own gold pack.
var (
	diamondCentres = []domain.UnitKind{domain.CityCenter}
	goldCentres    = []domain.UnitKind{domain.Professional, domain.District}
)

// alertsFigure is a review pack's subject figure: its customers and their 预警.
func alertsFigure(c map[string]int64) (string, bool) {
	if c["no_base"] > 0 {
		return reports.NoBaseWarning, true
	}
	if !has(c, "customers", "alerts") {
		return "", false
	}
	return fmt.Sprintf("%d 户，预警 %d 户", c["customers"], c["alerts"]), true
}

// reviewJob writes a tier's review pack (第九条(三)(四)) for the window of
// window months ending at the period's month.
func reviewJob(name string, tier domain.Tier, window int, centres []domain.UnitKind) func(context.Context, *core.App, string, domain.Date, *Output) error {
	return func(ctx context.Context, a *core.App, period string, _ domain.Date, out *Output) error {
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
		rows, err := rules.Review(rules.ReviewInput{
			Month: m, Window: window, Customers: customers, Revenue: revenue, Lines: a.Cfg.BusinessLines, DropAlert: drop,
			Loaded: func(m domain.Month) bool { return loaded[m] },
		})
		if err != nil {
			return err
		}
		units, err := a.Store.Units(ctx)
		if err != nil {
			return err
		}
		// Where each customer stands against its tier's gap between visits at the month's end (分级维护).
		asOf := m.Last()
		visits, err := a.Store.VisitDates(ctx, asOf)
		if err != nil {
			return domain.Failed(err, "读取走访记录")
		}
		byCustomer := map[string][]domain.Visit{}
		for _, v := range visits {
			byCustomer[v.Customer] = append(byCustomer[v.Customer], v)
		}
		mcfg := a.MaintenanceConfig()
		gaps := make(map[string]rules.VisitGap, len(customers))
		for _, c := range customers {
			gaps[c.ID] = rules.GapOf(asOf, tier, true, byCustomer[c.ID], mcfg)
		}
		pack := reports.ReviewPack{
			Tier: tier, Month: m, Window: window, Basis: basis, DropAlert: drop, ChartTopN: a.Cfg.Review.ChartTopN,
			Rows: rows, Responsible: responsible, Loaded: func(m domain.Month) bool { return loaded[m] },
			Visits: gaps, VisitsAsOf: asOf,
		}
		managers, err := a.Store.Managers(ctx)
		if err != nil {
			return domain.Failed(err, "读取客户经理")
		}
		names := directoryOf(nil, units, managers)
		meta := reportMeta(a, ctx, out, reads{kinds: []domain.Kind{domain.KindRevenue, domain.KindCustomers, domain.KindUnits, domain.KindManagers, domain.KindVisits}, from: from, to: to})
		book, err := reports.Review(meta, pack, names)
		if err != nil {
			return err
		}
		if err := out.AddFile(name+"_"+period+".xlsx", func(w io.Writer) error { _, err := book.WriteTo(w); return err }); err != nil {
			return err
		}

		sum, err := summarizeReview(rows, tier.Label()+"客户用邮分析 "+pack.Period())
		if err != nil {
			return err
		}
		sum.noBase = pack.NoLastYear()
		out.Act = reviewActions(rows, responsible, names, pack)
		sum.count(out.Count)
		out.Headline = fmt.Sprintf("%s客户用邮分析 %s：%s", tier.Label(), pack.Period(), sum)
		if tier == domain.Diamond {
			// The diamond pack is the city centre's (第九条(三)): its mailbox gets the city's workbook.
			for _, p := range unitParts(a, units, centres...) {
				out.AlsoTo = append(out.AlsoTo, p.Mailboxes...)
			}
			return nil
		}
		// Each professional bureau and district centre holds its own meeting on its gold customers (第九条(四)).
		return writeParts(out, unitParts(a, units, centres...), name+"_"+period, func(p *UnitPart) (*reports.Book, error) {
			scope := rules.NewScope(units, p.Unit.Code)
			var mine []rules.ReviewRow
			for i := range rows {
				if scope.Owns(responsible[rows[i].Customer.ID]) {
					mine = append(mine, rows[i])
				}
			}
			own := pack
			own.Rows = mine
			s, err := summarizeReview(mine, "单位 "+p.label()+" "+tier.Label()+"客户用邮分析 "+pack.Period())
			if err != nil {
				return nil, err
			}
			s.noBase = pack.NoLastYear()
			p.Act = reviewActions(mine, responsible, names, pack)
			s.count(p.Count)
			p.Headline = fmt.Sprintf("%s %s客户用邮分析 %s：%s", p.label(), tier.Label(), pack.Period(), s)
			return reports.Review(unitMeta(a, meta, p, "只含本单位负责的"+tier.Label()+"客户"), own, names)
		})
	}
}

// reviewSummary is a review pack's headline figures.
type reviewSummary struct {
	customers, alerts, lost int64
	current                 domain.Money
	noBase                  bool // 去年同期 never loaded: 预警 could not be judged
}

// summarizeReview counts a pack's rows and adds up their 本期 (pack names it, should the sum not fit).
func summarizeReview(rows []rules.ReviewRow, pack string) (reviewSummary, error) {
	s := reviewSummary{customers: int64(len(rows))}
	var current domain.Sum
	for i := range rows {
		current.Add(rows[i].Current)
		if rows[i].Alert {
			s.alerts++
		}
		if rows[i].Lost {
			s.lost++
		}
	}
	var ok bool
	if s.current, ok = current.Total(); !ok {
		return s, domain.Overflowf("%s 的本期收入合计", pack)
	}
	return s, nil
}

func (s reviewSummary) count(put func(string, int64)) {
	put("customers", s.customers)
	put("alerts", s.alerts)
	put("lost", s.lost)
	if s.noBase {
		put("no_base", 1)
	}
}

func (s reviewSummary) String() string {
	if s.noBase { // "预警 0 户" would read as all fine
		return fmt.Sprintf("%d 户，本期收入 %s 元，%s", s.customers, s.current.Yuan(), reports.NoBaseWarning)
	}
	return fmt.Sprintf("%d 户，本期收入 %s 元，预警 %d 户（流失 %d 户）", s.customers, s.current.Yuan(), s.alerts, s.lost)
}

// reviewActions lists the 预警 customers: the ones their centre must call on (第九条(三)(四)).
func reviewActions(rows []rules.ReviewRow, responsible map[string]string, names reports.Directory, pack reports.ReviewPack) *mail.Table {
	t := &mail.Table{Caption: "预警客户：同比下降超过预警标准或流失，请负责单位跟进",
		Head:  []string{"客户编号", "客户名称", "预警", "本期收入（元）", "去年同期收入（元）", "同比", "负责单位"},
		Empty: "本期没有预警客户（同比下降超过预警标准或流失）。"}
	if pack.NoLastYear() {
		t.Empty = fmt.Sprintf("%s：去年同期（%s）没有导入任何收入，同比下降与流失无从判断；这不是“没有预警”。导入去年同期的收入后重新生成即可判断。",
			reports.NoBaseWarning, pack.LastYear())
		return t
	}
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
			unitNamed(names, code)})
	}
	return t.CapRows("预警")
}
