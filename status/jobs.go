package status

import (
	"kam/pipeline/daemon"
	"kam/pipeline/jobs"
	"time"
)

// The words for a job, a period and a trigger are the job registry's.
func jobTitle(job string) string            { return jobs.Title(job) }
func periodLabel(job, period string) string { return jobs.PeriodLabel(job, period) }
func triggerLabel(trigger string) string    { return jobs.TriggerLabel(trigger) }

// PlanTasks is the plan's tasks with their next firings after now, as Gather takes them.
func PlanTasks(plan daemon.Plan, now time.Time) []Task {
	tasks := make([]Task, len(plan.Entries))
	for i, e := range plan.Entries {
		tasks[i] = Task{Name: e.Name, Spec: e.Spec, Next: plan.Next(e, now)}
	}
	return tasks
}
