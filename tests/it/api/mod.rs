//! The HTTP API over real TCP: fax submission and listing.

mod faxes;
mod listing;
