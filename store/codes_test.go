package store_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kam/domain"
	"kam/gen"
	"kam/loaders"
	"kam/store"
	"kam/store/storetest"
)

// What an older kam stored that the normal form of SPEC §3.3 no longer accepts is listed, on every store.
func TestStoredCodeProblems(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		none, err := s.StoredCodeProblems(ctx)
		must(t, err)
		equal(t, "problems in an empty store", len(none), 0)

		cust := func(id, territory, a, b string) domain.Customer {
			return domain.Customer{ID: id, Name: "公司" + id, Category: domain.Comprehensive, Status: domain.Cooperating,
				Territory: territory, Signing: "ZQ14", ManagerA: a, ManagerB: b}
		}
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			must(t, tx.PutUnits([]domain.Unit{
				{Code: "DG000", Name: "市局大客户中心", Kind: domain.CityCenter},
				{Code: "ZQ14", Name: "虎门镇区局", Kind: domain.District},
				{Code: "zq15", Name: "长安镇区局", Kind: domain.District},
				{Code: "ZQ14-T1", Name: "虎门营投班组", Kind: domain.Team, Parent: "zq14"},
			}))
			must(t, tx.PutManagers([]domain.Manager{
				{StaffID: "DG10001", Name: "张三", Unit: "ZQ14", Status: domain.Active},
				{StaffID: "dg10002", Name: "李四", Unit: "ZQ14", Status: domain.Active}, // staff ids keep their case: fine
				{StaffID: "DG 10003", Name: "王五", Unit: "ZQ14", Status: domain.Active},
			}))
			must(t, tx.PutCustomers([]domain.Customer{
				cust("KH0000001", "ZQ14", "DG10001", ""),
				cust("kh0000001", "ZQ14", "DG10001", ""),        // the same customer in lower case
				cust("ＫＨ0000002", "ZQ14", "DG10001", "dg10002"), // full-width, and no KH0000002 stored
				cust("KH0000003\u200b", "zq15", "DG10001", ""),  // a zero-width space
				cust("КН0000001", "ZQ14", "DG10001", "ＤＧ10001"), // Cyrillic; a full-width staff id
			}))
			return tx.PutClaims([]domain.Claim{{ID: "SB1", Customer: "kh0000001", Unit: "ZQ14", Manager: "DG10001",
				Registered: domain.DateOf(2026, 3, 1), Type: domain.Regular}})
		}))

		got, err := s.StoredCodeProblems(ctx)
		must(t, err)
		want := []store.CodeProblem{
			{Table: "units", Column: "code", What: "单位编码", Value: "zq15", Canonical: "ZQ15"},
			{Table: "managers", Column: "staff_id", What: "工号", Value: "DG 10003"},
			{Table: "customers", Column: "id", What: "客户编号", Value: "KH0000003\u200b", Canonical: "KH0000003"},
			{Table: "customers", Column: "id", What: "客户编号", Value: "kh0000001", Canonical: "KH0000001"},
			{Table: "customers", Column: "id", What: "客户编号", Value: "КН0000001"}, // sorted by bytes: Cyrillic before full-width
			{Table: "customers", Column: "id", What: "客户编号", Value: "ＫＨ0000002", Canonical: "KH0000002"},
			{Table: "units", Column: "parent_code", What: "上级单位编码", Value: "zq14", Canonical: "ZQ14"},
			{Table: "customers", Column: "territory_unit", What: "属地单位编码", Value: "zq15", Canonical: "ZQ15"},
			{Table: "customers", Column: "manager_b", What: "B角工号", Value: "ＤＧ10001", Canonical: "DG10001"},
			{Table: "claims", Column: "customer_id", What: "客户编号", Value: "kh0000001", Canonical: "KH0000001"},
		}
		reasons := map[string]string{
			"units.code zq15":            "新文件中的这个编号将匹配不到",
			"managers.staff_id DG 10003": "含有空格",
			"customers.id kh0000001":     "与已存的「KH0000001」是同一个编号：两条记录需要合并",
			"customers.id КН0000001":     "含有西里尔（俄文）字母「К」（U+041A，形似英文字母 K）",
		}
		if len(got) != len(want) {
			for _, p := range got {
				t.Log(p)
			}
			t.Fatalf("%d problems, want %d", len(got), len(want))
		}
		for i, p := range got {
			w := want[i]
			if p.Table != w.Table || p.Column != w.Column || p.What != w.What || p.Value != w.Value || p.Canonical != w.Canonical {
				t.Errorf("problem %d = %+v, want %+v", i, p, w)
			}
			if r, ok := reasons[p.Table+"."+p.Column+" "+p.Value]; ok && !strings.Contains(p.Reason, r) {
				t.Errorf("%s: reason %q, want %q", p, p.Reason, r)
			}
		}
	})
}

// kam's own sample, loaded through the loaders' gate, leaves nothing to report.
func TestGenSampleHasNoCodeProblems(t *testing.T) {
	now := time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC)
	sum, err := gen.Run(ctx, gen.Options{Out: t.TempDir(), Customers: 60, Months: 2, Seed: 7, Now: now})
	must(t, err)
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		byKind := map[domain.Kind][]string{}
		for _, p := range sum.Files {
			x, err := loaders.Open(p)
			must(t, err)
			byKind[x.Kind()] = append(byKind[x.Kind()], p)
			x.Close()
		}
		for _, k := range domain.LoadOrder {
			for _, p := range byKind[k] {
				must(t, s.InTx(ctx, func(tx *store.Tx) error {
					if _, err := tx.RecordFile(store.FileRecord{Name: filepath.Base(p), SHA256: filepath.Base(p), Size: 1, Kind: k,
						Outcome: store.FileLoaded, StartedAt: now}); err != nil {
						return err
					}
					refs, err := tx.Refs()
					if err != nil {
						return err
					}
					x, err := loaders.Open(p)
					if err != nil {
						return err
					}
					defer x.Close()
					res, err := loaders.Load(x, loaders.Env{Refs: refs, Today: domain.DateFromTime(now)}, tx)
					if err == nil && res.ErrorCount > 0 {
						err = fmt.Errorf("%s: %v", p, res.Errors[0])
					}
					return err
				}))
			}
		}
		n, err := storetest.RevenueCount(ctx, s)
		must(t, err)
		if n == 0 {
			t.Fatal("no revenue loaded")
		}
		problems, err := s.StoredCodeProblems(ctx)
		must(t, err)
		for _, p := range problems {
			t.Error(p)
		}
	})
}
