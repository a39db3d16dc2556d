package daemon

import (
	"fmt"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"kam/config"
	"kam/domain"
	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	"kam/pipeline/mail"
)

// The scheduled tasks that are not jobs: they have no period and no run record.
const (
	TaskIngest   = ingest.Task
	TaskDelivery = mail.Task
	// TaskDigest is the delivery window (mail.digest_at): held report mails go as one digest per recipient.
	TaskDigest = mail.DigestKind
)

// Entry is one scheduled task: a job, the inbox scan or mail delivery.
type Entry struct {
	Name     string
	Spec     string
	Schedule cron.Schedule
}

// Plan is the parsed schedule: when each task fires, in the configured zone,
// and for a job, which period a firing covers.
type Plan struct {
	Loc     *time.Location
	Entries []Entry              // the inbox scan, the jobs in registry order, delivery; a task with an empty spec is not scheduled
	Jobs    map[string]*jobs.Job // the jobs the entries name (the registry, or a test's)
	order   map[string]int       // each task's place in Entries' order, for firings at the same minute
}

// NewPlan parses the configured specs of the inbox scan, the given jobs (the
// registry, or a test's) and delivery, in zone loc.
func NewPlan(s config.Schedule, loc *time.Location, registry []*jobs.Job) (p Plan, err error) {
	p = Plan{Loc: loc, Jobs: map[string]*jobs.Job{}, order: map[string]int{}}
	specs := [][2]string{{TaskIngest, s.Ingest}}
	for _, j := range registry {
		p.Jobs[j.Name] = j
		specs = append(specs, [2]string{j.Name, s.Jobs[j.ScheduleKey]})
	}
	specs = append(specs, [2]string{TaskDelivery, s.Delivery})
	for i, ts := range specs {
		name, spec := ts[0], ts[1]
		p.order[name] = i
		if spec == "" {
			continue
		}
		sched, err := cron.ParseStandard(spec)
		if err != nil {
			return p, domain.Usagef("配置项 schedule 中 %s 的计划 %q 有误: %v", name, spec, err)
		}
		p.Entries = append(p.Entries, Entry{Name: name, Spec: spec, Schedule: sched})
	}
	return p, nil
}

// WithDigest adds the delivery window (mail.digest_at, after delivery in the
// plan's order); an empty spec adds nothing: report mails then go one by one.
func (p Plan) WithDigest(spec string) (Plan, error) {
	p.order[TaskDigest] = len(p.order)
	if spec == "" {
		return p, nil
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return p, domain.Usagef("配置项 mail.digest_at 的计划 %q 有误: %v", spec, err)
	}
	p.Entries = append(slices.Clone(p.Entries), Entry{Name: TaskDigest, Spec: spec, Schedule: sched})
	return p, nil
}

// Firing is one scheduled run of a job: when it fires and the period it covers.
type Firing struct {
	Job    string
	At     time.Time // in the plan's zone
	Period string
}

func (f Firing) String() string {
	return fmt.Sprintf("%s %s %s", f.At.Format("2006-01-02 15:04"), f.Job, f.Period)
}

// Next is when the entry fires next after t, in the plan's zone.
func (p Plan) Next(e Entry, t time.Time) time.Time { return e.Schedule.Next(t.In(p.Loc)) }

// Due lists the firings of the scheduled jobs in (from, to], by time and, at
// the same minute, in the plan's order. The period of a firing is the job's own
// choice for an as-of day equal to the firing's date, as `kam run` picks it.
func (p Plan) Due(from, to time.Time) ([]Firing, error) {
	var out []Firing
	for _, e := range p.Entries {
		job, ok := p.Jobs[e.Name]
		if !ok {
			continue // ingest and delivery have no period
		}
		for t := p.Next(e, from); !t.IsZero() && !t.After(to); t = p.Next(e, t) {
			period, err := job.Period.Parse("", domain.DateFromTime(t))
			if err != nil {
				return nil, fmt.Errorf("%s 在 %s 的期间: %w", e.Name, t.Format(time.DateTime), err)
			}
			out = append(out, Firing{Job: e.Name, At: t, Period: period})
		}
	}
	slices.SortStableFunc(out, func(a, b Firing) int { return a.At.Compare(b.At) })
	return out, nil
}

// pickCatchUp chooses which due firings a start makes up for, oldest first:
// per job, those for a period after the latest one any run (manual too)
// succeeded for, so no older period's reports follow a newer one's. A job
// that never succeeded (a new install) makes up only its most recent firing. A period due at several
// firings is run once, as of its latest.
func (p Plan) pickCatchUp(due []Firing, lastScheduled map[string]string, succeeded map[string]map[string]bool) []Firing {
	type key struct{ job, period string }
	latest := map[key]Firing{}
	newest := map[string]Firing{}
	for _, f := range due {
		if _, ran := lastScheduled[f.Job]; !ran {
			newest[f.Job] = f
			continue
		}
		if f.Period <= lastScheduled[f.Job] || succeeded[f.Job][f.Period] {
			continue
		}
		latest[key{f.Job, f.Period}] = f
	}
	for job, f := range newest {
		if !succeeded[job][f.Period] {
			latest[key{f.Job, f.Period}] = f
		}
	}
	out := make([]Firing, 0, len(latest))
	for _, f := range latest {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b Firing) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return p.order[a.Job] - p.order[b.Job]
	})
	return out
}
