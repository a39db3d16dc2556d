package gen

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"

	"kam/domain"
)

// Monthly seasonality: New Year and Spring Festival in January, the holiday
// dip in February, Mid-Autumn in September, Double Eleven in November and
// year-end mailings in December.
var baseSeason = [12]float64{1.15, 0.75, 0.95, 0.95, 0.95, 1.0, 0.9, 0.95, 1.15, 1.0, 1.2, 1.25}

// lineSeason adds each line's own peaks on top of the base.
var lineSeason = map[string][12]float64{
	"函件":   {1.3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.3},
	"包裹":   {1, 1, 1, 1, 1, 1.1, 1, 1, 1, 1, 1.25, 1.05},
	"速递":   {1.05, 1, 1, 1, 1, 1.1, 1, 1, 1.2, 1, 1.25, 1.05},
	"物流":   {1, 0.9, 1, 1, 1, 1.1, 1, 1, 1, 1, 1.25, 1.05},
	"报刊发行": {1, 1, 1, 1, 1, 1, 1, 1, 1, 1.8, 1.8, 1.8},
	"集邮":   {1.5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.1},
	"代理金融": {1.15, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.15},
}

func seasonality(lines []string) [][12]float64 {
	out := make([][12]float64, len(lines))
	for l, name := range lines {
		adj, ok := lineSeason[name]
		sum := 0.0
		for m := 0; m < 12; m++ {
			f := baseSeason[m]
			if ok {
				f *= adj[m]
			}
			out[l][m] = f
			sum += f
		}
		for m := range out[l] {
			out[l][m] *= 12 / sum
		}
	}
	return out
}

// revenueFile is what differs between the UTF-8 and the GB18030 revenue files.
type revenueFile struct {
	gb18030 bool
	header  []byte
	month   []byte
	lines   [][]byte // business line names, encoded
	eol     []byte
}

var revenueHeader = "客户编号,月份,业务种类,收入单位编码,收入金额"

func (g *generator) revenueFile(m domain.Month, gb bool) (revenueFile, error) {
	rf := revenueFile{gb18030: gb}
	if !gb {
		rf.header = []byte("\uFEFF" + revenueHeader + "\n")
		rf.month = []byte(m.String())
		rf.eol = []byte("\n")
		for _, l := range g.w.lines {
			rf.lines = append(rf.lines, []byte(l))
		}
		return rf, nil
	}
	// Excel on Chinese Windows saves CSV in GB18030/GBK with CRLF and Chinese month labels.
	enc := simplifiedchinese.GB18030.NewEncoder()
	encode := func(s string) ([]byte, error) { return enc.Bytes([]byte(s)) }
	var err error
	if rf.header, err = encode(revenueHeader + "\r\n"); err != nil {
		return rf, err
	}
	if rf.month, err = encode(fmt.Sprintf("%d年%d月", m.Year(), int(m.Mon()))); err != nil {
		return rf, err
	}
	rf.eol = []byte("\r\n")
	for _, l := range g.w.lines {
		b, err := encode(l)
		if err != nil {
			return rf, err
		}
		rf.lines = append(rf.lines, b)
	}
	return rf, nil
}

// writeRevenue writes one CSV per month; every third month is in GB18030.
// With Options.RevenueXLSX each month is a workbook instead.
func (g *generator) writeRevenue(ctx context.Context) error {
	for t := 0; t < g.nMonths; t++ {
		m := g.first.AddMonths(t)
		var rows int64
		var path string
		if g.opt.RevenueXLSX {
			path = g.path("revenue_" + m.String() + ".xlsx")
			s, err := newSheetFile(path, "收入", "", strings.Split(revenueHeader, ","), []float64{12, 10, 10, 14, 14})
			if err != nil {
				return err
			}
			sink := &xlsxRevenue{g: g, s: s, month: s.month(m), cells: make([]any, 5)}
			if rows, err = g.revenueMonth(ctx, sink, t, m); err != nil {
				s.abort()
				return err
			}
			if err := s.close(); err != nil {
				return err
			}
		} else {
			rf, err := g.revenueFile(m, t%3 == 2)
			if err != nil {
				return err
			}
			path = g.path("revenue_" + m.String() + ".csv")
			err = writeAtomically(path, func(w *bufio.Writer) error {
				if _, err := w.Write(rf.header); err != nil {
					return err
				}
				var err error
				rows, err = g.revenueMonth(ctx, &csvRevenue{g: g, w: w, rf: &rf}, t, m)
				return err
			})
			if err != nil {
				return err
			}
		}
		g.sum.Rows[domain.KindRevenue] += rows
		g.sum.Files = append(g.sum.Files, path)
	}
	return nil
}

// revenueSink receives one revenue row of a month as it is generated.
type revenueSink interface {
	row(r *rng, customer, line, unit int, fen int64) error
}

type csvRevenue struct {
	g   *generator
	w   *bufio.Writer
	rf  *revenueFile
	buf []byte
}

func (c *csvRevenue) row(r *rng, customer, line, unit int, fen int64) error {
	c.buf = c.g.revenueRow(c.buf[:0], r, c.rf, customer, line, unit, fen)
	_, err := c.w.Write(c.buf)
	return err
}

// xlsxRevenue writes rows as a hand-kept workbook would: month as a date cell, amount as a number.
type xlsxRevenue struct {
	g     *generator
	s     *sheetFile
	month any
	cells []any
}

func (x *xlsxRevenue) row(r *rng, customer, line, unit int, fen int64) error {
	_ = r.float() // the CSV path draws an amount format per row; draw too, so both hold the same rows
	x.cells[0], x.cells[1], x.cells[2] = customerID(customer), x.month, x.g.w.lines[line]
	x.cells[3], x.cells[4] = x.g.w.units[unit].Code, domain.Money(fen).Float()
	return x.s.add(x.cells)
}

// counterLines are the lines a window sells over the counter.
var counterLines = map[string]bool{"函件": true, "集邮": true, "其他": true}

func (g *generator) revenueMonth(ctx context.Context, sink revenueSink, t int, m domain.Month) (int64, error) {
	world := g.w
	nl := len(world.lines)
	counter := make([]bool, nl)
	for l, name := range world.lines {
		counter[l] = counterLines[name]
	}
	var p profile
	var rows int64
	mon := int(m.Mon()) - 1
	// The yearly trend is centred on the middle of the window, so a customer's
	// yearly total stays near its drawn size.
	offset := float64(t) - float64(g.nMonths-1)/2
	for i := 0; i < g.opt.Customers; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return rows, err
			}
			if i > 0 {
				g.progress(1024)
			}
		}
		g.profile(i, &p)
		if !p.revenue || p.churn >= 0 && t >= p.churn {
			continue
		}
		r := newRNG(g.seed, streamRevenue, uint64(i), uint64(m))
		trend := 1 + p.growth*offset/12
		for l := 0; l < nl; l++ {
			if p.book[l] < 0 || !p.anchor && !r.chance(0.97) {
				continue
			}
			noise := r.noise(0.15)
			if p.anchor {
				noise = r.noise(0.03)
			}
			fen := int64(math.Round(p.annual * p.share[l] / 12 * g.season[l][mon] * trend * noise * 100))
			if p.roundYuan {
				fen = (fen + 50) / 100 * 100
			}
			if fen < 100 {
				fen = int64(r.between(100, 5000))
			}
			if !p.anchor && r.chance(0.003) {
				// A refund or correction larger than the month's business.
				fen = -int64(float64(fen) * (0.1 + 0.8*r.float()))
			}
			first := fen
			if p.second[l] >= 0 {
				first = int64(float64(fen) * (1 - p.secondPart))
			}
			if err := sink.row(&r, i, l, int(p.book[l]), first); err != nil {
				return rows, err
			}
			rows++
			if p.second[l] >= 0 && fen != first {
				if err := sink.row(&r, i, l, int(p.second[l]), fen-first); err != nil {
					return rows, err
				}
				rows++
			}
			if p.window >= 0 && p.window != p.book[l] && p.window != p.second[l] && counter[l] && r.chance(0.5) {
				if err := sink.row(&r, i, l, int(p.window), int64(r.between(2000, 300000))); err != nil {
					return rows, err
				}
				rows++
			}
		}
	}
	g.progress(int64(g.opt.Customers - (g.opt.Customers-1)/1024*1024))
	return rows, nil
}

func (g *generator) revenueRow(b []byte, r *rng, rf *revenueFile, customer, line, unit int, fen int64) []byte {
	b = appendCustomerID(b, customer)
	b = append(b, ',')
	b = append(b, rf.month...)
	b = append(b, ',')
	b = append(b, rf.lines[line]...)
	b = append(b, ',')
	b = append(b, g.w.units[unit].Code...)
	b = append(b, ',')
	switch x := r.float(); {
	case fen < 0:
		b = appendAmount(b, fen, false)
	case !rf.gb18030 && x < 0.01:
		// "¥1,234.50", as typed by hand; quoted for the comma. Only in UTF-8:
		// GBK has no ¥, and a GBK reader would choke on GB18030's four bytes.
		b = append(b, "\"¥"...)
		b = appendAmount(b, fen, true)
		b = append(b, '"')
	case x < 0.02:
		b = append(b, '"')
		b = appendAmount(b, fen, true)
		b = append(b, '"')
	default:
		b = appendAmount(b, fen, false)
	}
	return append(b, rf.eol...)
}

// appendAmount writes fen as yuan with two decimals, optionally with thousands separators.
func appendAmount(b []byte, fen int64, thousands bool) []byte {
	if fen < 0 {
		b = append(b, '-')
		fen = -fen
	}
	var digits [24]byte
	d := strconv.AppendInt(digits[:0], fen/100, 10)
	for k, c := range d {
		if thousands && k > 0 && (len(d)-k)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, c)
	}
	f := fen % 100
	return append(b, '.', byte('0'+f/10), byte('0'+f%10))
}
