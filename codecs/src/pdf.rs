//! Fax pages to PDF: one PDF page per fax page, sized from the page's own resolution, with the
//! image embedded as a CCITT G4 (`/CCITTFaxDecode /K -1`) stream.
//!
//! Clean G4 pages are copied byte for byte from the TIFF (bit-reversed when the TIFF is
//! LSB-first), as libtiff's `tiff2pdf` does; everything else (G3, RLE, uncompressed, PackBits,
//! damaged G4, multi-strip G4) is decoded and re-encoded losslessly with our G4 encoder. This
//! keeps PDFs as small as the fax itself and conversion in the millisecond range.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use printpdf::{
    DictItem, ExternalStream, ExternalXObject, Op, PdfDocument, PdfPage, PdfSaveOptions, Pt, Rect,
    XObject, XObjectId, XObjectTransform,
};

use crate::ccitt::{self, G4Encoder};
use crate::tiff::{self, PageCompression, RawPage, TiffError};
use crate::{Page, Resolution};

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

/// One page ready for the PDF: a G4 stream and how to show it.
struct G4Image {
    width: u32,
    height: u32,
    data: Vec<u8>,
    /// Set bits / CCITT "black" runs display white (min-is-black sources copied unchanged).
    black_is_1: bool,
    resolution: Resolution,
}

/// Converts a fax TIFF (G3, G4, RLE, uncompressed, PackBits; any fill order; multi-page) to
/// PDF. Damaged pages are kept partially with a warning; unsupported pages are an error.
pub fn tiff_to_pdf(tiff_bytes: &[u8], opts: &PdfOptions) -> Result<Conversion, Error> {
    tiff_to_pdf_threads(tiff_bytes, opts, 1)
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
    let results = run_parallel(pages.len(), threads, |i| {
        convert_page(tiff_bytes, &pages[i])
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
    let pdf = build_pdf(images, opts);
    Ok(Conversion {
        pdf,
        pages: infos,
        warnings,
    })
}

/// One TIFF page to a G4 image: the strip itself when it is a single clean G4 strip, else
/// decoded and re-encoded (damaged rows white).
fn convert_page(bytes: &[u8], raw: &RawPage) -> (G4Image, PdfPageInfo, Option<String>) {
    let copyable = raw.compression == PageCompression::G4
        && raw.strips.len() == 1
        && raw.strips_needed() == 1
        && !raw.lengths_guessed;
    let info = |rows_decoded, copied| PdfPageInfo {
        width: raw.width,
        height: raw.height,
        resolution: raw.resolution,
        rows_decoded,
        copied,
    };
    let image = |data| G4Image {
        width: raw.width,
        height: raw.height,
        data,
        black_is_1: raw.min_is_black,
        resolution: raw.resolution,
    };
    if copyable {
        let check = tiff::decode_page_rows(bytes, raw, &mut |_| {});
        if check.clean {
            let data = raw.strip_data(bytes, 0).into_owned();
            return (image(data), info(check.rows_decoded, true), None);
        }
    }
    let capacity = (raw.width as usize).saturating_mul(16).min(1 << 20);
    let mut enc = G4Encoder::with_capacity(raw.width, capacity);
    let outcome = tiff::decode_page_rows(bytes, raw, &mut |ch| enc.push_row(ch));
    (
        image(enc.finish()),
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
            data: ccitt::encode_g4(&page.bitmap),
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
        pdf: build_pdf(images, opts),
        pages: infos,
        warnings,
    })
}

fn name(s: &str) -> DictItem {
    DictItem::Name(s.as_bytes().to_vec())
}

fn build_pdf(images: Vec<G4Image>, opts: &PdfOptions) -> Vec<u8> {
    let mut doc = PdfDocument::new(&opts.title);
    let date = opts
        .creation_unix
        .and_then(|t| printpdf::DateTime::from_unix_timestamp(t).ok())
        .unwrap_or_else(printpdf::DateTime::now);
    let info = &mut doc.metadata.info;
    info.producer = "faxvox".to_string();
    info.creator = "faxvox".to_string();
    info.creation_date = date;
    info.modification_date = date;
    info.metadata_date = date;

    let mut pages = Vec::with_capacity(images.len());
    for (n, img) in images.into_iter().enumerate() {
        let mut parms = BTreeMap::new();
        parms.insert("K".to_string(), DictItem::Int(-1));
        parms.insert("Columns".to_string(), DictItem::Int(img.width as i64));
        parms.insert("Rows".to_string(), DictItem::Int(img.height as i64));
        parms.insert("BlackIs1".to_string(), DictItem::Bool(img.black_is_1));
        let mut dict = BTreeMap::new();
        dict.insert("Type".to_string(), name("XObject"));
        dict.insert("Subtype".to_string(), name("Image"));
        dict.insert("Width".to_string(), DictItem::Int(img.width as i64));
        dict.insert("Height".to_string(), DictItem::Int(img.height as i64));
        dict.insert("ColorSpace".to_string(), name("DeviceGray"));
        dict.insert("BitsPerComponent".to_string(), DictItem::Int(1));
        dict.insert("Filter".to_string(), name("CCITTFaxDecode"));
        dict.insert("DecodeParms".to_string(), DictItem::Dict { map: parms });
        // Short resource names (printpdf's own are 32 random characters, twice per page).
        let id = XObjectId(format!("Im{}", n + 1));
        let xobject = ExternalXObject {
            stream: ExternalStream {
                dict,
                content: img.data,
                compress: false,
            },
            width: None,
            height: None,
            dpi: None,
        };
        doc.resources
            .xobjects
            .map
            .insert(id.clone(), XObject::External(xobject));
        let w_pt = img.width as f32 * 72.0 / img.resolution.x_dpi;
        let h_pt = img.height as f32 * 72.0 / img.resolution.y_dpi;
        let ops = vec![Op::UseXobject {
            id,
            transform: XObjectTransform {
                scale_x: Some(w_pt),
                scale_y: Some(h_pt),
                ..Default::default()
            },
        }];
        let rect = Rect::from_wh(Pt(w_pt), Pt(h_pt));
        pages.push(PdfPage {
            media_box: rect.clone(),
            trim_box: rect.clone(),
            crop_box: rect,
            ops,
        });
    }
    doc.with_pages(pages);
    let save = PdfSaveOptions {
        optimize: true,
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut pdf_warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&save, &mut pdf_warnings);
    trim(&mut lo);
    lo.compress();
    let mut out = Vec::new();
    match lo.save_to(&mut out) {
        Ok(()) => out,
        // Writing to memory does not fail; if it ever did, printpdf's own output is still valid.
        Err(_) => doc.save(&save, &mut pdf_warnings),
    }
}

/// Removes what printpdf writes for general documents but a fax PDF does not need (and libtiff's
/// tiff2pdf does not write): TrimBox/CropBox equal to the MediaBox, empty Annots, references to
/// empty Font/ExtGState/Shading dictionaries, empty Info entries. Keeps the file no bigger than
/// tiff2pdf's for the same fax.
fn trim(lo: &mut lopdf::Document) {
    let pages: Vec<lopdf::ObjectId> = lo.get_pages().into_values().collect();
    let mut resources = Vec::new();
    for id in pages {
        if let Ok(page) = lo.get_object_mut(id).and_then(|o| o.as_dict_mut()) {
            page.remove(b"TrimBox");
            page.remove(b"CropBox");
            if page
                .get(b"Annots")
                .and_then(|a| a.as_array())
                .is_ok_and(|a| a.is_empty())
            {
                page.remove(b"Annots");
            }
            if let Ok(r) = page.get(b"Resources").and_then(|r| r.as_reference()) {
                resources.push(r);
            }
        }
    }
    for id in resources {
        if let Ok(res) = lo.get_object_mut(id).and_then(|o| o.as_dict_mut()) {
            res.remove(b"Font");
            res.remove(b"ExtGState");
            res.remove(b"Shading");
        }
    }
    if let Ok(info_id) = lo.trailer.get(b"Info").and_then(|i| i.as_reference()) {
        if let Ok(info) = lo.get_object_mut(info_id).and_then(|o| o.as_dict_mut()) {
            let empty: Vec<Vec<u8>> = info
                .iter()
                .filter(|(_, v)| matches!(v, lopdf::Object::String(s, _) if s.is_empty()))
                .map(|(k, _)| k.clone())
                .collect();
            for k in empty {
                info.remove(&k);
            }
            info.remove(b"Trapped");
        }
    }
    lo.prune_objects();
}
