package store_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"kam/domain"
	"kam/store"
	"kam/store/storetest"
)

// What a report read is recorded per input, and changes only when the rows
// do (SPEC §5.2): a re-drop of the same rows under another file changes
// nothing, a correction names its pair and file; the current issue carries the
// 待更正 mark, and each archived file its 第 N 版.
func TestInputsVersionsAndStaleMarks(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		loadKind := func(name string, kind domain.Kind, fn func(tx *store.Tx) error) {
			t.Helper()
			must(t, s.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.RecordFile(store.FileRecord{Name: name, SHA256: "sha-" + name, Size: 1,
					Kind: kind, Outcome: store.FileLoaded, StartedAt: time.Now()}); err != nil {
					return err
				}
				return fn(tx)
			}))
		}
		units := []domain.Unit{{Code: "D01", Name: "莞城", Kind: domain.District}, {Code: "U00", Name: "市局", Kind: domain.CityCenter}}
		loadKind("units.xlsx", domain.KindUnits, func(tx *store.Tx) error { return tx.PutUnits(units) })
		june := func(line string, amounts ...domain.Money) []domain.Revenue {
			var rs []domain.Revenue
			for i, a := range amounts {
				rs = append(rs, domain.Revenue{Customer: "C0" + string(rune('1'+i)), Month: 202606, Line: line, Unit: "D01", Amount: a})
			}
			return rs
		}
		loadKind("revenue_2026-06.csv", domain.KindRevenue, func(tx *store.Tx) error {
			return tx.PutRevenue(append(june("函件", 100, 200), june("速递", 300)...))
		})
		reads := store.Reads{Kinds: []domain.Kind{domain.KindRevenue, domain.KindUnits}, From: 202606, To: 202606}
		was, err := s.Inputs(ctx, reads, nil)
		must(t, err)
		var labels []string
		for _, in := range was {
			labels = append(labels, in.Label()+" "+in.Names[0])
		}
		if want := []string{"收入 2026-06 函件 revenue_2026-06.csv", "收入 2026-06 速递 revenue_2026-06.csv", "单位 units.xlsx"}; !slices.Equal(labels, want) {
			t.Fatalf("inputs %q, want %q", labels, want)
		}
		run1 := orphanRun(t, s, "splits", "2026-06", "manual", store.RunSucceeded)
		at := time.Date(2026, 7, 10, 3, 0, 0, 0, time.UTC)
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.RecordIssue(run1, "splits", "2026-06", reads, was, at) }))
		issue, ok, err := s.CurrentIssue(ctx, "splits", "2026-06")
		must(t, err)
		if !ok || issue.RunID != run1 || issue.Reads.From != 202606 || issue.Reads.To != 202606 || len(issue.Inputs) != 3 {
			t.Fatalf("current issue %+v", issue)
		}

		// The same rows again, in another order and other files: nothing changed.
		loadKind("units (2).xlsx", domain.KindUnits, func(tx *store.Tx) error { return tx.PutUnits([]domain.Unit{units[1], units[0]}) })
		loadKind("函件重发.csv", domain.KindRevenue, func(tx *store.Tx) error {
			if err := tx.PutRevenue(june("函件", 100, 200)); err != nil {
				return err
			}
			return tx.FinishRevenue([]domain.MonthLine{{Month: 202606, Line: "函件"}})
		})
		now, err := s.Inputs(ctx, issue.Reads, issue.Inputs)
		must(t, err)
		if ch := store.InputChanges(issue.Inputs, now); len(ch) != 0 {
			t.Fatalf("an unchanged re-drop changed %q", ch)
		}
		// A correction of 速递 does.
		loadKind("revenue_2026-06_更正.csv", domain.KindRevenue, func(tx *store.Tx) error {
			if err := tx.PutRevenue(june("速递", 301)); err != nil {
				return err
			}
			return tx.FinishRevenue([]domain.MonthLine{{Month: 202606, Line: "速递"}})
		})
		now, err = s.Inputs(ctx, issue.Reads, issue.Inputs)
		must(t, err)
		ch := store.InputChanges(issue.Inputs, now)
		if want := []string{"收入 2026-06 速递 由 revenue_2026-06_更正.csv 替换"}; !slices.Equal(ch, want) {
			t.Fatalf("changes %q, want %q", ch, want)
		}

		must(t, s.MarkStale(ctx, run1, ch[0], at.Add(time.Hour)))
		stale, err := s.StaleIssues(ctx)
		must(t, err)
		if len(stale) != 1 || stale[0].RunID != run1 || stale[0].StaleReason != ch[0] || !stale[0].StaleAt.Equal(at.Add(time.Hour)) {
			t.Fatalf("stale %+v", stale)
		}
		failed, err := s.CorrectionFailedSince(ctx, "splits", "2026-06", "correction", stale[0].StaleAt)
		must(t, err)
		if failed {
			t.Fatal("a correction failed before any ran")
		}
		id, err := s.StartRun(ctx, "splits", "2026-06", "correction", at.Add(2*time.Hour))
		must(t, err)
		must(t, s.FinishRun(ctx, id, store.RunRefused, nil, "数据不完整", at.Add(2*time.Hour)))
		if failed, err = s.CorrectionFailedSince(ctx, "splits", "2026-06", "correction", stale[0].StaleAt); err != nil || !failed {
			t.Fatalf("a refused correction since the mark: %v %v", failed, err)
		}

		// Versions: the city's file re-issued, D01's not.
		archive := func(run int64, unit, name string, v int) {
			t.Helper()
			must(t, s.InTx(ctx, func(tx *store.Tx) error {
				rep, err := tx.ArchiveReport(store.Report{RunID: run, Job: "splits", Period: "2026-06", Unit: unit, FileName: name}, bytes.NewReader([]byte(name)))
				if err != nil {
					return err
				}
				return tx.RecordVersion(rep, store.Version{Version: v})
			}))
		}
		archive(run1, "", "splits_2026-06.xlsx", 1)
		archive(run1, "D01", "splits_2026-06_D01.xlsx", 1)
		run2 := orphanRun(t, s, "splits", "2026-06", "manual", store.RunSucceeded)
		archive(run2, "", "splits_2026-06.xlsx", 2)
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.RecordIssue(run2, "splits", "2026-06", reads, now, at) }))
		cur, err := s.CurrentVersions(ctx, "splits", "2026-06")
		must(t, err)
		var got []string
		for _, r := range cur {
			got = append(got, r.FileName+" "+string(rune('0'+r.Version)))
		}
		slices.Sort(got)
		if want := []string{"splits_2026-06.xlsx 2", "splits_2026-06_D01.xlsx 1"}; !slices.Equal(got, want) {
			t.Errorf("current versions %q, want %q", got, want)
		}
		list, err := s.ListReports(ctx, store.ReportFilter{Job: "splits"}, 10)
		must(t, err)
		got = got[:0]
		for _, r := range list {
			got = append(got, r.FileName+" "+string(rune('0'+r.Version))+map[bool]string{true: " 当前", false: ""}[r.Current])
		}
		if want := []string{"splits_2026-06.xlsx 2 当前", "splits_2026-06_D01.xlsx 1 当前", "splits_2026-06.xlsx 1"}; !slices.Equal(got, want) {
			t.Errorf("archive %q, want %q", got, want)
		}
		if stale, err := s.StaleIssues(ctx); err != nil || len(stale) != 0 {
			t.Errorf("stale after the re-issue: %+v %v", stale, err)
		}
	})
}
