package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"kam/store"
)

// buildKam compiles the command into a temp dir.
func buildKam(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kam")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// kamCmd runs the binary with the test's config and returns its stdout, failing on a non-zero exit.
func kamCmd(t *testing.T, bin, cfg string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, append([]string{"--config", cfg}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kam %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// serveRun is one `kam serve` process.
type serveRun struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
}

func startServe(t *testing.T, bin, cfg string) *serveRun {
	t.Helper()
	p := &serveRun{cmd: exec.Command(bin, "--config", cfg, "serve")}
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	return p
}

// stop sends SIGTERM and expects exit status 0 within ten seconds.
func (p *serveRun) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("kam serve exited with %v after SIGTERM\n%s", err, p.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("kam serve did not stop on SIGTERM\n%s", p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "kam serve 已停止") {
		t.Errorf("no clean stop in the log:\n%s", p.stderr.String())
	}
}

// runsOf lists "trigger outcome" of every run of job, oldest first.
func runsOf(t *testing.T, s *store.Store, job string) []string {
	t.Helper()
	var out []string
	if err := s.DB().Select(&out, "SELECT triggered_by || ' ' || outcome FROM job_runs WHERE job = ? ORDER BY id", job); err != nil {
		t.Fatal(err)
	}
	return out
}

func waitUntil(t *testing.T, p *serveRun, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s\n%s", what, p.stderr.String())
}

// `kam serve` started by hand on a fresh install catches up the latest splits period; SIGTERM mid-job
// with no grace aborts the run (exit 0, nothing archived); the next start completes it, and the
// archived workbook comes back byte for byte.
func TestServeProcessStopsOnSIGTERMAndTheNextStartCompletes(t *testing.T) {
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
  listen: 127.0.0.1:0
ingest:
  quiet_period: 0s
schedule:
  ingest: ""
  tender: ""
  grade: ""
  review_diamond: ""
  review_gold: ""
  splits: "0 5 6 * *"
  roster: ""
  delivery: ""
  shutdown_grace: 0s
recipients:
  splits: [finance@example.com]
log:
  format: json
`, "DIR", dir)), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	kamCmd(t, bin, cfg, "gen", "--out", filepath.Join(dir, "inbox"), "--customers", "5000", "--months", "3")
	kamCmd(t, bin, cfg, "ingest")
	s, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(dir, "kam.db"), Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	first := startServe(t, bin, cfg)
	waitUntil(t, first, "the splits run to start", func() bool { return len(runsOf(t, s, "splits")) == 1 })
	first.stop(t)
	if got := runsOf(t, s, "splits"); len(got) != 1 || got[0] != "catch-up failed" {
		t.Fatalf("after SIGTERM mid-job: runs %v\n%s", got, first.stderr.String())
	}
	runs, _ := s.RecentRuns(context.Background(), 1)
	if !strings.Contains(runs[0].Error, "中止") {
		t.Errorf("aborted run's error: %q", runs[0].Error)
	}
	if reps, _ := s.ListReports(context.Background(), store.ReportFilter{}, 10); len(reps) != 0 {
		t.Errorf("the aborted run archived %d reports", len(reps))
	}

	second := startServe(t, bin, cfg)
	waitUntil(t, second, "the splits run to succeed", func() bool {
		return len(runsOf(t, s, "splits")) == 2 && runsOf(t, s, "splits")[1] != "catch-up running"
	})
	second.stop(t)
	if got := runsOf(t, s, "splits"); got[1] != "catch-up succeeded" {
		t.Fatalf("after the restart: runs %v\n%s", got, second.stderr.String())
	}

	reps, err := s.ListReports(context.Background(), store.ReportFilter{Job: "splits", CityOnly: true}, 10)
	if err != nil || len(reps) != 2 {
		t.Fatalf("archived %+v %v", reps, err)
	}
	list := kamCmd(t, bin, cfg, "reports", "list", "--job", "splits", "--city")
	for _, r := range reps {
		if !strings.Contains(list, r.FileName) {
			t.Errorf("reports list lacks %s:\n%s", r.FileName, list)
		}
		out := filepath.Join(dir, "got-"+r.FileName)
		kamCmd(t, bin, cfg, "reports", "get", strconv.FormatInt(r.ID, 10), "-o", out)
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		published, err := os.ReadFile(filepath.Join(dir, "reports", r.FileName))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, published) {
			t.Errorf("kam reports get %d differs from the published %s", r.ID, r.FileName)
		}
	}
	// The city's mail, and one statement per unit with a mailbox.
	units, err := s.ListReports(context.Background(), store.ReportFilter{Job: "splits"}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	unitList := kamCmd(t, bin, cfg, "reports", "list", "--unit", units[0].Unit)
	if units[0].Unit == "" || !strings.Contains(unitList, units[0].FileName) || strings.Contains(unitList, "splits_2026-11.xlsx") {
		t.Errorf("reports list --unit %s:\n%s", units[0].Unit, unitList)
	}
	// The statements wait for mail.digest_at's window (待汇总), counted with it.
	status := kamCmd(t, bin, cfg, "status")
	for _, want := range []string{"最近的运行", "收入分成", "补跑", "成功", "失败", fmt.Sprintf("待汇总 %d 封（", len(units)-1), "未配置 smtp.host", "最近一次扫描", "0 5 6 * *"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
}

func TestReportsGetUnknownIDIsAUsageError(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KAM_DB_DSN", "")
	cfg := filepath.Join(dir, "kam.yaml")
	if err := os.WriteFile(cfg, []byte("db:\n  sqlite_path: "+filepath.Join(dir, "kam.db")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--config", cfg, "reports", "get", "42", "-o", filepath.Join(dir, "x.xlsx")}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "没有编号为 42 的报表") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "x.xlsx")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file was written for a missing report: %v", err)
	}
}
