//! Fax sessions, tone detection, the simulator and `faxvox fax-sim`.

mod cli;
mod detect;
mod session;
mod sim;
