//! Phone numbers formatted for people: `+33253437555` → `+33 2 53 43 75 55`.
//!
//! Deliberately simple and deterministic (no numbering-plan database): French numbers get the
//! usual pairs, NANP numbers 3-3-4, other international numbers their ITU country code then
//! groups of three. Anything that is not a number (`anonymous`, a SIP user name) is returned
//! cleaned but otherwise unchanged.

use super::sanitize_text;

/// Longest text kept from a caller-supplied number.
const MAX_NUMBER_CHARS: usize = 64;

/// Formats a number for display. See the module documentation for the rules.
pub fn format_number(raw: &str) -> String {
    let clean = sanitize_text(raw, MAX_NUMBER_CHARS);
    let Some((international, digits)) = digits_of(&clean) else {
        return clean;
    };
    if digits.is_empty() {
        return clean;
    }
    if international {
        let cc_len = country_code_len(&digits);
        if digits.len() <= cc_len {
            return format!("+{digits}");
        }
        let (cc, national) = digits.split_at(cc_len);
        let grouped = match (cc, national.len()) {
            ("33", 9) => french_pairs(national),
            ("1", 10) => format!("{} {} {}", &national[..3], &national[3..6], &national[6..]),
            _ => groups_of_three(national),
        };
        format!("+{cc} {grouped}")
    } else if digits.len() == 10 && digits.starts_with('0') {
        // French national format: 02 53 43 75 55.
        pairs(&digits)
    } else if digits.len() <= 4 {
        digits
    } else {
        groups_of_three(&digits)
    }
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

/// Length of the ITU-T E.164 country code at the start of `digits`.
fn country_code_len(digits: &str) -> usize {
    let b = digits.as_bytes();
    match b.first() {
        Some(b'1') | Some(b'7') => 1,
        Some(_) if b.len() >= 2 => {
            let two: u32 = digits[..2].parse().unwrap_or(0);
            const TWO_DIGIT: &[u32] = &[
                20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53,
                54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94,
                95, 98,
            ];
            if TWO_DIGIT.contains(&two) {
                2
            } else {
                3.min(b.len())
            }
        }
        _ => b.len(),
    }
}

/// French national number without its leading 0: `2 53 43 75 55`.
fn french_pairs(national: &str) -> String {
    format!("{} {}", &national[..1], pairs(&national[1..]))
}

fn pairs(d: &str) -> String {
    chunked(d, &vec![2; d.len() / 2 + d.len() % 2])
}

/// Groups of three from the left; a lone trailing digit joins the previous group.
fn groups_of_three(d: &str) -> String {
    let n = d.len();
    if n <= 4 {
        return d.to_string();
    }
    let mut sizes = vec![3; n / 3];
    match n % 3 {
        0 => {}
        1 => *sizes.last_mut().expect("n > 4") += 1,
        _ => sizes.push(2),
    }
    chunked(d, &sizes)
}

fn chunked(d: &str, sizes: &[usize]) -> String {
    let mut out = String::with_capacity(d.len() + sizes.len());
    let mut rest = d;
    for &size in sizes {
        if rest.is_empty() {
            break;
        }
        let (head, tail) = rest.split_at(size.min(rest.len()));
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(head);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::format_number;

    #[test]
    fn formats_common_numbers() {
        assert_eq!(format_number("+33253437555"), "+33 2 53 43 75 55");
        assert_eq!(format_number("+33 6 12 34 56 78"), "+33 6 12 34 56 78");
        assert_eq!(format_number("0033612345678"), "+33 6 12 34 56 78");
        assert_eq!(format_number("0253437555"), "02 53 43 75 55");
        assert_eq!(format_number("+15550001111"), "+1 555 000 1111");
        assert_eq!(format_number("+4930123456"), "+49 301 234 56");
        assert_eq!(format_number("+35312345678"), "+353 123 456 78");
        assert_eq!(format_number("+3531234567"), "+353 123 4567");
        assert_eq!(format_number("1001"), "1001");
        assert_eq!(format_number("5550001111"), "555 000 1111");
        assert_eq!(format_number("+33"), "+33");
    }

    #[test]
    fn leaves_names_alone_but_clean() {
        assert_eq!(format_number("anonymous"), "anonymous");
        assert_eq!(format_number("alice\r\nBcc: x"), "alice Bcc: x");
        assert_eq!(format_number(""), "");
        assert_eq!(format_number("+"), "+");
    }
}
