-- +goose Up
-- SPEC §5.2: a report follows its data. report_versions numbers each archived
-- file within its (job, period, unit): 第 N 版. run_inputs is what an issued
-- run read (per input kind, the files behind the periods it covers and a
-- digest of their rows), so a later file that changes that data marks the
-- run's reports 待更正 (stale_reason), and a rerun on unchanged data issues nothing.
CREATE TABLE report_versions (
    report_id INTEGER NOT NULL PRIMARY KEY REFERENCES reports (id),
    job       TEXT    NOT NULL,
    period    TEXT    NOT NULL,
    unit      TEXT    NOT NULL DEFAULT '',
    version   INTEGER NOT NULL,
    changes   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX report_versions_part ON report_versions (job, period, unit, version);

CREATE TABLE run_inputs (
    run_id       INTEGER NOT NULL PRIMARY KEY REFERENCES job_runs (id),
    job          TEXT    NOT NULL,
    period       TEXT    NOT NULL,
    read_spec    TEXT    NOT NULL,
    inputs       TEXT    NOT NULL,
    issued_at    DATETIME NOT NULL,
    stale_reason TEXT    NOT NULL DEFAULT '',
    stale_at     DATETIME
);
CREATE INDEX run_inputs_job_period ON run_inputs (job, period);

-- +goose Down
DROP TABLE run_inputs;
DROP TABLE report_versions;
