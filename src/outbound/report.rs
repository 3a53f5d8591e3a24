//! The transmission report of an outbound fax: a one-page A4 PDF attached to the client's
//! status email ([`crate::worker::fax_status::compose_status`]): fax id, numbers, submission time,
//! result, pages sent, duration, cost, every dial attempt, and a thumbnail of the first page.
//!
//! - **Why a thumbnail**: the numbers say *that* a fax went out, the thumbnail says *which*
//!   document it was (clients send several faxes to the same number), as the "OK" reports of
//!   office fax machines do.
//! - **Why area averaging**: the first page is shrunk to a quarter of its width (a 1728 px
//!   fax page becomes 432 px). Nearest-neighbour sampling would keep one pixel column and row
//!   of four, so 1–2 px strokes of text would vanish or break up; averaging each thumbnail
//!   pixel's area into a grey level keeps every stroke visible (a 1 px line becomes 25 %
//!   grey).
//! - **Why the resolution matters**: fax pixels are not square (fine is 204 × 196 dpi,
//!   standard 204 × 98 dpi), so the thumbnail's height comes from the page's physical size,
//!   not its pixel count; a standard page is then not squashed to half its height.
//! - **How it is embedded**: as a raw `/DeviceGray` 8-bit image stream (Flate-compressed when
//!   the PDF is saved), the same `ExternalXObject` way `faxvox_codecs::pdf` embeds fax pages,
//!   shown about 70 mm wide in a thin frame. No `image` feature of printpdf is needed.
//! - **Text** uses the PDF built-in Helvetica and Courier (nothing embedded). printpdf writes
//!   them with `WinAnsiEncoding`, so French accents and `€` display and extract correctly;
//!   anything outside WinAnsi is shown as `?`. Times are in the account's time zone.

use std::collections::BTreeMap;

use faxvox_codecs::pdf_text::{self, one_per_char, printable, wrap, Fallback};
use faxvox_codecs::{Page, Resolution};
use printpdf::{
    BuiltinFont, Color, CurTransMat, DictItem, ExternalStream, ExternalXObject, Greyscale, Mm, Op,
    PaintMode, PdfDocument, PdfPage, PdfSaveOptions, Pt, Rect, XObject, XObjectId,
    XObjectTransform,
};
use thiserror::Error;

use crate::delivery::compose::format_duration;
use crate::delivery::{phone, sanitize_text, Locale};
use crate::jobs::{AttemptRecord, FaxResult, OutboundFacts};
use crate::money::Money;

/// Width of the thumbnail in pixels: a quarter of a 1728 px fax page.
pub const THUMBNAIL_WIDTH_PX: u32 = 432;
/// Width of the thumbnail on the report.
pub const THUMBNAIL_WIDTH_MM: f32 = 70.0;
/// Tallest the thumbnail may be on the report (a long page is shown narrower).
const THUMBNAIL_MAX_HEIGHT_MM: f32 = 130.0;
/// Tallest thumbnail in pixels (guards against absurd page shapes).
const THUMBNAIL_MAX_HEIGHT_PX: u32 = 4 * THUMBNAIL_WIDTH_PX;

const PAGE_W_MM: f32 = 210.0;
const PAGE_H_MM: f32 = 297.0;
const LEFT_MM: f32 = 15.0;
const VALUE_MM: f32 = 50.0;
/// Left edge of the thumbnail's frame (its right edge is 15 mm from the page's).
const THUMB_LEFT_MM: f32 = PAGE_W_MM - 15.0 - THUMBNAIL_WIDTH_MM;
const THUMB_TOP_MM: f32 = 32.0;
/// Characters of a value per line: Helvetica 10 pt from VALUE_MM stays left of the
/// thumbnail even in capitals.
const VALUE_CHARS: u32 = 30;
/// Characters of an attempt line (Courier 8 pt, across the page).
const ATTEMPT_CHARS: u32 = 100;
/// Lowest baseline of the attempts list (the footer is below).
const LAST_LINE_MM: f32 = 280.0;

/// Why no report could be made.
#[derive(Debug, Error)]
pub enum ReportError {
    /// The page given for the thumbnail has no pixels.
    #[error("the first page is empty ({width}x{height} pixels)")]
    EmptyPage { width: u32, height: u32 },
    /// The fax's document could not be read for the thumbnail.
    #[error("cannot read the fax document: {0}")]
    Document(String),
}

/// A grey-level image: `pixels` row by row, top first, 0 = black, 255 = white.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Thumbnail {
    /// The grey level at (`x`, `y`).
    pub fn get(&self, x: u32, y: u32) -> u8 {
        self.pixels[(y * self.width + x) as usize]
    }
}

/// Physical size of a page in inches, assuming fine resolution when the page's own is not
/// usable (0, negative, NaN).
fn inches(page: &Page) -> (f32, f32) {
    let ok = |v: f32| v.is_finite() && v > 0.0;
    let r = if ok(page.resolution.x_dpi) && ok(page.resolution.y_dpi) {
        page.resolution
    } else {
        Resolution::FINE
    };
    (
        page.bitmap.width() as f32 / r.x_dpi,
        page.bitmap.height() as f32 / r.y_dpi,
    )
}

/// For each of `src` source pixels along one axis, the thumbnail pixels it overlaps and by
/// how much (in thumbnail pixel units, so the weights into one thumbnail pixel add up to 1).
fn overlaps(src: u32, dst: u32) -> Vec<Vec<(usize, f32)>> {
    let scale = f64::from(dst) / f64::from(src);
    (0..src)
        .map(|k| {
            let (a, b) = (f64::from(k) * scale, f64::from(k + 1) * scale);
            let mut out = Vec::with_capacity(2);
            let mut j = a.floor() as u32;
            while f64::from(j) < b && j < dst {
                let w = b.min(f64::from(j + 1)) - a.max(f64::from(j));
                if w > 0.0 {
                    out.push((j as usize, w as f32));
                }
                j += 1;
            }
            out
        })
        .collect()
}

/// The page shrunk to [`THUMBNAIL_WIDTH_PX`] wide (or its own width when narrower), its
/// height from the page's physical aspect, each pixel the average blackness of the area it
/// covers (see the module documentation).
pub fn thumbnail(page: &Page) -> Result<Thumbnail, ReportError> {
    let (w, h) = (page.bitmap.width(), page.bitmap.height());
    if w == 0 || h == 0 {
        return Err(ReportError::EmptyPage {
            width: w,
            height: h,
        });
    }
    let (win, hin) = inches(page);
    let tw = w.min(THUMBNAIL_WIDTH_PX);
    let th = ((f64::from(tw) * f64::from(hin) / f64::from(win)).round() as u32)
        .clamp(1, THUMBNAIL_MAX_HEIGHT_PX);
    let xs = overlaps(w, tw);
    let ys = overlaps(h, th);
    let mut acc = vec![0f32; (tw * th) as usize];
    let mut row_acc = vec![0f32; tw as usize];
    for (y, dst_rows) in ys.iter().enumerate() {
        let row = page.bitmap.row(y as u32);
        if row.iter().all(|&b| b == 0) {
            continue;
        }
        row_acc.fill(0.0);
        for (i, &byte) in row.iter().enumerate() {
            if byte == 0 {
                continue;
            }
            for bit in 0..8u32 {
                let x = i as u32 * 8 + bit;
                if x < w && byte & (0x80 >> bit) != 0 {
                    for &(j, wx) in &xs[x as usize] {
                        row_acc[j] += wx;
                    }
                }
            }
        }
        for &(r, wy) in dst_rows {
            let out = &mut acc[r * tw as usize..(r + 1) * tw as usize];
            for (o, v) in out.iter_mut().zip(&row_acc) {
                *o += v * wy;
            }
        }
    }
    let pixels = acc
        .iter()
        .map(|&black| (255.0 * (1.0 - black.clamp(0.0, 1.0))).round() as u8)
        .collect();
    Ok(Thumbnail {
        width: tw,
        height: th,
        pixels,
    })
}

/// An RFC 3339 time in `zone`, `2026-11-27 08:15:30 CET`; the text itself if unreadable.
fn local_time(rfc3339: &str, zone: &jiff::tz::TimeZone) -> String {
    match rfc3339.parse::<jiff::Timestamp>() {
        Ok(ts) => pdf_text::local_time_with_zone(ts, zone),
        Err(_) => sanitize_text(rfc3339, 40),
    }
}

/// The words of the report in one language.
struct Words {
    title: &'static str,
    fax: &'static str,
    from: &'static str,
    withheld: &'static str,
    to: &'static str,
    submitted: &'static str,
    result: &'static str,
    sent: &'static str,
    pages_sent: &'static str,
    duration: &'static str,
    attempts: &'static str,
    cost: &'static str,
    excl_tax: &'static str,
    first_page: &'static str,
    no_preview: &'static str,
    pages: &'static str,
    page: &'static str,
    ecm_off: &'static str,
    fallback: &'static str,
    more: &'static str,
    none: &'static str,
    footer: &'static str,
}

const EN: Words = Words {
    title: "Fax transmission report",
    fax: "Fax",
    from: "From",
    withheld: "withheld",
    to: "To",
    submitted: "Submitted",
    result: "Result",
    sent: "sent",
    pages_sent: "Pages sent",
    duration: "Duration",
    attempts: "Attempts",
    cost: "Cost",
    excl_tax: "excl. tax",
    first_page: "First page",
    no_preview: "no preview",
    pages: "pages",
    page: "page",
    ecm_off: "no ECM",
    fallback: "fallback",
    more: "more attempts not shown",
    none: "none",
    footer: "faxvox transmission report",
};

const FR: Words = Words {
    title: "Rapport de transmission",
    fax: "Fax",
    from: "Expéditeur",
    withheld: "masqué",
    to: "Destinataire",
    submitted: "Déposé le",
    result: "Résultat",
    sent: "envoyé",
    pages_sent: "Pages envoyées",
    duration: "Durée",
    attempts: "Tentatives",
    cost: "Coût",
    excl_tax: "HT",
    first_page: "Première page",
    no_preview: "aperçu indisponible",
    pages: "pages",
    page: "page",
    ecm_off: "sans ECM",
    fallback: "repli",
    more: "autres tentatives non affichées",
    none: "aucune",
    footer: "rapport de transmission faxvox",
};

/// One line of the attempts list.
fn attempt_line(n: usize, a: &AttemptRecord, words: &Words, zone: &jiff::tz::TimeZone) -> String {
    let outcome = if a.reason == "sent" {
        words.sent.to_string()
    } else {
        sanitize_text(&a.reason, 200)
    };
    // Unanswered attempts' reasons start with the SIP status already; 2xx says nothing.
    let status = match a.status {
        Some(s) if !(200..300).contains(&s) && !a.reason.starts_with(&s.to_string()) => {
            format!(" (SIP {s})")
        }
        _ => String::new(),
    };
    let pages = if a.pages == 1 {
        words.page
    } else {
        words.pages
    };
    let mode = if a.t38 { "T.38" } else { "G.711" };
    let ecm = if a.ecm { "ECM" } else { words.ecm_off };
    let fallback = if a.fallback {
        format!(", {}", words.fallback)
    } else {
        String::new()
    };
    // The rate is named only when the lower-rate fallback capped it.
    let rate = if a.max_bit_rate < 14_400 {
        format!(", max {} bit/s", a.max_bit_rate)
    } else {
        String::new()
    };
    format!(
        "{n}. {} - {outcome}{status} - {} {pages} - {mode}, {ecm}{rate}{fallback} - {}",
        local_time(&a.at, zone),
        a.pages,
        format_duration(a.duration_secs)
    )
}

/// Ops drawing `text` with its baseline `top_mm` from the top of the page; nothing for an
/// empty text, control characters as spaces and other characters outside WinAnsi as `?`.
fn draw_text(ops: &mut Vec<Op>, font: BuiltinFont, size: f32, x_mm: f32, top_mm: f32, text: &str) {
    if text.is_empty() {
        return;
    }
    let text = printable(text, Fallback::CONTROL_AS_SPACE);
    ops.extend(pdf_text::text_ops(
        font, size, x_mm, top_mm, PAGE_H_MM, text,
    ));
}

fn name(s: &str) -> DictItem {
    DictItem::Name(s.as_bytes().to_vec())
}

/// The thumbnail as an image XObject (8-bit DeviceGray, compressed when saved).
fn image_xobject(t: Thumbnail) -> XObject {
    let mut dict = BTreeMap::new();
    dict.insert("Type".to_string(), name("XObject"));
    dict.insert("Subtype".to_string(), name("Image"));
    dict.insert("Width".to_string(), DictItem::Int(i64::from(t.width)));
    dict.insert("Height".to_string(), DictItem::Int(i64::from(t.height)));
    dict.insert("ColorSpace".to_string(), name("DeviceGray"));
    dict.insert("BitsPerComponent".to_string(), DictItem::Int(8));
    XObject::External(ExternalXObject {
        stream: ExternalStream {
            dict,
            content: t.pixels,
            compress: true,
        },
        width: None,
        height: None,
        dpi: None,
    })
}

/// The one-page A4 transmission report of an outbound fax, as PDF bytes (see the module
/// documentation). `first_page` is the fax's first page for the thumbnail (`None`: the
/// report says there is no preview); `charged` is what the ledger charged; times are shown
/// in `zone`.
pub fn transmission_report(
    facts: &OutboundFacts,
    result: &FaxResult,
    charged: Money,
    first_page: Option<&Page>,
    locale: Locale,
    zone: &jiff::tz::TimeZone,
    attempts: &[AttemptRecord],
) -> Result<Vec<u8>, ReportError> {
    let words = match locale {
        Locale::Fr => &FR,
        Locale::En => &EN,
    };
    let thumb = first_page
        .map(|p| Ok::<_, ReportError>((thumbnail(p)?, inches(p))))
        .transpose()?;
    let mut ops = Vec::new();

    draw_text(
        &mut ops,
        BuiltinFont::HelveticaBold,
        16.0,
        LEFT_MM,
        20.0,
        words.title,
    );

    // The facts, left of the thumbnail.
    let from = if facts.anonymous {
        words.withheld.to_string()
    } else {
        phone::format_number(&facts.from)
    };
    let outcome = if result.sent {
        words.sent.to_string()
    } else {
        sanitize_text(&result.reason, 300)
    };
    let fields: Vec<(&str, String)> = vec![
        (words.fax, sanitize_text(&facts.fax_id, 80)),
        (words.from, from),
        (words.to, phone::format_number(&facts.to)),
        (words.submitted, local_time(&facts.submitted, zone)),
        (words.result, outcome),
        (
            words.pages_sent,
            format!("{}/{}", result.pages_confirmed, result.pages),
        ),
        (words.duration, format_duration(result.duration_secs)),
        (words.attempts, result.attempts.to_string()),
        (words.cost, format!("{charged} € {}", words.excl_tax)),
    ];
    let mut top = THUMB_TOP_MM + 4.0;
    for (label, value) in &fields {
        draw_text(
            &mut ops,
            BuiltinFont::HelveticaBold,
            10.0,
            LEFT_MM,
            top,
            label,
        );
        for line in wrap(value, VALUE_CHARS, one_per_char) {
            draw_text(&mut ops, BuiltinFont::Helvetica, 10.0, VALUE_MM, top, &line);
            top += 5.0;
        }
        top += 1.5;
    }

    // The thumbnail in its frame, right, with a caption below.
    let (frame_w, frame_h) = match &thumb {
        Some((_, (win, hin))) => {
            let h = THUMBNAIL_WIDTH_MM * hin / win;
            if h > THUMBNAIL_MAX_HEIGHT_MM {
                (THUMBNAIL_MAX_HEIGHT_MM * win / hin, THUMBNAIL_MAX_HEIGHT_MM)
            } else {
                (THUMBNAIL_WIDTH_MM, h)
            }
        }
        None => (THUMBNAIL_WIDTH_MM, THUMBNAIL_WIDTH_MM * 297.0 / 210.0),
    };
    let x = Pt::from(Mm(THUMB_LEFT_MM));
    let y = Pt::from(Mm(PAGE_H_MM - THUMB_TOP_MM - frame_h));
    let (w, h) = (Pt::from(Mm(frame_w)), Pt::from(Mm(frame_h)));
    let mut doc = PdfDocument::new(&format!("{} {}", EN.title, facts.fax_id));
    match thumb {
        Some((image, _)) => {
            let id = XObjectId("Thumb".to_string());
            doc.resources
                .xobjects
                .map
                .insert(id.clone(), image_xobject(image));
            ops.extend([
                Op::SaveGraphicsState,
                Op::SetTransformationMatrix {
                    matrix: CurTransMat::Raw([w.0, 0.0, 0.0, h.0, x.0, y.0]),
                },
                Op::UseXobject {
                    id,
                    transform: XObjectTransform::default(),
                },
                Op::RestoreGraphicsState,
            ]);
        }
        None => draw_text(
            &mut ops,
            BuiltinFont::HelveticaOblique,
            9.0,
            THUMB_LEFT_MM + 4.0,
            THUMB_TOP_MM + frame_h / 2.0,
            words.no_preview,
        ),
    }
    // The frame just outside the image, so it never covers the page's edges.
    const GAP: f32 = 0.8;
    ops.extend([
        Op::SaveGraphicsState,
        Op::SetOutlineColor {
            col: Color::Greyscale(Greyscale::new(0.0, None)),
        },
        Op::SetOutlineThickness { pt: Pt(0.6) },
        Op::DrawRectangle {
            rectangle: Rect {
                mode: Some(PaintMode::Stroke),
                ..Rect::from_xywh(
                    Pt(x.0 - GAP),
                    Pt(y.0 - GAP),
                    Pt(w.0 + 2.0 * GAP),
                    Pt(h.0 + 2.0 * GAP),
                )
            },
        },
        Op::RestoreGraphicsState,
    ]);
    draw_text(
        &mut ops,
        BuiltinFont::Helvetica,
        8.0,
        THUMB_LEFT_MM,
        THUMB_TOP_MM + frame_h + 5.0,
        words.first_page,
    );

    // The attempts, across the page below both.
    let mut top = top.max(THUMB_TOP_MM + frame_h + 8.0) + 6.0;
    draw_text(
        &mut ops,
        BuiltinFont::HelveticaBold,
        10.0,
        LEFT_MM,
        top,
        words.attempts,
    );
    top += 5.5;
    let mut lines: Vec<String> = attempts
        .iter()
        .enumerate()
        .flat_map(|(i, a)| {
            let mut l = wrap(
                &attempt_line(i + 1, a, words, zone),
                ATTEMPT_CHARS,
                one_per_char,
            );
            for cont in l.iter_mut().skip(1) {
                cont.insert_str(0, "   ");
            }
            l
        })
        .collect();
    if lines.is_empty() {
        lines.push(words.none.to_string());
    }
    let room = ((LAST_LINE_MM - top) / 4.0).floor().max(1.0) as usize;
    if lines.len() > room {
        let hidden = lines.len() - (room - 1);
        lines.truncate(room - 1);
        lines.push(format!("... {hidden} {}", words.more));
    }
    for line in &lines {
        draw_text(&mut ops, BuiltinFont::Courier, 8.0, LEFT_MM, top, line);
        top += 4.0;
    }
    draw_text(
        &mut ops,
        BuiltinFont::Helvetica,
        7.0,
        LEFT_MM,
        PAGE_H_MM - 8.0,
        &format!("{} - {}", words.footer, local_time(&result.at, zone)),
    );

    let date = result
        .at
        .parse::<jiff::Timestamp>()
        .ok()
        .and_then(|t| printpdf::DateTime::from_unix_timestamp(t.as_second()).ok())
        .unwrap_or_else(printpdf::DateTime::now);
    let info = &mut doc.metadata.info;
    info.producer = "faxvox".to_string();
    info.creator = "faxvox".to_string();
    info.creation_date = date;
    info.modification_date = date;
    info.metadata_date = date;
    let save = PdfSaveOptions {
        optimize: true,
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    Ok(doc
        .with_pages(vec![PdfPage::new(Mm(PAGE_W_MM), Mm(PAGE_H_MM), ops)])
        .save(&save, &mut warnings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxvox_codecs::Bitmap;
    use printpdf::{PdfParseOptions, PdfWarnMsg, TextItem};

    fn facts() -> OutboundFacts {
        OutboundFacts {
            fax_id: "20261127T071530Z-3f9a2c1b".into(),
            account: "acme".into(),
            from: "+33100000001".into(),
            to: "+33299001122".into(),
            anonymous: false,
            pages: 2,
            reservation: "r1".into(),
            rate: Money::parse("0.05").unwrap(),
            amount: Money::parse("0.10").unwrap(),
            prefix: "33".into(),
            submitted: "2026-11-27T07:15:30Z".into(),
            reply: None,
            header: true,
        }
    }

    fn result(sent: bool) -> FaxResult {
        FaxResult {
            sent,
            pages_confirmed: if sent { 2 } else { 1 },
            pages: 2,
            charged: Money::parse(if sent { "0.10" } else { "0.05" }).unwrap(),
            attempts: 1,
            duration_secs: 75,
            reason: if sent {
                "sent".into()
            } else {
                "T.30 failure: far end hung up".into()
            },
            at: "2026-11-27T07:17:00Z".into(),
        }
    }

    fn attempt() -> AttemptRecord {
        AttemptRecord {
            at: "2026-11-27T07:15:45Z".into(),
            call_id: "c1@faxvox-out".into(),
            status: Some(200),
            reason: "sent".into(),
            pages: 2,
            t38: true,
            ecm: true,
            fallback: false,
            duration_secs: 75,
            max_bit_rate: 14_400,
        }
    }

    /// A fine page, white, with a black rectangle and a 1 px vertical and horizontal line.
    fn page(resolution: Resolution, rows: u32) -> Page {
        let mut b = Bitmap::new(1728, rows);
        b.fill_rect(400, rows / 4, 600, rows / 4);
        b.fill_rect(1201, 0, 1, rows);
        b.fill_rect(0, rows * 7 / 8 + 1, 1728, 1);
        Page {
            bitmap: b,
            resolution,
        }
    }

    fn parsed(pdf: &[u8]) -> (usize, Vec<String>, usize) {
        let mut warnings: Vec<PdfWarnMsg> = Vec::new();
        let doc = PdfDocument::parse(pdf, &PdfParseOptions::default(), &mut warnings)
            .expect("the report parses");
        let mut texts = Vec::new();
        let mut images = 0;
        for p in &doc.pages {
            for op in &p.ops {
                match op {
                    Op::ShowText { items } => {
                        for i in items {
                            if let TextItem::Text(t) = i {
                                texts.push(t.clone());
                            }
                        }
                    }
                    Op::UseXobject { .. } => images += 1,
                    _ => {}
                }
            }
        }
        (doc.pages.len(), texts, images)
    }

    #[test]
    fn thumbnail_keeps_the_aspect_and_thin_lines() {
        for (res, rows) in [(Resolution::FINE, 2292), (Resolution::STANDARD, 1146)] {
            let t = thumbnail(&page(res, rows)).unwrap();
            assert_eq!((t.width, t.height), (432, 596), "{res:?}");
            // Inside the rectangle black, well outside white.
            assert_eq!(t.get(175, 596 * 3 / 8), 0);
            assert_eq!(t.get(50, 50), 255);
            // The 1 px lines are a quarter (vertical) or about a quarter (horizontal) of a
            // thumbnail pixel: grey, not lost as nearest-neighbour sampling would lose them.
            for y in [10, 300, 500] {
                let v = t.get(300, y);
                assert!((150..=230).contains(&v), "vertical line at y {y}: {v}");
            }
            let hy = ((rows * 7 / 8 + 1) as f32 * 596.0 / rows as f32) as u32;
            let darkest = (hy.saturating_sub(1)..=hy + 1)
                .map(|y| t.get(100, y))
                .min()
                .unwrap();
            assert!(darkest < 230, "horizontal line: {darkest}");
        }
        // A narrow page keeps its width; the area of black is preserved.
        let mut b = Bitmap::new(10, 10);
        b.fill_rect(0, 0, 5, 10);
        let t = thumbnail(&Page {
            bitmap: b,
            resolution: Resolution {
                x_dpi: 100.0,
                y_dpi: 100.0,
            },
        })
        .unwrap();
        assert_eq!((t.width, t.height), (10, 10));
        let ink: u32 = t.pixels.iter().map(|&v| 255 - u32::from(v)).sum();
        assert_eq!(ink, 50 * 255);
        assert!(matches!(
            thumbnail(&Page {
                bitmap: Bitmap::new(0, 5),
                resolution: Resolution::FINE
            }),
            Err(ReportError::EmptyPage { .. })
        ));
    }

    #[test]
    fn overlaps_add_up() {
        for (src, dst) in [(1728, 432), (2292, 596), (1146, 596), (7, 3), (3, 7)] {
            let mut sums = vec![0f32; dst as usize];
            for o in overlaps(src, dst) {
                for (j, w) in o {
                    sums[j] += w;
                }
            }
            for s in sums {
                assert!((s - 1.0).abs() < 1e-3, "{src}->{dst}: {s}");
            }
        }
    }

    #[test]
    fn report_parses_with_the_facts() {
        let zone = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
        let p = page(Resolution::FINE, 2292);
        let charged = Money::parse("0.10").unwrap();
        let pdf = transmission_report(
            &facts(),
            &result(true),
            charged,
            Some(&p),
            Locale::En,
            &zone,
            &[attempt()],
        )
        .unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let (pages, texts, images) = parsed(&pdf);
        assert_eq!(pages, 1);
        assert_eq!(images, 1, "thumbnail");
        let all = texts.join("\n");
        for needle in [
            "Fax transmission report",
            "20261127T071530Z-3f9a2c1b",
            "2/2",
            "1:15",
            "2026-11-27 08:15:30 CET",
            "T.38, ECM",
        ] {
            assert!(all.contains(needle), "{needle} not in {all}");
        }
        // Without a first page: a report all the same, no image.
        let pdf = transmission_report(
            &facts(),
            &result(false),
            charged,
            None,
            Locale::En,
            &zone,
            &[],
        )
        .unwrap();
        let (pages, texts, images) = parsed(&pdf);
        assert_eq!((pages, images), (1, 0));
        let all = texts.join("\n");
        assert!(all.contains("T.30 failure: far end hung up"), "{all}");
        assert!(all.contains("no preview"), "{all}");
    }

    #[test]
    fn hundreds_of_attempts_stay_on_one_page() {
        let zone = jiff::tz::TimeZone::UTC;
        let many: Vec<AttemptRecord> = (0..300)
            .map(|i| AttemptRecord {
                reason: format!("486 Busy Here {}", "x".repeat(i % 150)),
                status: Some(486),
                ..attempt()
            })
            .collect();
        let pdf = transmission_report(
            &facts(),
            &result(false),
            Money::ZERO,
            Some(&page(Resolution::STANDARD, 3000)),
            Locale::Fr,
            &zone,
            &many,
        )
        .unwrap();
        let (pages, texts, _) = parsed(&pdf);
        assert_eq!(pages, 1);
        assert!(texts.iter().any(|t| t.contains("non affich")), "{texts:?}");
    }

    #[test]
    fn attempt_lines() {
        let zone = jiff::tz::TimeZone::UTC;
        let line = |status, reason: &str| {
            let a = AttemptRecord {
                status,
                reason: reason.into(),
                ..attempt()
            };
            attempt_line(1, &a, &EN, &zone)
        };
        assert_eq!(
            line(Some(200), "sent"),
            "1. 2026-11-27 07:15:45 UTC - sent - 2 pages - T.38, ECM - 1:15"
        );
        assert!(line(Some(486), "486 Busy Here").contains(" - 486 Busy Here - "));
        assert!(line(Some(503), "no answer").contains(" - no answer (SIP 503) - "));
        assert!(line(None, "no response").contains(" - no response - "));
    }

    #[test]
    fn wrapping_and_text() {
        assert_eq!(wrap("a bb ccc", 4, one_per_char), vec!["a bb", "ccc"]);
        assert_eq!(
            wrap("abcdefghij", 4, one_per_char),
            vec!["abcd", "efgh", "ij"]
        );
        assert_eq!(wrap("", 4, one_per_char), vec![""]);
        assert_eq!(
            printable("Coût 1 € ✓\u{7}", Fallback::CONTROL_AS_SPACE),
            "Coût 1 € ? "
        );
    }
}
