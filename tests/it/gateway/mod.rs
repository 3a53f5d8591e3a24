//! The call loop, admission limits and the commit of a call's outcome to the spool.

mod blocked;
mod commit;
mod drive;
mod limits;
