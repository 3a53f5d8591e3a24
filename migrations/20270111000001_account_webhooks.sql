-- Signed webhooks (`faxvox account webhook ID --url URL`): one URL per account, POSTed the
-- account's events (`fax.received`, `voicemail.received`, `fax.sent`, `fax.failed`), each signed
-- with HMAC-SHA256 under `secret`. The secret is kept as given: the gateway needs it to sign.
CREATE TABLE account_webhooks (
    account    VARCHAR(64) PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
