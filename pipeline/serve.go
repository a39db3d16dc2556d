package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"kam/domain"
	"kam/store"
	"kam/web/link"
)

// ErrShutdown is why a run still going when the shutdown grace ran out was
// aborted; its transaction rolled back and it runs again on the next start.
var ErrShutdown = errors.New("kam 停止时作业未在宽限期内完成，已中止并回滚，下次启动时补跑")

// Scheduler runs a plan's tasks for one App: on the cron schedule, and the
// catch-up of missed periods at start.
type Scheduler struct {
	App  *App
	Plan Plan
	// CatchUpMonths bounds how far back a start looks for missed periods.
	CatchUpMonths int

	running atomic.Bool
}

// NewScheduler plans the configured schedule with the registered jobs.
func (a *App) NewScheduler() (*Scheduler, error) {
	plan, missing, err := NewPlan(a.Cfg.Schedule, a.Cfg.Location(), jobs)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		a.Log.Warn().Strs("jobs", missing).Msg("计划中的作业在此版本中不存在，不予安排")
	}
	return &Scheduler{App: a, Plan: plan, CatchUpMonths: a.Cfg.Schedule.CatchUpMonths}, nil
}

// Serve runs the schedule until ctx ends (SIGTERM/SIGINT): it then starts
// nothing new, lets what is running finish within schedule.shutdown_grace,
// aborts what is still running after that (it rolls back and runs again on
// the next start) and returns nil. On SQLite a second Serve on the same
// database refuses to start.
func (a *App) Serve(ctx context.Context) error { return a.ServeWeb(ctx, Web{}) }

// Web is the daemon's web side as Serve starts it: web.New builds the handler
// (package pipeline cannot import it), Listening hears the bound address.
type Web struct {
	Handler   func(*Scheduler) (http.Handler, error)
	Listening func(net.Addr)
}

// ServeWeb is Serve with the web side listening on http.listen (when w has a
// handler and the key is set) for as long as the schedule runs: it stops
// answering after the scheduler has stopped, so /healthz says so meanwhile.
func (a *App) ServeWeb(ctx context.Context, w Web) error {
	release, err := a.Store.LockServe(ctx)
	if err != nil {
		return err
	}
	defer release()
	s, err := a.NewScheduler()
	if err != nil {
		return err
	}
	if w.Handler != nil && a.Cfg.HTTP.Listen != "" {
		h, err := w.Handler(s)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", a.Cfg.HTTP.Listen)
		if err != nil {
			return domain.Failed(err, "在 %s 上监听（配置项 http.listen）", a.Cfg.HTTP.Listen)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		served := make(chan struct{})
		go func() {
			defer close(served)
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.Log.Error().Err(err).Msg("网页服务出错")
			}
		}()
		a.Log.Info().Str("addr", ln.Addr().String()).Msg("网页已启动")
		if w.Listening != nil {
			w.Listening(ln.Addr())
		}
		defer func() {
			stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(stop); err != nil {
				srv.Close()
			}
			<-served
			a.Log.Info().Msg("网页已停止")
		}()
	}
	return s.Serve(ctx)
}

// Running reports whether the schedule is running: started and not told to stop.
func (s *Scheduler) Running() bool { return s.running.Load() }

// Serve is App.Serve for this scheduler (without the SQLite instance lock).
func (s *Scheduler) Serve(ctx context.Context) error {
	a := s.App
	// Runs outlive ctx by the grace period: they get a context of their own.
	runCtx, abort := context.WithCancelCause(context.WithoutCancel(ctx))
	defer abort(nil)

	c := cron.New(cron.WithLocation(s.Plan.Loc), cron.WithLogger(cronLog{a.Log}))
	for _, e := range s.Plan.Entries {
		c.Schedule(e.Schedule, s.wrap(e.Name, func() { s.fire(runCtx, e.Name) }))
	}
	s.abandonStale(ctx)
	c.Start()
	s.running.Store(true)
	now := a.now()
	for _, e := range s.Plan.Entries {
		a.Log.Info().Str("task", e.Name).Str("spec", e.Spec).Time("next", s.Plan.Next(e, now)).Msg("已排入计划")
	}
	a.Log.Info().Str("zone", s.Plan.Loc.String()).Int("catch_up_months", s.CatchUpMonths).Msg("kam serve 已启动")

	var catchUp sync.WaitGroup
	catchUp.Go(func() {
		s.wrap("catch-up", func() { s.CatchUp(ctx, runCtx) }).Run()
	})

	<-ctx.Done()
	s.running.Store(false)
	grace := a.Cfg.Schedule.Grace.Duration
	a.Log.Info().Dur("grace", grace).Msg("收到停止信号：不再开始新的运行，等待进行中的运行结束")
	cronIdle := c.Stop()
	idle := make(chan struct{})
	go func() {
		catchUp.Wait()
		<-cronIdle.Done()
		close(idle)
	}()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-idle:
	case <-timer.C:
		a.Log.Warn().Msg("宽限期已过，中止仍在进行的运行（回滚，下次启动时补跑）")
		abort(ErrShutdown)
		select {
		case <-idle:
		case <-time.After(time.Minute):
			a.Log.Error().Msg("中止后一分钟仍有运行未结束，强行退出")
		}
	}
	a.Log.Info().Msg("kam serve 已停止")
	return nil
}

// wrap guards one task: a run still going makes the next firing skip, and a
// panic is logged and recovered (inside the skip guard, so a panic cannot
// leave the task skipped for ever).
func (s *Scheduler) wrap(name string, run func()) cron.Job {
	l := cronLog{s.App.Log.With().Str("task", name).Logger()}
	return cron.NewChain(cron.SkipIfStillRunning(l), cron.Recover(l)).Then(cron.FuncJob(run))
}

// fire runs one task as its cron entry does, at the App's current time.
func (s *Scheduler) fire(ctx context.Context, name string) {
	a := s.App
	switch name {
	case TaskIngest:
		if _, err := a.Ingest(ctx); err != nil {
			a.Log.Error().Err(err).Msg("收件目录扫描失败")
		}
	case TaskDelivery:
		if _, err := a.Deliver(ctx); err != nil {
			a.Log.Error().Err(err).Msg("邮件投递失败")
		}
	default:
		s.run(ctx, name, RunRequest{AsOf: a.Today(), Trigger: TriggerSchedule})
	}
}

// run runs one job of the plan; runJob records and logs every run that starts.
func (s *Scheduler) run(ctx context.Context, name string, req RunRequest) {
	out, err := s.App.runJob(ctx, s.Plan.Jobs[name], req)
	switch {
	case errors.Is(err, ErrSkipped):
		s.App.Log.Debug().Str("job", name).Str("period", req.Period).Msg("已成功或正由其他实例运行，跳过")
	case err != nil && out == nil: // it never started, so runJob has not logged it
		s.App.Log.Error().Err(err).Str("job", name).Str("period", req.Period).Msg("无法开始运行")
	}
}

// CatchUp runs, oldest first, each scheduled period missed while kam was
// down (see pickCatchUp) within the look-back; it stops starting runs when
// stop ends, and runs them with ctx.
func (s *Scheduler) CatchUp(stop, ctx context.Context) []Firing {
	a := s.App
	picks, err := s.Missed(ctx)
	if err != nil {
		a.Log.Error().Err(err).Msg("无法确定需要补跑的期间")
		return nil
	}
	if len(picks) > 0 {
		list := make([]string, len(picks))
		for i, f := range picks {
			list[i] = f.String()
		}
		a.Log.Info().Strs("runs", list).Msg("补跑停机期间错过的计划运行")
	}
	var done []Firing
	for _, f := range picks {
		if stop.Err() != nil {
			break
		}
		s.run(ctx, f.Job, RunRequest{Period: f.Period, AsOf: domain.DateFromTime(f.At), Trigger: TriggerCatchUp})
		done = append(done, f)
	}
	return done
}

// Missed lists the firings a start now would catch up on.
func (s *Scheduler) Missed(ctx context.Context) ([]Firing, error) {
	a := s.App
	if s.CatchUpMonths <= 0 {
		return nil, nil
	}
	now := a.now()
	due, err := s.Plan.Due(now.AddDate(0, -s.CatchUpMonths, 0), now)
	if err != nil {
		return nil, err
	}
	last, err := a.Store.LastSuccess(ctx)
	if err != nil {
		return nil, err
	}
	oldest := map[string]string{}
	for _, f := range due {
		if p, ok := oldest[f.Job]; !ok || f.Period < p {
			oldest[f.Job] = f.Period
		}
	}
	succeeded := map[string]map[string]bool{}
	for job, from := range oldest {
		if succeeded[job], err = a.Store.SucceededPeriods(ctx, job, from); err != nil {
			return nil, err
		}
	}
	return pickCatchUp(due, last, succeeded), nil
}

// abandonStale records runs left "running" by a kam that died mid-run (their
// lock is free) as interrupted, so catch-up runs their periods again.
func (s *Scheduler) abandonStale(ctx context.Context) {
	a := s.App
	n, err := a.Store.MarkInterrupted(ctx)
	if err != nil {
		a.Log.Error().Err(err).Msg("记录中断的运行失败")
		return
	}
	if n > 0 {
		a.Log.Warn().Int("runs", n).Msg("上次未结束的运行已记为中断")
	}
}

// cronLog passes robfig/cron's log lines to zerolog: skips and panics stand
// out, the scheduler's own bookkeeping is debug.
type cronLog struct{ log zerolog.Logger }

func (l cronLog) Info(msg string, kv ...any) {
	ev := l.log.Debug()
	switch msg {
	case "skip":
		ev, msg = l.log.Warn(), "上一次运行尚未结束，跳过本次"
	case "start", "stop":
		msg = "cron " + msg
	}
	ev.Fields(kv).Msg(msg)
}

func (l cronLog) Error(err error, msg string, kv ...any) {
	if msg == "panic" {
		msg = "运行崩溃（已恢复）"
	}
	l.log.Error().Err(err).Fields(kv).Msg(strings.TrimSpace(msg))
}

// overLimitNote tells a reader where a workbook too large to attach is: a
// signed download link valid http.link_days when the web side has a base URL
// and a key, else the folder and the command to take it from the archive.
func (a *App) overLimitNote(path string, r store.Report) string {
	h := a.Cfg.HTTP
	if h.BaseURL == "" || h.LinkSecret() == "" {
		return fmt.Sprintf("%s ；kam reports get %d -o %s", path, r.ID, r.FileName)
	}
	exp := a.now().AddDate(0, 0, h.LinkDays)
	return fmt.Sprintf("下载 %s（无需登录，%d 天内有效，至 %s）：%s", r.FileName, h.LinkDays, exp.Format("2006-01-02 15:04"),
		link.URL(h.BaseURL, []byte(h.LinkSecret()), r.ID, exp))
}

// ErrorBookPath is where the error workbook of a file rejected to movedTo
// was written (the status page links it): errorBookPath's name, before it
// looks for a free one (the rejected file's own name is already unique).
func ErrorBookPath(movedTo string) string {
	dir, base := filepath.Split(movedTo)
	const suffix = ".errors.xlsx"
	if len(base)+len(suffix) > maxNameBytes {
		base = shortenName(base, maxNameBytes-len(suffix)-len("…")) + "…"
	}
	return filepath.Join(dir, base+suffix)
}
