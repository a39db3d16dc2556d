-- +goose Up
-- Optional text is '' rather than NULL so rows scan straight into domain types;
-- dates are NULL when absent (domain.Date scans NULL as 0).

CREATE TABLE units (
    code          TEXT NOT NULL PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    parent_code   TEXT NOT NULL DEFAULT '',
    business_line TEXT NOT NULL DEFAULT ''
);

CREATE TABLE managers (
    staff_id  TEXT NOT NULL PRIMARY KEY,
    name      TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    status    TEXT NOT NULL
);

CREATE TABLE customers (
    id             TEXT NOT NULL PRIMARY KEY,
    name           TEXT NOT NULL,
    credit_code    TEXT NOT NULL DEFAULT '',
    industry       TEXT NOT NULL DEFAULT '',
    category       TEXT NOT NULL,
    main_line      TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    strategic      INTEGER NOT NULL DEFAULT 0,
    territory_unit TEXT NOT NULL DEFAULT '',
    signing_unit   TEXT NOT NULL DEFAULT '',
    manager_a      TEXT NOT NULL DEFAULT '',
    manager_b      TEXT NOT NULL DEFAULT ''
);

-- month is yyyymm, amount is fen; (file_id, seq) is the row's place in the file
-- that wrote it. Clustered by (month, business_line) so month-range reads and
-- the supersede delete of a file's (month, line) pairs are range scans.
CREATE TABLE revenue (
    month         INTEGER NOT NULL,
    business_line TEXT NOT NULL,
    file_id       INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    customer_id   TEXT NOT NULL,
    unit_code     TEXT NOT NULL,
    amount        INTEGER NOT NULL,
    PRIMARY KEY (month, business_line, file_id, seq)
) WITHOUT ROWID;

CREATE TABLE claims (
    id            TEXT NOT NULL PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    unit_code     TEXT NOT NULL,
    staff_id      TEXT NOT NULL,
    registered_on DATE NOT NULL,
    confirmed_on  DATE,
    project_type  TEXT NOT NULL,
    period_months INTEGER NOT NULL DEFAULT 0,
    developed_on  DATE
);
CREATE INDEX claims_customer ON claims (customer_id);
CREATE INDEX claims_staff ON claims (staff_id);

-- to_month 0 is open-ended; business_line '' covers every line.
CREATE TABLE agreements (
    id            TEXT NOT NULL PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    from_month    INTEGER NOT NULL,
    to_month      INTEGER NOT NULL DEFAULT 0,
    business_line TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX agreements_start ON agreements (customer_id, business_line, from_month);

CREATE TABLE agreement_parties (
    agreement_id TEXT NOT NULL REFERENCES agreements (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    unit_code    TEXT NOT NULL,
    ratio_bp     INTEGER NOT NULL,
    PRIMARY KEY (agreement_id, seq)
);

CREATE TABLE targets (
    staff_id      TEXT NOT NULL,
    month         INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    customer_id   TEXT NOT NULL DEFAULT '',
    customer_name TEXT NOT NULL DEFAULT '',
    project       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (staff_id, month, seq)
);
CREATE INDEX targets_month ON targets (month);

-- One row per file seen; outcome is loaded, rejected or duplicate.
CREATE TABLE files (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    kind        TEXT NOT NULL DEFAULT '',
    row_count   INTEGER NOT NULL DEFAULT 0,
    outcome     TEXT NOT NULL,
    error_count INTEGER NOT NULL DEFAULT 0,
    stored_as   TEXT NOT NULL DEFAULT '',
    started_at  DATETIME NOT NULL,
    finished_at DATETIME,
    duration_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX files_sha256 ON files (sha256);
-- The same bytes can be loaded once only, even by two instances racing.
CREATE UNIQUE INDEX files_loaded_sha256 ON files (sha256) WHERE outcome = 'loaded';
CREATE INDEX files_started ON files (started_at);

-- outcome: running, done, failed, skipped; counts is JSON.
CREATE TABLE job_runs (
    id           INTEGER PRIMARY KEY,
    job          TEXT NOT NULL,
    period       TEXT NOT NULL DEFAULT '',
    triggered_by TEXT NOT NULL DEFAULT '',
    started_at   DATETIME NOT NULL,
    finished_at  DATETIME,
    outcome      TEXT NOT NULL,
    counts       TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT '',
    instance     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_runs_job_period ON job_runs (job, period);
CREATE INDEX job_runs_started ON job_runs (started_at);

CREATE TABLE reports (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER REFERENCES job_runs (id),
    job        TEXT NOT NULL,
    period     TEXT NOT NULL DEFAULT '',
    file_name  TEXT NOT NULL,
    content    BLOB NOT NULL,
    sha256     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX reports_job_period ON reports (job, period);
CREATE INDEX reports_run ON reports (run_id);

-- One row per recipient; the attachment is a report (report_id) or carried
-- inline (rejection error workbooks are not reports).
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    report_id       INTEGER REFERENCES reports (id),
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_html       TEXT NOT NULL DEFAULT '',
    body_text       TEXT NOT NULL DEFAULT '',
    attachment_name TEXT NOT NULL DEFAULT '',
    attachment      BLOB,
    message_id      TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    sent_at         DATETIME
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_report ON outbox (report_id);

-- +goose Down
DROP TABLE outbox;
DROP TABLE reports;
DROP TABLE job_runs;
DROP TABLE files;
DROP TABLE targets;
DROP TABLE agreement_parties;
DROP TABLE agreements;
DROP TABLE claims;
DROP TABLE revenue;
DROP TABLE customers;
DROP TABLE managers;
DROP TABLE units;
