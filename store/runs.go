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
	Outcome    string       `db:"outcome"` // running, succeeded, failed
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
func (s *Store) StartRun(ctx context.Context, job, period, trigger string, at time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO job_runs (job, period, triggered_by, started_at, outcome, counts, error, instance)
		VALUES (?, ?, ?, ?, 'running', '', '', ?)`, job, period, trigger, at.UTC(), instanceName())
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// FinishRun closes a run with its outcome, headline counts and error text.
func (s *Store) FinishRun(ctx context.Context, id int64, outcome string, counts map[string]int64, errText string, at time.Time) error {
	return finishRun(ctx, s.db, id, outcome, counts, "", errText, at)
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

// RecentRuns lists the latest runs, newest first.
func (s *Store) RecentRuns(ctx context.Context, n int) ([]Run, error) {
	var runs []Run
	err := s.db.SelectContext(ctx, &runs, `SELECT `+runColumns+` FROM job_runs ORDER BY id DESC LIMIT ?`, n)
	return runs, err
}

func itoa(n int) string { return fmt.Sprint(n) }
