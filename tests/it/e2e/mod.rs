//! A real `faxvox serve` called over real sockets: fax, voicemail, limits, attacks, recovery.

mod caller_id;
mod cluster;
mod cng;
mod connections;
mod email_to_fax;
mod fax;
mod health;
mod limits;
mod outbound_nodes;
mod page_length;
mod port_pool;
mod private_money;
mod recovery;
mod robustness;
mod rtp_intruder;
mod sip_attack;
mod voicemail;
mod webhook;
