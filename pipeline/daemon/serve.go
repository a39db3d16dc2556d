// Package daemon owns `kam serve`: the schedule (which job and period each
// firing covers, one pure plan), catch-up of periods missed while kam was
// down, the shutdown grace, and the web side's listener. It wires the other
// stages (ingest, jobs, mail) to the clock and may not import web or cmd:
// the web handler is handed in.
package daemon

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	"kam/pipeline/mail"
)

// Scheduler runs a plan's tasks for one App: on the cron schedule, and the
// catch-up of missed periods at start.
type Scheduler struct {
	App  *core.App
	Plan Plan
	// CatchUpMonths bounds how far back a start looks for missed periods.
	CatchUpMonths int
	// AtDeliveryWindow, when set, runs at each delivery window just before the
	// held report mails are folded into digests and sent (FireDeliveryWindow):
	// what it queues goes out in this window. With mail.digest_at empty every
	// delivery pass is a window. An error is logged; the window's mail goes all the same.
	AtDeliveryWindow func(ctx context.Context, a *core.App) error

	running atomic.Bool
}

// NewScheduler plans the configured schedule with the registered jobs.
func NewScheduler(a *core.App) (*Scheduler, error) {
	plan, err := NewPlan(a.Cfg.Schedule, a.Cfg.Location(), jobs.All())
	if err != nil {
		return nil, err
	}
	if plan, err = plan.WithDigest(a.Cfg.Mail.DigestAt); err != nil {
		return nil, err
	}
	return &Scheduler{App: a, Plan: plan, CatchUpMonths: a.Cfg.Schedule.CatchUpMonths}, nil
}

// Serve runs the schedule until ctx ends (SIGTERM/SIGINT): it then starts
// nothing new, lets what is running finish within schedule.shutdown_grace,
// aborts what is still running after that (it rolls back and runs again on
// the next start) and returns nil. On SQLite a second Serve on the same
// database refuses to start.
func Serve(ctx context.Context, a *core.App) error { return ServeWeb(ctx, a, Web{}) }

// Web is the daemon's web side as Serve starts it: web.New builds the handler
// (package pipeline cannot import it), Listening hears the bound address.
type Web struct {
	Handler   func(*Scheduler) (http.Handler, error)
	Listening func(net.Addr)
}

// ServeWeb is Serve with the web side listening on http.listen (when w has a
// handler and the key is set) for as long as the schedule runs: it stops
// answering after the scheduler has stopped, so /healthz says so meanwhile.
func ServeWeb(ctx context.Context, a *core.App, w Web) error {
	release, err := a.Store.LockServe(ctx)
	if err != nil {
		return err
	}
	defer release()
	s, err := NewScheduler(a)
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
		c.Schedule(e.Schedule, s.wrap(e.Name, func() { s.Fire(runCtx, e.Name) }))
	}
	// Another instance may die mid-run while this one serves (its lease expires, or its
	// connection is gone): its run is recorded 中断 and its period caught up here, now.
	c.Schedule(cron.Every(RecoverEvery), s.wrap("recover", func() {
		if s.abandonStale(ctx) > 0 {
			s.CatchUp(ctx, runCtx)
		}
	}))
	s.abandonStale(ctx)
	c.Start()
	s.running.Store(true)
	now := a.Clock()
	for _, e := range s.Plan.Entries {
		a.Log.Info().Str("task", e.Name).Str("spec", e.Spec).Time("next", s.Plan.Next(e, now)).Msg("已排入计划")
	}
	a.Log.Info().Str("zone", s.Plan.Loc.String()).Int("catch_up_months", s.CatchUpMonths).Msg("kam serve 已启动")

	var catchUp sync.WaitGroup
	catchUp.Go(func() {
		s.wrap("catch-up", func() {
			s.restoreCopies(runCtx)
			s.CatchUp(ctx, runCtx)
		}).Run()
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
		abort(jobs.ErrShutdown)
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

// Fire runs one task now as its cron entry does, at the App's current time.
func (s *Scheduler) Fire(ctx context.Context, name string) {
	a := s.App
	switch name {
	case TaskIngest:
		res, err := ingest.Scan(ctx, a)
		if err != nil {
			a.Log.Error().Err(err).Msg("收件目录扫描失败")
		}
		if res.Count(ingest.OutcomeLoaded) > 0 {
			s.markStale(ctx)
		}
		s.restoreCopies(ctx)
	case TaskDelivery:
		if a.Cfg.Mail.DigestAt == "" {
			s.FireDeliveryWindow(ctx)
			return
		}
		s.restoreCopies(ctx)
		if _, err := mail.Deliver(ctx, a); err != nil {
			a.Log.Error().Err(err).Msg("邮件投递失败")
		}
	case TaskDigest:
		s.FireDeliveryWindow(ctx)
	default:
		s.run(ctx, name, jobs.RunRequest{AsOf: a.Today(), Trigger: jobs.TriggerSchedule})
	}
}

// markStale marks the published reports whose data a loaded file changed 待更正 (jobs.MarkStale).
func (s *Scheduler) markStale(ctx context.Context) {
	if _, err := jobs.MarkStale(ctx, s.App); err != nil {
		s.App.Log.Error().Err(err).Msg("检查待更正报表失败")
	}
}

// reissueStale issues a new version of each 待更正 report at the delivery
// window (jobs.ReissueStale, SPEC §5.2), its mail queued for this delivery.
func (s *Scheduler) reissueStale(ctx context.Context) {
	if _, err := jobs.ReissueStale(ctx, s.App); err != nil {
		s.App.Log.Error().Err(err).Msg("更正待更正报表失败")
	}
}

// FireDeliveryWindow is the one point where a delivery window fires: the
// report copies are restored, the 待更正 reports are re-issued (their mail
// goes in this window), AtDeliveryWindow runs, then every held report mail is folded into its recipient's digest and the due mail is sent
// (mail.DeliverWindow). Another instance delivering at the same moment does
// it instead (the delivery lock); a fold is all-or-nothing, so nothing goes twice.
func (s *Scheduler) FireDeliveryWindow(ctx context.Context) {
	a := s.App
	s.restoreCopies(ctx)
	s.reissueStale(ctx)
	if s.AtDeliveryWindow != nil {
		if err := s.AtDeliveryWindow(ctx, a); err != nil {
			a.Log.Error().Err(err).Msg("发送时刻前的处理失败（本时刻的邮件照常发出）")
		}
	}
	res, err := mail.DeliverWindow(ctx, a)
	if err != nil {
		a.Log.Error().Err(err).Msg("邮件投递失败")
		return
	}
	if res.Digests > 0 {
		a.Log.Info().Int("digests", res.Digests).Int("reports", res.Folded).Int("sent", res.Sent).Msg("发送时刻：报表邮件已汇总发出")
	}
}

// restoreCopies writes the report copies a publish could not (jobs.RestoreCopies,
// which logs each); at start, after each scan and before each delivery.
func (s *Scheduler) restoreCopies(ctx context.Context) {
	if _, err := jobs.RestoreCopies(ctx, s.App); err != nil {
		s.App.Log.Error().Err(err).Msg("补写报表副本失败")
	}
}

// run runs one job of the plan; jobs.RunJob records and logs every run that starts.
func (s *Scheduler) run(ctx context.Context, name string, req jobs.RunRequest) {
	out, err := jobs.RunJob(ctx, s.App, s.Plan.Jobs[name], req)
	switch {
	case errors.Is(err, jobs.ErrSkipped):
		s.App.Log.Debug().Str("job", name).Str("period", req.Period).Msg("已成功或正由其他实例运行，跳过")
	case err != nil && out == nil: // it never started, so jobs.RunJob has not logged it
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
		s.run(ctx, f.Job, jobs.RunRequest{Period: f.Period, AsOf: domain.DateFromTime(f.At), Trigger: jobs.TriggerCatchUp})
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
	now := a.Clock()
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
	return s.Plan.pickCatchUp(due, last, succeeded), nil
}

// RecoverEvery is how often kam serve looks for runs of a kam that died mid-run
// (abandonStale): as often as a lease lives, so a period waits at most about
// twice that for another instance to take it over.
const RecoverEvery = 30 * time.Second

// abandonStale records runs left "running" by a kam that died mid-run (their
// lock is free: on MySQL, their lease expired or its connection is gone) as
// interrupted, so catch-up runs their periods again; it returns how many.
func (s *Scheduler) abandonStale(ctx context.Context) int {
	a := s.App
	n, err := a.Store.MarkInterrupted(ctx)
	if err != nil {
		a.Log.Error().Err(err).Msg("记录中断的运行失败")
		return 0
	}
	if n > 0 {
		a.Log.Warn().Int("runs", n).Msg("未结束的运行已记为中断（运行它的 kam 已退出）")
	}
	return n
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
