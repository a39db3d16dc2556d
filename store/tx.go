package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"kam/domain"
)

// Tx is one write transaction. It implements the loaders' Writer; revenue rows are
// tagged with the file recorded by RecordFile in the same transaction.
type Tx struct {
	s      *Store
	ctx    context.Context
	tx     *sqlx.Tx
	stmts  map[stmtKey]*sql.Stmt
	stmtMu sync.Mutex
	fileID int64
	// revenueSeq numbers the file's revenue rows in the order the loader passed them.
	revenueSeq int64
	// revenue waits here until a full statement's worth is ready, whatever size the loader's chunks are.
	revenue []domain.Revenue
	rw      *revenueWriter // writes full revenue batches while the loader reads on; nil when idle
	loadBuf []byte         // LOAD DATA text, reused between batches
	args    []any          // a revenue statement's values, reused between statements
	boxes   revenueBoxes   // revenue texts boxed once, for args
	// targetSeq is the next seq of each (staff, month) this transaction already replaced.
	targetSeq map[targetKey]int
}

type stmtKey struct {
	head string
	rows int
}

type targetKey struct {
	staff string
	month domain.Month
}

// SQLite page cache sizes (PRAGMA cache_size: negative is KiB): a pooled
// connection's for reads, and a write transaction's.
const (
	readCache  = -8192
	writeCache = -65536
)

// InTx runs fn in one transaction, committed when fn returns nil and rolled
// back otherwise (or on panic). Do not nest InTx calls. A transaction the
// database refuses for a conflict (a Galera certification conflict, a deadlock:
// see Conflict) is rolled back and fn runs again in a new one (Retry), so fn
// must start from nothing each time: reset what it gathers in memory, and never
// read a stream it cannot read again — such a caller uses InTxOnce and retries
// from where it can start over.
func (s *Store) InTx(ctx context.Context, fn func(*Tx) error) error {
	return s.Retry(ctx, "写入数据库", func() error { return s.InTxOnce(ctx, fn) })
}

// InTxOnce is InTx without running fn again: a conflict is returned (Conflict
// tells it apart) for the caller to start over from its source.
func (s *Store) InTxOnce(ctx context.Context, fn func(*Tx) error) (err error) {
	var sqltx *sqlx.Tx
	if s.dialect == SQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
		conn, err := s.db.Connx(ctx)
		if err != nil {
			return wrap(err, "开始事务")
		}
		defer conn.Close()
		// A large revenue load keeps its pages in memory instead of spilling them
		// to the WAL mid-transaction; the connection goes back to the pool with
		// the small cache reads use, or 4 pooled connections' caches would add
		// a quarter of a gigabyte to every job that reads much.
		if _, err := conn.ExecContext(ctx, "PRAGMA cache_size = "+strconv.Itoa(writeCache)); err != nil {
			return wrap(err, "开始事务")
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = "+strconv.Itoa(readCache))
		if sqltx, err = conn.BeginTxx(ctx, nil); err != nil {
			return wrap(err, "开始事务")
		}
	} else if sqltx, err = s.db.BeginTxx(ctx, nil); err != nil {
		return wrap(err, "开始事务")
	}
	t := &Tx{s: s, ctx: ctx, tx: sqltx, stmts: map[stmtKey]*sql.Stmt{}, targetSeq: map[targetKey]int{}}
	defer func() {
		if p := recover(); p != nil {
			_ = t.stopRevenueWriter()
			_ = sqltx.Rollback()
			panic(p)
		}
	}()
	if err := fn(t); err != nil {
		_ = t.stopRevenueWriter() // the transaction is ours alone before it rolls back; the load already failed
		if rbErr := sqltx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) && !Unavailable(rbErr) {
			s.log.Warn().Err(rbErr).Msg("事务回滚失败")
		}
		var de *domain.Error
		if !errors.As(err, &de) && Unavailable(err) {
			return wrap(err, "写入")
		}
		if limit := s.writeSetLimit(err); limit != nil {
			return limit
		}
		return err
	}
	if err := t.flushRevenue(true); err != nil {
		_ = sqltx.Rollback()
		if limit := s.writeSetLimit(err); limit != nil {
			return limit
		}
		return err
	}
	if err := sqltx.Commit(); err != nil {
		if limit := s.writeSetLimit(err); limit != nil {
			return limit
		}
		return wrap(err, "提交事务")
	}
	return nil
}

// Tx is the underlying transaction, for queries other packages add.
func (t *Tx) Tx() *sqlx.Tx { return t.tx }

// prepared returns the statement for head with rows value tuples, prepared once per transaction.
func (t *Tx) prepared(head string, cols, rows int, tail string) (*sql.Stmt, error) {
	t.stmtMu.Lock() // the revenue writer goroutine prepares too
	defer t.stmtMu.Unlock()
	k := stmtKey{head + tail, rows}
	if st, ok := t.stmts[k]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(t.ctx, valuesSQL(head, cols, rows, tail))
	if err != nil {
		return nil, err
	}
	t.stmts[k] = st
	return st, nil
}

// valuesSQL is head followed by rows tuples of cols placeholders, then tail.
func valuesSQL(head string, cols, rows int, tail string) string {
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	var b strings.Builder
	b.Grow(len(head) + rows*(len(tuple)+1) + len(tail) + 1)
	b.WriteString(head)
	b.WriteByte(' ')
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tuple)
	}
	b.WriteString(tail)
	return b.String()
}

// rowsPer is how many tuples of cols values one statement may carry.
func (t *Tx) rowsPer(cols int) int {
	return min(t.s.maxRowsPerStatement(), t.s.placeholderLimit()/cols)
}

// execBatches runs head+tuples+tail over n items in as few statements as the
// placeholder limit allows; fill appends item i's cols values.
func (t *Tx) execBatches(head string, cols int, tail string, n int, fill func(args []any, i int) []any) error {
	per := t.rowsPer(cols)
	args := make([]any, 0, min(n, per)*cols)
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		st, err := t.prepared(head, cols, end-start, tail)
		if err != nil {
			return err
		}
		args = args[:0]
		for i := start; i < end; i++ {
			args = fill(args, i)
		}
		if _, err := st.ExecContext(t.ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// upsertTail turns an INSERT into "insert or update these columns" on a key conflict.
func (t *Tx) upsertTail(key string, update ...string) string {
	var b strings.Builder
	if t.s.dialect == MySQL {
		b.WriteString(" ON DUPLICATE KEY UPDATE ")
		for i, c := range update {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s = VALUES(%s)", c, c)
		}
		return b.String()
	}
	fmt.Fprintf(&b, " ON CONFLICT (%s) DO UPDATE SET ", key)
	for i, c := range update {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = excluded.%s", c, c)
	}
	return b.String()
}

// PutUnits upserts units by code.
func (t *Tx) PutUnits(us []domain.Unit) error {
	err := t.execBatches("INSERT INTO units (code, name, kind, parent_code, business_line, email) VALUES", 6,
		t.upsertTail("code", "name", "kind", "parent_code", "business_line", "email"), len(us),
		func(a []any, i int) []any {
			u := &us[i]
			return append(a, u.Code, u.Name, string(u.Kind), u.Parent, u.Line, u.Email)
		})
	return wrap(err, "写入单位")
}

// PutManagers upserts managers by staff id.
func (t *Tx) PutManagers(ms []domain.Manager) error {
	err := t.execBatches("INSERT INTO managers (staff_id, name, unit_code, status) VALUES", 4,
		t.upsertTail("staff_id", "name", "unit_code", "status"), len(ms),
		func(a []any, i int) []any {
			m := &ms[i]
			return append(a, m.StaffID, m.Name, m.Unit, string(m.Status))
		})
	return wrap(err, "写入客户经理")
}

// customerColumns are the customers' columns in the order PutCustomers writes them.
var customerColumns = []string{"id", "name", "credit_code", "industry", "category", "main_line", "status",
	"strategic", "territory_unit", "signing_unit", "manager_a", "manager_b",
	"address", "postcode", "contact_name", "contact_phone", "contact_email"}

// PutCustomers upserts customers by id. A new customer gets every archive
// field; a stored one only those its row carries (Archive.Present): a file
// without the column leaves the stored value as it is (SPEC §3).
func (t *Tx) PutCustomers(cs []domain.Customer) error {
	for start := 0; start < len(cs); {
		present := cs[start].Present
		end := start + 1
		for end < len(cs) && cs[end].Present == present {
			end++
		}
		group := cs[start:end]
		update := append([]string(nil), customerColumns[1:12]...)
		for f := domain.ArchiveAddress; f <= domain.ArchiveContactEmail; f++ {
			if present.Has(f) {
				update = append(update, customerColumns[12+int(f)])
			}
		}
		err := t.execBatches("INSERT INTO customers ("+strings.Join(customerColumns, ", ")+") VALUES", len(customerColumns),
			t.upsertTail("id", update...), len(group),
			func(a []any, i int) []any {
				c := &group[i]
				return append(a, c.ID, c.Name, c.CreditCode, c.Industry, string(c.Category), c.MainLine,
					string(c.Status), c.Strategic, c.Territory, c.Signing, c.ManagerA, c.ManagerB,
					c.Address, c.Postcode, c.ContactName, c.ContactPhone, c.ContactEmail)
			})
		if err != nil {
			return wrap(err, "写入客户")
		}
		start = end
	}
	return nil
}

// PutVisits upserts visits by visit id.
func (t *Tx) PutVisits(vs []domain.Visit) error {
	err := t.execBatches(`INSERT INTO visits (id, customer_id, visited_on, visit_kind, staff_id, contact, notes,
		next_contact_on) VALUES`, 8,
		t.upsertTail("id", "customer_id", "visited_on", "visit_kind", "staff_id", "contact", "notes", "next_contact_on"), len(vs),
		func(a []any, i int) []any {
			v := &vs[i]
			return append(a, v.ID, v.Customer, dateArg(v.On), string(v.Kind), v.StaffID, v.Contact, v.Notes, dateArg(v.Next))
		})
	return wrap(err, "写入走访记录")
}

// PutClaims upserts claims by id.
func (t *Tx) PutClaims(cs []domain.Claim) error {
	err := t.execBatches(`INSERT INTO claims (id, customer_id, unit_code, staff_id, registered_on, confirmed_on,
		project_type, period_months, developed_on) VALUES`, 9,
		t.upsertTail("id", "customer_id", "unit_code", "staff_id", "registered_on", "confirmed_on",
			"project_type", "period_months", "developed_on"), len(cs),
		func(a []any, i int) []any {
			c := &cs[i]
			return append(a, c.ID, c.Customer, c.Unit, c.Manager, dateArg(c.Registered), dateArg(c.Confirmed),
				string(c.Type), c.PeriodMonths, dateArg(c.Developed))
		})
	return wrap(err, "写入项目报备")
}

// PutAgreements replaces each agreement, header and parties, by id; a later duplicate id in as wins.
func (t *Tx) PutAgreements(as []domain.SplitAgreement) error {
	last := make(map[string]int, len(as))
	for i, a := range as {
		last[a.ID] = i
	}
	keep := make([]domain.SplitAgreement, 0, len(last))
	for i, a := range as {
		if last[a.ID] == i {
			keep = append(keep, a)
		}
	}
	ids := make([]any, len(keep))
	for i, a := range keep {
		ids[i] = a.ID
	}
	if err := t.deleteIn("agreement_parties", "agreement_id", ids); err != nil {
		return wrap(err, "替换分成协议")
	}
	if err := t.deleteIn("agreements", "id", ids); err != nil {
		return wrap(err, "替换分成协议")
	}
	err := t.execBatches("INSERT INTO agreements (id, customer_id, from_month, to_month, business_line) VALUES", 5,
		"", len(keep),
		func(a []any, i int) []any {
			g := &keep[i]
			return append(a, g.ID, g.Customer, int64(g.From), int64(g.To), g.Line)
		})
	if err != nil {
		return wrap(err, "写入分成协议")
	}
	type party struct {
		agreement string
		seq       int
		domain.SplitParty
	}
	var parties []party
	for _, g := range keep {
		for i, p := range g.Parties {
			parties = append(parties, party{g.ID, i + 1, p})
		}
	}
	err = t.execBatches("INSERT INTO agreement_parties (agreement_id, seq, unit_code, ratio_bp) VALUES", 4,
		"", len(parties),
		func(a []any, i int) []any {
			p := &parties[i]
			return append(a, p.agreement, p.seq, p.Unit, int64(p.Ratio))
		})
	return wrap(err, "写入分成单位")
}

// deleteIn deletes the rows whose col is one of vals, in batches.
func (t *Tx) deleteIn(table, col string, vals []any) error {
	per := t.rowsPer(1)
	for start := 0; start < len(vals); start += per {
		end := min(start+per, len(vals))
		q := fmt.Sprintf("DELETE FROM %s WHERE %s IN (%s)", table, col,
			strings.TrimSuffix(strings.Repeat("?,", end-start), ","))
		if _, err := t.tx.ExecContext(t.ctx, q, vals[start:end]...); err != nil {
			return err
		}
	}
	return nil
}

// deletePairs deletes rows matching any of the (a, b) pairs, plus an optional extra condition, in batches.
const maxPairsPerDelete = 200

func (t *Tx) deletePairs(table, colA, colB, extra string, extraArgs []any, pairs [][2]any) error {
	// SQLite nests an OR chain one level per term and refuses past depth 1000.
	per := min(t.rowsPer(2)/2, maxPairsPerDelete)
	for start := 0; start < len(pairs); start += per {
		end := min(start+per, len(pairs))
		var b strings.Builder
		fmt.Fprintf(&b, "DELETE FROM %s WHERE ", table)
		if extra != "" {
			b.WriteString(extra + " AND ")
		}
		b.WriteByte('(')
		args := append([]any(nil), extraArgs...)
		for i, p := range pairs[start:end] {
			if i > 0 {
				b.WriteString(" OR ")
			}
			fmt.Fprintf(&b, "(%s = ? AND %s = ?)", colA, colB)
			args = append(args, p[0], p[1])
		}
		b.WriteByte(')')
		if _, err := t.tx.ExecContext(t.ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// PutTargets replaces every target of each (staff id, month) present. Calls
// within one transaction add to what earlier calls wrote for the same pair.
func (t *Tx) PutTargets(ts []domain.Target) error {
	var fresh [][2]any
	for _, g := range ts {
		k := targetKey{g.StaffID, g.Month}
		if _, seen := t.targetSeq[k]; !seen {
			t.targetSeq[k] = 1
			fresh = append(fresh, [2]any{g.StaffID, int64(g.Month)})
		}
	}
	if err := t.deletePairs("targets", "staff_id", "month", "", nil, fresh); err != nil {
		return wrap(err, "替换目标")
	}
	seqs := make([]int, len(ts))
	for i, g := range ts {
		k := targetKey{g.StaffID, g.Month}
		seqs[i] = t.targetSeq[k]
		t.targetSeq[k]++
	}
	err := t.execBatches("INSERT INTO targets (staff_id, month, seq, customer_id, customer_name, project) VALUES", 6,
		"", len(ts),
		func(a []any, i int) []any {
			g := &ts[i]
			return append(a, g.StaffID, int64(g.Month), seqs[i], g.Customer, g.CustomerName, g.Project)
		})
	return wrap(err, "写入目标")
}

func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	if Unavailable(err) {
		return &domain.Error{Kind: domain.EInternal, Msg: "数据库连接中断或无法连接：" + what + "没有完成，已回滚；请检查数据库后重试", Err: err}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Unavailable reports whether err means the database cannot be reached now
// (refused, reset or dropped connection), not that the statement was wrong.
func Unavailable(err error) bool {
	var op *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.As(err, &op)
}
