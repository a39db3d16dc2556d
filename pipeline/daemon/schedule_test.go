package daemon

import (
	"kam/config"
	"kam/pipeline/core"
	"kam/pipeline/jobs"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestPickCatchUp(t *testing.T) {
	loc := time.UTC
	f := func(day int, job, period string) Firing {
		return Firing{Job: job, At: time.Date(2026, 3, day, 3, 0, 0, 0, loc), Period: period}
	}
	due := []Firing{
		f(1, "grade", "2025Q4"), f(2, "grade", "2025Q4"), f(3, "grade", "2025Q4"), // a period due at several firings
		f(1, "splits", "2026-01"), f(2, "splits", "2026-02"), f(3, "splits", "2026-03"),
		f(2, "roster", "2026-01"), f(3, "roster", "2026-02"),
	}
	plan, err := NewPlan(config.Schedule{}, loc, jobs.All())
	if err != nil {
		t.Fatal(err)
	}
	got := plan.pickCatchUp(due,
		map[string]string{"grade": "2025Q3", "splits": "2026-01"},
		map[string]map[string]bool{"splits": {"2026-02": true}, "roster": {"2026-02": true}})
	want := []Firing{f(3, "grade", "2025Q4"), f(3, "splits", "2026-03")}
	if !slices.Equal(got, want) {
		t.Errorf("picked %v, want %v", got, want)
	}
}

func TestWrapSkipsARunningTaskAndRecoversAPanic(t *testing.T) {
	sched := &Scheduler{App: &core.App{Log: zerolog.New(zerolog.NewTestWriter(t))}}
	sched.wrap("boom", func() { panic("boom") }).Run() // logged, not raised

	release, started := make(chan struct{}), make(chan struct{})
	var runs int
	job := sched.wrap("slow", func() { runs++; close(started); <-release })
	done := make(chan struct{})
	go func() { job.Run(); close(done) }()
	<-started
	job.Run() // still running: skipped at once
	close(release)
	<-done
	if runs != 1 {
		t.Errorf("slow task ran %d times, want 1 (the second firing skipped)", runs)
	}
}
