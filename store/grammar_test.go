package store_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
	vtlog "vitess.io/vitess/go/vt/log"
	"vitess.io/vitess/go/vt/sqlparser"

	"kam/store"
)

// Every statement kam sends is valid MySQL 8.0 (SPEC §6.2). MariaDB runs the
// tests, and accepts forms MySQL refuses, so the grammar checks them: vitess's
// MySQL parser configured as a MySQL 8.0.40 server. The migrations' statements
// are parsed always; every statement the store sends while the tests run on
// MariaDB is collected through a wrapping driver and parsed when they end.
// vitess reads no further than LOAD DATA: revenue.go's LOAD DATA LOCAL INFILE
// passes unchecked (it is MySQL's documented form).

// mysql80Version is the MySQL server whose grammar the statements must parse in.
const mysql80Version = "8.0.40"

// mysql80Parse says why MySQL 8.0 would not take q: a syntax error, or a DDL
// statement the grammar could parse only in part (vitess otherwise accepts
// those, as MySQL does not: MariaDB's ADD COLUMN IF NOT EXISTS is one); nil when it parses.
func mysql80Parse(q string) error {
	parser, err := sqlparser.New(sqlparser.Options{MySQLServerVersion: mysql80Version})
	if err != nil {
		return err
	}
	_, err = parser.ParseStrictDDL(q)
	if err == nil {
		return nil
	}
	if st, _ := parser.Parse(q); st != nil {
		if ddl, ok := st.(sqlparser.DDLStatement); ok && !ddl.IsFullyParsed() {
			return fmt.Errorf("parses this DDL only in part: %s", vitessMessage(err))
		}
	}
	return fmt.Errorf("rejects it: %s", vitessMessage(err))
}

// vitessMessage is err without the RPC code vitess puts before it.
func vitessMessage(err error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "Code: "); ok {
		if _, m, ok := strings.Cut(rest, "\n"); ok {
			return m
		}
	}
	return msg
}

func init() {
	// vitess logs every DDL it parses only in part; mysql80Parse reports them itself.
	vtlog.SwapLogger(slog.New(slog.DiscardHandler))
}

// The grammar is not a rubber stamp: MariaDB's forms the migrations once used fail it.
func TestMySQL80GrammarRefusesMariaDBForms(t *testing.T) {
	for _, q := range []string{
		`CREATE INDEX IF NOT EXISTS revenue_month_customer_amount ON revenue (month, customer_id, amount)`,
		`ALTER TABLE files ADD COLUMN IF NOT EXISTS scan_id BIGINT NOT NULL DEFAULT 0, ADD KEY IF NOT EXISTS files_scan (scan_id)`,
		`ALTER TABLE units DROP COLUMN IF EXISTS email`,
		`ALTER TABLE reports DROP KEY IF EXISTS reports_unit`,
		`DELETE FROM outbox WHERE id = ? RETURNING id`,
	} {
		if err := mysql80Parse(q); err == nil {
			t.Errorf("MySQL %s grammar accepts MariaDB's %s", mysql80Version, q)
		}
	}
	for _, q := range []string{
		`ALTER TABLE files ADD COLUMN scan_id BIGINT NOT NULL DEFAULT 0, ADD KEY files_scan (scan_id)`,
		`SELECT IS_USED_LOCK(?) = CONNECTION_ID()`,
	} {
		if err := mysql80Parse(q); err != nil {
			t.Errorf("MySQL %s grammar: %s: %v", mysql80Version, q, err)
		}
	}
}

// Every statement of the MySQL migrations, SQL files and Go migrations, up and down, is MySQL 8.0.
func TestMySQLMigrationsParseAsMySQL80(t *testing.T) {
	stmts := store.MySQLGoMigrationStatements()
	files, err := filepath.Glob("migrations/mysql/*.sql")
	must(t, err)
	if len(files) == 0 {
		t.Fatal("no migrations/mysql/*.sql")
	}
	for _, f := range files {
		stmts = append(stmts, migrationFileStatements(t, f)...)
	}
	for _, s := range stmts {
		if err := mysql80Parse(s.SQL); err != nil {
			t.Errorf("%s: MySQL %s grammar %v\n%s", s.From, mysql80Version, err, indent(s.SQL))
		}
	}
	t.Logf("%d migration statements checked against MySQL %s", len(stmts), mysql80Version)
}

// migrationFileStatements splits a goose SQL file into its statements, each named by file, direction and line.
func migrationFileStatements(t *testing.T, file string) []store.SourcedSQL {
	t.Helper()
	b, err := os.ReadFile(file)
	must(t, err)
	parser, err := sqlparser.New(sqlparser.Options{MySQLServerVersion: mysql80Version})
	must(t, err)
	text := string(b)
	var out []store.SourcedSQL
	for _, dir := range []string{"Up", "Down"} {
		marker := "-- +goose " + dir
		start := strings.Index(text, marker)
		if start < 0 {
			continue
		}
		part := text[start+len(marker):]
		if end := strings.Index(part, "-- +goose "); end >= 0 {
			part = part[:end]
		}
		if strings.Contains(part, "StatementBegin") {
			t.Fatalf("%s: StatementBegin blocks are not split here; extend migrationFileStatements", file)
		}
		pieces, err := parser.SplitStatementToPieces(part)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		offset := start + len(marker)
		for _, p := range pieces {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			at := strings.Index(text[offset:], p)
			line := 0
			if at >= 0 {
				offset += at
				line = 1 + strings.Count(text[:offset], "\n")
			}
			out = append(out, store.SourcedSQL{From: fmt.Sprintf("store/%s:%d (%s)", filepath.ToSlash(file), line, dir), SQL: p})
		}
	}
	return out
}

func indent(q string) string { return "\t" + strings.ReplaceAll(strings.TrimSpace(q), "\n", "\n\t") }

// sent collects every distinct SQL text the store sends to MySQL while the tests run.
var sent = &sentStatements{seen: map[string]*sentStatement{}}

type sentStatements struct {
	mu   sync.Mutex
	seen map[string]*sentStatement
	all  int
}

type sentStatement struct {
	from  string // the store's line that sent it first, e.g. store/lock.go:229 (kam/store.stillHeld)
	times int
}

// add records q unless the tests themselves sent it (their own SQL is not kam's).
func (s *sentStatements) add(q string) {
	from := sender()
	if from == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all++
	if st, ok := s.seen[q]; ok {
		st.times++
		return
	}
	s.seen[q] = &sentStatement{from: from, times: 1}
}

// sender names the first line of the store's own code (not its tests) on the
// stack, and goose when goose sent it on the store's behalf; empty when no store code is there.
func sender() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	via := ""
	for {
		f, more := frames.Next()
		switch {
		case strings.HasPrefix(f.Function, "github.com/pressly/goose/") && via == "":
			via = "goose, "
		case strings.HasPrefix(f.Function, "kam/store.") && !strings.HasSuffix(f.File, "_test.go"):
			return fmt.Sprintf("%sstore/%s:%d (%s)", via, filepath.Base(f.File), f.Line, f.Function)
		}
		if !more {
			return ""
		}
	}
}

// check parses every statement sent and says which MySQL 8.0 would refuse.
func (s *sentStatements) check() (failures []string, distinct, all int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for q, st := range s.seen {
		if err := mysql80Parse(q); err != nil {
			failures = append(failures, fmt.Sprintf("%s (sent %d× in these tests): MySQL %s grammar %v\n%s", st.from, st.times, mysql80Version, err, indent(q)))
		}
	}
	sort.Strings(failures)
	return failures, len(s.seen), s.all
}

// recordingDriver is go-sql-driver's MySQL driver noting every statement text before it goes out.
type recordingDriver struct{}

func (d recordingDriver) Open(dsn string) (driver.Conn, error) {
	c, err := d.OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return c.Connect(context.Background())
}

func (d recordingDriver) OpenConnector(dsn string) (driver.Connector, error) {
	c, err := mysql.MySQLDriver{}.OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return recordingConnector{c}, nil
}

type recordingConnector struct{ driver.Connector }

func (c recordingConnector) Driver() driver.Driver { return recordingDriver{} }

func (c recordingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	full, ok := conn.(mysqlConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("recordingDriver: %T lacks a method database/sql uses", conn)
	}
	return recordingConn{full}, nil
}

// mysqlConn is what go-sql-driver's connection offers database/sql.
type mysqlConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

type recordingConn struct{ mysqlConn }

func (c recordingConn) Prepare(q string) (driver.Stmt, error) {
	sent.add(q)
	return c.mysqlConn.Prepare(q)
}

func (c recordingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	sent.add(q)
	return c.mysqlConn.PrepareContext(ctx, q)
}

func (c recordingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	sent.add(q)
	return c.mysqlConn.ExecContext(ctx, q, args)
}

func (c recordingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	sent.add(q)
	return c.mysqlConn.QueryContext(ctx, q, args)
}

// TestMain runs the store's tests with MySQL stores opened through recordingDriver,
// then fails the package if MySQL 8.0's grammar refuses anything the store sent.
func TestMain(m *testing.M) {
	sql.Register("kam-mysql-recorded", recordingDriver{})
	store.SendMySQLThrough("kam-mysql-recorded")
	code := m.Run()
	failures, distinct, all := sent.check()
	switch {
	case len(failures) > 0:
		fmt.Printf("--- FAIL: MySQL %s grammar: %d of the %d distinct statements the store sent refused:\n", mysql80Version, len(failures), distinct)
		for _, f := range failures {
			fmt.Println("    " + strings.ReplaceAll(f, "\n", "\n    "))
		}
		fmt.Println("FAIL")
		code = 1
	case testing.Verbose() && distinct == 0:
		fmt.Printf("MySQL %s grammar: the store sent nothing to MySQL (%s unset?)\n", mysql80Version, "KAM_TEST_MYSQL_DSN")
	case testing.Verbose():
		fmt.Printf("MySQL %s grammar: all %d distinct statements the store sent (%d in all) parse\n", mysql80Version, distinct, all)
	}
	os.Exit(code)
}
