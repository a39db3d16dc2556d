package gen

import (
	"context"

	"kam/domain"
)

// writeTargets gives every active manager targets for last month, this month
// and next (第十二条(七)); a few have none for next month yet, as happens before
// the deadline. Last month's include customers the manager has since
// developed, so the roster has targets that were met to count.
func (g *generator) writeTargets(ctx context.Context) error {
	w := g.w
	s, err := newSheetFile(g.path("targets.xlsx"), "目标", g.title("客户经理目标"),
		[]string{"工号", "目标月份", "客户编号", "客户名称", "项目"}, []float64{12, 12, 12, 40, 24})
	if err != nil {
		return err
	}
	var p profile
	var id identity
	var seen []string
	for _, m := range w.activeMgrs {
		if err := ctx.Err(); err != nil {
			s.abort()
			return err
		}
		r := newRNG(g.seed, streamTargets, uint64(m), 0)
		for k, month := range []domain.Month{g.current.AddMonths(-1), g.current, g.current.AddMonths(1)} {
			n := r.between(1, 3)
			if k == 2 && r.chance(0.1) {
				n = 0
			}
			met := 0 // last month: targets on customers since developed come first
			if k == 0 {
				met = min(len(g.developed[m]), n)
			}
			seen = seen[:0]
			next := r.intn(samplesPerManager)
			cands := g.samples[m]
			for t := 0; t < n; t++ {
				var custID, name any
				line := r.intn(len(w.lines))
				if t < met || len(cands) > 0 && r.chance(0.75) {
					var c int
					if t < met {
						c = int(g.developed[m][t])
					} else {
						c = int(cands[next%len(cands)].customer)
						next++
					}
					g.profile(c, &p)
					g.identity(c, &p, &id)
					custID, name = customerID(c), id.name
					if p.mainLine >= 0 {
						line = p.mainLine
					}
				} else {
					name = g.prospectName(&r)
				}
				key := name.(string)
				if contains(seen, key) {
					continue
				}
				seen = append(seen, key)
				projects := projectsByLine[w.lines[line]]
				project := w.lines[line] + "业务开发"
				if len(projects) > 0 {
					project = projects[r.intn(len(projects))]
				}
				row := []any{w.managers[m].StaffID, s.month(month), custID, name, project}
				if err := s.add(row); err != nil {
					s.abort()
					return err
				}
			}
		}
	}
	return g.finish(domain.KindTargets, s)
}

// prospectName names a company not yet in the CRM; three-character trade
// names keep it apart from the listed customers, whose trade names have two.
func (g *generator) prospectName(r *rng) string {
	ind := domain.Industries[r.pick(g.industryWeights, g.industryTotal)]
	tmpls := nameTemplates[ind]
	t := towns[r.intn(len(towns))]
	brand := brandChar(r.intn(len(brandChars))) + brandChar(r.intn(len(brandChars))) + brandChar(r.intn(len(brandChars)))
	return fillName(tmpls[r.intn(len(tmpls))], t.Name+t.Suffix, brand)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
