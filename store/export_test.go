package store

import (
	"context"
	"fmt"
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
	p, err := s.migrationProvider()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}

// SendMySQLThrough opens MySQL stores with the database/sql driver registered as name.
func SendMySQLThrough(name string) { mysqlDriver = name }

// SourcedSQL is an SQL text and where it comes from.
type SourcedSQL struct{ From, SQL string }

// MySQLGoMigrationStatements lists every SQL text the MySQL Go migrations may send, up and down.
func MySQLGoMigrationStatements() []SourcedSQL {
	var out []SourcedSQL
	for _, m := range mysqlMigrations {
		for dir, steps := range [][]mysqlStep{m.up, m.down} {
			for i, st := range steps {
				for _, q := range st.statements() {
					out = append(out, SourcedSQL{
						From: fmt.Sprintf("store/migrate_mysql.go: migration %05d_%s, %s step %d", m.version, m.name, [...]string{"up", "down"}[dir], i+1),
						SQL:  q,
					})
				}
			}
		}
	}
	return out
}
