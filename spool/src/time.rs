//! UTC timestamps without a time crate: RFC 3339 text for manifests (readable by an
//! admin, exact to the nanosecond so a round trip never moves a retry time) and the
//! compact `YYYYMMDDTHHMMSSZ` stamp used in job ids.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Nanoseconds since the Unix epoch (negative before it).
fn to_nanos(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

fn from_nanos(n: i128) -> Option<SystemTime> {
    if n >= 0 {
        let secs = u64::try_from(n / NANOS_PER_SEC).ok()?;
        UNIX_EPOCH.checked_add(Duration::new(secs, (n % NANOS_PER_SEC) as u32))
    } else {
        let m = -n;
        let secs = u64::try_from(m / NANOS_PER_SEC).ok()?;
        UNIX_EPOCH.checked_sub(Duration::new(secs, (m % NANOS_PER_SEC) as u32))
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) → days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * if m > 2 { m - 3 } else { m + 9 } + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

struct Parts {
    y: i64,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    nanos: u32,
}

fn split(t: SystemTime) -> Parts {
    let n = to_nanos(t);
    let secs = n.div_euclid(NANOS_PER_SEC) as i64;
    let nanos = n.rem_euclid(NANOS_PER_SEC) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    let (y, mo, d) = civil_from_days(days);
    Parts {
        y,
        mo,
        d,
        h: sod / 3600,
        mi: sod / 60 % 60,
        s: sod % 60,
        nanos,
    }
}

/// `2026-11-27T07:15:30Z`, with a fraction (3, 6 or 9 digits) only when needed.
pub fn format_rfc3339(t: SystemTime) -> String {
    let p = split(t);
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        p.y, p.mo, p.d, p.h, p.mi, p.s
    );
    if p.nanos != 0 {
        if p.nanos.is_multiple_of(1_000_000) {
            out.push_str(&format!(".{:03}", p.nanos / 1_000_000));
        } else if p.nanos.is_multiple_of(1_000) {
            out.push_str(&format!(".{:06}", p.nanos / 1_000));
        } else {
            out.push_str(&format!(".{:09}", p.nanos));
        }
    }
    out.push('Z');
    out
}

/// Compact stamp for job ids: `20261127T071530Z` (whole seconds, sortable as text
/// for years 0000–9999).
pub fn format_compact(t: SystemTime) -> String {
    let p = split(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        p.y.clamp(0, 9999),
        p.mo,
        p.d,
        p.h,
        p.mi,
        p.s
    )
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses what [`format_rfc3339`] writes: `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` (UTC only).
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let y = num(&s[0..4])? as i64;
    let mo = num(&s[5..7])?;
    let d = num(&s[8..10])?;
    let h = num(&s[11..13])?;
    let mi = num(&s[14..16])?;
    let sec = num(&s[17..19])?;
    let rest = &s[19..s.len() - 1];
    let nanos = if rest.is_empty() {
        0
    } else {
        let frac = rest.strip_prefix('.')?;
        if frac.is_empty() || frac.len() > 9 {
            return None;
        }
        num(frac)? * 10u32.pow(9 - frac.len() as u32)
    };
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 {
        return None;
    }
    if sec > 59 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let secs = days as i128 * 86_400 + (h * 3600 + mi * 60 + sec) as i128;
    from_nanos(secs * NANOS_PER_SEC + nanos as i128)
}

/// Parses the compact id stamp back (used to validate job ids).
pub fn parse_compact(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let text = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[9..11],
        &s[11..13],
        &s[13..15]
    );
    parse_rfc3339(&text)
}

/// `later - earlier`, or zero if the clock went backwards.
pub fn since(later: SystemTime, earlier: SystemTime) -> Duration {
    later.duration_since(earlier).unwrap_or(Duration::ZERO)
}

/// Human-readable duration for reasons and notes: `4h`, `5d`, `31d 2h`, `1m 30s`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (days, hours, mins, secs) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days}d"));
    }
    if hours > 0 {
        parts.push(format!("{hours}h"));
    }
    if mins > 0 && days == 0 {
        parts.push(format!("{mins}m"));
    }
    if secs > 0 && days == 0 && hours == 0 {
        parts.push(format!("{secs}s"));
    }
    if parts.is_empty() {
        if d.is_zero() {
            "0s".to_string()
        } else {
            format!("{}ms", d.as_millis())
        }
    } else {
        parts.join(" ")
    }
}

/// serde adapter: `SystemTime` as RFC 3339 text.
pub mod serde_rfc3339 {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    use std::time::SystemTime;

    pub fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_rfc3339(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_rfc3339(&text)
            .ok_or_else(|| D::Error::custom(format!("invalid RFC 3339 UTC time {text:?}")))
    }
}

/// serde adapter: `Option<SystemTime>` as RFC 3339 text or null.
pub mod serde_rfc3339_opt {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    use std::time::SystemTime;

    pub fn serialize<S: Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::format_rfc3339(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SystemTime>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => super::parse_rfc3339(&text)
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("invalid RFC 3339 UTC time {text:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_763_730);
        assert_eq!(format_rfc3339(t), "2026-11-27T07:15:30Z");
        assert_eq!(format_compact(t), "20261127T071530Z");
        assert_eq!(format_rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            parse_rfc3339("2000-02-29T23:59:59.5Z"),
            Some(UNIX_EPOCH + Duration::new(951_868_799, 500_000_000))
        );
        assert_eq!(parse_rfc3339("2001-02-29T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2001-02-28T00:00:00+01:00"), None);
        assert_eq!(parse_rfc3339("2001-02-28T00:00:00.Z"), None);
        assert_eq!(parse_compact("20261127T071530Z"), Some(t));
    }

    #[test]
    fn round_trip_exact() {
        for n in [
            0i128,
            1,
            999,
            1_000,
            1_000_000,
            123_456_789,
            -1,
            -86_400 * NANOS_PER_SEC - 7,
            4_102_444_800 * NANOS_PER_SEC + 42,
        ] {
            let t = from_nanos(1_795_763_730 * NANOS_PER_SEC + n).unwrap();
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t), "{n}");
        }
        for days in (-800_000i64..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_secs(4 * 3600)), "4h");
        assert_eq!(human(Duration::from_secs(5 * 86_400)), "5d");
        assert_eq!(
            human(Duration::from_secs(31 * 86_400 + 2 * 3600 + 5)),
            "31d 2h"
        );
        assert_eq!(human(Duration::from_secs(90)), "1m 30s");
        assert_eq!(human(Duration::ZERO), "0s");
    }
}
