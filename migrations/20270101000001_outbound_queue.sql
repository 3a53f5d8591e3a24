-- The outbound fax queue, shared by every node on the database: any node's dialer claims a
-- due fax with a lease (`lease_owner`, `lease_token`, `lease_expires`), renews it while the
-- call runs, and settles the fax's reservation in the same transaction that records the
-- outcome, conditional on still holding the lease. A fax accepted by a node that dies is
-- taken by another once the lease has expired.
--
-- Portable SQL as in the other migrations: BIGINT integers, RFC 3339 UTC text times with
-- millisecond precision (they compare as text), ids chosen by the application.
CREATE TABLE outbound_faxes (
    -- The fax id (= the reservation's fax_id, = the spool job id on the node that took it).
    id            VARCHAR(64) PRIMARY KEY,
    account       VARCHAR(64) NOT NULL,
    -- The spool that took the fax in (its node keeps the fax's spool record).
    origin        VARCHAR(64) NOT NULL,
    -- `queued` (ready or waiting for its next attempt), `final` (result recorded and
    -- billing closed, the status email not yet queued), `done`.
    state         VARCHAR(8) NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'final', 'done')),
    -- The job facts (JSON object): the submission's, then attempts, pages_confirmed, result.
    facts         TEXT NOT NULL,
    next_attempt  VARCHAR(24) NOT NULL,
    first_attempt VARCHAR(24),
    -- Claims so far (the retry schedule counts them).
    claims        BIGINT NOT NULL DEFAULT 0,
    lease_owner   TEXT,
    lease_token   VARCHAR(32),
    lease_expires VARCHAR(24),
    -- The last failure, or the final summary.
    problem       TEXT,
    -- `delivered` or `dead` once done.
    outcome       VARCHAR(9),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE INDEX outbound_faxes_due ON outbound_faxes (state, next_attempt);
-- The faxes of one node that ended lately (its spool records follow them).
CREATE INDEX outbound_faxes_origin ON outbound_faxes (origin, state, updated_at);

-- The fax's pages (the G4 TIFF the dialer transmits), base64 in chunks, so that every node
-- can read them.
CREATE TABLE outbound_documents (
    fax_id VARCHAR(64) NOT NULL REFERENCES outbound_faxes (id) ON DELETE CASCADE,
    seq    BIGINT NOT NULL,
    data   TEXT NOT NULL,
    PRIMARY KEY (fax_id, seq)
);
