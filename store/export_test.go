package store

import (
	"context"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// UseLoadData switches MySQL revenue writes between LOAD DATA and multi-row INSERT, so tests cover both.
func UseLoadData(s *Store, on bool) { s.loadData = on && s.dialect == MySQL }

// LoadsWithLoadData reports which way MySQL revenue writes go.
func LoadsWithLoadData(s *Store) bool { return s.loadData }

// TxFileID is the file t tags revenue rows with (set by RecordFile), 0 before.
func TxFileID(t *Tx) int64 { return t.fileID }

// MigrateDownTo takes the schema back to version through the migrations' Down
// steps: the database as an older kam left it, for upgrade tests.
func MigrateDownTo(ctx context.Context, s *Store, version int64) error {
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	if s.dialect == MySQL {
		dir, dialect = "migrations/mysql", goose.DialectMySQL
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(dialect, s.db.DB, sub)
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}
