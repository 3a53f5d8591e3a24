//! Helpers shared by the integration tests (each test binary uses a subset).
#![allow(dead_code)]

pub mod delivery;
pub mod gateway;
pub mod peers;
pub mod poppler;
pub mod sip_raw;
pub mod site;
pub mod smtp;
