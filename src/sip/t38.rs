//! Typed T.38 SDP attributes (ITU-T T.38 Annex D/E) and their offer/answer rules.
//!
//! `sdp-types` keeps attributes as `(name, Option<value>)` strings, which is what lets it carry
//! `m=image … udptl t38` at all; this module is the typed layer on top.
//!
//! **Parsing is tolerant** because real peers disagree on spelling:
//! names are matched case-insensitively, `T38MaxBitRate`/`T38FaxMaxBitRate`/`T38FaxMaxRate` and
//! `T38FaxMaxDatagram`/`T38MaxDatagram` are aliases, booleans may be bare or carry `:0`/`:1`
//! (presence means true unless the value is an explicit 0), and a value we cannot read is treated
//! as absent rather than failing the call — the same as Asterisk's `sscanf`-and-ignore.
//!
//! **Emitting follows Asterisk**, the strictest common peer: booleans are written bare and
//! omitted when false (Asterisk treats presence as true, so `:0` would mean true to it), and
//! `T38FaxUdpEC` is omitted when there is no error correction.
//!
//! **Negotiation** ([`T38Local::answer`], [`T38Local::complete`]): the answer's version is at most
//! the offered one; rate management is `transferredTCF` (the only one that works over UDPTL);
//! fill-bit removal, MMR and JBIG are only asserted when the peer offered them (Cisco objects
//! otherwise); error correction mirrors the offer (FEC only if the peer offered FEC, otherwise
//! redundancy, none only if the peer asked for none); as offerer we propose redundancy. The
//! peer's `T38FaxMaxDatagram` goes through
//! [`normalize_far_max_datagram`] (missing, 0 or
//! above 1400 becomes 400) unless a per-trunk override is set, and the result feeds
//! [`UdptlSenderConfig::negotiated`].

use crate::media::udptl::{normalize_far_max_datagram, EcMode, UdptlSenderConfig};
use crate::media::MediaConfig;
use sdp_types::Attribute;

/// The T.38 bit rate we claim when nothing else is configured: V.17, the fastest T.30 modem
/// spandsp runs.
pub const DEFAULT_MAX_BIT_RATE: u32 = 14_400;

/// `T38FaxRateManagement`: who generates the training check frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateManagement {
    /// TCF is carried end to end in the T.38 stream; mandatory for UDPTL.
    TransferredTcf,
    /// Each gateway generates TCF locally; only meaningful for TCP transport.
    LocalTcf,
}

impl RateManagement {
    /// The SDP spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RateManagement::TransferredTcf => "transferredTCF",
            RateManagement::LocalTcf => "localTCF",
        }
    }

    fn parse(value: &str) -> Option<RateManagement> {
        let v = value.trim();
        if v.eq_ignore_ascii_case("transferredTCF") {
            Some(RateManagement::TransferredTcf)
        } else if v.eq_ignore_ascii_case("localTCF") {
            Some(RateManagement::LocalTcf)
        } else {
            None
        }
    }
}

/// `T38FaxUdpEC`: error correction used on the UDPTL stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdpEc {
    /// No recovery data (`t38UDPNoEC`, or any value we do not know).
    None,
    /// Copies of earlier IFPs (`t38UDPRedundancy`); what everyone accepts.
    Redundancy,
    /// Parity over earlier IFPs (`t38UDPFEC`); sent only when the peer offered it.
    Fec,
}

impl UdpEc {
    /// The SDP value, or `None` for [`UdpEc::None`]: Asterisk never writes a "no EC" value, it
    /// omits the attribute, and so do we.
    pub fn as_sdp(self) -> Option<&'static str> {
        match self {
            UdpEc::None => None,
            UdpEc::Redundancy => Some("t38UDPRedundancy"),
            UdpEc::Fec => Some("t38UDPFEC"),
        }
    }

    /// The UDPTL sender mode this selects.
    pub fn ec_mode(self) -> EcMode {
        match self {
            UdpEc::None => EcMode::None,
            UdpEc::Redundancy => EcMode::Redundancy,
            UdpEc::Fec => EcMode::Fec,
        }
    }

    fn parse(value: &str) -> UdpEc {
        let v = value.trim();
        if v.eq_ignore_ascii_case("t38UDPRedundancy") {
            UdpEc::Redundancy
        } else if v.eq_ignore_ascii_case("t38UDPFEC") {
            UdpEc::Fec
        } else {
            // `t38UDPNoEC`, empty or unknown: Asterisk's parser falls back to none as well.
            UdpEc::None
        }
    }

    fn rank(self) -> u8 {
        match self {
            UdpEc::None => 0,
            UdpEc::Redundancy => 1,
            UdpEc::Fec => 2,
        }
    }
}

/// The T.38 attributes of one `m=image … udptl t38` section, as sent by either side.
///
/// `None`/`false` mean "absent in the SDP"; the negotiation functions decide what absence means.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct T38Params {
    /// `T38FaxVersion` (0 when absent, the T.38 default).
    pub version: u8,
    /// `T38MaxBitRate` in bit/s.
    pub max_bit_rate: Option<u32>,
    /// `T38FaxFillBitRemoval`.
    pub fill_bit_removal: bool,
    /// `T38FaxTranscodingMMR`.
    pub transcoding_mmr: bool,
    /// `T38FaxTranscodingJBIG`.
    pub transcoding_jbig: bool,
    /// `T38FaxRateManagement`.
    pub rate_management: Option<RateManagement>,
    /// `T38FaxMaxBuffer` in octets.
    pub max_buffer: Option<u32>,
    /// `T38FaxMaxDatagram` in octets, raw as advertised (see
    /// [`normalize_far_max_datagram`]).
    pub max_datagram: Option<u32>,
    /// `T38FaxUdpEC`; `None` when the attribute is absent.
    pub udp_ec: Option<UdpEc>,
    /// `T38VendorInfo`, informational only.
    pub vendor_info: Option<String>,
}

fn parse_number(value: Option<&str>) -> Option<u32> {
    value.and_then(|v| v.trim().parse::<u32>().ok())
}

/// Presence means true; only an explicit 0 (or `false`) means false.
fn parse_flag(value: Option<&str>) -> bool {
    match value.map(str::trim) {
        None | Some("") => true,
        Some(v) => !(v == "0" || v.eq_ignore_ascii_case("false")),
    }
}

impl T38Params {
    /// Reads T.38 attributes from a list of SDP attributes, ignoring everything else. Later
    /// attributes override earlier ones, so passing session-level attributes first and then the
    /// media-level ones gives media-level precedence (some old gateways put T.38 attributes at
    /// session level). Never fails: unreadable values count as absent.
    pub fn from_attributes<'a>(attributes: impl IntoIterator<Item = &'a Attribute>) -> T38Params {
        let mut p = T38Params::default();
        for a in attributes {
            let name = a.attribute.trim().to_ascii_lowercase();
            let value = a.value.as_deref();
            match name.as_str() {
                "t38faxversion" => {
                    if let Some(v) = parse_number(value) {
                        p.version = v.min(u32::from(u8::MAX)) as u8;
                    }
                }
                "t38maxbitrate" | "t38faxmaxbitrate" | "t38faxmaxrate" => {
                    if let Some(v) = parse_number(value) {
                        p.max_bit_rate = Some(v);
                    }
                }
                "t38faxfillbitremoval" => p.fill_bit_removal = parse_flag(value),
                "t38faxtranscodingmmr" => p.transcoding_mmr = parse_flag(value),
                "t38faxtranscodingjbig" => p.transcoding_jbig = parse_flag(value),
                "t38faxratemanagement" => {
                    if let Some(v) = value.and_then(RateManagement::parse) {
                        p.rate_management = Some(v);
                    }
                }
                "t38faxmaxbuffer" => {
                    if let Some(v) = parse_number(value) {
                        p.max_buffer = Some(v);
                    }
                }
                "t38faxmaxdatagram" | "t38maxdatagram" => {
                    if let Some(v) = parse_number(value) {
                        p.max_datagram = Some(v);
                    }
                }
                "t38faxudpec" => p.udp_ec = Some(UdpEc::parse(value.unwrap_or(""))),
                "t38vendorinfo" => {
                    p.vendor_info = value
                        .map(|v| v.trim().to_string())
                        .filter(|v| !v.is_empty())
                }
                _ => {}
            }
        }
        p
    }

    /// The attributes to put under `m=image`, in the order Asterisk and FreeSWITCH write them,
    /// with false booleans and "no EC" omitted rather than written as `:0`.
    pub fn to_attributes(&self) -> Vec<Attribute> {
        let mut out = vec![Attribute::with_value("T38FaxVersion", self.version)];
        if let Some(rate) = self.max_bit_rate {
            out.push(Attribute::with_value("T38MaxBitRate", rate));
        }
        if self.fill_bit_removal {
            out.push(Attribute::new("T38FaxFillBitRemoval"));
        }
        if self.transcoding_mmr {
            out.push(Attribute::new("T38FaxTranscodingMMR"));
        }
        if self.transcoding_jbig {
            out.push(Attribute::new("T38FaxTranscodingJBIG"));
        }
        if let Some(rm) = self.rate_management {
            out.push(Attribute::with_value("T38FaxRateManagement", rm.as_str()));
        }
        if let Some(b) = self.max_buffer {
            out.push(Attribute::with_value("T38FaxMaxBuffer", b));
        }
        if let Some(d) = self.max_datagram {
            out.push(Attribute::with_value("T38FaxMaxDatagram", d));
        }
        if let Some(ec) = self.udp_ec.and_then(UdpEc::as_sdp) {
            out.push(Attribute::with_value("T38FaxUdpEC", ec));
        }
        if let Some(v) = &self.vendor_info {
            out.push(Attribute::with_value("T38VendorInfo", v));
        }
        out
    }
}

/// What our T.38 terminal supports and announces; the per-trunk knobs live here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct T38Local {
    /// Highest `T38FaxVersion` we speak (spandsp and Asterisk default to 0).
    pub max_version: u8,
    /// Highest bit rate we claim.
    pub max_bit_rate: u32,
    /// Whether we can do fill-bit removal (asserted only if the peer offers it too).
    pub fill_bit_removal: bool,
    /// Whether we can do MMR transcoding (asserted only if the peer offers it too).
    pub transcoding_mmr: bool,
    /// Whether we can do JBIG transcoding (asserted only if the peer offers it too).
    pub transcoding_jbig: bool,
    /// `T38FaxMaxBuffer` to announce, if any (Asterisk announces none).
    pub max_buffer: Option<u32>,
    /// `T38FaxMaxDatagram` we announce: the largest UDPTL datagram we accept
    /// (`media.t38_max_datagram`).
    pub max_datagram: u16,
    /// Answer FEC when the peer offers it; when false we answer redundancy instead.
    pub allow_fec: bool,
    /// Per-trunk override of the peer's `T38FaxMaxDatagram`, for peers that advertise bogus
    /// (small) values (Asterisk's `t38_udptl_maxdatagram`).
    pub far_max_datagram_override: Option<u16>,
    /// `T38VendorInfo` to announce, if any.
    pub vendor_info: Option<String>,
}

impl Default for T38Local {
    fn default() -> Self {
        T38Local {
            max_version: 0,
            max_bit_rate: DEFAULT_MAX_BIT_RATE,
            fill_bit_removal: false,
            transcoding_mmr: false,
            transcoding_jbig: false,
            max_buffer: None,
            max_datagram: crate::media::udptl::DEFAULT_FAR_MAX_DATAGRAM,
            allow_fec: true,
            far_max_datagram_override: None,
            vendor_info: None,
        }
    }
}

/// The outcome of one T.38 offer/answer exchange: what each side wrote and what the UDPTL and
/// T.38 layers must use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct T38Negotiation {
    /// The attributes we sent (our offer or our answer).
    pub local: T38Params,
    /// The attributes the peer sent.
    pub remote: T38Params,
    /// Agreed `T38FaxVersion` (give to spandsp's `t38_set_t38_version`).
    pub version: u8,
    /// Agreed maximum bit rate.
    pub max_bit_rate: u32,
    /// Agreed fill-bit removal.
    pub fill_bit_removal: bool,
    /// Agreed MMR transcoding.
    pub transcoding_mmr: bool,
    /// Agreed JBIG transcoding.
    pub transcoding_jbig: bool,
    /// Error correction our UDPTL sender must add.
    pub ec_mode: EcMode,
    /// The peer's max datagram after normalisation or the per-trunk override (1..=1400).
    pub far_max_datagram: u16,
}

impl T38Negotiation {
    /// The UDPTL sender configuration for this session: the negotiated EC mode and far max
    /// datagram, plus the redundancy depth from the media config.
    pub fn udptl_sender_config(&self, media: &MediaConfig) -> UdptlSenderConfig {
        UdptlSenderConfig::negotiated(media, self.ec_mode, Some(u32::from(self.far_max_datagram)))
    }
}

impl T38Local {
    /// Local capabilities from the media config (`t38_max_datagram`), everything else default.
    pub fn from_media_config(media: &MediaConfig) -> T38Local {
        T38Local {
            max_datagram: media
                .t38_max_datagram
                .clamp(1, u32::from(crate::media::udptl::MAX_FAR_MAX_DATAGRAM))
                as u16,
            ..T38Local::default()
        }
    }

    fn far_max_datagram(&self, remote: &T38Params) -> u16 {
        self.far_max_datagram_override
            .unwrap_or_else(|| normalize_far_max_datagram(remote.max_datagram))
    }

    /// The attributes of our own T.38 offer (a T.38 re-INVITE): our capabilities, redundancy.
    pub fn offer(&self) -> T38Params {
        T38Params {
            version: self.max_version,
            max_bit_rate: Some(self.max_bit_rate),
            fill_bit_removal: self.fill_bit_removal,
            transcoding_mmr: self.transcoding_mmr,
            transcoding_jbig: self.transcoding_jbig,
            rate_management: Some(RateManagement::TransferredTcf),
            max_buffer: self.max_buffer,
            max_datagram: Some(u32::from(self.max_datagram)),
            udp_ec: Some(UdpEc::Redundancy),
            vendor_info: self.vendor_info.clone(),
        }
    }

    /// Answers a peer's T.38 offer. Never fails: every T.38 offer has an acceptable answer.
    pub fn answer(&self, offer: &T38Params) -> T38Negotiation {
        let version = offer.version.min(self.max_version);
        let max_bit_rate = offer
            .max_bit_rate
            .unwrap_or(self.max_bit_rate)
            .min(self.max_bit_rate);
        let ec = match offer.udp_ec {
            Some(UdpEc::Fec) if self.allow_fec => UdpEc::Fec,
            Some(UdpEc::None) => UdpEc::None,
            _ => UdpEc::Redundancy,
        };
        let local = T38Params {
            version,
            max_bit_rate: Some(max_bit_rate),
            fill_bit_removal: offer.fill_bit_removal && self.fill_bit_removal,
            transcoding_mmr: offer.transcoding_mmr && self.transcoding_mmr,
            transcoding_jbig: offer.transcoding_jbig && self.transcoding_jbig,
            rate_management: Some(RateManagement::TransferredTcf),
            max_buffer: self.max_buffer,
            max_datagram: Some(u32::from(self.max_datagram)),
            udp_ec: Some(ec),
            vendor_info: self.vendor_info.clone(),
        };
        T38Negotiation {
            version,
            max_bit_rate,
            fill_bit_removal: local.fill_bit_removal,
            transcoding_mmr: local.transcoding_mmr,
            transcoding_jbig: local.transcoding_jbig,
            ec_mode: ec.ec_mode(),
            far_max_datagram: self.far_max_datagram(offer),
            remote: offer.clone(),
            local,
        }
    }

    /// Completes our own offer `ours` with the peer's `answer`.
    ///
    /// Error correction downgrades as Asterisk's does: we never use more than we offered, an
    /// explicit "none" in the answer means none, and an answer without `T38FaxUdpEC` keeps what
    /// we offered (UDPTL receivers must accept redundancy). Options are only used if both sides
    /// wrote them; an answer version above ours is clamped.
    pub fn complete(&self, ours: &T38Params, answer: &T38Params) -> T38Negotiation {
        let offered_ec = ours.udp_ec.unwrap_or(UdpEc::Redundancy);
        let ec = match answer.udp_ec {
            None => offered_ec,
            Some(a) if a.rank() < offered_ec.rank() => a,
            Some(_) => offered_ec,
        };
        let ours_rate = ours.max_bit_rate.unwrap_or(self.max_bit_rate);
        T38Negotiation {
            version: answer.version.min(ours.version),
            max_bit_rate: answer.max_bit_rate.unwrap_or(ours_rate).min(ours_rate),
            fill_bit_removal: ours.fill_bit_removal && answer.fill_bit_removal,
            transcoding_mmr: ours.transcoding_mmr && answer.transcoding_mmr,
            transcoding_jbig: ours.transcoding_jbig && answer.transcoding_jbig,
            ec_mode: ec.ec_mode(),
            far_max_datagram: self.far_max_datagram(answer),
            local: ours.clone(),
            remote: answer.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(list: &[(&str, Option<&str>)]) -> Vec<Attribute> {
        list.iter()
            .map(|(n, v)| Attribute {
                attribute: n.to_string(),
                value: v.map(str::to_string),
            })
            .collect()
    }

    fn lines(p: &T38Params) -> Vec<String> {
        p.to_attributes()
            .into_iter()
            .map(|a| match a.value {
                Some(v) => format!("a={}:{}", a.attribute, v),
                None => format!("a={}", a.attribute),
            })
            .collect()
    }

    #[test]
    fn parses_aliases_and_case() {
        let p = T38Params::from_attributes(&attrs(&[
            ("t38faxversion", Some("3")),
            ("T38MaxBitrate", Some("9600")),
            ("T38FaxUdpEc", Some("t38udpfec")),
            ("T38MaxDatagram", Some(" 272 ")),
            ("T38FaxRateManagement", Some("TRANSFERREDTCF")),
            ("T38VendorInfo", Some("0 0 0")),
        ]));
        assert_eq!(p.version, 3);
        assert_eq!(p.max_bit_rate, Some(9600));
        assert_eq!(p.udp_ec, Some(UdpEc::Fec));
        assert_eq!(p.max_datagram, Some(272));
        assert_eq!(p.rate_management, Some(RateManagement::TransferredTcf));
        assert_eq!(p.vendor_info.as_deref(), Some("0 0 0"));

        let q = T38Params::from_attributes(&attrs(&[
            ("T38FaxMaxRate", Some("14400")),
            ("T38FaxMaxBitRate", Some("12000")),
        ]));
        assert_eq!(q.max_bit_rate, Some(12000), "later alias wins");
    }

    #[test]
    fn booleans_bare_or_valued() {
        let p = T38Params::from_attributes(&attrs(&[
            ("T38FaxFillBitRemoval", None),
            ("T38FaxTranscodingMMR", Some("0")),
            ("T38FaxTranscodingJBIG", Some("1")),
        ]));
        assert!(p.fill_bit_removal);
        assert!(!p.transcoding_mmr);
        assert!(p.transcoding_jbig);
        let q = T38Params::from_attributes(&attrs(&[("t38faxfillbitremoval", Some("0"))]));
        assert!(!q.fill_bit_removal);
    }

    #[test]
    fn garbage_values_are_absent() {
        let p = T38Params::from_attributes(&attrs(&[
            ("T38FaxVersion", Some("x")),
            ("T38FaxMaxDatagram", Some("-1")),
            ("T38MaxBitRate", None),
            ("T38FaxRateManagement", Some("what")),
            ("T38FaxUdpEC", Some("t38UDPNoEC")),
        ]));
        assert_eq!(p.version, 0);
        assert_eq!(p.max_datagram, None);
        assert_eq!(p.max_bit_rate, None);
        assert_eq!(p.rate_management, None);
        assert_eq!(p.udp_ec, Some(UdpEc::None));
    }

    #[test]
    fn emits_without_zero_flags_or_no_ec() {
        let p = T38Params {
            version: 0,
            max_bit_rate: Some(14400),
            fill_bit_removal: false,
            rate_management: Some(RateManagement::TransferredTcf),
            max_datagram: Some(400),
            udp_ec: Some(UdpEc::None),
            ..Default::default()
        };
        assert_eq!(
            lines(&p),
            [
                "a=T38FaxVersion:0",
                "a=T38MaxBitRate:14400",
                "a=T38FaxRateManagement:transferredTCF",
                "a=T38FaxMaxDatagram:400",
            ]
        );
    }

    #[test]
    fn answer_rules() {
        let local = T38Local {
            fill_bit_removal: true,
            ..T38Local::default()
        };
        let offer = T38Params {
            version: 2,
            max_bit_rate: Some(33600),
            fill_bit_removal: false,
            transcoding_mmr: true,
            rate_management: Some(RateManagement::LocalTcf),
            max_datagram: Some(1500),
            udp_ec: Some(UdpEc::Fec),
            ..Default::default()
        };
        let n = local.answer(&offer);
        assert_eq!(n.version, 0);
        assert_eq!(n.max_bit_rate, 14400);
        assert!(!n.local.fill_bit_removal, "not offered, not asserted");
        assert!(!n.local.transcoding_mmr, "offered but not supported");
        assert_eq!(
            n.local.rate_management,
            Some(RateManagement::TransferredTcf)
        );
        assert_eq!(n.ec_mode, EcMode::Fec);
        assert_eq!(n.far_max_datagram, 400, "1500 is bogus");

        let no_fec = T38Local {
            allow_fec: false,
            far_max_datagram_override: Some(1000),
            ..T38Local::default()
        };
        let n = no_fec.answer(&offer);
        assert_eq!(n.ec_mode, EcMode::Redundancy);
        assert_eq!(n.far_max_datagram, 1000);

        let bare = T38Params::default();
        let n = T38Local::default().answer(&bare);
        assert_eq!(n.ec_mode, EcMode::Redundancy, "absent EC: redundancy");
        assert_eq!(n.far_max_datagram, 400, "absent datagram: 400");
        let none = T38Params {
            udp_ec: Some(UdpEc::None),
            max_datagram: Some(0),
            ..Default::default()
        };
        let n = T38Local::default().answer(&none);
        assert_eq!(n.ec_mode, EcMode::None);
        assert_eq!(n.far_max_datagram, 400);
        assert!(!lines(&n.local).iter().any(|l| l.contains("UdpEC")));
    }

    #[test]
    fn offerer_downgrades_ec() {
        let local = T38Local::default();
        let ours = local.offer();
        assert_eq!(ours.udp_ec, Some(UdpEc::Redundancy));
        let with = |ec| T38Params {
            udp_ec: ec,
            max_datagram: Some(272),
            ..Default::default()
        };
        assert_eq!(
            local.complete(&ours, &with(Some(UdpEc::Fec))).ec_mode,
            EcMode::Redundancy
        );
        assert_eq!(
            local.complete(&ours, &with(Some(UdpEc::None))).ec_mode,
            EcMode::None
        );
        assert_eq!(
            local.complete(&ours, &with(None)).ec_mode,
            EcMode::Redundancy
        );
        let n = local.complete(&ours, &with(Some(UdpEc::Redundancy)));
        assert_eq!(n.far_max_datagram, 272);
        let cfg = n.udptl_sender_config(&MediaConfig::default());
        assert_eq!(cfg.far_max_datagram, 272);
        assert_eq!(cfg.mode, EcMode::Redundancy);
    }
}
