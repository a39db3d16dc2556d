package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"kam/domain"
	"kam/store"
)

// Job is one of the rulebook's reports. Each job file registers itself in init.
type Job struct {
	Name string
	// Period turns the --period argument into the canonical period, or picks
	// the latest complete one for asOf when arg is empty; a bad arg is a usage error.
	Period func(arg string, asOf domain.Date) (string, error)
	// Run computes the report for period and adds its files to out.
	Run func(ctx context.Context, a *App, period string, asOf domain.Date, out *Output) error
}

// JobOrder is the order `kam run all` takes: grading before the packs that read grades.
var JobOrder = []string{"grade", "review-diamond", "review-gold", "splits", "tender", "roster"}

var jobs = map[string]Job{}

func register(j Job) { jobs[j.Name] = j }

// JobNames lists the jobs this build has, for usage messages.
func JobNames() string {
	var names []string
	for _, n := range JobOrder {
		if _, ok := jobs[n]; ok {
			names = append(names, n)
		}
	}
	return strings.Join(names, " | ")
}

// Registered reports whether a job exists in this build.
func Registered(name string) bool { _, ok := jobs[name]; return ok }

// RunRequest is what a caller asks of a job.
type RunRequest struct {
	Period  string      // empty: the latest complete period as of AsOf
	AsOf    domain.Date // 0: today in the configured zone
	Trigger string      // manual, schedule, catch-up
}

// What started a run.
const (
	TriggerManual   = "manual"
	TriggerSchedule = "schedule"
	TriggerCatchUp  = "catch-up"
)

// ErrSkipped is returned for a scheduled run that was not needed: its job
// already succeeded for the period, or another instance is running it now.
var ErrSkipped = errors.New("不需要运行：已经成功，或正由另一个 kam 运行")

// Output collects what a job produced.
type Output struct {
	RunID    int64 // the run record this output belongs to
	Period   string
	Headline string           // one line of headline figures, used in logs and mail
	Counts   map[string]int64 // figures recorded with the run
	Paths    []string         // where the files were published in the reports folder
	Reports  []store.Report   // the archived copies, in the order the job added them
	files    []artifact
	tmp      string
	archived bool // the run is recorded as succeeded, its files archived and its mail queued
}

type artifact struct{ name, path string }

// AddFile writes one output file (a workbook or CSV) through write.
func (o *Output) AddFile(name string, write func(w io.Writer) error) error {
	path := filepath.Join(o.tmp, name)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	o.files = append(o.files, artifact{name, path})
	return nil
}

// Count records a headline figure.
func (o *Output) Count(key string, n int64) {
	if o.Counts == nil {
		o.Counts = map[string]int64{}
	}
	o.Counts[key] = n
}

// RunJob runs one job for one period: records the run, archives its files in
// the store, queues their mail and copies them to the reports folder. A
// scheduled or catch-up run is skipped (ErrSkipped) when the job already
// succeeded for the period or another instance holds it.
func (a *App) RunJob(ctx context.Context, name string, req RunRequest) (*Output, error) {
	job, ok := jobs[name]
	if !ok {
		return nil, domain.Usagef("未知作业 %q；可用：%s", name, JobNames())
	}
	return a.runJob(ctx, job, req)
}

// runLockName names the lock one job holds for one period.
func runLockName(job, period string) string { return "job:" + job + ":" + period }

func (a *App) runJob(ctx context.Context, job Job, req RunRequest) (*Output, error) {
	name := job.Name
	asOf := req.AsOf
	if asOf == 0 {
		asOf = a.Today()
	}
	period, err := job.Period(req.Period, asOf)
	if err != nil {
		return nil, err
	}
	if req.Trigger == "" {
		req.Trigger = TriggerManual
	}
	scheduled := req.Trigger != TriggerManual
	// The run's context ends if its lock is lost (the other instance may take the period over).
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lock, err := a.Store.LockRun(ctx, runLockName(name, period), cancel)
	switch {
	case errors.Is(err, store.ErrBusy) && scheduled:
		return nil, ErrSkipped
	case errors.Is(err, store.ErrBusy):
		return nil, domain.Usagef("作业 %s（%s）正由另一个 kam 进程运行，请稍后再试", name, period)
	case err != nil:
		return nil, err
	}
	defer lock.Release()
	if scheduled {
		done, err := a.Store.Succeeded(ctx, name, period)
		if err != nil {
			return nil, err
		}
		if done {
			return nil, ErrSkipped
		}
	}

	tmp, err := os.MkdirTemp("", "kam-"+name+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := &Output{Period: period, tmp: tmp}
	start := time.Now()
	runID, err := a.Store.StartRun(ctx, name, period, req.Trigger, a.now().UTC())
	if err != nil {
		return nil, err
	}
	out.RunID = runID
	log := a.Log.With().Str("job", name).Str("period", period).Str("trigger", req.Trigger).Int64("run", runID).Logger()
	runErr := job.Run(runCtx, a, period, asOf, out)
	if runErr == nil {
		runErr = a.publish(runCtx, runID, name, period, out)
	}
	if cause := context.Cause(runCtx); runErr != nil && cause != nil && !errors.Is(runErr, cause) {
		runErr = fmt.Errorf("%w（%v）", cause, runErr)
	}
	if runErr != nil && !out.archived {
		bg := context.WithoutCancel(ctx)
		if err := a.Store.FinishRun(bg, runID, store.RunFailed, out.Counts, runErr.Error(), a.now().UTC()); err != nil {
			log.Error().Err(err).Msg("记录运行结果失败")
		}
		// Not news for the administrator: a shutdown or Ctrl-C, or another instance having done the period.
		if !errors.Is(runErr, ErrShutdown) && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, store.ErrAlreadySucceeded) {
			if err := a.queueRunFailed(bg, runID, name, period, req.Trigger, runErr); err != nil {
				log.Error().Err(err).Msg("失败通知排队失败")
			}
		}
	}
	outcome := store.RunSucceeded
	ev := log.Info()
	if runErr != nil {
		ev = log.Error().Err(runErr)
		if !out.archived {
			outcome = store.RunFailed
		}
	}
	ev.Str("outcome", outcome).Interface("counts", out.Counts).Strs("files", out.Paths).Dur("duration", time.Since(start)).Msg(out.Headline)
	if runErr != nil {
		return out, runErr
	}
	return out, nil
}

// publish archives each file and queues its mail in the one transaction that
// marks the run succeeded, then moves the copies staged beside their targets
// into the reports folder (replacing an earlier run's copy atomically).
func (a *App) publish(ctx context.Context, runID int64, job, period string, out *Output) error {
	dir := a.Cfg.Paths.Reports
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var staged, dsts []string
	defer func() {
		for _, p := range staged {
			os.Remove(p) // only a failed publish leaves any
		}
	}()
	for _, f := range out.files {
		dst, err := filepath.Abs(filepath.Join(dir, f.name))
		if err != nil {
			return err
		}
		if err := copyFile(f.path, dst+".part"); err != nil {
			return err
		}
		staged, dsts = append(staged, dst+".part"), append(dsts, dst)
	}
	err := a.Store.InTx(ctx, func(tx *store.Tx) error {
		out.Reports = out.Reports[:0]
		for _, f := range out.files {
			in, err := os.Open(f.path)
			if err != nil {
				return err
			}
			rep, err := tx.ArchiveReport(runID, job, period, f.name, in)
			in.Close()
			if err != nil {
				return fmt.Errorf("archive %s: %w", f.name, err)
			}
			out.Reports = append(out.Reports, rep)
		}
		if err := a.queueReportMail(tx, job, out, dsts); err != nil {
			return err
		}
		return tx.SucceedRun(runID, out.Counts, out.Headline, a.now().UTC())
	})
	if err != nil {
		return err
	}
	out.archived = true
	for i, dst := range dsts {
		if err := os.Rename(staged[i], dst); err != nil {
			return fmt.Errorf("报表已归档（kam reports get %d），但复制到报表目录失败: %w", out.Reports[i].ID, err)
		}
		out.Paths = append(out.Paths, dst)
	}
	staged = nil
	slices.Sort(out.Paths)
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
