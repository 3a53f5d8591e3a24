//! The sections of the configuration the inbound gateway runs with, handed over by the edge
//! (`faxvox serve`) so the gateway never reads the whole configuration.

use crate::fax::FaxConfig;
use crate::media::MediaConfig;
use crate::sip::settings::SipConfig;
use crate::voicemail::VoicemailSection;

/// `[sip]`, `[media]`, `[fax]` and `[voicemail]`: admission, limits, media and the recording
/// rules of voicemail lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GatewayConfig {
    /// Admission, limits, T.38 policy, media ports and address.
    pub sip: SipConfig,
    /// Reorder depth, UDPTL redundancy, T.38 datagram size.
    pub media: MediaConfig,
    /// T.30 options and the page limits.
    pub fax: FaxConfig,
    /// Voicemail recording limits.
    pub voicemail: VoicemailSection,
}
