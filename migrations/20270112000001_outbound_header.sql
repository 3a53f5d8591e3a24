-- The header line on every sent page (date and time, sender, "page n/m" in the top 5 mm):
-- on unless the client turned it off (`faxvox send --no-header`, the API's `header: false`).
-- 1 = stamp the pages, 0 = send them as submitted; faxes queued before this column existed
-- get the header like every other.
ALTER TABLE outbound_faxes ADD COLUMN header BIGINT NOT NULL DEFAULT 1;
