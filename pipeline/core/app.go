// Package core is what every stage of kam's pipeline shares: the App (its
// configuration, store, log and the one clock), the units' mailboxes, the
// logger and the collector's tuning for big runs. It owns no stage: it may
// not import ingest, jobs, mail or daemon, nor web or cmd.
package core

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

	// FailPublish, when set (tests), fails the publish transaction after a run's own writes.
	FailPublish func() error
	// FailErrorBook, when set (tests), fails writing a rejected file's error workbook to path, as a full disk would.
	FailErrorBook func(path string) error
	// FailLoad, when set (tests), fails a file's load transaction after its rows are written.
	FailLoad func() error
}

// Clock is the current time in the configured zone.
func (a *App) Clock() time.Time {
	if a.Now == nil {
		return time.Now().In(a.Cfg.Location())
	}
	return a.Now().In(a.Cfg.Location())
}

// Today is the current calendar day in the configured zone.
func (a *App) Today() domain.Date { return domain.DateFromTime(a.Clock()) }

// GradeScheme is the configured grading table with the rule's arithmetic on it.
func (a *App) GradeScheme() (rules.GradeScheme, error) {
	t, err := a.Cfg.GradeTable()
	return rules.GradeScheme(t), err
}

// MaintenanceConfig is maintenance.* and archive.required as the rules read
// them (SPEC §4.7); Validate has checked every name.
func (a *App) MaintenanceConfig() rules.MaintenanceConfig {
	m := a.Cfg.Maintenance
	out := rules.MaintenanceConfig{MaxGapDays: map[domain.Tier]int{}, RemindDays: m.RemindDays}
	for label, days := range m.MaxGapDays {
		if t, err := domain.ParseTier(label); err == nil {
			out.MaxGapDays[t] = days
		}
	}
	for _, k := range m.CountedKinds {
		if kind, err := domain.ParseEnum(domain.VisitKinds, k); err == nil {
			out.CountedKinds = append(out.CountedKinds, kind)
		}
	}
	for _, f := range a.Cfg.Archive.Required {
		if field, ok := domain.ParseArchiveField(f); ok {
			out.ArchiveRequired = append(out.ArchiveRequired, field)
		}
	}
	return out
}
