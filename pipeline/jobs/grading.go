package jobs

import (
	"context"
	"fmt"

	"kam/domain"
	"kam/pipeline/core"
	"kam/rules"
)

// grading is one quarter-end's grades as the stored data gives them now.
type grading struct {
	grades   []domain.CustomerGrade
	warnings []rules.Warning
	units    []domain.Unit
	scheme   rules.GradeScheme
}

// computeGrading grades quarter q from the store with the grade job's checks;
// nothing is stored.
func computeGrading(ctx context.Context, a *core.App, q domain.Quarter) (*grading, error) {
	scheme, err := a.GradeScheme()
	if err != nil {
		return nil, err
	}
	if err := checkGradable(ctx, a, q); err != nil {
		return nil, err
	}
	cur, prev := rules.GradingSpans(q)
	// The year's aggregate and the customer list are independent reads; on two cores they overlap.
	type revenue struct {
		cum, prev map[string]domain.Money
		err       error
	}
	sums := make(chan revenue, 1)
	go func() {
		var r revenue
		r.cum, r.prev, r.err = a.Store.GradingRevenue(ctx, cur, prev)
		sums <- r
	}()
	customers, err := a.Store.Customers(ctx)
	var units []domain.Unit
	if err == nil {
		units, err = a.Store.Units(ctx)
	}
	r := <-sums
	if err != nil {
		return nil, domain.Failed(err, "读取客户与单位")
	}
	if r.err != nil {
		return nil, domain.Failed(r.err, "汇总 %s 累计收入", q)
	}
	grades, warnings := rules.Grade(rules.GradeInput{
		Quarter: q, Customers: customers, Cumulative: r.cum, PrevCumulative: r.prev, Units: units, Scheme: scheme,
	})
	return &grading{grades: grades, warnings: warnings, units: units, scheme: scheme}, nil
}

// checkGradable refuses to grade quarter q before its last month has any revenue:
// grading then would demote everyone.
func checkGradable(ctx context.Context, a *core.App, q domain.Quarter) error {
	has, err := a.Store.HasRevenue(ctx, q.LastMonth())
	if err != nil {
		return domain.Failed(err, "读取 %s 收入", q.LastMonth())
	}
	if !has {
		return domain.Refusedf("%s 还没有任何收入数据，无法按 %s 季末累计收入分级；请先导入该月收入", q.LastMonth(), q)
	}
	return nil
}

// inForce is the grading that applies to a quarter-end: each graded
// customer's tier and responsible centre, and where they came from.
type inForce struct {
	Quarter     domain.Quarter
	Stored      bool // the grade job's stored result; false: computed now, not stored
	Tier        map[string]domain.Tier
	Responsible map[string]string
}

// gradingInForce is the one answer to "which grading applies to quarter q",
// for every job that reads tiers: the grading the grade job stored for q, or,
// when q was never graded, the same grading computed now with the same checks.
func gradingInForce(ctx context.Context, a *core.App, q domain.Quarter) (*inForce, error) {
	stored, err := a.Store.HasGrades(ctx, q)
	if err != nil {
		return nil, domain.Failed(err, "读取 %s 分级结果", q)
	}
	g := &inForce{Quarter: q, Stored: stored, Tier: map[string]domain.Tier{}, Responsible: map[string]string{}}
	if stored {
		grades, err := a.Store.Grades(ctx, q)
		if err != nil {
			return nil, domain.Failed(err, "读取 %s 分级结果", q)
		}
		for _, s := range grades {
			g.Tier[s.Customer] = s.Tier
			g.Responsible[s.Customer] = s.Responsible
		}
		return g, nil
	}
	computed, err := computeGrading(ctx, a, q)
	if err != nil {
		return nil, err
	}
	for _, cg := range computed.grades {
		g.Tier[cg.Customer.ID] = cg.Tier
		g.Responsible[cg.Customer.ID] = cg.Responsible
	}
	return g, nil
}

// Of lists the customers of tier, in the order given.
func (g *inForce) Of(tier domain.Tier, customers []domain.Customer) []domain.Customer {
	var out []domain.Customer
	for _, c := range customers {
		if g.Tier[c.ID] == tier {
			out = append(out, c)
		}
	}
	return out
}

// Basis says for 说明 which grading a report used.
func (g *inForce) Basis(tier domain.Tier, n int) string {
	if g.Stored {
		return fmt.Sprintf("%s 分级结果（已存档）中的%s客户，共 %d 户", g.Quarter, tier.Label(), n)
	}
	return fmt.Sprintf("%s 尚未运行分级作业：按当前数据临时计算的%s客户，共 %d 户（未存档）", g.Quarter, tier.Label(), n)
}

// Source says for 说明 which grading gave the tiers.
func (g *inForce) Source() string {
	if g.Stored {
		return fmt.Sprintf("%s 分级结果（已存档），分级客户 %d 户", g.Quarter, len(g.Tier))
	}
	return fmt.Sprintf("%s 尚未运行分级作业：按当前数据临时计算，分级客户 %d 户（未存档）", g.Quarter, len(g.Tier))
}

// quarterEndedBy is the latest quarter completed by the end of month m.
func quarterEndedBy(m domain.Month) domain.Quarter {
	if q := m.Quarter(); q.LastMonth() == m {
		return q
	}
	return m.Quarter().Prev()
}

// monthsOf lists the months of a span.
func monthsOf(s domain.MonthSpan) []domain.Month {
	var out []domain.Month
	for m := s.From; m <= s.To; m = m.AddMonths(1) {
		out = append(out, m)
	}
	return out
}

// gradingInForceOf is gradingInForce for customer c alone, read by key: c's
// stored grade for q (one seek of the grades primary key), or, when q was never
// graded, the same rules.Grade with the same checks run on c and its own
// revenue rows (rows: CustomerRevenueRows over both rules.GradingSpans of q).
// 第八条 and 第九条 grade each customer on its own cumulative revenue against
// fixed thresholds — no ranks, nothing of the other customers — so c's tier and
// centre are the ones the whole grading gives it. Its maps hold at most c.
func gradingInForceOf(ctx context.Context, a *core.App, q domain.Quarter, c domain.Customer, rows []domain.Revenue) (*inForce, error) {
	stored, err := a.Store.HasGrades(ctx, q)
	if err != nil {
		return nil, domain.Failed(err, "读取 %s 分级结果", q)
	}
	g := &inForce{Quarter: q, Stored: stored, Tier: map[string]domain.Tier{}, Responsible: map[string]string{}}
	if stored {
		s, found, err := a.Store.CustomerGrade(ctx, q, c.ID)
		if err != nil {
			return nil, domain.Failed(err, "读取 %s 分级结果", q)
		}
		if found {
			g.Tier[s.Customer] = s.Tier
			g.Responsible[s.Customer] = s.Responsible
		}
		return g, nil
	}
	scheme, err := a.GradeScheme()
	if err != nil {
		return nil, err
	}
	if err := checkGradable(ctx, a, q); err != nil {
		return nil, err
	}
	units, err := a.Store.Units(ctx)
	if err != nil {
		return nil, domain.Failed(err, "读取客户与单位")
	}
	// As GradingRevenue: a key exactly when c has a row in the span, every sum checked.
	cur, prev := rules.GradingSpans(q)
	var cumSum, prevSum domain.Sum
	hasCum, hasPrev := false, false
	for _, r := range rows {
		if r.Customer != c.ID {
			continue
		}
		if r.Month >= cur.From && r.Month <= cur.To {
			cumSum.Add(r.Amount)
			hasCum = true
		}
		if r.Month >= prev.From && r.Month <= prev.To {
			prevSum.Add(r.Amount)
			hasPrev = true
		}
	}
	cum, prevCum := map[string]domain.Money{}, map[string]domain.Money{}
	if hasCum {
		v, ok := cumSum.Total()
		if !ok {
			return nil, domain.Overflowf("客户 %s %s 至 %s 的累计收入", c.ID, cur.From, cur.To)
		}
		cum[c.ID] = v
	}
	if hasPrev {
		v, ok := prevSum.Total()
		if !ok {
			return nil, domain.Overflowf("客户 %s %s 至 %s 的累计收入", c.ID, prev.From, prev.To)
		}
		prevCum[c.ID] = v
	}
	grades, _ := rules.Grade(rules.GradeInput{
		Quarter: q, Customers: []domain.Customer{c}, Cumulative: cum, PrevCumulative: prevCum, Units: units, Scheme: scheme,
	})
	for _, cg := range grades {
		g.Tier[cg.Customer.ID] = cg.Tier
		g.Responsible[cg.Customer.ID] = cg.Responsible
	}
	return g, nil
}
