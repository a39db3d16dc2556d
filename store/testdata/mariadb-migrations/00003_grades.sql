-- +goose Up
-- The grade of every graded customer at one quarter-end (第八条, 第九条);
-- grading a quarter again replaces that quarter's rows.
CREATE TABLE IF NOT EXISTS grades (
    quarter          VARCHAR(8)  NOT NULL, -- 2026Q2
    customer_id      VARCHAR(64) NOT NULL,
    cumulative       BIGINT      NOT NULL, -- fen, January … quarter-end, every line and unit
    level            INT         NOT NULL, -- 1..8
    tier             VARCHAR(16) NOT NULL, -- diamond, gold, silver, ordinary
    prev_tier        VARCHAR(16) NOT NULL DEFAULT '', -- '' when not graded at the previous quarter-end
    tier_change      VARCHAR(16) NOT NULL, -- 升级, 降级, 持平, 新进
    responsible_unit VARCHAR(64) NOT NULL DEFAULT '', -- '' when it cannot be found (listed in 数据警告)
    PRIMARY KEY (quarter, customer_id),
    KEY grades_quarter_tier (quarter, tier)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Grading sums a year of revenue per customer: with amount in the index (and
-- the key's business_line) that sum, and the review packs' per-customer reads,
-- are index-only scans in (month, customer) order, without a sort.
CREATE INDEX IF NOT EXISTS revenue_month_customer_amount ON revenue (month, customer_id, amount);

-- +goose Down
DROP INDEX revenue_month_customer_amount ON revenue;
DROP TABLE grades;
