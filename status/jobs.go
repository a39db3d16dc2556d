package status

import "kam/pipeline"

// The words for a job, a period and a trigger are pipeline's for now. These
// three are this package's only use of pipeline: when they move, this file's
// import is the one line to change.

func jobTitle(job string) string            { return pipeline.JobTitle(job) }
func periodLabel(job, period string) string { return pipeline.PeriodLabel(job, period) }
func triggerLabel(trigger string) string    { return pipeline.TriggerLabel(trigger) }
