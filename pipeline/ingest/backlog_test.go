package ingest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"kam/config"
	"kam/pipeline/core"
)

// The inbox backlog counts what a scan would meet: its own files and its
// folders' one level down, not Excel's lock files, partial copies or kam's own folders.
func TestInboxBacklog(t *testing.T) {
	dir := t.TempDir()
	inbox := filepath.Join(dir, "inbox")
	a := &core.App{Cfg: config.Config{Paths: config.Paths{Inbox: inbox, Processed: filepath.Join(inbox, "processed"),
		Rejected: filepath.Join(dir, "rejected"), Reports: filepath.Join(dir, "reports")}}}
	// An inbox the first scan has not made yet holds nothing; one that cannot be read fails, as the scan does.
	if b, err := InboxBacklog(a); err != nil || b.Files != 0 {
		t.Errorf("a missing inbox: %+v, %v; want nothing waiting", b, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notadir"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	a.Cfg.Paths.Inbox = filepath.Join(dir, "notadir")
	if b, err := InboxBacklog(a); err == nil {
		t.Errorf("an inbox that is a file: %+v, want an error", b)
	}
	a.Cfg.Paths.Inbox = inbox
	old := time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)
	for name, mtime := range map[string]time.Time{
		"a.csv": old.Add(time.Hour), "D1/b.xlsx": old, "确认替换/c.csv": old.Add(2 * time.Hour), "D1/deeper/d.csv": old.Add(-time.Hour),
		"~$a.xlsx": old.Add(-time.Hour), "e.csv.part": old.Add(-time.Hour), "processed/f.csv": old.Add(-time.Hour),
	} {
		p := filepath.Join(inbox, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	b, err := InboxBacklog(a)
	if err != nil {
		t.Fatal(err)
	}
	if b.Files != 3 || !b.Oldest.Equal(old) {
		t.Errorf("backlog %d files, oldest %v; want 3, %v", b.Files, b.Oldest, old)
	}
}
