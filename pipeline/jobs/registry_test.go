package jobs

import (
	"os"

	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/robfig/cron/v3"

	"kam/config"
	"kam/domain"
)

// Every job declares everything the CLI, the configuration, the schedule,
// the mail and `kam run all` read of it; a job missing any of it fails here.
func TestRegistryDeclaresEveryPartOfEveryJob(t *testing.T) {
	if len(All()) == 0 {
		t.Fatal("no job registered")
	}
	names, scheduleKeys, recipientKeys, titles := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, j := range All() {
		t.Run(j.Name, func(t *testing.T) {
			for what, v := range map[string]string{"Name": j.Name, "Title": j.Title, "ScheduleKey": j.ScheduleKey,
				"RecipientsKey": j.RecipientsKey, "DefaultSchedule": j.DefaultSchedule, "Share": j.Share, "Period.Example": j.Period.Example} {
				if v == "" {
					t.Errorf("%s is empty", what)
				}
			}
			if j.Run == nil || j.KeyFigure == nil || j.MailPart == nil || j.Period.Parse == nil || j.Period.Label == nil {
				t.Errorf("Run, KeyFigure, MailPart, Period.Parse and Period.Label must all be set")
			}
			if _, err := cron.ParseStandard(j.DefaultSchedule); err != nil {
				t.Errorf("default schedule %q: %v", j.DefaultSchedule, err)
			}
			// The example period parses to itself and is said the readers' way, not as the code.
			if p, err := j.Period.Parse(j.Period.Example, domain.DateOf(2027, 1, 1)); err != nil || p != j.Period.Example {
				t.Errorf("--period %s → %q, %v", j.Period.Example, p, err)
			} else if label := PeriodLabel(j.Name, p); label == p {
				t.Errorf("period %s has no label for its readers", p)
			}
			for _, k := range j.Centres {
				if !slices.ContainsFunc(domain.UnitKinds, func(e domain.Enum[domain.UnitKind]) bool { return e.Code == k }) {
					t.Errorf("centre kind %q is not a unit kind", k)
				}
			}
			for set, v := range map[*map[string]bool]string{&names: j.Name, &scheduleKeys: j.ScheduleKey, &recipientKeys: j.RecipientsKey, &titles: j.Title} {
				if (*set)[v] {
					t.Errorf("%q is declared by two jobs", v)
				}
				(*set)[v] = true
			}
			if got, ok := Lookup(j.Name); !ok || got != j || Title(j.Name) != j.Title {
				t.Errorf("Lookup/Title do not find the job by its name")
			}
		})
	}
}

// The configuration reads each job's keys from the registry: the defaults
// schedule every job, and kam.example.yaml (the documented defaults) names
// exactly the registry's keys with its default schedules.
func TestConfigurationKeysComeFromTheRegistry(t *testing.T) {
	t.Setenv("KAM_DB_DSN", "")
	def := DefaultConfig()
	example, err := config.Load("../../kam.example.yaml", ConfigKeys()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range All() {
		if j.Schedule(def) != j.DefaultSchedule {
			t.Errorf("%s: default config schedules %q, want %q", j.Name, j.Schedule(def), j.DefaultSchedule)
		}
		if j.Schedule(example) != j.DefaultSchedule {
			t.Errorf("%s: kam.example.yaml schedules %q, the registry %q", j.Name, j.Schedule(example), j.DefaultSchedule)
		}
		if _, ok := example.Recipients.Reports[j.RecipientsKey]; !ok {
			t.Errorf("%s: kam.example.yaml has no recipients.%s", j.Name, j.RecipientsKey)
		}
	}
	raw, err := os.ReadFile("../../kam.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schedule, Recipients map[string]any
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, j := range All() {
		if _, ok := doc.Schedule[j.ScheduleKey]; !ok {
			t.Errorf("kam.example.yaml does not write schedule.%s (job %s)", j.ScheduleKey, j.Name)
		}
		if _, ok := doc.Recipients[j.RecipientsKey]; !ok {
			t.Errorf("kam.example.yaml does not write recipients.%s (job %s)", j.RecipientsKey, j.Name)
		}
	}
	if len(example.Schedule.Jobs) != len(All()) || !reflect.DeepEqual(fmt.Sprint(example.Schedule.Jobs), fmt.Sprint(def.Schedule.Jobs)) {
		t.Errorf("schedule: example %v, defaults %v", example.Schedule.Jobs, def.Schedule.Jobs)
	}
}

// Silence when there is nothing (SPEC §5.1): each job's rule mails a unit its
// part only when the part has something for it; grades and splits always go.
func TestEachJobSaysWhenAUnitIsMailedItsPart(t *testing.T) {
	part := func(counts map[string]int64) *UnitPart { return &UnitPart{Counts: counts} }
	for _, c := range []struct {
		job    string
		counts map[string]int64
		mail   bool
	}{
		{"grade", map[string]int64{"graded": 0, "in": 0, "away": 0}, true},
		{"splits", map[string]int64{"lines": 0, "split_fen": 0, "difference_fen": 0}, true},
		{"review-gold", map[string]int64{"customers": 0, "alerts": 0, "lost": 0}, false},
		{"review-gold", map[string]int64{"customers": 3, "alerts": 0, "lost": 0}, true},
		{"roster", map[string]int64{"managers": 4, "handover": 0, "no_b": 0, "same_ab": 0, "concentration": 0, "no_targets": 0}, false},
		{"roster", map[string]int64{"managers": 4, "handover": 0, "no_b": 1, "same_ab": 0, "concentration": 0, "no_targets": 0}, true},
		{"roster", map[string]int64{"managers": 0, "handover": 2, "no_b": 0, "same_ab": 0, "concentration": 0, "no_targets": 0}, true},
		{"tender", map[string]int64{"new": 0, "due_soon": 0, "unconfirmed": 0, "conflicts": 0}, false},
		{"tender", map[string]int64{"new": 0, "due_soon": 0, "unconfirmed": 1, "conflicts": 0}, true},
		{"tender", map[string]int64{"new": 0, "due_soon": 0, "unconfirmed": 0, "conflicts": 1}, true},
		{"tender", map[string]int64{"new": 0, "due_soon": 2, "unconfirmed": 0, "conflicts": 0}, true},
		{"tender", map[string]int64{"new": 1, "due_soon": 0, "unconfirmed": 0, "conflicts": 0}, true},
	} {
		j, _ := Lookup(c.job)
		if got := j.MailPart(part(c.counts)); got != c.mail {
			t.Errorf("%s %v: mailed %v, want %v", c.job, c.counts, got, c.mail)
		}
		// A part that is mailed never has a subject figure of nothing but zeros.
		if fig, _ := j.KeyFigure(c.counts); c.mail && c.job != "grade" && c.job != "splits" && !strings.ContainsAny(fig, "123456789") {
			t.Errorf("%s %v is mailed with the figure %q", c.job, c.counts, fig)
		}
	}
	tender, _ := Lookup("tender")
	if tender.MailShared == nil || tender.MailShared(map[string]int64{"new": 0, "overdue": 5}) || !tender.MailShared(map[string]int64{"new": 1}) {
		t.Error("the public 竞标公告 goes to every unit when, and only when, a claim is newly overdue")
	}
}
