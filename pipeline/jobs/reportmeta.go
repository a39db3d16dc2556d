package jobs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"kam/domain"
	"kam/pipeline/core"
	"kam/reports"
	"kam/store"
)

// reads is what a report's data comes from: the kinds of extract it reads
// and, when it reads revenue, the months.
type reads struct {
	kinds    []domain.Kind
	from, to domain.Month
}

// reportMeta is what a job's workbook says about itself: its period, run,
// generation time and the files its data came from (SPEC §5, 说明).
func reportMeta(a *core.App, ctx context.Context, out *Output, r reads, settings ...reports.Setting) reports.Meta {
	if out.reads == nil && !out.DryRun {
		// What the report reads is recorded as the job begins to read it: a file loaded meanwhile marks it 待更正.
		out.reads = &store.Reads{Kinds: r.kinds, From: r.from, To: r.to}
		var known []store.Input
		if out.versions != nil {
			out.reads.Basis = out.versions.basis
			if out.versions.prior != nil {
				known = out.versions.prior.Inputs
			}
		}
		out.inputs, out.inputErr = a.Store.Inputs(ctx, *out.reads, known)
	}
	var revisions map[string]*reports.Revision
	if out.versions != nil {
		revisions = out.versions.revisions
	}
	return reports.Meta{Period: out.Period, GeneratedAt: a.Clock(), Run: out.RunID, DataAsOf: dataAsOf(a, ctx, r), Settings: settings, Revisions: revisions}
}

// namesListed is how many files of one kind 数据截至 names before it counts the rest.
const namesListed = 6

// dataAsOf names the files the report read, per kind of extract, with when
// the latest of them was loaded: 收入：revenue_2026-05.csv、revenue_2026-06.csv（最近导入 …）；客户：…
func dataAsOf(a *core.App, ctx context.Context, r reads) string {
	files, err := a.Store.InputFiles(ctx, r.kinds, r.from, r.to)
	if err != nil {
		a.Log.Warn().Err(err).Msg("无法读取报表所读的文件，报表说明中不写数据截至")
		return ""
	}
	byKind := map[domain.Kind][]store.FileRecord{}
	for _, f := range files {
		byKind[f.Kind] = append(byKind[f.Kind], f)
	}
	var parts []string
	for _, k := range r.kinds {
		list := byKind[k]
		if len(list) == 0 {
			parts = append(parts, domain.KindLabels[k]+"：未导入")
			continue
		}
		var latest time.Time
		names := make([]string, 0, min(len(list), namesListed))
		for i, f := range list {
			if f.FinishedAt.After(latest) {
				latest = f.FinishedAt
			}
			if i < namesListed {
				names = append(names, f.Name)
			}
		}
		text := strings.Join(names, "、")
		if len(list) > namesListed {
			text += fmt.Sprintf(" 等 %d 个文件", len(list))
		}
		when := latest.In(a.Cfg.Location()).Format("2006-01-02 15:04")
		if len(list) > 1 {
			text += "（最近导入 " + when + "）"
		} else {
			text += "（" + when + " 导入）"
		}
		parts = append(parts, domain.KindLabels[k]+"："+text)
	}
	return strings.Join(parts, "；")
}
