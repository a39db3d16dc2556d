package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kam/pipeline/ingest"
	"kam/store"
	"kam/store/storetest"
)

// A file that cannot be handled is rejected with a reason, a record and an
// error workbook, and the files after it in the scan still load.
func TestIngestFailingFilesNeverStopTheScan(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		a.Cfg.Ingest.MaxFileMB = 1
		base := baselineFiles(t)
		drop(t, a, "d_units.csv", []byte(base["d_units.csv"]))
		drop(t, a, "c_managers.csv", []byte(base["c_managers.csv"]))
		scan(t, a)

		longName := strings.Repeat("长", 80) + "ab.csv" // 246 bytes: no room left for ".errors.xlsx"
		drop(t, a, longName, []byte("这不是表格\n"))
		drop(t, a, "big.csv", []byte("工号,姓名,所属单位编码,状态\n"+strings.Repeat("M009,王五,DC,在职\n", 80000)))
		drop(t, a, "a_targets_too_long.csv", []byte("工号,目标月份,客户编号,客户名称,项目\nM001,2026-07,,某公司,"+strings.Repeat("项", 501)+"\n"))
		drop(t, a, "b_targets_300.csv", []byte("工号,目标月份,客户编号,客户名称,项目\nM001,2026-07,,某公司,"+strings.Repeat("项", 300)+"\n"))
		drop(t, a, "z_customers.csv", []byte(base["b_customers.csv"]))
		res := scan(t, a)

		got := map[string]ingest.FileResult{}
		for _, f := range res.Files {
			got[f.Name] = f
		}
		for name, want := range map[string]struct{ outcome, reason string }{
			longName:                 {ingest.OutcomeRejected, "无法识别文件类型"},
			"big.csv":                {ingest.OutcomeRejected, "超过 1 MB 的上限"},
			"a_targets_too_long.csv": {ingest.OutcomeRejected, ""},
			"b_targets_300.csv":      {ingest.OutcomeLoaded, ""},
			"z_customers.csv":        {ingest.OutcomeLoaded, ""},
		} {
			f, ok := got[name]
			if !ok || f.Outcome != want.outcome || !strings.Contains(f.Reason, want.reason) {
				t.Errorf("%.40s: %+v, want %s «%s»", name, f, want.outcome, want.reason)
				continue
			}
			if f.Outcome == ingest.OutcomeRejected {
				if _, err := os.Stat(filepath.Join(a.Cfg.Paths.Rejected, name)); err != nil {
					t.Errorf("%.40s not in rejected/: %v", name, err)
				}
				if _, err := os.Stat(f.ErrorBook); err != nil || f.ErrorBook == "" {
					t.Errorf("%.40s: no error workbook (%q): %v", name, f.ErrorBook, err)
				}
			}
		}
		if b := filepath.Base(got[longName].ErrorBook); len(b) > 255 || !strings.HasSuffix(b, "….errors.xlsx") {
			t.Errorf("long name's error workbook %q (%d bytes)", b, len(b))
		}
		recs, err := s.LastScanFiles(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 5 {
			t.Errorf("recorded %d files of 5", len(recs))
		}
		if snap := snapshotDB(t, s); snap["customers"] != 2 || snap["targets"] != 1 || snap["managers"] != 2 {
			t.Errorf("stored %v", snap)
		}
	})
}
