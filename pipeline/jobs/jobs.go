package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/mail"
	"kam/store"
)

// RunRequest is what a caller asks of a job.
type RunRequest struct {
	Period  string      // empty: the latest complete period as of AsOf
	AsOf    domain.Date // 0: today in the configured zone
	Trigger string      // manual, schedule, catch-up
	// DryRun computes and writes the files to DryRunPath (a workbook path;
	// empty: the current folder) and records nothing: no run, archive,
	// announcement or mail. Only a dry run may look at a future date.
	DryRun     bool
	DryRunPath string
	// AllowIncomplete runs on data SPEC §4.6 calls incomplete, saying so in
	// every workbook and mail of the run, instead of refusing.
	AllowIncomplete bool
	// Force issues a new version although the data has not changed since the
	// current one (SPEC §5.2); NoMail archives without queueing mail.
	Force, NoMail bool
}

// ErrShutdown is why a run still going when the shutdown grace ran out was
// aborted; its transaction rolled back and it runs again on the next start.
var ErrShutdown = errors.New("kam 停止时作业未在宽限期内完成，已中止并回滚，下次启动时补跑")

// ErrSkipped is returned for a scheduled run that was not needed: its job
// already succeeded for the period, or another instance is running it now.
var ErrSkipped = errors.New("不需要运行：已经成功，或正由另一个 kam 运行")

// Output collects what a job produced.
type Output struct {
	RunID    int64 // the run record this output belongs to
	Period   string
	Headline string           // one line of headline figures, used in logs and mail
	Act      *mail.Table      // what the mail's recipients must act on, listed in its body; nil: nothing
	Counts   map[string]int64 // figures recorded with the run
	Paths    []string         // where the city-wide files were published in the reports folder
	// UnitPaths are where the units' own workbooks were published: reports/<单位编码>/.
	UnitPaths []string
	Reports   []store.Report // the archived copies, in the order the job added them
	// MissingCopies is how many files could not be written into the reports
	// folder; archived and mailed all the same, RestoreCopies writes them later.
	MissingCopies int
	DryRun        bool // computed and written only: nothing recorded
	MailHeld      bool // archived, but not mailed: a newer period of the job already went out
	// DataWarnings say what data the run lacked (--allow-incomplete); the
	// workbooks' 说明 and 数据警告 and the mail carry them.
	DataWarnings    []string
	allowIncomplete bool
	// Unchanged: the data has not changed since Version was issued; nothing was issued or mailed.
	Unchanged bool
	// Version is the 第 N 版 the run issued (the highest of its files'), or the current one when Unchanged.
	Version int
	// Why says what changed since the version issued before ("" for a first version).
	Why       string
	NotMailed bool // --no-mail: archived, no mail queued
	versions  *versions
	reads     *store.Reads  // what the job read (reportMeta), recorded with the run
	inputs    []store.Input // the files and digests behind reads, when the job began to read
	inputErr  error
	// Parts are the units' own workbooks (SPEC §5), in the order the job added them;
	// AlsoTo are mailboxes that get the city-wide mail beside the report's recipients.
	Parts  []*UnitPart
	AlsoTo []string
	// Notice is what a unit whose own part has nothing for it is told when the
	// run's shared files go to every unit all the same (Job.MailShared).
	Notice   Notice
	mu       sync.Mutex // guards files and Parts while units' books are written beside the city's
	files    []artifact
	shared   []store.Report          // the archived copies of the shared files (AddSharedFile)
	writes   []func(*store.Tx) error // stored with the run, in the publish transaction
	tmp      string
	unitsDir string // where the units' own folders go: reports/, or a dry run's 各单位/
	archived bool   // the run is recorded as succeeded, its files archived and its mail queued
}

// Notice is the mail of a unit that gets only the run's shared files: the
// public announcement's headline, subject figure and table.
type Notice struct {
	Headline, Figure string
	Act              *mail.Table
}

type artifact struct {
	name, path string
	unit       string // "" for the city-wide file
	shared     bool   // a city-wide file every unit's mail carries, not the report's recipients'
}

// UnitPart is one unit's own share of a job's output (SPEC §5: each centre
// gets its own): its workbook (writeParts), archived under its code and mailed to its mailboxes.
type UnitPart struct {
	Unit      domain.Unit
	Mailboxes []string
	Headline  string
	Counts    map[string]int64
	Act       *mail.Table
}

// AddFile writes one city-wide output file (a workbook or CSV) through write.
func (o *Output) AddFile(name string, write func(w io.Writer) error) error {
	return o.addFile(artifact{name: name}, write)
}

// AddSharedFile writes a city-wide file that goes with every unit's own
// mail rather than to the report's recipients: the public announcement.
func (o *Output) AddSharedFile(name string, write func(w io.Writer) error) error {
	return o.addFile(artifact{name: name, shared: true}, write)
}

func (o *Output) addFile(f artifact, write func(w io.Writer) error) error {
	path, err := o.writeTemp(f.name, write)
	if err != nil {
		return err
	}
	f.path = path
	return o.register(f)
}

// writeTemp writes a file into the run's temporary folder; safe to call from several goroutines.
func (o *Output) writeTemp(name string, write func(w io.Writer) error) (string, error) {
	path, err := core.FileIn(o.tmp, name)
	if err != nil {
		return "", err
	}
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := write(f); err != nil {
		f.Close()
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return path, f.Close()
}

// register adds a written file to the run's output; the units' books may be
// registered while the job still writes the city's.
func (o *Output) register(f artifact) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, g := range o.files {
		if g.name == f.name {
			return fmt.Errorf("两个输出文件同名：%s", f.name)
		}
	}
	o.files = append(o.files, f)
	return nil
}

// OnPublish adds a write that commits with the run: in the one transaction
// that archives its files, queues its mail and marks it succeeded.
func (o *Output) OnPublish(write func(*store.Tx) error) { o.writes = append(o.writes, write) }

// requireComplete checks the revenue of the months a job reads (SPEC §4.6):
// gaps refuse the run, or, with --allow-incomplete, become its data warnings.
func (o *Output) requireComplete(ctx context.Context, a *core.App, months []domain.Month) error {
	warnings, err := CheckComplete(ctx, a, months, o.allowIncomplete)
	if err != nil {
		return err
	}
	o.DataWarnings = append(o.DataWarnings, warnings...)
	return nil
}

// incompleteNote is what a headline adds when the run lacked data.
func (o *Output) incompleteNote() string {
	if len(o.DataWarnings) == 0 {
		return ""
	}
	return "（数据不完整，按 --allow-incomplete 生成：" + strings.Join(o.DataWarnings, "；") + "）"
}

// Count records a headline figure.
func (o *Output) Count(key string, n int64) {
	if o.Counts == nil {
		o.Counts = map[string]int64{}
	}
	o.Counts[key] = n
}

// Run runs one job for one period: records the run, archives its files in
// the store, queues their mail and copies them to the reports folder. A
// scheduled or catch-up run is skipped (ErrSkipped) when the job already
// succeeded for the period or another instance holds it.
func Run(ctx context.Context, a *core.App, name string, req RunRequest) (*Output, error) {
	job, ok := Lookup(name)
	if !ok {
		return nil, domain.Usagef("未知作业 %q；可用：%s", name, Names())
	}
	return RunJob(ctx, a, job, req)
}

// runLockName names the lock one job holds for one period.
func runLockName(job, period string) string { return "job:" + job + ":" + period }

// RunJob is Run for a job already looked up (the schedule's plan holds its jobs).
func RunJob(ctx context.Context, a *core.App, job *Job, req RunRequest) (*Output, error) {
	name := job.Name
	today := a.Today()
	asOf := req.AsOf
	if asOf == 0 {
		asOf = today
	}
	period, err := job.Period.Parse(req.Period, asOf)
	if err != nil {
		return nil, err
	}
	if err := refuseFuture(name, period, asOf, today, req.DryRun); err != nil {
		return nil, err
	}
	if req.Trigger == "" {
		req.Trigger = TriggerManual
	}
	if req.DryRun {
		return dryRun(a, ctx, job, period, asOf, req)
	}
	scheduled := req.Trigger == TriggerSchedule || req.Trigger == TriggerCatchUp
	background := req.Trigger != TriggerManual // a scheduled run or a correction: another instance may do it
	// The run's context ends if its lock is lost (the other instance may take the period over).
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lock, err := a.Store.LockRun(ctx, runLockName(name, period), cancel)
	switch {
	case errors.Is(err, store.ErrBusy) && background:
		return nil, ErrSkipped
	case errors.Is(err, store.ErrBusy):
		return nil, domain.Busyf("作业 %s（%s）正由另一个 kam 运行，本次没有运行；请等它完成后再试（%v）", name, period, err)
	case err != nil:
		return nil, domain.Failed(err, "锁定作业 %s（%s）", name, period)
	}
	defer lock.Release()
	if scheduled {
		done, err := a.Store.Succeeded(ctx, name, period)
		if err != nil {
			return nil, domain.Failed(err, "读取运行记录")
		}
		if done {
			return nil, ErrSkipped
		}
	}

	vers, unchanged, err := prepareVersions(ctx, a, job, period, asOf, req.Force)
	if err != nil {
		return nil, err
	}
	if unchanged {
		n := vers.issued()
		a.Log.Info().Str("job", name).Str("period", period).Int("version", n).Msg("数据自上一版发布以来没有变化，未生成新版本")
		return &Output{Period: period, Unchanged: true, Version: n,
			Headline: fmt.Sprintf("%s（%s）的数据自第 %d 版发布以来没有变化：未生成新版本，未发送邮件（--force 仍生成新版本）", job.Title, period, n)}, nil
	}

	tmp, err := os.MkdirTemp("", "kam-"+name+"-")
	if err != nil {
		return nil, domain.Failed(err, "创建临时目录")
	}
	defer os.RemoveAll(tmp)
	out := &Output{Period: period, tmp: tmp, unitsDir: a.Cfg.Paths.Reports, allowIncomplete: req.AllowIncomplete,
		versions: vers, NotMailed: req.NoMail, Why: strings.Join(vers.why, "；")}
	start, began := a.Clock(), time.Now() // the clock for records, the machine's for durations
	runID, err := a.Store.StartRun(ctx, name, period, req.Trigger, start.UTC())
	if err != nil {
		return nil, domain.Failed(err, "记录作业 %s（%s）开始", name, period)
	}
	out.RunID = runID
	log := a.Log.With().Str("job", name).Str("period", period).Str("trigger", req.Trigger).Int64("run", runID).Logger()
	runErr := job.Run(runCtx, a, period, asOf, out)
	out.Headline += out.incompleteNote()
	if runErr == nil {
		runErr = publish(a, runCtx, runID, job, period, out, lock, log)
	}
	if cause := context.Cause(runCtx); runErr != nil && cause != nil && !errors.Is(runErr, cause) {
		runErr = fmt.Errorf("%w（%v）", cause, runErr)
	}
	outcome := store.RunSucceeded
	switch {
	case runErr != nil && !out.archived && errors.Is(runErr, store.ErrLeaseLost):
		// Another kam took the period over (or will, once the lease expires): this run published nothing and is 中断, as if killed.
		outcome = store.RunInterrupted
		why := "运行中断：" + domain.Message(runErr)
		if err := a.Store.InterruptRun(context.WithoutCancel(ctx), runID, why); err != nil {
			log.Error().Err(err).Msg("记录运行结果失败")
		}
	case runErr != nil && !out.archived:
		outcome = store.RunFailed
		if domain.KindOf(runErr) == domain.ERefused {
			outcome = store.RunRefused
		}
		bg := context.WithoutCancel(ctx)
		if err := a.Store.FinishRun(bg, runID, outcome, out.Counts, domain.Message(runErr), a.Clock().UTC()); err != nil {
			log.Error().Err(err).Msg("记录运行结果失败")
		}
		if adminShouldKnow(a, runErr) {
			f := mail.Failure{RunID: runID, Job: name, Title: job.Title, Period: period, Label: job.Period.Label(period),
				Trigger: TriggerLabel(req.Trigger), Err: runErr}
			if err := mail.QueueRunFailed(bg, a, f); err != nil {
				log.Error().Err(err).Msg("失败通知排队失败")
			}
		}
	}
	took := time.Since(began)
	switch {
	case runErr == nil:
		log.Info().Str("outcome", outcome).Interface("counts", out.Counts).Strs("files", out.Paths).Int("unit_files", len(out.UnitPaths)).
			Int("missing_copies", out.MissingCopies).Dur("duration", took).Msg(out.Headline)
	case outcome == store.RunRefused:
		log.Warn().Str("outcome", outcome).Dur("duration", took).Msg("作业被拒绝：" + domain.Message(runErr))
	case outcome == store.RunInterrupted:
		log.Warn().Err(runErr).Str("outcome", outcome).Dur("duration", took).Msg("运行锁已失去，本次运行中断，未发布")
	default:
		log.Error().Err(runErr).Str("outcome", outcome).Dur("duration", took).Msg("作业失败")
	}
	if runErr != nil {
		return out, runErr
	}
	return out, nil
}

// adminShouldKnow says whether a failed run is news for the administrator:
// not a refusal for the data, a usage error, a shutdown or Ctrl-C, or another
// instance having done the period.
func adminShouldKnow(a *core.App, err error) bool {
	switch domain.KindOf(err) {
	case domain.ERefused, domain.EInvalid, domain.EBusy:
		return false
	}
	return !errors.Is(err, ErrShutdown) && !errors.Is(err, context.Canceled) && !errors.Is(err, store.ErrAlreadySucceeded)
}

// dryRun computes a job and writes its files without recording anything.
func dryRun(a *core.App, ctx context.Context, job *Job, period string, asOf domain.Date, req RunRequest) (*Output, error) {
	path, root := req.DryRunPath, ""
	if path != "" {
		if err := dryRunTarget(path); err != nil {
			return nil, err
		}
		root = filepath.Dir(path)
	}
	tmp, err := os.MkdirTemp("", "kam-dry-"+job.Name+"-")
	if err != nil {
		return nil, domain.Failed(err, "创建临时目录")
	}
	defer os.RemoveAll(tmp)
	// All units under one folder, so a trial in the current folder does not scatter a folder per unit there.
	out := &Output{Period: period, tmp: tmp, unitsDir: filepath.Join(root, "各单位"), DryRun: true, allowIncomplete: req.AllowIncomplete}
	err = job.Run(ctx, a, period, asOf, out)
	out.Headline += out.incompleteNote()
	if err != nil {
		return out, err
	}
	for i, f := range out.files {
		dst, err := placeFile(root, out.unitsDir, f)
		if err != nil {
			return out, err
		}
		if i == 0 && path != "" {
			dst = path
		}
		if f.unit != "" {
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return out, domain.Failed(err, "写入试算结果 %s", dst)
			}
		}
		if _, err := os.Stat(dst); err == nil {
			return out, domain.Usagef("试算结果 %s 已存在；请换一个 -o 文件名或先移走它", dst)
		}
		if err := copyFile(a, f.path, dst); err != nil {
			return out, domain.Failed(err, "写入试算结果 %s", dst)
		}
		abs, _ := filepath.Abs(dst)
		if f.unit == "" {
			out.Paths = append(out.Paths, abs)
		} else {
			out.UnitPaths = append(out.UnitPaths, abs)
		}
	}
	out.Headline = "试算（未记录、未归档、未发送）：" + out.Headline
	return out, nil
}

// periodEnd is the last day a period covers: a quarter's or month's last day, or the day itself.
func periodEnd(period string) domain.Date {
	if q, err := domain.ParseQuarter(period); err == nil {
		return q.LastMonth().Last()
	}
	if d, err := domain.ParseDate(period); err == nil {
		return d
	}
	if m, err := domain.ParseMonth(period); err == nil {
		return m.Last()
	}
	return 0
}

// publish archives each file and queues its mail in the one transaction that
// marks the run succeeded, then writes the copies into the reports folder
// (placeCopies: each replaces an earlier run's copy atomically; one that cannot
// be written is written later from the archive). The transaction runs again
// after a conflict (store.InTx), and commits only while the run still holds
// its lock (lock.Check, last): a run whose lease another kam took over publishes nothing.
func publish(a *core.App, ctx context.Context, runID int64, job *Job, period string, out *Output, lock *store.RunLock, log zerolog.Logger) error {
	err := a.Store.InTx(ctx, func(tx *store.Tx) error {
		for _, write := range out.writes {
			if err := write(tx); err != nil {
				return err
			}
		}
		if a.FailPublish != nil {
			if err := a.FailPublish(); err != nil {
				return err
			}
		}
		out.Reports, out.shared = out.Reports[:0], out.shared[:0]
		if out.inputErr != nil {
			return domain.Failed(out.inputErr, "记录报表读取的数据")
		}
		if out.reads != nil {
			if err := tx.RecordIssue(runID, job.Name, period, *out.reads, out.inputs, a.Clock()); err != nil {
				return err
			}
		}
		out.Version = 0
		for _, f := range out.files {
			in, err := os.Open(f.path)
			if err != nil {
				return err
			}
			rep, err := tx.ArchiveReport(store.Report{RunID: runID, Job: job.Name, Period: period, Unit: f.unit, FileName: f.name}, in)
			in.Close()
			if err != nil {
				return fmt.Errorf("archive %s: %w", f.name, err)
			}
			v := store.Version{Version: out.versions.version(f.unit, f.name)}
			if r := out.versions.revisions[f.unit]; r != nil && strings.HasSuffix(f.name, ".xlsx") {
				v.Changes = r.Changes
			}
			if err := tx.RecordVersion(rep, v); err != nil {
				return err
			}
			rep.Version, rep.Current = v.Version, true
			out.Version = max(out.Version, v.Version)
			out.Reports = append(out.Reports, rep)
			if f.shared {
				out.shared = append(out.shared, rep)
			}
		}
		// A newer period's reports have gone out: an older one's mail would mislead.
		newer, err := tx.NewerPeriodSucceeded(job.Name, period)
		if err != nil {
			return err
		}
		out.MailHeld = newer
		if !newer && !out.NotMailed {
			if err := mail.QueueReports(tx, a, mailRun(a, job, out)); err != nil {
				return err
			}
		}
		if err := tx.SucceedRun(runID, out.Counts, out.Headline, a.Clock().UTC()); err != nil {
			return err
		}
		return lock.Check(tx)
	})
	if err != nil {
		return err
	}
	out.archived = true
	placeCopies(ctx, a, out, log)
	slices.Sort(out.Paths)
	return nil
}

// mailRun is what the run's mail says: its city files to the job's recipients
// (and AlsoTo), each unit's own files to its mailboxes when its part has something
// for it (Job.MailPart), with the job's key figure.
func mailRun(a *core.App, job *Job, out *Output) mail.Run {
	figure := func(counts map[string]int64) string {
		if job.KeyFigure == nil {
			return ""
		}
		f, _ := job.KeyFigure(counts)
		return f
	}
	r := mail.Run{Job: job.Name, Title: job.Title, Period: out.Period, Label: job.Period.Label(out.Period),
		Recipients: append(slices.Clone(job.Recipients(a.Cfg)), out.AlsoTo...),
		Headline:   out.Headline, Figure: figure(out.Counts), Act: out.Act}
	// A re-issue goes only to whom it changes, as 【更正】 (SPEC §5.2); --force on unchanged data mails as a first issue does.
	v := out.versions
	correcting := v.correcting()
	if correcting {
		r.Correction = out.Why
		if !v.changed("") {
			r.Recipients = nil
		}
	}
	// Silence when there is nothing (SPEC §5.1): the shared files go only when the job says they matter.
	if (job.MailShared == nil || job.MailShared(out.Counts)) && (!correcting || v.changed("")) {
		r.Shared = out.shared
	}
	own := map[string][]store.Report{}
	for _, rep := range out.Reports {
		switch {
		case slices.ContainsFunc(out.shared, func(x store.Report) bool { return x.ID == rep.ID }):
		case rep.Unit == "":
			r.City = append(r.City, rep)
		default:
			own[rep.Unit] = append(own[rep.Unit], rep)
		}
	}
	for _, p := range out.Parts {
		switch {
		case correcting && !v.changed(p.Unit.Code):
		case correcting && len(own[p.Unit.Code]) > 0:
			r.Parts = append(r.Parts, mail.Part{Unit: p.Unit, Mailboxes: p.Mailboxes, Reports: own[p.Unit.Code],
				Headline: p.Headline, Figure: figure(p.Counts), Act: p.Act})
		case job.MailPart(p):
			r.Parts = append(r.Parts, mail.Part{Unit: p.Unit, Mailboxes: p.Mailboxes, Reports: own[p.Unit.Code],
				Headline: p.Headline, Figure: figure(p.Counts), Act: p.Act})
		case len(r.Shared) > 0: // nothing of its own, but the public announcement goes to every unit
			r.Parts = append(r.Parts, mail.Part{Unit: p.Unit, Mailboxes: p.Mailboxes,
				Headline: out.Notice.Headline, Figure: out.Notice.Figure, Act: out.Notice.Act})
		}
	}
	return r
}

// copyFile copies a report, readable as the reports folder's copies are (paths.file_mode).
func copyFile(a *core.App, src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := a.CreateShared(dst, os.O_WRONLY|os.O_TRUNC)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
