package status

import (
	"context"
	"strings"
	"testing"
	"time"

	"kam/domain"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// With Options.Codes the model lists each stored id or code kam no longer
// reads as stored, one plain line each; a clean store lists none.
func TestGatherListsStoredCodeProblems(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		cfg := jobs.DefaultConfig()
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		gather := func() Model {
			t.Helper()
			m, err := Gather(ctx, st, cfg, time.Now(), Options{Codes: true})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		if m := gather(); m.Codes != nil {
			t.Errorf("a clean store: %q", m.Codes)
		}
		if err := st.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.PutUnits([]domain.Unit{{Code: "ZQ14", Name: "虎门镇区局", Kind: domain.District}}); err != nil {
				return err
			}
			return tx.PutCustomers([]domain.Customer{
				{ID: "KH0000001", Name: "甲", Category: domain.Comprehensive, Status: domain.Cooperating, Territory: "ZQ14"},
				{ID: "kh0000001", Name: "乙", Category: domain.Comprehensive, Status: domain.Cooperating, Territory: "ZQ14"},
				{ID: "KH0000003\u200b", Name: "丙", Category: domain.Comprehensive, Status: domain.Cooperating, Territory: "zq14"},
			})
		}); err != nil {
			t.Fatal(err)
		}
		want := []string{
			"客户资料中的客户编号「KH0000003\\u200b」（数据库 customers.id）：kam 现在把它读作「KH0000003」，新文件中的这个编号将匹配不到按原写法存的记录",
			"客户资料中的客户编号「kh0000001」（数据库 customers.id）：kam 现在把它读作「KH0000001」，与已存的「KH0000001」是同一个编号：两条记录需要合并",
			"客户资料中的属地单位编码「zq14」（数据库 customers.territory_unit）：kam 现在把它读作「ZQ14」，新文件中的这个编号将匹配不到按原写法存的记录",
		}
		if got := gather().Codes; strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("codes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if m, err := Gather(ctx, st, cfg, time.Now(), Options{}); err != nil || m.Codes != nil {
			t.Errorf("not asked for: %q, %v", m.Codes, err)
		}
	})
}
