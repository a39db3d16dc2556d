package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
)

// migrations holds one folder per dialect; a schema change adds the same-numbered file to both.
//
//go:embed migrations/sqlite/*.sql migrations/mysql/*.sql
var migrations embed.FS

// migrateWait is how long a start waits for another kam's migration to finish.
const migrateWait = 5 * time.Minute

// Migrate applies pending migrations; running it again does nothing. Two kam
// starting at once: one migrates, the other waits for it (MySQL: the migrate
// lease, on every node of a cluster; SQLite: a file lock beside the database). A kill mid-migration is resumed
// by the next start: SQLite applies each migration in a transaction, and on
// MySQL, where DDL commits at once, every step can run again (see
// migrations/README.md and migrate_mysql.go).
func (s *Store) Migrate(ctx context.Context) error {
	var opts []goose.ProviderOption
	if s.dialect == MySQL {
		// Two daemons starting together must not both apply the same migration.
		opts = append(opts, goose.WithSessionLocker(&mysqlMigrationLock{s: s}))
	} else {
		release, err := s.waitFileLock(ctx, "migrate.lock", migrateWait)
		if err != nil {
			return err
		}
		defer release()
	}
	p, err := s.migrationProvider(opts...)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			s.applied = append(s.applied, r.Source.Version)
			s.log.Info().Int64("version", r.Source.Version).Dur("took", r.Duration).Msg("数据库迁移已执行")
		}
	}
	if err != nil {
		return fmt.Errorf("数据库迁移失败: %w", err)
	}
	return nil
}

// migrationProvider is goose over this dialect's migrations: the SQL files of
// its folder and, on MySQL, the Go migrations of migrate_mysql.go.
func (s *Store) migrationProvider(opts ...goose.ProviderOption) (*goose.Provider, error) {
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	if s.dialect == MySQL {
		dir, dialect = "migrations/mysql", goose.DialectMySQL
		opts = append(opts, goose.WithGoMigrations(gooseMigrations()...))
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(dialect, s.db.DB, sub, append(opts, goose.WithDisableGlobalRegistry(true))...)
	if err != nil {
		return nil, fmt.Errorf("准备数据库迁移: %w", err)
	}
	return p, nil
}

// Applied lists the migration versions this Store applied (when it opened, or
// by Migrate since), oldest first; empty when the schema was already current.
func (s *Store) Applied() []int64 { return append([]int64(nil), s.applied...) }

// mysqlMigrationLock serialises migrations across processes, and across the
// nodes of a cluster, with the lease called migrate. Its table is created
// first, outside the migrations: the lock must exist before they run.
type mysqlMigrationLock struct {
	s     *Store
	lease *lease
}

func (m *mysqlMigrationLock) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, leasesTable); err != nil {
		return fmt.Errorf("创建租约表: %w", err)
	}
	l, err := m.s.waitLease(ctx, "migrate", migrateWait, nil)
	if err != nil {
		return fmt.Errorf("获取迁移锁: %w", err)
	}
	if err := recordZeroVersion(ctx, conn); err != nil {
		l.release()
		return err
	}
	m.lease = l
	return nil
}

func recordZeroVersion(ctx context.Context, conn *sql.Conn) error {
	// goose creates its version table and then records version 0; on MySQL the
	// CREATE commits alone, so a kill between the two leaves a table goose refuses
	// for ever ("missing zero version migration"). Record it here, under the lock.
	var tables int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables
		WHERE table_schema = DATABASE() AND table_name = 'goose_db_version'`).Scan(&tables); err != nil {
		return fmt.Errorf("检查迁移记录表: %w", err)
	}
	if tables == 1 {
		if _, err := conn.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied)
			SELECT 0, TRUE FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM goose_db_version WHERE version_id = 0)`); err != nil {
			return fmt.Errorf("补记迁移起点: %w", err)
		}
	}
	return nil
}

func (m *mysqlMigrationLock) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	if m.lease != nil {
		m.lease.release()
		m.lease = nil
	}
	return nil
}
