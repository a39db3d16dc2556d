-- +goose Up
-- The web side's logins, kept by `kam user` so adding one needs no restart (SPEC §6.1).
-- password_hash is bcrypt; unit_code '' sees the whole city, a unit's code only that unit's part.
CREATE TABLE users (
    name          TEXT NOT NULL PRIMARY KEY,
    password_hash TEXT NOT NULL,
    unit_code     TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);

-- +goose Down
DROP TABLE users;
