//! Input checks and normalisation for everything the directory stores.
//!
//! Each function takes what an operator typed (CLI, HTTP API, import) and returns the one
//! canonical form the database keeps, or a [`DirectoryError`] whose message says what to fix.
//! The gateway compares dialled numbers with stored ones as plain strings, so normalising on the
//! way in is what makes `+33 2 53 43 75 55` and `0033253437555` reach the same line.

use super::{DirectoryError, LineKind, Locale};

/// E.164 caps a number at 15 digits, country code included.
pub const E164_MAX_DIGITS: usize = 15;
/// The shortest numbers in service (small territories: country code plus 4 digits) have 7.
pub const E164_MIN_DIGITS: usize = 7;
/// Longest account id; keeps ids usable in file names, logs and email subjects.
pub const ACCOUNT_ID_MAX: usize = 64;
/// Longest display name, in characters.
pub const NAME_MAX: usize = 200;

fn bad_number(input: &str, reason: impl Into<String>) -> DirectoryError {
    DirectoryError::InvalidNumber {
        input: input.to_string(),
        reason: reason.into(),
    }
}

/// Normalises a phone number to E.164 (`+` and digits only).
///
/// Accepts the forms people paste: `+33 2 53 43 75 55`, `+33.2.53.43.75.55`, `+33-2-53…`,
/// `0033253437555`, `+1 (555) 010-0199` and the European `+33 (0)2 53…` whose `(0)` is the
/// national trunk prefix and is dropped. A number without country code (`02 53 43 75 55`) is
/// refused rather than guessed, since the gateway serves several countries.
pub fn normalize_number(input: &str) -> Result<String, DirectoryError> {
    normalize_e164(input, E164_MIN_DIGITS)
}

/// What a block-list pattern matches callers that withhold their number with.
pub const ANONYMOUS: &str = "anonymous";

/// Normalises a block-list pattern: a number or the start of one, written as
/// [`normalize_number`] accepts (`+33 6`, `0033 6 12`), with an optional trailing `*`; or the
/// word `anonymous`. The result is `+` and at least one digit, or `anonymous`.
pub fn normalize_block_pattern(input: &str) -> Result<String, DirectoryError> {
    let trimmed = input.trim();
    if trimmed.eq_ignore_ascii_case(ANONYMOUS) {
        return Ok(ANONYMOUS.to_string());
    }
    let without_star = trimmed.strip_suffix('*').unwrap_or(trimmed);
    normalize_e164(without_star, 1).map_err(|e| match e {
        DirectoryError::InvalidNumber { reason, .. } => bad_number(input, reason),
        e => e,
    })
}

/// [`normalize_number`] with a lower bound on the digits (1 for prefixes).
fn normalize_e164(input: &str, min_digits: usize) -> Result<String, DirectoryError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(bad_number(input, "the number is empty"));
    }
    if let Some(c) = trimmed.chars().find(|c| c.is_alphabetic()) {
        return Err(bad_number(
            input,
            format!("it contains the letter `{c}`; give digits only"),
        ));
    }
    // `(0)` after the country code is the trunk prefix, written but never dialled from abroad.
    let without_trunk = trimmed.replace("(0)", "");
    let mut digits = String::with_capacity(16);
    let mut plus = false;
    for (i, c) in without_trunk.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => plus = true,
            '+' => return Err(bad_number(input, "`+` may only start the number")),
            ' ' | '.' | '-' | '(' | ')' | '/' | '\u{a0}' => {}
            _ => return Err(bad_number(input, format!("unexpected character `{c}`"))),
        }
    }
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_string()
    } else {
        return Err(bad_number(
            input,
            "no country code; give it in international form, e.g. +33 2 53 43 75 55 or 0033 2 53 43 75 55",
        ));
    };
    if international.is_empty() {
        return Err(bad_number(input, "no digits after the country prefix"));
    }
    if international.starts_with('0') {
        return Err(bad_number(
            input,
            "a country code never starts with 0; give the number in international form, e.g. +33 2 53 43 75 55",
        ));
    }
    let n = international.len();
    if n > E164_MAX_DIGITS {
        return Err(bad_number(
            input,
            format!("{n} digits is too long (E.164 allows at most {E164_MAX_DIGITS})"),
        ));
    }
    if n < min_digits {
        return Err(bad_number(
            input,
            format!("{n} digits is too short for an international number (at least {min_digits})"),
        ));
    }
    Ok(format!("+{international}"))
}

fn bad_email(input: &str, reason: &str) -> DirectoryError {
    DirectoryError::InvalidEmail {
        input: input.to_string(),
        reason: reason.to_string(),
    }
}

/// Checks an email address the way delivery will need it, and returns it with the domain in
/// lower case.
///
/// A practical check, not full RFC 5322: exactly one `@`, a non-empty local part, a domain that
/// is a host name with a dot (or `localhost`), no spaces or line breaks (which could inject
/// headers), no display name. The local part and domain also go through the `email_address`
/// crate's RFC syntax checks, which are the ones lettre applies when it sends, so anything
/// stored here is something delivery can address.
pub fn normalize_email(input: &str) -> Result<String, DirectoryError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(bad_email(input, "the address is empty"));
    }
    if s.contains('<') || s.contains('>') {
        return Err(bad_email(
            input,
            "give the bare address, without a name or <…>",
        ));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad_email(input, "it contains a space or a line break"));
    }
    let mut parts = s.split('@');
    let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
        (Some(l), Some(d), None) => (l, d),
        (_, None, _) => return Err(bad_email(input, "it has no `@`")),
        _ => return Err(bad_email(input, "it has more than one `@`")),
    };
    if local.is_empty() {
        return Err(bad_email(input, "nothing before the `@`"));
    }
    if domain.is_empty() {
        return Err(bad_email(input, "nothing after the `@`"));
    }
    let domain = domain.to_lowercase();
    if domain.starts_with('[') {
        return Err(bad_email(
            input,
            "give a domain name, not an IP address literal",
        ));
    }
    if !domain.contains('.') && domain != "localhost" {
        return Err(bad_email(
            input,
            "the domain has no dot (e.g. example.com); only `localhost` may go without",
        ));
    }
    if !email_address::EmailAddress::is_valid_local_part(local) {
        return Err(bad_email(
            input,
            "the part before the `@` has characters not allowed in an address",
        ));
    }
    if !email_address::EmailAddress::is_valid_domain(&domain) {
        return Err(bad_email(input, "the domain is not a valid host name"));
    }
    Ok(format!("{local}@{domain}"))
}

/// Parses a locale: the language of the emails an account receives.
pub fn parse_locale(input: &str) -> Result<Locale, DirectoryError> {
    match input.trim().to_ascii_lowercase().as_str() {
        "fr" => Ok(Locale::Fr),
        "en" => Ok(Locale::En),
        _ => Err(DirectoryError::InvalidLocale(input.to_string())),
    }
}

/// Parses a line kind.
pub fn parse_kind(input: &str) -> Result<LineKind, DirectoryError> {
    match input.trim().to_ascii_lowercase().as_str() {
        "fax" => Ok(LineKind::Fax),
        "voicemail" => Ok(LineKind::Voicemail),
        "alias" => Ok(LineKind::Alias),
        _ => Err(DirectoryError::InvalidKind(input.to_string())),
    }
}

/// Checks an IANA time zone name against the time zone database and returns its canonical
/// spelling (`europe/paris` → `Europe/Paris`).
///
/// jiff reads the system database (`/usr/share/zoneinfo`) and falls back to the copy built into
/// the binary, so a host without tzdata still validates and formats dates.
pub fn normalize_time_zone(input: &str) -> Result<String, DirectoryError> {
    let name = input.trim();
    let unknown = || DirectoryError::UnknownTimeZone(input.to_string());
    if name.is_empty() {
        return Err(unknown());
    }
    let tz = jiff::tz::TimeZone::get(name).map_err(|_| unknown())?;
    Ok(tz.iana_name().unwrap_or(name).to_string())
}

/// Checks an account id: 1–64 characters of `[A-Za-z0-9_.-]`, so it is safe in file names,
/// URLs and log lines without quoting.
pub fn check_account_id(input: &str) -> Result<(), DirectoryError> {
    let bad = |reason: String| DirectoryError::InvalidAccountId {
        input: input.to_string(),
        reason,
    };
    if input.is_empty() {
        return Err(bad("it is empty".into()));
    }
    if input.chars().count() > ACCOUNT_ID_MAX {
        return Err(bad(format!("longer than {ACCOUNT_ID_MAX} characters")));
    }
    if let Some(c) = input
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(bad(format!(
            "character `{}` not allowed; use letters, digits, `_`, `.` and `-`",
            c.escape_debug()
        )));
    }
    Ok(())
}

/// Checks a display name and returns it trimmed; an empty name means "none".
///
/// Names go into email headers and greetings: control characters (line breaks above all) are
/// refused, any other Unicode is kept as typed (`Zoé Lefèvre`).
pub fn normalize_name(input: &str) -> Result<Option<String>, DirectoryError> {
    let name = input.trim();
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().any(char::is_control) {
        return Err(DirectoryError::InvalidName(
            "it contains a line break or another control character".into(),
        ));
    }
    if name.chars().count() > NAME_MAX {
        return Err(DirectoryError::InvalidName(format!(
            "longer than {NAME_MAX} characters"
        )));
    }
    Ok(Some(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_normalise_to_e164() {
        for input in [
            "+33253437555",
            "+33 2 53 43 75 55",
            "+33.2.53.43.75.55",
            "+33-2-53-43-75-55",
            "0033253437555",
            "00 33 2 53 43 75 55",
            "+33 (0)2 53 43 75 55",
            "  +33 2 53 43 75 55\n",
        ] {
            assert_eq!(normalize_number(input).unwrap(), "+33253437555", "{input}");
        }
        assert_eq!(
            normalize_number("+1 (555) 010-0199").unwrap(),
            "+15550100199"
        );
        assert_eq!(normalize_number("+683 4002").unwrap(), "+6834002");
    }

    #[test]
    fn bad_numbers_say_why() {
        let reason = |s: &str| normalize_number(s).unwrap_err().to_string();
        assert!(reason("+33 2 FAX ME").contains("letter"));
        assert!(reason("02 53 43 75 55").contains("international form"));
        assert!(reason("33253437555").contains("international form"));
        assert!(reason("+0 33 2 53").contains("never starts with 0"));
        assert!(reason("+1234567890123456").contains("too long"));
        assert!(reason("+33 12").contains("too short"));
        assert!(reason("").contains("empty"));
        assert!(reason("+33+253437555").contains("`+`"));
        assert!(reason("+33#253437555").contains("`#`"));
        assert!(reason("00").contains("no digits"));
    }

    #[test]
    fn emails() {
        assert_eq!(normalize_email("zoe@Example.FR").unwrap(), "zoe@example.fr");
        assert_eq!(normalize_email(" a.b+fax@x.io ").unwrap(), "a.b+fax@x.io");
        assert_eq!(normalize_email("root@localhost").unwrap(), "root@localhost");
        assert_eq!(normalize_email("zoé@exemple.fr").unwrap(), "zoé@exemple.fr");
        for (bad, why) in [
            ("", "empty"),
            ("zoe.example.fr", "no `@`"),
            ("a@b@c.fr", "more than one"),
            ("@example.fr", "before"),
            ("zoe@", "after"),
            ("zoe@example", "no dot"),
            ("zoe @example.fr", "space"),
            ("zoe@example.fr\r\nBcc: x@y.z", "line break"),
            ("Zoe <zoe@example.fr>", "bare address"),
            ("zoe@[192.0.2.1]", "IP address"),
            ("zo,e@example.fr", "not allowed"),
            ("zoe@-example.fr", "host name"),
            ("zoe@example..fr", "host name"),
        ] {
            let err = normalize_email(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn time_zones_come_from_the_iana_database() {
        assert_eq!(normalize_time_zone("Europe/Paris").unwrap(), "Europe/Paris");
        assert_eq!(normalize_time_zone("europe/paris").unwrap(), "Europe/Paris");
        assert_eq!(
            normalize_time_zone("America/Martinique").unwrap(),
            "America/Martinique"
        );
        assert!(normalize_time_zone("Europe/Lyon").is_err());
        assert!(normalize_time_zone("").is_err());
        assert!(normalize_time_zone("+02:00").is_err());
    }

    #[test]
    fn account_ids_names_locales_kinds() {
        assert!(check_account_id("acme-01_fr.x").is_ok());
        assert!(check_account_id("").is_err());
        assert!(check_account_id(&"a".repeat(64)).is_ok());
        assert!(check_account_id(&"a".repeat(65)).is_err());
        assert!(check_account_id("zoé").is_err());
        assert!(check_account_id("a b").is_err());
        assert!(check_account_id("a/b").is_err());
        assert_eq!(
            normalize_name("  Zoé Lefèvre ").unwrap().as_deref(),
            Some("Zoé Lefèvre")
        );
        assert_eq!(normalize_name("   ").unwrap(), None);
        assert!(normalize_name("a\nb").is_err());
        assert_eq!(parse_locale("EN").unwrap(), Locale::En);
        assert!(parse_locale("de").is_err());
        assert_eq!(parse_kind("Voicemail").unwrap(), LineKind::Voicemail);
        assert!(parse_kind("sms").is_err());
    }
}
