-- +goose Up
-- A unit's key-account centre mailbox (units extract 邮箱; SPEC §2, §5).
ALTER TABLE units ADD COLUMN email TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE units DROP COLUMN email;
