// Package jobs owns the rulebook's reports: the registry that declares each
// job once (its names, title, period, schedule and recipients keys, mail
// figures and how its rows divide among the centres), and the run of a job:
// the store's data through rules into workbooks (package reports), archived
// with its mail queued in one transaction (package mail), then copied to the
// reports folder. It reads no inbox and sends no mail itself; it may not
// import ingest, daemon, web or cmd.
package jobs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"kam/config"
	"kam/domain"
	"kam/pipeline/core"
)

// Job is one of the rulebook's reports, declared once in its own file
// (job_*.go). The command line, the configuration's keys and defaults, the
// schedule, the mail and `kam run all` all read it from here.
type Job struct {
	Name  string // on the command line and in the records: review-gold
	Title string // what its readers call it: 黄金客户用邮分析
	// Period is which period a run covers, how --period is read and how a period is said.
	Period PeriodKind
	// ScheduleKey and RecipientsKey are its keys under schedule: and recipients: in kam.yaml.
	ScheduleKey, RecipientsKey string
	// DefaultSchedule is its cron spec when the configuration names none.
	DefaultSchedule string
	// Centres are the kinds of unit that get their own part of its workbooks
	// (SPEC §5: each centre gets its own; a unit with a mailbox); none: every kind.
	Centres []domain.UnitKind
	// Share says what a centre's part holds: how its rows divide among the centres.
	Share string
	// KeyFigure is the one figure its mail's subject carries, read from the run's
	// counts (the city's or a unit's); false when the counts lack it.
	KeyFigure func(counts map[string]int64) (string, bool)
	// MailPart says whether a unit is mailed its part: only when the part has
	// something for it (SPEC §5.1); the archive keeps every unit's workbook all the same.
	MailPart func(p *UnitPart) bool
	// MailShared says, from the city's counts, whether the run's shared files (the
	// public 竞标公告) go to every unit with a mailbox; nil: the job shares no file.
	MailShared func(counts map[string]int64) bool
	// Basis says what besides its data a run of period as of asOf depends on
	// (roster: whether next month's targets are due yet); a rerun whose data
	// and basis are as they were issues nothing (SPEC §5.2). nil: the data alone.
	Basis func(a *core.App, period string, asOf domain.Date) string
	// Run computes the report for period and adds its files, counts and the
	// table its readers act on (Output.Act) to out.
	Run func(ctx context.Context, a *core.App, period string, asOf domain.Date, out *Output) error
}

// registry is every job, in the order `kam run all` takes: grading before
// the packs that read grades.
var registry []*Job

func init() {
	registry = []*Job{&gradeJob, &reviewDiamondJob, &reviewGoldJob, &splitsJob, &tenderJob, &rosterJob, &maintenanceJob}
}

// All is every job in `kam run all`'s order.
func All() []*Job { return slices.Clone(registry) }

// Lookup finds a job by its command-line name.
func Lookup(name string) (*Job, bool) {
	for _, j := range registry {
		if j.Name == name {
			return j, true
		}
	}
	return nil, false
}

// Registered reports whether a job exists in this build.
func Registered(name string) bool { _, ok := Lookup(name); return ok }

// Names lists the jobs for usage messages: grade | review-diamond | ….
func Names() string {
	names := make([]string, len(registry))
	for i, j := range registry {
		names[i] = j.Name
	}
	return strings.Join(names, " | ")
}

// Usage lists the jobs with the form of their period, for `kam run`'s help.
func Usage() string {
	names := make([]string, len(registry))
	for i, j := range registry {
		names[i] = fmt.Sprintf("%s (P = %s)", j.Name, j.Period.Example)
	}
	return strings.Join(names, " | ")
}

// ConfigKeys are the jobs' keys in kam.yaml, with their default schedules:
// what config.Load needs to read and check schedule: and recipients:.
func ConfigKeys() []config.JobKeys {
	keys := make([]config.JobKeys, len(registry))
	for i, j := range registry {
		keys[i] = config.JobKeys{Schedule: j.ScheduleKey, Recipients: j.RecipientsKey, DefaultSchedule: j.DefaultSchedule}
	}
	return keys
}

// DefaultConfig is config.Default with every job's keys.
func DefaultConfig() config.Config { return config.Default(ConfigKeys()...) }

// Schedule is the job's cron spec in c ("" when it is not scheduled).
func (j *Job) Schedule(c config.Config) string { return c.Schedule.Jobs[j.ScheduleKey] }

// Recipients are the mailboxes c sends the job's city-wide report to.
func (j *Job) Recipients(c config.Config) []string { return c.Recipients.Reports[j.RecipientsKey] }

// Title is a job's Chinese name, or the name itself for a job this build lacks.
func Title(name string) string {
	if j, ok := Lookup(name); ok {
		return j.Title
	}
	return name
}

// PeriodLabel writes a job's period the way readers say it: 2026 年第 2 季度,
// 2026 年 6 月, 2026 年 5—6 月 (the bimonthly gold pack), 2026 年 6 月 15 日.
func PeriodLabel(name, period string) string {
	if j, ok := Lookup(name); ok {
		return j.Period.Label(period)
	}
	return anyPeriodLabel(period)
}

// always mails every unit its part: the centre's list or statement of the period.
func always(*UnitPart) bool { return true }

// anyOf says whether a part counted something under one of keys.
func anyOf(keys ...string) func(p *UnitPart) bool {
	return func(p *UnitPart) bool {
		for _, k := range keys {
			if p.Counts[k] > 0 {
				return true
			}
		}
		return false
	}
}

// has says whether counts hold every key (a key figure needs them all).
func has(counts map[string]int64, keys ...string) bool {
	for _, k := range keys {
		if _, ok := counts[k]; !ok {
			return false
		}
	}
	return true
}

// What started a run.
const (
	TriggerManual   = "manual"
	TriggerSchedule = "schedule"
	TriggerCatchUp  = "catch-up"
)

// triggerLabels says what started a run.
var triggerLabels = map[string]string{TriggerManual: "手动", TriggerSchedule: "计划", TriggerCatchUp: "补跑", TriggerCorrection: "更正"}

// TriggerLabel is the Chinese word for a run's trigger.
func TriggerLabel(t string) string {
	if l, ok := triggerLabels[t]; ok {
		return l
	}
	return t
}
