-- +goose Up
-- The grade of every graded customer at one quarter-end (第八条, 第九条);
-- grading a quarter again replaces that quarter's rows.
CREATE TABLE grades (
    quarter          TEXT    NOT NULL, -- 2026Q2
    customer_id      TEXT    NOT NULL,
    cumulative       INTEGER NOT NULL, -- fen, January … quarter-end, every line and unit
    level            INTEGER NOT NULL, -- 1..8
    tier             TEXT    NOT NULL, -- diamond, gold, silver, ordinary
    prev_tier        TEXT    NOT NULL DEFAULT '', -- '' when not graded at the previous quarter-end
    tier_change      TEXT    NOT NULL, -- 升级, 降级, 持平, 新进
    responsible_unit TEXT    NOT NULL DEFAULT '', -- '' when it cannot be found (listed in 数据警告)
    PRIMARY KEY (quarter, customer_id)
);
CREATE INDEX grades_quarter_tier ON grades (quarter, tier);

-- Grading sums a year of revenue per customer: with amount in the index (and
-- the key's business_line) that sum, and the review packs' per-customer reads,
-- are index-only scans in (month, customer) order, without a sort.
CREATE INDEX revenue_month_customer_amount ON revenue (month, customer_id, amount);

-- +goose Down
DROP INDEX revenue_month_customer_amount;
DROP TABLE grades;
