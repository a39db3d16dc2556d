-- +goose Up
-- Every claim listed in a tender announcement, once: the as-of date and run
-- that first listed it, so a later announcement marks only the newly overdue 新增.
CREATE TABLE announcements (
    claim_id TEXT    NOT NULL PRIMARY KEY,
    as_of    DATE    NOT NULL,
    run_id   INTEGER NOT NULL
);
CREATE INDEX announcements_run ON announcements (run_id);

-- +goose Down
DROP TABLE announcements;
