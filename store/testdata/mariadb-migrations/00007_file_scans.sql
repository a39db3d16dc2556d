-- +goose Up
-- Which inbox scan handled a file (the scan's start, in microseconds), so
-- kam status can show the last scan's files rather than merely recent ones.
ALTER TABLE files ADD COLUMN IF NOT EXISTS scan_id BIGINT NOT NULL DEFAULT 0, ADD KEY IF NOT EXISTS files_scan (scan_id);

-- +goose Down
ALTER TABLE files DROP KEY files_scan, DROP COLUMN scan_id;
