package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/mail"
	"kam/reports"
	"kam/rules"
	"kam/store"
)

var splitsJob = Job{
	Name: "splits", Title: "收入分成", Period: Monthly,
	ScheduleKey: "splits", RecipientsKey: "splits", DefaultSchedule: "0 5 6 * *",
	Share: "它的分成对账单：分成给它的每一行，与全市的数字核对",
	KeyFigure: func(c map[string]int64) (string, bool) {
		if !has(c, "split_fen", "difference_fen") {
			return "", false
		}
		if d := domain.Money(c["difference_fen"]); d != 0 {
			return "差额 ¥" + d.Yuan() + "，请核对", true
		}
		return "分成合计 ¥" + domain.Money(c["split_fen"]).Yuan() + "，已平衡", true
	},
	MailPart: always, // a unit's 分成对账单 of the month, even when nothing was split to it
	Run:      runSplits,
}

// runSplits writes the month's revenue splits for finance (第十条, 第十二条(二)(四)):
// splits_YYYY-MM.xlsx and splits_YYYY-MM.csv, from one ordered pass over the
// month's stored revenue.
func runSplits(ctx context.Context, a *core.App, period string, _ domain.Date, out *Output) error {
	month, err := domain.ParseMonth(period)
	if err != nil {
		return domain.Usagef("--period: %v", err)
	}
	if has, err := a.Store.HasRevenue(ctx, month); err != nil {
		return domain.Failed(err, "读取 %s 收入", month)
	} else if has {
		if err := out.requireComplete(ctx, a, []domain.Month{month}); err != nil {
			return err
		}
	}
	units, err := a.Store.Units(ctx)
	if err != nil {
		return err
	}
	agreements, err := a.Store.Agreements(ctx)
	if err != nil {
		return err
	}
	index, err := rules.NewAgreementIndex(agreements)
	if err != nil {
		return domain.Refusedf("%v；请更正该分成协议后重新导入，再生成 %s 的分成报表", err, month)
	}

	var (
		book   *reports.Book
		totals reports.SplitsTotals
	)
	customers, err := a.Store.Customers(ctx)
	if err != nil {
		return err
	}
	in := reports.SplitsInput{Month: month, Units: units, Lines: a.Cfg.BusinessLines, Customers: directoryOf(customers, nil, nil).Customers}
	// Each unit with a mailbox gets its 分成对账单: its lines are kept aside during the one pass.
	parts := unitParts(a, units)
	codes := make([]string, len(parts))
	for i, p := range parts {
		codes[i] = p.Unit.Code
	}
	spool, err := newLineSpool(out.tmp, codes)
	if err != nil {
		return domain.Failed(err, "创建分成明细暂存文件")
	}
	defer spool.close()
	meta := reportMeta(a, ctx, out, reads{kinds: []domain.Kind{domain.KindRevenue, domain.KindSplits, domain.KindCustomers, domain.KindUnits}, from: month, to: month},
		reports.Setting{Item: "业务种类", Text: strings.Join(a.Cfg.BusinessLines, "、"), Key: "business_lines"})
	err = a.Store.ReadMonthRevenue(ctx, month, func(rows *store.RevenueCursor) error {
		// The CSV is written during the pass; the workbook's sheets wait in excelize's temp files.
		return out.AddFile("splits_"+period+".csv", func(w io.Writer) error {
			feed := feedLines(index, rows, spool)
			defer feed.stop()
			var err error
			book, totals, err = reports.Splits(meta, in, feed, w)
			return err
		})
	})
	if errors.Is(err, store.ErrNoRevenue) {
		return domain.Refusedf("%s 还没有导入收入数据，不能生成分成报表；请先把该月的收入文件放入收件目录并导入", month)
	}
	if err != nil {
		if book != nil {
			book.Close()
		}
		return err
	}
	if totals.Unbalanced > 0 {
		book.Close()
		return fmt.Errorf("%s 分成核对有 %d 项不平，报表未发出", month, totals.Unbalanced)
	}
	err = beside(func() error {
		err := out.AddFile("splits_"+period+".xlsx", func(w io.Writer) error { _, err := book.WriteTo(w); return err })
		if err != nil {
			book.Close()
		}
		return err
	}, func() error { return splitStatements(a, out, meta, in, parts, spool, totals) })
	if err != nil {
		return err
	}

	if out.Act, err = splitActions(totals, units); err != nil {
		return err
	}
	difference, ok := domain.Difference(totals.Revenue, totals.Split)
	if !ok {
		return domain.Overflowf("%s 的收入合计与分成合计之差", month)
	}
	out.Count("revenue_rows", totals.Rows)
	out.Count("lines", totals.Lines)
	out.Count("sheets", int64(totals.Sheets))
	out.Count("split_fen", int64(totals.Split))
	out.Count("difference_fen", int64(difference))
	out.Headline = fmt.Sprintf("分成合计 ¥%s，明细 %s 行，差额 %s",
		totals.Split.Yuan(), domain.Grouped(totals.Lines), difference.Yuan())
	return nil
}

// lineFeed splits the cursor's revenue rows in a goroutine of its own and
// hands the shares to the report in batches, so reading the database and
// writing the workbook run side by side; a few batches in flight bound memory.
type lineFeed struct {
	batches chan []reports.SplitLine
	quit    chan struct{}
	done    chan struct{}
	stopped sync.Once
	err     error                 // the cursor's, set before batches closes
	revenue reports.RevenueTotals // complete once batches closes
}

const feedBatch = 1024

func feedLines(index *rules.AgreementIndex, rows *store.RevenueCursor, spool *lineSpool) *lineFeed {
	f := &lineFeed{
		batches: make(chan []reports.SplitLine, 8),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go f.produce(index, rows, spool)
	return f
}

func (f *lineFeed) produce(index *rules.AgreementIndex, rows *store.RevenueCursor, spool *lineSpool) {
	defer close(f.done)
	defer close(f.batches)
	// Batches are shared by the workbook and the CSV writer, so each is new rather than reused.
	batch := make([]reports.SplitLine, 0, feedBatch+8)
	send := func() bool {
		select {
		case f.batches <- batch:
			batch = make([]reports.SplitLine, 0, feedBatch+8)
			return true
		case <-f.quit:
			return false
		}
	}
	for rows.Next() {
		r := rows.Revenue()
		f.revenue.Add(r)
		for _, s := range index.Split(r) {
			batch = append(batch, reports.SplitLine{Revenue: r, Share: s})
			if err := spool.add(&batch[len(batch)-1]); err != nil {
				f.err = err
				send()
				return
			}
		}
		if len(batch) >= feedBatch && !send() {
			return
		}
	}
	f.err = rows.Err()
	if len(batch) > 0 {
		send()
	}
}

// Next gives the report the next batch of lines, nil at the end.
func (f *lineFeed) Next() ([]reports.SplitLine, error) {
	b, ok := <-f.batches
	if !ok {
		return nil, f.err
	}
	return b, nil
}

// Revenue is the month's revenue as the rows were read, complete once Next has returned nil.
func (f *lineFeed) Revenue() reports.RevenueTotals { return f.revenue }

// stop ends the producer, if still running, and waits until it no longer uses the cursor.
func (f *lineFeed) stop() {
	f.stopped.Do(func() { close(f.quit) })
	<-f.done
}

// splitStatements writes each unit's 分成对账单 from the spooled lines; each
// must agree with the unit's row of the city's 单位汇总 to the fen.
func splitStatements(a *core.App, out *Output, meta reports.Meta, in reports.SplitsInput,
	parts []*UnitPart, spool *lineSpool, city reports.SplitsTotals) error {
	return writeParts(out, parts, "splits_"+in.Month.String(), func(p *UnitPart) (*reports.Book, error) {
		book, t, err := reports.SplitStatement(unitMeta(a, meta, p, "本单位的分成对账单：分成明细只含分给本单位的分成；分入、分出是本单位与其他单位之间的分成"), in, p.Unit.Code, spool.statement(p.Unit.Code), city)
		if err != nil {
			return nil, err
		}
		if t.Unbalanced > 0 {
			book.Close()
			return nil, fmt.Errorf("分成对账单与全市报表不一致（%s），报表未发出", p.label())
		}
		p.Count("lines", t.Lines)
		p.Count("split_fen", int64(t.Split))
		p.Count("difference_fen", 0)
		u := p.Unit.Code
		p.Headline = fmt.Sprintf("%s %s 入账收入 ¥%s − 分出 ¥%s + 分入 ¥%s = 分成后净额 ¥%s，与全市报表一致", p.label(), in.Month,
			t.Booked[u].Yuan(), t.Out[u].Yuan(), t.In[u].Yuan(), t.Split.Yuan())
		p.Act, err = splitActions(reports.SplitsTotals{ByUnit: map[string]domain.Money{p.Unit.Code: t.Split},
			Booked: map[string]domain.Money{p.Unit.Code: city.Booked[p.Unit.Code]}}, in.Units)
		if err != nil {
			book.Close()
			return nil, err
		}
		return book, nil
	})
}

// splitActions is each unit's split beside what it booked: what finance posts
// per unit; a change beyond Money refuses (the totals are checked, their difference too).
func splitActions(totals reports.SplitsTotals, units []domain.Unit) (*mail.Table, error) {
	t := &mail.Table{Caption: "各单位分成金额（明细见附件“分成明细”）", Head: []string{"单位", "分成金额（元）", "入账收入（元）", "分成增减（元）"}}
	names := map[string]string{}
	for _, u := range units {
		names[u.Code] = u.Name
	}
	codes := make([]string, 0, len(totals.ByUnit))
	for code := range totals.ByUnit {
		codes = append(codes, code)
	}
	for code := range totals.Booked {
		if _, ok := totals.ByUnit[code]; !ok {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	for _, code := range codes {
		got, booked := totals.ByUnit[code], totals.Booked[code]
		change, ok := domain.Difference(got, booked)
		if !ok {
			return nil, domain.Overflowf("单位 %s 的分成增减（分成金额减入账收入）", code)
		}
		t.Rows = append(t.Rows, []string{domain.Named(names[code], code), got.Yuan(), booked.Yuan(), change.Yuan()})
	}
	return t, nil
}
