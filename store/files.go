package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
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
	// FileReplaced is a file once loaded whose data later files have replaced
	// (or that changed after its load and was loaded again): its bytes may load again (SPEC §3.3).
	FileReplaced FileOutcome = "replaced"
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
	StoredAs   string      `db:"stored_as"`  // where the file was moved: processed/… or rejected/…
	ErrorBook  string      `db:"error_book"` // a rejected file's error workbook as written; "" when none was
	StartedAt  time.Time   `db:"started_at"`
	FinishedAt time.Time   `db:"-"` // zero while the load is still running
	DurationMS int64       `db:"duration_ms"`
	ScanID     int64       `db:"scan_id"`   // the inbox scan that handled it: its start in Unix microseconds
	Unit       string      `db:"unit_code"` // the unit whose inbox folder it was dropped in, "" for the inbox itself
	Confirmed  bool        `db:"confirmed"` // dropped into 确认替换/: loaded past the shrink guard
}

// ErrAlreadyLoaded reports that a file with the same bytes is already recorded as loaded.
var ErrAlreadyLoaded = errors.New("同样内容的文件已经导入过")

const fileColumns = `id, name, sha256, size, kind, row_count, outcome, error_count, stored_as, COALESCE(error_book, '') AS error_book,
	started_at, finished_at, duration_ms, scan_id, COALESCE(o.unit_code, '') AS unit_code, COALESCE(o.confirmed, FALSE) AS confirmed`

const fileTables = `files LEFT JOIN file_origins o ON o.file_id = files.id`

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
	err := s.db.GetContext(ctx, &r, `SELECT `+fileColumns+` FROM `+fileTables+` WHERE sha256 = ?
		ORDER BY CASE outcome WHEN 'loaded' THEN 0 WHEN 'rejected' THEN 1 ELSE 2 END, files.id LIMIT 1`, sha)
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
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+fileColumns+` FROM `+fileTables+`
		WHERE scan_id = (SELECT MAX(scan_id) FROM files) AND scan_id > 0 ORDER BY files.id`); err != nil {
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
func (s *Store) RecordFile(ctx context.Context, rec FileRecord) (id int64, err error) {
	err = s.InTx(ctx, func(t *Tx) error {
		id, err = recordFile(ctx, t.tx, rec, s.now)
		return err
	})
	return id, err
}

// RecordFile saves the record of the file this transaction loads, so it
// commits with the rows: inserted when rec.ID is 0 (call it before
// PutRevenue: revenue rows are tagged with its id), else updated with the
// final counts. ErrAlreadyLoaded when the same bytes are already loaded.
func (t *Tx) RecordFile(rec FileRecord) (int64, error) {
	if err := t.stopRevenueWriter(); err != nil { // the rows queued so far keep the file id they were given
		return 0, err
	}
	id, err := recordFile(t.ctx, t.tx, rec, t.s.now)
	if err == nil {
		t.fileID = id
	}
	return id, err
}

func recordFile(ctx context.Context, ex sqlx.ExecerContext, rec FileRecord, now func() time.Time) (int64, error) {
	if rec.DurationMS == 0 && !rec.FinishedAt.IsZero() {
		rec.DurationMS = rec.FinishedAt.Sub(rec.StartedAt).Milliseconds()
	}
	if rec.StartedAt.IsZero() {
		rec.StartedAt = now()
	}
	finished := sql.NullTime{Time: rec.FinishedAt.UTC(), Valid: !rec.FinishedAt.IsZero()}
	book := sql.NullString{String: rec.ErrorBook, Valid: rec.ErrorBook != ""}
	args := []any{rec.Name, rec.SHA256, rec.Size, string(rec.Kind), rec.Rows, string(rec.Outcome), rec.ErrorCount,
		rec.StoredAs, book, rec.StartedAt.UTC(), finished, rec.DurationMS, rec.ScanID}
	if rec.ID == 0 {
		res, err := ex.ExecContext(ctx, `INSERT INTO files (name, sha256, size, kind, row_count, outcome, error_count,
			stored_as, error_book, started_at, finished_at, duration_ms, scan_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		if err != nil {
			return 0, fileErr(err, rec)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return 0, err
		}
		return id, recordOrigin(ctx, ex, id, rec)
	}
	_, err := ex.ExecContext(ctx, `UPDATE files SET name = ?, sha256 = ?, size = ?, kind = ?, row_count = ?, outcome = ?,
		error_count = ?, stored_as = ?, error_book = ?, started_at = ?, finished_at = ?, duration_ms = ?, scan_id = ? WHERE id = ?`,
		append(args, rec.ID)...)
	if err != nil {
		return 0, fileErr(err, rec)
	}
	return rec.ID, recordOrigin(ctx, ex, rec.ID, rec)
}

// recordOrigin keeps where a file came from beside its record (only files from a unit's folder or 确认替换/ have one).
func recordOrigin(ctx context.Context, ex sqlx.ExecerContext, id int64, rec FileRecord) error {
	if _, err := ex.ExecContext(ctx, `DELETE FROM file_origins WHERE file_id = ?`, id); err != nil {
		return fmt.Errorf("记录文件来源 %s: %w", rec.Name, err)
	}
	if rec.Unit == "" && !rec.Confirmed {
		return nil
	}
	if _, err := ex.ExecContext(ctx, `INSERT INTO file_origins (file_id, unit_code, confirmed) VALUES (?, ?, ?)`, id, rec.Unit, rec.Confirmed); err != nil {
		return fmt.Errorf("记录文件来源 %s: %w", rec.Name, err)
	}
	return nil
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

// UnreadFile is something in the inbox kam will not read (a symbolic link, a
// hidden file, a folder of no meaning to kam, a name it cannot represent); it
// is left where it is and listed by kam status as 未处理的文件 until it goes.
type UnreadFile struct {
	Path      string    `db:"path"` // as found, relative to the inbox
	Reason    string    `db:"reason"`
	FirstSeen time.Time `db:"first_seen"`
}

// SyncUnreadFiles records what one inbox scan found unread: new entries are
// stored and returned (to be reported once), entries no longer there are dropped.
func (s *Store) SyncUnreadFiles(ctx context.Context, found []UnreadFile) (fresh []UnreadFile, err error) {
	err = s.InTx(ctx, func(t *Tx) error {
		fresh = nil // run again after a conflict: gathered anew
		known := map[string]bool{}
		rows, err := t.tx.QueryxContext(t.ctx, `SELECT path_key FROM unread_files`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return err
			}
			known[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, f := range found {
			k := unreadKey(f)
			if known[k] {
				delete(known, k)
				continue
			}
			if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO unread_files (path_key, path, reason, first_seen) VALUES (?, ?, ?, ?)`,
				k, f.Path, f.Reason, f.FirstSeen.UTC()); err != nil {
				return err
			}
			fresh = append(fresh, f)
		}
		for k := range known {
			if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM unread_files WHERE path_key = ?`, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("记录未处理的文件: %w", err)
	}
	return fresh, nil
}

// UnreadFiles lists what the inbox holds that kam will not read (kam status: 未处理的文件), by path.
func (s *Store) UnreadFiles(ctx context.Context) ([]UnreadFile, error) {
	var out []UnreadFile
	if err := s.db.SelectContext(ctx, &out, `SELECT path, reason, first_seen FROM unread_files ORDER BY path`); err != nil {
		return nil, fmt.Errorf("查询未处理的文件: %w", err)
	}
	return out, nil
}

// unreadKey identifies an entry by path and reason, so a changed reason is reported again.
func unreadKey(f UnreadFile) string {
	sum := sha256.Sum256([]byte(f.Path + "\x00" + f.Reason))
	return hex.EncodeToString(sum[:])
}
