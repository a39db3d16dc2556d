package loaders

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"kam/domain"
)

// Env is what Load checks rows against.
type Env struct {
	Refs      Refs
	Lines     []string    // configured business lines; nil means domain.DefaultBusinessLines
	Today     domain.Date // the current day (required: the clock is passed in)
	MaxErrors int         // errors listed at most (default 100000); beyond it they are only counted
	Progress  func(rowsDone int)
}

// Result is what Load made of a file: data rows read (blank rows skipped)
// and every bad value, by spreadsheet row and column as written.
type Result struct {
	Rows       int
	Errors     []domain.RowError
	ErrorCount int // all errors, also those past MaxErrors
}

const (
	defaultMaxErrors = 100000
	batchSize        = 2000  // rows per Writer call
	progressEvery    = 10000 // rows between Progress calls
	maxValueShown    = 200   // characters of a bad value copied into its error
)

// Load reads every row of x, checks it, and — only while the file has no bad
// row — hands the rows to w. Bad input is reported in Result.Errors; the
// error is for internal failures only (the Writer or the disk failed). The
// caller rolls its transaction back when the Result is not OK.
func Load(x *Extract, env Env, w Writer) (Result, error) {
	if x == nil || x.src == nil {
		return Result{}, errors.New("loaders.Load: extract is not open")
	}
	if env.Today == 0 {
		return Result{}, errors.New("loaders.Load: Env.Today is not set (the clock is passed in)")
	}
	l := newLoader(x, env)
	var err error
	switch x.kind {
	case domain.KindUnits:
		err = l.loadUnits(w)
	case domain.KindManagers:
		err = l.loadManagers(w)
	case domain.KindCustomers:
		err = l.loadCustomers(w)
	case domain.KindClaims:
		err = l.loadClaims(w)
	case domain.KindSplits:
		err = l.loadSplits(w)
	case domain.KindTargets:
		err = l.loadTargets(w)
	case domain.KindVisits:
		err = l.loadVisits(w)
	case domain.KindRevenue:
		err = l.loadRevenue(w)
	default:
		err = fmt.Errorf("loaders.Load: unknown kind %q", x.kind)
	}
	if l.env.Progress != nil {
		l.env.Progress(l.res.Rows)
	}
	// Rules that span rows report late; staff read the list in row order.
	slices.SortStableFunc(l.res.Errors, func(a, b domain.RowError) int { return a.Row - b.Row })
	return l.res, err
}

type loader struct {
	x          *Extract
	env        Env
	res        Result
	today      domain.Date
	thisMonth  domain.Month
	rec        []string
	row        int
	failedCols uint64 // columns of the current row already reported
	readErr    error  // internal failure while reading

	customers map[string]bool
	managers  map[string]bool
	units     map[string]unitLookup
}

type unitLookup struct {
	u  domain.Unit
	ok bool
}

func newLoader(x *Extract, env Env) *loader {
	if env.Lines == nil {
		env.Lines = domain.DefaultBusinessLines
	}
	if env.MaxErrors <= 0 {
		env.MaxErrors = defaultMaxErrors
	}
	today := env.Today
	return &loader{
		x: x, env: env, today: today, thisMonth: today.Month(),
		customers: map[string]bool{}, managers: map[string]bool{}, units: map[string]unitLookup{},
	}
}

// next moves to the next non-blank row; false at the end of the file, when
// the file turns out damaged (reported as an error row) or reading failed.
func (l *loader) next() bool {
	for {
		cells, row, err := l.x.src.next()
		if err != nil { // off the per-row path: errors.As makes its target escape, an allocation a row
			if l.readFailed(row, err) {
				return false
			}
			continue
		}
		if blankRow(cells) {
			continue
		}
		l.rec, l.row, l.failedCols = cells, row, 0
		l.res.Rows++
		if l.env.Progress != nil && l.res.Rows%progressEvery == 0 {
			l.env.Progress(l.res.Rows)
		}
		return true
	}
}

// readFailed handles a row the source could not read: a bad row is reported
// and reading goes on (false); the end, a damaged file or a failed read stop it (true).
func (l *loader) readFailed(row int, err error) bool {
	if err == io.EOF {
		return true
	}
	var bad *rowReadError
	var damaged *FileError
	switch {
	case errors.As(err, &bad):
		l.row, l.failedCols = bad.row, 0
		l.res.Rows++
		l.failAt(bad.row, -1, "", bad.reason)
		return false
	case errors.As(err, &damaged):
		if row == 0 {
			row = l.row + 1
		}
		l.failAt(row, -1, "", damaged.Reason)
	default:
		l.readErr = err
	}
	return true
}

func blankRow(cells []string) bool {
	for _, c := range cells {
		if domain.TrimValue(c) != "" {
			return false
		}
	}
	return true
}

// bad reports whether the file has any bad row so far.
func (l *loader) bad() bool { return l.res.ErrorCount > 0 }

// rowBad reports whether the current row has a bad value.
func (l *loader) rowBad() bool { return l.failedCols != 0 }

// fail reports a bad value in column c of the current row, once per column.
func (l *loader) fail(c int, value, reason string) {
	bit := uint64(1) << uint(c)
	if l.failedCols&bit != 0 {
		return
	}
	l.failedCols |= bit
	l.failAt(l.row, c, value, reason)
}

// failAt reports a bad value at any row; c is the kind's column, -1 for the whole row.
func (l *loader) failAt(row, c int, value, reason string) {
	l.res.ErrorCount++
	if c >= 0 && row == l.row {
		l.failedCols |= uint64(1) << uint(c)
	}
	if len(l.res.Errors) >= l.env.MaxErrors {
		return
	}
	col := ""
	if c >= 0 {
		col = l.x.columnName(c)
	}
	// A copy: the value points into a block of the file, which a list of errors should not keep whole.
	l.res.Errors = append(l.res.Errors, domain.RowError{Row: row, Column: col, Value: strings.Clone(shown(value)), Reason: reason})
}

// shown makes a bad value safe to copy into the error workbook: valid UTF-8, no control characters, not too long.
func shown(v string) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	v = strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t' && r != '\n') || r == 0x7F {
			return '?'
		}
		return r
	}, v)
	if utf8.RuneCountInString(v) > maxValueShown {
		v = string([]rune(v)[:maxValueShown]) + "…"
	}
	return v
}

// cell is column c of the current row, trimmed; "" when the file lacks the column.
func (l *loader) cell(c int) string {
	p := l.x.pos[c]
	if p < 0 || p >= len(l.rec) {
		return ""
	}
	v := domain.TrimValue(l.rec[p])
	if !validText(v) {
		l.fail(c, v, reasonBadChars)
	}
	l.tooLong(c, v)
	return v
}

// text is a required text column.
func (l *loader) text(c int) string {
	v := l.cell(c)
	if v == "" {
		l.fail(c, "", domain.ErrEmpty.Error())
	}
	return v
}

// parsed reads column c with parse; required columns must not be empty. ok is false when empty or bad.
func parsed[T any](l *loader, c int, required bool, parse func(string) (T, error)) (v T, raw string, ok bool) {
	raw = l.cell(c)
	if raw == "" {
		if required {
			l.fail(c, "", domain.ErrEmpty.Error())
		}
		return v, raw, false
	}
	v, err := parse(raw)
	if err != nil {
		l.fail(c, raw, err.Error())
		return v, raw, false
	}
	return v, raw, true
}

func (l *loader) month(c int, required bool) (domain.Month, string, bool) {
	return parsed(l, c, required, domain.ParseMonth)
}

func (l *loader) date(c int, required bool) (domain.Date, string, bool) {
	d, raw, ok := parsed(l, c, required, domain.ParseDate)
	if ok && d > l.today {
		l.fail(c, raw, "日期不能晚于今天（"+l.today.String()+"）")
		return d, raw, false
	}
	return d, raw, ok
}

func (l *loader) line(c int, required bool) (string, string, bool) {
	return parsed(l, c, required, func(s string) (string, error) { return domain.ParseLine(s, l.env.Lines) })
}

func enumCell[T ~string](l *loader, c int, list []domain.Enum[T]) (T, string, bool) {
	return parsed(l, c, true, func(s string) (T, error) { return domain.ParseEnum(list, s) })
}

// notAfter rejects a month later than limit (revenue and split months may not lie in the future).
func (l *loader) notAfter(c int, m domain.Month, raw string, limit domain.Month, what string) bool {
	if m > limit {
		l.fail(c, raw, fmt.Sprintf("%s不能晚于 %s", what, limit))
		return false
	}
	return true
}

const (
	reasonNoCustomer = "系统中没有这个客户编号（请先导入客户文件）"
	reasonNoUnit     = "系统中没有这个单位编码（请先导入单位文件）"
	reasonNoManager  = "系统中没有这个工号（请先导入客户经理文件）"
)

// maxCachedRefs bounds each lookup cache, so a file of a million made-up ids keeps memory flat.
const maxCachedRefs = 200000

func (l *loader) hasCustomer(id string) bool {
	ok, seen := l.customers[id]
	if !seen {
		ok = l.env.Refs.HasCustomer(id)
		if len(l.customers) < maxCachedRefs {
			l.customers[strings.Clone(id)] = ok // a cell points into a block of the file; the cache outlives it
		}
	}
	return ok
}

func (l *loader) hasManager(id string) bool {
	ok, seen := l.managers[id]
	if !seen {
		ok = l.env.Refs.HasManager(id)
		if len(l.managers) < maxCachedRefs {
			l.managers[strings.Clone(id)] = ok
		}
	}
	return ok
}

func (l *loader) storedUnit(code string) (domain.Unit, bool) {
	r, seen := l.units[code]
	if !seen {
		r.u, r.ok = l.env.Refs.Unit(code)
		if len(l.units) < maxCachedRefs {
			l.units[strings.Clone(code)] = r
		}
	}
	return r.u, r.ok
}

// code reads column c as a code or id with parse (domain.ParseCustomerID and
// its siblings), in the form kam stores and matches it (SPEC §3.3): raw is the
// cell as written, v "" when it is empty or bad. notFound is the reason a
// reference column gives for a code not stored ("" for a key column).
func (l *loader) code(c int, required bool, parse func(string) (string, error), notFound string) (v, raw string) {
	raw = l.cell(c)
	if raw == "" {
		if required {
			l.fail(c, "", domain.ErrEmpty.Error())
		}
		return "", raw
	}
	v, err := parse(raw)
	if err != nil {
		reason := err.Error()
		if totalRow(raw) { // staff leave the spreadsheet's 合计 row in: say so, not what a code may hold
			noSuch, _, _ := strings.Cut(notFound, "（")
			reason = strings.TrimPrefix(noSuch+"：", "：") + "这一行像是合计行（「" + domain.NormalForm(raw) + "」不是编号），请删去合计行后重新导入"
		}
		l.fail(c, raw, reason)
		return "", raw
	}
	return v, raw
}

// totalRow reports a code cell that labels a spreadsheet's total row.
func totalRow(raw string) bool {
	v := domain.NormalForm(raw)
	return strings.Contains(v, "合计") || strings.Contains(v, "小计") || strings.Contains(v, "总计")
}

// refCell reads a required or optional reference column with parse and checks it exists.
func (l *loader) refCell(c int, required bool, parse func(string) (string, error), exists func(string) bool, reason string) string {
	v, raw := l.code(c, required, parse, reason)
	if v != "" && !exists(v) {
		l.fail(c, raw, reason)
	}
	return v
}

func (l *loader) unitCell(c int, required bool) string {
	return l.refCell(c, required, domain.ParseUnitCode, func(s string) bool { _, ok := l.storedUnit(s); return ok }, reasonNoUnit)
}

func (l *loader) customerCell(c int, required bool) string {
	return l.refCell(c, required, domain.ParseCustomerID, l.hasCustomer, reasonNoCustomer)
}

func (l *loader) managerCell(c int, required bool) string {
	return l.refCell(c, required, domain.ParseStaffID, l.hasManager, reasonNoManager)
}

// putInBatches hands items to put at most batchSize at a time.
func putInBatches[T any](items []T, put func([]T) error) error {
	for len(items) > 0 {
		n := min(batchSize, len(items))
		if err := put(items[:n]); err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}

// finish writes buffered rows when the file is clean and reading did not fail.
func finish[T any](l *loader, items []T, put func([]T) error) error {
	if l.readErr != nil {
		return l.readErr
	}
	if l.bad() {
		return nil
	}
	if err := putInBatches(items, put); err != nil {
		return fmt.Errorf("写入%s: %w", domain.KindLabels[l.x.kind], err)
	}
	return nil
}

// streamer hands a kind's rows to the Writer in batches while the file is
// still clean; after the first bad row it only keeps checking (the caller
// rolls back what was written).
type streamer[T any] struct {
	l     *loader
	put   func([]T) error
	batch []T
}

func streamTo[T any](l *loader, put func([]T) error) *streamer[T] {
	return &streamer[T]{l: l, put: put, batch: make([]T, 0, batchSize)}
}

func (s *streamer[T]) add(v T) error {
	if s.l.bad() {
		return nil
	}
	s.batch = append(s.batch, v)
	if len(s.batch) < batchSize {
		return nil
	}
	return s.flush()
}

func (s *streamer[T]) flush() error {
	if err := s.put(s.batch); err != nil {
		return fmt.Errorf("写入%s: %w", domain.KindLabels[s.l.x.kind], err)
	}
	s.batch = make([]T, 0, batchSize) // the Writer may keep the slice it was given
	return nil
}

// finish writes the last batch when the file is clean and reading did not fail.
func (s *streamer[T]) finish() error {
	if s.l.readErr != nil {
		return s.l.readErr
	}
	if s.l.bad() || len(s.batch) == 0 {
		return nil
	}
	return s.flush()
}

// loadRevenue streams: rows go to the Writer in batches while the file is
// clean, and every row is still checked after the first bad one so all are
// listed. Revenue rows have no key: adjustment rows may repeat a customer,
// month, line and unit, and each is kept.
func (l *loader) loadRevenue(w Writer) error {
	batch := make([]domain.Revenue, 0, batchSize)
	pairs := map[domain.MonthLine]struct{}{}
	var last domain.MonthLine
	for l.next() {
		cust := l.customerCell(rCustomer, true)
		mon, raw, ok := l.month(rMonth, true)
		if ok {
			l.notAfter(rMonth, mon, raw, l.thisMonth, "收入月份")
		}
		line, _, _ := l.line(rLine, true)
		unit := l.unitCell(rUnit, true)
		amount, _, _ := parsed(l, rAmount, true, domain.ParseMoney)
		if l.rowBad() || l.bad() {
			continue
		}
		batch = append(batch, domain.Revenue{Customer: cust, Month: mon, Line: line, Unit: unit, Amount: amount})
		if ml := (domain.MonthLine{Month: mon, Line: line}); ml != last {
			pairs[ml], last = struct{}{}, ml
		}
		if len(batch) == batchSize {
			if err := w.PutRevenue(batch); err != nil {
				return fmt.Errorf("写入收入: %w", err)
			}
			batch = make([]domain.Revenue, 0, batchSize) // the Writer may keep the slice it was given
		}
	}
	if l.readErr != nil {
		return l.readErr
	}
	if l.bad() {
		return nil
	}
	if len(batch) > 0 {
		if err := w.PutRevenue(batch); err != nil {
			return fmt.Errorf("写入收入: %w", err)
		}
	}
	list := make([]domain.MonthLine, 0, len(pairs))
	for p := range pairs {
		list = append(list, p)
	}
	slices.SortFunc(list, func(a, b domain.MonthLine) int {
		if a.Month != b.Month {
			return int(a.Month - b.Month)
		}
		return strings.Compare(a.Line, b.Line)
	})
	if err := w.FinishRevenue(list); err != nil {
		return fmt.Errorf("写入收入: %w", err)
	}
	return nil
}
