-- +goose Up
-- Report bytes are archived in 4 MiB chunks: a month's split workbook can pass
-- max_allowed_packet (16 MiB by default on MariaDB), and chunks keep memory flat.
CREATE TABLE IF NOT EXISTS report_chunks (
    report_id BIGINT     NOT NULL,
    seq       INT        NOT NULL,
    data      MEDIUMBLOB NOT NULL,
    PRIMARY KEY (report_id, seq),
    CONSTRAINT report_chunks_report FOREIGN KEY (report_id) REFERENCES reports (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE report_chunks;
