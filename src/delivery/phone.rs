//! Phone numbers formatted for people: `+33253437555` → `+33 2 53 43 75 55`,
//! `+493055550100` → `+49 30 55550100`.
//!
//! Each number is written by the rules of its own country, from libphonenumber's numbering
//! plan data (the `phonenumber` crate): international numbers in its international format;
//! a national number (`0253437555`) in the national format of the country of a `home` number
//! (the line that was called) when one is known, as digits otherwise. Percent escapes and
//! visual separators are undone first, so a number that reached us as
//! `+44%2023%209200%200148` reads `+44 23 9200 0148`. Anything that is not a number
//! (`anonymous`, a SIP user name) is returned cleaned but otherwise unchanged.

use phonenumber::{country, Mode};

use super::sanitize_text;

/// Longest text kept from a caller-supplied number.
const MAX_NUMBER_CHARS: usize = 64;

/// Formats a number for display. See the module documentation for the rules.
pub fn format_number(raw: &str) -> String {
    format_number_near(raw, None)
}

/// Formats a number for display; a national number is read in the country of `home` (an
/// E.164 number, e.g. the called line).
pub fn format_number_near(raw: &str, home: Option<&str>) -> String {
    let decoded = if raw.contains('%') {
        percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map(|t| t.into_owned())
            .unwrap_or_else(|_| raw.to_string())
    } else {
        raw.to_string()
    };
    let clean = sanitize_text(&decoded, MAX_NUMBER_CHARS);
    let Some((international, digits)) = digits_of(&clean) else {
        return clean;
    };
    if digits.is_empty() {
        return clean;
    }
    if international {
        let e164 = format!("+{digits}");
        return match phonenumber::parse(None, &e164) {
            Ok(n) => n.format().mode(Mode::International).to_string(),
            Err(_) => e164,
        };
    }
    match home.and_then(region_of) {
        Some(region) => match phonenumber::parse(Some(region), &digits) {
            Ok(n) if phonenumber::is_valid(&n) => n.format().mode(Mode::National).to_string(),
            _ => digits,
        },
        None => digits,
    }
}

/// The country of an E.164 number.
fn region_of(e164: &str) -> Option<country::Id> {
    let (true, digits) = digits_of(e164)? else {
        return None;
    };
    phonenumber::parse(None, format!("+{digits}"))
        .ok()?
        .country()
        .id()
}

/// `(is_international, digits)` when `s` is made only of digits, an optional leading `+` and
/// visual separators; `00` as international prefix counts as `+`.
fn digits_of(s: &str) -> Option<(bool, String)> {
    let mut international = false;
    let mut digits = String::new();
    for (i, c) in s.char_indices() {
        match c {
            '+' if i == 0 => international = true,
            '0'..='9' => digits.push(c),
            ' ' | '.' | '-' | '(' | ')' | '/' => {}
            _ => return None,
        }
    }
    if !international && digits.len() > 4 && digits.starts_with("00") {
        international = true;
        digits.drain(..2);
    }
    Some((international, digits))
}

#[cfg(test)]
mod tests {
    use super::{format_number, format_number_near};

    #[test]
    fn formats_common_numbers() {
        assert_eq!(format_number("+33253437555"), "+33 2 53 43 75 55");
        assert_eq!(format_number("+33 6 12 34 56 78"), "+33 6 12 34 56 78");
        assert_eq!(format_number("0033612345678"), "+33 6 12 34 56 78");
        assert_eq!(format_number("1001"), "1001");
        assert_eq!(format_number("+33"), "+33");
        // Formerly grouped by hand (3-3-4 with spaces, or threes after the country code).
        assert_eq!(format_number("+15550001111"), "+1 555-000-1111");
        // Too short for Ireland: no pattern of the country fits, the digits stay together.
        assert_eq!(format_number("+3531234567"), "+353 1234567");
        assert_eq!(format_number("5550001111"), "5550001111");
    }

    #[test]
    fn each_country_by_its_own_rules() {
        // Germany: area code 30 (Berlin), then the subscriber number in one block.
        assert_eq!(format_number("+49 305 555 0100"), "+49 30 55550100");
        assert_eq!(format_number("+4930123456"), "+49 30 123456");
        // United Kingdom: 2-digit area code 23 (Portsmouth), 4-4.
        assert_eq!(format_number("+442392000148"), "+44 23 9200 0148");
        assert_eq!(format_number("+442079460958"), "+44 20 7946 0958");
        // Ireland: Dublin is 1.
        assert_eq!(format_number("+35312345678"), "+353 1 234 5678");
        // North America: 3-3-4 with dashes.
        assert_eq!(format_number("+12125550101"), "+1 212-555-0101");
        // Italy keeps its leading 0 in the international format.
        assert_eq!(format_number("+390612345678"), "+39 06 1234 5678");
        // Switzerland.
        assert_eq!(format_number("+41446681800"), "+41 44 668 18 00");
    }

    #[test]
    fn national_numbers_in_the_country_of_the_line() {
        let fr = Some("+33253437500");
        let gb = Some("+442079460000");
        assert_eq!(format_number_near("0253437555", fr), "02 53 43 75 55");
        assert_eq!(format_number_near("0612345678", fr), "06 12 34 56 78");
        assert_eq!(format_number_near("02392000148", gb), "023 9200 0148");
        // No country known, or not a number there: digits as they came.
        assert_eq!(format_number("0253437555"), "0253437555");
        assert_eq!(format_number_near("1001", fr), "1001");
    }

    #[test]
    fn percent_escapes_never_shown() {
        assert_eq!(format_number("+44%2023%209200%200148"), "+44 23 9200 0148");
        assert_eq!(format_number("%FF"), "%FF");
    }

    #[test]
    fn leaves_names_alone_but_clean() {
        assert_eq!(format_number("anonymous"), "anonymous");
        assert_eq!(format_number("alice\r\nBcc: x"), "alice Bcc: x");
        assert_eq!(format_number(""), "");
        assert_eq!(format_number("+"), "+");
    }
}
