-- +goose Up
-- 分级维护 and 档案管理 (SPEC §3, §4.7): a customer's archive fields, and the
-- managers' visits (走访记录), upserted by visit id. Dates as the claims' are.
ALTER TABLE customers ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN postcode TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN contact_email TEXT NOT NULL DEFAULT '';

CREATE TABLE visits (
    id              TEXT NOT NULL PRIMARY KEY,
    customer_id     TEXT NOT NULL,
    visited_on      DATE NOT NULL,
    visit_kind      TEXT NOT NULL,
    staff_id        TEXT NOT NULL,
    contact         TEXT NOT NULL DEFAULT '',
    notes           TEXT NOT NULL DEFAULT '',
    next_contact_on DATE
);
-- The maintenance job reads visits up to its as-of day; the card one customer's.
CREATE INDEX visits_customer_on ON visits (customer_id, visited_on);

-- +goose Down
DROP TABLE visits;
ALTER TABLE customers DROP COLUMN contact_email;
ALTER TABLE customers DROP COLUMN contact_phone;
ALTER TABLE customers DROP COLUMN contact_name;
ALTER TABLE customers DROP COLUMN postcode;
ALTER TABLE customers DROP COLUMN address;
