package store

import (
	"context"
	"fmt"
)

// Succeeded reports whether any run of job for period succeeded, whatever triggered it.
func (s *Store) Succeeded(ctx context.Context, job, period string) (bool, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM job_runs WHERE outcome = 'succeeded' AND job = ? AND period = ?`, job, period)
	if err != nil {
		return false, fmt.Errorf("读取运行记录: %w", err)
	}
	return n > 0, nil
}

// SucceededPeriods lists the periods of job, from on, that some run succeeded for.
func (s *Store) SucceededPeriods(ctx context.Context, job, from string) (map[string]bool, error) {
	var periods []string
	err := s.db.SelectContext(ctx, &periods, `SELECT DISTINCT period FROM job_runs
		WHERE outcome = 'succeeded' AND job = ? AND period >= ?`, job, from)
	if err != nil {
		return nil, fmt.Errorf("读取运行记录: %w", err)
	}
	out := make(map[string]bool, len(periods))
	for _, p := range periods {
		out[p] = true
	}
	return out, nil
}

// FailedRuns lists the latest failed or interrupted runs whose job and period
// has not succeeded since, newest first: what still needs the administrator.
// A run still marked running whose kam is gone is listed as interrupted, even
// by a read-only store that cannot record it so.
func (s *Store) FailedRuns(ctx context.Context, n int) ([]Run, error) {
	var runs []Run
	err := s.db.SelectContext(ctx, &runs, `SELECT `+runColumns+` FROM job_runs r
		WHERE r.outcome IN ('failed', 'interrupted', 'running') AND NOT EXISTS (SELECT 1 FROM job_runs w
			WHERE w.job = r.job AND w.period = r.period AND w.outcome = 'succeeded' AND w.id > r.id)
		ORDER BY r.id DESC LIMIT ?`, n)
	if err != nil {
		return nil, fmt.Errorf("读取运行记录: %w", err)
	}
	out := runs[:0]
	for _, r := range runs {
		if r.Outcome == RunRunning {
			if s.runAlive(ctx, r) {
				continue
			}
			r.Outcome = RunInterrupted
		}
		out = append(out, r)
	}
	return out, nil
}

// RunningRuns lists the runs still marked running, oldest first.
func (s *Store) RunningRuns(ctx context.Context) ([]Run, error) {
	var runs []Run
	if err := s.db.SelectContext(ctx, &runs, `SELECT `+runColumns+` FROM job_runs WHERE outcome = 'running' ORDER BY id`); err != nil {
		return nil, fmt.Errorf("读取运行记录: %w", err)
	}
	return runs, nil
}
