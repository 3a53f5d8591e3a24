-- Media packets a call dropped because they came from an address that is not the call's peer
-- (neither the SDP address nor the source learned behind NAT; see src/media/channel.rs): RTP
-- and UDPTL, beside rtp_lost. An operator sees in the records which calls someone tried to
-- take over or feed.
--
-- Portable: the same statements on SQLite and PostgreSQL.

ALTER TABLE call_records ADD COLUMN rtp_foreign BIGINT NOT NULL DEFAULT 0;
ALTER TABLE call_records ADD COLUMN udptl_foreign BIGINT NOT NULL DEFAULT 0;
