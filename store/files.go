package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"kam/domain"
)

// FileOutcome is what became of a file dropped into the inbox.
type FileOutcome string

const (
	FileLoaded    FileOutcome = "loaded"
	FileRejected  FileOutcome = "rejected"
	FileDuplicate FileOutcome = "duplicate"
)

// FileRecord is one file seen in the inbox.
type FileRecord struct {
	ID         int64       `db:"id"`
	Name       string      `db:"name"`
	SHA256     string      `db:"sha256"` // hex
	Size       int64       `db:"size"`
	Kind       domain.Kind `db:"kind"` // "" when the header was not recognised
	Rows       int         `db:"row_count"`
	Outcome    FileOutcome `db:"outcome"`
	ErrorCount int         `db:"error_count"`
	StoredAs   string      `db:"stored_as"` // where the file was moved: processed/… or rejected/…
	StartedAt  time.Time   `db:"started_at"`
	FinishedAt time.Time   `db:"-"` // zero while the load is still running
	DurationMS int64       `db:"duration_ms"`
	ScanID     int64       `db:"scan_id"` // the inbox scan that handled it: its start in Unix microseconds
}

// ErrAlreadyLoaded reports that a file with the same bytes is already recorded as loaded.
var ErrAlreadyLoaded = errors.New("同样内容的文件已经导入过")

const fileColumns = `id, name, sha256, size, kind, row_count, outcome, error_count, stored_as,
	started_at, finished_at, duration_ms, scan_id`

// fileRow reads the nullable finished_at.
type fileRow struct {
	FileRecord
	Finished sql.NullTime `db:"finished_at"`
}

func (r fileRow) record() FileRecord {
	f := r.FileRecord
	if r.Finished.Valid {
		f.FinishedAt = r.Finished.Time
	}
	return f
}

// FileBySHA finds the record that decided the fate of these bytes: the loaded
// one if any, else the earliest rejection, else the earliest duplicate.
func (s *Store) FileBySHA(ctx context.Context, sha string) (FileRecord, bool, error) {
	var r fileRow
	err := s.db.GetContext(ctx, &r, `SELECT `+fileColumns+` FROM files WHERE sha256 = ?
		ORDER BY CASE outcome WHEN 'loaded' THEN 0 WHEN 'rejected' THEN 1 ELSE 2 END, id LIMIT 1`, sha)
	if errors.Is(err, sql.ErrNoRows) {
		return FileRecord{}, false, nil
	}
	if err != nil {
		return FileRecord{}, false, fmt.Errorf("查询文件记录: %w", err)
	}
	return r.record(), true, nil
}

// LastScanFiles lists the files the latest inbox scan that handled any file
// dealt with, in the order it took them.
func (s *Store) LastScanFiles(ctx context.Context) ([]FileRecord, error) {
	var rows []fileRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+fileColumns+` FROM files
		WHERE scan_id = (SELECT MAX(scan_id) FROM files) AND scan_id > 0 ORDER BY id`); err != nil {
		return nil, fmt.Errorf("查询文件记录: %w", err)
	}
	out := make([]FileRecord, len(rows))
	for i, r := range rows {
		out[i] = r.record()
	}
	return out, nil
}

// RecordFile saves a file record on its own (rejected and duplicate files):
// inserted when rec.ID is 0, else updated. It returns the record's id.
func (s *Store) RecordFile(ctx context.Context, rec FileRecord) (int64, error) {
	return recordFile(ctx, s.db, rec)
}

// RecordFile saves the record of the file this transaction loads, so it
// commits with the rows: inserted when rec.ID is 0 (call it before
// PutRevenue: revenue rows are tagged with its id), else updated with the
// final counts. ErrAlreadyLoaded when the same bytes are already loaded.
func (t *Tx) RecordFile(rec FileRecord) (int64, error) {
	id, err := recordFile(t.ctx, t.tx, rec)
	if err == nil {
		t.fileID = id
	}
	return id, err
}

func recordFile(ctx context.Context, ex sqlx.ExecerContext, rec FileRecord) (int64, error) {
	if rec.DurationMS == 0 && !rec.FinishedAt.IsZero() {
		rec.DurationMS = rec.FinishedAt.Sub(rec.StartedAt).Milliseconds()
	}
	if rec.StartedAt.IsZero() {
		rec.StartedAt = time.Now()
	}
	finished := sql.NullTime{Time: rec.FinishedAt.UTC(), Valid: !rec.FinishedAt.IsZero()}
	args := []any{rec.Name, rec.SHA256, rec.Size, string(rec.Kind), rec.Rows, string(rec.Outcome), rec.ErrorCount,
		rec.StoredAs, rec.StartedAt.UTC(), finished, rec.DurationMS, rec.ScanID}
	if rec.ID == 0 {
		res, err := ex.ExecContext(ctx, `INSERT INTO files (name, sha256, size, kind, row_count, outcome, error_count,
			stored_as, started_at, finished_at, duration_ms, scan_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		if err != nil {
			return 0, fileErr(err, rec)
		}
		return res.LastInsertId()
	}
	_, err := ex.ExecContext(ctx, `UPDATE files SET name = ?, sha256 = ?, size = ?, kind = ?, row_count = ?, outcome = ?,
		error_count = ?, stored_as = ?, started_at = ?, finished_at = ?, duration_ms = ?, scan_id = ? WHERE id = ?`,
		append(args, rec.ID)...)
	if err != nil {
		return 0, fileErr(err, rec)
	}
	return rec.ID, nil
}

func fileErr(err error, rec FileRecord) error {
	if rec.Outcome == FileLoaded && isUniqueViolation(err) {
		return fmt.Errorf("%s: %w", rec.Name, ErrAlreadyLoaded)
	}
	return fmt.Errorf("记录文件 %s: %w", rec.Name, err)
}

// errValueRefused marks a value the database would not store as sent (LOAD DATA warnings).
var errValueRefused = errors.New("数据库未能按原值保存")

// IsDataError reports an error caused by the values a file sent, not by the
// database being unavailable: the file is rejected for it and the scan goes on.
func IsDataError(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, errValueRefused) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1048, 1062, 1216, 1264, 1265, 1292, 1366, 1406, 1452, 3819, 4025:
			return true // null, duplicate, foreign key, out of range, truncated, bad value, bad string, too long, check
		}
		return false
	}
	var se interface{ Code() int }
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 18, 19, 20: // SQLITE_TOOBIG, SQLITE_CONSTRAINT, SQLITE_MISMATCH
			return true
		}
	}
	return false
}
