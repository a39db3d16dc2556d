-- +goose Up
-- Optional text is '' rather than NULL so rows scan straight into domain types;
-- dates are NULL when absent (domain.Date scans NULL as 0). Binary collation
-- so keys compare as they do in SQLite and in Go maps.

CREATE TABLE IF NOT EXISTS units (
    code          VARCHAR(64)  NOT NULL PRIMARY KEY,
    name          VARCHAR(255) NOT NULL,
    kind          VARCHAR(32)  NOT NULL,
    parent_code   VARCHAR(64)  NOT NULL DEFAULT '',
    business_line VARCHAR(64)  NOT NULL DEFAULT ''
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS managers (
    staff_id  VARCHAR(64)  NOT NULL PRIMARY KEY,
    name      VARCHAR(255) NOT NULL,
    unit_code VARCHAR(64)  NOT NULL,
    status    VARCHAR(32)  NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS customers (
    id             VARCHAR(64)  NOT NULL PRIMARY KEY,
    name           VARCHAR(255) NOT NULL,
    credit_code    VARCHAR(32)  NOT NULL DEFAULT '',
    industry       VARCHAR(64)  NOT NULL DEFAULT '',
    category       VARCHAR(32)  NOT NULL,
    main_line      VARCHAR(64)  NOT NULL DEFAULT '',
    status         VARCHAR(32)  NOT NULL,
    strategic      BOOLEAN      NOT NULL DEFAULT FALSE,
    territory_unit VARCHAR(64)  NOT NULL DEFAULT '',
    signing_unit   VARCHAR(64)  NOT NULL DEFAULT '',
    manager_a      VARCHAR(64)  NOT NULL DEFAULT '',
    manager_b      VARCHAR(64)  NOT NULL DEFAULT ''
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- month is yyyymm, amount is fen; (file_id, seq) is the row's place in the file
-- that wrote it. Clustered by (month, business_line) so month-range reads and
-- the supersede delete of a file's (month, line) pairs are range scans.
CREATE TABLE IF NOT EXISTS revenue (
    month         INT         NOT NULL,
    business_line VARCHAR(64) NOT NULL,
    file_id       BIGINT      NOT NULL,
    seq           INT         NOT NULL,
    customer_id   VARCHAR(64) NOT NULL,
    unit_code     VARCHAR(64) NOT NULL,
    amount        BIGINT      NOT NULL,
    PRIMARY KEY (month, business_line, file_id, seq)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS claims (
    id            VARCHAR(64) NOT NULL PRIMARY KEY,
    customer_id   VARCHAR(64) NOT NULL,
    unit_code     VARCHAR(64) NOT NULL,
    staff_id      VARCHAR(64) NOT NULL,
    registered_on DATE        NOT NULL,
    confirmed_on  DATE        NULL,
    project_type  VARCHAR(32) NOT NULL,
    period_months INT         NOT NULL DEFAULT 0,
    developed_on  DATE        NULL,
    KEY claims_customer (customer_id),
    KEY claims_staff (staff_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- to_month 0 is open-ended; business_line '' covers every line.
CREATE TABLE IF NOT EXISTS agreements (
    id            VARCHAR(64) NOT NULL PRIMARY KEY,
    customer_id   VARCHAR(64) NOT NULL,
    from_month    INT         NOT NULL,
    to_month      INT         NOT NULL DEFAULT 0,
    business_line VARCHAR(64) NOT NULL DEFAULT '',
    UNIQUE KEY agreements_start (customer_id, business_line, from_month)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS agreement_parties (
    agreement_id VARCHAR(64) NOT NULL,
    seq          INT         NOT NULL,
    unit_code    VARCHAR(64) NOT NULL,
    ratio_bp     INT         NOT NULL,
    PRIMARY KEY (agreement_id, seq),
    CONSTRAINT agreement_parties_agreement FOREIGN KEY (agreement_id) REFERENCES agreements (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS targets (
    staff_id      VARCHAR(64)  NOT NULL,
    month         INT          NOT NULL,
    seq           INT          NOT NULL,
    customer_id   VARCHAR(64)  NOT NULL DEFAULT '',
    customer_name VARCHAR(255) NOT NULL DEFAULT '',
    project       VARCHAR(255) NOT NULL DEFAULT '',
    PRIMARY KEY (staff_id, month, seq),
    KEY targets_month (month)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per file seen; outcome is loaded, rejected or duplicate.
-- loaded_sha256 lets the same bytes be loaded once only, even by two instances racing.
CREATE TABLE IF NOT EXISTS files (
    id            BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name          VARCHAR(255)  NOT NULL,
    sha256        VARCHAR(64)   NOT NULL,
    size          BIGINT        NOT NULL,
    kind          VARCHAR(32)   NOT NULL DEFAULT '',
    row_count     INT           NOT NULL DEFAULT 0,
    outcome       VARCHAR(16)   NOT NULL,
    error_count   INT           NOT NULL DEFAULT 0,
    stored_as     VARCHAR(1024) NOT NULL DEFAULT '',
    started_at    DATETIME(6)   NOT NULL,
    finished_at   DATETIME(6)   NULL,
    duration_ms   BIGINT        NOT NULL DEFAULT 0,
    loaded_sha256 VARCHAR(64) AS (CASE WHEN outcome = 'loaded' THEN sha256 END) STORED,
    KEY files_sha256 (sha256),
    UNIQUE KEY files_loaded_sha256 (loaded_sha256),
    KEY files_started (started_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- outcome: running, done, failed, skipped; counts is JSON.
CREATE TABLE IF NOT EXISTS job_runs (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    job          VARCHAR(64)  NOT NULL,
    period       VARCHAR(32)  NOT NULL DEFAULT '',
    triggered_by VARCHAR(32)  NOT NULL DEFAULT '',
    started_at   DATETIME(6)  NOT NULL,
    finished_at  DATETIME(6)  NULL,
    outcome      VARCHAR(16)  NOT NULL,
    counts       TEXT         NOT NULL DEFAULT (''),
    error        TEXT         NOT NULL DEFAULT (''),
    instance     VARCHAR(255) NOT NULL DEFAULT '',
    KEY job_runs_job_period (job, period),
    KEY job_runs_started (started_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS reports (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    run_id     BIGINT       NULL,
    job        VARCHAR(64)  NOT NULL,
    period     VARCHAR(32)  NOT NULL DEFAULT '',
    file_name  VARCHAR(255) NOT NULL,
    content    LONGBLOB     NOT NULL,
    sha256     VARCHAR(64)  NOT NULL,
    size       BIGINT       NOT NULL,
    created_at DATETIME(6)  NOT NULL,
    KEY reports_job_period (job, period),
    CONSTRAINT reports_run FOREIGN KEY (run_id) REFERENCES job_runs (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per recipient; the attachment is a report (report_id) or carried
-- inline (rejection error workbooks are not reports).
CREATE TABLE IF NOT EXISTS outbox (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    report_id       BIGINT       NULL,
    kind            VARCHAR(32)  NOT NULL,
    recipient       VARCHAR(320) NOT NULL,
    subject         VARCHAR(998) NOT NULL,
    body_html       MEDIUMTEXT   NOT NULL DEFAULT (''),
    body_text       MEDIUMTEXT   NOT NULL DEFAULT (''),
    attachment_name VARCHAR(255) NOT NULL DEFAULT '',
    attachment      LONGBLOB     NULL,
    message_id      VARCHAR(255) NOT NULL,
    status          VARCHAR(16)  NOT NULL DEFAULT 'queued',
    attempts        INT          NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6)  NOT NULL,
    last_error      TEXT         NOT NULL DEFAULT (''),
    created_at      DATETIME(6)  NOT NULL,
    sent_at         DATETIME(6)  NULL,
    UNIQUE KEY outbox_message_id (message_id),
    KEY outbox_due (status, next_attempt_at),
    CONSTRAINT outbox_report FOREIGN KEY (report_id) REFERENCES reports (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

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
