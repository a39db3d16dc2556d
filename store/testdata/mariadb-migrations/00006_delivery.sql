-- +goose Up
-- A scheduled (or caught-up) run of a job succeeds once per period, even with
-- two instances racing: the generated key is unique. Manual reruns are free.
ALTER TABLE job_runs
    ADD COLUMN IF NOT EXISTS headline TEXT NOT NULL DEFAULT (''),
    ADD COLUMN IF NOT EXISTS scheduled_success VARCHAR(128)
        AS (CASE WHEN outcome = 'succeeded' AND triggered_by IN ('schedule', 'catch-up') THEN CONCAT(job, ' ', period) END) STORED,
    ADD UNIQUE KEY IF NOT EXISTS job_runs_scheduled_success (scheduled_success),
    ADD KEY IF NOT EXISTS job_runs_outcome (outcome, job, period);

-- The archived reports a mail attaches (a run's workbook and CSV go in one mail).
CREATE TABLE IF NOT EXISTS outbox_reports (
    outbox_id BIGINT NOT NULL,
    report_id BIGINT NOT NULL,
    PRIMARY KEY (outbox_id, report_id),
    CONSTRAINT outbox_reports_outbox FOREIGN KEY (outbox_id) REFERENCES outbox (id),
    CONSTRAINT outbox_reports_report FOREIGN KEY (report_id) REFERENCES reports (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE outbox_reports;
ALTER TABLE job_runs
    DROP KEY job_runs_outcome,
    DROP KEY job_runs_scheduled_success,
    DROP COLUMN scheduled_success,
    DROP COLUMN headline;
