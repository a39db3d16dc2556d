package config

import (
	"errors"
	"strings"
	"testing"

	"kam/domain"
)

func TestGradeTableValidate(t *testing.T) {
	if err := validateGradeTable(defaultTable(t)); err != nil {
		t.Fatalf("default scheme: %v", err)
	}
	cases := []struct {
		name   string
		change func(*domain.GradeTable)
		key    string
	}{
		{"equal thresholds", func(s *domain.GradeTable) { s.Thresholds[3] = s.Thresholds[2] }, "grading.thresholds"},
		{"rising thresholds", func(s *domain.GradeTable) { s.Thresholds[1] = s.Thresholds[0] + 1 }, "grading.thresholds"},
		{"T8 not zero", func(s *domain.GradeTable) { s.Thresholds[7] = 1 }, "grading.thresholds"},
		{"T8 negative", func(s *domain.GradeTable) { s.Thresholds[7] = -1 }, "grading.thresholds"},
		{"progress zero", func(s *domain.GradeTable) { s.Progress[0] = 0 }, "grading.progress"},
		{"progress flat", func(s *domain.GradeTable) { s.Progress[2] = s.Progress[1] }, "grading.progress"},
		{"progress not ending at 100%", func(s *domain.GradeTable) { s.Progress[3] = 9999 }, "grading.progress"},
		{"progress beyond 100%", func(s *domain.GradeTable) { s.Progress[3] = 10001 }, "grading.progress"},
		{"unknown tier", func(s *domain.GradeTable) { s.Tiers[4] = "铂金" }, "grading.tiers"},
		{"empty tier", func(s *domain.GradeTable) { s.Tiers[7] = "" }, "grading.tiers"},
		{"tiers out of order", func(s *domain.GradeTable) { s.Tiers[2] = domain.Diamond; s.Tiers[1] = domain.Gold }, "grading.tiers"},
	}
	for _, c := range cases {
		s := defaultTable(t)
		c.change(&s)
		err := validateGradeTable(s)
		var ue *domain.Error
		if err == nil || !errors.As(err, &ue) || ue.Kind != domain.EInvalid || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: Validate() = %v; want a configuration error naming %s", c.name, err, c.key)
		}
	}
	// Odd but valid: fewer tiers used, uneven progress.
	s := defaultTable(t)
	s.Tiers = [8]domain.Tier{domain.Diamond, domain.Gold, domain.Gold, domain.Gold, domain.Ordinary, domain.Ordinary, domain.Ordinary, domain.Ordinary}
	s.Progress = [4]domain.Ratio{1, 2, 3, 10000}
	if err := validateGradeTable(s); err != nil {
		t.Errorf("valid scheme rejected: %v", err)
	}
}

func defaultTable(t *testing.T) domain.GradeTable {
	t.Helper()
	g, err := Default(testJobs...).GradeTable()
	if err != nil {
		t.Fatal(err)
	}
	return g
}
