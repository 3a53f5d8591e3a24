//! The caller's identity as the wire gives it, taken apart the way SIP and tel URIs define it,
//! sans-IO.
//!
//! A `From` header is a name-addr (`"Zoé" <sip:+33612345678@host>`) or an addr-spec
//! (RFC 3261 §20.10, §25.1). Its display name may be a quoted string with `\"` escapes; its
//! user part is percent-encoded (RFC 3261 §19.1.2: `+44%2023%209200%200148`) and may be a
//! telephone-subscriber with parameters (`+1-212-555-1212;phone-context=…`, RFC 3261 §19.1.6);
//! a `tel:` URI (RFC 3966) carries the number with visual separators (`-`, `.`, `(`, `)`).
//!
//! [`caller_identity`] turns such a header into a number fit for facts, emails and call
//! records: percent-decoded, separators dropped, E.164 (`+442392000148`) where it can be; a
//! local number stays as digits (made global with a `phone-context=+CC` when libphonenumber
//! says the result is a number); anything else (`anonymous`, `alice`) is kept as text without
//! control or bidirectional characters and bounded in length. Nothing raw reaches a person.
//!
//! [`identity_headers`] is the other direction: who we are on an outbound INVITE.

use percent_encoding::percent_decode_str;

use crate::text::sanitize_text;

/// Longest caller number kept, in characters (E.164 needs 16; SIP user names can be longer).
pub const MAX_NUMBER_CHARS: usize = 64;
/// Longest display name kept, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// E.164 caps a number at 15 digits, country code included.
const E164_MAX_DIGITS: usize = 15;

/// Who is calling, as far as the header says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallerIdentity {
    /// The number: E.164 when it is one, local digits, or cleaned text; empty when the URI
    /// has no user part.
    pub number: String,
    /// The display name, unescaped and cleaned; `None` when absent or blank.
    pub display: Option<String>,
}

/// Reads a `From` (or `P-Asserted-Identity`) header value; `None` when it holds no URI.
pub fn caller_identity(header_value: &str) -> Option<CallerIdentity> {
    let (display, uri) = split_name_addr(header_value)?;
    Some(CallerIdentity {
        number: number_from_uri(uri),
        display: display.as_deref().and_then(clean_display_name),
    })
}

/// Splits a name-addr or addr-spec into its raw display name (quoted-string escapes already
/// undone) and its URI.
fn split_name_addr(value: &str) -> Option<(Option<String>, &str)> {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix('"') {
        // quoted-string: `\x` stands for `x` (quoted-pair), the first lone `"` ends it.
        let mut name = String::new();
        let mut chars = rest.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        name.push(escaped);
                    }
                }
                '"' => {
                    end = Some(i + 1);
                    break;
                }
                _ => name.push(c),
            }
        }
        let after = rest[end?..].trim_start();
        let uri = bracketed(after)?;
        return Some((Some(name), uri));
    }
    if let Some(lt) = value.find('<') {
        let name = value[..lt].trim();
        let uri = bracketed(&value[lt..])?;
        return Some(((!name.is_empty()).then(|| name.to_string()), uri));
    }
    // addr-spec: a URI with `;` or `?` must be bracketed, so they start header parameters.
    let uri = value.split([';', '?', ',']).next().unwrap_or("").trim();
    (!uri.is_empty()).then_some((None, uri))
}

/// The URI between `<` and `>` at the start of `s`.
fn bracketed(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('<')?;
    let gt = inner.find('>')?;
    Some(inner[..gt].trim())
}

/// The caller number in a SIP, SIPS or tel URI (see the module documentation); empty when
/// there is none (a host-only URI, another scheme).
pub fn number_from_uri(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return String::new();
    };
    let subscriber = match scheme.trim().to_ascii_lowercase().as_str() {
        "sip" | "sips" => {
            let rest = rest.split('?').next().unwrap_or("");
            let Some((userinfo, _host)) = rest.split_once('@') else {
                return String::new();
            };
            // `user:password` is deprecated but allowed; a telephone-subscriber has no `:`.
            userinfo.split(':').next().unwrap_or("")
        }
        "tel" => rest,
        _ => return String::new(),
    };
    normalize_subscriber(subscriber)
}

/// A user part or tel URI body (`number;param=value…`, percent-encoded) to the caller number.
pub fn normalize_subscriber(subscriber: &str) -> String {
    let mut parts = subscriber.split(';');
    let number = parts.next().unwrap_or("");
    let context = parts.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("phone-context")
            .then(|| decode(value))
    });
    let decoded = decode(number);
    let Some(compact) = without_separators(&decoded) else {
        return sanitize_text(&decoded, MAX_NUMBER_CHARS);
    };
    if let Some(digits) = compact.strip_prefix('+') {
        if !digits.is_empty() && digits.len() <= E164_MAX_DIGITS {
            return compact;
        }
    } else if let Some(global) = context.as_deref().and_then(|c| in_context(&compact, c)) {
        return global;
    } else if !compact.is_empty() && compact.len() <= MAX_NUMBER_CHARS {
        return compact;
    }
    sanitize_text(&decoded, MAX_NUMBER_CHARS)
}

/// Percent-decodes `s`; when the bytes are not UTF-8 the escaped text is kept as it is.
fn decode(s: &str) -> String {
    match percent_decode_str(s).decode_utf8() {
        Ok(text) => text.into_owned(),
        Err(_) => s.to_string(),
    }
}

/// `+`? digits once the RFC 3966 visual separators (and spaces) are dropped; `None` when
/// anything else is there.
fn without_separators(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.trim().char_indices() {
        match c {
            '+' if i == 0 => out.push(c),
            '0'..='9' => out.push(c),
            '-' | '.' | '(' | ')' | ' ' => {}
            _ => return None,
        }
    }
    (out.len() > usize::from(out.starts_with('+'))).then_some(out)
}

/// A local number made global by a `phone-context=+CC…` (RFC 3966 §5.1.5), in E.164, when
/// libphonenumber recognises the result as a number of that country.
fn in_context(local: &str, context: &str) -> Option<String> {
    let prefix = without_separators(context)?;
    let prefix_digits = prefix.strip_prefix('+')?;
    // The context names the country (or an area of it); the local number is read as that
    // country's national form (`06 12 34 56 78` in `+33`).
    let region = region_of_code(prefix_digits)?;
    let parsed = phonenumber::parse(Some(region), local).ok()?;
    let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
    (phonenumber::is_valid(&parsed) && e164.len() <= E164_MAX_DIGITS + 1).then_some(e164)
}

/// The main region of the country code at the start of `digits` (`33…` → FR).
fn region_of_code(digits: &str) -> Option<phonenumber::country::Id> {
    let db = &*phonenumber::metadata::DATABASE;
    for len in 1..=3.min(digits.len()) {
        let Ok(code) = digits[..len].parse::<u16>() else {
            continue;
        };
        if let Some(meta) = db.by_code(&code).and_then(|m| m.into_iter().next()) {
            return meta.id().parse().ok();
        }
    }
    None
}

/// A display name fit to show: percent escapes undone when they spell UTF-8 text, control
/// and bidirectional characters removed, length bounded; `None` when nothing is left.
fn clean_display_name(raw: &str) -> Option<String> {
    let decoded = if raw.contains('%') {
        decode(raw)
    } else {
        raw.to_string()
    };
    let clean = sanitize_text(&decoded, MAX_NAME_CHARS);
    (!clean.is_empty()).then_some(clean)
}

/// The caller identity of an outbound INVITE beyond From: the account's number asserted to
/// the trunk (`P-Asserted-Identity`, RFC 3325) on every call, so the operator's network knows
/// who calls even when the caller is masked; a masked caller also gets the anonymous From URI
/// and `Privacy: id` (RFC 3323), which asks the trunk to withhold the number from the called
/// party. Returns (From URI override, extra headers). `request_uri` is `sip:NUMBER@HOST…`.
pub fn identity_headers(
    from: &str,
    request_uri: &str,
    anonymous: bool,
) -> (Option<String>, Vec<(String, String)>) {
    let host = request_uri
        .strip_prefix("sip:")
        .and_then(|r| r.rsplit_once('@').map(|(_, h)| h))
        .map(|h| h.split(';').next().unwrap_or(h))
        .unwrap_or("invalid");
    let mut headers = vec![(
        "P-Asserted-Identity".to_string(),
        format!("<sip:{from}@{host};user=phone>"),
    )];
    if anonymous {
        headers.push(("Privacy".to_string(), "id".to_string()));
        (Some("sip:anonymous@anonymous.invalid".to_string()), headers)
    } else {
        (None, headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(header: &str) -> String {
        caller_identity(header).expect(header).number
    }

    fn display(header: &str) -> Option<String> {
        caller_identity(header).expect(header).display
    }

    #[test]
    fn percent_encoded_user_parts_are_decoded() {
        assert_eq!(
            number("<sip:+44%2023%209200%200148@127.0.0.1:5060>;tag=a"),
            "+442392000148"
        );
        assert_eq!(
            number("\"Zoé\" <sip:+33%206%2012%2034%2056%2078@gw>"),
            "+33612345678"
        );
        assert_eq!(number("sip:%2B33612345678@gw;tag=1"), "+33612345678");
        assert_eq!(number("<sip:alice%40home@gw>"), "alice@home");
    }

    #[test]
    fn tel_uris_drop_visual_separators() {
        assert_eq!(number("<tel:+1-212-555-0101>"), "+12125550101");
        assert_eq!(number("<tel:+33.6.12.34.56.78>;tag=x"), "+33612345678");
        assert_eq!(number("tel:+1(212)555-0101"), "+12125550101");
        // A local number in the context of a country: E.164 when it is a number there.
        assert_eq!(
            number("<tel:06-12-34-56-78;phone-context=+33>"),
            "+33612345678"
        );
        assert_eq!(number("<tel:1001;phone-context=example.com>"), "1001");
        assert_eq!(number("<tel:7042;phone-context=+33>"), "7042");
    }

    #[test]
    fn sip_uris_with_user_phone() {
        assert_eq!(
            number("<sip:+1-212-555-0101;phone-context=+1@gw.example;user=phone>"),
            "+12125550101"
        );
        assert_eq!(
            number("<sip:0612345678;phone-context=+33@gw;user=phone>;tag=9"),
            "+33612345678"
        );
        assert_eq!(number("<sips:+33612345678@gw;user=phone>"), "+33612345678");
        assert_eq!(number("<sip:user:secret@gw>"), "user");
        assert_eq!(number("<sip:gw.example>"), "");
        assert_eq!(number("<urn:service:sos>"), "");
        assert_eq!(number("<sip:anonymous@anonymous.invalid>"), "anonymous");
    }

    #[test]
    fn garbage_is_cleaned_and_bounded() {
        // Control characters and bidirectional overrides never survive.
        let n = number("<sip:evil%0D%0ABcc%3A%20x%E2%80%AEgpj.exe@gw>");
        assert!(!n.chars().any(|c| c.is_control()), "{n:?}");
        assert!(!n.contains('\u{202E}'), "{n:?}");
        assert_eq!(n, "evil Bcc: x gpj.exe");
        // Not UTF-8 once decoded: the escaped text is kept.
        assert_eq!(number("<sip:%FF%FE@gw>"), "%FF%FE");
        // Overlong: bounded, and more than 15 digits is not E.164.
        let long = format!("<sip:+{}@gw>", "1".repeat(40));
        let n = number(&long);
        assert!(n.chars().count() <= MAX_NUMBER_CHARS, "{n}");
        let huge = format!("<sip:{}@gw>", "x".repeat(5000));
        assert_eq!(number(&huge).chars().count(), MAX_NUMBER_CHARS);
        assert_eq!(number("<sip:+@gw>"), "+");
        assert!(caller_identity("").is_none());
        assert!(caller_identity("\"unterminated <sip:a@b>").is_none());
    }

    #[test]
    fn display_names_unescaped() {
        assert_eq!(
            display("\"Zo\\\"\\\\e\" <sip:1@gw>").as_deref(),
            Some("Zo\"\\e")
        );
        assert_eq!(
            display("\"A <B>, C\" <sip:1@gw>").as_deref(),
            Some("A <B>, C")
        );
        assert_eq!(
            display("Zo%C3%A9 Lef%C3%A8vre <sip:1@gw>").as_deref(),
            Some("Zoé Lefèvre")
        );
        assert_eq!(display("\"100%\" <sip:1@gw>").as_deref(), Some("100%"));
        assert_eq!(display("\"\\r\\n\" <sip:1@gw>"), Some("rn".into()));
        assert_eq!(
            display("\"a\r\nBcc: b\" <sip:1@gw>").as_deref(),
            Some("a Bcc: b")
        );
        assert_eq!(display("\"  \" <sip:1@gw>"), None);
        assert_eq!(display("<sip:1@gw>"), None);
        assert_eq!(display("sip:1@gw;tag=x"), None);
        let long = format!("\"{}\" <sip:1@gw>", "é".repeat(1000));
        assert_eq!(display(&long).unwrap().chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn identity() {
        let (uri, h) = identity_headers("+33100000001", "sip:+33299001122@10.0.0.1:5060", false);
        assert_eq!(uri, None);
        assert_eq!(
            h,
            vec![(
                "P-Asserted-Identity".to_string(),
                "<sip:+33100000001@10.0.0.1:5060;user=phone>".to_string()
            )]
        );
        let (uri, h) = identity_headers(
            "+33100000001",
            "sip:+1555@trunk.example;transport=tcp",
            true,
        );
        assert_eq!(uri.as_deref(), Some("sip:anonymous@anonymous.invalid"));
        assert_eq!(h[0].1, "<sip:+33100000001@trunk.example;user=phone>");
        assert_eq!(h[1], ("Privacy".to_string(), "id".to_string()));
    }
}
