-- +goose Up
-- When a report's copy reached the reports folder (NULL: not yet; the archive
-- writes it again, SPEC §5). Reports archived before this were copied as before.
ALTER TABLE reports ADD COLUMN copied_at DATETIME NULL;
UPDATE reports SET copied_at = created_at WHERE copied_at IS NULL;
CREATE INDEX reports_copied ON reports (copied_at);

-- +goose Down
DROP INDEX reports_copied;
ALTER TABLE reports DROP COLUMN copied_at;
