-- Voicemail greetings kept in the database, so every gateway sharing it (several nodes on one
-- PostgreSQL) plays the same greeting whichever node stored it. Each node keeps a copy under
-- its own spool (`greetings/`) and plays it while its SHA-256 matches `greeting_sha256`;
-- otherwise it fetches the greeting from here again. Lines whose greeting is only a file (set
-- before this table existed) have no hash and play their file as before.
ALTER TABLE lines ADD COLUMN greeting_sha256 VARCHAR(64);

CREATE TABLE line_greetings (
    number     VARCHAR(16) PRIMARY KEY REFERENCES lines (number),
    wav        BYTEA NOT NULL,
    updated_at TEXT NOT NULL
);
