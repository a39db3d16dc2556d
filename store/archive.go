package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// archiveChunk is the size of one stored piece of a report.
const archiveChunk = 4 << 20

// archiveBuffers hold a chunk each: a job that archives a workbook per unit
// (SPEC §5) would otherwise allocate 4 MB per workbook, and its peak memory with them.
var archiveBuffers = sync.Pool{New: func() any { b := make([]byte, archiveChunk); return &b }}

// Report is the archived record of one workbook or CSV a job wrote.
type Report struct {
	ID        int64     `db:"id"`
	RunID     int64     `db:"run_id"`
	Job       string    `db:"job"`
	Period    string    `db:"period"`
	Unit      string    `db:"unit"` // the unit a per-centre workbook belongs to; "" for the city-wide report
	FileName  string    `db:"file_name"`
	SHA256    string    `db:"sha256"`
	Size      int64     `db:"size"`
	CreatedAt time.Time `db:"created_at"`
	// Version is its 第 N 版 among its job, period, unit and file name's (SPEC §5.2); 0 when not numbered (before versions were kept).
	Version int  `db:"version"`
	Current bool `db:"is_current"` // no later version of it is archived
}

// ArchiveReport stores a report's bytes, read from r in chunks so memory stays
// flat, with their size and SHA-256, in the transaction that also closes the
// run and queues the report's mail. rep names the run, job, period, unit and
// file; the rest is filled in.
func (t *Tx) ArchiveReport(rep Report, r io.Reader) (Report, error) {
	ctx := t.ctx
	rep.CreatedAt, rep.Size = t.s.now().UTC(), 0
	res, err := t.tx.ExecContext(ctx, `INSERT INTO reports (run_id, job, period, unit, file_name, content, sha256, size, created_at)
		VALUES (?, ?, ?, ?, ?, ?, '', 0, ?)`, rep.RunID, rep.Job, rep.Period, rep.Unit, rep.FileName, []byte{}, rep.CreatedAt)
	if err != nil {
		return rep, err
	}
	if rep.ID, err = res.LastInsertId(); err != nil {
		return rep, err
	}
	h := sha256.New()
	buf := archiveBuffers.Get().(*[]byte)
	defer archiveBuffers.Put(buf)
	for seq := 0; ; seq++ {
		n, rerr := io.ReadFull(r, *buf)
		if n > 0 || seq == 0 {
			chunk := (*buf)[:n]
			h.Write(chunk)
			rep.Size += int64(n)
			if _, err := t.tx.ExecContext(ctx, `INSERT INTO report_chunks (report_id, seq, data) VALUES (?, ?, ?)`, rep.ID, seq, chunk); err != nil {
				return rep, err
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return rep, rerr
		}
	}
	rep.SHA256 = hex.EncodeToString(h.Sum(nil))
	_, err = t.tx.ExecContext(ctx, `UPDATE reports SET sha256 = ?, size = ? WHERE id = ?`, rep.SHA256, rep.Size, rep.ID)
	return rep, err
}

// ErrNoReport reports that no archived report has the asked id.
var ErrNoReport = errors.New("没有这个编号的归档报表")

// ReportFilter narrows a listing of the archive; an empty field matches every report.
type ReportFilter struct {
	Job, Period string
	// Unit lists one unit's own workbooks; CityOnly lists only the city-wide ones.
	Unit     string
	CityOnly bool
}

// ListReports lists archived reports, newest first, narrowed by f.
func (s *Store) ListReports(ctx context.Context, f ReportFilter, limit int) ([]Report, error) {
	var out []Report
	// current: no later report of the same job, period, unit and file name is archived.
	err := s.db.SelectContext(ctx, &out, `SELECT r.id, COALESCE(r.run_id, 0) AS run_id, r.job, r.period, r.unit, r.file_name, r.sha256, r.size, r.created_at,
		COALESCE(v.version, 0) AS version,
		CASE WHEN EXISTS (SELECT 1 FROM reports n WHERE n.job = r.job AND n.period = r.period AND n.unit = r.unit
			AND n.file_name = r.file_name AND n.id > r.id) THEN 0 ELSE 1 END AS is_current
		FROM reports r LEFT JOIN report_versions v ON v.report_id = r.id
		WHERE (? = '' OR r.job = ?) AND (? = '' OR r.period = ?) AND (? = '' OR r.unit = ?) AND (? = 0 OR r.unit = '')
		ORDER BY r.id DESC LIMIT ?`, f.Job, f.Job, f.Period, f.Period, f.Unit, f.Unit, f.CityOnly, limit)
	return out, err
}

// Report reads an archived report's record, without its bytes; ErrNoReport when there is none.
func (s *Store) Report(ctx context.Context, id int64) (Report, error) {
	var r Report
	err := s.db.GetContext(ctx, &r, `SELECT id, COALESCE(run_id, 0) AS run_id, job, period, unit, file_name, sha256, size, created_at
		FROM reports WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNoReport
	}
	return r, err
}

// ReportContent writes an archived report's bytes to w and checks them against the stored SHA-256.
func (s *Store) ReportContent(ctx context.Context, id int64, w io.Writer) (Report, error) {
	r, err := s.Report(ctx, id)
	if err != nil {
		return r, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT data FROM report_chunks WHERE report_id = ? ORDER BY seq`, id)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	h := sha256.New()
	out := io.MultiWriter(w, h)
	for rows.Next() {
		var chunk []byte
		if err := rows.Scan(&chunk); err != nil {
			return r, err
		}
		if _, err := io.Copy(out, bytes.NewReader(chunk)); err != nil {
			return r, err
		}
	}
	if err := rows.Err(); err != nil {
		return r, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != r.SHA256 {
		return r, fmt.Errorf("归档报表 %d 已损坏：内容的 SHA-256 为 %s，记录的是 %s", id, got, r.SHA256)
	}
	return r, nil
}

// pendingCopy is a report whose copy belongs in the reports folder and is not
// there: not recorded as copied, and no newer report of the same unit and file
// name has taken its place (that one's copy, or its own pending one, wins).
const pendingCopy = `r.copied_at IS NULL AND NOT EXISTS (SELECT 1 FROM reports n
	WHERE n.unit = r.unit AND n.file_name = r.file_name AND n.id > r.id)`

// PendingCopies lists the archived reports whose copy is missing from the
// reports folder, oldest first: the copies to write again from the archive.
func (s *Store) PendingCopies(ctx context.Context) ([]Report, error) {
	var out []Report
	err := s.db.SelectContext(ctx, &out, `SELECT r.id, COALESCE(r.run_id, 0) AS run_id, r.job, r.period, r.unit, r.file_name,
		r.sha256, r.size, r.created_at FROM reports r WHERE `+pendingCopy+` ORDER BY r.id`)
	return out, wrap(err, "读取缺少副本的报表")
}

// MissingCopies is, per run, how many of its reports' copies are missing from
// the reports folder (PendingCopies); runs missing none are absent.
func (s *Store) MissingCopies(ctx context.Context) (map[int64]int, error) {
	var rows []struct {
		RunID int64 `db:"run_id"`
		N     int   `db:"n"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT COALESCE(r.run_id, 0) AS run_id, COUNT(*) AS n FROM reports r
		WHERE `+pendingCopy+` GROUP BY r.run_id`)
	if err != nil {
		return nil, wrap(err, "统计缺少的报表副本")
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.RunID] += r.N
	}
	return out, nil
}

// MarkCopied records that the copies of the reports ids are in the reports folder.
func (s *Store) MarkCopied(ctx context.Context, ids []int64, at time.Time) error {
	const batch = 500
	for start := 0; start < len(ids); start += batch {
		part := ids[start:min(start+batch, len(ids))]
		args := []any{at.UTC()}
		for _, id := range part {
			args = append(args, id)
		}
		err := s.Retry(ctx, "记录报表副本已写入", func() error {
			_, err := s.db.ExecContext(ctx, `UPDATE reports SET copied_at = ? WHERE id IN (`+placeholders(len(part))+`)`, args...)
			return err
		})
		if err != nil {
			return wrap(err, "记录报表副本已写入")
		}
	}
	return nil
}
