package reports

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/xuri/excelize/v2"

	"kam/domain"
	"kam/rules"
)

// SplitSheetRows is the most rows (header included) one 分成明细 sheet holds
// before the detail continues on 分成明细2, 分成明细3, …: Excel's limit. A
// variable so tests can make it small.
var SplitSheetRows = excelize.TotalRows

// SplitLine is one line of 分成明细: a revenue row and one unit's share of it.
type SplitLine struct {
	Revenue domain.Revenue
	Share   rules.Share
}

// SplitSource feeds the split report. Next returns the next batch of 分成明细
// lines in report order, and nil at the end; from then on Revenue is the
// month's revenue the lines were split from, totalled row by row as it was read.
type SplitSource interface {
	Next() ([]SplitLine, error)
	Revenue() RevenueTotals
}

// RevenueTotals adds up revenue rows, exactly: what the split must reconcile
// to. The report reads its totals checked (SPEC §3.3).
type RevenueTotals struct {
	Rows           int64
	total          domain.Sum
	byLine, byUnit sums // byUnit: by the unit that booked it
}

// Add counts one revenue row.
func (t *RevenueTotals) Add(r domain.Revenue) {
	if t.byLine == nil {
		t.byLine, t.byUnit = sums{}, sums{}
	}
	t.Rows++
	t.total.Add(r.Amount)
	t.byLine.add(r.Line, r.Amount)
	t.byUnit.add(r.Unit, r.Amount)
}

// revenueFigures are a RevenueTotals' totals, each one checked.
type revenueFigures struct {
	rows           int64
	total          domain.Money
	byLine, byUnit map[string]domain.Money
}

// checked is t's totals, or the refusal naming the first that does not fit;
// report begins each name (收入分成 2026-06 ).
func (t *RevenueTotals) checked(report string) (revenueFigures, error) {
	f := revenueFigures{rows: t.Rows}
	var ok bool
	var err error
	if f.total, ok = t.total.Total(); !ok {
		return f, domain.Overflowf("%s的收入合计（%d 行）", report, t.Rows)
	}
	if f.byLine, err = t.byLine.checked(func(l string) error { return domain.Overflowf("%s业务种类 %s 的收入", report, l) }); err != nil {
		return f, err
	}
	f.byUnit, err = t.byUnit.checked(func(u string) error { return domain.Overflowf("%s单位 %s 入账的收入", report, u) })
	return f, err
}

// SplitsInput names what the split report lists beside the detail.
type SplitsInput struct {
	Month domain.Month
	Units []domain.Unit // every unit appears in 单位汇总, with 0.00 when it received nothing
	Lines []string      // configured business lines, the order 核对 lists them in
	// Customers names the customers on 分成明细 (客户名称); a missing one shows empty.
	Customers map[string]string
}

// SplitsTotals are the report's headline figures.
type SplitsTotals struct {
	Rows       int64                   // revenue rows split
	Revenue    domain.Money            // their total
	Lines      int64                   // 分成明细 lines
	Sheets     int                     // 分成明细 sheets
	Split      domain.Money            // Σ 分成金额
	Unbalanced int                     // 核对 checks whose difference is not 0.00
	ByUnit     map[string]domain.Money // Σ 分成金额 per receiving unit
	Booked     map[string]domain.Money // revenue per unit that booked it
	// Out is what each unit booked and the splits gave to others (分出), In
	// what others booked and the splits gave to it (分入), with their lines:
	// Booked − Out + In = ByUnit, to the fen.
	Out, In           map[string]domain.Money
	OutLines, InLines map[string]int64
}

// splitColumns are the contract columns of 分成明细 and of the CSV (SPEC §5).
var splitColumns = []Column{
	{Title: "客户编号"}, {Title: "业务种类", Width: 10}, {Title: "收入单位编码"}, {Title: "收入金额", Kind: Amount},
	{Title: "分成单位编码"}, {Title: "分成比例", Kind: Share, Width: 10}, {Title: "分成金额", Kind: Amount}, {Title: "协议编号"},
}

// splitDetailColumns are the contract columns, then what a person reading 分成明细 needs beside the codes.
var splitDetailColumns = append(slices.Clip(splitColumns),
	Column{Title: "月份", Width: 10}, Column{Title: "客户名称", Width: 30}, Column{Title: "分成单位名称", Width: 24})

// splitSheetName is 分成明细, then 分成明细2, 分成明细3, … for the continuations.
func splitSheetName(n int) string { return continued("分成明细", n) }

// continued names the nth sheet of a detail that continues past SplitSheetRows: base, base2, base3, …
func continued(base string, n int) string {
	if n == 1 {
		return base
	}
	return base + strconv.Itoa(n)
}

// Splits renders the month's revenue splits for finance (第十条, 第十二条(二)(四)).
// It reads src once, writing each line both to 分成明细 (continued on further
// sheets past SplitSheetRows) and — in a goroutine of its own — to csvOut
// (UTF-8 with BOM, CRLF, the same columns, amounts in yuan with two decimals),
// then adds 单位汇总 and 核对. The book is returned unwritten; the caller
// writes it (WriteTo) or closes it.
func Splits(m Meta, in SplitsInput, src SplitSource, csvOut io.Writer) (_ *Book, _ SplitsTotals, err error) {
	if m.Report == "" {
		m.Report = "收入分成"
	}
	if m.Period == "" {
		m.Period = in.Month.String()
	}
	b := NewBook(m)
	b.About("分成明细", "每笔收入每个分成单位一行：按分成协议分到的金额（分到分）")
	b.About("单位汇总", "每个单位本月分到的金额，旁边是它自己入账的收入、分给其他单位的（分出）、其他单位分给它的（分入）和分成带来的增减：入账收入 − 分出 + 分入 = 分成金额")
	b.About("核对", "分成合计与收入合计的核对，差额应为 0.00")
	defer func() {
		if err != nil {
			b.Close() // a half-written book's temporary files go with it
		}
	}()
	d := newSplitDetail(src, in)
	if err := d.write(b, csvOut); err != nil {
		return nil, SplitsTotals{}, err
	}
	report := "收入分成 " + in.Month.String() + " "
	totals := src.Revenue()
	rev, err := totals.checked(report)
	if err != nil {
		return nil, SplitsTotals{}, err
	}
	split, err := d.checked(report)
	if err == nil {
		split, err = d.checkedFlows(report, split)
	}
	if err != nil {
		return nil, SplitsTotals{}, err
	}
	if err := unitSummary(b, report, in, rev.byUnit, split); err != nil {
		return nil, SplitsTotals{}, err
	}
	unbalanced, err := reconciliation(b, report, in, rev, split)
	if err != nil {
		return nil, SplitsTotals{}, err
	}
	return b, SplitsTotals{Rows: rev.rows, Revenue: rev.total, Lines: d.lines, Sheets: d.sheets, Split: split.total, Unbalanced: unbalanced,
		ByUnit: split.byUnit, Booked: rev.byUnit, Out: split.out, In: split.in, OutLines: d.outLines, InLines: d.inLines}, nil
}

// StatementLines are one unit's lines of the month's split; each call starts a new pass.
type StatementLines interface {
	Credited() SplitSource // every line split to the unit, in report order
	Outgoing() SplitSource // every line of revenue the unit booked that was split to another unit
}

// SplitStatement renders one unit's two-sided 分成对账单 (SPEC §5): 对账单,
// from the revenue it booked (本单位入账收入) less what the splits gave to
// others (分出) plus what they gave it from others' revenue (分入) to what it
// keeps (分成后净额, its 单位汇总 分成金额); 分入 and 分出 line by line;
// 分成明细, every line credited to it, with the city's columns; its row of
// 单位汇总; and 核对 against the city report (city), which must agree to the fen.
func SplitStatement(m Meta, in SplitsInput, unit string, src StatementLines, city SplitsTotals) (_ *Book, _ SplitsTotals, err error) {
	if m.Report == "" {
		m.Report = "收入分成对账单"
	}
	if m.Period == "" {
		m.Period = in.Month.String()
	}
	b := NewBook(m)
	b.About("对账单", "本单位入账收入 − 分出 + 分入 = 分成后净额，即全市报表“单位汇总”中本单位的分成金额")
	b.About("分入", "其他单位入账、按协议分给本单位的每一笔（本单位分成增加的来源）")
	b.About("分出", "本单位入账、按协议分给其他单位的每一笔（本单位分成减少的去处）")
	b.About("分成明细", "分给本单位的每一笔（含本单位入账后留下的部分）：哪笔收入、按哪份协议、什么比例分到多少（分到分）")
	b.About("单位汇总", "本单位本月分到的金额，旁边是它自己入账的收入、分出、分入和分成带来的增减")
	b.About("核对", "本对账单与全市分成报表的核对，差额应为 0.00")
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	report := fmt.Sprintf("单位 %s %s 分成对账单中", unit, in.Month)
	booked, out, inward, net := city.Booked[unit], city.Out[unit], city.In[unit], city.ByUnit[unit]
	walked, ok := domain.Difference(booked, out)
	if ok {
		walked, ok = domain.Difference(walked, -inward)
	}
	if !ok {
		return nil, SplitsTotals{}, domain.Overflowf("%s的分成后净额（入账收入 − 分出 + 分入）", report)
	}
	err = b.Table("对账单", []Column{{Title: "项目", Width: 18}, {Title: "笔数", Kind: Count, Width: 8}, {Title: "金额", Kind: Amount}, {Title: "说明", Width: 56, Wrap: true}},
		func(add func(...any) error) error {
			for _, r := range [][]any{
				{"本单位入账收入", nil, booked, "本单位入账的全部收入（分成前）"},
				{"减：分出", city.OutLines[unit], out, "本单位入账、按协议分给其他单位的部分，逐笔见“分出”"},
				{"加：分入", city.InLines[unit], inward, "其他单位入账、按协议分给本单位的部分，逐笔见“分入”"},
				{"分成后净额", nil, walked, "入账收入 − 分出 + 分入，即全市“单位汇总”的分成金额"},
			} {
				if err := add(r...); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return nil, SplitsTotals{}, err
	}
	// 分入: a pass over the lines credited to the unit, keeping those others booked.
	incoming := newSplitDetail(src.Credited(), in)
	incoming.base, incoming.keep = "分入", func(l *SplitLine) bool { return l.Revenue.Unit != unit }
	if err := incoming.write(b, nil); err != nil {
		return nil, SplitsTotals{}, err
	}
	outgoing := newSplitDetail(src.Outgoing(), in)
	outgoing.base = "分出"
	if err := outgoing.write(b, nil); err != nil {
		return nil, SplitsTotals{}, err
	}
	d := newSplitDetail(src.Credited(), in)
	if err := d.write(b, nil); err != nil {
		return nil, SplitsTotals{}, err
	}
	split, err := d.checked(report)
	if err != nil {
		return nil, SplitsTotals{}, err
	}
	inFig, err := incoming.checked(report + "分入")
	if err != nil {
		return nil, SplitsTotals{}, err
	}
	outFig, err := outgoing.checked(report + "分出")
	if err != nil {
		return nil, SplitsTotals{}, err
	}
	var own []domain.Unit
	for _, u := range in.Units {
		if u.Code == unit {
			own = append(own, u)
		}
	}
	mine := splitFigures{byUnit: map[string]domain.Money{unit: split.byUnit[unit]},
		out: map[string]domain.Money{unit: outFig.total}, in: map[string]domain.Money{unit: inFig.total}}
	if err := unitSummary(b, report, SplitsInput{Month: in.Month, Units: own}, map[string]domain.Money{unit: booked}, mine); err != nil {
		return nil, SplitsTotals{}, err
	}
	var stray domain.Sum // lines of another unit: never, unless something is badly wrong
	for code, v := range split.byUnit {
		if code != unit {
			stray.Add(v)
		}
	}
	strayTotal, ok := stray.Total()
	if !ok {
		return nil, SplitsTotals{}, domain.Overflowf("%s其他单位的分成", report)
	}
	ownWalk, ok := domain.Difference(booked, outFig.total)
	if ok {
		ownWalk, ok = domain.Difference(ownWalk, -inFig.total)
	}
	if !ok {
		return nil, SplitsTotals{}, domain.Overflowf("%s的分成后净额（入账收入 − 分出 + 分入）", report)
	}
	checks := []check{
		{fmt.Sprintf("本单位分成合计（%d 行）", d.lines), net, split.byUnit[unit]},
		{fmt.Sprintf("分入合计（%d 行）", incoming.lines), inward, inFig.total},
		{fmt.Sprintf("分出合计（%d 行）", outgoing.lines), out, outFig.total},
		{"入账收入 − 分出 + 分入", net, ownWalk},
		{"其他单位的分成（应为 0）", 0, strayTotal},
	}
	unbalanced, err := checkTable(b, report, "全市报表", "本对账单", checks)
	if err != nil {
		return nil, SplitsTotals{}, err
	}
	b.Note("对账", fmt.Sprintf("入账收入 %s − 分出 %s + 分入 %s = 分成后净额 %s 元（全市报表“单位汇总”中本单位的分成金额 %s 元）",
		booked.Yuan(), outFig.total.Yuan(), inFig.total.Yuan(), ownWalk.Yuan(), net.Yuan()))
	return b, SplitsTotals{Lines: d.lines, Sheets: d.sheets, Split: split.total, Unbalanced: unbalanced, ByUnit: split.byUnit,
		Booked: map[string]domain.Money{unit: booked}, Out: map[string]domain.Money{unit: outFig.total}, In: map[string]domain.Money{unit: inFig.total},
		OutLines: map[string]int64{unit: outgoing.lines}, InLines: map[string]int64{unit: incoming.lines}}, nil
}

// newSplitDetail starts a pass over src's lines, naming customers and units from in.
func newSplitDetail(src SplitSource, in SplitsInput) *splitDetail {
	d := &splitDetail{src: src, byUnit: sums{}, byLine: sums{}, out: sums{}, in: sums{},
		outLines: map[string]int64{}, inLines: map[string]int64{}, base: "分成明细",
		customers: in.Customers, units: make(map[string]string, len(in.Units))}
	for _, u := range in.Units {
		d.units[u.Code] = u.Name
	}
	return d
}

// splitDetail streams the detail lines and totals them as they pass.
type splitDetail struct {
	src   SplitSource
	batch []SplitLine
	pos   int
	done  bool
	toCSV chan<- []SplitLine
	csv   <-chan error // the CSV writer's result, once it stops
	csvOK bool         // csv already received

	lines  int64
	sheets int
	total  domain.Sum
	byUnit sums
	byLine sums
	// out and in: a line's amount where the unit that booked it is not the one it goes to (分出, 分入)
	out, in           sums
	outLines, inLines map[string]int64

	base string                // the sheet's name: 分成明细, 分入, 分出
	keep func(*SplitLine) bool // nil: every line

	customers, units map[string]string // names for 客户名称 and 分成单位名称
}

// splitFigures are a split's totals, each one checked.
type splitFigures struct {
	total                   domain.Money
	byUnit, byLine, out, in map[string]domain.Money
}

// checked is the detail's totals, or the refusal naming the first that does not fit.
func (d *splitDetail) checked(report string) (splitFigures, error) {
	var f splitFigures
	var ok bool
	var err error
	if f.total, ok = d.total.Total(); !ok {
		return f, domain.Overflowf("%s的分成合计（%d 行明细）", report, d.lines)
	}
	if f.byLine, err = d.byLine.checked(func(l string) error { return domain.Overflowf("%s业务种类 %s 的分成金额", report, l) }); err != nil {
		return f, err
	}
	f.byUnit, err = d.byUnit.checked(func(u string) error { return domain.Overflowf("%s分给单位 %s 的分成金额", report, u) })
	return f, err
}

// checkedFlows adds to f what each unit gave (分出) and got (分入) across
// units, or the refusal naming the first that does not fit.
func (d *splitDetail) checkedFlows(report string, f splitFigures) (splitFigures, error) {
	var err error
	if f.out, err = d.out.checked(func(u string) error {
		return domain.Overflowf("%s单位 %s 入账、分给其他单位的金额（分出）", report, u)
	}); err != nil {
		return f, err
	}
	f.in, err = d.in.checked(func(u string) error {
		return domain.Overflowf("%s其他单位入账、分给单位 %s 的金额（分入）", report, u)
	})
	return f, err
}

// write streams the lines into the 分成明细 sheets and, beside them, the CSV.
func (d *splitDetail) write(b *Book, csvOut io.Writer) (err error) {
	toCSV := make(chan []SplitLine, 8)
	result := make(chan error, 1)
	go func() {
		if csvOut == nil { // a unit's statement has no CSV of its own
			for range toCSV {
			}
			result <- nil
			return
		}
		result <- writeSplitCSV(csvOut, toCSV)
	}()
	d.toCSV, d.csv = toCSV, result
	defer func() {
		close(toCSV)
		if !d.csvOK {
			if cerr := <-result; err == nil {
				err = cerr
			}
		}
	}()
	return d.writeSheets(b)
}

// more reports whether a line remains, pulling the next batch if need be and
// passing it on to the CSV writer.
func (d *splitDetail) more() (bool, error) {
	for d.pos == len(d.batch) {
		if d.done {
			return false, nil
		}
		batch, err := d.src.Next()
		if err != nil {
			return false, err
		}
		if batch == nil {
			d.done = true
			return false, nil
		}
		select {
		case d.toCSV <- batch:
		case cerr := <-d.csv:
			d.csvOK = true
			if cerr == nil {
				cerr = errors.New("reports: the CSV writer stopped early")
			}
			return false, cerr
		}
		d.batch, d.pos = batch, 0
	}
	return true, nil
}

// writeSheets fills 分成明细, 分成明细2, … from one pass over the lines; the
// first sheet is written even when there is no line.
func (d *splitDetail) writeSheets(b *Book) error {
	perSheet := SplitSheetRows - 1
	if perSheet < 1 {
		return fmt.Errorf("reports: SplitSheetRows %d leaves no room below the header", SplitSheetRows)
	}
	for {
		d.sheets++
		if d.sheets > 1 {
			b.About(continued(d.base, d.sheets), fmt.Sprintf("%s 的续表（一张工作表最多 %d 行）", continued(d.base, d.sheets-1), SplitSheetRows))
		}
		err := b.Table(continued(d.base, d.sheets), splitDetailColumns, func(add func(...any) error) error {
			for n := 0; n < perSheet; {
				more, err := d.more()
				if err != nil || !more {
					return err
				}
				l := &d.batch[d.pos]
				d.pos++
				if d.keep != nil && !d.keep(l) {
					continue
				}
				n++
				r, s := &l.Revenue, &l.Share
				d.lines++
				d.total.Add(s.Amount)
				d.byUnit.add(s.Unit, s.Amount)
				d.byLine.add(r.Line, s.Amount)
				if r.Unit != s.Unit {
					d.out.add(r.Unit, s.Amount)
					d.in.add(s.Unit, s.Amount)
					d.outLines[r.Unit]++
					d.inLines[s.Unit]++
				}
				var agreement any // most rows have none: an empty cell costs less to write than an empty string
				if s.Agreement != "" {
					agreement = s.Agreement
				}
				if err := add(r.Customer, r.Line, r.Unit, r.Amount, s.Unit, s.Ratio, s.Amount, agreement,
					r.Month, d.customers[r.Customer], d.units[s.Unit]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		more, err := d.more()
		if err != nil || !more {
			return err
		}
	}
}

// writeSplitCSV writes the 分成明细 columns and every line it is sent, as the finance system imports them.
func writeSplitCSV(out io.Writer, batches <-chan []SplitLine) error {
	bw := bufio.NewWriterSize(out, 1<<16)
	if _, err := bw.WriteString("\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	// The contract columns, then 月份 (SPEC §5): a file imported beside other months says which it is.
	rec := make([]string, len(splitColumns)+1)
	for i, c := range splitColumns {
		rec[i] = c.Title
	}
	rec[len(splitColumns)] = "月份"
	if err := cw.Write(rec); err != nil {
		return err
	}
	for batch := range batches {
		for i := range batch {
			r, s := &batch[i].Revenue, &batch[i].Share
			rec[0], rec[1], rec[2], rec[3] = r.Customer, r.Line, r.Unit, r.Amount.Plain()
			rec[4], rec[5], rec[6], rec[7], rec[8] = s.Unit, s.Ratio.String(), s.Amount.Plain(), s.Agreement, r.Month.String()
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// unitSummary is 单位汇总: every unit's split, beside the revenue it booked,
// what the splits took from it (分出) and gave it (分入), and the difference:
// 入账收入 − 分出 + 分入 = 分成金额.
func unitSummary(b *Book, report string, in SplitsInput, bookedBy map[string]domain.Money, split splitFigures) error {
	names := make(map[string]string, len(in.Units))
	codes := make([]string, 0, len(in.Units))
	for _, u := range in.Units {
		names[u.Code] = u.Name
		codes = append(codes, u.Code)
	}
	// A share or booking for a code no longer in the units list is still money finance must see.
	for _, m := range []map[string]domain.Money{split.byUnit, bookedBy} {
		for code := range m {
			if _, ok := names[code]; !ok {
				names[code] = ""
				codes = append(codes, code)
			}
		}
	}
	slices.Sort(codes)
	return b.Table("单位汇总", []Column{
		{Title: "单位编码"}, {Title: "单位名称", Width: 28}, {Title: "分成金额", Kind: Amount},
		{Title: "入账收入", Kind: Amount}, {Title: "分出", Kind: Amount}, {Title: "分入", Kind: Amount}, {Title: "分成增减", Kind: Amount},
	}, func(add func(...any) error) error {
		for _, code := range codes {
			got, booked := split.byUnit[code], bookedBy[code]
			change, ok := domain.Difference(got, booked)
			if !ok {
				return domain.Overflowf("%s单位 %s 的分成增减（分成金额减入账收入）", report, code)
			}
			if err := add(code, names[code], got, booked, split.out[code], split.in[code], change); err != nil {
				return err
			}
		}
		return nil
	})
}

// reconciliation is 核对: the month's revenue against the split, overall, per
// business line, and against the sum of 单位汇总. It returns how many checks
// do not balance (always 0 unless something is badly wrong).
func reconciliation(b *Book, report string, in SplitsInput, rev revenueFigures, split splitFigures) (int, error) {
	checks := []check{{fmt.Sprintf("%s 收入合计（%d 行）", in.Month, rev.rows), rev.total, split.total}}
	var extra []string
	for _, m := range []map[string]domain.Money{rev.byLine, split.byLine} {
		for l := range m {
			if !slices.Contains(in.Lines, l) && !slices.Contains(extra, l) {
				extra = append(extra, l)
			}
		}
	}
	slices.Sort(extra)
	for _, l := range slices.Concat(in.Lines, extra) {
		checks = append(checks, check{"业务种类 " + l, rev.byLine[l], split.byLine[l]})
	}
	var units domain.Sum
	for _, v := range split.byUnit {
		units.Add(v)
	}
	unitsTotal, ok := units.Total()
	if !ok {
		return 0, domain.Overflowf("%s单位汇总的分成金额", report)
	}
	checks = append(checks, check{"单位汇总合计", rev.total, unitsTotal})

	return checkTable(b, report, "收入金额", "分成金额", checks)
}

// check is one row of 核对: two amounts that must agree to the fen.
type check struct {
	what      string
	want, got domain.Money
}

// checkTable writes 核对 and counts the rows that do not balance.
func checkTable(b *Book, report, wantTitle, gotTitle string, checks []check) (int, error) {
	unbalanced := 0
	err := b.Table("核对", []Column{
		{Title: "核对项目", Width: 28}, {Title: wantTitle, Kind: Amount}, {Title: gotTitle, Kind: Amount},
		{Title: "差额", Kind: Amount}, {Title: "结果", Width: 10},
	}, func(add func(...any) error) error {
		for _, c := range checks {
			diff, ok := domain.Difference(c.want, c.got)
			if !ok {
				return domain.Overflowf("%s核对「%s」的差额（%s减%s）", report, c.what, wantTitle, gotTitle)
			}
			result := Cell{V: "一致", Tone: Good}
			if diff != 0 {
				unbalanced++
				result = Cell{V: "不一致", Tone: Bad}
			}
			if err := add(c.what, c.want, c.got, diff, result); err != nil {
				return err
			}
		}
		return nil
	})
	return unbalanced, err
}
