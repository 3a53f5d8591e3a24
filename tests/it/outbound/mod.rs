//! `faxvox send`, the dialer, cover pages, transmission reports, ceilings, rendering.

mod ceiling;
mod claim;
mod concurrency;
mod cover;
mod header;
mod lease;
mod render_limits;
mod report;
mod send;
