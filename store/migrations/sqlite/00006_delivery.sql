-- +goose Up
-- A scheduled (or caught-up) run of a job succeeds once per period, even with
-- two instances racing. Manual reruns are free.
ALTER TABLE job_runs ADD COLUMN headline TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX job_runs_scheduled_success ON job_runs (job, period)
    WHERE outcome = 'succeeded' AND triggered_by IN ('schedule', 'catch-up');
CREATE INDEX job_runs_outcome ON job_runs (outcome, job, period);

-- The archived reports a mail attaches (a run's workbook and CSV go in one mail).
CREATE TABLE outbox_reports (
    outbox_id INTEGER NOT NULL REFERENCES outbox (id),
    report_id INTEGER NOT NULL REFERENCES reports (id),
    PRIMARY KEY (outbox_id, report_id)
);

-- +goose Down
DROP TABLE outbox_reports;
DROP INDEX job_runs_outcome;
DROP INDEX job_runs_scheduled_success;
ALTER TABLE job_runs DROP COLUMN headline;
