-- +goose Up
-- The unit a per-centre workbook belongs to ('' = the city-wide report; SPEC §5 each centre gets its own).
ALTER TABLE reports ADD COLUMN unit TEXT NOT NULL DEFAULT '';
CREATE INDEX reports_unit ON reports (unit, job, period);

-- +goose Down
DROP INDEX reports_unit;
ALTER TABLE reports DROP COLUMN unit;
