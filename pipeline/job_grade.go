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
	cur, _ := rules.GradingSpans(q)
	if err := out.requireComplete(ctx, a, monthsOf(cur)); err != nil {
		return err
	}
	g, err := computeGrading(ctx, a, q)
	if err != nil {
		return err
	}
	for _, w := range out.DataWarnings {
		g.warnings = append(g.warnings, rules.Warning{Message: "数据不完整（按 --allow-incomplete 生成）：" + w})
	}
	book, err := reports.Grades(a.reportMeta(ctx, out), reports.GradeBasis{Scheme: g.scheme, Quarter: q}, g.grades, g.warnings, directoryOf(nil, g.units, nil))
	if err != nil {
		return err
	}
	// Streamed: 200,000 rows must not be assembled in memory.
	if err := out.AddFile("grades_"+q.String()+".xlsx", func(w io.Writer) error { _, err := book.WriteTo(w); return err }); err != nil {
		return err
	}
	if err := gradeParts(ctx, a, out, g, q); err != nil {
		return err
	}
	// Stored with the run's archive and mail, so a run that fails leaves the earlier grading in place.
	out.OnPublish(func(tx *store.Tx) error { return tx.ReplaceGrades(q, g.grades) })

	perTier := map[domain.Tier]int64{}
	changes := map[string]int64{}
	for i := range g.grades {
		perTier[g.grades[i].Tier]++
		changes[g.grades[i].Change]++
	}
	out.Act = gradeActions(g.grades, directoryOf(nil, g.units, nil))
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

// gradeParts writes each centre's own grades workbook (SPEC §5; 第九条): the
// customers it is responsible for, and every change moving a customer to or from it.
func gradeParts(ctx context.Context, a *App, out *Output, g *grading, q domain.Quarter) error {
	names := directoryOf(nil, g.units, nil)
	parts := a.unitParts(g.units, domain.CityCenter, domain.Professional, domain.District)
	// The quarter's grades stay in memory for the store: collecting at half the
	// usual growth keeps two units' books on top of them within the jobs' 500 MB
	// (200,000 customers: 576 → 484 MB, docs/BENCHMARKS.md).
	defer tuneGC(50)()
	return writeParts(out, parts, "grades_"+q.String(), func(p *UnitPart) (*reports.Book, error) {
		scope := rules.NewScope(g.units, p.Unit.Code)
		mine := scope.GradesOf(g.grades)
		customers := map[string]bool{}
		perTier := map[domain.Tier]int64{}
		var owned, in, away int64
		for i := range mine {
			gr := &mine[i]
			if scope.Graded(gr) {
				owned++
				perTier[gr.Tier]++
				customers[gr.Customer.ID] = true
				if gr.PrevLevel > 0 && gr.PrevResponsible != gr.Responsible {
					in++
				}
			} else {
				away++
			}
		}
		var warnings []rules.Warning
		for _, w := range g.warnings {
			if w.Customer == "" || customers[w.Customer] {
				warnings = append(warnings, w)
			}
		}
		p.Act = handoverActions(mine, scope, names)
		p.Count("graded", owned)
		p.Count("in", in)
		p.Count("away", away)
		p.Headline = fmt.Sprintf("%s %s 负责 %d 户：钻石 %d 户，黄金 %d 户，白银 %d 户，普通 %d 户；转入 %d 户，转出 %d 户",
			p.label(), q, owned, perTier[domain.Diamond], perTier[domain.Gold], perTier[domain.Silver], perTier[domain.Ordinary], in, away)
		meta := a.unitMeta(a.reportMeta(ctx, out), p, "分级结果、汇总只含本单位负责的客户；等级变动含转入、转出本单位的客户（交接双方各有一行）")
		return reports.Grades(meta, reports.GradeBasis{Scheme: g.scheme, Quarter: q, Own: scope.Graded}, mine, warnings, names)
	})
}
