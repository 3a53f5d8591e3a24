//! Rates, the ledger, money and the monthly statement, on SQLite and PostgreSQL.

mod cli;
mod ledger;
mod money;
mod statement;
