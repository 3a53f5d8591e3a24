//! Text on PDF pages drawn with the built-in fonts (Helvetica, Courier): the one toolkit of the
//! PDFs faxvox composes itself (the cover page of an outbound fax, its transmission report,
//! the monthly statement).
//!
//! - **Encoding**: printpdf writes the built-in fonts with `/WinAnsiEncoding` (Windows-1252,
//!   PDF 32000-1 Annex D.2), one byte a character, so French and the other Western European
//!   languages, `€`, `œ` and typographic quotes and dashes print; any other character cannot.
//!   [`win_ansi`] is the table; [`printable`] replaces what it lacks, by an explicit
//!   [`Fallback`] rule, before the text reaches printpdf.
//! - **Measuring and wrapping**: [`helvetica_width`] gives Adobe's standard advance widths
//!   (those a renderer uses for a non-embedded Helvetica); [`wrap`] breaks a paragraph greedily
//!   at spaces into lines no wider than a width, under any per-character measure
//!   ([`one_per_char`] wraps by character count, which is exact for Courier).
//! - **Placing**: [`text_ops`] draws a run of text with its baseline measured down from the
//!   top of the page, the way layouts are written, on PDF's bottom-up coordinates.
//! - **Times**: [`local_time`] and [`local_time_with_zone`] show an instant in a time zone
//!   (daylight saving time included), the forms the documents print.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use printpdf::{BuiltinFont, Mm, Op, PdfFontHandle, Point, Pt, TextItem};

/// Millimetres per inch and points per inch, to convert page lengths into text widths.
const MM_PER_INCH: f32 = 25.4;
const PT_PER_INCH: f32 = 72.0;

// ------------------------------------------------------------------------------ encoding

/// The WinAnsiEncoding byte of `c` (PDF 32000-1 Annex D.2), the encoding printpdf writes the
/// built-in fonts in; `None` when it has none (control characters included).
pub fn win_ansi(c: char) -> Option<u8> {
    match c as u32 {
        cp @ 0x20..=0x7e => return Some(cp as u8),
        cp @ 0xa0..=0xff => return Some(cp as u8),
        _ => {}
    }
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '\u{201c}' => 0x93,
        '\u{201d}' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        _ => return None,
    })
}

/// What replaces a character a built-in font cannot show. The documents differ on purpose:
/// a transmission report keeps a tab inside a failure reason as a gap, a cover page turns
/// any whitespace of a directory name into a space, and text handed to printpdf as it is
/// gets printpdf's own `?`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fallback {
    /// Every whitespace character (tab, line break, no-break space, line separator) becomes
    /// a space, before any other rule; when false, whitespace follows the other rules.
    pub whitespace_to_space: bool,
    /// What a control character becomes.
    pub control: char,
    /// What a character without a WinAnsi byte becomes.
    pub unencodable: char,
}

impl Fallback {
    /// printpdf's own rule for the built-in fonts: anything without a WinAnsi byte, control
    /// characters included, is `?`. Text handed to printpdf unchanged is shown this way.
    pub const QUESTION_MARK: Fallback = Fallback {
        whitespace_to_space: false,
        control: '?',
        unencodable: '?',
    };
    /// Control characters become spaces (a tab or a line break inside a one-line value stays
    /// a gap), other characters without a WinAnsi byte `?`; a no-break space stays one.
    pub const CONTROL_AS_SPACE: Fallback = Fallback {
        whitespace_to_space: false,
        control: ' ',
        unencodable: '?',
    };
    /// Any whitespace becomes a space; other control characters and characters without a
    /// WinAnsi byte become `?`.
    pub const WHITESPACE_AS_SPACE: Fallback = Fallback {
        whitespace_to_space: true,
        control: '?',
        unencodable: '?',
    };
}

/// `s` with every character a built-in font cannot show replaced by `fallback`: the result
/// has the same number of characters, all of them with a WinAnsi byte.
pub fn printable(s: &str, fallback: Fallback) -> String {
    s.chars()
        .map(|c| match c {
            c if fallback.whitespace_to_space && c.is_whitespace() => ' ',
            c if c.is_control() => fallback.control,
            c if win_ansi(c).is_none() => fallback.unencodable,
            c => c,
        })
        .collect()
}

/// The bytes printpdf writes for `s` in a built-in font: WinAnsi, `?` for what it lacks
/// ([`Fallback::QUESTION_MARK`]).
pub fn encode_win_ansi(s: &str) -> Vec<u8> {
    s.chars().map(|c| win_ansi(c).unwrap_or(b'?')).collect()
}

// ------------------------------------------------------------------------------ measuring

/// Advance width of `c` in Helvetica, 1/1000 em; a character without a glyph in the
/// built-in font counts as the widest (1000), so a line measured with it never overflows.
pub fn helvetica_width(c: char) -> u32 {
    match win_ansi(c) {
        Some(b) if b >= 0x20 => match HELVETICA[usize::from(b - 0x20)] {
            0 => 1000,
            w => u32::from(w),
        },
        _ => 1000,
    }
}

/// Every character one unit: with it, widths are character counts and [`wrap`] wraps by
/// characters (exact for Courier, where every glyph is 600/1000 em wide).
pub fn one_per_char(_: char) -> u32 {
    1
}

/// Width of `s` under the per-character measure `width_of`.
pub fn text_width(s: &str, width_of: impl Fn(char) -> u32) -> u32 {
    s.chars().map(width_of).sum()
}

/// How many 1/1000 em of `size_pt` text fit in `mm` millimetres: the width a [`wrap`] under
/// [`helvetica_width`] may fill in a column `mm` wide.
pub fn em_units(mm: f32, size_pt: f32) -> f32 {
    let pt = mm / MM_PER_INCH * PT_PER_INCH;
    pt / size_pt * 1000.0
}

/// Greedy word wrap of one paragraph into lines no wider than `max_width` under `width_of`,
/// breaking at spaces; runs of spaces collapse; a word wider than a line is cut where it
/// overflows. An empty (or all-space) paragraph is one empty line.
pub fn wrap(paragraph: &str, max_width: u32, width_of: impl Fn(char) -> u32) -> Vec<String> {
    let mut lines = Vec::new();
    wrap_into(paragraph, max_width, width_of, &mut lines);
    lines
}

/// [`wrap`], appending the lines to `out` (paragraph after paragraph).
pub fn wrap_into(
    paragraph: &str,
    max_width: u32,
    width_of: impl Fn(char) -> u32,
    out: &mut Vec<String>,
) {
    let mut line = String::new();
    let mut line_w = 0u32;
    let space = width_of(' ');
    let mut any = false;
    for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
        any = true;
        let word_w = text_width(word, &width_of);
        let needed = if line.is_empty() {
            word_w
        } else {
            line_w + space + word_w
        };
        if needed <= max_width {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
            line_w = needed;
            continue;
        }
        if !line.is_empty() {
            out.push(std::mem::take(&mut line));
            line_w = 0;
        }
        if word_w <= max_width {
            line.push_str(word);
            line_w = word_w;
            continue;
        }
        // A word wider than the line: cut it where it overflows.
        for c in word.chars() {
            let w = width_of(c);
            if line_w + w > max_width && !line.is_empty() {
                out.push(std::mem::take(&mut line));
                line_w = 0;
            }
            line.push(c);
            line_w += w;
        }
    }
    if !line.is_empty() || !any {
        out.push(line);
    }
}

/// `s` as it is when it fits `max_width` under `width_of`; otherwise cut, trailing spaces
/// dropped, with an ellipsis (`…`) so that it fits.
pub fn truncate(s: &str, max_width: u32, width_of: impl Fn(char) -> u32) -> String {
    if text_width(s, &width_of) <= max_width {
        return s.to_string();
    }
    let budget = max_width.saturating_sub(width_of('…'));
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = width_of(c);
        if w + cw > budget {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// Helvetica advance widths (Adobe's standard AFM), 1/1000 em, for WinAnsi bytes 0x20–0xFF
/// (0: no character at that byte).
#[rustfmt::skip]
const HELVETICA: [u16; 224] = [
     278,  278,  355,  556,  556,  889,  667,  191,  333,  333,  389,  584,  278,  333,  278,  278, // 0x20
     556,  556,  556,  556,  556,  556,  556,  556,  556,  556,  278,  278,  584,  584,  584,  556, // 0x30
    1015,  667,  667,  722,  722,  667,  611,  778,  722,  278,  500,  667,  556,  833,  722,  778, // 0x40
     667,  778,  722,  667,  611,  722,  667,  944,  667,  667,  611,  278,  278,  278,  469,  556, // 0x50
     333,  556,  556,  500,  556,  556,  278,  556,  556,  222,  222,  500,  222,  833,  556,  556, // 0x60
     556,  556,  333,  500,  278,  556,  500,  722,  500,  500,  500,  334,  260,  334,  584,    0, // 0x70
     556,    0,  222,  556,  333, 1000,  556,  556,  333, 1000,  667,  333, 1000,    0,  611,    0, // 0x80
       0,  222,  222,  333,  333,  350,  556, 1000,  333, 1000,  500,  333,  944,    0,  500,  667, // 0x90
     278,  333,  556,  556,  556,  556,  260,  556,  333,  737,  370,  556,  584,  333,  737,  333, // 0xA0
     400,  584,  333,  333,  333,  556,  537,  278,  333,  333,  365,  556,  834,  834,  834,  611, // 0xB0
     667,  667,  667,  667,  667,  667, 1000,  722,  667,  667,  667,  667,  278,  278,  278,  278, // 0xC0
     722,  722,  778,  778,  778,  778,  778,  584,  778,  722,  722,  722,  722,  667,  667,  611, // 0xD0
     556,  556,  556,  556,  556,  556,  889,  500,  556,  556,  556,  556,  278,  278,  278,  278, // 0xE0
     556,  556,  556,  556,  556,  556,  556,  584,  611,  556,  556,  556,  556,  500,  556,  500, // 0xF0
];

// ------------------------------------------------------------------------------ placing

/// The printpdf operations drawing `text` in the built-in `font` at `size_pt`, its left edge
/// `x_mm` from the left of the page and its baseline `baseline_mm` down from the top of a
/// page `page_height_mm` tall. The text is written as given (an empty text too): printpdf
/// shows what WinAnsi lacks as `?`, so pass it through [`printable`] for another rule.
pub fn text_ops(
    font: BuiltinFont,
    size_pt: f32,
    x_mm: f32,
    baseline_mm: f32,
    page_height_mm: f32,
    text: String,
) -> [Op; 5] {
    [
        Op::StartTextSection,
        Op::SetTextCursor {
            pos: Point::new(Mm(x_mm), Mm(page_height_mm - baseline_mm)),
        },
        Op::SetFont {
            font: PdfFontHandle::Builtin(font),
            size: Pt(size_pt),
        },
        Op::ShowText {
            items: vec![TextItem::Text(text)],
        },
        Op::EndTextSection,
    ]
}

// ------------------------------------------------------------------------------ times

/// `ts` in `zone` as `2026-11-27 08:15:30` (a table column: no zone, fixed width).
pub fn local_time(ts: Timestamp, zone: &TimeZone) -> String {
    ts.to_zoned_datetime(zone.clone())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// `ts` in `zone` with the zone's abbreviation at that instant, `2026-11-27 08:15:30 CET`
/// (`CEST` in summer): the reader sees which offset a time is in.
pub fn local_time_with_zone(ts: Timestamp, zone: &TimeZone) -> String {
    ts.to_zoned_datetime(zone.clone())
        .strftime("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// `ts` in `zone` to the minute with the zone's abbreviation, `2026-11-27 08:15 CET`: the
/// time a fax machine prints in the header line of a page it sends.
pub fn local_minute_with_zone(ts: Timestamp, zone: &TimeZone) -> String {
    ts.to_zoned_datetime(zone.clone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accented_letters_and_typography_encode_to_their_win_ansi_bytes() {
        assert_eq!(encode_win_ansi("café"), b"caf\xe9");
        assert_eq!(
            encode_win_ansi("À Ç é è ê ë ï ô ù ÿ"),
            b"\xc0 \xc7 \xe9 \xe8 \xea \xeb \xef \xf4 \xf9 \xff"
        );
        assert_eq!(
            encode_win_ansi("œ Œ Ÿ € … – — ‘’ “” •"),
            b"\x9c \x8c \x9f \x80 \x85 \x96 \x97 \x91\x92 \x93\x94 \x95"
        );
        assert_eq!(encode_win_ansi("« »\u{a0}"), b"\xab \xbb\xa0");
        assert_eq!(win_ansi('Ž'), Some(0x8e));
        // The five holes of 0x80–0x9F and the C1 controls have no character.
        assert_eq!(win_ansi('\u{81}'), None);
        assert_eq!(win_ansi('\u{9d}'), None);
    }

    #[test]
    fn characters_outside_win_ansi_fall_back() {
        // printpdf's rule: `?` for everything without a byte, control characters included.
        assert_eq!(encode_win_ansi("✓ 你 😀\t\u{7}\u{2028}"), b"? ? ????");
        let s = "a\tb\u{7}c\u{a0}d\u{2028}e✓f\u{85}g";
        assert_eq!(printable(s, Fallback::QUESTION_MARK), "a?b?c\u{a0}d?e?f?g");
        assert_eq!(
            printable(s, Fallback::CONTROL_AS_SPACE),
            "a b c\u{a0}d?e?f g"
        );
        assert_eq!(printable(s, Fallback::WHITESPACE_AS_SPACE), "a b?c d e?f g");
        // What printable lets through is exactly what printpdf encodes without a `?`.
        for f in [
            Fallback::QUESTION_MARK,
            Fallback::CONTROL_AS_SPACE,
            Fallback::WHITESPACE_AS_SPACE,
        ] {
            assert!(printable(s, f).chars().all(|c| win_ansi(c).is_some()));
        }
        assert_eq!(
            encode_win_ansi(&printable("Coût 1 € ✓\u{7}", Fallback::CONTROL_AS_SPACE)),
            b"Co\xfbt 1 \x80 ? "
        );
    }

    #[test]
    fn helvetica_widths() {
        assert_eq!(helvetica_width(' '), 278);
        assert_eq!(helvetica_width('W'), 944);
        assert_eq!(helvetica_width('i'), 222);
        assert_eq!(helvetica_width('é'), 556);
        assert_eq!(helvetica_width('€'), 556);
        assert_eq!(helvetica_width('…'), 1000);
        assert_eq!(helvetica_width('@'), 1015);
        // No glyph, or no byte: the widest.
        assert_eq!(helvetica_width('\u{81}'), 1000);
        assert_eq!(helvetica_width('✓'), 1000);
        assert_eq!(
            text_width("Hello", helvetica_width),
            722 + 556 + 222 + 222 + 556
        );
        assert_eq!(text_width("été", one_per_char), 3);
        // 170 mm of 12 pt text.
        assert_eq!(em_units(170.0, 12.0) as u32, 40157);
        assert_eq!(em_units(25.4, 10.0), 7200.0);
    }

    #[test]
    fn wrap_by_characters() {
        assert_eq!(wrap("a bb ccc", 4, one_per_char), vec!["a bb", "ccc"]);
        assert_eq!(
            wrap("abcdefghij", 4, one_per_char),
            vec!["abcd", "efgh", "ij"]
        );
        assert_eq!(
            wrap("ab abcdefgh x", 4, one_per_char),
            vec!["ab", "abcd", "efgh", "x"]
        );
        assert_eq!(wrap("abcdef gh", 4, one_per_char), vec!["abcd", "ef", "gh"]);
        assert_eq!(wrap("  a   b  ", 4, one_per_char), vec!["a b"]);
        assert_eq!(wrap("", 4, one_per_char), vec![""]);
        assert_eq!(wrap("   ", 4, one_per_char), vec![""]);
    }

    #[test]
    fn wrap_by_measured_width() {
        // "iiii" is 888 wide, "WW" 1888: half the characters, twice the room.
        // "iiii iiii" is 888 + 278 + 888 = 2054.
        let max = 2100;
        assert_eq!(
            wrap("iiii iiii WW WW", max, helvetica_width),
            vec!["iiii iiii", "WW", "WW"]
        );
        assert_eq!(
            wrap("iiii iiii", 2053, helvetica_width),
            vec!["iiii", "iiii"]
        );
        assert_eq!(wrap("iiii iiii", 2054, helvetica_width), vec!["iiii iiii"]);
        // A word wider than the line is cut where it overflows: 2 W fit in 2100, not 3.
        assert_eq!(wrap("WWWWW", max, helvetica_width), vec!["WW", "WW", "W"]);
        let lines = wrap(&"lorem ipsum dolor ".repeat(20), 10_000, helvetica_width);
        assert!(lines.len() > 1);
        assert!(lines
            .iter()
            .all(|l| text_width(l, helvetica_width) <= 10_000));
        let mut out = vec!["kept".to_string()];
        wrap_into("a", 10, one_per_char, &mut out);
        wrap_into("", 10, one_per_char, &mut out);
        assert_eq!(out, vec!["kept", "a", ""]);
    }

    #[test]
    fn truncate_with_an_ellipsis() {
        assert_eq!(truncate("short", 5, one_per_char), "short");
        assert_eq!(truncate("abc defgh", 5, one_per_char), "abc…");
        assert_eq!(truncate("abcdefgh", 5, one_per_char), "abcd…");
        let t = truncate(&"W".repeat(20), 5000, helvetica_width);
        assert_eq!(t, "WWWW…");
        assert!(text_width(&t, helvetica_width) <= 5000);
    }

    #[test]
    fn text_is_placed_from_the_top() {
        let ops = text_ops(
            BuiltinFont::Courier,
            8.0,
            15.0,
            20.0,
            297.0,
            "x".to_string(),
        );
        assert!(matches!(ops[0], Op::StartTextSection));
        match &ops[1] {
            Op::SetTextCursor { pos } => {
                assert_eq!(*pos, Point::new(Mm(15.0), Mm(277.0)));
            }
            other => panic!("{other:?}"),
        }
        match &ops[2] {
            Op::SetFont { font, size } => {
                assert_eq!(*font, PdfFontHandle::Builtin(BuiltinFont::Courier));
                assert_eq!(*size, Pt(8.0));
            }
            other => panic!("{other:?}"),
        }
        match &ops[3] {
            Op::ShowText { items } => assert_eq!(items, &vec![TextItem::Text("x".into())]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(ops[4], Op::EndTextSection));
    }

    #[test]
    fn local_times_in_paris_across_daylight_saving_time() {
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        // Winter: UTC+1.
        assert_eq!(
            local_time_with_zone(at("2026-11-27T07:15:30Z"), &paris),
            "2026-11-27 08:15:30 CET"
        );
        // Summer time starts on 29 March 2026 at 01:00 UTC: 02:00 CET becomes 03:00 CEST.
        assert_eq!(
            local_time_with_zone(at("2026-03-29T00:59:59Z"), &paris),
            "2026-03-29 01:59:59 CET"
        );
        assert_eq!(
            local_time_with_zone(at("2026-03-29T01:00:00Z"), &paris),
            "2026-03-29 03:00:00 CEST"
        );
        // It ends on 25 October 2026 at 01:00 UTC: 02:30 happens twice.
        assert_eq!(
            local_time(at("2026-10-25T00:30:00Z"), &paris),
            "2026-10-25 02:30:00"
        );
        assert_eq!(
            local_time(at("2026-10-25T01:30:00Z"), &paris),
            "2026-10-25 02:30:00"
        );
        assert_eq!(
            local_time_with_zone(at("2026-10-25T01:30:00Z"), &paris),
            "2026-10-25 02:30:00 CET"
        );
        assert_eq!(
            local_time(at("2026-07-01T12:00:00Z"), &TimeZone::UTC),
            "2026-07-01 12:00:00"
        );
    }
}
