//! The cover page of an outbound fax (`faxvox send --cover TEXT`, the API's `cover` field):
//! FAX, From, To, Date, Pages (including the cover) and the client's text, on one A4 page.
//!
//! Why it is built this way: the page is composed as a one-page PDF with printpdf's built-in
//! Helvetica and rasterised by the very code that rasterises the client's documents
//! ([`faxvox_codecs::raster::rasterize`], hayro), so there is one text renderer for all we
//! fax, real glyph outlines at fax resolution and no font file to ship. Built-in fonts are
//! WinAnsi (Windows-1252) encoded: French and the other Western European languages, `€`, `œ`
//! and typographic quotes and dashes print; any other character is **refused by name**
//! rather than printed as `?` on a page the client pays for. Line breaking uses Helvetica's
//! standard metrics (the widths hayro uses for a non-embedded Helvetica), with a margin.
//!
//! Rules for the text ([`CoverText::parse`]): at most [`MAX_COVER_CHARS`] characters; lines
//! end at newlines (CR LF and CR count as one), paragraphs are word-wrapped; tabs and
//! no-break spaces become spaces, soft hyphens and byte-order marks are dropped, every other
//! control character is refused; an empty text is refused. The cover is **one page**: a text
//! that needs more than [`MAX_COVER_LINES`] lines once wrapped is refused (a long letter is
//! a document, sent as one). The cover page is a sent page like any other: counted, priced
//! and billed.

use faxvox_codecs::pdf_text::{
    self, em_units, helvetica_width, printable, text_ops, win_ansi, wrap_into, Fallback,
};
use faxvox_codecs::raster::{self, RasterError, RasterOptions};
use faxvox_codecs::{Page, Resolution};
use printpdf::{
    BuiltinFont, Line, LinePoint, Mm, Op, PdfDocument, PdfPage, PdfSaveOptions, Point, Pt,
};
use thiserror::Error;

use crate::directory::Locale;

/// Longest cover text, in characters (Unicode scalar values, a line break counting one).
pub const MAX_COVER_CHARS: usize = 2000;
/// Lines of text that fit on the cover page (blank lines included).
pub const MAX_COVER_LINES: usize = 32;

/// Page size in millimetres (A4).
const PAGE_W_MM: f32 = 210.0;
const PAGE_H_MM: f32 = 297.0;
/// Left and right margins of everything.
const LEFT_MM: f32 = 20.0;
const RIGHT_MM: f32 = 190.0;
/// Where the values of the header rows start.
const VALUE_MM: f32 = 50.0;
/// Header rows: first baseline and spacing.
const ROW_TOP_MM: f32 = 50.0;
const ROW_STEP_MM: f32 = 8.0;
/// Rule between the header and the text.
const RULE_MM: f32 = 82.0;
/// First baseline of the text, and the distance between baselines.
pub const TEXT_TOP_MM: f32 = 94.0;
const LEADING_MM: f32 = 5.8;
/// Text size in points.
const TEXT_PT: f32 = 12.0;
/// Lines are filled to this share of the measured width, so a renderer whose metrics differ
/// slightly from the standard ones still keeps them inside the margins.
const FILL: f32 = 0.97;

/// Why a cover text cannot be printed. The messages are meant for the sender.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoverError {
    #[error("the cover text is empty (leave the cover out to send without one)")]
    Empty,
    #[error("the cover text has {chars} characters; at most {max} are allowed")]
    TooLong { chars: usize, max: usize },
    #[error(
        "the cover text needs {lines} lines on the page; at most {max} fit on the cover page \
         (shorten it, or send the text as a document)"
    )]
    TooManyLines { lines: usize, max: usize },
    #[error("the cover text contains a control character (U+{:04X})", *.0 as u32)]
    ControlCharacter(char),
    #[error(
        "the cover text contains {0:?} (U+{code:04X}), which cannot be printed on the cover page: \
         only Western European characters (Latin-1, with € and typographic quotes and dashes) are supported",
        code = *.0 as u32
    )]
    Unprintable(char),
}

/// A validated cover text, wrapped into the lines of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverText {
    lines: Vec<String>,
}

impl CoverText {
    /// Checks and wraps a cover text (see the module documentation for the rules).
    pub fn parse(text: &str) -> Result<CoverText, CoverError> {
        let clean = clean_text(text)?;
        let clean = clean.trim_matches(|c: char| c == ' ' || c == '\n');
        if clean.is_empty() {
            return Err(CoverError::Empty);
        }
        let chars = clean.chars().count();
        if chars > MAX_COVER_CHARS {
            return Err(CoverError::TooLong {
                chars,
                max: MAX_COVER_CHARS,
            });
        }
        let width = text_width_units();
        let mut lines = Vec::new();
        for paragraph in clean.split('\n') {
            wrap_into(paragraph, width, helvetica_width, &mut lines);
            if lines.len() > MAX_COVER_LINES {
                break;
            }
        }
        if lines.len() > MAX_COVER_LINES {
            // Count them all for the message (the text is at most 2000 characters).
            let mut all = Vec::new();
            for paragraph in clean.split('\n') {
                wrap_into(paragraph, width, helvetica_width, &mut all);
            }
            return Err(CoverError::TooManyLines {
                lines: all.len(),
                max: MAX_COVER_LINES,
            });
        }
        Ok(CoverText { lines })
    }

    /// The lines as printed, in order (blank lines are empty strings).
    pub fn lines(&self) -> &[String] {
        &self.lines
    }
}

/// What the header of the cover page says (sent to the renderer process as JSON).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CoverDetails {
    /// The sender's name (the account's display name); `None` to show the number only.
    pub from_name: Option<String>,
    /// The caller id, E.164; `None` when the fax is anonymous: From then reads "withheld",
    /// name included.
    pub from_number: Option<String>,
    /// The destination, E.164.
    pub to: String,
    /// Date and time, already in the account's time zone and words.
    pub date: String,
    /// Pages of the whole fax, this cover included.
    pub total_pages: usize,
    /// Language of the labels.
    pub locale: Locale,
}

struct Labels {
    from: &'static str,
    to: &'static str,
    date: &'static str,
    pages: &'static str,
    withheld: &'static str,
}

impl Labels {
    fn of(locale: Locale) -> Labels {
        match locale {
            Locale::Fr => Labels {
                from: "De",
                to: "À",
                date: "Date",
                pages: "Pages",
                withheld: "numéro masqué",
            },
            Locale::En => Labels {
                from: "From",
                to: "To",
                date: "Date",
                pages: "Pages",
                withheld: "withheld",
            },
        }
    }

    fn pages_value(locale: Locale, n: usize) -> String {
        match locale {
            Locale::Fr => format!("{n}, page de garde comprise"),
            Locale::En => format!("{n} including this cover"),
        }
    }
}

/// The cover page as a one-page A4 PDF (the step before [`render`]).
pub fn cover_pdf(text: &CoverText, details: &CoverDetails) -> Vec<u8> {
    let labels = Labels::of(details.locale);
    let mut ops = Vec::new();
    ops.extend(text_ops(
        BuiltinFont::HelveticaBold,
        30.0,
        LEFT_MM,
        32.0,
        PAGE_H_MM,
        "FAX".to_string(),
    ));
    rule(&mut ops, 38.0, 1.5);

    let number = |n: &str| crate::delivery::phone::format_number(n);
    let from = match (&details.from_number, &details.from_name) {
        (None, _) => labels.withheld.to_string(),
        (Some(n), Some(name)) if !name.trim().is_empty() => {
            format!("{} ({})", directory_text(name.trim()), number(n))
        }
        (Some(n), _) => number(n),
    };
    let rows = [
        (labels.from, from),
        (labels.to, number(&details.to)),
        (labels.date, directory_text(&details.date)),
        (
            labels.pages,
            Labels::pages_value(details.locale, details.total_pages),
        ),
    ];
    let value_width = units_for_mm(RIGHT_MM - VALUE_MM);
    for (i, (label, value)) in rows.iter().enumerate() {
        let base = ROW_TOP_MM + ROW_STEP_MM * i as f32;
        ops.extend(text_ops(
            BuiltinFont::HelveticaBold,
            TEXT_PT,
            LEFT_MM,
            base,
            PAGE_H_MM,
            label.to_string(),
        ));
        let value = pdf_text::truncate(value, value_width, helvetica_width);
        ops.extend(text_ops(
            BuiltinFont::Helvetica,
            TEXT_PT,
            VALUE_MM,
            base,
            PAGE_H_MM,
            value,
        ));
    }
    rule(&mut ops, RULE_MM, 0.75);

    for (i, line) in text.lines.iter().enumerate() {
        if line.is_empty() {
            continue;
        }
        let base = TEXT_TOP_MM + LEADING_MM * i as f32;
        ops.extend(text_ops(
            BuiltinFont::Helvetica,
            TEXT_PT,
            LEFT_MM,
            base,
            PAGE_H_MM,
            line.clone(),
        ));
    }

    let page = PdfPage::new(Mm(PAGE_W_MM), Mm(PAGE_H_MM), ops);
    let mut doc = PdfDocument::new("Fax cover page");
    let mut warnings = Vec::new();
    doc.with_pages(vec![page])
        .save(&PdfSaveOptions::default(), &mut warnings)
}

/// Why the cover page could not be turned into a fax page (an internal fault, not the
/// sender's: the text was validated before).
#[derive(Debug, Error)]
pub enum CoverRenderError {
    #[error(transparent)]
    Raster(#[from] RasterError),
    #[error("the cover page rendered as {0} pages")]
    PageCount(usize),
}

/// The cover page as a fax page: 1728 pixels wide, fine resolution, A4.
pub fn render(text: &CoverText, details: &CoverDetails) -> Result<Page, CoverRenderError> {
    let pdf = cover_pdf(text, details);
    let opts = RasterOptions {
        resolution: Resolution::FINE,
        max_pages: 1,
        ..RasterOptions::default()
    };
    let mut pages = raster::rasterize(&pdf, &opts)?;
    match pages.len() {
        1 => Ok(pages.remove(0)),
        n => Err(CoverRenderError::PageCount(n)),
    }
}

// ------------------------------------------------------------------------------ text

/// Normalises line breaks and spaces, drops invisible characters, refuses control characters
/// and characters the built-in fonts cannot print.
fn clean_text(text: &str) -> Result<String, CoverError> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            '\t' | '\u{a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => {
                out.push(' ')
            }
            '\u{ad}' | '\u{feff}' | '\u{200b}'..='\u{200d}' | '\u{2060}' => {}
            c if c.is_control() => return Err(CoverError::ControlCharacter(c)),
            c if win_ansi(c).is_none() => return Err(CoverError::Unprintable(c)),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Text from the directory (names, dates): unprintable characters become `?` rather than
/// refusing the client's fax over the operator's data.
fn directory_text(s: &str) -> String {
    printable(s, Fallback::WHITESPACE_AS_SPACE)
}

/// Width of the text column in 1/1000 em of [`TEXT_PT`] Helvetica.
fn text_width_units() -> u32 {
    units_for_mm(RIGHT_MM - LEFT_MM)
}

/// `mm` of [`TEXT_PT`] text in 1/1000 em, less the safety margin.
fn units_for_mm(mm: f32) -> u32 {
    (em_units(mm, TEXT_PT) * FILL) as u32
}

// ------------------------------------------------------------------------------ drawing

/// A horizontal rule across the text column, `top_mm` from the top.
fn rule(ops: &mut Vec<Op>, top_mm: f32, width_pt: f32) {
    let p = |x: f32| LinePoint {
        p: Point::new(Mm(x), Mm(PAGE_H_MM - top_mm)),
        bezier: false,
    };
    ops.extend([
        Op::SaveGraphicsState,
        Op::SetOutlineThickness { pt: Pt(width_pt) },
        Op::DrawLine {
            line: Line {
                points: vec![p(LEFT_MM), p(RIGHT_MM)],
                is_closed: false,
            },
        },
        Op::RestoreGraphicsState,
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxvox_codecs::pdf_text::text_width;
    use faxvox_codecs::raster::FAX_WIDTH;
    use proptest::prelude::*;

    proptest! {
        /// Any text at all is either refused with a reason or wrapped into lines that fit the
        /// page: never a panic, never a line past the margin, never more lines than fit.
        #[test]
        fn any_text_is_refused_or_fits(text in prop_oneof![
            any::<String>(),
            "[a-zA-Zéèàçœ€ \n]{0,2100}",
            "[a-z]{0,300}( [a-z]{0,300}){0,8}",
        ]) {
            if let Ok(cover) = CoverText::parse(&text) {
                prop_assert!(!cover.lines().is_empty());
                prop_assert!(cover.lines().len() <= MAX_COVER_LINES);
                for line in cover.lines() {
                    prop_assert!(text_width(line, helvetica_width) <= text_width_units(), "{line:?}");
                }
            }
        }
    }

    fn details(total: usize) -> CoverDetails {
        CoverDetails {
            from_name: Some("Alice SARL".into()),
            from_number: Some("+33100000001".into()),
            to: "+33299001122".into(),
            date: "Friday 27 November 2026 at 08:15 (CET)".into(),
            total_pages: total,
            locale: Locale::En,
        }
    }

    fn page(text: &str) -> Page {
        render(&CoverText::parse(text).unwrap(), &details(3)).unwrap()
    }

    /// Pixel row of a distance from the top of the page, at fine resolution.
    fn row_of(mm: f32) -> u32 {
        (mm / 25.4 * Resolution::FINE.y_dpi) as u32
    }

    /// Pixel column of a distance from the left edge of the A4 page, which the rasteriser
    /// centres on the 215 mm fax line.
    fn col_of(mm: f32) -> u32 {
        let dpi = Resolution::FINE.x_dpi;
        let left = (FAX_WIDTH as f32 - PAGE_W_MM / 25.4 * dpi) / 2.0;
        (left + mm / 25.4 * dpi) as u32
    }

    /// Rows with at least one black pixel in `[top, bottom)`.
    fn ink_rows(p: &Page, top: u32, bottom: u32) -> u32 {
        (top..bottom.min(p.bitmap.height()))
            .filter(|&y| p.bitmap.row(y).iter().any(|&b| b != 0))
            .count() as u32
    }

    fn black_in(p: &Page, top: u32, bottom: u32, left: u32, right: u32) -> u64 {
        let mut n = 0;
        for y in top..bottom {
            for x in left..right {
                n += u64::from(p.bitmap.get(x, y));
            }
        }
        n
    }

    #[test]
    fn a_fax_page_with_ink_where_the_text_is() {
        let p = page("Hello Bob,\n\nPlease find the signed contract attached.\nRegards, Alice");
        assert_eq!(p.bitmap.width(), FAX_WIDTH);
        assert_eq!(p.resolution, Resolution::FINE);
        // A4 at fine resolution.
        assert_eq!(p.bitmap.height(), 2292);
        let total = u64::from(p.bitmap.width()) * u64::from(p.bitmap.height());
        let black = p.bitmap.count_black();
        assert!(black > 5_000, "too little ink: {black}");
        assert!(black * 100 < total * 5, "mostly white: {black} of {total}");
        // Header (FAX, the four rows and the rules) above the text; the text lines where
        // they are laid out: 4 lines (one blank) from TEXT_TOP_MM.
        assert!(ink_rows(&p, row_of(20.0), row_of(RULE_MM + 1.0)) > 150);
        let first = row_of(TEXT_TOP_MM - 5.0);
        let last = row_of(TEXT_TOP_MM + LEADING_MM * 3.0 + 2.0);
        assert!(ink_rows(&p, first, last) > 60);
        // Nothing below the last line, nothing in the margins.
        assert_eq!(ink_rows(&p, last, p.bitmap.height()), 0);
        let margin = col_of(LEFT_MM) - 2;
        assert_eq!(black_in(&p, 0, p.bitmap.height(), 0, margin), 0);
        // Where the blank line is, no ink.
        let blank = row_of(TEXT_TOP_MM + LEADING_MM - 3.0);
        assert_eq!(
            ink_rows(&p, blank, row_of(TEXT_TOP_MM + LEADING_MM + 0.5)),
            0
        );
    }

    #[test]
    fn longer_text_more_ink_rows() {
        let text_rows = |p: &Page| ink_rows(p, row_of(RULE_MM + 2.0), p.bitmap.height());
        let short = page("Short note.");
        let long =
            page(&"A longer message that wraps over several lines of the cover page. ".repeat(12));
        let (s, l) = (text_rows(&short), text_rows(&long));
        assert!(s > 15, "one line of 12 pt text: {s} rows");
        assert!(l > 4 * s, "long {l} rows vs short {s}");
        // The long one was wrapped, and every line fits between the margins.
        let wrapped = CoverText::parse(
            &"A longer message that wraps over several lines of the cover page. ".repeat(12),
        )
        .unwrap();
        assert!(wrapped.lines().len() >= 8, "{:?}", wrapped.lines());
        let right = col_of(RIGHT_MM) + 2;
        assert_eq!(
            black_in(&long, 0, long.bitmap.height(), right, FAX_WIDTH),
            0
        );
    }

    #[test]
    fn accents_and_euro_print() {
        // Each accented letter is its base letter plus an accent: more ink, same width class.
        let base = page("e a c E o");
        let accented = page("é à ç É ô");
        let (t, b) = (row_of(TEXT_TOP_MM - 6.0), row_of(TEXT_TOP_MM + 2.0));
        let right = col_of(RIGHT_MM) + 2;
        let plain_ink = black_in(&base, t, b, 0, right);
        let accent_ink = black_in(&accented, t, b, 0, right);
        assert!(plain_ink > 200);
        assert!(
            accent_ink > plain_ink + plain_ink / 10,
            "accents add ink: {accent_ink} vs {plain_ink}"
        );
        // Accents sit above the x-height: more ink rows above the letters than without.
        assert!(ink_rows(&accented, t, b) > ink_rows(&base, t, b));
        // Not mojibake: `é` is one glyph, as wide as `e` (UTF-8 bytes as WinAnsi would be
        // two glyphs, `Ã©`).
        let extent = |p: &Page| {
            let cols: Vec<u32> = (0..FAX_WIDTH)
                .filter(|&x| (t..b).any(|y| p.bitmap.get(x, y)))
                .collect();
            cols.last().unwrap() - cols.first().unwrap()
        };
        let (e, e_acute) = (extent(&page("eeee")), extent(&page("éééé")));
        assert!(e_acute.abs_diff(e) <= 3, "éééé {e_acute} px vs eeee {e} px");
        // The euro sign prints.
        let euro = page("€");
        assert!(black_in(&euro, t, b, 0, right) > 100);
        // Typographic punctuation and œ are accepted.
        CoverText::parse("« Cœur » – l’été … ‘quoted’ “double” • 10 € ™").unwrap();
    }

    #[test]
    fn refusals() {
        let over = "x".repeat(MAX_COVER_CHARS + 1);
        assert_eq!(
            CoverText::parse(&over),
            Err(CoverError::TooLong {
                chars: MAX_COVER_CHARS + 1,
                max: MAX_COVER_CHARS
            })
        );
        CoverText::parse(&"x".repeat(MAX_COVER_CHARS)).unwrap();
        let msg = CoverText::parse(&over).unwrap_err().to_string();
        assert!(msg.contains("2001 characters; at most 2000"), "{msg}");
        assert_eq!(CoverText::parse(" \n \r\n\t"), Err(CoverError::Empty));
        assert_eq!(
            CoverText::parse("bell\u{7}"),
            Err(CoverError::ControlCharacter('\u{7}'))
        );
        assert_eq!(
            CoverText::parse("esc \u{1b}[31m"),
            Err(CoverError::ControlCharacter('\u{1b}'))
        );
        let e = CoverText::parse("Merci 😀").unwrap_err();
        assert_eq!(e, CoverError::Unprintable('😀'));
        assert!(e.to_string().contains("U+1F600"), "{e}");
        assert_eq!(CoverText::parse("你好"), Err(CoverError::Unprintable('你')));
        // Too many lines for one page, though under the character limit.
        let lines = "line\n".repeat(MAX_COVER_LINES + 1);
        assert_eq!(
            CoverText::parse(&lines),
            Err(CoverError::TooManyLines {
                lines: MAX_COVER_LINES + 1,
                max: MAX_COVER_LINES
            })
        );
        CoverText::parse(&"line\n".repeat(MAX_COVER_LINES)).unwrap();
    }

    #[test]
    fn normalisation_and_wrapping() {
        let t = CoverText::parse("\u{feff}  One\r\ntwo\rthree\tfour\u{a0}five\u{ad}\n\n\nsix  \n")
            .unwrap();
        assert_eq!(t.lines(), ["One", "two", "three four five", "", "", "six"]);
        // Normal prose up to the limit fits on the page.
        let prose = "Veuillez trouver ci-joint le contrat signé. ".repeat(45);
        let prose = &prose[..prose
            .char_indices()
            .nth(MAX_COVER_CHARS)
            .map_or(prose.len(), |(i, _)| i)];
        let t = CoverText::parse(prose).unwrap();
        assert!(t.lines().len() <= MAX_COVER_LINES);
        // An unbreakable word is cut to the width.
        let t = CoverText::parse(&"W".repeat(200)).unwrap();
        assert!(t.lines().len() >= 3);
        assert!(t
            .lines()
            .iter()
            .all(|l| text_width(l, helvetica_width) <= text_width_units()));
        assert_eq!(t.lines().concat(), "W".repeat(200));
    }

    #[test]
    fn header_says_who_what_when() {
        let text = CoverText::parse("Hi").unwrap();
        // Anonymous: From withheld, the name not shown (less ink on the From row).
        let named = render(&text, &details(3)).unwrap();
        let mut anon = details(3);
        anon.from_number = None;
        let anonymous = render(&text, &anon).unwrap();
        let from_row = (row_of(ROW_TOP_MM - 5.0), row_of(ROW_TOP_MM + 2.0));
        let value_x = col_of(VALUE_MM) - 4;
        let named_ink = black_in(&named, from_row.0, from_row.1, value_x, FAX_WIDTH);
        let anon_ink = black_in(&anonymous, from_row.0, from_row.1, value_x, FAX_WIDTH);
        assert!(
            anon_ink > 100 && named_ink > anon_ink * 2,
            "{named_ink} vs {anon_ink}"
        );
        // The page count row changes with the count; nothing else does.
        let more = render(&text, &details(12)).unwrap();
        let pages_row = ROW_TOP_MM + ROW_STEP_MM * 3.0;
        let (t, b) = (row_of(pages_row - 5.0), row_of(pages_row + 2.0));
        assert!((0..t).all(|y| named.bitmap.row(y) == more.bitmap.row(y)));
        assert!((t..b).any(|y| named.bitmap.row(y) != more.bitmap.row(y)));
        assert!((b..named.bitmap.height()).all(|y| named.bitmap.row(y) == more.bitmap.row(y)));
        // A very long name is cut with an ellipsis, not drawn over the margin.
        let mut long = details(3);
        long.from_name = Some("Établissements ".repeat(20));
        let p = render(&text, &long).unwrap();
        let right = col_of(RIGHT_MM) + 2;
        assert_eq!(black_in(&p, 0, p.bitmap.height(), right, FAX_WIDTH), 0);
        assert!(pdf_text::truncate(
            &"Établissements ".repeat(20),
            units_for_mm(RIGHT_MM - VALUE_MM),
            helvetica_width
        )
        .ends_with('…'));
        // French labels.
        let mut fr = details(3);
        fr.locale = Locale::Fr;
        let p = render(&text, &fr).unwrap();
        assert_ne!(p, named);
    }
}
