package loaders

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"

	"kam/domain"
)

// Units, splits and targets are buffered whole, so rules that span rows (a
// parent in the same file, ratios summing to 100.00, one manager's month in one
// write) can be checked before anything is written. Managers, customers and
// claims span rows only through their keys, so they stream like revenue and
// memory stays flat for a 200,000-customer CRM export.

// dupKey reports a key already used by an earlier row of the file.
func (l *loader) dupKey(first map[string]int, key string, c int, what string) {
	if key == "" {
		return
	}
	if prev, dup := first[key]; dup {
		l.fail(c, key, fmt.Sprintf("%s与第 %d 行重复", what, prev))
		return
	}
	first[key] = l.row
}

type unitRow struct {
	row     int
	u       domain.Unit
	kindRaw string
	kindOK  bool
	lineRaw string
}

func (l *loader) loadUnits(w Writer) error {
	var rows []unitRow
	first := map[string]int{}
	for l.next() {
		code, _ := l.code(uCode, true, domain.ParseUnitCode, "")
		l.dupKey(first, code, uCode, "单位编码")
		name := l.text(uName)
		kind, kindRaw, kindOK := enumCell(l, uKind, domain.UnitKinds)
		parent, _ := l.code(uParent, false, domain.ParseUnitCode, "")
		line, lineRaw, _ := l.line(uLine, false)
		email := l.mailboxes(uEmail)
		rows = append(rows, unitRow{l.row, domain.Unit{Code: code, Name: name, Kind: kind, Parent: parent, Line: line, Email: email}, kindRaw, kindOK, lineRaw})
	}
	if l.readErr != nil {
		return l.readErr
	}
	l.checkUnits(rows)
	units := make([]domain.Unit, len(rows))
	for i, r := range rows {
		units[i] = r.u
	}
	return finish(l, units, w.PutUnits)
}

// checkUnits applies the rules that look past one row: parents (which may be
// defined in the same file), professional bureaus' lines, one city centre.
func (l *loader) checkUnits(rows []unitRow) {
	inFile := map[string]domain.Unit{}
	for _, r := range rows {
		if _, seen := inFile[r.u.Code]; !seen && r.u.Code != "" && r.kindOK {
			inFile[r.u.Code] = r.u
		}
	}
	resolve := func(code string) (domain.Unit, bool) {
		if u, ok := inFile[code]; ok {
			return u, true
		}
		return l.storedUnit(code)
	}
	var centers []unitRow
	for _, r := range rows {
		u := r.u
		if !r.kindOK {
			continue
		}
		needsParent := u.Kind == domain.Team || u.Kind == domain.Window
		switch {
		case u.Parent == "" && needsParent:
			l.failAt(r.row, uParent, "", "营投班组和营业窗口必须填写上级单位编码（所属镇区局）")
		case u.Parent != "" && u.Parent == u.Code:
			l.failAt(r.row, uParent, u.Parent, "上级单位不能是本单位")
		case u.Parent != "":
			p, ok := resolve(u.Parent)
			switch {
			case !ok:
				l.failAt(r.row, uParent, u.Parent, "上级单位编码在本文件和系统中都不存在")
			case needsParent && p.Kind != domain.District:
				l.failAt(r.row, uParent, u.Parent, fmt.Sprintf("营投班组和营业窗口的上级单位必须是镇区局，%s 是%s",
					p.Code, domain.LabelOf(domain.UnitKinds, p.Kind)))
			}
		}
		if u.Kind == domain.Professional && r.lineRaw == "" {
			l.failAt(r.row, uLine, "", "专业局必须填写专业（业务种类）")
		}
		if u.Kind == domain.CityCenter {
			centers = append(centers, r)
		}
	}
	stored, storeHas := l.env.Refs.CityCenter()
	if _, redefined := inFile[stored]; storeHas && redefined {
		storeHas = false // the file's own row for that unit decides its kind
	}
	switch {
	case len(centers) > 1:
		for _, r := range centers[1:] {
			l.failAt(r.row, uKind, r.kindRaw, fmt.Sprintf("市局大客户中心只能有一个（第 %d 行已是 %s）", centers[0].row, centers[0].u.Code))
		}
	case len(centers) == 1 && storeHas:
		l.failAt(centers[0].row, uKind, centers[0].kindRaw, fmt.Sprintf("系统中已有市局大客户中心 %s，只能有一个；如要更换，请在本文件中把 %s 改为其他类型", stored, stored))
	case len(centers) == 0 && !storeHas:
		l.failAt(l.x.headerRow, uKind, "", "必须有一个市局大客户中心，本文件和系统中都没有")
	}
}

func (l *loader) loadManagers(w Writer) error {
	out := streamTo(l, w.PutManagers)
	first := map[string]int{}
	for l.next() {
		id, _ := l.code(mStaff, true, domain.ParseStaffID, "")
		l.dupKey(first, id, mStaff, "工号")
		name := l.text(mName)
		unit := l.unitCell(mUnit, true)
		status, _, _ := enumCell(l, mStatus, domain.ManagerStatuses)
		if err := out.add(domain.Manager{StaffID: id, Name: name, Unit: unit, Status: status}); err != nil {
			return err
		}
	}
	return out.finish()
}

func (l *loader) loadCustomers(w Writer) error {
	out := streamTo(l, w.PutCustomers)
	first := map[string]int{}
	for l.next() {
		id, _ := l.code(cID, true, domain.ParseCustomerID, "")
		l.dupKey(first, id, cID, "客户编号")
		name := l.text(cName)
		credit, _, _ := parsed(l, cCredit, true, domain.ParseCreditCode)
		industry, _, _ := parsed(l, cIndustry, true, domain.ParseIndustry)
		category, _, categoryOK := enumCell(l, cCategory, domain.Categories)
		mainLine, mainRaw, _ := l.line(cMainLine, false)
		if categoryOK && category == domain.Specialized && mainRaw == "" {
			l.fail(cMainLine, "", "专业客户必须填写主营业务")
		}
		status, _, _ := enumCell(l, cStatus, domain.CoopStatuses)
		strategic, _, _ := parsed(l, cStrategic, true, domain.ParseBool)
		territory := l.unitCell(cTerritory, true)
		signing := l.unitCell(cSigning, true)
		a := l.managerCell(cManagerA, true)
		b := l.managerCell(cManagerB, false)
		err := out.add(domain.Customer{
			ID: id, Name: name, CreditCode: credit, Industry: industry, Category: category, MainLine: mainLine,
			Status: status, Strategic: strategic, Territory: territory, Signing: signing, ManagerA: a, ManagerB: b,
			Archive: l.archive(),
		})
		if err != nil {
			return err
		}
	}
	return out.finish()
}

// archive reads the customer's optional archive columns (信息档案); Present
// marks those the file has, so a column it leaves out keeps what is stored.
func (l *loader) archive() domain.Archive {
	var a domain.Archive
	for f := domain.ArchiveAddress; f <= domain.ArchiveContactEmail; f++ {
		c := cArchive + int(f)
		if l.x.pos[c] < 0 {
			continue
		}
		a.Present = a.Present.With(f)
		var v string
		switch f {
		case domain.ArchivePostcode:
			v, _, _ = parsed(l, c, false, domain.ParsePostcode)
		case domain.ArchiveContactPhone:
			v, _, _ = parsed(l, c, false, domain.ParsePhone)
		case domain.ArchiveContactEmail:
			v, _, _ = parsed(l, c, false, domain.ParseEmail)
		default:
			v = l.cell(c)
		}
		switch f {
		case domain.ArchiveAddress:
			a.Address = v
		case domain.ArchivePostcode:
			a.Postcode = v
		case domain.ArchiveContactName:
			a.ContactName = v
		case domain.ArchiveContactPhone:
			a.ContactPhone = v
		case domain.ArchiveContactEmail:
			a.ContactEmail = v
		}
	}
	return a
}

// loadVisits streams 走访记录: a visit is keyed by its 走访编号 (upsert); it
// cannot lie in the future, its customer and manager must exist, and a next
// contact it agrees cannot come before it.
func (l *loader) loadVisits(w Writer) error {
	out := streamTo(l, w.PutVisits)
	first := map[string]int{}
	for l.next() {
		id, _ := l.code(vID, true, domain.ParseID, "")
		l.dupKey(first, id, vID, "走访编号")
		cust := l.customerCell(vCustomer, true)
		on, _, onOK := l.date(vOn, true)
		kind, _, _ := enumCell(l, vKind, domain.VisitKinds)
		staff := l.managerCell(vStaff, true)
		contact := l.cell(vContact)
		notes := l.cell(vNotes)
		// A next contact is a promise: it may lie in the future, never before the visit.
		next, nextRaw, nextOK := parsed(l, vNext, false, domain.ParseDate)
		if onOK && nextOK && next < on {
			l.fail(vNext, nextRaw, "下次联系日期早于走访日期（"+on.String()+"）")
		}
		err := out.add(domain.Visit{ID: id, Customer: cust, On: on, Kind: kind, StaffID: staff, Contact: contact, Notes: notes, Next: next})
		if err != nil {
			return err
		}
	}
	return out.finish()
}

func (l *loader) loadClaims(w Writer) error {
	out := streamTo(l, w.PutClaims)
	first := map[string]int{}
	for l.next() {
		id, _ := l.code(clID, true, domain.ParseID, "")
		l.dupKey(first, id, clID, "申报编号")
		cust := l.customerCell(clCustomer, true)
		unit := l.unitCell(clUnit, true)
		staff := l.managerCell(clStaff, true)
		registered, _, regOK := l.date(clRegistered, true)
		confirmed, confRaw, confOK := l.date(clConfirmed, false)
		typ, _, _ := enumCell(l, clType, domain.ProjectTypes)
		period, _, _ := parsed(l, clPeriod, false, func(s string) (int, error) { return domain.ParseCount(s, 120) })
		developed, devRaw, devOK := l.date(clDeveloped, false)
		if regOK && confOK && confirmed < registered {
			l.fail(clConfirmed, confRaw, "确认日期早于申报日期")
		}
		if regOK && devOK && developed < registered {
			l.fail(clDeveloped, devRaw, "开发成功日期早于申报日期")
		}
		err := out.add(domain.Claim{ID: id, Customer: cust, Unit: unit, Manager: staff, Registered: registered,
			Confirmed: confirmed, Type: typ, PeriodMonths: period, Developed: developed})
		if err != nil {
			return err
		}
	}
	return out.finish()
}

// checkRatios settles how an agreement's ratios were written and checks they
// total exactly 100.00. Percentages (50, 33.33%) are the rule; an agreement
// whose cells only make 100.00 as fractions (0.5 + 0.5) came from a
// percentage-formatted Excel column, which stores 50% as 0.5 — no reading can
// make both total 100, so the choice is never ambiguous. parties is rewritten
// in place when the fraction reading holds.
func (l *loader) checkRatios(id string, rows []splitRow, idx []int, parties []domain.SplitParty) {
	pctSum, fracSum, pctOK, fracOK, fractions := 0, 0, true, true, true
	for _, i := range idx {
		r := &rows[i]
		if r.raw[sRatio] == "" {
			return // reported as empty already
		}
		pctOK = pctOK && r.ratioErr == ""
		fracOK = fracOK && r.fractionErr == ""
		fractions = fractions && (r.looksFraction || strings.Contains(r.raw[sRatio], "%"))
		pctSum += int(r.party.Ratio)
		fracSum += int(r.asFraction)
	}
	if pctOK && pctSum == int(domain.FullRatio) {
		return
	}
	if fracOK && fracSum == int(domain.FullRatio) {
		for k, i := range idx {
			parties[k].Ratio = rows[i].asFraction
		}
		return
	}
	// Neither reading holds: report in the one the cells look written in.
	sum, readingOK := pctSum, pctOK
	if fractions {
		sum, readingOK = fracSum, fracOK
	}
	if readingOK {
		l.failAt(rows[idx[0]].row, sRatio, domain.Ratio(sum).String(),
			fmt.Sprintf("协议 %s 的分成比例合计为 %s，应正好是 100.00", id, domain.Ratio(sum)))
		return
	}
	for _, i := range idx {
		r := &rows[i]
		switch {
		case fractions && r.fractionErr != "":
			l.failAt(r.row, sRatio, percentOfFraction(r.raw[sRatio]), r.fractionErr)
		case !fractions && r.ratioErr != "":
			l.failAt(r.row, sRatio, r.raw[sRatio], r.ratioErr)
		}
	}
}

type splitRow struct {
	row      int
	a        domain.SplitAgreement // the agreement as this row states it, without parties
	party    domain.SplitParty
	ratioErr string // why the ratio is no percentage
	// The ratio read as a fraction (0.5 for 50%), as a percentage-formatted Excel cell stores it.
	asFraction    domain.Ratio
	fractionErr   string
	looksFraction bool      // a plain number no larger than 1
	raw           [7]string // cells as written, by the kind's column
	failed        uint64    // columns of this row already reported
}

func (r *splitRow) ok(c int) bool { return r.failed&(uint64(1)<<uint(c)) == 0 }

func (l *loader) loadSplits(w Writer) error {
	var rows []splitRow
	for l.next() {
		var r splitRow
		r.row = l.row
		r.a.ID, _ = l.code(sID, true, domain.ParseID, "")
		r.a.Customer = l.customerCell(sCustomer, true)
		var fromOK, toOK bool
		r.a.From, r.raw[sFrom], fromOK = l.month(sFrom, true)
		if fromOK {
			l.notAfter(sFrom, r.a.From, r.raw[sFrom], l.thisMonth, "生效月份")
		}
		r.a.To, r.raw[sTo], toOK = l.month(sTo, false)
		if fromOK && toOK && r.a.To < r.a.From {
			l.fail(sTo, r.raw[sTo], "失效月份早于生效月份")
		}
		r.a.Line, r.raw[sLine], _ = l.line(sLine, false)
		r.party.Unit = l.unitCell(sUnit, true)
		r.raw[sRatio] = domain.NormalForm(l.cell(sRatio)) // ５０％ is 50% to each reading below
		if raw := r.raw[sRatio]; raw == "" {
			l.fail(sRatio, "", domain.ErrEmpty.Error())
		} else {
			var err error
			if r.party.Ratio, err = domain.ParseRatio(raw); err != nil {
				r.ratioErr = err.Error()
			}
			// "33.33%" is a percentage whichever way the agreement is read.
			r.asFraction, r.fractionErr, r.looksFraction = r.party.Ratio, r.ratioErr, false
			if !strings.Contains(raw, "%") {
				r.asFraction, err = domain.ParseRatio(percentOfFraction(raw))
				r.fractionErr = ""
				if err != nil {
					r.fractionErr = err.Error()
				}
				v, perr := strconv.ParseFloat(raw, 64)
				r.looksFraction = perr == nil && v <= 1
			}
		}
		r.raw[sID], r.raw[sCustomer], r.raw[sUnit] = r.a.ID, r.a.Customer, r.party.Unit
		r.failed = l.failedCols
		rows = append(rows, r)
	}
	if l.readErr != nil {
		return l.readErr
	}
	agreements := l.checkSplits(rows)
	return finish(l, agreements, w.PutAgreements)
}

// checkSplits gathers each agreement's parties (its rows need not be
// adjacent) and checks them: rows agree, units differ, ratios total 100.00,
// and no other agreement for the customer and line starts the same month.
func (l *loader) checkSplits(rows []splitRow) []domain.SplitAgreement {
	type acc struct {
		first  int // index of the agreement's first row
		a      domain.SplitAgreement
		rows   []int // indexes of its rows, for the ratio reading chosen at the end
		byUnit map[string]int
	}
	var order []string
	by := map[string]*acc{}
	for i := range rows {
		r := &rows[i]
		if r.a.ID == "" {
			continue
		}
		g := by[r.a.ID]
		if g == nil {
			g = &acc{first: i, a: r.a, byUnit: map[string]int{}}
			by[r.a.ID] = g
			order = append(order, r.a.ID)
		} else {
			f := &rows[g.first]
			mismatch := func(c int, differ bool, what string) {
				if differ && r.ok(c) && f.ok(c) {
					l.failAt(r.row, c, r.raw[c], fmt.Sprintf("与同一协议第 %d 行的%s不一致", f.row, what))
				}
			}
			mismatch(sCustomer, r.a.Customer != f.a.Customer, "客户编号")
			mismatch(sFrom, r.a.From != f.a.From, "生效月份")
			mismatch(sTo, r.a.To != f.a.To, "失效月份")
			mismatch(sLine, r.a.Line != f.a.Line, "业务种类")
		}
		if u := r.party.Unit; u != "" {
			if prev, dup := g.byUnit[u]; dup {
				l.failAt(r.row, sUnit, u, fmt.Sprintf("同一协议中分成单位与第 %d 行重复", prev))
			} else {
				g.byUnit[u] = r.row
			}
		}
		g.rows = append(g.rows, i)
		g.a.Parties = append(g.a.Parties, r.party)
	}
	type start struct {
		id  string
		row int
	}
	starts := map[string]start{}
	out := make([]domain.SplitAgreement, 0, len(order))
	for _, id := range order {
		g := by[id]
		f := &rows[g.first]
		l.checkRatios(id, rows, g.rows, g.a.Parties)
		out = append(out, g.a)
		if !f.ok(sCustomer) || !f.ok(sFrom) || !f.ok(sLine) || g.a.Customer == "" {
			continue
		}
		key := g.a.Customer + "\x00" + g.a.Line + "\x00" + g.a.From.String()
		if other, dup := starts[key]; dup {
			l.failAt(f.row, sFrom, f.raw[sFrom], fmt.Sprintf("与协议 %s（第 %d 行）是同一客户、同一业务种类、同一生效月份，只能有一个协议", other.id, other.row))
			continue
		}
		starts[key] = start{id, f.row}
		if stored, ok := l.env.Refs.AgreementStarting(g.a.Customer, g.a.Line, g.a.From); ok && stored != id && by[stored] == nil {
			l.failAt(f.row, sFrom, f.raw[sFrom], fmt.Sprintf("系统中已有协议 %s 是同一客户、同一业务种类、同一生效月份开始，只能有一个协议", stored))
		}
	}
	return out
}

func (l *loader) loadTargets(w Writer) error {
	var ts []domain.Target
	first := map[string]int{}
	for l.next() {
		staff := l.managerCell(tStaff, true)
		month, raw, ok := l.month(tMonth, true)
		if ok {
			l.notAfter(tMonth, month, raw, l.thisMonth.AddMonths(1), "目标月份")
		}
		cust := l.customerCell(tCustomer, false)
		name := l.cell(tCustomerName)
		if cust == "" && name == "" {
			c := tCustomer
			if l.x.pos[tCustomer] < 0 {
				c = tCustomerName
			}
			l.fail(c, "", "客户编号和客户名称至少填一个")
		}
		project := l.text(tProject)
		if !l.rowBad() {
			key := staff + "\x00" + month.String() + "\x00" + cust + "\x00" + name + "\x00" + project
			if prev, dup := first[key]; dup {
				l.fail(tProject, project, fmt.Sprintf("与第 %d 行完全相同（同一客户经理、月份、客户和项目）", prev))
			} else {
				first[key] = l.row
			}
		}
		ts = append(ts, domain.Target{StaffID: staff, Month: month, Customer: cust, CustomerName: name, Project: project})
	}
	if l.readErr != nil || l.bad() {
		return l.readErr
	}
	var batch []domain.Target
	for _, g := range groupTargets(ts) {
		if len(batch) > 0 && len(batch)+len(g) > batchSize {
			if err := w.PutTargets(batch); err != nil {
				return fmt.Errorf("写入目标: %w", err)
			}
			batch = nil
		}
		batch = append(batch, g...)
	}
	if len(batch) > 0 {
		if err := w.PutTargets(batch); err != nil {
			return fmt.Errorf("写入目标: %w", err)
		}
	}
	return nil
}

// groupTargets gathers targets by (staff id, month) in first-seen order, so
// no Writer call splits one manager's month (PutTargets replaces it per call).
func groupTargets(ts []domain.Target) [][]domain.Target {
	type key struct {
		staff string
		month domain.Month
	}
	var order []key
	groups := map[key][]domain.Target{}
	for _, t := range ts {
		k := key{t.StaffID, t.Month}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], t)
	}
	out := make([][]domain.Target, len(order))
	for i, k := range order {
		out[i] = groups[k]
	}
	return out
}

// mailboxes reads an optional cell of e-mail addresses separated by ";" (also
// "；", "," or "，", as staff type them), each checked, kept as "a@x;b@y".
func (l *loader) mailboxes(c int) string {
	raw := l.cell(c)
	if raw == "" {
		return ""
	}
	var out []string
	for _, a := range strings.FieldsFunc(raw, func(r rune) bool { return r == ';' || r == '；' || r == ',' || r == '，' }) {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if addr, err := mail.ParseAddress(a); err != nil || addr.Address != a {
			l.fail(c, raw, fmt.Sprintf("「%s」不是有效的电子邮件地址（多个地址用分号分隔，如 a@dg.cn;b@dg.cn）", a))
			return ""
		}
		out = append(out, a)
	}
	return strings.Join(out, ";")
}
