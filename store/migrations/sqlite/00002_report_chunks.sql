-- +goose Up
-- Report bytes are archived in 4 MiB chunks: a month's split workbook can pass
-- MySQL's max_allowed_packet, and chunks keep the writer's memory flat.
CREATE TABLE report_chunks (
    report_id INTEGER NOT NULL REFERENCES reports (id),
    seq       INTEGER NOT NULL,
    data      BLOB    NOT NULL,
    PRIMARY KEY (report_id, seq)
);

-- +goose Down
DROP TABLE report_chunks;
