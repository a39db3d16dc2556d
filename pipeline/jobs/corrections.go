package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"kam/domain"
	"kam/pipeline/core"
	"kam/reports"
	"kam/store"
)

// TriggerCorrection starts the re-issue of a report whose data a later file changed (SPEC §5.2).
const TriggerCorrection = "correction"

// versions is what a run of a (job, period) issued before knows of it: the
// current issue's inputs, and each unit's current workbook to compare with.
type versions struct {
	prior     *store.Issue                 // the current issue; nil when the period was never issued
	why       []string                     // what changed since, in staff's words
	revisions map[string]*reports.Revision // by unit ("" the city's): 第 N 版 and the baseline
	current   map[[2]string]int            // (unit, file name) → its current version
	force     bool                         // --force: a new version although nothing changed
	basis     string                       // what besides the data the run depends on (Job.Basis)
}

// prepareVersions reads what the period's current version read and how its
// data stands now. unchanged: the data is as it was, and without --force the
// run issues nothing.
func prepareVersions(ctx context.Context, a *core.App, job *Job, period string, asOf domain.Date, force bool) (v *versions, unchanged bool, err error) {
	v = &versions{revisions: map[string]*reports.Revision{}, current: map[[2]string]int{}, force: force}
	if job.Basis != nil {
		v.basis = job.Basis(a, period, asOf)
	}
	issue, ok, err := a.Store.CurrentIssue(ctx, job.Name, period)
	if err != nil {
		return nil, false, domain.Failed(err, "读取 %s（%s）的发布记录", job.Name, period)
	}
	reps, err := a.Store.CurrentVersions(ctx, job.Name, period)
	if err != nil {
		return nil, false, domain.Failed(err, "读取 %s（%s）已发布的版本", job.Name, period)
	}
	for _, rep := range reps {
		v.current[[2]string{rep.Unit, rep.FileName}] = rep.Version
	}
	if ok {
		now, err := a.Store.Inputs(ctx, issue.Reads, issue.Inputs)
		if err != nil {
			return nil, false, domain.Failed(err, "读取 %s（%s）所用的数据", job.Name, period)
		}
		v.prior, v.why = &issue, store.InputChanges(issue.Inputs, now)
		if issue.Reads.Basis != v.basis {
			v.why = append(v.why, fmt.Sprintf("口径由“%s”变为“%s”", issue.Reads.Basis, v.basis))
		}
		if len(v.why) == 0 && !force {
			return v, true, nil
		}
	}
	why := v.why
	if len(why) == 0 && len(reps) > 0 {
		why = []string{"数据没有变化，按 --force 重新发布"}
	}
	for _, rep := range reps {
		if !strings.HasSuffix(rep.FileName, ".xlsx") {
			continue
		}
		var buf bytes.Buffer
		if _, err := a.Store.ReportContent(ctx, rep.ID, &buf); err != nil {
			return nil, false, domain.Failed(err, "读取上一版报表 %s", rep.FileName)
		}
		base, err := reports.ReadBaseline(&buf)
		if err != nil {
			return nil, false, domain.Failed(err, "读取上一版报表 %s", rep.FileName)
		}
		v.revisions[rep.Unit] = &reports.Revision{Version: rep.Version + 1, Why: why, Baseline: base}
	}
	return v, false, nil
}

// version is the number an archived file of this run gets.
func (v *versions) version(unit, file string) int { return v.current[[2]string{unit, file}] + 1 }

// issued is the highest version among the current ones: what `kam run` says was issued.
func (v *versions) issued() int {
	n := 0
	for _, x := range v.current {
		n = max(n, x)
	}
	return n
}

// changed says whether a unit's part ("" the city's) differs from its previous version: a part never issued before does.
func (v *versions) changed(unit string) bool {
	r, ok := v.revisions[unit]
	return !ok || r.Changes > 0
}

// correcting says whether the run re-issues a period whose data changed: only changed parts are mailed, as 【更正】.
func (v *versions) correcting() bool { return v != nil && v.prior != nil && len(v.why) > 0 }

// inMaxAge says whether a period ended within corrections.max_age_months of today.
func inMaxAge(a *core.App, period string) bool {
	end := periodEnd(period)
	if end == 0 {
		return false
	}
	return end.Month() >= a.Today().Month().AddMonths(-a.Cfg.Corrections.MaxAgeMonths)
}

// MarkStale marks 待更正 every current report of the last corrections.max_age_months
// whose data a later file has changed, and clears the mark where it no longer holds
// (SPEC §5.2). It returns how many are 待更正.
func MarkStale(ctx context.Context, a *core.App) (int, error) {
	issues, err := a.Store.CurrentIssues(ctx)
	if err != nil {
		return 0, err
	}
	stale := 0
	for _, is := range issues {
		reason := ""
		if inMaxAge(a, is.Period) {
			now, err := a.Store.Inputs(ctx, is.Reads, is.Inputs)
			if err != nil {
				return stale, err
			}
			reason = strings.Join(store.InputChanges(is.Inputs, now), "；")
		}
		if reason != "" {
			stale++
		}
		if reason == is.StaleReason {
			continue
		}
		if err := a.Store.MarkStale(ctx, is.RunID, reason, a.Clock()); err != nil {
			return stale, err
		}
		if reason != "" {
			a.Log.Warn().Str("job", is.Job).Str("period", is.Period).Int64("run", is.RunID).Msg("报表待更正：" + reason)
		}
	}
	return stale, nil
}

// ReissueStale issues a new version of every 待更正 report of the last
// corrections.max_age_months (kam serve, at its delivery window): only the
// recipients whose part changed are mailed, as 【更正】. It returns the runs' outputs.
func ReissueStale(ctx context.Context, a *core.App) ([]*Output, error) {
	// The marks are set where files load (MarkStale after a scan), so a delivery window only reads them.
	issues, err := a.Store.StaleIssues(ctx)
	if err != nil {
		return nil, err
	}
	var outs []*Output
	var errs []error
	for _, is := range issues {
		job, ok := Lookup(is.Job)
		if !ok || !inMaxAge(a, is.Period) {
			continue
		}
		// A re-issue refused or failed since the mark waits for the data to change again (MarkStale renews the mark).
		if failed, err := a.Store.CorrectionFailedSince(ctx, is.Job, is.Period, TriggerCorrection, is.StaleAt); err != nil {
			errs = append(errs, err)
			continue
		} else if failed {
			continue
		}
		req := RunRequest{Period: is.Period, Trigger: TriggerCorrection}
		if job.Period.Example == Daily.Example {
			req.AsOf = periodEnd(is.Period) // a day's report is as of its day
		}
		out, err := RunJob(ctx, a, job, req)
		switch {
		case errors.Is(err, ErrSkipped):
		case err != nil:
			errs = append(errs, fmt.Errorf("更正 %s（%s）: %w", is.Job, is.Period, err))
		default:
			outs = append(outs, out)
		}
	}
	return outs, errors.Join(errs...)
}
