-- Billing: the rate deck, per-account ceilings, deposits, reservations (and charges), threshold
-- notices and the log of account state changes.
--
-- Portable SQL as in the directory migration: BIGINT integers, RFC 3339 UTC text times written
-- by the application with millisecond precision (they compare as text), ids chosen by the
-- application. Money is BIGINT in ten-thousandths of a euro excl. tax (150.00 € = 1500000),
-- never a float. A billing period is a calendar month in UTC, stored as `YYYY-MM`.

-- Price per page by destination: the longest prefix among the rows already valid wins, and for
-- one prefix the newest valid_from, so a new price applies from its date.
CREATE TABLE rates (
    -- E.164 digits without the `+` (`33`, `336`, `1`).
    prefix         VARCHAR(15) NOT NULL CHECK (LENGTH(prefix) BETWEEN 1 AND 15),
    -- Shown to people ("France", "France mobile").
    country        TEXT NOT NULL,
    price_per_page BIGINT NOT NULL CHECK (price_per_page >= 0),
    valid_from     VARCHAR(24) NOT NULL,
    imported_at    TEXT NOT NULL,
    PRIMARY KEY (prefix, valid_from)
);

-- Per-account out-of-plan ceiling; no row means `billing.default_ceiling`.
CREATE TABLE account_ceilings (
    account VARCHAR(64) PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    ceiling BIGINT NOT NULL CHECK (ceiling >= 0),
    set_at  TEXT NOT NULL
);

-- A deposit raises the ceiling of the period it is made in, at once.
CREATE TABLE deposits (
    id         VARCHAR(40) PRIMARY KEY,
    account    VARCHAR(64) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    amount     BIGINT NOT NULL CHECK (amount > 0),
    period     VARCHAR(7) NOT NULL,
    note       TEXT,
    created_at TEXT NOT NULL
);

CREATE INDEX deposits_account_period ON deposits (account, period);

-- Money held for one outbound fax: `open` while it is sent, then `settled` (charged holds
-- pages_charged x rate, the rest is released) or `released` (nothing charged). Open
-- reservations count against the ceiling whatever their period; settled ones count in their
-- period (the month the fax was submitted).
CREATE TABLE reservations (
    id            VARCHAR(40) PRIMARY KEY,
    account       VARCHAR(64) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    fax_id        VARCHAR(64) NOT NULL UNIQUE,
    -- Destination prefix and price per page of the quote.
    prefix        VARCHAR(15) NOT NULL,
    rate          BIGINT NOT NULL CHECK (rate >= 0),
    pages         BIGINT NOT NULL CHECK (pages >= 0),
    amount        BIGINT NOT NULL CHECK (amount >= 0),
    state         VARCHAR(8) NOT NULL DEFAULT 'open'
                  CHECK (state IN ('open', 'settled', 'released')),
    pages_charged BIGINT NOT NULL DEFAULT 0 CHECK (pages_charged >= 0),
    charged       BIGINT NOT NULL DEFAULT 0 CHECK (charged >= 0 AND charged <= amount),
    period        VARCHAR(7) NOT NULL,
    created_at    TEXT NOT NULL,
    closed_at     TEXT,
    CHECK (state = 'settled' OR charged = 0)
);

CREATE INDEX reservations_account_state ON reservations (account, state, period);

-- Ceiling notices: at most one per account, period and threshold (80 or 100 %); sent_at is
-- filled once the email is out.
CREATE TABLE billing_notices (
    id         VARCHAR(40) PRIMARY KEY,
    account    VARCHAR(64) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    period     VARCHAR(7) NOT NULL,
    threshold  BIGINT NOT NULL CHECK (threshold IN (80, 100)),
    -- Consumption (used + reserved) and limit (ceiling + deposits) when it was crossed.
    consumed    BIGINT NOT NULL,
    total_limit BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at    TEXT,
    UNIQUE (account, period, threshold)
);

-- Who changed an account's state (active, restricted, suspended), when and why.
CREATE TABLE account_state_log (
    id         VARCHAR(40) PRIMARY KEY,
    account    VARCHAR(64) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- 1, 2, 3... per account: the order of the changes even within one millisecond.
    seq        BIGINT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL CHECK (to_state IN ('active', 'restricted', 'suspended')),
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    reason     TEXT,
    UNIQUE (account, seq)
);
