package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"kam/domain"
	"kam/pipeline"
	"kam/pipeline/core"
	"kam/pipeline/jobs"
	"kam/status"
	"kam/store"
)

// Codes typed on the command line are read as the store holds them (SPEC
// §3.3): kam explain kh0000001 is customer KH0000001, reports list --unit zq14
// lists unit ZQ14's reports. kam migrate and kam status say, once each run,
// which stored codes kam no longer reads as stored; a clean store, nothing.
func TestCommandsReadCodesInNormalFormAndNameStoredProblems(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("KAM_DB_DSN", "")
	code, out, errOut := kamSplit(t, "migrate")
	if code != 0 || strings.Contains(out, status.CodeProblemsHeading) {
		t.Fatalf("migrate on a new store: exit %d\n%s%s", code, out, errOut)
	}
	if _, out, _ := kamSplit(t, "status"); strings.Contains(out, status.CodeProblemsHeading) {
		t.Errorf("status of a clean store lists code problems:\n%s", out)
	}

	ctx := context.Background()
	st := openTestStore(t, "var/kam.db")
	err := st.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.PutUnits([]domain.Unit{{Code: "U00", Name: "市局大客户中心", Kind: domain.CityCenter},
			{Code: "ZQ14", Name: "虎门镇区局", Kind: domain.District}}); err != nil {
			return err
		}
		if err := tx.PutCustomers([]domain.Customer{{ID: "KH0000001", Name: "东莞某制造有限公司", Category: domain.Comprehensive,
			Status: domain.Cooperating, Territory: "ZQ14"}}); err != nil {
			return err
		}
		if _, err := tx.RecordFile(store.FileRecord{Name: "revenue.csv", SHA256: "revenue", Size: 1, Kind: domain.KindRevenue,
			Outcome: store.FileLoaded, StartedAt: time.Now()}); err != nil {
			return err
		}
		return tx.PutRevenue([]domain.Revenue{{Customer: "KH0000001", Month: 202406, Line: "函件", Unit: "ZQ14", Amount: 1234_56}})
	})
	if err != nil {
		t.Fatal(err)
	}
	run, err := st.StartRun(ctx, "splits", "2024-06", "manual", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ArchiveReport(store.Report{RunID: run, Job: "splits", Period: "2024-06", Unit: "ZQ14", FileName: "splits_2024-06_ZQ14.xlsx"},
			strings.NewReader("PK"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, out, errOut = kamSplit(t, "explain", "kh0000001", "--period", "2024Q2")
	if code != 0 || !strings.Contains(out, "客户 KH0000001 东莞某制造有限公司") || !strings.Contains(out, "累计收入 1,234.56 元") {
		t.Errorf("explain kh0000001: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = kamSplit(t, "reports", "list", "--unit", "zq14")
	if code != 0 || !strings.Contains(out, "splits_2024-06_ZQ14.xlsx") {
		t.Errorf("reports list --unit zq14: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = kamSplit(t, "reports", "list", "--unit", "ZQ 14")
	if code != 2 || !strings.Contains(errOut, "不是单位编码") {
		t.Errorf("reports list --unit 'ZQ 14': exit %d, want 2\n%s", code, errOut)
	}

	// What an older kam stored: a lower-case unit code.
	st = openTestStore(t, "var/kam.db")
	if err := st.InTx(ctx, func(tx *store.Tx) error {
		return tx.PutUnits([]domain.Unit{{Code: "zq15", Name: "长安镇区局", Kind: domain.District}})
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	const line = "单位资料中的单位编码「zq15」（数据库 units.code）：kam 现在把它读作「ZQ15」"
	for _, args := range [][]string{{"migrate"}, {"status"}} {
		code, out, errOut := kamSplit(t, args...)
		if code != 0 || !strings.Contains(out, status.CodeProblemsHeading+"\n  "+line) {
			t.Errorf("kam %s: exit %d; want the heading and\n  %s\n%s%s", args[0], code, line, out, errOut)
		}
		if strings.Contains(out, "「ZQ14」（数据库") {
			t.Errorf("kam %s lists ZQ14, which is stored as kam reads it", args[0])
		}
	}

	// kam serve logs each problem once as it starts.
	var logs bytes.Buffer
	st = openTestStore(t, "var/kam.db")
	defer st.Close()
	logCodeProblems(ctx, pipeline.New(&core.App{Cfg: jobs.DefaultConfig(), Store: st, Log: zerolog.New(&logs)}))
	if n := strings.Count(logs.String(), "已存的编号需要核对"); n != 1 || !strings.Contains(logs.String(), line) {
		t.Errorf("serve logged %d problems:\n%s", n, logs.String())
	}
}
