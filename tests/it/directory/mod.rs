//! Accounts, lines, greetings and call records, through the library and the binary.

mod blocks;
mod call_records;
mod cli;
mod library;
mod line_greeting;
