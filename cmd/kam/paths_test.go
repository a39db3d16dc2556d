package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kam/pipeline/core/coretest"
	"kam/store"
)

// kam reports get -o must name a file: a folder (., .., x/) or a name longer
// than a file system takes is a usage error that writes nothing; the longest
// name a file system takes is written (its temporary copy's name is shortened).
func TestReportsGetOutputMustNameAFile(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("KAM_DB_DSN", "")
	if code, out := kam(t, "ingest"); code != 0 { // creates and migrates var/kam.db
		t.Fatalf("ingest: exit %d\n%s", code, out)
	}
	st := openTestStore(t, "var/kam.db")
	ctx := context.Background()
	run, err := st.StartRun(ctx, "grade", "2026Q3", "manual", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ArchiveReport(store.Report{RunID: run, Job: "grade", Period: "2026Q3", FileName: "grades_2026Q3.xlsx"}, strings.NewReader("PK workbook"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	os.Mkdir("out", 0o755)
	bad := []string{".", "..", "out/", "out/..", "out/" + strings.Repeat("x", 300)}
	for _, name := range coretest.BadNames {
		if !strings.ContainsAny(name, "/\\") && name != "" && !strings.ContainsRune(name, 0) {
			bad = append(bad, "out/"+name)
		}
	}
	for _, o := range bad {
		code, _, errOut := kamSplit(t, "reports", "get", "1", "-o", o, "--force")
		if code != 2 || !strings.Contains(errOut, "-o") {
			t.Errorf("-o %.40q: exit %d, want 2\n%s", o, code, errOut)
		}
	}
	if got := dirEntries(t, "out"); len(got) > 0 {
		t.Errorf("wrote %v", got)
	}
	longest := filepath.Join("out", strings.Repeat("长", 80)+"a.xlsx") // 246 bytes
	if code, out, errOut := kamSplit(t, "reports", "get", "1", "-o", longest); code != 0 {
		t.Fatalf("-o a 246-byte name: exit %d\n%s%s", code, out, errOut)
	}
	if b, err := os.ReadFile(longest); err != nil || string(b) != "PK workbook" {
		t.Errorf("the report as written: %q, %v", b, err)
	}
}
