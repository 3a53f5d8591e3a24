//! Fax pages to PDF: one PDF page per fax page, sized from the page's own resolution, with the
//! image embedded as a CCITT G4 (`/CCITTFaxDecode /K -1`) stream.
//!
//! Clean G4 pages are copied byte for byte from the TIFF (bit-reversed when the TIFF is
//! LSB-first), as libtiff's `tiff2pdf` does; everything else (G3, RLE, uncompressed, PackBits,
//! damaged G4, multi-strip G4) is decoded and re-encoded losslessly with our G4 encoder. This
//! keeps PDFs as small as the fax itself and conversion in the millisecond range. The gateway
//! decodes each G4 page once to know it is clean; the offline command may trust a G4 strip that
//! ends properly ([`ConvertOptions::trust_g4`]). The file around the images is written directly
//! (`writer`).

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::ccitt::{self, G4Encoder};
use crate::tiff::{self, PageCompression, RawPage, TiffError};
use crate::{Page, Resolution};

mod writer;

/// Most pixels one conversion decodes (4 Gpx, about 500 superfine pages); later pages are
/// dropped with a warning so that a small hostile file cannot keep a worker busy for minutes.
pub const MAX_TOTAL_PIXELS: u64 = 4 << 30;

/// Document-level settings of the produced PDF.
#[derive(Clone, Debug, PartialEq)]
pub struct PdfOptions {
    /// Document title (shown by viewers), e.g. "Fax from +33 1 23 45 67 89".
    pub title: String,
    /// Creation date as seconds since the Unix epoch (UTC); `None` means now. Set it for
    /// reproducible output.
    pub creation_unix: Option<i64>,
}

impl Default for PdfOptions {
    fn default() -> Self {
        PdfOptions {
            title: "Fax".to_string(),
            creation_unix: None,
        }
    }
}

/// Facts about one PDF page, for delivery reports.
#[derive(Clone, Debug, PartialEq)]
pub struct PdfPageInfo {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Resolution that gave the physical size.
    pub resolution: Resolution,
    /// Rows that decoded from the source; the others are white.
    pub rows_decoded: u32,
    /// Whether the source G4 data was embedded unchanged (no re-encoding).
    pub copied: bool,
}

/// A finished conversion.
#[derive(Clone, Debug)]
pub struct Conversion {
    /// The PDF file.
    pub pdf: Vec<u8>,
    /// One entry per page.
    pub pages: Vec<PdfPageInfo>,
    /// Repairs and guesses (damaged rows, missing resolution…), each naming its page. The PDF
    /// is still complete: damaged parts are white.
    pub warnings: Vec<String>,
}

/// Why a PDF could not be produced.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// The TIFF could not be read (not a TIFF, unsupported page, unusable structure).
    #[error(transparent)]
    Tiff(#[from] TiffError),
    /// Nothing to convert.
    #[error("no pages to convert")]
    NoPages,
    /// A page has no pixels.
    #[error("page {0}: empty page (0 pixels wide or high)")]
    EmptyPage(usize),
}

/// One page ready for the PDF: a G4 stream (borrowed from the TIFF when copied unchanged) and
/// how to show it.
struct G4Image<'a> {
    width: u32,
    height: u32,
    data: Cow<'a, [u8]>,
    /// `data` is LSB-first (TIFF FillOrder 2): the writer reverses each byte's bits on the
    /// way out, so a copied page needs no reversed copy in memory.
    lsb_first: bool,
    /// Set bits / CCITT "black" runs display white (min-is-black sources copied unchanged).
    black_is_1: bool,
    resolution: Resolution,
}

/// How a TIFF is turned into PDF pages: threads, and how far clean-looking G4 is trusted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConvertOptions {
    /// Pages decoded at once, the calling thread included (`0` means 1). Pages are
    /// independent; the output is identical whatever the number.
    pub threads: usize,
    /// Copy a single-strip G4 page that ends with an end-of-facsimile-block code (EOFB) without
    /// decoding it first. Truncated strips (the usual damage) have no EOFB and are still
    /// decoded and repaired; damage inside a strip reaches the PDF as it is, the way libtiff's
    /// `tiff2pdf` copies it. For the offline command, where the file is at hand; the gateway
    /// validates every page (`false`), so its emails carry the warnings.
    pub trust_g4: bool,
}

/// Converts a fax TIFF (G3, G4, RLE, uncompressed, PackBits; any fill order; multi-page) to
/// PDF. Damaged pages are kept partially with a warning; unsupported pages are an error.
pub fn tiff_to_pdf(tiff_bytes: &[u8], opts: &PdfOptions) -> Result<Conversion, Error> {
    tiff_to_pdf_with(tiff_bytes, opts, ConvertOptions::default())
}

/// Like [`tiff_to_pdf`], decoding up to `threads` pages at once (pages are independent).
///
/// Conversion time is almost all CCITT decoding, so this divides it by the number of cores.
/// The gateway's bounded blocking pool calls [`tiff_to_pdf`] (one thread per conversion); the
/// offline `tiff2pdf` command uses the machine's cores. `0` means 1. The output is identical.
pub fn tiff_to_pdf_threads(
    tiff_bytes: &[u8],
    opts: &PdfOptions,
    threads: usize,
) -> Result<Conversion, Error> {
    tiff_to_pdf_with(
        tiff_bytes,
        opts,
        ConvertOptions {
            threads,
            trust_g4: false,
        },
    )
}

/// [`tiff_to_pdf`] with explicit [`ConvertOptions`].
pub fn tiff_to_pdf_with(
    tiff_bytes: &[u8],
    opts: &PdfOptions,
    convert: ConvertOptions,
) -> Result<Conversion, Error> {
    let prepared = prepare_tiff(tiff_bytes, convert)?;
    let pdf = build_pdf(&prepared.images, opts);
    Ok(Conversion {
        pdf,
        pages: prepared.pages,
        warnings: prepared.warnings,
    })
}

/// The pages of a TIFF ready to be written as a PDF ([`prepare_tiff`]); copied G4 data still
/// points into the TIFF. For writing a large PDF straight to a file, without holding it in
/// memory ([`Prepared::write_pdf`]).
pub struct Prepared<'a> {
    images: Vec<G4Image<'a>>,
    /// One entry per page.
    pub pages: Vec<PdfPageInfo>,
    /// Repairs and guesses, each naming its page, as in [`Conversion::warnings`].
    pub warnings: Vec<String>,
}

impl Prepared<'_> {
    /// Writes the PDF to `out` (the same bytes [`tiff_to_pdf_with`] returns) and returns its
    /// length. Give it a buffered writer: small pieces are written between the images.
    pub fn write_pdf(&self, opts: &PdfOptions, out: impl Write) -> io::Result<u64> {
        writer::write_pdf(
            &self.images,
            &opts.title,
            &writer::pdf_date(opts.creation_unix),
            out,
        )
    }
}

/// The first half of [`tiff_to_pdf_with`]: parses the TIFF and turns each page into its PDF
/// image (copied or re-encoded), without writing the PDF.
pub fn prepare_tiff(tiff_bytes: &[u8], convert: ConvertOptions) -> Result<Prepared<'_>, Error> {
    let parsed = tiff::parse(tiff_bytes)?;
    let mut warnings = parsed.warnings;
    let mut total = 0u64;
    let mut kept = parsed.pages.len();
    for (i, raw) in parsed.pages.iter().enumerate() {
        total += raw.width as u64 * raw.height as u64;
        if total > MAX_TOTAL_PIXELS {
            kept = i;
            break;
        }
    }
    let pages = &parsed.pages[..kept];
    let trusted: Vec<bool> = pages
        .iter()
        .map(|raw| {
            convert.trust_g4
                && copyable(raw)
                && raw
                    .strips
                    .first()
                    .and_then(|r| tiff_bytes.get(r.clone()))
                    .is_some_and(|data| ends_with_eofb(data, raw.lsb_first))
        })
        .collect();
    // Copying needs no thread of its own.
    let threads = if trusted.iter().all(|&t| t) {
        1
    } else {
        convert.threads
    };
    let results = run_parallel(pages.len(), threads, |i| {
        convert_page(tiff_bytes, &pages[i], trusted[i])
    });
    let mut images = Vec::with_capacity(pages.len());
    let mut infos = Vec::with_capacity(pages.len());
    for (raw, (image, info, warning)) in pages.iter().zip(results) {
        warnings.extend(raw.warnings.iter().cloned());
        warnings.extend(warning);
        images.push(image);
        infos.push(info);
    }
    if let Some(raw) = parsed.pages.get(kept) {
        warnings.push(format!(
            "page {}: this and later pages dropped: the file holds more than {} Mpx",
            raw.index,
            MAX_TOTAL_PIXELS >> 20
        ));
    }
    Ok(Prepared {
        images,
        pages: infos,
        warnings,
    })
}

/// A page whose strip can go into the PDF unchanged, if its data is clean: one G4 strip
/// holding all rows, with a known length.
fn copyable(raw: &RawPage) -> bool {
    raw.compression == PageCompression::G4
        && raw.strips.len() == 1
        && raw.strips_needed() == 1
        && !raw.lengths_guessed
}

/// Whether G4 data (LSB-first bytes when `lsb_first`) ends with EOFB (two EOL codes, `000000000001` twice), followed
/// only by zero fill bits. A strip cut short anywhere does not.
fn ends_with_eofb(data: &[u8], lsb_first: bool) -> bool {
    // Skip the trailing zero bytes, then look at the last 32 bits: the 24-bit EOFB then zero
    // fill bits, at most 7 of them within the last byte.
    let end = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    if end < 3 {
        return false;
    }
    let mut word = 0u32;
    for &b in &data[end.saturating_sub(4)..end] {
        let b = if lsb_first { b.reverse_bits() } else { b };
        word = (word << 8) | b as u32;
    }
    let fill = word.trailing_zeros();
    if fill > 7 {
        return false;
    }
    // With fewer than 4 bytes the missing high bytes read as zero: they must not count as EOFB.
    (word >> fill) & 0xff_ffff == 0x00_1001 && fill + 24 <= 8 * end as u32
}

/// One TIFF page to a G4 image: the strip itself when it is a single clean G4 strip (or
/// `trusted`), else decoded and re-encoded (damaged rows white).
fn convert_page<'a>(
    bytes: &'a [u8],
    raw: &RawPage,
    trusted: bool,
) -> (G4Image<'a>, PdfPageInfo, Option<String>) {
    let info = |rows_decoded, copied| PdfPageInfo {
        width: raw.width,
        height: raw.height,
        resolution: raw.resolution,
        rows_decoded,
        copied,
    };
    let image = |data, lsb_first| G4Image {
        width: raw.width,
        height: raw.height,
        data,
        lsb_first,
        black_is_1: raw.min_is_black,
        resolution: raw.resolution,
    };
    // The strip as it is in the file (its bit order fixed by the writer).
    let strip = || {
        let data = raw.strips.first().and_then(|r| bytes.get(r.clone()));
        image(Cow::Borrowed(data.unwrap_or(&[])), raw.lsb_first)
    };
    if trusted {
        return (strip(), info(raw.height, true), None);
    }
    if copyable(raw) {
        let check = tiff::decode_page_rows(bytes, raw, &mut |_| {});
        if check.clean {
            return (strip(), info(check.rows_decoded, true), None);
        }
    }
    let capacity = (raw.width as usize).saturating_mul(16).min(1 << 20);
    let mut enc = G4Encoder::with_capacity(raw.width, capacity);
    let outcome = tiff::decode_page_rows(bytes, raw, &mut |ch| enc.push_row(ch));
    (
        image(Cow::Owned(enc.finish()), false),
        info(outcome.rows_decoded, false),
        outcome.warning,
    )
}

/// Runs `f(0..n)` on up to `threads` threads (the calling thread included) and returns the
/// results in index order. If threads cannot be created, the calling thread does the work.
fn run_parallel<T: Send>(n: usize, threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        return (0..n).map(&f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                break;
            }
            done.push((i, f(i)));
        }
        done
    };
    let mut slots: Vec<Option<T>> = (0..n).map(|_| None).collect();
    std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(s, work).ok())
            .collect();
        let mut all = work();
        for h in helpers {
            match h.join() {
                Ok(v) => all.extend(v),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        for (i, v) in all {
            slots[i] = Some(v);
        }
    });
    slots.into_iter().flatten().collect()
}

/// Converts bitmaps already in memory (fax-sim, rasterised documents) to PDF, one page each.
pub fn pages_to_pdf(pages: &[Page], opts: &PdfOptions) -> Result<Conversion, Error> {
    if pages.is_empty() {
        return Err(Error::NoPages);
    }
    let mut warnings = Vec::new();
    let mut images = Vec::with_capacity(pages.len());
    let mut infos = Vec::with_capacity(pages.len());
    for (i, page) in pages.iter().enumerate() {
        let (w, h) = (page.bitmap.width(), page.bitmap.height());
        if w == 0 || h == 0 {
            return Err(Error::EmptyPage(i + 1));
        }
        let ok = |v: f32| v.is_finite() && v > 0.0;
        let resolution = if ok(page.resolution.x_dpi) && ok(page.resolution.y_dpi) {
            page.resolution
        } else {
            warnings.push(format!(
                "page {}: invalid resolution {}x{} dpi; assuming 204x196 dpi",
                i + 1,
                page.resolution.x_dpi,
                page.resolution.y_dpi
            ));
            Resolution::FINE
        };
        images.push(G4Image {
            width: w,
            height: h,
            data: Cow::Owned(ccitt::encode_g4(&page.bitmap)),
            lsb_first: false,
            black_is_1: false,
            resolution,
        });
        infos.push(PdfPageInfo {
            width: w,
            height: h,
            resolution,
            rows_decoded: h,
            copied: false,
        });
    }
    Ok(Conversion {
        pdf: build_pdf(&images, opts),
        pages: infos,
        warnings,
    })
}

fn build_pdf(images: &[G4Image], opts: &PdfOptions) -> Vec<u8> {
    let data: usize = images.iter().map(|i| i.data.len()).sum();
    let mut pdf = Vec::with_capacity(data + 600 * images.len() + 600);
    // Writing to a Vec cannot fail.
    let _ = writer::write_pdf(
        images,
        &opts.title,
        &writer::pdf_date(opts.creation_unix),
        &mut pdf,
    );
    pdf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Bitmap;

    #[test]
    fn eofb_ends_a_whole_strip_only() {
        let mut b = Bitmap::new(1728, 100);
        b.fill_rect(100, 10, 900, 30);
        let g4 = ccitt::encode_g4(&b);
        assert!(ends_with_eofb(&g4, false));
        let lsb: Vec<u8> = g4.iter().map(|x| x.reverse_bits()).collect();
        assert!(ends_with_eofb(&lsb, true));
        assert!(!ends_with_eofb(&lsb, false));
        // Zero padding after the EOFB is fine; a cut strip is not.
        let mut padded = g4.clone();
        padded.extend_from_slice(&[0, 0, 0]);
        assert!(ends_with_eofb(&padded, false));
        assert!(!ends_with_eofb(&g4[..g4.len() - 2], false));
        assert!(!ends_with_eofb(&g4[..g4.len() / 2], false));
        assert!(!ends_with_eofb(&[0x00, 0x10], false));
        assert!(!ends_with_eofb(&[], false));
        // EOFB alone, byte-aligned.
        assert!(ends_with_eofb(&[0x00, 0x10, 0x01], false));
    }

    #[test]
    fn a_prepared_conversion_writes_the_same_pdf_to_a_writer() {
        let mut b = Bitmap::new(1728, 300);
        b.fill_rect(100, 10, 900, 30);
        let pages: Vec<Page> = [Resolution::FINE, Resolution::STANDARD]
            .into_iter()
            .map(|resolution| Page {
                bitmap: b.clone(),
                resolution,
            })
            .collect();
        let opts = PdfOptions {
            title: "Fax é".into(),
            creation_unix: Some(1_700_000_000),
        };
        for lsb_first in [false, true] {
            let tif = tiff::write_tiff(
                &pages,
                &tiff::WriteOptions {
                    compression: tiff::WriteCompression::G4,
                    min_is_black: false,
                    lsb_first,
                },
            );
            for trust_g4 in [false, true] {
                let convert = ConvertOptions {
                    threads: 2,
                    trust_g4,
                };
                let whole = tiff_to_pdf_with(&tif, &opts, convert).expect("converts");
                let prepared = prepare_tiff(&tif, convert).expect("prepares");
                let mut out = Vec::new();
                let len = prepared.write_pdf(&opts, &mut out).expect("writes");
                assert_eq!(len, out.len() as u64);
                assert_eq!(out, whole.pdf, "lsb_first {lsb_first}, trust_g4 {trust_g4}");
                assert_eq!(prepared.pages, whole.pages);
                assert!(prepared.pages.iter().all(|p| p.copied));
            }
        }
    }
}
