-- +goose Up
-- Every text column at least as wide as its loader limit (domain.TextLimits):
-- a target's 项目 may hold 500 characters. MODIFY is safe to run again.
ALTER TABLE targets MODIFY COLUMN project VARCHAR(500) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE targets MODIFY COLUMN project VARCHAR(255) NOT NULL DEFAULT '';
