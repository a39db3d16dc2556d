package web

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The page hands out a customer's archive workbook (客户档案): a city user any
// customer's, a unit user only those its unit is responsible for (SPEC §6.1).
func TestCustomerCardDownload(t *testing.T) {
	k := seeded(t)
	ctx := context.Background()
	customers, err := k.App.Store.Customers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	centre := map[string]string{}
	var mine, other string
	for _, c := range customers[:20] {
		e, err := k.App.Explain(ctx, c.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		centre[c.ID] = e.Centre
		switch {
		case mine == "" && e.Centre != "":
			mine = c.ID
		case mine != "" && other == "" && e.Centre != "" && e.Centre != centre[mine]:
			other = c.ID
		}
	}
	if mine == "" || other == "" {
		t.Fatalf("no two customers of different centres among %v", centre)
	}
	addUser(t, k.App.Store, "city", "全市用户的密码 2026", "")
	addUser(t, k.App.Store, "clerk", "本单位用户的密码 2026", centre[mine])
	city, clerk := client(t), client(t)
	loginAs(t, k, city, "city", "全市用户的密码 2026")
	loginAs(t, k, clerk, "clerk", "本单位用户的密码 2026")

	sheets := func(body string) []string {
		f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatalf("not a workbook: %v", err)
		}
		defer f.Close()
		return f.GetSheetList()
	}
	for _, c := range []struct {
		who    *http.Client
		id     string
		status int
	}{{city, mine, 200}, {city, other, 200}, {clerk, mine, 200}, {clerk, other, 403}, {city, "没有这个客户", 404}} {
		code, body := get(t, c.who, k.Base+"/card?c="+c.id)
		if code != c.status {
			t.Errorf("card %s: %d, want %d", c.id, code, c.status)
			continue
		}
		if code == 200 {
			got := sheets(body)
			want := []string{"基本信息", "等级历史", "收入", "走访", "开发项目", "分成协议", "说明"}
			if len(got) != len(want) {
				t.Errorf("card %s: sheets %v, want %v", c.id, got, want)
			}
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Errorf("card %s: sheets %v, want %v", c.id, got, want)
					break
				}
			}
		}
	}
}
