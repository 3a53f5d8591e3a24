//! `faxvox send`, the dialer, cover pages, transmission reports, ceilings, rendering.

mod ceiling;
mod claim;
mod cover;
mod lease;
mod render_limits;
mod report;
mod send;
