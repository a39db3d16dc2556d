-- +goose Up
-- The unit a per-centre workbook belongs to ('' = the city-wide report; SPEC §5 each centre gets its own). Safe to run again.
ALTER TABLE reports ADD COLUMN IF NOT EXISTS unit VARCHAR(32) NOT NULL DEFAULT '',
    ADD KEY IF NOT EXISTS reports_unit (unit, job, period);

-- +goose Down
ALTER TABLE reports DROP KEY IF EXISTS reports_unit, DROP COLUMN IF EXISTS unit;
