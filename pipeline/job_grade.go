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
