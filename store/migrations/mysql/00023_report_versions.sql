-- +goose Up
-- SPEC §5.2: a report follows its data. report_versions numbers each archived
-- file within its (job, period, unit): 第 N 版. run_inputs is what an issued
-- run read (per input kind, the files behind the periods it covers and a
-- digest of their rows), so a later file that changes that data marks the
-- run's reports 待更正 (stale_reason), and a rerun on unchanged data issues nothing.
CREATE TABLE IF NOT EXISTS report_versions (
    report_id BIGINT       NOT NULL PRIMARY KEY,
    job       VARCHAR(64)  NOT NULL,
    period    VARCHAR(32)  NOT NULL,
    unit      VARCHAR(64)  NOT NULL DEFAULT '',
    version   INT          NOT NULL,
    changes   BIGINT       NOT NULL DEFAULT 0,
    KEY report_versions_part (job, period, unit, version),
    CONSTRAINT report_versions_report FOREIGN KEY (report_id) REFERENCES reports (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS run_inputs (
    run_id       BIGINT       NOT NULL PRIMARY KEY,
    job          VARCHAR(64)  NOT NULL,
    period       VARCHAR(32)  NOT NULL,
    read_spec    TEXT         NOT NULL,
    inputs       MEDIUMTEXT   NOT NULL,
    issued_at    DATETIME(6)  NOT NULL,
    stale_reason TEXT         NOT NULL DEFAULT (''),
    stale_at     DATETIME(6)  NULL,
    KEY run_inputs_job_period (job, period),
    CONSTRAINT run_inputs_run FOREIGN KEY (run_id) REFERENCES job_runs (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE IF EXISTS run_inputs;
DROP TABLE IF EXISTS report_versions;
