package store

import (
	"context"
	"fmt"
	"time"

	"kam/domain"
)

// StillHolds says whether what the loaded file rec put in the store is still
// what the store holds (SPEC §3.3: a byte-identical re-drop is a duplicate only
// then). A revenue file holds while no other file's rows stand in the (month,
// line) pairs it covered; a file of any other kind while no later file of its
// kind has been loaded over its records.
func (s *Store) StillHolds(ctx context.Context, rec FileRecord) (bool, error) {
	var n int64
	var err error
	if rec.Kind == domain.KindRevenue {
		err = s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM revenue r JOIN revenue_impacts i
			ON r.month = i.month AND r.business_line = i.business_line
			WHERE i.file_id = ? AND r.file_id <> ?`, rec.ID, rec.ID)
	} else {
		err = s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM files WHERE kind = ? AND outcome = ? AND id > ?`,
			string(rec.Kind), string(FileLoaded), rec.ID)
	}
	if err != nil {
		return false, fmt.Errorf("查询文件 %s 的数据是否仍在: %w", rec.Name, err)
	}
	return n == 0, nil
}

// RetireFile records, in the transaction that loads its successor, that the
// loaded file id no longer holds the store's data: its bytes may load again.
func (t *Tx) RetireFile(id int64) error {
	if err := t.stopRevenueWriter(); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE files SET outcome = ? WHERE id = ? AND outcome = ?`,
		string(FileReplaced), id, string(FileLoaded)); err != nil {
		return fmt.Errorf("记录文件 %d 已被替换: %w", id, err)
	}
	return nil
}

// LoadedSince lists the files loaded at or after since that are still loaded
// and kept in processed/: the ones a scan watches for changes after their load.
func (s *Store) LoadedSince(ctx context.Context, since time.Time) ([]FileRecord, error) {
	var rows []fileRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+fileColumns+` FROM `+fileTables+`
		WHERE outcome = ? AND started_at >= ? AND stored_as <> '' ORDER BY files.id`, string(FileLoaded), since.UTC()); err != nil {
		return nil, fmt.Errorf("查询文件记录: %w", err)
	}
	out := make([]FileRecord, len(rows))
	for i, r := range rows {
		out[i] = r.record()
	}
	return out, nil
}
