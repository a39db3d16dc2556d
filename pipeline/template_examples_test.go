package pipeline

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kam/domain"
	"kam/loaders"
	"kam/pipeline/ingest"
	"kam/store/storetest"
)

// Every template's examples (示例 on 填写说明), typed into its 填写 sheet as
// they stand, pass kam check — kind after kind in load order, each loaded
// before the next is checked, as staff filling the templates in would: a
// template never teaches a value kam then rejects.
func TestTemplateExamplesPassCheck(t *testing.T) {
	s := storetest.OpenSQLite(t)
	a := newTestApp(t, s, time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC))
	ctx := t.Context()
	dir := t.TempDir()
	for _, k := range domain.LoadOrder {
		paths, err := a.WriteTemplates(ctx, dir, []domain.Kind{k})
		mustDo(t, err)
		f, err := excelize.OpenFile(paths[0])
		mustDo(t, err)
		guide, err := f.GetRows("填写说明")
		mustDo(t, err)
		for i, row := range guide[1:] {
			if len(row) == 0 {
				break // the guide's notes follow its table
			}
			example := ""
			if len(row) > 4 {
				example = row[4]
			}
			cell, _ := excelize.CoordinatesToCellName(i+1, 2)
			mustDo(t, f.SetCellStr(loaders.TemplateDataSheet, cell, example))
		}
		filled := filepath.Join(dir, "示例_"+string(k)+".xlsx")
		mustDo(t, f.SaveAs(filled))
		f.Close()
		res, err := a.Check(ctx, []string{filled})
		mustDo(t, err)
		if res[0].Outcome != ingest.OutcomeLoaded || res[0].Kind != k {
			t.Fatalf("%s template's examples: %s %s (%d errors: %s)", k, res[0].Kind, res[0].Outcome, res[0].Errors, res[0].Reason)
		}
		mustDo(t, os.MkdirAll(a.Cfg.Paths.Inbox, 0o755))
		mustDo(t, os.Rename(filled, filepath.Join(a.Cfg.Paths.Inbox, filepath.Base(filled))))
		time.Sleep(a.Cfg.Ingest.QuietPeriod.Duration + 10*time.Millisecond)
		scan, err := a.Ingest(ctx)
		mustDo(t, err)
		if scan.Count(ingest.OutcomeLoaded) != 1 {
			t.Fatalf("%s template's examples did not load: %+v", k, scan.Files)
		}
	}
}
