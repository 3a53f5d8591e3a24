-- HTTP API bearer tokens (`faxvox account token ID`): only the SHA-256 of each token is kept
-- (lowercase hex), so the database never holds a usable secret. Revoked tokens stay, with
-- the time they were revoked, for the record.
CREATE TABLE api_tokens (
    id         VARCHAR(40) PRIMARY KEY,
    account    VARCHAR(64) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash VARCHAR(64) NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE INDEX api_tokens_account ON api_tokens (account);
