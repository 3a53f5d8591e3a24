-- Email-to-fax allow-lists (`faxvox account sender add ID PATTERN [--line NUMBER]`): who may
-- send faxes by email for an account. A pattern is a whole address (`alice@acme.example`) or
-- every address of a domain (`*@acme.example`), stored in lower case; an exact address wins
-- over its domain's `*@`. A pattern belongs to one account only (the primary key), so a mail
-- is never charged to an account chosen by chance.
--
-- `line` is the caller id of the faxes sent for that pattern: a fax line of the account, or
-- NULL for the account's first fax line.
CREATE TABLE account_senders (
    pattern    VARCHAR(320) PRIMARY KEY,
    account    VARCHAR(64) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    line       VARCHAR(16) REFERENCES lines (number),
    created_at TEXT NOT NULL
);
CREATE INDEX account_senders_account ON account_senders (account);
