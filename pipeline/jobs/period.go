package jobs

import (
	"fmt"

	"kam/domain"
	"kam/rules"
)

// PeriodKind is which period a job's run covers: how --period is read (or
// the latest complete one picked) and how a period is said to its readers.
type PeriodKind struct {
	Example string // the form --period takes: 2026Q2
	// Parse turns the --period argument into the canonical period, or picks
	// the latest complete one for asOf when arg is empty; a bad arg is a usage error.
	Parse func(arg string, asOf domain.Date) (string, error)
	Label func(period string) string
}

// The periods kam's jobs cover.
var (
	Quarterly = PeriodKind{Example: "2026Q2", Parse: quarterPeriod, Label: anyPeriodLabel}
	Monthly   = PeriodKind{Example: "2026-06", Parse: monthPeriod, Label: anyPeriodLabel}
	// Bimonthly is the gold pack's: a period names the even month that ends a two-month window.
	Bimonthly = PeriodKind{Example: "2026-06", Parse: evenMonthPeriod, Label: func(period string) string {
		if m, err := domain.ParseMonth(period); err == nil {
			return fmt.Sprintf("%d 年 %d—%d 月", m.Year(), int(m.Mon())-1, int(m.Mon()))
		}
		return period
	}}
	Daily = PeriodKind{Example: "2026-06-15", Parse: datePeriod, Label: anyPeriodLabel}
)

// anyPeriodLabel says a quarter, a day or a month the way readers do.
func anyPeriodLabel(period string) string {
	if q, err := domain.ParseQuarter(period); err == nil {
		return fmt.Sprintf("%d 年第 %d 季度", q.Year, q.Q)
	}
	if d, err := domain.ParseDate(period); err == nil {
		t := d.Time()
		return fmt.Sprintf("%d 年 %d 月 %d 日", t.Year(), int(t.Month()), t.Day())
	}
	if m, err := domain.ParseMonth(period); err == nil {
		return fmt.Sprintf("%d 年 %d 月", m.Year(), int(m.Mon()))
	}
	return period
}

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
	job, ok := Lookup(name)
	if !ok {
		return domain.Usagef("未知作业 %q；可用：%s", name, Names())
	}
	asOf := req.AsOf
	if asOf == 0 {
		asOf = today
	}
	period, err := job.Period.Parse(req.Period, asOf)
	if err != nil {
		return err
	}
	if req.DryRunPath != "" {
		if err := dryRunTarget(req.DryRunPath); err != nil {
			return err
		}
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
