package gen

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"kam/domain"
)

var testNow = time.Date(2026, 11, 26, 15, 4, 5, 0, time.UTC)

func generate(t *testing.T, opt Options) (string, Summary) {
	t.Helper()
	if opt.Out == "" {
		opt.Out = t.TempDir()
	}
	if opt.Now.IsZero() {
		opt.Now = testNow
	}
	s, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return opt.Out, s
}

func TestSameSeedSameBytes(t *testing.T) {
	a, sa := generate(t, Options{Customers: 300, Months: 4, Seed: 42})
	b, _ := generate(t, Options{Customers: 300, Months: 4, Seed: 42, Now: testNow.Add(5 * time.Hour)})
	c, _ := generate(t, Options{Customers: 300, Months: 4, Seed: 43})
	if len(sa.Files) != 7+4 {
		t.Fatalf("files written: %v", sa.Files)
	}
	differs := 0
	for _, f := range sa.Files {
		name := filepath.Base(f)
		x, y, z := readAll(t, filepath.Join(a, name)), readAll(t, filepath.Join(b, name)), readAll(t, filepath.Join(c, name))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
		if !bytes.Equal(x, z) {
			differs++
		}
	}
	if differs < len(sa.Files)-1 {
		t.Errorf("another seed changed only %d of %d files", differs, len(sa.Files))
	}
	if left, _ := filepath.Glob(filepath.Join(a, ".*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func readAll(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProgressAndSummary(t *testing.T) {
	var last, total int64
	calls := 0
	_, s := generate(t, Options{Customers: 2100, Months: 3, Progress: func(done, tot int64) {
		if done < last || tot != 2100*4 {
			t.Errorf("progress %d/%d after %d", done, tot, last)
		}
		last, total = done, tot
		calls++
	}})
	if last != total || calls < 4 {
		t.Errorf("progress ended at %d/%d after %d calls", last, total, calls)
	}
	text := s.String()
	for _, want := range []string{"客户：2,100 行", "收入：", "2026-08 至 2026-10", "走访记录：", "共 10 个文件"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary %q lacks %q", text, want)
		}
	}
}

func TestOptions(t *testing.T) {
	_, s := generate(t, Options{Customers: 20, Months: 2})
	if s.End != domain.NewMonth(2026, 10) || s.First != domain.NewMonth(2026, 9) {
		t.Errorf("default window %s–%s, want 2026-09–2026-10 (last complete month before %s)", s.First, s.End, testNow.Format("2006-01-02"))
	}
	_, s = generate(t, Options{Customers: 20, Months: 3, End: domain.NewMonth(2026, 11)})
	if s.End != domain.NewMonth(2026, 11) {
		t.Errorf("pinned end %s, want 2026-11", s.End)
	}
	for _, bad := range []Options{
		{Out: t.TempDir(), Customers: 20, End: domain.NewMonth(2026, 12), Now: testNow},
		{Out: t.TempDir(), Customers: -1, Now: testNow},
		{Customers: 20, Now: testNow},
	} {
		_, err := Run(context.Background(), bad)
		var ue *domain.Error
		if !errors.As(err, &ue) || ue.Kind != domain.EInvalid {
			t.Errorf("Run(%+v) = %v, want a usage error", bad, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Options{Out: t.TempDir(), Customers: 5000, Now: testNow}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v", err)
	}
}

// sheet reads the first sheet of a workbook as raw cell values, starting at
// the header row (the row whose first cell is firstHeader); it also reports
// whether a title row sat above the header.
func sheet(t *testing.T, path, firstHeader string) (header []string, rows [][]string, titled bool) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := f.GetRows(f.GetSheetList()[0], excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range all {
		if len(r) > 0 && r[0] == firstHeader {
			return r, all[i+1:], i > 0
		}
	}
	t.Fatalf("%s: no header row starting %s", path, firstHeader)
	return nil, nil, false
}

// record gives a row's cells by header name.
type record struct {
	header []string
	row    []string
}

func (r record) get(col string) string {
	for i, h := range r.header {
		if h == col {
			if i < len(r.row) {
				return r.row[i]
			}
			return ""
		}
	}
	panic("no column " + col)
}

func records(t *testing.T, path, firstHeader string) ([]record, bool) {
	h, rows, titled := sheet(t, path, firstHeader)
	out := make([]record, len(rows))
	for i, r := range rows {
		out[i] = record{h, r}
	}
	return out, titled
}

func label[T ~string](t *testing.T, list []domain.Enum[T], s string) T {
	t.Helper()
	for _, e := range list {
		if e.Label == s {
			return e.Code
		}
	}
	t.Errorf("%q is not one of %v", s, list)
	return ""
}

func serialDate(t *testing.T, s string) domain.Date {
	t.Helper()
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Errorf("date cell %q is not a serial", s)
	}
	return domain.Date(n)
}

// parseAmount reads the amount forms the generator writes: 1234.50, -1234.50, 1,234.50, ¥1,234.50.
func parseAmount(s string) (domain.Money, error) {
	v := strings.ReplaceAll(strings.TrimPrefix(s, "¥"), ",", "")
	neg := strings.HasPrefix(v, "-")
	v = strings.TrimPrefix(v, "-")
	dot := strings.IndexByte(v, '.')
	if dot < 1 || len(v)-dot != 3 {
		return 0, fmt.Errorf("amount %q has not two decimals", s)
	}
	y, err1 := strconv.ParseInt(v[:dot], 10, 64)
	f, err2 := strconv.ParseInt(v[dot+1:], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("amount %q", s)
	}
	m := domain.Money(y*100 + f)
	if neg {
		m = -m
	}
	return m, nil
}

// parseRatio reads a percentage cell with at most two decimals (33.33, 40.7, 50) as basis points.
func parseRatio(s string) (domain.Ratio, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return 0, fmt.Errorf("ratio %q has more than two decimals", s)
	}
	w, err1 := strconv.Atoi(whole)
	f, err2 := strconv.Atoi((frac + "00")[:2])
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("ratio %q is not a number", s)
	}
	return domain.Ratio(w*100 + f), nil
}

func parseMonthCell(s string) (domain.Month, error) {
	if m, err := domain.ParseMonth(s); err == nil {
		return m, nil
	}
	var y, mo int
	if _, err := fmt.Sscanf(s, "%d年%d月", &y, &mo); err == nil {
		return domain.NewMonth(y, time.Month(mo)), nil
	}
	return 0, fmt.Errorf("month %q", s)
}

// storedAs checks that a generated code passes the loaders' gate (SPEC §3.3) in the form kam stores it: as written.
func storedAs(t *testing.T, what, v string, parse func(string) (string, error)) {
	t.Helper()
	if v == "" {
		return
	}
	if got, err := parse(v); err != nil || got != v {
		t.Errorf("%s %q reads as %q, %v", what, v, got, err)
	}
}

// TestDatasetHoldsTogether reads a default-sized dataset back and checks every
// rule the loaders enforce, plus the variety the reports need to show.
func TestDatasetHoldsTogether(t *testing.T) {
	dir, sum := generate(t, Options{Seed: 2026})
	lines := domain.DefaultBusinessLines
	isLine := map[string]bool{}
	for _, l := range lines {
		isLine[l] = true
	}
	current := domain.MonthOf(testNow)
	today := domain.DateFromTime(testNow)

	// Units.
	units := map[string]domain.Unit{}
	recs, _ := records(t, filepath.Join(dir, "units.xlsx"), "单位编码")
	profOf := map[string]string{}
	kinds := map[domain.UnitKind]int{}
	for _, r := range recs {
		u := domain.Unit{Code: r.get("单位编码"), Name: r.get("单位名称"), Kind: label(t, domain.UnitKinds, r.get("单位类型")),
			Parent: r.get("上级单位编码"), Line: r.get("专业")}
		if _, dup := units[u.Code]; dup {
			t.Errorf("unit %s twice", u.Code)
		}
		kinds[u.Kind]++
		storedAs(t, "单位编码", u.Code, domain.ParseUnitCode)
		storedAs(t, "上级单位编码", u.Parent, domain.ParseUnitCode)
		switch u.Kind {
		case domain.Team, domain.Window:
			if units[u.Parent].Kind != domain.District {
				t.Errorf("unit %s: parent %q is not a district listed before it", u.Code, u.Parent)
			}
		case domain.Professional:
			if !isLine[u.Line] || profOf[u.Line] != "" {
				t.Errorf("professional bureau %s: line %q missing or taken", u.Code, u.Line)
			}
			profOf[u.Line] = u.Code
		}
		units[u.Code] = u
	}
	if kinds[domain.CityCenter] != 1 || len(profOf) != len(lines) || kinds[domain.District] != len(towns) || kinds[domain.Team] == 0 || kinds[domain.Window] == 0 {
		t.Errorf("unit kinds %v, professional bureaus %v", kinds, profOf)
	}
	for _, town := range []string{"莞城", "虎门", "长安", "松山湖", "望牛墩"} {
		found := false
		for _, u := range units {
			found = found || u.Kind == domain.District && strings.Contains(u.Name, town)
		}
		if !found {
			t.Errorf("no district for %s", town)
		}
	}

	// Managers.
	managers := map[string]domain.Manager{}
	recs, _ = records(t, filepath.Join(dir, "managers.xlsx"), "工号")
	for _, r := range recs {
		m := domain.Manager{StaffID: r.get("工号"), Name: r.get("姓名"), Unit: r.get("所属单位编码"), Status: label(t, domain.ManagerStatuses, r.get("状态"))}
		storedAs(t, "工号", m.StaffID, domain.ParseStaffID)
		storedAs(t, "所属单位编码", m.Unit, domain.ParseUnitCode)
		if _, dup := managers[m.StaffID]; dup {
			t.Errorf("manager %s twice", m.StaffID)
		}
		if _, ok := units[m.Unit]; !ok || m.Name == "" {
			t.Errorf("manager %+v: unknown unit or no name", m)
		}
		managers[m.StaffID] = m
	}

	// Customers.
	customers := map[string]domain.Customer{}
	credit := map[string]bool{}
	names := map[string]bool{}
	recs, titled := records(t, filepath.Join(dir, "customers.xlsx"), "客户编号")
	if !titled {
		t.Error("customers.xlsx has no title row above its header")
	}
	var noB, sameAB, departedHeld, potential, strategic, specialized int
	industries := map[string]int{}
	for _, r := range recs {
		c := domain.Customer{ID: r.get("客户编号"), Name: r.get("客户名称"), CreditCode: r.get("统一社会信用代码"),
			Industry: r.get("行业"), Category: label(t, domain.Categories, r.get("客户类别")), MainLine: r.get("主营业务"),
			Status: label(t, domain.CoopStatuses, r.get("合作状态")), Strategic: r.get("战略客户") == "是",
			Territory: r.get("属地单位编码"), Signing: r.get("签约单位编码"), ManagerA: r.get("A角工号"), ManagerB: r.get("B角工号")}
		if _, dup := customers[c.ID]; dup {
			t.Errorf("customer %s twice", c.ID)
		}
		storedAs(t, "客户编号", c.ID, domain.ParseCustomerID)
		storedAs(t, "属地单位编码", c.Territory, domain.ParseUnitCode)
		storedAs(t, "签约单位编码", c.Signing, domain.ParseUnitCode)
		storedAs(t, "A角工号", c.ManagerA, domain.ParseStaffID)
		storedAs(t, "B角工号", c.ManagerB, domain.ParseStaffID)
		if !validCreditCode(c.CreditCode) || credit[c.CreditCode] || !strings.HasPrefix(c.CreditCode[2:], "44") {
			t.Errorf("customer %s: credit code %s invalid, repeated or not from Guangdong", c.ID, c.CreditCode)
		}
		credit[c.CreditCode] = true
		names[c.Name] = true
		if s := r.get("战略客户"); s != "是" && s != "否" {
			t.Errorf("customer %s: 战略客户 %q", c.ID, s)
		}
		if !contains(domain.Industries, c.Industry) {
			t.Errorf("customer %s: industry %q", c.ID, c.Industry)
		}
		industries[c.Industry]++
		if (c.Category == domain.Specialized) != isLine[c.MainLine] || c.Category == domain.Comprehensive && c.MainLine != "" {
			t.Errorf("customer %s: category %s with main line %q", c.ID, c.Category, c.MainLine)
		}
		for _, u := range []string{c.Territory, c.Signing} {
			if _, ok := units[u]; !ok {
				t.Errorf("customer %s: unknown unit %q", c.ID, u)
			}
		}
		a, okA := managers[c.ManagerA]
		b, okB := managers[c.ManagerB]
		if !okA || c.ManagerB != "" && !okB {
			t.Errorf("customer %s: unknown manager %q/%q", c.ID, c.ManagerA, c.ManagerB)
		}
		switch {
		case c.ManagerB == "":
			noB++
		case c.ManagerA == c.ManagerB:
			sameAB++
		}
		if a.Status == domain.Departed || okB && b.Status == domain.Departed {
			departedHeld++
		}
		if c.Status == domain.Potential {
			potential++
		}
		if c.Strategic {
			strategic++
		}
		if c.Category == domain.Specialized {
			specialized++
		}
		customers[c.ID] = c
	}
	n := len(customers)
	if n != DefaultCustomers || int64(n) != sum.Rows[domain.KindCustomers] {
		t.Errorf("%d customers, summary says %d", n, sum.Rows[domain.KindCustomers])
	}
	if len(names) < n*99/100 {
		t.Errorf("only %d distinct names for %d customers", len(names), n)
	}
	for what, got := range map[string]int{"without B": noB, "with A = B": sameAB, "held by departed managers": departedHeld,
		"potential": potential, "strategic": strategic, "specialised": specialized} {
		if got == 0 || got > n/2 {
			t.Errorf("%d customers %s, want a few", got, what)
		}
	}
	t.Logf("%d customers: %d potential, %d strategic, %d specialised, %d without B, %d with A = B, %d held by departed managers",
		n, potential, strategic, specialized, noB, sameAB, departedHeld)
	if len(industries) < len(domain.Industries)-1 {
		t.Errorf("industries used: %v", industries)
	}

	// Claims.
	recs, _ = records(t, filepath.Join(dir, "claims.xlsx"), "申报编号")
	claimIDs := map[string]bool{}
	open := map[string]int{}
	var overdue, unconfirmed, developed, ownPeriod int
	types := map[domain.ProjectType]int{}
	for _, r := range recs {
		c := domain.Claim{ID: r.get("申报编号"), Customer: r.get("客户编号"), Unit: r.get("申报单位编码"), Manager: r.get("客户经理工号"),
			Registered: serialDate(t, r.get("申报日期")), Confirmed: serialDate(t, r.get("确认日期")),
			Type: label(t, domain.ProjectTypes, r.get("项目类型")), Developed: serialDate(t, r.get("开发成功日期"))}
		storedAs(t, "申报编号", c.ID, domain.ParseID)
		if p := r.get("开发期限月数"); p != "" {
			c.PeriodMonths, _ = strconv.Atoi(p)
			ownPeriod++
		}
		if claimIDs[c.ID] {
			t.Errorf("claim %s twice", c.ID)
		}
		claimIDs[c.ID] = true
		_, okC := customers[c.Customer]
		_, okU := units[c.Unit]
		if !okC || !okU || managers[c.Manager].Status != domain.Active || managers[c.Manager].Unit != c.Unit {
			t.Errorf("claim %+v: bad reference", c)
		}
		if c.Registered == 0 || c.Registered > today || c.Confirmed != 0 && (c.Confirmed < c.Registered || c.Confirmed > today) ||
			c.Developed != 0 && (c.Confirmed == 0 || c.Developed < c.Confirmed || c.Developed > today) {
			t.Errorf("claim %+v: dates out of order or in the future", c)
		}
		types[c.Type]++
		switch {
		case c.Confirmed == 0:
			unconfirmed++
			open[c.Customer]++
		case c.Developed != 0:
			developed++
		default:
			open[c.Customer]++
			months := c.PeriodMonths
			if months == 0 {
				months = ifElse(c.Type == domain.Holiday, 1, 2)
			}
			if today > c.Confirmed.AddMonthsClamped(months) {
				overdue++
			}
		}
	}
	conflicts := 0
	for _, k := range open {
		if k > 1 {
			conflicts++
		}
	}
	if types[domain.Regular] == 0 || types[domain.Holiday] == 0 || overdue == 0 || unconfirmed == 0 || developed == 0 || ownPeriod == 0 || conflicts == 0 {
		t.Errorf("claims: types %v, overdue %d, unconfirmed %d, developed %d, own period %d, conflicting customers %d",
			types, overdue, unconfirmed, developed, ownPeriod, conflicts)
	}

	t.Logf("%d claims: %v, %d overdue, %d unconfirmed, %d developed, %d with own period, %d customers in conflict",
		len(claimIDs), types, overdue, unconfirmed, developed, ownPeriod, conflicts)

	// Split agreements.
	recs, _ = records(t, filepath.Join(dir, "splits.xlsx"), "协议编号")
	agreements := map[string]*domain.SplitAgreement{}
	var order []string
	for _, r := range recs {
		id := r.get("协议编号")
		from, err := domain.ParseMonth(r.get("生效月份"))
		if err != nil {
			t.Error(err)
		}
		var to domain.Month
		if s := r.get("失效月份"); s != "" {
			if to, err = domain.ParseMonth(s); err != nil {
				t.Error(err)
			}
		}
		bp, err := parseRatio(r.get("分成比例"))
		if err != nil {
			t.Errorf("agreement %s: %v", id, err)
		}
		a := agreements[id]
		if a == nil {
			a = &domain.SplitAgreement{ID: id, Customer: r.get("客户编号"), From: from, To: to, Line: r.get("业务种类")}
			agreements[id] = a
			order = append(order, id)
		} else if a.Customer != r.get("客户编号") || a.From != from || a.To != to || a.Line != r.get("业务种类") {
			t.Errorf("agreement %s: parties disagree on its terms", id)
		}
		a.Parties = append(a.Parties, domain.SplitParty{Unit: r.get("分成单位编码"), Ratio: bp})
	}
	starts := map[string]string{}
	var lineSpecific, allLines, openEnded, closed, three, superseded int
	for _, id := range order {
		a := agreements[id]
		if _, ok := customers[a.Customer]; !ok || a.Line != "" && !isLine[a.Line] {
			t.Errorf("agreement %s: unknown customer or line", id)
		}
		if a.From > current || a.To != 0 && (a.To < a.From || a.To > current) {
			t.Errorf("agreement %s: months %s–%s against current %s", id, a.From, a.To, current)
		}
		key := fmt.Sprintf("%s/%s/%s", a.Customer, a.Line, a.From)
		if other, dup := starts[key]; dup {
			t.Errorf("agreements %s and %s: same customer and line starting the same month", other, id)
		}
		starts[key] = id
		if _, again := starts[a.Customer+"/"+a.Line]; again {
			superseded++
		}
		starts[a.Customer+"/"+a.Line] = id
		var total domain.Ratio
		seen := map[string]bool{}
		for _, p := range a.Parties {
			if _, ok := units[p.Unit]; !ok || seen[p.Unit] || p.Ratio <= 0 {
				t.Errorf("agreement %s: party %+v unknown, repeated or without share", id, p)
			}
			seen[p.Unit] = true
			total += p.Ratio
		}
		if total != domain.FullRatio {
			t.Errorf("agreement %s: ratios sum to %s", id, total)
		}
		if len(a.Parties) < 2 || len(a.Parties) > 3 {
			t.Errorf("agreement %s: %d parties", id, len(a.Parties))
		}
		if len(a.Parties) == 3 {
			three++
		}
		if a.Line == "" {
			allLines++
		} else {
			lineSpecific++
		}
		if a.To == 0 {
			openEnded++
		} else {
			closed++
		}
	}
	if lineSpecific == 0 || allLines == 0 || openEnded == 0 || closed == 0 || three == 0 || superseded == 0 {
		t.Errorf("agreements: line-specific %d, all lines %d, open %d, closed %d, three parties %d, superseding %d",
			lineSpecific, allLines, openEnded, closed, three, superseded)
	}

	t.Logf("%d agreements: %d line-specific, %d all lines, %d open-ended, %d closed, %d with three parties, %d superseding",
		len(order), lineSpecific, allLines, openEnded, closed, three, superseded)

	// Targets.
	recs, _ = records(t, filepath.Join(dir, "targets.xlsx"), "工号")
	targetKeys := map[string]bool{}
	byMonth := map[domain.Month]map[string]bool{}
	nameOnly := 0
	for _, r := range recs {
		staff, cust, name := r.get("工号"), r.get("客户编号"), r.get("客户名称")
		m := serialDate(t, r.get("目标月份")).Month()
		if managers[staff].Status != domain.Active || m < current.AddMonths(-1) || m > current.AddMonths(1) {
			t.Errorf("target %s %s: inactive manager or month outside last, this and next", staff, m)
		}
		if cust == "" && name == "" || cust != "" && customers[cust].Name != name || r.get("项目") == "" {
			t.Errorf("target %s %s %q %q: bad customer or no project", staff, m, cust, name)
		}
		if cust == "" {
			nameOnly++
		}
		key := staff + "/" + m.String() + "/" + cust + "/" + name
		if targetKeys[key] {
			t.Errorf("target %s twice", key)
		}
		targetKeys[key] = true
		if byMonth[m] == nil {
			byMonth[m] = map[string]bool{}
		}
		byMonth[m][staff] = true
	}
	next := current.AddMonths(1)
	if len(byMonth[current.AddMonths(-1)]) == 0 {
		t.Error("no targets for last month: the roster would have none to count as met")
	}
	if nameOnly == 0 || len(byMonth[current]) == 0 || len(byMonth[next]) == 0 || len(byMonth[next]) >= len(byMonth[current]) {
		t.Errorf("targets: %d by name only; managers with targets this month %d, next month %d (want a few missing)",
			nameOnly, len(byMonth[current]), len(byMonth[next]))
	}

	// Revenue.
	revenueRows := checkRevenue(t, dir, sum, customers, units, isLine)
	if revenueRows != sum.Rows[domain.KindRevenue] {
		t.Errorf("read %d revenue rows, summary says %d", revenueRows, sum.Rows[domain.KindRevenue])
	}
}

// checkRevenue reads every revenue file back, checks it and returns the row count.
func checkRevenue(t *testing.T, dir string, sum Summary, customers map[string]domain.Customer, units map[string]domain.Unit, isLine map[string]bool) int64 {
	t.Helper()
	var rows int64
	byCustomer := map[string]map[domain.Month]domain.Money{}
	keys := map[string]bool{}
	var negative, yen, separated int
	potentialWithRevenue := map[string]bool{}
	bookers := map[domain.UnitKind]int{}
	for k := 0; k <= domain.MonthsBetween(sum.First, sum.End); k++ {
		m := sum.First.AddMonths(k)
		raw := readAll(t, filepath.Join(dir, "revenue_"+m.String()+".csv"))
		var text io.Reader
		if k%3 == 2 {
			if bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")) || utf8.Valid(raw) {
				t.Errorf("%s: should be GB18030 without BOM", m)
			}
			text = simplifiedchinese.GB18030.NewDecoder().Reader(bytes.NewReader(raw))
		} else {
			if !bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")) {
				t.Errorf("%s: UTF-8 file without BOM", m)
			}
			text = bytes.NewReader(raw[3:])
		}
		all, err := csv.NewReader(text).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if strings.Join(all[0], ",") != revenueHeader {
			t.Fatalf("%s: header %v", m, all[0])
		}
		for _, r := range all[1:] {
			rows++
			cust, line, unit := r[0], r[2], r[3]
			month, err := parseMonthCell(r[1])
			if err != nil || month != m {
				t.Fatalf("%s: month %q", m, r[1])
			}
			amount, err := parseAmount(r[4])
			if err != nil {
				t.Fatal(err)
			}
			if gated, err := domain.ParseMoney(r[4]); err != nil || gated != amount { // 15 significant digits at most
				t.Fatalf("%s: amount %q reads as %d, %v at the gate", m, r[4], gated, err)
			}
			c, ok := customers[cust]
			if !ok || !isLine[line] || units[unit].Code == "" || amount == 0 {
				t.Fatalf("%s: bad row %v", m, r)
			}
			key := cust + "/" + line + "/" + unit
			if keys[m.String()+key] {
				t.Fatalf("%s: row %s twice", m, key)
			}
			keys[m.String()+key] = true
			if byCustomer[cust] == nil {
				byCustomer[cust] = map[domain.Month]domain.Money{}
			}
			byCustomer[cust][m] += amount
			if amount < 0 {
				negative++
			}
			if strings.HasPrefix(r[4], "¥") {
				yen++
			} else if strings.Contains(r[4], ",") {
				separated++
			}
			if c.Status == domain.Potential {
				potentialWithRevenue[cust] = true
			}
			bookers[units[unit].Kind]++
		}
	}
	if negative == 0 || yen == 0 || separated == 0 {
		t.Errorf("revenue: %d negative, %d with ¥, %d with separators", negative, yen, separated)
	}
	if len(potentialWithRevenue) == 0 || len(potentialWithRevenue) > len(customers)/20 {
		t.Errorf("%d potential customers have revenue, want a few", len(potentialWithRevenue))
	}
	if bookers[domain.District] == 0 || bookers[domain.Professional] == 0 || bookers[domain.Window] == 0 || bookers[domain.Team] == 0 {
		t.Errorf("revenue booked by unit kinds %v", bookers)
	}

	// Grade the latest quarter the window covers from January on, with the
	// default thresholds: every level must appear, the lower ones far more often.
	q := sum.End.Quarter()
	if sum.End != q.LastMonth() {
		q = q.Prev()
	}
	if domain.NewMonth(q.Year, 1) < sum.First {
		t.Fatalf("window %s–%s covers no quarter from January", sum.First, sum.End)
	}
	thresholds := []domain.Money{5_000_000_00, 1_000_000_00, 600_000_00, 300_000_00, 150_000_00, 80_000_00, 30_000_00, 0}
	levels := make([]int, 9)
	for _, months := range byCustomer {
		var c domain.Money
		for m := domain.NewMonth(q.Year, 1); m <= q.LastMonth(); m = m.AddMonths(1) {
			c += months[m]
		}
		level := 8
		for k, th := range thresholds {
			if 4*c >= th*domain.Money(q.Q) {
				level = k + 1
				break
			}
		}
		levels[level]++
	}
	for l := 1; l <= 8; l++ {
		if levels[l] == 0 {
			t.Errorf("no customer at level %d (levels %v)", l, levels[1:])
		}
	}
	if levels[1] > levels[8] || levels[1]+levels[2] > len(byCustomer)/10 {
		t.Errorf("sizes not skewed: levels %v", levels[1:])
	}
	t.Logf("%s levels 1–8: %v; %d negative rows", q, levels[1:], negative)
	return rows
}

func TestRevenueAsWorkbooksHoldsTheSameRows(t *testing.T) {
	_, csvSum := generate(t, Options{Customers: 60, Months: 2, Seed: 7, Now: testNow})
	dir, xlsxSum := generate(t, Options{Customers: 60, Months: 2, Seed: 7, Now: testNow, RevenueXLSX: true})
	if csvSum.Rows[domain.KindRevenue] != xlsxSum.Rows[domain.KindRevenue] || xlsxSum.Rows[domain.KindRevenue] == 0 {
		t.Fatalf("revenue rows: csv %d, xlsx %d", csvSum.Rows[domain.KindRevenue], xlsxSum.Rows[domain.KindRevenue])
	}
	month := xlsxSum.End.String()
	f, err := excelize.OpenFile(filepath.Join(dir, "revenue_"+month+".xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("收入", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != revenueHeader || len(rows) < 2 {
		t.Fatalf("header %v, %d rows", rows[0], len(rows))
	}
	if rows[1][1] != fmt.Sprint(int(xlsxSum.End.First())) {
		t.Errorf("month cell %q, want the serial of %s's first day", rows[1][1], month)
	}
}
