package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"
)

// BackupResult is what Backup wrote and checked.
type BackupResult struct {
	Path    string // the copy, absolute
	Size    int64
	Reports int // archived reports whose bytes were read back from the copy and matched their SHA-256
}

// ErrBackupExists: Backup never writes over a file.
var ErrBackupExists = errors.New("备份文件已存在")

// BackupSQLite copies the SQLite database at dbPath to out while other kam
// processes read and write it. VACUUM INTO reads it in one transaction, so
// the copy is the database at one moment, with no half-written run in it.
// The copy is written beside out under a temporary name, owner-only (0600),
// then opened on its own: SQLite's integrity check must pass and every
// archived report's bytes must match their SHA-256. Only then does it take
// the name out, which must not exist. The database is opened read-only and
// never migrated: the copy is what is there.
func BackupSQLite(ctx context.Context, dbPath, out string) (BackupResult, error) {
	res := BackupResult{}
	abs, err := filepath.Abs(out)
	if err != nil {
		return res, err
	}
	res.Path = abs
	if _, err := os.Lstat(abs); err == nil {
		return res, ErrBackupExists
	}
	if _, err := os.Stat(dbPath); err != nil {
		return res, fmt.Errorf("数据库文件 %s: %w", dbPath, err)
	}
	var suffix [6]byte
	_, _ = rand.Read(suffix[:])
	tmp := filepath.Join(filepath.Dir(abs), "."+filepath.Base(abs)+"."+hex.EncodeToString(suffix[:])+".part")
	// VACUUM INTO takes an empty file: made first, so the copy is owner-only from its first byte.
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return res, fmt.Errorf("创建备份文件: %w", err)
	}
	f.Close()
	defer os.Remove(tmp)

	src, err := sql.Open("sqlite", backupSource(dbPath))
	if err != nil {
		return res, err
	}
	defer src.Close()
	if _, err := src.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return res, fmt.Errorf("复制数据库（VACUUM INTO）: %w", err)
	}
	if res.Reports, err = checkBackup(ctx, tmp); err != nil {
		return res, err
	}
	if err := syncFile(tmp); err != nil {
		return res, err
	}
	// A link, not a rename: a file that took the name meanwhile is not replaced.
	if err := os.Link(tmp, abs); err != nil {
		if errors.Is(err, os.ErrExist) {
			return res, ErrBackupExists
		}
		return res, fmt.Errorf("写入备份文件: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return res, err
	}
	res.Size = fi.Size()
	return res, nil
}

// backupSource opens the database to copy for reading: mode=ro, but without
// readOnlySQLite's query_only, which SQLite reads as forbidding VACUUM INTO's write of the copy.
func backupSource(path string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro&_pragma=busy_timeout(10000)"
}

// checkBackup opens the copy read-only, runs SQLite's integrity check and reads
// every archived report back, each checked against its SHA-256 (ReportContent).
func checkBackup(ctx context.Context, path string) (int, error) {
	db, err := sql.Open("sqlite", readOnlySQLite(path).dsn)
	if err != nil {
		return 0, err
	}
	copy := &Store{db: sqlx.NewDb(db, "sqlite3"), dialect: SQLite, log: zerolog.Nop()}
	defer copy.Close()
	var problems []string
	if err := copy.db.SelectContext(ctx, &problems, `PRAGMA integrity_check`); err != nil {
		return 0, fmt.Errorf("检查备份: %w", err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return 0, fmt.Errorf("备份未通过 SQLite 完整性检查：%v", problems)
	}
	var ids []int64
	if err := copy.db.SelectContext(ctx, &ids, `SELECT id FROM reports ORDER BY id`); err != nil {
		return 0, fmt.Errorf("检查备份: %w", err)
	}
	for _, id := range ids {
		if _, err := copy.ReportContent(ctx, id, io.Discard); err != nil {
			return 0, fmt.Errorf("检查备份中的归档报表 %d: %w", id, err)
		}
	}
	return len(ids), nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
