//! Job ids: `20261127T071530Z-3f9a2c1b`: creation second (UTC) then 32 random bits.

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::SpoolError;
use crate::time;

/// Identifies one job and names its folder.
///
/// Text order is creation order (to the second), so `ls` and `list` show the
/// spool oldest first; the random part keeps ids unique across processes and
/// gateways without coordination.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(String);

impl JobId {
    /// A fresh id for a job created at `now`.
    pub fn generate(now: SystemTime) -> JobId {
        JobId(format!(
            "{}-{}",
            time::format_compact(now),
            crate::fsutil::random_hex(4)
        ))
    }

    /// The id as text (also the folder name).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn valid(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() == 25
            && b[16] == b'-'
            && time::parse_compact(&s[..16]).is_some()
            && b[17..]
                .iter()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    }
}

impl FromStr for JobId {
    type Err = SpoolError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if JobId::valid(s) {
            Ok(JobId(s.to_string()))
        } else {
            Err(SpoolError::InvalidJobId(s.to_string()))
        }
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JobId({})", self.0)
    }
}

impl AsRef<str> for JobId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for JobId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for JobId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn format_and_parse() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_763_730);
        let id = JobId::generate(t);
        assert!(id.as_str().starts_with("20261127T071530Z-"), "{id}");
        assert_eq!(id.as_str().parse::<JobId>().unwrap(), id);
        for bad in [
            "",
            "20261127T071530Z",
            "20261127T071530Z-3F9A2C1B",
            "20261327T031530Z-3f9a2c1b",
            "20261127T071530Z_3f9a2c1b",
            "../../etc/passwd",
        ] {
            assert!(bad.parse::<JobId>().is_err(), "{bad}");
        }
        let later = JobId::generate(t + Duration::from_secs(1));
        assert!(later > id);
    }
}
