//! The `faxvox` binary's configuration: files, environment, errors naming the key.

mod config;
