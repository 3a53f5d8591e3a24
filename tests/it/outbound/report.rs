//! The PDF transmission report of an outbound fax (`faxvox::outbound::report`) and the status
//! email that carries it, checked on what a reader sees: poppler renders the report (one
//! page; the thumbnail shows the first page's black rectangle at the same place, in
//! proportion, for fine and standard pages) and extracts its text (fax id, pages, duration,
//! cost, the reason of a failure, French accents); the email is multipart with the PDF.

use crate::support;

use std::path::Path;
use std::process::Command;

use faxvox::billing::Money;
use faxvox::delivery::{Composer, Locale, Templates};
use faxvox::outbound::dialer::AttemptRecord;
use faxvox::outbound::report::{transmission_report, THUMBNAIL_WIDTH_MM};
use faxvox::outbound::{FaxResult, OutboundFacts};
use faxvox::worker::fax_status::compose_status;
use faxvox_codecs::{Bitmap, Page, Resolution};
use mail_parser::{MessageParser, MimeHeaders};
use support::peers::require;
use support::poppler::render_pdf;

const FAX_ID: &str = "20261127T071530Z-3f9a2c1b";
/// The black rectangle of the test page, as fractions of the page: left, top, right, bottom.
const RECT: (f32, f32, f32, f32) = (0.20, 0.30, 0.55, 0.62);
/// poppler's rendering resolution (support::poppler).
const DPI_X: f32 = 204.0;
const DPI_Y: f32 = 196.0;

fn facts(anonymous: bool) -> OutboundFacts {
    OutboundFacts {
        fax_id: FAX_ID.into(),
        account: "acme".into(),
        from: "+33100000001".into(),
        to: "+33299001122".into(),
        anonymous,
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

fn sent() -> FaxResult {
    FaxResult {
        sent: true,
        pages_confirmed: 2,
        pages: 2,
        charged: Money::parse("0.10").unwrap(),
        attempts: 1,
        duration_secs: 75,
        reason: "sent".into(),
        at: "2026-11-27T07:17:00Z".into(),
    }
}

fn failed() -> FaxResult {
    FaxResult {
        sent: false,
        pages_confirmed: 1,
        charged: Money::parse("0.05").unwrap(),
        attempts: 2,
        duration_secs: 48,
        reason: "T.30 failure: far end hung up after page 1".into(),
        ..sent()
    }
}

fn attempt(reason: &str, pages: u32, t38: bool, fallback: bool) -> AttemptRecord {
    AttemptRecord {
        at: "2026-11-27T07:15:45Z".into(),
        call_id: "c1@faxvox-out".into(),
        status: Some(200),
        reason: reason.into(),
        pages,
        t38,
        ecm: !fallback || t38,
        fallback,
        duration_secs: 75,
        max_bit_rate: if fallback && !t38 { 9_600 } else { 14_400 },
    }
}

/// A white A4 fax page (1728 px wide) with one black rectangle at [`RECT`].
fn rect_page(resolution: Resolution) -> Page {
    let rows = if resolution.y_dpi > 150.0 { 2292 } else { 1146 };
    let mut b = Bitmap::new(1728, rows);
    let (l, t, r, bo) = RECT;
    let x0 = (l * 1728.0) as u32;
    let y0 = (t * rows as f32) as u32;
    b.fill_rect(
        x0,
        y0,
        (r * 1728.0) as u32 - x0,
        (bo * rows as f32) as u32 - y0,
    );
    Page {
        bitmap: b,
        resolution,
    }
}

fn report(page: Option<&Page>, result: &FaxResult, locale: Locale, anonymous: bool) -> Vec<u8> {
    let attempts = if result.sent {
        vec![attempt("sent", 2, true, false)]
    } else {
        vec![
            attempt("T.30 failure: DCN", 1, true, false),
            attempt(&result.reason, 0, false, true),
        ]
    };
    transmission_report(
        &facts(anonymous),
        result,
        result.charged,
        page,
        locale,
        &jiff::tz::TimeZone::get("Europe/Paris").unwrap(),
        &attempts,
    )
    .expect("report")
}

/// Longest run of black pixels of row `y` from column `from` on: (start, length).
fn longest_run(b: &Bitmap, y: u32, from: u32) -> (u32, u32) {
    let (mut best, mut start, mut len) = ((0, 0), 0, 0);
    for x in from..b.width() {
        if b.get(x, y) {
            if len == 0 {
                start = x;
            }
            len += 1;
            if len > best.1 {
                best = (start, len);
            }
        } else {
            len = 0;
        }
    }
    best
}

/// The thumbnail's frame on the rendered report (outer edges, pixels): the rows right of the
/// middle of the page with a black run longer than 60 mm are its top and bottom lines.
fn find_frame(b: &Bitmap) -> (u32, u32, u32, u32) {
    let min_run = (60.0 / 25.4 * DPI_X) as u32;
    let rows: Vec<(u32, (u32, u32))> = (0..b.height())
        .map(|y| (y, longest_run(b, y, b.width() / 2)))
        .filter(|(_, (_, len))| *len >= min_run)
        .collect();
    assert!(rows.len() >= 2, "no frame found on the report");
    let (top, (x0, len)) = rows[0];
    let bottom = rows.last().unwrap().0;
    (x0, top, x0 + len - 1, bottom)
}

/// Bounding box of the black pixels strictly inside `(x0, y0, x1, y1)`.
fn black_box(b: &Bitmap, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> Option<(u32, u32, u32, u32)> {
    let mut bbox: Option<(u32, u32, u32, u32)> = None;
    for y in y0..=y1 {
        for x in x0..=x1 {
            if b.get(x, y) {
                bbox = Some(match bbox {
                    None => (x, y, x, y),
                    Some((a, c, d, e)) => (a.min(x), c.min(y), d.max(x), e.max(y)),
                });
            }
        }
    }
    bbox
}

fn pdftotext(pdf: &[u8], dir: &Path, name: &str) -> Option<String> {
    let bin = require("pdftotext", "poppler-utils")?;
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new(bin)
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Words only: the layout (line breaks, columns) is not what is checked.
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    )
}

#[test]
fn thumbnail_shows_the_first_page_in_proportion() {
    let Some(pdftoppm) = require("pdftoppm", "poppler-utils") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for (name, res) in [
        ("fine", Resolution::FINE),
        ("standard", Resolution::STANDARD),
    ] {
        let page = rect_page(res);
        let pdf = report(Some(&page), &sent(), Locale::En, false);
        let rendered = render_pdf(&pdftoppm, &pdf, tmp.path(), name);
        assert_eq!(rendered.len(), 1, "{name}: pages in the report");
        let r = &rendered[0];
        // A4 at 204 x 196 dpi.
        assert!(
            (r.width() as f32 - 210.0 / 25.4 * DPI_X).abs() < 3.0
                && (r.height() as f32 - 297.0 / 25.4 * DPI_Y).abs() < 3.0,
            "{name}: rendered {}x{}",
            r.width(),
            r.height()
        );

        // The frame: about 70 mm wide, with the page's physical aspect (fine and standard
        // pages are both A4: not squashed by standard's half vertical resolution).
        let (fx0, fy0, fx1, fy1) = find_frame(r);
        let frame_w_mm = (fx1 - fx0 + 1) as f32 / DPI_X * 25.4;
        let frame_h_mm = (fy1 - fy0 + 1) as f32 / DPI_Y * 25.4;
        assert!(
            (frame_w_mm - THUMBNAIL_WIDTH_MM).abs() < 1.5,
            "{name}: frame {frame_w_mm:.1} mm wide"
        );
        let (pw, ph) = page.size_pt();
        let aspect = ph / pw;
        assert!(
            (frame_h_mm / frame_w_mm - aspect).abs() < 0.02 * aspect,
            "{name}: frame {frame_w_mm:.1} x {frame_h_mm:.1} mm, page aspect {aspect:.3}"
        );

        // The image is ~1.1 pt (3 px) inside the frame's outer edges.
        let inner = (fx0 + 3, fy0 + 3, fx1 - 3, fy1 - 3);
        let (bx0, by0, bx1, by1) =
            black_box(r, (inner.0 + 2, inner.1 + 2, inner.2 - 2, inner.3 - 2))
                .unwrap_or_else(|| panic!("{name}: nothing black in the thumbnail"));
        let (iw, ih) = ((inner.2 - inner.0) as f32, (inner.3 - inner.1) as f32);
        let got = (
            (bx0 - inner.0) as f32 / iw,
            (by0 - inner.1) as f32 / ih,
            (bx1 + 1 - inner.0) as f32 / iw,
            (by1 + 1 - inner.1) as f32 / ih,
        );
        let want = [RECT.0, RECT.1, RECT.2, RECT.3];

        for (i, (g, w)) in [got.0, got.1, got.2, got.3].iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() < 0.012,
                "{name}: rectangle edge {i} at {g:.4} of the thumbnail, expected {w:.4} \
                 (got {got:?})"
            );
        }
        // Solid where the rectangle is, white around it.
        let cx = inner.0 + (iw * (RECT.0 + RECT.2) / 2.0) as u32;
        let cy = inner.1 + (ih * (RECT.1 + RECT.3) / 2.0) as u32;
        assert!(r.get(cx, cy), "{name}: centre of the rectangle not black");
        assert!(
            !r.get(inner.0 + (iw * 0.1) as u32, inner.1 + (ih * 0.1) as u32),
            "{name}: page background not white"
        );
    }
}

#[test]
fn report_text_has_the_facts() {
    let tmp = tempfile::tempdir().unwrap();
    let page = rect_page(Resolution::FINE);

    let pdf = report(Some(&page), &sent(), Locale::En, false);
    let Some(text) = pdftotext(&pdf, tmp.path(), "sent") else {
        return;
    };
    for needle in [
        "Fax transmission report",
        FAX_ID,
        "+33 1 00 00 00 01",
        "+33 2 99 00 11 22",
        "2026-11-27 08:15:30 CET",
        "Pages sent 2/2",
        "Duration 1:15",
        "Cost 0.10 € excl. tax",
        "Result sent",
        "T.38, ECM",
        "First page",
    ] {
        assert!(
            text.contains(needle),
            "{needle:?} not in the report: {text}"
        );
    }

    let pdf = report(Some(&page), &failed(), Locale::En, false);
    let text = pdftotext(&pdf, tmp.path(), "failed").unwrap();
    for needle in [
        FAX_ID,
        "T.30 failure: far end hung up after page 1",
        "1/2",
        "0:48",
        "0.05",
        "G.711, no ECM, max 9600 bit/s, fallback",
    ] {
        assert!(
            text.contains(needle),
            "{needle:?} not in the report: {text}"
        );
    }
    assert!(!text.contains("Result sent"), "{text}");

    // French, anonymous, no thumbnail: accents and € come out as written.
    let pdf = report(None, &failed(), Locale::Fr, true);
    let text = pdftotext(&pdf, tmp.path(), "fr").unwrap();
    for needle in [
        "Rapport de transmission",
        "Expéditeur masqué",
        "Résultat T.30 failure",
        "Pages envoyées 1/2",
        "Durée 0:48",
        "Coût 0.05 € HT",
        "aperçu indisponible",
        "sans ECM, max 9600 bit/s, repli",
    ] {
        assert!(
            text.contains(needle),
            "{needle:?} not in the report: {text}"
        );
    }
    assert!(!text.contains("+33 1 00 00 00 01"), "caller shown: {text}");
}

#[test]
fn status_email_carries_the_report() {
    let composer = Composer::new("fax@gw.example", Templates::builtin(), 10_000_000).unwrap();
    let emails = vec!["alice@a.example".to_string()];
    let page = rect_page(Resolution::FINE);
    let pdf = report(Some(&page), &sent(), Locale::En, false);
    let charged = Money::parse("0.10").unwrap();
    let mail = compose_status(
        &composer,
        &emails,
        Locale::En,
        &facts(false),
        &sent(),
        charged,
        Some(&pdf),
    )
    .unwrap();
    assert!(mail.attached);
    let raw = String::from_utf8(mail.bytes.clone()).expect("7-bit mail");
    assert!(raw.contains("multipart/mixed"), "{raw:.2000}");
    assert!(
        raw.to_ascii_lowercase()
            .contains("content-type: application/pdf"),
        "{raw:.2000}"
    );
    assert!(
        raw.contains(&format!("fax-report-{FAX_ID}.pdf")),
        "{raw:.2000}"
    );

    let parsed = MessageParser::default().parse(&mail.bytes).unwrap();
    assert_eq!(parsed.attachment_count(), 1);
    let att = parsed.attachment(0).unwrap();
    assert_eq!(
        att.attachment_name(),
        Some(format!("fax-report-{FAX_ID}.pdf").as_str())
    );
    assert!(att.contents().starts_with(b"%PDF"), "not a PDF");
    assert_eq!(att.contents(), pdf.as_slice(), "attachment differs");
    let text = parsed.body_text(0).unwrap();
    assert!(text.contains("Pages    : 2/2 sent"), "{text}");
    assert!(text.contains("Cost     : 0.10 € excl. tax"), "{text}");

    // Without a report: the same text email, nothing attached.
    let plain = compose_status(
        &composer,
        &emails,
        Locale::En,
        &facts(false),
        &sent(),
        charged,
        None,
    )
    .unwrap();
    assert!(!plain.attached);
    let parsed = MessageParser::default().parse(&plain.bytes).unwrap();
    assert_eq!(parsed.attachment_count(), 0);
    assert_eq!(parsed.body_text(0).unwrap(), text);
}
