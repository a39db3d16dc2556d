package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kam runs one command line in-process in the current directory and returns its exit status and output.
func kam(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String() + errOut.String()
}

// The acceptance: from an empty folder, with no config file, gen then ingest loads everything.
func TestGenThenIngestFromAnEmptyFolderWithNoConfig(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("KAM_DB_DSN", "")
	// A year of months: grading is cumulative from January and refuses a year with months missing (SPEC §4.6).
	if code, out := kam(t, "gen", "--out", "var/inbox", "--customers", "300", "--months", "12"); code != 0 {
		t.Fatalf("gen: exit %d\n%s", code, out)
	}
	code, out := kam(t, "ingest")
	if code != 0 || !strings.Contains(out, "导入 19 个，退回 0 个") {
		t.Fatalf("ingest: exit %d\n%s", code, out)
	}
	if _, err := os.Stat("var/kam.db"); err != nil {
		t.Errorf("the default store var/kam.db: %v", err)
	}
	if code, out := kam(t, "run", "all"); code != 0 {
		t.Fatalf("run all: exit %d\n%s", code, out)
	}
	for _, pattern := range []string{"grades_*.xlsx", "review-diamond_*.xlsx", "review-gold_*.xlsx", "splits_*.xlsx", "splits_*.csv", "tender_*.xlsx", "roster_*.xlsx"} {
		if m, _ := filepath.Glob(filepath.Join("var/reports", pattern)); len(m) != 1 {
			t.Errorf("var/reports/%s: %v", pattern, m)
		}
	}
}

func TestExitStatusIsTwoForBadUsageAndConfiguration(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("KAM_DB_DSN", "")
	os.WriteFile("bad.yaml", []byte("paths:\n  inbx: x\n"), 0o644)
	cases := map[string][]string{
		"no command":       {},
		"unknown command":  {"frobnicate"},
		"missing config":   {"--config", "nope.yaml", "ingest"},
		"unknown key":      {"--config", "bad.yaml", "ingest"},
		"run without job":  {"run"},
		"unknown job":      {"run", "payroll"},
		"bad quarter":      {"run", "grade", "--period", "2026Q5"},
		"odd gold month":   {"run", "review-gold", "--period", "2026-05"},
		"bad as-of":        {"run", "tender", "--as-of", "2026-02-30"},
		"gen without out":  {"gen"},
		"ingest with args": {"ingest", "now"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			if code, out := kam(t, args...); code != 2 {
				t.Errorf("kam %s: exit %d, want 2\n%s", strings.Join(args, " "), code, out)
			}
		})
	}
}

func TestIngestExitsOneOnlyWhenItCannotWork(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("KAM_DB_DSN", "")
	if code, out := kam(t, "ingest"); code != 0 {
		t.Fatalf("empty inbox: exit %d\n%s", code, out)
	}
	os.WriteFile("var/inbox/junk.txt", []byte("not an extract\n"), 0o644) // whole: a text that ends mid-line would wait for the rest
	if code, out := kam(t, "ingest"); code != 0 || !strings.Contains(out, "退回 1 个") {
		t.Fatalf("a bad file is handled, not a failure: exit %d\n%s", code, out)
	}
	// A processed folder that cannot be created: kam cannot do its work.
	os.WriteFile("blocker", nil, 0o644)
	os.WriteFile("kam.yaml", []byte("paths:\n  processed: blocker/processed\n"), 0o644)
	if code, out := kam(t, "--config", "kam.yaml", "ingest"); code != 1 {
		t.Fatalf("unwritable folder: exit %d, want 1\n%s", code, out)
	}
	// The database is down (nothing listens on port 1).
	t.Setenv("KAM_DB_DSN", "mysql://root@tcp(127.0.0.1:1)/kam")
	if code, out := kam(t, "ingest"); code != 1 {
		t.Fatalf("database down: exit %d, want 1\n%s", code, out)
	}
}
