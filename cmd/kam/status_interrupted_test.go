package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"kam/store"
)

// A run left running by a kam that was killed is listed by `kam status` as 中断, with its rerun command.
func TestStatusListsInterruptedRunsWithTheirRerun(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("KAM_DB_DSN", "")
	st, err := store.Open(context.Background(), store.Options{SQLitePath: "var/kam.db", Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.StartRun(context.Background(), "grade", "2026Q2", "manual", time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	st.Close() // the kam that ran it is gone: nothing holds the run's lock

	code, out := kam(t, "status")
	if code != 0 {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	_, failed, _ := strings.Cut(out, "失败或中断、尚未重跑成功的运行")
	failed, _, _ = strings.Cut(failed, "最近一次扫描")
	if !strings.Contains(failed, "中断") || !strings.Contains(failed, "kam run grade --period 2026Q2") {
		t.Errorf("status does not list the interrupted run with its rerun:\n%s", out)
	}
	if strings.Contains(out, "运行中") {
		t.Errorf("the interrupted run still shows as running:\n%s", out)
	}
}
