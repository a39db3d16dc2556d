-- +goose Up
-- One row per held lock (a job's period, ingest, run-all, migrate, delivery,
-- report-copies): the lease that keeps two kam instances apart on every node of
-- a cluster, where GET_LOCK holds on one node only. Times are the database's
-- (UTC_TIMESTAMP(6)), never an instance's. store.leasesTable creates the same
-- table before the migration lock is taken, so this is a no-op there; keep the two alike.
CREATE TABLE IF NOT EXISTS leases (
    name        VARCHAR(191) NOT NULL PRIMARY KEY,
    holder      VARCHAR(255) NOT NULL,
    token       CHAR(32)     NOT NULL,
    node        VARCHAR(255) NOT NULL,
    conn_id     BIGINT       NOT NULL,
    db_user     VARCHAR(255) NOT NULL,
    acquired_at DATETIME(6)  NOT NULL,
    renewed_at  DATETIME(6)  NOT NULL,
    expires_at  DATETIME(6)  NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE IF EXISTS leases;
