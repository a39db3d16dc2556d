package reports

import (
	"slices"
	"testing"

	"kam/domain"
	"kam/rules"
)

// 分级结果 and 用邮分析 name who looks after each customer (第十一条(一)), after
// the contract columns: B is primary once the customer cooperates, A while it
// is developed or has no B yet; A = B is one person; an id the roster does
// not know is said to be so.
func TestGradesAndReviewsNameTheManagers(t *testing.T) {
	customers := []domain.Customer{
		{ID: "C1", Name: "合作有B", Status: domain.Cooperating, Category: domain.Comprehensive, ManagerA: "E1", ManagerB: "E2"},
		{ID: "C2", Name: "潜在", Status: domain.Potential, Category: domain.Comprehensive, ManagerA: "E1", ManagerB: "E2"},
		{ID: "C3", Name: "合作无B", Status: domain.Cooperating, Category: domain.Comprehensive, ManagerA: "E1"},
		{ID: "C4", Name: "A等于B", Status: domain.Cooperating, Category: domain.Comprehensive, ManagerA: "E2", ManagerB: "E2"},
		{ID: "C5", Name: "工号未登记", Status: domain.Cooperating, Category: domain.Comprehensive, ManagerA: "E1", ManagerB: "E9"},
	}
	names := Directory{Managers: map[string]string{"E1": "张三", "E2": "李四"}}
	want := map[string][]string{
		"C1": {"E2", "李四", "张三"}, "C2": {"E1", "张三", "李四"}, "C3": {"E1", "张三", ""},
		"C4": {"E2", "李四", ""}, "C5": {"E9", "E9（工号未登记）", "张三"},
	}
	check := func(sheet string, rows [][]string) {
		t.Helper()
		at := slices.Index(rows[0], "主维护客户经理工号")
		if at < 0 || at+2 >= len(rows[0]) || rows[0][at+1] != "主维护客户经理" || rows[0][at+2] != "辅助客户经理" {
			t.Fatalf("%s header %q: no 主维护客户经理工号, 主维护客户经理, 辅助客户经理", sheet, rows[0])
		}
		if contract := map[string]int{"分级结果": 8, "用邮分析": 9}[sheet]; at < contract {
			t.Errorf("%s: the managers at column %d, inside the contract columns", sheet, at+1)
		}
		for _, r := range rows[1:] {
			got := make([]string, 3)
			copy(got, r[at:min(len(r), at+3)])
			if w := want[r[0]]; !slices.Equal(got, w) {
				t.Errorf("%s %s managers = %q; want %q", sheet, r[0], got, w)
			}
		}
	}

	cum := map[string]domain.Money{}
	for _, c := range customers {
		cum[c.ID] = 1_000
	}
	grades, warnings := rules.Grade(rules.GradeInput{Quarter: domain.Quarter{Year: 2026, Q: 2}, Customers: customers, Cumulative: cum,
		Units: []domain.Unit{{Code: "C0", Kind: domain.CityCenter}}, Scheme: defaultScheme(t)})
	b, err := Grades(testMeta, GradeBasis{Scheme: defaultScheme(t), Quarter: domain.Quarter{Year: 2026, Q: 2}}, grades, warnings, names)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := openBook(t, b).GetRows("分级结果")
	if err != nil {
		t.Fatal(err)
	}
	check("分级结果", rows)

	p := reviewFixture(domain.Gold, 202606, rules.GoldWindow, nil, customers...)
	b, err = Review(testMeta, p, names)
	if err != nil {
		t.Fatal(err)
	}
	if rows, err = openBook(t, b).GetRows("用邮分析"); err != nil {
		t.Fatal(err)
	}
	check("用邮分析", rows)
}
