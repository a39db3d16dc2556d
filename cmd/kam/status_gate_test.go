package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// status shows what the input gate did: a shrinking revenue file's impact
// (rejected, then loaded from 确认替换/) and what kam will not read.
func TestStatusShowsImpactAndUnreadFiles(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("KAM_DB_DSN", "")
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if code, out := kam(t, "gen", "--out", "var/inbox", "--customers", "60", "--months", "2", "--seed", "2"); code != 0 {
		t.Fatalf("gen: %s", out)
	}
	if code, out := kam(t, "ingest"); code != 0 {
		t.Fatalf("ingest: %s", out)
	}
	files, _ := filepath.Glob("var/processed/revenue_*.csv")
	body, err := os.ReadFile(files[0])
	must(err)
	part := strings.Join(strings.SplitAfter(string(body), "\n")[:3], "")
	must(os.WriteFile("var/inbox/收入更正.csv", []byte(part), 0o644))
	must(os.MkdirAll("var/inbox/确认替换", 0o755))
	must(os.WriteFile("var/inbox/确认替换/收入更正（确认）.csv", []byte(part), 0o644))
	must(os.WriteFile("var/inbox/.草稿.csv", []byte(part), 0o644))
	if code, out := kam(t, "ingest"); code != 0 {
		t.Fatalf("ingest: %s", out)
	}
	code, out := kam(t, "status")
	if code != 0 {
		t.Fatalf("status: %s", out)
	}
	for _, want := range []string{"收入更正.csv 收入变化（未导入", "收入更正（确认）.csv（确认替换） 收入变化", "未处理的文件", ".草稿.csv", "隐藏文件"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}
