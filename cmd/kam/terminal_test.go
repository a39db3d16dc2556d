package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// terminalKit is a kam binary built for the test and an installation whose
// inbox holds generated data (kam gen --customers 200 --months 2).
type terminalKit struct {
	bin, config, inbox string
}

func newTerminalKit(t *testing.T) terminalKit {
	t.Helper()
	dir := t.TempDir()
	k := terminalKit{bin: filepath.Join(dir, "kam"), config: filepath.Join(dir, "kam.yaml"), inbox: filepath.Join(dir, "inbox")}
	if out, err := exec.Command("go", "build", "-o", k.bin, "kam/cmd/kam").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if out, err := exec.Command(k.bin, "gen", "--out", k.inbox, "--customers", "200", "--months", "2", "--end", "2026-10").CombinedOutput(); err != nil {
		t.Fatalf("kam gen: %v\n%s", err, out)
	}
	cfg := fmt.Sprintf(`timezone: Asia/Shanghai
db:
  sqlite_path: %[1]s/kam.db
paths:
  inbox: %[1]s/inbox
  processed: %[1]s/processed
  rejected: %[1]s/rejected
  reports: %[1]s/reports
ingest:
  quiet_period: 0s
log:
  format: auto
  level: info
`, dir)
	if err := os.WriteFile(k.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return k
}

func (k terminalKit) command(args ...string) *exec.Cmd {
	return exec.Command(k.bin, append([]string{"--config", k.config}, args...)...)
}

var (
	ansiCode   = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)
	logStamp   = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d`)
	logLevel   = regexp.MustCompile(`\b(INF|WRN|ERR|DBG|FTL)\b`)
	barCount   = regexp.MustCompile(`(\d+)/约(\d+) 行\s+(\d+)%\s+(\d+) 行/s\s+剩余 \S+`)
	resultLine = regexp.MustCompile(`^(已导入|已退回|重复|等待)\s+(\S+)`)
)

// screenSegments splits terminal output into what each carriage return or
// newline starts, escape codes removed: a progress bar redrawn in place is
// one segment per drawing, and a log line written into a bar would share its segment.
func screenSegments(out string) []string {
	var segs []string
	for _, line := range strings.Split(out, "\n") {
		for _, s := range strings.Split(line, "\r") {
			if s = strings.TrimSpace(ansiCode.ReplaceAllString(s, "")); s != "" {
				segs = append(segs, s)
			}
		}
	}
	return segs
}

// On a terminal kam ingest shows each file's bar with its true count, never a
// log line inside a bar, and each file's result once.
func TestIngestOnTerminal(t *testing.T) {
	k := newTerminalKit(t)
	csvs, _ := filepath.Glob(filepath.Join(k.inbox, "revenue_*.csv"))
	if len(csvs) == 0 {
		t.Fatal("kam gen wrote no revenue CSV")
	}
	rows := map[string]int{}
	for _, p := range csvs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rows[filepath.Base(p)] = bytes.Count(b, []byte("\n")) - 1 // header
	}
	files, _ := os.ReadDir(k.inbox)

	cmd := k.command("ingest")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(&out, tty)
		done <- err
	}()
	waitErr := cmd.Wait()
	select {
	case <-done: // EIO once the child has gone: the end of its output
	case <-time.After(10 * time.Second):
		t.Fatal("terminal output did not end")
	}
	if waitErr != nil {
		t.Fatalf("kam ingest: %v\n%s", waitErr, out.String())
	}
	segs := screenSegments(out.String())

	bars, results := 0, map[string]int{}
	for _, s := range segs {
		if strings.Contains(s, "行/s") {
			bars++
			if logStamp.MatchString(s) || logLevel.MatchString(s) || resultLine.MatchString(s) {
				t.Errorf("a log line inside a progress bar: %q", s)
			}
			if strings.Contains(s, "/-") || strings.Contains(s, "/-1") {
				t.Errorf("bar without a total: %q", s)
			}
			if m := barCount.FindStringSubmatch(s); m != nil {
				done, _ := strconv.Atoi(m[1])
				total, _ := strconv.Atoi(m[2])
				rate, _ := strconv.Atoi(m[4])
				name := strings.Fields(s)[0]
				if want, ok := rows[name]; ok && (total != want || done > total) {
					t.Errorf("bar of %s shows %d/约%d, the file holds %d rows: %q", name, done, total, want, s)
				}
				if rate <= 0 || rate > 1e8 {
					t.Errorf("bar rate %d 行/s is not a rate: %q", rate, s)
				}
			}
			continue
		}
		if m := resultLine.FindStringSubmatch(s); m != nil {
			results[m[2]]++
		}
		if strings.Contains(s, "文件已导入") || strings.Contains(s, "文件被退回") {
			t.Errorf("a result logged beside the summary: %q", s)
		}
	}
	if bars == 0 {
		t.Errorf("no progress bar drawn on the terminal:\n%q", out.String())
	}
	sawCSVBar := false
	for _, s := range segs {
		if barCount.MatchString(s) {
			sawCSVBar = true
		}
	}
	if !sawCSVBar {
		t.Errorf("no CSV bar with a count, estimated total, percent, rate and time left:\n%q", out.String())
	}
	for _, f := range files {
		if n := results[f.Name()]; n != 1 {
			t.Errorf("%s: %d result lines, want exactly 1\n%s", f.Name(), n, strings.Join(segs, "\n"))
		}
	}
	if t.Failed() {
		t.Logf("terminal output:\n%q", out.String())
	}
}

// On a pipe stdout carries the human summary only and stderr JSON lines only,
// timestamps in the configured zone with its offset and durations with units.
func TestIngestOnPipe(t *testing.T) {
	k := newTerminalKit(t)
	var stdout, stderr bytes.Buffer

	migrate := k.command("migrate")
	migrate.Stdout, migrate.Stderr = &stdout, &stderr
	if err := migrate.Run(); err != nil {
		t.Fatalf("kam migrate: %v\n%s", err, stderr.String())
	}
	if !regexp.MustCompile(`^已应用 \d+ 个迁移（00001 … \d{5}），数据库结构已是最新（sqlite）\n$`).MatchString(stdout.String()) {
		t.Errorf("migrate on a fresh database said %q", stdout.String())
	}
	stdout.Reset()
	migrate = k.command("migrate")
	migrate.Stdout, migrate.Stderr = &stdout, &stderr
	if err := migrate.Run(); err != nil {
		t.Fatal(err)
	}
	if got := stdout.String(); got != "数据库已是最新结构，没有需要应用的迁移（sqlite）\n" {
		t.Errorf("migrate with nothing pending said %q", got)
	}

	stdout.Reset()
	stderr.Reset()
	ingest := k.command("ingest")
	ingest.Stdout, ingest.Stderr = &stdout, &stderr
	if err := ingest.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
		t.Fatalf("kam ingest: %v\n%s", err, stderr.String())
	}
	files, _ := os.ReadDir(k.inbox)
	results := map[string]int{}
	for _, line := range strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "{") || json.Valid([]byte(line)) {
			t.Errorf("JSON on stdout: %q", line)
		}
		if m := resultLine.FindStringSubmatch(line); m != nil {
			results[m[2]]++
		}
	}
	for _, f := range files {
		if results[f.Name()] != 1 {
			t.Errorf("%s: %d result lines on stdout, want 1\n%s", f.Name(), results[f.Name()], stdout.String())
		}
	}
	durations, loaded := 0, 0
	for _, line := range strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Errorf("stderr line is not JSON: %q", line)
			continue
		}
		ts, _ := ev["time"].(string)
		if !strings.HasSuffix(ts, "+08:00") {
			t.Errorf("time %q is not in Asia/Shanghai with its offset: %s", ts, line)
		}
		for _, key := range []string{"duration", "took"} {
			if v, ok := ev[key]; ok {
				s, isStr := v.(string)
				if _, err := time.ParseDuration(s); !isStr || err != nil {
					t.Errorf("%s %v has no unit: %s", key, v, line)
				}
				durations++
			}
		}
		if ev["message"] == "文件已导入" {
			loaded++
		}
	}
	if durations == 0 || loaded == 0 {
		t.Errorf("stderr logged %d durations and %d loaded files:\n%s", durations, loaded, stderr.String())
	}
}
