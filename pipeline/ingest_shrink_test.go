package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"kam/pipeline/ingest"
	"kam/store"
	"kam/store/storetest"
)

// A revenue file that would cut a stored (month, line) by more than the alert
// share is rejected as 疑似不完整 with its impact; the same bytes in 确认替换/ load.
func TestIngestShrinkGuardRejectsAPartialCorrectionUntilConfirmed(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		base := baselineFiles(t)
		for _, n := range []string{"d_units.csv", "c_managers.csv", "b_customers.csv"} {
			drop(t, a, n, []byte(base[n]))
		}
		var full strings.Builder
		full.WriteString("客户编号,月份,业务种类,收入单位编码,收入金额\n")
		for i := 0; i < 40; i++ {
			fmt.Fprintf(&full, "C001,2026-06,函件,DC,%d.00\n", 100+i)
		}
		full.WriteString("C002,2026-06,包裹,DC,50.00\n")
		drop(t, a, "收入_6月.csv", []byte(full.String()))
		scan(t, a)
		before := snapshotDB(t, s)
		if before["revenue"] != 41 {
			t.Fatalf("stored %v", before)
		}

		correction := []byte("客户编号,月份,业务种类,收入单位编码,收入金额\nC001,2026-06,函件,DC,999.00\n")
		drop(t, a, "收入更正_6月.csv", correction)
		res := scan(t, a)
		fr := res.Files[0]
		if fr.Outcome != ingest.OutcomeRejected || !strings.Contains(fr.Reason, "疑似不完整：2026-06 函件：40 行 ¥4,780.00 → 1 行 ¥999.00") {
			t.Fatalf("result %+v", fr)
		}
		if after := snapshotDB(t, s); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("store changed: %v → %v", before, after)
		}
		if got, _ := os.ReadFile(filepath.Join(a.Cfg.Paths.Rejected, "收入更正_6月.csv")); string(got) != string(correction) {
			t.Errorf("rejected file not kept byte for byte")
		}
		f, err := excelize.OpenFile(fr.ErrorBook)
		if err != nil {
			t.Fatal(err)
		}
		impact, _ := f.GetRows("收入影响")
		f.Close()
		if len(impact) != 2 || strings.Join(impact[1], "|") != "2026-06|函件|40|4,780.00|1|999.00" {
			t.Errorf("impact sheet %q", impact)
		}
		recs, _ := s.LastScanFiles(t.Context())
		im, err := s.FileImpacts(t.Context(), recs[0].ID)
		if err != nil || len(im) != 1 || im[0].RowsBefore != 40 || im[0].RowsAfter != 1 {
			t.Errorf("recorded impact %+v %v", im, err)
		}

		// The same file, confirmed: loads, and says so.
		if err := os.MkdirAll(filepath.Join(a.Cfg.Paths.Inbox, ingest.ConfirmFolder), 0o755); err != nil {
			t.Fatal(err)
		}
		drop(t, a, ingest.ConfirmFolder+"/收入更正_6月.csv", correction)
		res = scan(t, a)
		fr = res.Files[0]
		if fr.Outcome != ingest.OutcomeLoaded || !fr.Confirmed || len(fr.Impacts) != 1 {
			t.Fatalf("confirmed: %+v", fr)
		}
		snap := snapshotDB(t, s)
		if snap["revenue"] != 2 || snap["revenue_sum"] != 99900+5000 {
			t.Errorf("after the confirmed replacement: %v", snap)
		}
		recs, _ = s.LastScanFiles(t.Context())
		if len(recs) != 1 || !recs[0].Confirmed {
			t.Errorf("record %+v", recs)
		}
		im, _ = s.FileImpacts(t.Context(), recs[0].ID)
		if len(im) != 1 || im[0].AmountBefore != 478000 || im[0].AmountAfter != 99900 {
			t.Errorf("recorded impact %+v", im)
		}

		// Growth and small changes pass the guard unconfirmed.
		drop(t, a, "收入_6月_完整.csv", []byte(full.String()+"C001,2026-06,函件,DC,1.00\n"))
		if res = scan(t, a); res.Files[0].Outcome != ingest.OutcomeLoaded {
			t.Errorf("a grown file: %+v", res.Files[0])
		}
	})
}
