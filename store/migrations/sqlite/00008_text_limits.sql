-- +goose Up
-- SQLite TEXT columns hold any length: nothing to widen for domain.TextLimits
-- (the MySQL migration of the same number widens targets.project).
SELECT 1;

-- +goose Down
SELECT 1;
