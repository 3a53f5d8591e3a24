-- Reservations that outlive their fax (a crash between the reservation and the spool commit,
-- a job the spool gave up or quarantined) are closed by the dialer's reconciliation sweep.
-- `origin` names the spool that took the fax in (each gateway node has its own), so that a
-- node only ever sweeps its own; NULL for reservations made before this column.
-- `close_reason` says why a reservation was closed other than by the fax's own settlement
-- (shown by `faxvox billing log`).
ALTER TABLE reservations ADD COLUMN origin VARCHAR(64);
ALTER TABLE reservations ADD COLUMN close_reason TEXT;
