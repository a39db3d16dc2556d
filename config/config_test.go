package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kam/domain"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kam.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// testJobs are kam's job keys as kam.example.yaml writes them (package jobs'
// registry declares the real ones and checks the example file against them).
var testJobs = []JobKeys{
	{Schedule: "tender", Recipients: "tender", DefaultSchedule: "30 7 * * *"},
	{Schedule: "grade", Recipients: "grades", DefaultSchedule: "0 3 10 1,4,7,10 *"},
	{Schedule: "review_diamond", Recipients: "review_diamond", DefaultSchedule: "0 4 8 * *"},
	{Schedule: "review_gold", Recipients: "review_gold", DefaultSchedule: "30 4 8 1,3,5,7,9,11 *"},
	{Schedule: "splits", Recipients: "splits", DefaultSchedule: "0 5 6 * *"},
	{Schedule: "roster", Recipients: "roster", DefaultSchedule: "0 6 25 * *"},
	{Schedule: "maintenance", Recipients: "maintenance", DefaultSchedule: "40 7 * * 1"},
}

func TestNoFileGivesValidDefaults(t *testing.T) {
	t.Setenv("KAM_DB_DSN", "")
	cfg, err := Load("", testJobs...)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DB.SQLitePath != "var/kam.db" || cfg.Paths.Inbox != "var/inbox" || cfg.Paths.Reports != "var/reports" {
		t.Errorf("defaults: %+v %+v", cfg.DB, cfg.Paths)
	}
	table, err := cfg.GradeTable()
	if err != nil {
		t.Fatal(err)
	}
	// SPEC §4.1's default table, in yuan.
	const yuan = 100
	want := domain.GradeTable{
		Thresholds: [8]domain.Money{5_000_000 * yuan, 1_000_000 * yuan, 600_000 * yuan, 300_000 * yuan, 150_000 * yuan, 80_000 * yuan, 30_000 * yuan, 0},
		Progress:   [4]domain.Ratio{2500, 5000, 7500, 10000},
		Tiers:      [8]domain.Tier{domain.Diamond, domain.Diamond, domain.Gold, domain.Gold, domain.Silver, domain.Silver, domain.Ordinary, domain.Ordinary},
	}
	if table != want {
		t.Errorf("default grading %+v, want SPEC §4.1's %+v", table, want)
	}
}

// The documented example must be exactly the defaults, so the two cannot drift.
func TestExampleFileIsTheDefaults(t *testing.T) {
	t.Setenv("KAM_DB_DSN", "")
	got, err := Load("../kam.example.yaml", testJobs...)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Load("", testJobs...)
	got.loc, want.loc = nil, nil // two loads of one zone are equal, not identical
	// Printed, not DeepEqual: `[]` in YAML is an empty slice where the default has nil.
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("kam.example.yaml differs from Default():\n got %+v\nwant %+v", got, want)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	t.Setenv("KAM_DB_DSN", "mysql://u:p@tcp(db:3306)/kam")
	t.Setenv("KAM_SMTP_PASSWORD", "s3cret")
	cfg, err := Load(writeConfig(t, "db:\n  dsn: mysql://other@tcp(x:3306)/y\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DB.DSN != "mysql://u:p@tcp(db:3306)/kam" || cfg.SMTP.Password != "s3cret" {
		t.Errorf("env not applied: dsn %q password %q", cfg.DB.DSN, cfg.SMTP.Password)
	}
}

func TestBadConfigIsUsageErrorNamingTheKey(t *testing.T) {
	t.Setenv("KAM_DB_DSN", "")
	cases := map[string]struct{ body, key string }{
		"unknown key":            {"paths:\n  inbx: x\n", "inbx"},
		"unknown zone":           {"timezone: Mars/Base\n", "timezone"},
		"thresholds not desc":    {"grading:\n  thresholds: [5000000, 1000000, 1000000, 300000, 150000, 80000, 30000, 0]\n", "grading.thresholds"},
		"T8 not zero":            {"grading:\n  thresholds: [5000000, 1000000, 600000, 300000, 150000, 80000, 30000, 10]\n", "grading.thresholds"},
		"seven thresholds":       {"grading:\n  thresholds: [5000000, 1000000, 600000, 300000, 150000, 80000, 0]\n", "grading.thresholds"},
		"progress not to 100":    {"grading:\n  progress: [25, 50, 75, 90]\n", "grading.progress"},
		"progress not rising":    {"grading:\n  progress: [25, 25, 75, 100]\n", "grading.progress"},
		"unknown tier":           {"grading:\n  tiers: [钻石, 钻石, 黄金, 黄金, 白银, 白银, 普通, 青铜]\n", "grading.tiers"},
		"bad tls":                {"smtp:\n  tls: maybe\n", "smtp.tls"},
		"bad duration":           {"ingest:\n  quiet_period: soon\n", "quiet_period"},
		"duplicate line":         {"business_lines: [函件, 函件]\n", "business_lines"},
		"targets day too late":   {"roster:\n  targets_due_day: 31\n", "roster.targets_due_day"},
		"gap of an unknown tier": {"maintenance:\n  max_gap_days:\n    铂金: 10\n", "maintenance.max_gap_days"},
		"negative gap":           {"maintenance:\n  max_gap_days:\n    钻石: -1\n", "maintenance.max_gap_days.钻石"},
		"unknown visit kind":     {"maintenance:\n  counted_kinds: [上门拜访, 吃饭]\n", "maintenance.counted_kinds"},
		"no counted kind":        {"maintenance:\n  counted_kinds: []\n", "maintenance.counted_kinds"},
		"remind days negative":   {"maintenance:\n  remind_days: -2\n", "maintenance.remind_days"},
		"unknown archive field":  {"archive:\n  required: [通信地址, 传真]\n", "archive.required"},
		"archive field twice":    {"archive:\n  required: [联系电话, 联系电话]\n", "archive.required"},
		"unit code with a space": {"recipients:\n  units:\n    ZQ 14: [zq14@dg.cn]\n", "recipients.units.ZQ 14"},
		"cyrillic unit code":     {"recipients:\n  units:\n    КН01: [kh01@dg.cn]\n", "recipients.units.КН01"},
		"one unit twice":         {"recipients:\n  units:\n    ZQ14: [a@dg.cn]\n    zq14: [b@dg.cn]\n", "ZQ14"},
		"bad unit mailbox":       {"recipients:\n  units:\n    zq14: [not-an-address]\n", "recipients.units.zq14"},
		"bad digest window":      {"mail:\n  digest_at: \"8:30 daily\"\n", "mail.digest_at"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(writeConfig(t, tc.body), testJobs...)
			var ue *domain.Error
			if !errors.As(err, &ue) || ue.Kind != domain.EInvalid {
				t.Fatalf("err = %v, want a usage error (exit 2)", err)
			}
			if !strings.Contains(ue.Msg, tc.key) {
				t.Errorf("message %q does not name %q", ue.Msg, tc.key)
			}
		})
	}
}

func TestEmptyFileMeansDefaults(t *testing.T) {
	t.Setenv("KAM_DB_DSN", "")
	if _, err := Load(writeConfig(t, ""), testJobs...); err != nil {
		t.Fatal(err)
	}
}

// recipients.units keys are unit codes in the store's normal form (SPEC §3.3): zq14 and ＺＱ１５ are ZQ14 and ZQ15.
func TestRecipientsUnitsAreReadAsUnitCodes(t *testing.T) {
	t.Setenv("KAM_DB_DSN", "")
	cfg, err := Load(writeConfig(t, "recipients:\n  units:\n    zq14: [zq14@dg.cn]\n    ＺＱ１５: [zq15@dg.cn]\n    DC: [dc@dg.cn]\n"), testJobs...)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"ZQ14": {"zq14@dg.cn"}, "ZQ15": {"zq15@dg.cn"}, "DC": {"dc@dg.cn"}}
	if fmt.Sprint(cfg.Recipients.Units) != fmt.Sprint(want) {
		t.Errorf("recipients.units = %v; want %v", cfg.Recipients.Units, want)
	}
	// Validating again changes nothing: the keys are already in normal form.
	if err := cfg.Validate(); err != nil || fmt.Sprint(cfg.Recipients.Units) != fmt.Sprint(want) {
		t.Errorf("validated twice: %v, %v", cfg.Recipients.Units, err)
	}
}

// Report mails wait for the next window in the configured zone; an empty mail.digest_at holds nothing.
func TestNextDigest(t *testing.T) {
	t.Setenv("KAM_DB_DSN", "")
	cfg, err := Load(writeConfig(t, "mail:\n  digest_at: \"30 8 * * 1-5\"\n"), testJobs...)
	if err != nil {
		t.Fatal(err)
	}
	shanghai := cfg.Location()
	for _, tc := range []struct{ at, want time.Time }{
		{time.Date(2026, 12, 8, 7, 30, 0, 0, shanghai), time.Date(2026, 12, 8, 8, 30, 0, 0, shanghai)},
		{time.Date(2026, 12, 8, 8, 30, 0, 0, shanghai), time.Date(2026, 12, 9, 8, 30, 0, 0, shanghai)},  // at the window: the next one
		{time.Date(2026, 12, 11, 9, 0, 0, 0, shanghai), time.Date(2026, 12, 14, 8, 30, 0, 0, shanghai)}, // Friday after: Monday
		{time.Date(2026, 12, 8, 0, 10, 0, 0, time.UTC), time.Date(2026, 12, 8, 8, 30, 0, 0, shanghai)},  // 08:10 in Shanghai
	} {
		if got := cfg.NextDigest(tc.at); !got.Equal(tc.want) {
			t.Errorf("after %s: %s, want %s", tc.at, got, tc.want)
		}
	}
	cfg.Mail.DigestAt = ""
	if got := cfg.NextDigest(time.Date(2026, 12, 8, 7, 30, 0, 0, shanghai)); !got.IsZero() {
		t.Errorf("digests off: window %s, want none", got)
	}
}
