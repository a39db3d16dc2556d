-- +goose Up
-- Where a rejected file's error workbook was written: NULL when none was (it
-- could not be written, or the file was not rejected). The CLI, mail and status
-- page name this one, never a name guessed from the rejected file's. Safe to run again;
-- placed after stored_as so a resumed 00007 re-adds scan_id after it, as on a clean database.
ALTER TABLE files ADD COLUMN IF NOT EXISTS error_book VARCHAR(1024) NULL AFTER stored_as;

-- +goose Down
ALTER TABLE files DROP COLUMN IF EXISTS error_book;
