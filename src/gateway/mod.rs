//! The SIP gateway: calls in, messages out.

pub mod commit;
pub mod greeting;
pub mod limits;
pub mod recovery;
pub mod server;
pub mod settings;

pub use settings::GatewayConfig;
