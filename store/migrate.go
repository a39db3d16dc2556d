package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// migrations holds one folder per dialect; a schema change adds the same-numbered file to both.
//
//go:embed migrations/sqlite/*.sql migrations/mysql/*.sql
var migrations embed.FS

// Migrate applies pending migrations; running it again does nothing.
func (s *Store) Migrate(ctx context.Context) error {
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.dialect == MySQL {
		dir, dialect = "migrations/mysql", goose.DialectMySQL
		// Two daemons starting together must not both apply the same migration.
		opts = append(opts, goose.WithSessionLocker(mysqlMigrationLock{}))
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(dialect, s.db.DB, sub, opts...)
	if err != nil {
		return fmt.Errorf("准备数据库迁移: %w", err)
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			s.log.Info().Int64("version", r.Source.Version).Dur("took", r.Duration).Msg("数据库迁移已执行")
		}
	}
	if err != nil {
		return fmt.Errorf("数据库迁移失败: %w", err)
	}
	return nil
}

// mysqlMigrationLock serialises migrations across processes with a named server lock per database.
type mysqlMigrationLock struct{}

func (mysqlMigrationLock) SessionLock(ctx context.Context, conn *sql.Conn) error {
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(CONCAT('kam_migrate:', DATABASE()), 300)").Scan(&got); err != nil {
		return fmt.Errorf("获取迁移锁: %w", err)
	}
	if got.Int64 != 1 {
		return errors.New("获取迁移锁超时：另一个 kam 正在迁移数据库")
	}
	return nil
}

func (mysqlMigrationLock) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, "SELECT RELEASE_LOCK(CONCAT('kam_migrate:', DATABASE()))")
	return err
}
