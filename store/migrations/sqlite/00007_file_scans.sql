-- +goose Up
-- Which inbox scan handled a file (the scan's start, in microseconds), so
-- kam status can show the last scan's files rather than merely recent ones.
ALTER TABLE files ADD COLUMN scan_id INTEGER NOT NULL DEFAULT 0;
CREATE INDEX files_scan ON files (scan_id);

-- +goose Down
DROP INDEX files_scan;
ALTER TABLE files DROP COLUMN scan_id;
