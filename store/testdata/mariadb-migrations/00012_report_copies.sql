-- +goose Up
-- When a report's copy reached the reports folder (NULL: not yet; the archive
-- writes it again, SPEC §5). Reports archived before this were copied as before. Safe to run again.
ALTER TABLE reports ADD COLUMN IF NOT EXISTS copied_at DATETIME(6) NULL,
    ADD KEY IF NOT EXISTS reports_copied (copied_at);
UPDATE reports SET copied_at = created_at WHERE copied_at IS NULL;

-- +goose Down
ALTER TABLE reports DROP KEY IF EXISTS reports_copied, DROP COLUMN IF EXISTS copied_at;
