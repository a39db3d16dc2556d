package jobs

import (
	"context"
	"fmt"
	"io"
	"sort"

	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/mail"
	"kam/reports"
	"kam/rules"
	"kam/store"
)

var gradeJob = Job{
	Name: "grade", Title: "季度客户分级", Period: Quarterly,
	ScheduleKey: "grade", RecipientsKey: "grades", DefaultSchedule: "0 3 10 1,4,7,10 *",
	Centres: gradeCentres,
	Share:   "它负责的客户（第九条），交接的客户在转出与转入的单位各有一份",
	KeyFigure: func(c map[string]int64) (string, bool) {
		switch {
		case has(c, "graded", "in", "away") && c["in"]+c["away"] == 0: // a centre's own part
			return fmt.Sprintf("负责 %d 户，本季无交接", c["graded"]), true
		case has(c, "graded", "in", "away"): // its handovers first: a subject after the centre's name is short
			return fmt.Sprintf("转入 %d 户，转出 %d 户，负责 %d 户", c["in"], c["away"], c["graded"]), true
		case has(c, "graded", "up", "down"):
			return fmt.Sprintf("分级 %d 户，升级 %d 户，降级 %d 户", c["graded"], c["up"], c["down"]), true
		}
		return "", false
	},
	MailPart: always, // a centre's list of the quarter, handovers or none
	Run:      runGrade,
}

// gradeCentres are the units responsible for customers (第九条): they get their own grades.
var gradeCentres = []domain.UnitKind{domain.CityCenter, domain.Professional, domain.District}

// runGrade grades every customer at a quarter-end (第八条), names the
// responsible centres (第九条), stores the grades in place of any earlier
// grading of that quarter and writes grades_YYYYQq.xlsx.
func runGrade(ctx context.Context, a *core.App, period string, _ domain.Date, out *Output) error {
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
	// The managers' names: the meetings assign follow-ups by them (第九条(四), 第十一条(一)).
	managers, err := a.Store.Managers(ctx)
	if err != nil {
		return domain.Failed(err, "读取客户经理")
	}
	names := directoryOf(nil, g.units, managers)
	cur, prev := rules.GradingSpans(q)
	meta := reportMeta(a, ctx, out, reads{kinds: []domain.Kind{domain.KindRevenue, domain.KindCustomers, domain.KindUnits, domain.KindManagers},
		from: min(cur.From, prev.From), to: cur.To})
	book, err := reports.Grades(meta, reports.GradeBasis{Scheme: g.scheme, Quarter: q}, g.grades, g.warnings, names)
	if err != nil {
		return err
	}
	// Streamed: 200,000 rows must not be assembled in memory.
	if err := out.AddFile("grades_"+q.String()+".xlsx", func(w io.Writer) error { _, err := book.WriteTo(w); return err }); err != nil {
		return err
	}
	if err := gradeParts(a, out, g, q, names, meta); err != nil {
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
	out.Act = gradeActions(g.grades, names)
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
func gradeParts(a *core.App, out *Output, g *grading, q domain.Quarter, names reports.Directory, city reports.Meta) error {
	parts := unitParts(a, g.units, gradeCentres...)
	// The quarter's grades stay in memory for the store: collecting at half the
	// usual growth keeps two units' books on top of them within the jobs' 500 MB
	// (200,000 customers: 576 → 484 MB, docs/BENCHMARKS.md).
	defer core.TuneGC(50)()
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
		meta := unitMeta(a, city, p, "分级结果、汇总只含本单位负责的客户；等级变动含转入、转出本单位的客户（交接双方各有一行）")
		return reports.Grades(meta, reports.GradeBasis{Scheme: g.scheme, Quarter: q, Own: scope.Graded}, mine, warnings, names)
	})
}

// gradeActions counts each responsible centre's customers per tier and their changes:
// what each centre takes over or hands on (第九条).
func gradeActions(grades []domain.CustomerGrade, names reports.Directory) *mail.Table {
	changes := []string{domain.ChangeUp, domain.ChangeDown, domain.ChangeNew}
	t := &mail.Table{Caption: "各负责单位的客户等级与变动（需交接的客户见附件“等级变动”）", Head: []string{"负责单位"}}
	for _, tier := range domain.Tiers {
		t.Head = append(t.Head, tier.Label)
	}
	t.Head = append(t.Head, changes...)
	counts := map[string]map[string]int{}
	var order []string
	for i := range grades {
		g := &grades[i]
		c := counts[g.Responsible]
		if c == nil {
			c = map[string]int{}
			counts[g.Responsible] = c
			order = append(order, g.Responsible)
		}
		c[g.Tier.Label()]++
		c[g.Change]++
	}
	sort.Slice(order, func(i, j int) bool { return order[i] != "" && (order[j] == "" || order[i] < order[j]) })
	for _, code := range order {
		label := "（未能确定负责单位）"
		if code != "" {
			label = unitNamed(names, code)
		}
		row := []string{label}
		for _, tier := range domain.Tiers {
			row = append(row, fmt.Sprint(counts[code][tier.Label]))
		}
		for _, ch := range changes {
			row = append(row, fmt.Sprint(counts[code][ch]))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// handoverActions lists a centre's handovers: customers it takes over or hands on (第九条).
func handoverActions(grades []domain.CustomerGrade, scope rules.Scope, names reports.Directory) *mail.Table {
	t := &mail.Table{Caption: "本单位需交接的客户：转入本单位的请接手，转出的请交给新负责单位",
		Head:  []string{"交接", "客户编号", "客户名称", "变动", "上季等级", "等级", "原负责单位", "新负责单位"},
		Empty: "本季没有转入或转出本单位的客户。"}
	for i := range grades {
		g := &grades[i]
		if g.PrevLevel == 0 || g.PrevResponsible == g.Responsible || !scope.Handover(g) {
			continue
		}
		way := "转入"
		if !scope.Graded(g) {
			way = "转出"
		}
		t.Rows = append(t.Rows, []string{way, g.Customer.ID, g.Customer.Name, g.Change, g.PrevTier.Label(), g.Tier.Label(),
			unitNamed(names, g.PrevResponsible), unitNamed(names, g.Responsible)})
	}
	return t.CapRows("等级变动")
}
