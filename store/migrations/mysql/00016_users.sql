-- +goose Up
-- The web side's logins, kept by `kam user` so adding one needs no restart (SPEC §6.1).
-- password_hash is bcrypt; unit_code '' sees the whole city, a unit's code only that unit's part.
-- One statement, safe to run again, and valid MySQL 8.0 as well as MariaDB.
CREATE TABLE IF NOT EXISTS users (
    name          VARCHAR(64)  NOT NULL PRIMARY KEY,
    password_hash VARCHAR(100) NOT NULL,
    unit_code     VARCHAR(64)  NOT NULL DEFAULT '',
    created_at    DATETIME(6)  NOT NULL,
    updated_at    DATETIME(6)  NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE IF EXISTS users;
