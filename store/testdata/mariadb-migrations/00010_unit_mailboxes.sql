-- +goose Up
-- A unit's key-account centre mailbox (units extract 邮箱; SPEC §2, §5). Safe to run again.
ALTER TABLE units ADD COLUMN IF NOT EXISTS email VARCHAR(500) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE units DROP COLUMN IF EXISTS email;
