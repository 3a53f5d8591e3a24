-- Directory: accounts, their email addresses, and the numbers (lines) that route to them.
--
-- Portable SQL: this file runs unchanged on SQLite and PostgreSQL. Integers are BIGINT (so the
-- Any driver decodes them as i64 on both), times are RFC 3339 UTC text written by the
-- application (SQLite has no timestamp type), and every rule that the application also checks
-- is enforced here too, so a second tool writing to the database cannot break it.

CREATE TABLE accounts (
    -- Chosen by the operator: 1-64 characters of [A-Za-z0-9_.-].
    id           VARCHAR(64) PRIMARY KEY,
    -- Shown in emails and listings; NULL means "use the id".
    display_name TEXT,
    locale       VARCHAR(2) NOT NULL DEFAULT 'fr' CHECK (locale IN ('fr', 'en')),
    -- IANA time zone name, validated by the application (dates in emails use it).
    time_zone    TEXT NOT NULL DEFAULT 'Europe/Paris',
    -- Owned by billing (active, suspended, ...); the directory only creates 'active' accounts.
    state        TEXT NOT NULL DEFAULT 'active',
    created_at   TEXT NOT NULL
);

CREATE TABLE account_emails (
    account  VARCHAR(64) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- Order in which the operator gave the addresses: 0 is the first recipient.
    position BIGINT NOT NULL,
    address  TEXT NOT NULL,
    PRIMARY KEY (account, position),
    UNIQUE (account, address)
);

CREATE TABLE lines (
    -- E.164 with its leading +: at most 15 digits.
    number     VARCHAR(16) PRIMARY KEY,
    account    VARCHAR(64) NOT NULL REFERENCES accounts (id),
    kind       VARCHAR(16) NOT NULL CHECK (kind IN ('fax', 'voicemail', 'alias')),
    -- Aliases only: the fax or voicemail line that answers for this number.
    target     VARCHAR(16) REFERENCES lines (number),
    -- Voicemail greeting file, filled by the gateway; NULL means the built-in greeting.
    greeting   TEXT,
    created_at TEXT NOT NULL,
    CHECK ((kind = 'alias' AND target IS NOT NULL) OR (kind <> 'alias' AND target IS NULL)),
    CHECK (target IS NULL OR target <> number)
);

-- Ids are unique regardless of case: `Acme` next to `acme` would only confuse operators.
CREATE UNIQUE INDEX accounts_id_nocase ON accounts (LOWER(id));

CREATE INDEX lines_account ON lines (account);
CREATE INDEX lines_target ON lines (target);
