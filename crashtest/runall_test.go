package crashtest

import (
	"bytes"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// Two `kam run all` at once on one SQLite database: one runs every job, the
// other exits 1 at once saying so, having run nothing; each report is archived once.
func TestTwoRunAllAtOnce(t *testing.T) {
	h := newHarness(t, "")
	e := h.newEnv("twice")
	for _, p := range []string{"migrate", "ingest"} {
		if out, err := h.command(e, p).CombinedOutput(); err != nil {
			t.Fatalf("kam %s: %v\n%s", p, err, out)
		}
	}
	var wg sync.WaitGroup
	outs := make([]bytes.Buffer, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			cmd := h.command(e, "run")
			cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
			errs[i] = cmd.Run()
		})
	}
	wg.Wait()
	busy := 0
	for i := range 2 {
		if strings.Contains(outs[i].String(), "另一个 kam run all 正在运行") {
			busy++
			if ee, ok := errs[i].(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Errorf("the refused run all exited %v", errs[i])
			}
			if strings.Contains(outs[i].String(), "完成") {
				t.Errorf("the refused run all ran jobs:\n%s", outs[i].String())
			}
		}
	}
	if busy != 1 {
		t.Errorf("%d of the two run all were refused as busy:\n%s\n---\n%s", busy, outs[0].String(), outs[1].String())
	}
	db := h.open(e)
	defer db.Close()
	var dup, total int
	must(t, db.QueryRow(`SELECT COUNT(*) FROM (SELECT job, period, file_name FROM reports GROUP BY job, period, file_name HAVING COUNT(*) > 1)`).Scan(&dup))
	must(t, db.QueryRow(`SELECT COUNT(*) FROM reports`).Scan(&total))
	if dup != 0 || total == 0 {
		t.Errorf("%d reports archived, %d of them more than once", total, dup)
	}
}
