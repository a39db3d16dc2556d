package jobs

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"kam/domain"
	"kam/reports"
	"kam/rules"
)

// lineSpool keeps the month's split lines of the units that get a statement
// of their own, grouped by unit, in a temporary file: the city's pass over
// the revenue writes them once, and each unit's statement reads back its own
// in order, with memory bounded by a small buffer per unit. A unit's lines
// are those credited to it and, apart, those of revenue it booked that went
// to another unit (its 分出).
type lineSpool struct {
	f      *os.File
	off    int64
	pend   map[spoolKey][]byte     // lines of a unit not yet written, encoded
	chunks map[spoolKey][][2]int64 // where a unit's written lines lie: offset, length
}

// spoolKey is a unit's credited lines, or with out its outgoing ones.
type spoolKey struct {
	unit string
	out  bool
}

// spoolChunk is how many encoded bytes of one unit are gathered before they go to the file.
const spoolChunk = 64 << 10

func newLineSpool(dir string, units []string) (*lineSpool, error) {
	f, err := os.CreateTemp(dir, "split-lines-*")
	if err != nil {
		return nil, err
	}
	s := &lineSpool{f: f, pend: map[spoolKey][]byte{}, chunks: map[spoolKey][][2]int64{}}
	for _, u := range units {
		s.pend[spoolKey{unit: u}] = nil
		s.pend[spoolKey{unit: u, out: true}] = nil
	}
	return s, nil
}

// add keeps l for its receiving unit and, when another unit booked it, for
// that unit's 分出, where they get a statement; a nil spool keeps nothing.
func (s *lineSpool) add(l *reports.SplitLine) error {
	if s == nil {
		return nil
	}
	if err := s.keep(spoolKey{unit: l.Share.Unit}, l); err != nil {
		return err
	}
	if l.Revenue.Unit != l.Share.Unit {
		return s.keep(spoolKey{unit: l.Revenue.Unit, out: true}, l)
	}
	return nil
}

func (s *lineSpool) keep(k spoolKey, l *reports.SplitLine) error {
	buf, ok := s.pend[k]
	if !ok {
		return nil
	}
	r, sh := &l.Revenue, &l.Share
	for _, str := range []string{r.Customer, r.Line, r.Unit, sh.Agreement, sh.Unit} {
		buf = binary.AppendUvarint(buf, uint64(len(str)))
		buf = append(buf, str...)
	}
	buf = binary.AppendVarint(buf, int64(r.Month))
	buf = binary.AppendVarint(buf, int64(r.Amount))
	buf = binary.AppendVarint(buf, int64(sh.Ratio))
	buf = binary.AppendVarint(buf, int64(sh.Amount))
	if len(buf) >= spoolChunk {
		if err := s.flush(k, buf); err != nil {
			return err
		}
		buf = buf[:0]
	}
	s.pend[k] = buf
	return nil
}

func (s *lineSpool) flush(k spoolKey, buf []byte) error {
	if _, err := s.f.WriteAt(buf, s.off); err != nil {
		return fmt.Errorf("写入分成明细暂存文件: %w", err)
	}
	s.chunks[k] = append(s.chunks[k], [2]int64{s.off, int64(len(buf))})
	s.off += int64(len(buf))
	return nil
}

// source gives back one unit's lines credited to it, in the order they were added.
func (s *lineSpool) source(unit string) *spooledLines {
	return &spooledLines{s: s, key: spoolKey{unit: unit}, strs: map[string]string{}}
}

// statement is a unit's lines for its 分成对账单: each call a new pass.
func (s *lineSpool) statement(unit string) unitLines { return unitLines{s, unit} }

type unitLines struct {
	s    *lineSpool
	unit string
}

func (u unitLines) Credited() reports.SplitSource { return u.s.source(u.unit) }
func (u unitLines) Outgoing() reports.SplitSource {
	return &spooledLines{s: u.s, key: spoolKey{unit: u.unit, out: true}, strs: map[string]string{}}
}

// close removes the file.
func (s *lineSpool) close() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// spooledLines is a reports.SplitSource over one unit's spooled lines.
type spooledLines struct {
	s     *lineSpool
	key   spoolKey
	chunk int
	r     *bufio.Reader // over the chunk being read, when open
	open  bool
	tail  bool // the unflushed buffer has been read

	scratch []byte
	strs    map[string]string // each string read, once
}

// Next decodes the next batch of the unit's lines, nil at the end.
func (p *spooledLines) Next() ([]reports.SplitLine, error) {
	batch := make([]reports.SplitLine, 0, feedBatch)
	for len(batch) < feedBatch {
		if !p.open {
			if p.r == nil {
				p.r = bufio.NewReaderSize(nil, spoolChunk)
			}
			switch {
			case p.chunk < len(p.s.chunks[p.key]):
				c := p.s.chunks[p.key][p.chunk]
				p.chunk++
				p.r.Reset(io.NewSectionReader(p.s.f, c[0], c[1]))
				p.open = true
			case !p.tail:
				p.tail = true
				p.r.Reset(bytes.NewReader(p.s.pend[p.key]))
				p.open = true
			default:
				if len(batch) == 0 {
					return nil, nil
				}
				return batch, nil
			}
		}
		l, err := p.decodeLine(p.r)
		if errors.Is(err, io.EOF) {
			p.open = false
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("读取分成明细暂存文件: %w", err)
		}
		batch = append(batch, l)
	}
	return batch, nil
}

// Revenue is not what a unit's statement reconciles to (the city's report is); it is empty.
func (p *spooledLines) Revenue() reports.RevenueTotals { return reports.RevenueTotals{} }

// decodeLine reads the next line; its strings come from p.strs, so a
// customer, line or unit seen before costs no allocation.
func (p *spooledLines) decodeLine(r *bufio.Reader) (reports.SplitLine, error) {
	var strs [5]string
	for i := range strs {
		n, err := binary.ReadUvarint(r)
		if err != nil {
			if i == 0 && errors.Is(err, io.EOF) {
				return reports.SplitLine{}, io.EOF
			}
			return reports.SplitLine{}, io.ErrUnexpectedEOF
		}
		if uint64(cap(p.scratch)) < n {
			p.scratch = make([]byte, n)
		}
		b := p.scratch[:n]
		if _, err := io.ReadFull(r, b); err != nil {
			return reports.SplitLine{}, io.ErrUnexpectedEOF
		}
		str, ok := p.strs[string(b)]
		if !ok {
			str = string(b)
			p.strs[str] = str
		}
		strs[i] = str
	}
	var nums [4]int64
	for i := range nums {
		v, err := binary.ReadVarint(r)
		if err != nil {
			return reports.SplitLine{}, io.ErrUnexpectedEOF
		}
		nums[i] = v
	}
	return reports.SplitLine{
		Revenue: domain.Revenue{Customer: strs[0], Line: strs[1], Unit: strs[2], Month: domain.Month(nums[0]), Amount: domain.Money(nums[1])},
		Share:   rules.Share{Agreement: strs[3], Unit: strs[4], Ratio: domain.Ratio(nums[2]), Amount: domain.Money(nums[3])},
	}, nil
}
