//! The jobs the spool carries from one service to another, as they are written down: the
//! facts each kind of job holds and the names of its media files. The gateway and `faxvox
//! spool import` write fax and voicemail jobs that the delivery worker reads ([`inbound`]);
//! `faxvox send` and the API write outbound fax jobs that the dialer works through and the
//! API shows ([`outbound`]); the dialer writes fax-status jobs that the worker emails. This
//! module is the one place they agree on, so none of them needs to import another.
//!
//! The spool stores the facts verbatim (an open JSON object in `manifest.json`) and the media
//! as files in the job folder, under the names below.

pub mod inbound;
pub mod outbound;

pub use inbound::{
    DeliveryRecord, FaxFacts, JobFacts, JobFactsError, RejectedRecipient, DELIVERY_KEY,
};
pub use outbound::{
    AttemptRecord, FaxResult, MailReply, OutboundFacts, OutboundFactsError, CHARGED,
};

/// Media name of a received fax in its spool job.
pub const FAX_TIFF: &str = "fax.tiff";
/// Media name of a voicemail recording in its spool job.
pub const VOICEMAIL_WAV: &str = "message.wav";
/// Media name of the document in an outbound fax job.
pub const DOCUMENT: &str = "document.tif";
/// Media name of the transmission report in a fax-status job.
pub const REPORT_MEDIA: &str = "report.pdf";
