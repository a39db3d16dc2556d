package jobs

import (
	"context"
	"fmt"
	"io"
	"slices"

	"kam/domain"
	"kam/pipeline/core"
	"kam/reports"
	"kam/rules"
)

// cardMonths is how many months of revenue a card shows by line; its grade
// history reaches back to the January before them.
const cardMonths = 24

// CardFileName is the card's file name: 客户档案_<客户编号>.xlsx.
func CardFileName(customer string) string { return "客户档案_" + customer + ".xlsx" }

// Card writes one customer's archive workbook (客户档案, 档案管理; `kam card`,
// the page's download) to w and returns the customer it found (id or name,
// as explain reads them). unitOnly, when set, refuses a customer that unit is
// not responsible for (a unit user sees only its customers).
func Card(ctx context.Context, a *core.App, who, unitOnly string, w io.Writer) (domain.Customer, error) {
	e, err := Explain(ctx, a, who, "")
	if err != nil {
		return domain.Customer{}, err
	}
	c := e.Customer
	units, err := a.Store.Units(ctx)
	if err != nil {
		return c, domain.Failed(err, "读取单位")
	}
	if unitOnly != "" && !rules.NewScope(units, unitOnly).Owns(e.Centre) {
		return c, domain.Usagef("客户 %s 不由本单位 %s 负责，不能查看其档案", c.ID, unitOnly)
	}
	managers, err := a.Store.Managers(ctx)
	if err != nil {
		return c, domain.Failed(err, "读取客户经理")
	}
	names := directoryOf([]domain.Customer{c}, units, managers)
	today := a.Today()
	last := today.Month().AddMonths(-1)
	first := last.AddMonths(1 - cardMonths)
	historyFrom := domain.NewMonth(first.Year(), 1)
	rows, err := a.Store.CustomerRevenueRows(ctx, c.ID, historyFrom, last)
	if err != nil {
		return c, domain.Failed(err, "读取客户收入")
	}
	visits, err := a.Store.Visits(ctx, c.ID, today)
	if err != nil {
		return c, domain.Failed(err, "读取走访记录")
	}
	scheme, err := a.GradeScheme()
	if err != nil {
		return c, err
	}
	card := reports.CustomerCard{Customer: c, Visits: visits, Splits: e.Agreements,
		Revenue: map[domain.Month]map[string]domain.Money{}, Totals: map[domain.Month]domain.Money{}}

	// 收入: the last 24 months by line, every sum checked.
	cells := map[domain.Month]map[string]*domain.Sum{}
	totals := map[domain.Month]*domain.Sum{}
	used := map[string]bool{}
	for _, r := range rows {
		if r.Month < first {
			continue
		}
		if cells[r.Month] == nil {
			cells[r.Month], totals[r.Month] = map[string]*domain.Sum{}, new(domain.Sum)
		}
		if cells[r.Month][r.Line] == nil {
			cells[r.Month][r.Line] = new(domain.Sum)
		}
		cells[r.Month][r.Line].Add(r.Amount)
		totals[r.Month].Add(r.Amount)
		used[r.Line] = true
	}
	for _, l := range a.Cfg.BusinessLines {
		if used[l] {
			card.Lines = append(card.Lines, l)
		}
	}
	for m := first; m <= last; m = m.AddMonths(1) {
		card.Months = append(card.Months, m)
		card.Revenue[m] = map[string]domain.Money{}
		for l, s := range cells[m] {
			v, ok := s.Total()
			if !ok {
				return c, domain.Overflowf("客户 %s %s %s 的收入", c.ID, m, l)
			}
			card.Revenue[m][l] = v
		}
		if totals[m] != nil {
			v, ok := totals[m].Total()
			if !ok {
				return c, domain.Overflowf("客户 %s %s 的收入", c.ID, m)
			}
			card.Totals[m] = v
		}
	}

	// 等级历史: each quarter-end whose year-to-date has revenue, graded by the same rules (第八条, 第九条).
	for q := historyFrom.Quarter(); q.LastMonth() <= last; q = nextQuarter(q) {
		var cum domain.Sum
		booked := false
		for _, r := range rows {
			if r.Month.Year() == q.Year && r.Month <= q.LastMonth() {
				cum.Add(r.Amount)
				booked = true
			}
		}
		if !booked {
			continue
		}
		total, ok := cum.Total()
		if !ok {
			return c, domain.Overflowf("客户 %s %s 的累计收入", c.ID, q)
		}
		level := scheme.Level(total, q.Q)
		tier := scheme.Tier(level)
		centre, _ := rules.CentreReason(units, c, tier)
		card.History = append(card.History, reports.CardQuarter{Quarter: q, Cum: total, Level: level, Tier: tier, Centre: centre})
	}

	for _, cl := range e.Claims {
		card.Claims = append(card.Claims, reports.CardClaim{Claim: cl.Claim, Deadline: cl.Deadline, State: cl.State})
	}
	card.Profile = cardProfile(e, c, names, visits, a.MaintenanceConfig(), today)
	meta := reports.Meta{Report: "客户档案", Period: c.ID, GeneratedAt: a.Clock(),
		Settings: []reports.Setting{{Item: "等级历史", Text: "按当前存储的收入与分级规则逐季计算；各报表使用的分级见基本信息“当前等级”", Key: "grading.thresholds"}}}
	book, err := reports.Card(meta, card, names)
	if err != nil {
		return c, err
	}
	_, err = book.WriteTo(w)
	return c, err
}

func nextQuarter(q domain.Quarter) domain.Quarter {
	if q.Q == 4 {
		return domain.Quarter{Year: q.Year + 1, Q: 1}
	}
	return domain.Quarter{Year: q.Year, Q: q.Q + 1}
}

// cardProfile is 基本信息: the customer as the CRM has it, its archive, its
// managers, its grade and centre in force and why, and its maintenance state.
func cardProfile(e *Explanation, c domain.Customer, names reports.Directory, visits []domain.Visit, cfg rules.MaintenanceConfig, today domain.Date) []reports.Setting {
	yesNo := map[bool]string{true: "是", false: "否"}
	orDash := func(s string) string {
		if s == "" {
			return "（未填）"
		}
		return s
	}
	primary, assisting := c.Maintainers()
	p := []reports.Setting{
		{Item: "客户编号", Text: c.ID}, {Item: "客户名称", Text: c.Name}, {Item: "统一社会信用代码", Text: c.CreditCode},
		{Item: "行业", Text: c.Industry}, {Item: "客户类别", Text: domain.LabelOf(domain.Categories, c.Category)},
		{Item: "主营业务", Text: c.MainLine}, {Item: "合作状态", Text: domain.LabelOf(domain.CoopStatuses, c.Status)},
		{Item: "战略客户", Text: yesNo[c.Strategic]},
		{Item: "属地单位", Text: unitNamed(names, c.Territory)}, {Item: "签约单位", Text: unitNamed(names, c.Signing)},
	}
	for f := domain.ArchiveAddress; f <= domain.ArchiveContactEmail; f++ {
		p = append(p, reports.Setting{Item: domain.ArchiveFieldLabels[f], Text: orDash(c.Archive.Value(f))})
	}
	p = append(p,
		reports.Setting{Item: "A 角", Text: orDash(managerNamed(names, c.ManagerA))},
		reports.Setting{Item: "B 角", Text: orDash(managerNamed(names, c.ManagerB))},
		reports.Setting{Item: "主维护客户经理", Text: orDash(managerNamed(names, primary)) + "（第十一条(一)：合作客户 B 角为主，潜在客户 A 角为主）"},
		reports.Setting{Item: "辅助客户经理", Text: orDash(managerNamed(names, assisting))})
	source := "已存档的 " + e.Quarter.String() + " 分级结果"
	if !e.StoredGrading {
		source = e.Quarter.String() + " 按当前数据计算的分级（未存档）"
	}
	tier := "未分级（潜在客户且没有收入）"
	if e.Graded {
		tier = e.InForce.Label()
	}
	p = append(p, reports.Setting{Item: "当前等级", Text: tier + "（" + source + "）"})
	if e.Centre != "" {
		p = append(p, reports.Setting{Item: "负责单位", Text: unitNamed(names, e.Centre) + "：" + e.CentreReason})
	} else {
		p = append(p, reports.Setting{Item: "负责单位", Text: "无法确定：" + e.CentreReason})
	}
	p = append(p, reports.Setting{Item: "走访状态", Text: visitLine(today, e.InForce, e.Graded, visits, cfg)})
	return p
}

// visitLine says in a sentence where the customer stands on its visits (分级维护).
func visitLine(today domain.Date, tier domain.Tier, graded bool, visits []domain.Visit, cfg rules.MaintenanceConfig) string {
	g := rules.GapOf(today, tier, graded, visits, cfg)
	lastAny := ""
	if n := len(visits); n > 0 {
		v := slices.MaxFunc(visits, func(x, y domain.Visit) int { return int(x.On - y.On) })
		lastAny = fmt.Sprintf("；最近一次联系 %s（%s）", v.On, domain.LabelOf(domain.VisitKinds, v.Kind))
	}
	switch g.State {
	case rules.VisitNever:
		return fmt.Sprintf("未走访：%s客户每 %d 天至少走访一次，至今没有走访记录%s", tier.Label(), g.Gap, lastAny)
	case rules.VisitOverdue:
		return fmt.Sprintf("超期 %d 天：上次走访 %s，应在 %s 前走访（%s客户每 %d 天）%s", g.Days, g.Last, g.Due, tier.Label(), g.Gap, lastAny)
	case rules.VisitDueSoon:
		return fmt.Sprintf("临期：上次走访 %s，应在 %s 前走访，还剩 %d 天%s", g.Last, g.Due, g.Days, lastAny)
	case rules.VisitOnTime:
		return fmt.Sprintf("按期：上次走访 %s，下次应在 %s 前走访%s", g.Last, g.Due, lastAny)
	}
	last := "没有走访记录"
	if g.Last != 0 {
		last = "上次走访 " + g.Last.String()
	}
	return "不跟踪（该等级不要求定期走访，或未分级）：" + last + lastAny
}
