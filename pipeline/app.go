// Package pipeline orchestrates kam's work: the inbox scan and the jobs that
// turn stored data into reports. It wires loaders, store, rules and reports;
// the rules themselves live in package rules and know nothing of IO.
package pipeline

import (
	"time"

	"github.com/rs/zerolog"

	"kam/config"
	"kam/domain"
	"kam/rules"
	"kam/store"
)

// App is one kam process's view of its configuration, store and clock.
type App struct {
	Cfg      config.Config
	Store    *store.Store
	Log      zerolog.Logger
	Now      func() time.Time // injected so tests set the date
	Progress bool             // draw progress bars (stderr is a terminal)

	failPublish func() error // tests: fail the publish transaction after a run's own writes
}

// now is the current time in the configured zone.
func (a *App) now() time.Time {
	if a.Now == nil {
		return time.Now().In(a.Cfg.Location())
	}
	return a.Now().In(a.Cfg.Location())
}

// Today is the current calendar day in the configured zone.
func (a *App) Today() domain.Date { return domain.DateFromTime(a.now()) }

// gradeScheme is the configured grading table with the rule's arithmetic on it.
func (a *App) gradeScheme() (rules.GradeScheme, error) {
	t, err := a.Cfg.GradeTable()
	return rules.GradeScheme(t), err
}
