package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"kam/domain"
)

const revenueCols = 7

// loadDataRows is how many revenue rows one LOAD DATA statement carries (about 4 MB of text, made as it is sent).
const loadDataRows = 50_000

// PutRevenue appends rows tagged with the file recorded in this transaction
// (Tx.RecordFile); rows are written in full batches as they accumulate and
// the rest at FinishRevenue or commit. Full batches are written on a goroutine
// of their own, so the loader parses and checks the next rows on the other core
// meanwhile; a write that failed is reported by the next call.
func (t *Tx) PutRevenue(rs []domain.Revenue) error {
	if t.fileID == 0 {
		return errors.New("store: PutRevenue before RecordFile: revenue rows must name the file they came from")
	}
	if t.revenue == nil {
		t.revenue = make([]domain.Revenue, 0, t.revenueBatch()+max(len(rs), 2000))
	}
	t.revenue = append(t.revenue, rs...)
	return t.flushRevenue(false)
}

// FinishRevenue deletes stored revenue of the given (month, line) pairs that this transaction's file did not write.
func (t *Tx) FinishRevenue(pairs []domain.MonthLine) error {
	if t.fileID == 0 {
		return errors.New("store: FinishRevenue before RecordFile")
	}
	if err := t.flushRevenue(true); err != nil {
		return err
	}
	ps := make([][2]any, len(pairs))
	for i, p := range pairs {
		ps[i] = [2]any{int64(p.Month), p.Line}
	}
	err := t.deletePairs("revenue", "month", "business_line", "file_id <> ?", []any{t.fileID}, ps)
	return wrap(err, "替换收入")
}

// revenueBatch is how many revenue rows one statement writes.
func (t *Tx) revenueBatch() int {
	if t.s.loadData {
		return loadDataRows
	}
	return t.rowsPer(revenueCols)
}

// flushRevenue hands every full batch of buffered revenue to the writer
// goroutine; with all set it also writes the rest and waits until everything
// is written (after which the transaction is the caller's alone again).
func (t *Tx) flushRevenue(all bool) error {
	per := t.revenueBatch()
	for len(t.revenue) >= per {
		full, rest := t.revenue[:per], t.revenue[per:]
		t.queueRevenue(full)
		next := t.rw.spare(per + len(rest) + 2000)
		t.revenue = append(next, rest...)
	}
	if all {
		if t.rw == nil { // a small file: no goroutine was needed
			err := t.writeRevenue(t.revenue)
			t.revenue = t.revenue[:0]
			return err
		}
		if len(t.revenue) > 0 {
			t.queueRevenue(t.revenue)
			t.revenue = nil
		}
		return t.stopRevenueWriter()
	}
	if t.rw != nil && t.rw.failed.Load() {
		return t.stopRevenueWriter()
	}
	return nil
}

// writeRevenue writes one batch, numbering its rows after those already written.
func (t *Tx) writeRevenue(rs []domain.Revenue) error {
	if len(rs) == 0 {
		return nil
	}
	var err error
	if t.s.loadData {
		err = t.loadRevenue(rs)
	} else {
		err = t.insertRevenue(rs)
	}
	if err != nil {
		return wrap(err, "写入收入")
	}
	t.revenueSeq += int64(len(rs))
	return nil
}

// revenueWriter writes a file's full revenue batches in order on one goroutine
// while the loader reads on. Only it touches the transaction until stopped;
// at most two batches wait, so memory stays bounded.
type revenueWriter struct {
	todo   chan []domain.Revenue
	free   chan []domain.Revenue // written batches, for reuse
	done   chan struct{}
	err    error // the first failure; read after done
	failed atomic.Bool
}

func (t *Tx) queueRevenue(rs []domain.Revenue) {
	if t.rw == nil {
		w := &revenueWriter{todo: make(chan []domain.Revenue, 2), free: make(chan []domain.Revenue, 4), done: make(chan struct{})}
		t.rw = w
		go func() {
			defer close(w.done)
			for rs := range w.todo {
				if w.err == nil {
					w.err = t.writeRevenueSafely(rs)
					w.failed.Store(w.err != nil)
				}
				clear(rs) // drop the strings it holds
				select {
				case w.free <- rs[:0]:
				default:
				}
			}
		}()
	}
	t.rw.todo <- rs
}

// writeRevenueSafely turns a panic while writing into the file's error, so it rolls back like any other.
func (t *Tx) writeRevenueSafely(rs []domain.Revenue) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("写入收入: %v", p)
		}
	}()
	return t.writeRevenue(rs)
}

// spare is an empty batch buffer, a written one when there is one.
func (w *revenueWriter) spare(capacity int) []domain.Revenue {
	select {
	case b := <-w.free:
		return b
	default:
		return make([]domain.Revenue, 0, capacity)
	}
}

// stopRevenueWriter waits until every queued batch is written and ends the goroutine: its first error.
func (t *Tx) stopRevenueWriter() error {
	w := t.rw
	if w == nil {
		return nil
	}
	t.rw = nil
	close(w.todo)
	<-w.done
	return w.err
}

func (t *Tx) insertRevenue(rs []domain.Revenue) error {
	if t.s.dialect == SQLite && oneMonth(rs) {
		return t.insertRevenueMonth(rs)
	}
	var fileID any = t.fileID
	seq0, bx := t.revenueSeq, &t.boxes
	return t.execBatches("INSERT INTO revenue (month, business_line, file_id, seq, customer_id, unit_code, amount) VALUES",
		revenueCols, "", len(rs),
		func(a []any, i int) []any {
			r := &rs[i]
			return append(a, bx.month(r.Month), bx.text(r.Line), fileID, seq0+int64(i)+1, bx.customer(r.Customer), bx.text(r.Unit), int64(r.Amount))
		})
}

// revenueBoxes hands out revenue values already boxed as a statement's []any
// takes them, so a row's texts cost no allocation: lines and units (a few
// hundred) are boxed once per transaction, a customer's id once per run of
// its rows (a file lists a customer's rows together), a month once per month.
type revenueBoxes struct {
	texts     map[string]any
	lastCust  string
	custBox   any
	lastMonth domain.Month
	monthBox  any
}

// maxBoxedTexts bounds the lines and units kept boxed; past it a value is boxed each time.
const maxBoxedTexts = 4096

func (b *revenueBoxes) text(s string) any {
	if v, ok := b.texts[s]; ok {
		return v
	}
	if len(b.texts) >= maxBoxedTexts {
		return s
	}
	if b.texts == nil {
		b.texts = map[string]any{}
	}
	s = strings.Clone(s) // the loader's strings point into a block of its file: keep no block
	v := any(s)
	b.texts[s] = v
	return v
}

func (b *revenueBoxes) customer(s string) any {
	if s != b.lastCust || b.custBox == nil {
		b.lastCust, b.custBox = s, s
	}
	return b.custBox
}

func (b *revenueBoxes) month(m domain.Month) any {
	if m != b.lastMonth || b.monthBox == nil {
		b.lastMonth, b.monthBox = m, int64(m)
	}
	return b.monthBox
}

// oneMonth reports whether every row is of the first row's month (a revenue file's usual shape).
func oneMonth(rs []domain.Revenue) bool {
	for i := range rs {
		if rs[i].Month != rs[0].Month {
			return false
		}
	}
	return true
}

// revenueRowArgs is what insertRevenueMonth binds per row: line, customer, unit, amount.
const revenueRowArgs = 4

// insertRevenueMonth writes rows of one month binding four values a row instead of seven: the
// month and the first row's seq are bound once per statement (?1, ?2; each tuple's seq is ?2+k)
// and the file id is a literal of the statement, prepared once per transaction. Binding is most
// of the cost of a row in the pure-Go SQLite (each text value is copied into C memory).
func (t *Tx) insertRevenueMonth(rs []domain.Revenue) error {
	per := min(t.s.maxRowsPerStatement(), (t.s.placeholderLimit()-2)/revenueRowArgs)
	for start := 0; start < len(rs); start += per {
		end := min(start+per, len(rs))
		st, err := t.preparedRevenueMonth(end - start)
		if err != nil {
			return err
		}
		bx := &t.boxes
		args := append(t.args[:0], bx.month(rs[start].Month), t.revenueSeq+int64(start)+1)
		for i := start; i < end; i++ {
			r := &rs[i]
			args = append(args, bx.text(r.Line), bx.customer(r.Customer), bx.text(r.Unit), int64(r.Amount))
		}
		t.args = args
		_, err = st.ExecContext(t.ctx, args...)
		clear(args) // let the batch's strings go
		if err != nil {
			return err
		}
	}
	return nil
}

// preparedRevenueMonth is insertRevenueMonth's statement for rows tuples, prepared once per transaction and file.
func (t *Tx) preparedRevenueMonth(rows int) (*sql.Stmt, error) {
	t.stmtMu.Lock()
	defer t.stmtMu.Unlock()
	fileID := strconv.FormatInt(t.fileID, 10)
	k := stmtKey{"revenue-month " + fileID, rows}
	if st, ok := t.stmts[k]; ok {
		return st, nil
	}
	var b strings.Builder
	b.Grow(100 + rows*(24+len(fileID)))
	b.WriteString("INSERT INTO revenue (month, business_line, file_id, seq, customer_id, unit_code, amount) VALUES ")
	for i := 0; i < rows; i++ {
		if i == 0 {
			// Numbered first, so the anonymous parameters that follow are ?7, ?8, ….
			fmt.Fprintf(&b, "(?1, ?3, %s, ?2, ?4, ?5, ?6)", fileID)
			continue
		}
		fmt.Fprintf(&b, ",(?1, ?, %s, ?2 + %d, ?, ?, ?)", fileID, i)
	}
	st, err := t.tx.PrepareContext(t.ctx, b.String())
	if err != nil {
		return nil, err
	}
	t.stmts[k] = st
	return st, nil
}

var loadDataSeq atomic.Int64

// loadRevenue streams rows to MySQL as tab-separated text with LOAD DATA LOCAL INFILE.
// The text is made as the driver reads it, packet by packet, so the server
// inserts the first rows while the last are still being written out.
func (t *Tx) loadRevenue(rs []domain.Revenue) error {
	r := &revenueTSV{rs: rs, fileID: strconv.FormatInt(t.fileID, 10), seq: t.revenueSeq, buf: t.loadBuf[:0]}
	name := "kam-revenue-" + strconv.FormatInt(loadDataSeq.Add(1), 10)
	mysql.RegisterReaderHandler(name, func() io.Reader { return r })
	defer mysql.DeregisterReaderHandler(name)
	res, err := t.tx.ExecContext(t.ctx, `LOAD DATA LOCAL INFILE 'Reader::`+name+`' INTO TABLE revenue
		CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n'
		(month, business_line, file_id, seq, customer_id, unit_code, amount)`)
	t.loadBuf = r.buf
	if err != nil {
		return err
	}
	// LOCAL turns bad values and duplicate keys into warnings; here they must fail the file.
	var warnings int
	if err := t.tx.GetContext(t.ctx, &warnings, "SELECT @@warning_count"); err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if warnings > 0 || n != int64(len(rs)) {
		return t.loadDataProblem(len(rs), n)
	}
	return nil
}

// revenueTSV reads revenue rows as LOAD DATA text, one row at a time into the caller's buffer.
type revenueTSV struct {
	rs     []domain.Revenue
	fileID string
	seq    int64  // the seq of the row before rs[0]
	buf    []byte // a row that did not fit the last Read
	off    int
}

func (r *revenueTSV) Read(p []byte) (int, error) {
	n := copy(p, r.buf[r.off:])
	r.off += n
	for n < len(p) && len(r.rs) > 0 {
		r.buf, r.off = appendRevenueTSV(r.buf[:0], &r.rs[0], r.fileID, r.seq+1), 0
		r.rs, r.seq = r.rs[1:], r.seq+1
		k := copy(p[n:], r.buf)
		n, r.off = n+k, k
	}
	if n == 0 && len(r.rs) == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// appendRevenueTSV appends one row in the revenue table's column order.
func appendRevenueTSV(buf []byte, r *domain.Revenue, fileID string, seq int64) []byte {
	buf = strconv.AppendInt(buf, int64(r.Month), 10)
	buf = append(buf, '\t')
	buf = appendTSVField(buf, r.Line)
	buf = append(buf, '\t')
	buf = append(buf, fileID...)
	buf = append(buf, '\t')
	buf = strconv.AppendInt(buf, seq, 10)
	buf = append(buf, '\t')
	buf = appendTSVField(buf, r.Customer)
	buf = append(buf, '\t')
	buf = appendTSVField(buf, r.Unit)
	buf = append(buf, '\t')
	buf = strconv.AppendInt(buf, int64(r.Amount), 10)
	return append(buf, '\n')
}

func (t *Tx) loadDataProblem(sent int, stored int64) error {
	var ws []struct {
		Level   string `db:"Level"`
		Code    int    `db:"Code"`
		Message string `db:"Message"`
	}
	if err := t.tx.SelectContext(t.ctx, &ws, "SHOW WARNINGS LIMIT 5"); err != nil {
		return err
	}
	msgs := make([]string, len(ws))
	for i, w := range ws {
		msgs[i] = fmt.Sprintf("%s %d: %s", w.Level, w.Code, w.Message)
	}
	return fmt.Errorf("%w: LOAD DATA: %d of %d rows stored, with warnings: %s", errValueRefused, stored, sent, strings.Join(msgs, "; "))
}

// appendTSVField escapes what LOAD DATA's default ESCAPED BY '\\' would otherwise read as syntax.
func appendTSVField(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\t':
			buf = append(buf, '\\', 't')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case 0:
			buf = append(buf, '\\', '0')
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

// RevenueImpact is what loading a revenue file does to one (month, line) it
// covers (SPEC §3.2): the rows and amounts stored before and after it.
type RevenueImpact struct {
	Month        domain.Month `db:"month"`
	Line         string       `db:"business_line"`
	RowsBefore   int64        `db:"rows_before"`
	AmountBefore domain.Money `db:"amount_before"`
	AbsBefore    domain.Money `db:"abs_before"` // sum of absolute amounts: refunds do not hide a loss
	RowsAfter    int64        `db:"rows_after"`
	AmountAfter  domain.Money `db:"amount_after"`
	AbsAfter     domain.Money `db:"abs_after"`
}

// RevenueBefore is each pair's stored revenue written by earlier files — what
// FinishRevenue is about to replace — as the Before figures of its impact.
// Earlier files have smaller ids, so each pair is one range of the primary key
// (month, business_line, file_id, …) that stops short of this file's own rows.
func (t *Tx) RevenueBefore(pairs []domain.MonthLine) ([]RevenueImpact, error) {
	if t.fileID == 0 {
		return nil, errors.New("store: RevenueBefore before RecordFile")
	}
	if err := t.flushRevenue(true); err != nil { // the writer goroutine is done with the transaction
		return nil, err
	}
	out := make([]RevenueImpact, len(pairs))
	for i, p := range pairs {
		out[i] = RevenueImpact{Month: p.Month, Line: p.Line}
		var n int64
		var sum, abs fenSum
		err := t.tx.QueryRowContext(t.ctx, `SELECT COUNT(*), COALESCE(SUM(amount), 0), COALESCE(SUM(ABS(amount)), 0)
			FROM revenue WHERE month = ? AND business_line = ? AND file_id < ?`, int64(p.Month), p.Line, t.fileID).Scan(&n, &sum, &abs)
		if sumOverflowed(err) {
			return nil, domain.Overflowf("已存的 %s %s收入", p.Month, p.Line)
		}
		if err != nil {
			return nil, wrap(err, "统计收入变化")
		}
		out[i].RowsBefore, out[i].AmountBefore, out[i].AbsBefore = n, domain.Money(sum), domain.Money(abs)
	}
	return out, nil
}

// RecordImpacts keeps a revenue file's impact with its record, committed with the rows it describes.
func (t *Tx) RecordImpacts(fileID int64, im []RevenueImpact) error {
	return recordImpacts(t.ctx, t.tx, fileID, im)
}

// RecordImpacts keeps a rejected revenue file's impact with its record.
func (s *Store) RecordImpacts(ctx context.Context, fileID int64, im []RevenueImpact) error {
	return s.InTx(ctx, func(t *Tx) error { return recordImpacts(ctx, t.tx, fileID, im) })
}

func recordImpacts(ctx context.Context, ex sqlx.ExecerContext, fileID int64, im []RevenueImpact) error {
	if _, err := ex.ExecContext(ctx, `DELETE FROM revenue_impacts WHERE file_id = ?`, fileID); err != nil {
		return fmt.Errorf("记录收入变化: %w", err)
	}
	for _, r := range im {
		if _, err := ex.ExecContext(ctx, `INSERT INTO revenue_impacts (file_id, month, business_line, rows_before, amount_before,
			abs_before, rows_after, amount_after, abs_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, fileID, int64(r.Month), r.Line,
			r.RowsBefore, int64(r.AmountBefore), int64(r.AbsBefore), r.RowsAfter, int64(r.AmountAfter), int64(r.AbsAfter)); err != nil {
			return fmt.Errorf("记录收入变化: %w", err)
		}
	}
	return nil
}

// FileImpacts lists a revenue file's impact per (month, line), for kam status.
func (s *Store) FileImpacts(ctx context.Context, fileID int64) ([]RevenueImpact, error) {
	var out []RevenueImpact
	if err := s.db.SelectContext(ctx, &out, `SELECT month, business_line, rows_before, amount_before, abs_before,
		rows_after, amount_after, abs_after FROM revenue_impacts WHERE file_id = ? ORDER BY month, business_line`, fileID); err != nil {
		return nil, fmt.Errorf("查询收入变化: %w", err)
	}
	return out, nil
}

// RevenuePairs lists every (month, line) of months from..to (inclusive) that has any stored revenue, by month and line.
// It seeks from one pair to the next along the revenue key (month, business_line, …)
// rather than reading every row: a quarter is millions of rows, and a job asks
// before it runs (SPEC §4.6).
func (s *Store) RevenuePairs(ctx context.Context, from, to domain.Month) ([]domain.MonthLine, error) {
	var out []domain.MonthLine
	p := domain.MonthLine{Month: from - 1} // no month holds this: the first seek goes to the next month
	for {
		var line string
		err := sql.ErrNoRows
		if len(out) > 0 {
			err = s.db.GetContext(ctx, &line, `SELECT business_line FROM revenue WHERE month = ? AND business_line > ?
				ORDER BY business_line LIMIT 1`, int64(p.Month), p.Line)
		}
		switch {
		case err == nil:
			p.Line = line
		case errors.Is(err, sql.ErrNoRows):
			var next struct {
				Month int64  `db:"month"`
				Line  string `db:"business_line"`
			}
			err = s.db.GetContext(ctx, &next, `SELECT month, business_line FROM revenue WHERE month > ? AND month <= ?
				ORDER BY month, business_line LIMIT 1`, int64(p.Month), int64(to))
			if errors.Is(err, sql.ErrNoRows) {
				return out, nil
			}
			if err != nil {
				return nil, fmt.Errorf("查询收入月份: %w", err)
			}
			p = domain.MonthLine{Month: domain.Month(next.Month), Line: next.Line}
		default:
			return nil, fmt.Errorf("查询收入月份: %w", err)
		}
		out = append(out, p)
	}
}
