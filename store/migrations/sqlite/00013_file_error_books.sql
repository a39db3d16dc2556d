-- +goose Up
-- Where a rejected file's error workbook was written: NULL when none was (it
-- could not be written, or the file was not rejected). The CLI, mail and status
-- page name this one, never a name guessed from the rejected file's.
ALTER TABLE files ADD COLUMN error_book TEXT;

-- +goose Down
ALTER TABLE files DROP COLUMN error_book;
