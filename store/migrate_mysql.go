package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/pressly/goose/v3"
)

// MySQL migrations that change a table which already exists, as Go migrations
// (goose runs them in version order with the mysql/ SQL files).
//
// MySQL commits each DDL statement at once: a kill between two statements
// leaves the first done while goose has not recorded the migration, and the
// next start runs the whole migration again. MariaDB would skip what is done
// with ADD COLUMN IF NOT EXISTS, ADD KEY IF NOT EXISTS or CREATE INDEX IF NOT
// EXISTS; MySQL 8.0 has none of them. So each ALTER here looks in
// information_schema first and sends only the clauses not yet in effect, all
// of a table's in one statement (one ALTER is atomic), or nothing.
//
// Versions 3, 6, 7, 10, 11 and 12 were SQL files of the same number using the
// MariaDB forms; databases that applied them are not touched again (goose
// records the version), and a new database ends with the same schema.
var mysqlMigrations = []mysqlMigration{
	{version: 3, name: "grades", up: []mysqlStep{
		// The grade of every graded customer at one quarter-end (第八条, 第九条);
		// grading a quarter again replaces that quarter's rows.
		sqlStep(`CREATE TABLE IF NOT EXISTS grades (
    quarter          VARCHAR(8)  NOT NULL, -- 2026Q2
    customer_id      VARCHAR(64) NOT NULL,
    cumulative       BIGINT      NOT NULL, -- fen, January … quarter-end, every line and unit
    level            INT         NOT NULL, -- 1..8
    tier             VARCHAR(16) NOT NULL, -- diamond, gold, silver, ordinary
    prev_tier        VARCHAR(16) NOT NULL DEFAULT '', -- '' when not graded at the previous quarter-end
    tier_change      VARCHAR(16) NOT NULL, -- 升级, 降级, 持平, 新进
    responsible_unit VARCHAR(64) NOT NULL DEFAULT '', -- '' when it cannot be found (listed in 数据警告)
    PRIMARY KEY (quarter, customer_id),
    KEY grades_quarter_tier (quarter, tier)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`),
		// Grading sums a year of revenue per customer: with amount in the index (and
		// the key's business_line) that sum, and the review packs' per-customer reads,
		// are index-only scans in (month, customer) order, without a sort.
		alterStep{table: "revenue", clauses: []alterClause{
			addKey("revenue_month_customer_amount", "KEY revenue_month_customer_amount (month, customer_id, amount)"),
		}},
	}, down: []mysqlStep{
		alterStep{table: "revenue", clauses: []alterClause{dropKey("revenue_month_customer_amount")}},
		sqlStep(`DROP TABLE IF EXISTS grades`),
	}},

	{version: 6, name: "delivery", up: []mysqlStep{
		// A scheduled (or caught-up) run of a job succeeds once per period, even with
		// two instances racing: the generated key is unique. Manual reruns are free.
		alterStep{table: "job_runs", clauses: []alterClause{
			addColumn("headline", "TEXT NOT NULL DEFAULT ('')"),
			addColumn("scheduled_success", `VARCHAR(128)
        AS (CASE WHEN outcome = 'succeeded' AND triggered_by IN ('schedule', 'catch-up') THEN CONCAT(job, ' ', period) END) STORED`),
			addKey("job_runs_scheduled_success", "UNIQUE KEY job_runs_scheduled_success (scheduled_success)"),
			addKey("job_runs_outcome", "KEY job_runs_outcome (outcome, job, period)"),
		}},
		// The archived reports a mail attaches (a run's workbook and CSV go in one mail).
		sqlStep(`CREATE TABLE IF NOT EXISTS outbox_reports (
    outbox_id BIGINT NOT NULL,
    report_id BIGINT NOT NULL,
    PRIMARY KEY (outbox_id, report_id),
    CONSTRAINT outbox_reports_outbox FOREIGN KEY (outbox_id) REFERENCES outbox (id),
    CONSTRAINT outbox_reports_report FOREIGN KEY (report_id) REFERENCES reports (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`),
	}, down: []mysqlStep{
		sqlStep(`DROP TABLE IF EXISTS outbox_reports`),
		alterStep{table: "job_runs", clauses: []alterClause{
			dropKey("job_runs_outcome"), dropKey("job_runs_scheduled_success"),
			dropColumn("scheduled_success"), dropColumn("headline"),
		}},
	}},

	{version: 7, name: "file_scans", up: []mysqlStep{
		// Which inbox scan handled a file (the scan's start, in microseconds), so
		// kam status can show the last scan's files rather than merely recent ones.
		alterStep{table: "files", clauses: []alterClause{
			addColumn("scan_id", "BIGINT NOT NULL DEFAULT 0"),
			addKey("files_scan", "KEY files_scan (scan_id)"),
		}},
	}, down: []mysqlStep{
		alterStep{table: "files", clauses: []alterClause{dropKey("files_scan"), dropColumn("scan_id")}},
	}},

	{version: 10, name: "unit_mailboxes", up: []mysqlStep{
		// A unit's key-account centre mailbox (units extract 邮箱; SPEC §2, §5).
		alterStep{table: "units", clauses: []alterClause{addColumn("email", "VARCHAR(500) NOT NULL DEFAULT ''")}},
	}, down: []mysqlStep{
		alterStep{table: "units", clauses: []alterClause{dropColumn("email")}},
	}},

	{version: 11, name: "report_units", up: []mysqlStep{
		// The unit a per-centre workbook belongs to ('' = the city-wide report; SPEC §5 each centre gets its own).
		alterStep{table: "reports", clauses: []alterClause{
			addColumn("unit", "VARCHAR(32) NOT NULL DEFAULT ''"),
			addKey("reports_unit", "KEY reports_unit (unit, job, period)"),
		}},
	}, down: []mysqlStep{
		alterStep{table: "reports", clauses: []alterClause{dropKey("reports_unit"), dropColumn("unit")}},
	}},

	{version: 12, name: "report_copies", up: []mysqlStep{
		// When a report's copy reached the reports folder (NULL: not yet; the archive
		// writes it again, SPEC §5). Reports archived before this were copied as before.
		alterStep{table: "reports", clauses: []alterClause{
			addColumn("copied_at", "DATETIME(6) NULL"),
			addKey("reports_copied", "KEY reports_copied (copied_at)"),
		}},
		sqlStep(`UPDATE reports SET copied_at = created_at WHERE copied_at IS NULL`),
	}, down: []mysqlStep{
		alterStep{table: "reports", clauses: []alterClause{dropKey("reports_copied"), dropColumn("copied_at")}},
	}},

	{version: 13, name: "file_error_books", up: []mysqlStep{
		// Where a rejected file's error workbook was written: NULL when none was (it
		// could not be written, or the file was not rejected). The CLI, mail and status
		// page name this one, never a name guessed from the rejected file's. Placed
		// after stored_as so a resumed 00007 re-adds scan_id after it, as on a clean database.
		alterStep{table: "files", clauses: []alterClause{addColumn("error_book", "VARCHAR(1024) NULL AFTER stored_as")}},
	}, down: []mysqlStep{
		alterStep{table: "files", clauses: []alterClause{dropColumn("error_book")}},
	}},

	{version: 21, name: "visits_archive", up: []mysqlStep{
		// A customer's archive fields (信息档案, 档案管理; SPEC §3): optional in the
		// extract, '' until a file carries them.
		alterStep{table: "customers", clauses: []alterClause{
			addColumn("address", "VARCHAR(255) NOT NULL DEFAULT ''"),
			addColumn("postcode", "VARCHAR(16) NOT NULL DEFAULT ''"),
			addColumn("contact_name", "VARCHAR(255) NOT NULL DEFAULT ''"),
			addColumn("contact_phone", "VARCHAR(64) NOT NULL DEFAULT ''"),
			addColumn("contact_email", "VARCHAR(500) NOT NULL DEFAULT ''"),
		}},
		// The managers' visits (走访记录, 分级维护), upserted by visit id.
		sqlStep(`CREATE TABLE IF NOT EXISTS visits (
    id              VARCHAR(64)   NOT NULL PRIMARY KEY,
    customer_id     VARCHAR(64)   NOT NULL,
    visited_on      DATE          NOT NULL,
    visit_kind      VARCHAR(16)   NOT NULL,
    staff_id        VARCHAR(64)   NOT NULL,
    contact         VARCHAR(255)  NOT NULL DEFAULT '',
    notes           VARCHAR(1000) NOT NULL DEFAULT '',
    next_contact_on DATE          NULL,
    KEY visits_customer_on (customer_id, visited_on)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`),
	}, down: []mysqlStep{
		sqlStep(`DROP TABLE IF EXISTS visits`),
		alterStep{table: "customers", clauses: []alterClause{
			dropColumn("contact_email"), dropColumn("contact_phone"), dropColumn("contact_name"),
			dropColumn("postcode"), dropColumn("address"),
		}},
	}},

	{version: 25, name: "digest", up: []mysqlStep{
		// Report mails held for the delivery window (mail.digest_at, SPEC §5.1): status 'held'
		// until the window, then 'folded' into one digest per recipient (digest_id: its outbox
		// row). title is the report's name for the digest's subject and sections.
		alterStep{table: "outbox", clauses: []alterClause{
			addColumn("title", "VARCHAR(255) NOT NULL DEFAULT ''"),
			addColumn("digest_id", "BIGINT NULL"),
		}},
	}, down: []mysqlStep{
		alterStep{table: "outbox", clauses: []alterClause{dropColumn("digest_id"), dropColumn("title")}},
	}},
}

// mysqlMigration is one numbered MySQL migration made of steps, each of which
// succeeds again when it already took effect.
type mysqlMigration struct {
	version  int64
	name     string
	up, down []mysqlStep
}

// mysqlStep is one statement of a migration, run again whole after a kill.
type mysqlStep interface {
	run(ctx context.Context, tx *sql.Tx) error
	// statements are every SQL text the step may send, for the grammar test.
	statements() []string
}

// sqlStep is a statement that can run again as it is: CREATE TABLE IF NOT
// EXISTS, DROP … IF EXISTS, MODIFY COLUMN, a data change giving the same result twice.
type sqlStep string

func (s sqlStep) run(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, string(s))
	return err
}

func (s sqlStep) statements() []string { return []string{string(s)} }

// alterStep is one ALTER TABLE of those of its clauses that are not in effect yet.
type alterStep struct {
	table   string
	clauses []alterClause
}

// alterClause is one clause of an ALTER TABLE and the column or key it adds or drops.
type alterClause struct {
	sql    string // ADD COLUMN scan_id BIGINT NOT NULL DEFAULT 0
	column string // the column it adds or drops; '' for a key
	key    string // the key (index) it adds or drops; '' for a column
	drop   bool   // in effect when the column or key is gone, not when it is there
}

func addColumn(name, definition string) alterClause {
	return alterClause{sql: "ADD COLUMN " + name + " " + definition, column: name}
}

// addKey adds the key name; definition is its whole clause after ADD, e.g. UNIQUE KEY k (a, b).
func addKey(name, definition string) alterClause {
	return alterClause{sql: "ADD " + definition, key: name}
}

func dropColumn(name string) alterClause {
	return alterClause{sql: "DROP COLUMN " + name, column: name, drop: true}
}

func dropKey(name string) alterClause {
	return alterClause{sql: "DROP KEY " + name, key: name, drop: true}
}

// The catalogue look-ups an alterStep makes before it sends anything.
const (
	columnExists = `SELECT COUNT(*) FROM information_schema.columns
		WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?`
	keyExists = `SELECT COUNT(*) FROM information_schema.statistics
		WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?`
)

func (a alterStep) run(ctx context.Context, tx *sql.Tx) error {
	var pending []string
	for _, c := range a.clauses {
		query, name := keyExists, c.key
		if c.column != "" {
			query, name = columnExists, c.column
		}
		var n int
		if err := tx.QueryRowContext(ctx, query, a.table, name).Scan(&n); err != nil {
			return fmt.Errorf("查看 %s.%s 是否已存在: %w", a.table, name, err)
		}
		if exists := n > 0; exists == c.drop {
			pending = append(pending, c.sql)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, a.alter(pending))
	return err
}

func (a alterStep) alter(clauses []string) string {
	return "ALTER TABLE " + a.table + "\n    " + strings.Join(clauses, ",\n    ")
}

// statements are the look-ups and the ALTER a new database gets (every clause;
// a resumed one sends some of them, the same grammar).
func (a alterStep) statements() []string {
	all := make([]string, len(a.clauses))
	for i, c := range a.clauses {
		all[i] = c.sql
	}
	return []string{columnExists, keyExists, a.alter(all)}
}

// gooseMigrations hands the MySQL Go migrations to goose, each run in one
// transaction as goose runs an SQL file (each DDL commits at once all the same).
func gooseMigrations() []*goose.Migration {
	out := make([]*goose.Migration, len(mysqlMigrations))
	for i, m := range mysqlMigrations {
		out[i] = goose.NewGoMigration(m.version, &goose.GoFunc{RunTx: runSteps(m.up)}, &goose.GoFunc{RunTx: runSteps(m.down)})
	}
	return out
}

func runSteps(steps []mysqlStep) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		for _, s := range steps {
			if err := s.run(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	}
}
