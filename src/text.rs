//! Text from the outside made safe to show: a caller's name or number, a far end's reason,
//! anything an email, a PDF or a log line repeats. A leaf, so that SIP (caller id) and the
//! services that print (delivery, outbound) share one definition.

/// Replaces every control character (CR, LF, TAB, DEL, C1 controls, Unicode line and paragraph
/// separators, bidirectional overrides) with a space, collapses runs of white space, trims,
/// and cuts the text to `max_chars` characters.
///
/// Applied to every caller-controlled value before it reaches a header or a body, so a caller
/// name such as `"x\r\nBcc: evil@x"` cannot add a header and cannot disguise itself.
pub fn sanitize_text(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars * 4));
    let mut count = 0;
    let mut pending_space = false;
    for c in s.chars() {
        let blank = c.is_control()
            || c.is_whitespace()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}');
        if blank {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            if count + 1 >= max_chars {
                break;
            }
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        if count >= max_chars {
            break;
        }
        out.push(c);
        count += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sanitize_text;

    #[test]
    fn sanitize_removes_line_breaks_and_controls() {
        assert_eq!(sanitize_text("Zoé\r\nBcc: evil@x", 100), "Zoé Bcc: evil@x");
        assert_eq!(
            sanitize_text("  a\t\tb \u{7f}c\u{85}d\u{2028}e  ", 100),
            "a b c d e"
        );
        assert_eq!(sanitize_text("\u{202E}gnp.exe", 100), "gnp.exe");
        assert_eq!(sanitize_text("abcdef", 3), "abc");
        assert_eq!(sanitize_text("ab   cdef", 3), "ab");
        assert_eq!(sanitize_text("\r\n", 10), "");
    }
}
