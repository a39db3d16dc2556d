-- +goose Up
-- MySQL/MariaDB keep their run locks as leases in a table (a cluster's nodes do
-- not share GET_LOCK); SQLite keeps them as file locks beside the database.
SELECT 1;

-- +goose Down
SELECT 1;
