-- The cost of a call, for the monthly statement (`faxvox billing statement`): BIGINT in
-- ten-thousandths of a euro excl. tax, like every amount of the billing migration (never a
-- float). NULL for calls that are not billed (inbound); on outbound fax attempts the final
-- attempt of a fax carries what the ledger charged for it and earlier attempts 0, so the costs
-- of a fax's records add up to its charge.
--
-- Portable: one nullable column added with the same statement on SQLite and PostgreSQL.

ALTER TABLE call_records ADD COLUMN cost BIGINT;
