package reports

import (
	"testing"

	"kam/domain"
	"kam/rules"
)

func goldenDay(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// goldenNames names the codes of the tender and roster fixtures; 客户C9 is missing on purpose.
var goldenNames = Directory{
	Customers: map[string]string{"C1": "东莞某制造有限公司", "C2": "=东莞某物流公司", "C3": "莞城某学校", "C4": "南城某医院", "C5": "某银行东莞分行", "C6": "某保险公司", "C7": "某电力公司"},
	Units:     map[string]string{"U00": "市局大客户中心", "D01": "莞城镇区局", "D02": "南城镇区局", "P01": "速递专业局"},
	Managers:  map[string]string{"M1": "张三", "M2": "李四", "M3": "王五", "M4": "赵六"},
}

func TestTenderGolden(t *testing.T) {
	claim := func(id, customer, unit, manager, registered, confirmed string, typ domain.ProjectType, period int, developed string) domain.Claim {
		c := domain.Claim{ID: id, Customer: customer, Unit: unit, Manager: manager, Registered: goldenDay(registered), Type: typ, PeriodMonths: period}
		if confirmed != "" {
			c.Confirmed = goldenDay(confirmed)
		}
		if developed != "" {
			c.Developed = goldenDay(developed)
		}
		return c
	}
	R, H := domain.Regular, domain.Holiday
	r := rules.Tender(rules.TenderInput{
		AsOf: goldenDay("2026-07-15"),
		Claims: []domain.Claim{
			claim("k01", "C1", "D01", "M1", "2026-04-01", "2026-04-10", R, 0, ""),           // deadline 06-10: overdue, announced before
			claim("k02", "C2", "P01", "M2", "2026-05-10", "2026-05-31", H, 0, ""),           // deadline 06-30: overdue, new
			claim("k03", "C3", "D01", "M1", "2026-05-10", "2026-05-17", R, 0, ""),           // deadline 07-17: 临期
			claim("k04", "C4", "D02", "M3", "2026-03-31", "2026-03-31", R, 3, ""),           // own period: deadline 06-30
			claim("k05", "C5", "D01", "M1", "2026-06-20", "", R, 0, ""),                     // unconfirmed 25 days
			claim("k06", "C3", "P01", "M2", "2026-07-01", "", R, 0, ""),                     // while k03 holds C3
			claim("k07", "C6", "D01", "M1", "2026-06-01", "2026-06-02", R, 0, ""),           // open; M1's third
			claim("k08", "C7", "D01", "M1", "2026-03-01", "2026-03-02", R, 0, "2026-05-02"), // developed on its deadline
			claim("k09", "C9", "D02", "M3", "2026-07-15", "2026-07-15", H, 0, ""),           // deadline 08-15
		},
		Announced: map[string]bool{"k01": true},
		Config:    rules.TenderConfig{DueSoonDays: 7, UnconfirmedDays: 10, ManagerCap: 2},
	})
	// k01 was first announced on 07-01; k02 and k04 are new today: 15 days to bid from each.
	terms := TenderTerms{BidDays: 15, Contact: "市局大客户中心 张三 0769-22220000",
		BidBy: map[string]domain.Date{"k01": goldenDay("2026-07-16"), "k02": goldenDay("2026-07-30"), "k04": goldenDay("2026-07-30")}}
	b, err := Tender(testMeta, r, 2, terms, goldenNames)
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "tender", data)
}

func TestRosterGolden(t *testing.T) {
	C, P := domain.Cooperating, domain.Potential
	cust := func(id string, st domain.CoopStatus, territory, a, b string) domain.Customer {
		return domain.Customer{ID: id, Name: goldenNames.Customers[id], Category: domain.Comprehensive, Status: st, Territory: territory, ManagerA: a, ManagerB: b}
	}
	revenue := map[string]domain.Money{"C1": 60_000_00, "C2": 10_000_00, "C3": 30_000_00, "C4": 5_000_50, "C5": -1_00, "C7": 100_000_00}
	r, err := rules.Roster(rules.RosterInput{
		AsOf: goldenDay("2026-07-26"),
		Managers: []domain.Manager{
			{StaffID: "M1", Name: "张三", Unit: "D01", Status: domain.Active},
			{StaffID: "M2", Name: "李四", Unit: "D01", Status: domain.Active},
			{StaffID: "M3", Name: "王五", Unit: "D02", Status: domain.Departed},
			{StaffID: "M4", Name: "赵六", Unit: "P01", Status: domain.Active},
		},
		Customers: []domain.Customer{
			cust("C1", C, "D01", "M1", "M2"), cust("C2", P, "D01", "M1", "M2"), cust("C3", C, "D02", "M1", ""),
			cust("C4", C, "P01", "M4", "M4"), cust("C5", C, "D02", "M3", "M1"), cust("C6", P, "D02", "M3", "M9"),
			cust("C7", C, "D01", "M2", "M4"),
		},
		Revenue:     revenue,
		Responsible: map[string]string{"C1": "D01", "C2": "D01", "C3": "D02", "C4": "P01", "C5": "D02", "C6": "D02", "C7": "U00"},
		Targets: []domain.Target{
			{StaffID: "M1", Month: 202608, Customer: "C2", Project: "中秋礼盒"},
			{StaffID: "M2", Month: 202606, Customer: "C6", Project: "速递月结"},
			{StaffID: "M1", Month: 202606, CustomerName: "莞城某学校", Project: "录取通知书"},
			{StaffID: "M4", Month: 202606, CustomerName: "新客户", Project: "函件"},
		},
		Claims: []domain.Claim{
			{ID: "k1", Customer: "C6", Unit: "D01", Manager: "M2", Registered: goldenDay("2026-05-01"), Confirmed: goldenDay("2026-05-02"), Type: domain.Regular, Developed: goldenDay("2026-06-20")},
			{ID: "k2", Customer: "C3", Unit: "D01", Manager: "M1", Registered: goldenDay("2026-05-01"), Confirmed: goldenDay("2026-05-02"), Type: domain.Regular, Developed: goldenDay("2026-07-02")},
		},
		Config: rules.RosterConfig{ShareAlert: 3000, TargetsDueDay: 25},
	})
	if err != nil {
		t.Fatal(err)
	}

	b, err := Roster(testMeta, r, revenue, goldenNames)
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "roster", data)
}
