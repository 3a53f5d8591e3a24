//! Helpers shared by the integration tests (each area uses a subset) and by
//! `benches/gateway_load.rs`.
#![allow(dead_code)]

pub mod billing_db;
pub mod delivery;
pub mod dns;
pub mod fax_pages;
pub mod gateway;
pub mod kamailio;
pub mod peers;
pub mod poppler;
pub mod sdp_samples;
pub mod sip_raw;
pub mod site;
pub mod smtp;
pub mod webhook;
