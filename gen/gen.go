// Package gen writes a synthetic, deterministic set of input extracts — units,
// managers, customers, claims, split agreements, targets and monthly revenue —
// shaped like the CRM and revenue exports Dongguan's postal bureau drops into
// kam's inbox. Every customer's attributes come from a generator seeded by the
// run's seed and the customer's index, so revenue is written month by month
// without keeping the customer list in memory.
package gen

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"kam/domain"
)

// Options of one generation run; zero sizes take the defaults.
type Options struct {
	Out       string       // folder the files are written to (created if missing)
	Customers int          // default 2,000
	Months    int          // months of revenue, default 12
	Seed      int64        // same seed, sizes, end month and day → byte-identical files
	End       domain.Month // last revenue month; default the last complete month before Now
	Now       time.Time    // the day the extract is "exported"; default time.Now()
	Progress  func(done, total int64)
	// RevenueXLSX writes revenue months as .xlsx workbooks instead of CSV files.
	RevenueXLSX bool
}

// Summary is what a run wrote.
type Summary struct {
	Rows  map[domain.Kind]int64
	Files []string // paths, in the order written
	First domain.Month
	End   domain.Month
}

// String lists the rows written per kind, in load order, one line each.
func (s Summary) String() string {
	var b strings.Builder
	for _, k := range domain.LoadOrder {
		fmt.Fprintf(&b, "  %s：%s 行", domain.KindLabels[k], groupDigits(s.Rows[k]))
		if k == domain.KindRevenue {
			fmt.Fprintf(&b, "（%s 至 %s，每月一个文件）", s.First, s.End)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "  共 %d 个文件\n", len(s.Files))
	return b.String()
}

// groupDigits writes a count with thousands separators: 18,477,148.
func groupDigits(n int64) string {
	return strings.TrimSuffix(domain.Money(n*100).Yuan(), ".00")
}

const (
	DefaultCustomers = 2000
	DefaultMonths    = 12
)

type generator struct {
	opt     Options
	seed    int64
	w       *world
	today   domain.Date
	current domain.Month
	first   domain.Month
	end     domain.Month
	nMonths int

	industryWeights []int
	industryTotal   int
	season          [][12]float64 // per line and calendar month, mean 1 over the year

	samples     [][]sample // from the customer pass, for targets
	developed   [][]int32  // from the customer pass: per manager, customers developed since last month began
	done, total int64
	sum         Summary
}

// Run writes the dataset into opt.Out.
func Run(ctx context.Context, opt Options) (Summary, error) {
	g, err := newGenerator(opt)
	if err != nil {
		return Summary{}, err
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return Summary{}, fmt.Errorf("无法创建输出目录 %s：%w", opt.Out, err)
	}
	steps := []func(context.Context) error{g.writeUnits, g.writeManagers, g.writeCustomers, g.writeTargets, g.writeRevenue}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return g.sum, err
		}
	}
	g.progress(0)
	return g.sum, nil
}

func newGenerator(opt Options) (*generator, error) {
	if opt.Out == "" {
		return nil, domain.Usagef("请用 --out 指定输出目录")
	}
	if opt.Customers < 0 || opt.Months < 0 {
		return nil, domain.Usagef("客户数和月数不能为负数")
	}
	if opt.Customers > 9_999_999 {
		return nil, domain.Usagef("客户数最多 9999999")
	}
	if opt.Customers == 0 {
		opt.Customers = DefaultCustomers
	}
	if opt.Months == 0 {
		opt.Months = DefaultMonths
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	today := domain.DateFromTime(opt.Now)
	current := today.Month()
	if opt.End == 0 {
		opt.End = current.AddMonths(-1)
	}
	if !opt.End.Valid() {
		return nil, domain.Usagef("结束月份 %d 无效", int(opt.End))
	}
	if opt.End > current {
		return nil, domain.Usagef("结束月份 %s 晚于当前月份 %s：收入不能记在未来的月份", opt.End, current)
	}
	g := &generator{
		opt: opt, seed: opt.Seed, today: today, current: current,
		end: opt.End, first: opt.End.AddMonths(1 - opt.Months), nMonths: opt.Months,
	}
	lines := domain.DefaultBusinessLines
	g.w = buildWorld(opt.Seed, lines, opt.Customers)
	for _, ind := range domain.Industries {
		wt := industryWeights[ind]
		g.industryWeights = append(g.industryWeights, wt)
		g.industryTotal += wt
	}
	g.season = seasonality(lines)
	g.total = int64(opt.Customers) * int64(1+opt.Months)
	g.sum = Summary{Rows: map[domain.Kind]int64{}, First: g.first, End: g.end}
	return g, nil
}

func (g *generator) path(name string) string { return filepath.Join(g.opt.Out, name) }

func (g *generator) progress(step int64) {
	g.done += step
	if g.opt.Progress != nil {
		g.opt.Progress(g.done, g.total)
	}
}

func (g *generator) finish(kind domain.Kind, s *sheetFile) error {
	if err := s.close(); err != nil {
		return err
	}
	g.sum.Rows[kind] += s.rows
	g.sum.Files = append(g.sum.Files, s.path)
	return nil
}

// title is the line a CRM export prints above its header.
func (g *generator) title(what string) string {
	return fmt.Sprintf("东莞市邮政局 %s（%s 导出）", what, g.current)
}

func (g *generator) writeUnits(context.Context) error {
	s, err := newSheetFile(g.path("units.xlsx"), "单位", "",
		[]string{"单位编码", "单位名称", "单位类型", "上级单位编码", "专业", "邮箱"}, []float64{12, 28, 16, 14, 10, 28})
	if err != nil {
		return err
	}
	for i, u := range g.w.units {
		row := []any{u.Code, u.Name, domain.LabelOf(domain.UnitKinds, u.Kind), nilIfEmpty(u.Parent), nilIfEmpty(u.Line), nilIfEmpty(unitMailbox(u, i))}
		if err := s.add(row); err != nil {
			s.abort()
			return err
		}
	}
	return g.finish(domain.KindUnits, s)
}

func (g *generator) writeManagers(context.Context) error {
	s, err := newSheetFile(g.path("managers.xlsx"), "客户经理", "",
		[]string{"工号", "姓名", "所属单位编码", "状态"}, []float64{12, 10, 14, 8})
	if err != nil {
		return err
	}
	for _, m := range g.w.managers {
		if err := s.add([]any{m.StaffID, m.Name, m.Unit, domain.LabelOf(domain.ManagerStatuses, m.Status)}); err != nil {
			s.abort()
			return err
		}
	}
	return g.finish(domain.KindManagers, s)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// customerID is the CRM's customer number for index i.
func customerID(i int) string { return fmt.Sprintf("KH%07d", i+1) }

// appendCustomerID appends customerID(i) without allocating.
func appendCustomerID(b []byte, i int) []byte {
	b = append(b, 'K', 'H')
	n := i + 1
	var d [7]byte
	for k := 6; k >= 0; k-- {
		d[k] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:]...)
}

// unitMailbox gives most units a key-account mailbox; one team or window in
// five has none, as in a bureau whose small units have not sent theirs yet.
func unitMailbox(u domain.Unit, i int) string {
	if (u.Kind == domain.Team || u.Kind == domain.Window) && i%5 == 4 {
		return ""
	}
	return strings.ToLower(u.Code) + "@dg.example.cn"
}
