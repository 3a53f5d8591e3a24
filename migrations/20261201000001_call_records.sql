-- Call detail records: one row per call the gateway handled (answered or not), for the
-- operator's statistics and, later, billing.
--
-- Portable SQL as in the directory migration: BIGINT integers, RFC 3339 UTC text times
-- written by the application with a fixed millisecond precision (`2026-11-27T07:49:12.345Z`)
-- so they sort and compare as text. The id is chosen by the application (sortable by start,
-- unique without a sequence, which SQLite and PostgreSQL spell differently). No foreign keys:
-- a record outlives renamed lines, and a rejected call may name no account at all.

CREATE TABLE call_records (
    -- `<start as 20261127T074912Z>-<16 hex>`.
    id          VARCHAR(40) PRIMARY KEY,
    -- SIP Call-ID of the call.
    call_id     TEXT NOT NULL,
    -- Account that got (or would have got) the message; NULL when the number is not ours.
    account     VARCHAR(64),
    -- Our line that answered (E.164; an alias is resolved to its target); NULL when none did.
    line        VARCHAR(16),
    -- The number as dialled (Request-URI user part), raw.
    called      TEXT NOT NULL,
    -- Caller number as signalled ('' when withheld) and display name (untrusted).
    caller      TEXT NOT NULL DEFAULT '',
    caller_name TEXT,
    kind        VARCHAR(16) NOT NULL CHECK (kind IN ('fax', 'voicemail', 'missed', 'rejected')),
    direction   VARCHAR(8) NOT NULL DEFAULT 'in' CHECK (direction IN ('in', 'out')),
    -- When the INVITE arrived (or was sent).
    start       TEXT NOT NULL,
    -- When the call was answered; NULL when it never was.
    answered    TEXT,
    -- From answer to hang-up in milliseconds; 0 when not answered.
    duration_ms BIGINT NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),
    -- Fax pages received (or sent); NULL for other kinds.
    pages       BIGINT,
    -- ok, partial (fax cut short) or failed (nothing usable, or the spool refused it).
    status      VARCHAR(16) NOT NULL,
    -- Final SIP status of the INVITE (200, 403, 404, 486, 503...); NULL when none was sent.
    sip_status  BIGINT,
    -- Human-readable detail: T.30 result, why rejected, spool error...
    reason      TEXT,
    -- Spool job the call produced; NULL when none.
    job_id      VARCHAR(40),
    -- RTP packets lost on the way in (sequence gaps).
    rtp_lost    BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX call_records_start ON call_records (start);
CREATE INDEX call_records_account_start ON call_records (account, start);
