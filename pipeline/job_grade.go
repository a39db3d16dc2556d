package pipeline

import (
	"context"
	"fmt"
	"io"

	"kam/domain"
	"kam/reports"
	"kam/rules"
	"kam/store"
)

func init() {
	register(Job{Name: "grade", Period: quarterPeriod, Run: runGrade})
}

// runGrade grades every customer at a quarter-end (第八条), names the
// responsible centres (第九条), stores the grades in place of any earlier
// grading of that quarter and writes grades_YYYYQq.xlsx.
func runGrade(ctx context.Context, a *App, period string, _ domain.Date, out *Output) error {
	q, err := domain.ParseQuarter(period)
	if err != nil {
		return domain.Usagef("--period: %v", err)
	}
	g, err := gradeQuarter(ctx, a, q)
	if err != nil {
		return err
	}
	book, err := reports.Grades(g.grades, g.warnings, directoryOf(nil, g.units, nil))
	if err != nil {
		return err
	}
	// Streamed: 200,000 rows must not be assembled in memory.
	if err := out.AddFile("grades_"+q.String()+".xlsx", func(w io.Writer) error { _, err := book.WriteTo(w); return err }); err != nil {
		return err
	}
	// Stored last, so a run that fails above leaves the earlier grading in place.
	if err := a.Store.ReplaceGrades(ctx, q, g.grades); err != nil {
		return err
	}

	perTier := map[domain.Tier]int64{}
	changes := map[string]int64{}
	for i := range g.grades {
		perTier[g.grades[i].Tier]++
		changes[g.grades[i].Change]++
	}
	out.Count("graded", int64(len(g.grades)))
	for _, t := range domain.Tiers {
		out.Count(string(t.Code), perTier[t.Code])
	}
	out.Count("up", changes[domain.ChangeUp])
	out.Count("down", changes[domain.ChangeDown])
	out.Count("new", changes[domain.ChangeNew])
	out.Count("warnings", int64(len(g.warnings)))
	out.Headline = fmt.Sprintf("%s 分级 %d 户：钻石 %d 户，黄金 %d 户，白银 %d 户，普通 %d 户；升级 %d 户，降级 %d 户，新进 %d 户；数据警告 %d 条",
		q, len(g.grades), perTier[domain.Diamond], perTier[domain.Gold], perTier[domain.Silver], perTier[domain.Ordinary],
		changes[domain.ChangeUp], changes[domain.ChangeDown], changes[domain.ChangeNew], len(g.warnings))
	return nil
}

// grading is one quarter-end's grades as the stored data gives them now.
type grading struct {
	grades   []domain.CustomerGrade
	warnings []rules.Warning
	units    []domain.Unit
}

// gradeQuarter grades quarter q from the store: the grade job and a review
// pack whose quarter was never graded both come through here.
func gradeQuarter(ctx context.Context, a *App, q domain.Quarter) (*grading, error) {
	scheme, err := a.gradeScheme()
	if err != nil {
		return nil, err
	}
	// Grading on a quarter whose last month is missing would demote everyone.
	has, err := a.Store.HasRevenue(ctx, q.LastMonth())
	if err != nil {
		return nil, err
	}
	if !has {
		return nil, domain.Usagef("%s 还没有任何收入数据，无法按 %s 季末累计收入分级；请先导入该月收入", q.LastMonth(), q)
	}
	// The year's aggregate and the customer list are independent reads; on two cores they overlap.
	type revenue struct {
		cum, prev map[string]domain.Money
		err       error
	}
	sums := make(chan revenue, 1)
	go func() {
		var r revenue
		r.cum, r.prev, r.err = a.Store.GradingRevenue(ctx, q)
		sums <- r
	}()
	customers, err := a.Store.Customers(ctx)
	var units []domain.Unit
	if err == nil {
		units, err = a.Store.Units(ctx)
	}
	r := <-sums
	if err != nil {
		return nil, err
	}
	if r.err != nil {
		return nil, r.err
	}
	grades, warnings := rules.Grade(rules.GradeInput{
		Quarter: q, Customers: customers, Cumulative: r.cum, PrevCumulative: r.prev, Units: units, Scheme: scheme,
	})
	return &grading{grades: grades, warnings: warnings, units: units}, nil
}

// quarterEndedBy is the latest quarter completed by the end of month m.
func quarterEndedBy(m domain.Month) domain.Quarter {
	if q := m.Quarter(); q.LastMonth() == m {
		return q
	}
	return m.Quarter().Prev()
}

// tierCustomers is who is under review for a tier at month m: the stored
// grading of the latest quarter-end, or, when that quarter was never graded,
// the same grading computed now and not stored. basis says which, for 说明.
func tierCustomers(ctx context.Context, a *App, m domain.Month, tier domain.Tier) (customers []domain.Customer, responsible map[string]string, basis string, err error) {
	q := quarterEndedBy(m)
	stored, err := a.Store.HasGrades(ctx, q)
	if err != nil {
		return nil, nil, "", err
	}
	responsible = map[string]string{}
	if stored {
		var gcs []store.GradedCustomer
		if gcs, err = a.Store.CustomersOfTier(ctx, q, tier); err != nil {
			return nil, nil, "", err
		}
		for _, g := range gcs {
			customers = append(customers, g.Customer)
			responsible[g.ID] = g.Responsible
		}
		return customers, responsible, fmt.Sprintf("%s 分级结果（已存档）中的%s客户，共 %d 户", q, tier.Label(), len(customers)), nil
	}
	g, err := gradeQuarter(ctx, a, q)
	if err != nil {
		return nil, nil, "", err
	}
	for _, cg := range g.grades {
		if cg.Tier == tier {
			customers = append(customers, cg.Customer)
			responsible[cg.Customer.ID] = cg.Responsible
		}
	}
	return customers, responsible, fmt.Sprintf("%s 尚未运行分级作业：按当前数据临时计算的%s客户，共 %d 户（未存档）", q, tier.Label(), len(customers)), nil
}
