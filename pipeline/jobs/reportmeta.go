package jobs

import (
	"context"
	"fmt"

	"kam/pipeline/core"
	"kam/reports"
	"kam/store"
)

// reportMeta is what a job's workbook says about itself: its period, run,
// generation time and the data it was made from (SPEC §5, 说明).
func reportMeta(a *core.App, ctx context.Context, out *Output, settings ...reports.Setting) reports.Meta {
	return reports.Meta{Period: out.Period, GeneratedAt: a.Clock(), Run: out.RunID, DataAsOf: dataAsOf(a, ctx), Settings: settings}
}

// dataAsOf names the latest file the last inbox scan loaded, "" when it loaded none.
func dataAsOf(a *core.App, ctx context.Context) string {
	files, err := a.Store.LastScanFiles(ctx)
	if err != nil {
		a.Log.Warn().Err(err).Msg("无法读取最近导入的文件，报表说明中不写数据截至")
		return ""
	}
	var latest *store.FileRecord
	for i := range files {
		f := &files[i]
		if f.Outcome == store.FileLoaded && !f.FinishedAt.IsZero() && (latest == nil || f.FinishedAt.After(latest.FinishedAt)) {
			latest = f
		}
	}
	if latest == nil {
		return ""
	}
	return fmt.Sprintf("%s（%s 导入）", latest.Name, latest.FinishedAt.In(a.Cfg.Location()).Format("2006-01-02 15:04"))
}
