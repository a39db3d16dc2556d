package pipeline

import (
	"kam/domain"
	"kam/rules"
)

// quarterPeriod reads 2026Q2, or picks the last quarter completed before asOf.
func quarterPeriod(arg string, asOf domain.Date) (string, error) {
	if arg == "" {
		return asOf.Month().Quarter().Prev().String(), nil
	}
	q, err := domain.ParseQuarter(arg)
	if err != nil {
		return "", domain.Usagef("--period: %v", err)
	}
	return q.String(), nil
}

// monthPeriod reads 2026-06, or picks the last month completed before asOf.
func monthPeriod(arg string, asOf domain.Date) (string, error) {
	if arg == "" {
		return asOf.Month().AddMonths(-1).String(), nil
	}
	m, err := domain.ParseMonth(arg)
	if err != nil {
		return "", domain.Usagef("--period: %v", err)
	}
	return m.String(), nil
}

// evenMonthPeriod is monthPeriod for the bimonthly gold pack: windows end in
// February, April, … December, and an odd month is refused.
func evenMonthPeriod(arg string, asOf domain.Date) (string, error) {
	if arg == "" {
		m := asOf.Month().AddMonths(-1)
		if m.Mon()%2 == 1 {
			m = m.AddMonths(-1)
		}
		return m.String(), nil
	}
	p, err := monthPeriod(arg, asOf)
	if err != nil {
		return "", err
	}
	m, _ := domain.ParseMonth(p)
	if !rules.GoldReviewMonth(m) {
		return "", domain.Usagef("--period %s: 黄金客户用邮分析每两个月一次，期间须为双月（2、4、6、8、10、12 月），表示该月及上月两个月", p)
	}
	return p, nil
}

// datePeriod is the as-of day itself (the tender announcement); --period may name the day.
func datePeriod(arg string, asOf domain.Date) (string, error) {
	if arg == "" {
		return asOf.String(), nil
	}
	d, err := domain.ParseDate(arg)
	if err != nil {
		return "", domain.Usagef("--period: %v", err)
	}
	return d.String(), nil
}

// CheckRun refuses a bad run request for job as RunJob would, without the
// store, so a command line is judged before anything is opened or created.
func CheckRun(name string, req RunRequest, today domain.Date) error {
	job, ok := jobs[name]
	if !ok {
		return domain.Usagef("未知作业 %q；可用：%s", name, JobNames())
	}
	asOf := req.AsOf
	if asOf == 0 {
		asOf = today
	}
	period, err := job.Period(req.Period, asOf)
	if err != nil {
		return err
	}
	return refuseFuture(name, period, asOf, today, req.DryRun)
}

// refuseFuture refuses a period not yet over, or a future as-of day, unless
// the run is a dry run: a real run would record marks later runs rely on.
func refuseFuture(job, period string, asOf, today domain.Date, dryRun bool) error {
	if end := periodEnd(period); !dryRun && (asOf > today || end > today) {
		return domain.Usagef("作业 %s 的期间 %s 尚未结束（今天是 %s）：未来的日期只能试算，请加 --dry-run", job, period, today)
	}
	return nil
}
