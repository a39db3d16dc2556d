package store

import "fmt"

// UseLoadData switches MySQL revenue writes between LOAD DATA and multi-row INSERT, so tests cover both.
func UseLoadData(s *Store, on bool) { s.loadData = on && s.dialect == MySQL }

// LoadsWithLoadData reports which way MySQL revenue writes go.
func LoadsWithLoadData(s *Store) bool { return s.loadData }

// TxFileID is the file t tags revenue rows with (set by RecordFile), 0 before.
func TxFileID(t *Tx) int64 { return t.fileID }

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
