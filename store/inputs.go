package store

import (
	"context"
	"fmt"

	"kam/domain"
)

// InputFiles are the loaded files a report's data comes from: for revenue,
// every file whose rows of the months from … to the store holds now; for
// each other kind in kinds (loaded by upsert, so its rows carry no file), the
// latest file of that kind loaded. Oldest first within a kind.
func (s *Store) InputFiles(ctx context.Context, kinds []domain.Kind, from, to domain.Month) ([]FileRecord, error) {
	var out []FileRecord
	for _, k := range kinds {
		var rows []fileRow
		var err error
		if k == domain.KindRevenue {
			err = s.db.SelectContext(ctx, &rows, `SELECT `+fileColumns+` FROM `+fileTables+`
				WHERE files.id IN (SELECT DISTINCT file_id FROM revenue WHERE month BETWEEN ? AND ?) ORDER BY files.id`, int(from), int(to))
		} else {
			err = s.db.SelectContext(ctx, &rows, `SELECT `+fileColumns+` FROM `+fileTables+`
				WHERE files.id = (SELECT MAX(id) FROM files WHERE kind = ? AND outcome = ?)`, string(k), string(FileLoaded))
		}
		if err != nil {
			return nil, fmt.Errorf("查询报表读取的文件: %w", err)
		}
		for _, r := range rows {
			out = append(out, r.record())
		}
	}
	return out, nil
}

// FirstAnnounced is the day each claim announced before asOf was first listed for tender.
func (s *Store) FirstAnnounced(ctx context.Context, asOf domain.Date) (map[string]domain.Date, error) {
	var rows []struct {
		Claim string  `db:"claim_id"`
		AsOf  sqlDate `db:"as_of"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT claim_id, as_of FROM announcements WHERE as_of < ?`, dateArg(asOf)); err != nil {
		return nil, fmt.Errorf("读取已公告项目: %w", err)
	}
	out := make(map[string]domain.Date, len(rows))
	for _, r := range rows {
		out[r.Claim] = domain.Date(r.AsOf)
	}
	return out, nil
}
