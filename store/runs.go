package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jmoiron/sqlx"
)

// Run is one recorded run of a job.
type Run struct {
	ID         int64        `db:"id"`
	Job        string       `db:"job"`
	Period     string       `db:"period"`
	Trigger    string       `db:"triggered_by"`
	StartedAt  time.Time    `db:"started_at"`
	FinishedAt sql.NullTime `db:"finished_at"`
	Outcome    string       `db:"outcome"` // running, succeeded, failed, refused, interrupted
	Counts     string       `db:"counts"`  // JSON object of headline figures
	Error      string       `db:"error"`
	Instance   string       `db:"instance"`
	Headline   string       `db:"headline"` // one line of headline figures of a succeeded run
}

// Run outcomes.
const (
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunRefused   = "refused" // refused for the data (拒绝): not a failure, nobody mailed
	// RunInterrupted (中断): the kam running it went away (killed, crashed, the machine
	// stopped) before it finished; recorded by the next kam to open the store.
	RunInterrupted = "interrupted"
)

// ErrAlreadySucceeded reports that a scheduled run of this job for this period
// has already succeeded (another instance won the race).
var ErrAlreadySucceeded = errors.New("该作业该期间的计划运行已经成功完成")

const runColumns = `id, job, period, triggered_by, started_at, finished_at, outcome, counts, error, instance, headline`

// instanceName tells two kam processes apart in the run history.
func instanceName() string {
	host, _ := os.Hostname()
	return host + ":" + itoa(os.Getpid())
}

// StartRun records that a job began for a period.
func (s *Store) StartRun(ctx context.Context, job, period, trigger string, at time.Time) (id int64, err error) {
	err = s.Retry(ctx, "记录运行开始", func() error {
		res, err := s.db.ExecContext(ctx, `INSERT INTO job_runs (job, period, triggered_by, started_at, outcome, counts, error, instance)
			VALUES (?, ?, ?, ?, 'running', '', '', ?)`, job, period, trigger, at.UTC(), instanceName())
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

// FinishRun closes a run with its outcome, headline counts and error text.
// Only SucceedRun gives a run a headline: this one clears it.
func (s *Store) FinishRun(ctx context.Context, id int64, outcome string, counts map[string]int64, errText string, at time.Time) error {
	return s.Retry(ctx, "记录运行结果", func() error { return finishRun(ctx, s.db, id, outcome, counts, "", errText, at) })
}

// SucceedRun closes a run as succeeded in the transaction that archives its
// reports and queues their mail, so all three commit together.
// ErrAlreadySucceeded when a scheduled run of the same job and period beat it.
func (t *Tx) SucceedRun(id int64, counts map[string]int64, headline string, at time.Time) error {
	err := finishRun(t.ctx, t.tx, id, RunSucceeded, counts, headline, "", at)
	if isUniqueViolation(err) {
		return ErrAlreadySucceeded
	}
	return err
}

func finishRun(ctx context.Context, ex sqlx.ExecerContext, id int64, outcome string, counts map[string]int64, headline, errText string, at time.Time) error {
	c := ""
	if len(counts) > 0 {
		b, err := json.Marshal(counts)
		if err != nil {
			return err
		}
		c = string(b)
	}
	_, err := ex.ExecContext(ctx, `UPDATE job_runs SET finished_at = ?, outcome = ?, counts = ?, headline = ?, error = ? WHERE id = ?`,
		at.UTC(), outcome, c, headline, errText, id)
	return err
}

// RecentRuns lists the latest runs, newest first. A run still marked running
// whose kam is gone shows as interrupted, even to a read-only store that cannot record it.
func (s *Store) RecentRuns(ctx context.Context, n int) ([]Run, error) {
	var runs []Run
	if err := s.db.SelectContext(ctx, &runs, `SELECT `+runColumns+` FROM job_runs ORDER BY id DESC LIMIT ?`, n); err != nil {
		return nil, err
	}
	for i := range runs {
		if runs[i].Outcome == RunRunning && !s.runAlive(ctx, runs[i]) {
			runs[i].Outcome = RunInterrupted
		}
	}
	return runs, nil
}

// runAlive reports whether r's run lock is held, that is whether some kam is
// still running it. When the lock cannot be tried, it says alive: not knowing,
// it calls nothing interrupted. It records nothing, so a read-only store may ask.
func (s *Store) runAlive(ctx context.Context, r Run) bool {
	name := JobLockName(r.Job, r.Period)
	if s.dialect == MySQL {
		held, err := s.leaseHeld(ctx, name)
		return held || err != nil
	}
	if _, err := os.Stat(s.file + ".locks"); errors.Is(err, os.ErrNotExist) {
		return false // no kam has taken a lock here, so none holds this one
	}
	lock, err := s.lock(ctx, name, nil)
	if err != nil {
		return true
	}
	lock.Release()
	return false
}

// MarkInterrupted records as interrupted (中断) every run still marked running
// whose run lock is free (on MySQL: its lease expired, or its holder's
// connection gone): the kam that ran it is gone. Open calls it, and kam serve
// every leaseTTL; it returns how many it marked.
func (s *Store) MarkInterrupted(ctx context.Context) (int, error) {
	runs, err := s.RunningRuns(ctx)
	if err != nil {
		return 0, err
	}
	marked := 0
	for _, r := range runs {
		lock, err := s.lock(ctx, JobLockName(r.Job, r.Period), nil) // held until the run is recorded
		if errors.Is(err, ErrBusy) {
			continue // still running in some kam
		}
		if err != nil {
			return marked, err
		}
		ok, err := s.interruptRun(ctx, r)
		lock.Release()
		if err != nil {
			return marked, err
		}
		if ok {
			marked++
		}
	}
	return marked, nil
}

// interruptOrphans records as interrupted the runs of job and period still
// marked running; the caller holds their lock, so their kam is gone.
func (s *Store) interruptOrphans(ctx context.Context, job, period string) (int, error) {
	var runs []Run
	if err := s.db.SelectContext(ctx, &runs, `SELECT `+runColumns+` FROM job_runs
		WHERE outcome = ? AND job = ? AND period = ?`, RunRunning, job, period); err != nil {
		return 0, fmt.Errorf("读取运行记录: %w", err)
	}
	marked := 0
	for _, r := range runs {
		ok, err := s.interruptRun(ctx, r)
		if err != nil {
			return marked, err
		}
		if ok {
			marked++
		}
	}
	return marked, nil
}

// interruptRun records r as interrupted if it is still running (its kam may have finished it meanwhile).
func (s *Store) interruptRun(ctx context.Context, r Run) (bool, error) {
	why := "运行中断：运行它的 kam 进程（" + r.Instance + "）在运行结束前退出，本次运行没有完成"
	n, err := s.markInterrupted(ctx, r.ID, why)
	if err != nil {
		return false, fmt.Errorf("记录中断的运行 %d: %w", r.ID, err)
	}
	if n {
		s.log.Warn().Int64("run", r.ID).Str("job", r.Job).Str("period", r.Period).Str("instance", r.Instance).
			Msg("上次未结束的运行已记为中断")
	}
	return n, nil
}

// InterruptRun records a run of this kam as interrupted (中断) with why, unless
// it is no longer running (another kam that took its lock over recorded it so already).
func (s *Store) InterruptRun(ctx context.Context, id int64, why string) error {
	_, err := s.markInterrupted(ctx, id, why)
	return err
}

func (s *Store) markInterrupted(ctx context.Context, id int64, why string) (bool, error) {
	var n int64
	err := s.Retry(ctx, "记录中断的运行", func() error {
		res, err := s.db.ExecContext(ctx, `UPDATE job_runs SET outcome = ?, finished_at = ?, headline = '', error = ?
			WHERE id = ? AND outcome = ?`, RunInterrupted, s.now().UTC(), why, id, RunRunning)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, err
}

func itoa(n int) string { return fmt.Sprint(n) }
