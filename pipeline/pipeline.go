// Package pipeline is the small core that wires kam's stages for the
// commands, the web side and the tests: one App whose methods hand the work
// to the stage that owns it. It decides nothing itself:
//
//   - core: the App's configuration, store, log and clock, shared by all;
//   - ingest: a file from the inbox to the store, `kam check`, the templates;
//   - jobs: the job registry and a run: rules → workbooks → archive;
//   - mail: what kam says by e-mail, and its delivery;
//   - daemon: the schedule, catch-up and the serve loop.
//
// It may not import web or cmd.
package pipeline

import (
	"context"
	"io"

	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/daemon"
	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	"kam/pipeline/mail"
)

// App is one kam process: its configuration, store, log and clock (core.App),
// with the work of every stage.
type App struct{ *core.App }

// New is the App on c.
func New(c *core.App) *App { return &App{App: c} }

// Ingest scans the inbox once (ingest.Scan), marks the published reports
// whose data a loaded file changed 待更正 (jobs.MarkStale), then writes the
// report copies missing from the reports folder (jobs.RestoreCopies).
func (a *App) Ingest(ctx context.Context) (ingest.ScanResult, error) {
	res, err := ingest.Scan(ctx, a.App)
	if res.Count(ingest.OutcomeLoaded) > 0 {
		if _, err := jobs.MarkStale(ctx, a.App); err != nil {
			a.Log.Error().Err(err).Msg("检查待更正报表失败")
		}
	}
	a.restoreCopies(ctx)
	return res, err
}

// ReissueStale issues a new version of every 待更正 report (jobs.ReissueStale).
func (a *App) ReissueStale(ctx context.Context) ([]*jobs.Output, error) {
	return jobs.ReissueStale(ctx, a.App)
}

// Check loads files as a scan would and keeps nothing (ingest.Check).
func (a *App) Check(ctx context.Context, paths []string) ([]ingest.CheckResult, error) {
	return ingest.Check(ctx, a.App, paths)
}

// WriteTemplates writes the import templates of kinds into dir (ingest.WriteTemplates).
func (a *App) WriteTemplates(ctx context.Context, dir string, kinds []domain.Kind) ([]string, error) {
	return ingest.WriteTemplates(ctx, a.App, dir, kinds)
}

// TemplatesDir is where the shared templates go (ingest.TemplatesDir).
func (a *App) TemplatesDir() string { return ingest.TemplatesDir(a.App) }

// RunJob runs one job for one period (jobs.Run).
func (a *App) RunJob(ctx context.Context, name string, req jobs.RunRequest) (*jobs.Output, error) {
	return jobs.Run(ctx, a.App, name, req)
}

// Card writes a customer's archive workbook (jobs.Card) to w; unit, when
// set, limits it to customers that unit is responsible for.
func (a *App) Card(ctx context.Context, who, unit string, w io.Writer) (domain.Customer, error) {
	return jobs.Card(ctx, a.App, who, unit, w)
}

// Explain says how a customer or unit was graded (jobs.Explain).
func (a *App) Explain(ctx context.Context, who, period string) (*jobs.Explanation, error) {
	return jobs.Explain(ctx, a.App, who, period)
}

// Deliver is `kam deliver`: it writes the report copies missing from the
// reports folder (jobs.RestoreCopies), folds the report mails held for a
// delivery window into their recipients' digests now — the administrator
// asked to send what is queued — and sends the mail that is due (mail.DeliverWindow).
func (a *App) Deliver(ctx context.Context) (mail.DeliveryResult, error) {
	a.restoreCopies(ctx)
	return mail.DeliverWindow(ctx, a.App)
}

// RetryDead queues the dead letters again, all or those to recipient (mail.RetryDead).
func (a *App) RetryDead(ctx context.Context, recipient string) (int, error) {
	return mail.RetryDead(ctx, a.App, recipient)
}

// restoreCopies is jobs.RestoreCopies beside other work: each copy is logged
// there, and a failure to look for them here; the work goes on.
func (a *App) restoreCopies(ctx context.Context) {
	if _, err := jobs.RestoreCopies(ctx, a.App); err != nil {
		a.Log.Error().Err(err).Msg("补写报表副本失败")
	}
}

// NewScheduler plans the configured schedule with the registered jobs (daemon.NewScheduler).
func (a *App) NewScheduler() (*daemon.Scheduler, error) { return daemon.NewScheduler(a.App) }

// Serve runs the schedule until ctx ends (daemon.Serve).
func (a *App) Serve(ctx context.Context) error { return daemon.Serve(ctx, a.App) }

// ServeWeb is Serve with the web side w (daemon.ServeWeb).
func (a *App) ServeWeb(ctx context.Context, w daemon.Web) error {
	return daemon.ServeWeb(ctx, a.App, w)
}

// CardFileName is a customer's archive workbook's name: 客户档案_<客户编号>.xlsx.
func CardFileName(customer string) string { return jobs.CardFileName(customer) }
