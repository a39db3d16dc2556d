package jobs

import (
	"context"
	"slices"
	"strings"

	"kam/domain"
	"kam/pipeline/core"
	"kam/rules"
)

// completenessMonths is SPEC §4.6's jobs.completeness_months default: a line
// with revenue in each of this many months before is expected in the next.
const completenessMonths = 3

// CheckComplete checks the revenue a job's months read before it runs (SPEC
// §4.6). Gaps refuse the run (domain.Refusedf naming every missing (month,
// line)) unless allow is set (--allow-incomplete); then they come back as
// warnings for the workbooks' 说明 and 数据警告 and the mail.
func CheckComplete(ctx context.Context, a *core.App, months []domain.Month, allow bool) (warnings []string, err error) {
	if len(months) == 0 {
		return nil, nil
	}
	first, last := slices.Min(months), slices.Max(months)
	pairs, err := a.Store.RevenuePairs(ctx, first.AddMonths(-completenessMonths), last)
	if err != nil {
		return nil, err
	}
	present := make(map[domain.MonthLine]bool, len(pairs))
	for _, p := range pairs {
		present[p] = true
	}
	gaps := rules.Completeness(months, a.Cfg.BusinessLines, present, completenessMonths)
	if len(gaps) == 0 {
		return nil, nil
	}
	names := make([]string, len(gaps))
	for i, g := range gaps {
		names[i] = g.String()
	}
	missing := strings.Join(names, "、")
	if !allow {
		return nil, domain.Refusedf("收入数据不完整，未运行：缺少 %s 的收入。请先导入这些月份的收入文件；确需照常运行，请加 --allow-incomplete", missing)
	}
	for _, g := range gaps {
		warnings = append(warnings, "收入数据不完整（按 --allow-incomplete 照常运行）：缺少 "+g.String()+" 的收入，本报表中的数字因此偏低")
	}
	return warnings, nil
}
