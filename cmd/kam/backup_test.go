package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"kam/store"
)

// kam backup while kam serve writes: the real binaries, a catch-up archiving
// workbooks, a backup taken again and again while it runs. Each exits 0 and
// says how many archived workbooks it checked, and each copy opens as a kam
// database holding exactly that many.
func TestBackupWhileServeWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the kam binary")
	}
	bin := buildKam(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kam.yaml")
	err := os.WriteFile(cfg, []byte(strings.ReplaceAll(`db:
  sqlite_path: DIR/kam.db
paths:
  inbox: DIR/inbox
  processed: DIR/processed
  rejected: DIR/rejected
  reports: DIR/reports
http:
  listen: ""
ingest:
  quiet_period: 0s
schedule:
  ingest: ""
  delivery: ""
  catch_up_months: 3
recipients:
  splits: [finance@example.com]
  review_diamond: [sales@example.com]
log:
  format: json
`, "DIR", dir)), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	kamCmd(t, bin, cfg, "gen", "--out", filepath.Join(dir, "inbox"), "--customers", "2000", "--months", "3")
	kamCmd(t, bin, cfg, "ingest")
	s, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(dir, "kam.db"), Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	running := func() bool {
		var n int
		if err := s.DB().Get(&n, "SELECT COUNT(*) FROM job_runs WHERE outcome = 'running'"); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}

	serve := startServe(t, bin, cfg)
	waitUntil(t, serve, "a catch-up run to start", running)
	checked := regexp.MustCompile(`归档报表 (\d+) 份，逐份核对 SHA-256 无误`)
	during := 0
	for i := 0; i < 20; i++ {
		wasRunning := running()
		out := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
		said := kamCmd(t, bin, cfg, "backup", "-o", out)
		m := checked.FindStringSubmatch(said)
		if m == nil {
			t.Fatalf("kam backup said %q", said)
		}
		c, err := store.Open(context.Background(), store.Options{SQLitePath: out, Log: zerolog.Nop(), ReadOnly: true})
		if err != nil {
			t.Fatalf("the backup does not open as a kam database: %v", err)
		}
		reps, err := c.ListReports(context.Background(), store.ReportFilter{}, 1_000_000)
		c.Close()
		if err != nil || strconv.Itoa(len(reps)) != m[1] {
			t.Errorf("backup %d said it checked %s workbooks; the copy holds %d (%v)", i, m[1], len(reps), err)
		}
		if wasRunning {
			during++
		} else if i >= 2 {
			break
		}
	}
	if during == 0 {
		t.Error("no backup was taken while a run was writing")
	}
	serve.stop(t)
	t.Logf("%d backups taken while a run was writing", during)
}
