//! The `[media]` section of the configuration and the media port range of `[sip]`, as parsed
//! values: checked once when the configuration is loaded.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::settings::InvalidSetting;

/// Jitter, redundancy and datagram sizes of every call's media.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Depth of the fixed RTP reorder buffer, in milliseconds (20 ms packets).
    pub reorder_ms: u32,
    /// Redundant IFP entries carried in each UDPTL datagram (0 to 8).
    pub udptl_redundancy: u32,
    /// T38FaxMaxDatagram we announce and assume when the peer gives none.
    pub t38_max_datagram: u32,
}

impl MediaConfig {
    /// The reorder depth, redundancy and datagram size are in range.
    pub fn check(&self) -> Result<(), crate::settings::BadSetting> {
        use crate::settings::BadSetting;
        if !(20..=1000).contains(&self.reorder_ms) {
            return Err(BadSetting::new(
                "media.reorder_ms",
                format!("{} is outside 20..=1000", self.reorder_ms),
            ));
        }
        if self.udptl_redundancy > 8 {
            return Err(BadSetting::new(
                "media.udptl_redundancy",
                format!("{} is outside 0..=8", self.udptl_redundancy),
            ));
        }
        if !(100..=1400).contains(&self.t38_max_datagram) {
            return Err(BadSetting::new(
                "media.t38_max_datagram",
                format!("{} is outside 100..=1400", self.t38_max_datagram),
            ));
        }
        Ok(())
    }
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            reorder_ms: 100,
            udptl_redundancy: 3,
            t38_max_datagram: 400,
        }
    }
}

/// UDP ports for media, written `FIRST-LAST`: FIRST even (RTP takes even ports), FIRST < LAST,
/// no privileged ports. Each call takes an even RTP port and a UDPTL port from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PortRange {
    first: u16,
    last: u16,
}

impl PortRange {
    /// The ports as an inclusive range.
    pub fn range(&self) -> RangeInclusive<u16> {
        self.first..=self.last
    }
}

impl Default for PortRange {
    fn default() -> Self {
        PortRange {
            first: 20000,
            last: 29999,
        }
    }
}

impl FromStr for PortRange {
    type Err = InvalidSetting;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |m: String| InvalidSetting(m);
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| bad(format!("{s:?}: expected FIRST-LAST, e.g. \"20000-29999\"")))?;
        let port = |p: &str| {
            p.trim()
                .parse::<u16>()
                .map_err(|_| bad(format!("{s:?}: {:?} is not a port number", p.trim())))
        };
        let (first, last) = (port(a)?, port(b)?);
        if first < 1024 {
            return Err(bad(format!("{s:?}: ports below 1024 are reserved")));
        }
        if first % 2 != 0 {
            return Err(bad(format!(
                "{s:?}: the first port must be even (RTP uses even ports)"
            )));
        }
        if last <= first {
            return Err(bad(format!("{s:?}: the last port must be above the first")));
        }
        Ok(PortRange { first, last })
    }
}

impl TryFrom<String> for PortRange {
    type Error = InvalidSetting;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<PortRange> for String {
    fn from(r: PortRange) -> String {
        r.to_string()
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges_parse_and_print() {
        let r: PortRange = "20000-29999".parse().unwrap();
        assert_eq!(r, PortRange::default());
        assert_eq!(r.range(), 20000..=29999);
        assert_eq!(r.to_string(), "20000-29999");
        for bad in [
            "20001-29999",
            "30000-20000",
            "80-1000",
            "20000",
            "0-0",
            "a-b",
        ] {
            assert!(bad.parse::<PortRange>().is_err(), "{bad}");
        }
    }
}
