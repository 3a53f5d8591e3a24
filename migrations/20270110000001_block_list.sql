-- Block lists (`faxvox block add|list|remove`): callers whose calls the gateway declines
-- (603) and destinations it refuses to fax (do-not-fax). A pattern is an E.164 number or the
-- start of one (`+33`, `+3361`): it matches every number that starts with it. The word
-- `anonymous` matches callers who withhold their number; number patterns never do.
--
-- `account` is '' for an operator-wide entry (every account), so that (pattern, account) can
-- be the primary key on SQLite and PostgreSQL alike (NULLs are never equal in a key). The
-- application checks that a named account exists.
CREATE TABLE block_list (
    pattern    VARCHAR(16) NOT NULL,
    account    VARCHAR(64) NOT NULL DEFAULT '',
    -- in: calls from the pattern; out: faxes to it; both.
    direction  VARCHAR(8) NOT NULL CHECK (direction IN ('in', 'out', 'both')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (pattern, account)
);

-- Outbound concurrency (`outbound.max_active_per_account`, one call at a time per number):
-- the queue's claim counts the faxes being dialled by account and by destination, so the
-- destination gets a column of its own (NULL for faxes queued before it: not limited).
ALTER TABLE outbound_faxes ADD COLUMN destination VARCHAR(16);
CREATE INDEX outbound_faxes_destination ON outbound_faxes (destination, state);
CREATE INDEX outbound_faxes_account_state ON outbound_faxes (account, state);
