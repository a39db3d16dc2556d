package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"kam/config"
	"kam/pipeline/core"
	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// The line kam ingest prints for a rejected file names the error workbook
// that scan wrote: a file moved back from rejected/ and rejected again names
// its " (2)" workbook, not the first rejection's. On both stores.
func TestIngestLineNamesTheErrorWorkbookWritten(t *testing.T) {
	for _, db := range []string{store.SQLite, store.MySQL} {
		t.Run(db, func(t *testing.T) {
			dsn := ""
			if db == store.MySQL {
				dsn = "mysql://" + storetest.NewMySQLDatabase(t)
			}
			t.Chdir(t.TempDir())
			t.Setenv("KAM_DB_DSN", dsn)
			if code, out := kam(t, "ingest"); code != 0 {
				t.Fatalf("ingest: exit %d\n%s", code, out)
			}
			os.WriteFile("var/inbox/fix_me.csv", []byte("甲,乙\n1,2\n"), 0o644)
			first := filepath.Join("var", "rejected", "fix_me.csv.errors.xlsx")
			if code, out := kam(t, "ingest"); code != 0 || !strings.Contains(out, "，见 "+first+"\n") {
				t.Fatalf("first rejection: exit %d, want a line naming %s\n%s", code, first, out)
			}
			if err := os.Rename("var/rejected/fix_me.csv", "var/inbox/fix_me.csv"); err != nil {
				t.Fatal(err)
			}
			second := filepath.Join("var", "rejected", "fix_me.csv (2).errors.xlsx")
			code, out := kam(t, "ingest")
			if code != 0 || !strings.Contains(out, "，见 "+second+"\n") || strings.Contains(out, first) {
				t.Errorf("second rejection: exit %d, want a line naming %s alone\n%s", code, second, out)
			}
			if _, err := os.Stat(second); err != nil {
				t.Errorf("the workbook named: %v", err)
			}
		})
	}
}

// An error workbook that could not be written is named on no line: the line
// gives the reason instead.
func TestIngestLineNamesNoErrorWorkbookWhenNoneWasWritten(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		cfg := jobs.DefaultConfig()
		cfg.Paths = config.Paths{Inbox: filepath.Join(dir, "inbox"), Processed: filepath.Join(dir, "processed"),
			Rejected: filepath.Join(dir, "rejected"), Reports: filepath.Join(dir, "reports")}
		cfg.Ingest.QuietPeriod = config.Duration{}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		a := &core.App{Cfg: cfg, Store: s, Log: zerolog.Nop(), Now: func() time.Time { return time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC) },
			FailErrorBook: func(string) error { return &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC} }}
		os.MkdirAll(cfg.Paths.Inbox, 0o755)
		os.WriteFile(filepath.Join(cfg.Paths.Inbox, "fix_me.csv"), []byte("甲,乙\n1,2\n"), 0o644)
		res, err := ingest.Scan(t.Context(), a)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		printScan(&out, res)
		if line := out.String(); !strings.Contains(line, "已退回") || strings.Contains(line, ".errors.xlsx") || !strings.Contains(line, "错误明细无法写出") {
			t.Errorf("line %q: want the reason the workbook was not written and no workbook named", line)
		}
	})
}
